"""Step 3: where the sets are.

A set is a stretch of sustained rotation about the vertical axis. Walking, shaking out the arms
or raising them to the start position turn the wrist mostly about horizontal axes, so the share
of the rotation that is vertical separates them; a set must also hold at least two full reps,
which rules out turning round once while walking.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .clean import fill_short_gaps, moving_mean, true_runs
from .stats import median

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
    return np.sqrt(moving_mean(x * x, n))


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
    regions = []
    margin = int(MARGIN_S * fs)
    for a, b in zip(*(e.tolist() for e in true_runs(active))):
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
SAME_POSE_DEG = 25.0
# A row (hands pulled straight back) tips an upper arm as far as lowering it does, but only for the
# out, hold and return of one rep before the arm is back in its working pose; arms lowered for a rest
# stay down longer than this.
AWAY_S = 6.5
BACK_DEG = 15.0  # this close to the pose again (gravity followed within a second): the arm came back
YOUNG_BREAK_S = 0.5  # a pose at a live window's end may break off this long and still be held
BACK_CHECK_S = 0.2  # the arm is back in its pose at a live window's end when it is there this long


def pose_runs(
    up: np.ndarray, fs: float, quick_up: np.ndarray | None = None, open_end: bool = False
) -> list[tuple[int, int]]:
    """Stretches where gravity stays put in the sensor frame: the arm holds one pose.

    `up` is gravity smoothed over a few seconds; `quick_up` (default `up`) follows it within about a
    second and tells whether the arm came back to a pose between two excursions. `open_end`: the
    signal may stop mid-set (a live window); a pose held up to its end is a run once it lasts a
    second, reaching the end.
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
    runs = list(zip(*(e.tolist() for e in true_runs(stable))))
    if open_end:
        runs = _young_run(runs, stable[: len(up) - h], fs, len(up) + int(MIN_POSE_S * fs))
    # Excursions from a pose that come back to it (rows, a stumble) are no change of pose, however
    # many follow each other; only leaving it for good (arms lowered between sets) ends a run. Short
    # steady moments count too: back in the pose (the reps between two rows, or before the first
    # one) they extend it, in another pose (the hold of a row) they are part of the excursion.
    poses = _Poses(up, quick, fs)
    merged: list[tuple[int, int]] = []
    for a, b in runs:
        k = poses.continued(merged, (a, b))
        if k is None:
            merged.append((a, b))
        else:
            merged[k:] = [(merged[k][0], b)]
    if open_end:
        merged = _back_at_end(merged, poses, fs)
    return [(a, min(b, len(up))) for a, b in merged if b - a >= MIN_POSE_S * fs]


def _young_run(
    runs: list[tuple[int, int]], stable: np.ndarray, fs: float, stop: int
) -> list[tuple[int, int]]:
    """`runs` with a pose that is held up to the end of a live window made a run that is kept (one
    ending at `stop`), once it has lasted a second.

    A set's first rep wobbles gravity for a moment, and the filters read the window's last samples
    less surely, so a pose counts as held to the end when it breaks off for less than YOUNG_BREAK_S
    only, within that much of the end.
    """
    brk = int(YOUNG_BREAK_S * fs)
    starts, stops = true_runs(fill_short_gaps(stable, brk))
    if len(starts) == 0 or stops[-1] < len(stable) - brk or stops[-1] - starts[-1] < fs:
        return runs
    a = int(starts[-1])
    return [r for r in runs if r[1] <= a] + [(a, stop)]


def _back_at_end(merged: list[tuple[int, int]], poses: _Poses, fs: float) -> list[tuple[int, int]]:
    """`merged` with the last pose held for MIN_POSE_S that ended inside a live window taken on to
    its end when the arm is back in it there: the runs after it (the excursion's steady moments, a
    hold read as a young pose) are part of the excursion."""
    n = len(poses.up)
    held = [k for k, (a, b) in enumerate(merged) if b - a >= MIN_POSE_S * fs and b < n]
    if not held or not poses.back_at_end(merged[held[-1]]):
        return merged
    k = held[-1]
    return merged[:k] + [(merged[k][0], n)]


