"""Step 3: where the sets are.

A set is a stretch of sustained rotation about the vertical axis. Walking, shaking out the arms
or raising them to the start position turn the wrist mostly about horizontal axes, so the share
of the rotation that is vertical separates them; a set must also hold at least two full reps,
which rules out turning round once while walking.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from .clean import fill_short_gaps

ACTIVE_RATE = 0.25  # rad/s, RMS of the vertical rate over the window while repping
VERTICAL_SHARE = 0.6  # vertical RMS over total RMS
WINDOW_S = 3.0
MERGE_S = 5.0  # holds and pauses up to this long keep a set together
MARGIN_S = 2.5


@dataclass
class Region:
    start: int  # sample index, inclusive
    stop: int  # sample index, exclusive


def moving_rms(x: np.ndarray, n: int) -> np.ndarray:
    return np.sqrt(ndimage.uniform_filter1d(x * x, size=max(1, n), mode="nearest"))


def active_regions(
    vertical: np.ndarray,
    total: np.ndarray,
    fs: float,
    valid: np.ndarray | None = None,
    open_end: bool = False,
) -> list[Region]:
    """Candidate set regions (with a margin either side) from vertical and total rotation rate.

    `open_end`: the signal may stop mid-set (a live window), so activity running up to its end
    counts once it lasts a second: a set's first rep must not wait for a window's worth of reps.
    """
    n = int(WINDOW_S * fs)
    rms_v = moving_rms(vertical, n)
    rms_t = moving_rms(total, n)
    active = (rms_v > ACTIVE_RATE) & (rms_v > VERTICAL_SHARE * rms_t)
    if valid is not None:
        active &= valid
    # Close short quiet stretches (holds, pauses), then drop blips shorter than one window.
    active = fill_short_gaps(active, int(MERGE_S * fs))
    labels, count = ndimage.label(active)
    regions = []
    margin = int(MARGIN_S * fs)
    for sl in ndimage.find_objects(labels):
        a, b = sl[0].start, sl[0].stop
        young = open_end and b == len(vertical) and b - a >= fs
        if b - a < n and not young:
            continue
        regions.append(Region(max(0, a - margin), min(len(vertical), b + margin)))
    return _merge_overlaps(regions)


def _merge_overlaps(regions: list[Region]) -> list[Region]:
    out: list[Region] = []
    for r in regions:
        if out and r.start <= out[-1].stop:
            out[-1].stop = max(out[-1].stop, r.stop)
        else:
            out.append(r)
    return out


POSE_STEP_S = 1.5  # compare gravity this far apart
POSE_CHANGE_DEG = 30.0  # more than this within POSE_STEP_S: the arms go up or down (not a rep)
MIN_POSE_S = 4.0
POSE_BRIDGE_S = 10.0  # a rest with the arms down makes a run of its own, so this never joins two sets
SAME_POSE_DEG = 25.0


def pose_runs(up: np.ndarray, fs: float, open_end: bool = False) -> list[tuple[int, int]]:
    """Stretches where gravity stays put in the sensor frame: the arm holds one pose.

    `open_end`: the signal may stop mid-set (a live window); a pose held up to its end is a run
    once it lasts a second, reaching the end.
    """
    h = max(1, int(0.5 * POSE_STEP_S * fs))
    if len(up) <= 2 * h:
        return [(0, len(up))]
    cos = np.einsum("ij,ij->i", up[: -2 * h], up[2 * h :])
    stable = np.zeros(len(up), dtype=bool)
    stable[h:-h] = cos > np.cos(np.radians(POSE_CHANGE_DEG))
    labels, _ = ndimage.label(stable)
    runs = [(sl[0].start, sl[0].stop) for sl in ndimage.find_objects(labels)]
    if open_end and runs and runs[-1][1] == len(up) - h and runs[-1][1] - runs[-1][0] >= fs:
        runs[-1] = (runs[-1][0], len(up) + int(MIN_POSE_S * fs))  # long enough to be kept
    runs = [(a, min(b, len(up))) for a, b in runs if b - a >= MIN_POSE_S * fs]
    # A brief excursion (a row, a stumble) between two stretches of the same pose is not a change
    # of pose; lowering the arms between sets gives a run of its own in the other pose.
    merged: list[tuple[int, int]] = []
    for a, b in runs:
        if merged and a - merged[-1][1] < POSE_BRIDGE_S * fs:
            p0 = np.median(up[merged[-1][0] : merged[-1][1]], axis=0)
            p1 = np.median(up[a:b], axis=0)
            cos = p0 @ p1 / (np.linalg.norm(p0) * np.linalg.norm(p1))
            if cos > np.cos(np.radians(SAME_POSE_DEG)):
                merged[-1] = (merged[-1][0], b)
                continue
        merged.append((a, b))
    return merged


def set_windows(regions: list[Region], runs: list[tuple[int, int]], fs: float) -> list[Region]:
    """One window per arm pose that holds activity: the arms go up, the set is done, they come down.

    Within one pose, quiet stretches (a slow rowing rep, a long hold) do not split a set; a change of
    pose (arms lowered between sets, a new grip) always does.
    """
    margin = int(MARGIN_S * fs)
    windows: list[Region] = []
    claimed = [False] * len(regions)
    for a, b in runs:
        hits = [i for i, r in enumerate(regions) if r.start < b and r.stop > a]
        if not hits:
            continue
        for i in hits:
            claimed[i] = True
        start = max(a - margin, min(regions[i].start for i in hits))
        stop = min(b + margin, max(regions[i].stop for i in hits))
        windows.append(Region(start, stop))
    windows += [r for r, c in zip(regions, claimed) if not c]
    return sorted(windows, key=lambda r: r.start)
