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
    vertical: np.ndarray, total: np.ndarray, fs: float, valid: np.ndarray | None = None
) -> list[Region]:
    """Candidate set regions (with a margin either side) from vertical and total rotation rate."""
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
        if b - a < n:
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
SAME_POSE_DEG = 25.0
# A row (hands pulled straight back) tips an upper arm as far as lowering it does, but only for the
# out, hold and return of one rep before the arm is back in its working pose; arms lowered for a rest
# stay down longer than this.
AWAY_S = 6.5
BACK_DEG = 15.0  # this close to the pose again (gravity followed within a second): the arm came back


def pose_runs(up: np.ndarray, fs: float, quick_up: np.ndarray | None = None) -> list[tuple[int, int]]:
    """Stretches where gravity stays put in the sensor frame: the arm holds one pose.

    `up` is gravity smoothed over a few seconds; `quick_up` (default `up`) follows it within about a
    second and tells whether the arm came back to a pose between two excursions.
    """
    quick = up if quick_up is None else quick_up
    h = max(1, int(0.5 * POSE_STEP_S * fs))
    if len(up) <= 2 * h:
        return [(0, len(up))]
    # Either gravity may show the arm holding still: the quick one as soon as it arrives (a moment in
    # the working pose before a row right after the count-in), the smoothed one through rep wobble.
    cos = np.maximum(
        np.einsum("ij,ij->i", up[: -2 * h], up[2 * h :]),
        np.einsum("ij,ij->i", quick[: -2 * h], quick[2 * h :]),
    )
    stable = np.zeros(len(up), dtype=bool)
    stable[h:-h] = cos > np.cos(np.radians(POSE_CHANGE_DEG))
    labels, _ = ndimage.label(stable)
    runs = [(sl[0].start, sl[0].stop) for sl in ndimage.find_objects(labels)]
    # Excursions from a pose that come back to it (rows, a stumble) are no change of pose, however
    # many follow each other; only leaving it for good (arms lowered between sets) ends a run. Short
    # steady moments count too: back in the pose (the reps between two rows, or before the first
    # one) they extend it, in another pose (the hold of a row) they are part of the excursion.
    merged: list[tuple[int, int]] = []
    for a, b in runs:
        k = _earlier_same_pose(up, quick, merged, (a, b), fs)
        if k is None:
            merged.append((a, b))
        else:
            merged[k:] = [(merged[k][0], b)]
    return [(a, b) for a, b in merged if b - a >= MIN_POSE_S * fs]


def _earlier_same_pose(
    up: np.ndarray, quick: np.ndarray, merged: list[tuple[int, int]], run: tuple[int, int], fs: float
) -> int | None:
    """Index of the run in `merged` that `run` continues: the same pose, and only short stretches and
    excursions the arm came back from in between."""
    for k in range(len(merged) - 1, -1, -1):
        if _same_pose(up, quick, merged[k], run, fs):
            return None if _left_pose(up, quick, merged[k], run[0], fs) else k
        if _held(quick, merged[k], fs):
            return None
    return None


def _held(quick: np.ndarray, run: tuple[int, int], fs: float) -> bool:
    """Whether the arm held `run`'s pose for MIN_POSE_S, by the quick gravity: over a few seconds a
    run of rows blurs into what looks like a steady pose of its own, but the arm never stays there."""
    if run[1] - run[0] < MIN_POSE_S * fs:
        return False
    near = quick[run[0] : run[1]] @ _pose(quick, run) > np.cos(np.radians(POSE_CHANGE_DEG))
    return longest_run(near) >= MIN_POSE_S * fs


def _pose(up: np.ndarray, run: tuple[int, int]) -> np.ndarray:
    p = np.median(up[run[0] : run[1]], axis=0)
    return p / np.linalg.norm(p)


def _same_pose(
    up: np.ndarray, quick: np.ndarray, r0: tuple[int, int], r1: tuple[int, int], fs: float
) -> bool:
    """Two poses held for a while average out wobble and drift, so they may differ more and still be
    one; a steady moment is a return to a pose only if gravity comes right back to it (holding the
    hands in front to adjust the band is a pose of its own, not far from the working one)."""
    if _held(quick, r0, fs) and _held(quick, r1, fs):
        return bool(_pose(up, r0) @ _pose(up, r1) > np.cos(np.radians(SAME_POSE_DEG)))
    return bool(_pose(quick, r0) @ _pose(quick, r1) > np.cos(np.radians(BACK_DEG)))


def _left_pose(up: np.ndarray, quick: np.ndarray, run: tuple[int, int], stop: int, fs: float) -> bool:
    """Whether the arm stayed away from `run`'s pose for AWAY_S or longer between its end and `stop`."""
    away = quick[run[1] : stop] @ _pose(up, run) < np.cos(np.radians(BACK_DEG))
    return longest_run(away) >= AWAY_S * fs


def longest_run(mask: np.ndarray) -> int:
    """Length of the longest stretch of True in `mask`."""
    if not mask.any():
        return 0
    labels, count = ndimage.label(mask)
    return int(np.bincount(labels)[1:].max())


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