class _Poses:
    """The pose of stretches of one recording, each worked out once (a run is compared many times
    as it grows)."""

    def __init__(self, up: np.ndarray, quick: np.ndarray, fs: float) -> None:
        self.up, self.quick, self.fs = up, quick, fs
        self._pose: dict[tuple[int, int, bool], np.ndarray] = {}
        self._held: dict[tuple[int, int], bool] = {}

    def continued(self, merged: list[tuple[int, int]], run: tuple[int, int]) -> int | None:
        """Index of the run in `merged` that `run` continues: the same pose, and only excursions the
        arm came back from (and the steady moments within them) in between."""
        for k in range(len(merged) - 1, -1, -1):
            if self.same(merged[k], run):
                return None if self.left(merged[k], run[0]) else k
            if self.held(merged[k]):
                return None
        return None

    def pose(self, run: tuple[int, int], quick: bool = False) -> np.ndarray:
        key = (*run, quick)
        if key not in self._pose:
            # A few hundred samples spread over the run give its median as well as all of them.
            step = max(1, (run[1] - run[0]) // 256)
            p = median((self.quick if quick else self.up)[run[0] : run[1] : step])
            self._pose[key] = p / np.linalg.norm(p)
        return self._pose[key]

    def held(self, run: tuple[int, int]) -> bool:
        """Whether the arm held the run's pose for MIN_POSE_S, by the quick gravity: over a few seconds
        a run of rows blurs into what looks like a steady pose of its own, but the arm never stays there."""
        if run not in self._held:
            n = MIN_POSE_S * self.fs
            held = run[1] - run[0] >= n
            if held:
                cos = self.quick[run[0] : run[1]] @ self.pose(run, quick=True)
                held = longest_run(cos > np.cos(np.radians(POSE_CHANGE_DEG))) >= n
            self._held[run] = held
        return self._held[run]

    def same(self, r0: tuple[int, int], r1: tuple[int, int]) -> bool:
        """Two poses held for a while average out wobble and drift, so they may differ more and still
        be one; a steady moment is a return to a pose only if gravity comes right back to it (holding
        the hands in front to adjust the band is a pose of its own, not far from the working one)."""
        if self.held(r0) and self.held(r1):
            return bool(self.pose(r0) @ self.pose(r1) > np.cos(np.radians(SAME_POSE_DEG)))
        return bool(self.pose(r0, quick=True) @ self.pose(r1, quick=True) > np.cos(np.radians(BACK_DEG)))

    def back_at_end(self, run: tuple[int, int]) -> bool:
        """Whether the arm, away from the run's pose since the run ended, is back in it at the end of
        a live window, and was away for less than AWAY_S.

        The window's last samples cannot show a pose held yet (gravity is compared POSE_STEP_S
        apart), so a rep that tips the arm out of the pose would otherwise end the set until the
        arm had been still for a second or two after it; the replay joins the two as one pose.
        """
        n = len(self.up)
        b = run[1]
        if b >= n or n - b >= AWAY_S * self.fs:
            return False
        tail = self.quick[n - max(1, int(BACK_CHECK_S * self.fs)) :]
        return bool(np.all(tail @ self.pose(run) > np.cos(np.radians(BACK_DEG))))

    def left(self, run: tuple[int, int], stop: int) -> bool:
        """Whether the arm stayed away from the run's pose for AWAY_S or longer between its end and
        `stop`."""
        away = self.quick[run[1] : stop] @ self.pose(run) < np.cos(np.radians(BACK_DEG))
        return longest_run(away) >= AWAY_S * self.fs


def longest_run(mask: np.ndarray) -> int:
    """Length of the longest stretch of True in `mask`."""
    starts, stops = true_runs(mask)
    return int((stops - starts).max()) if len(starts) else 0


def set_windows(regions: list[Region], runs: list[tuple[int, int]], fs: float) -> list[Region]:
    """One window per arm pose that holds activity: the arms go up, the set is done, they come down.

    Within one pose, quiet stretches (a slow rowing rep, a long hold) do not split a set; a change of
    pose (arms lowered between sets, a new grip) always does.
    """
    margin = int(MARGIN_S * fs)
    windows: list[Region] = []
    claimed = [False] * len(regions)
    # The regions are sorted and apart (active_regions), so those a run overlaps lie side by side.
    starts = np.array([r.start for r in regions])
    stops = np.array([r.stop for r in regions])
    for a, b in runs:
        first, end = int(np.searchsorted(stops, a, "right")), int(np.searchsorted(starts, b, "left"))
        if first >= end:
            continue
        claimed[first:end] = [True] * (end - first)
        start = max(a - margin, regions[first].start)
        stop = min(b + margin, regions[end - 1].stop)
        windows.append(Region(start, stop))
    windows += [r for r, c in zip(regions, claimed) if not c]
    return sorted(windows, key=lambda r: r.start)
