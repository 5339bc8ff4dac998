"""Time-base repair for real sensor exports: pure functions on arrays, no file knowledge.

Real exports stamp several samples with the same millisecond, jitter a little backwards, stamp
samples in bursts when they arrive, and lose stretches of samples. `repair_time_axis` and
`even_out_bursts` turn such a column into a strictly increasing, evenly spaced axis and `find_gaps`
lists the holes that analysis must not interpolate across.

Files can hold tens of millions of samples, and every full-length temporary costs memory and
time, so the step array is computed once where possible and medians use a strided subsample.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# A hole counts as a gap when it is this many median intervals long and longer than GAP_MIN_S.
GAP_FACTOR = 3.0
GAP_MIN_S = 0.2
# Stamps are "bursty" when the median step is below this fraction of the mean step.
BURST_RATIO = 0.85
# Medians are taken on at most this many steps: plenty for a robust estimate.
_MEDIAN_SAMPLES = 1_000_000


class TimeWentBackwards(ValueError):
    """The time column steps back by more than jitter; `index` is the offending sample."""

    def __init__(self, index: int, step_s: float, tolerance_s: float):
        self.index = index
        self.step_s = step_s
        self.tolerance_s = tolerance_s
        # A corrupt stamp can be 1e300 s off: no 300 digits in a one-line error.
        step = f"{step_s:.3f}" if step_s < 1e6 else f"{step_s:.3g}"
        super().__init__(f"time goes back by {step} s (more than the {tolerance_s:.3f} s allowed for jitter)")


@dataclass
class TimeRepair:
    """What `repair_time_axis` changed, for the recording's notes."""

    shared: int = 0  # samples that shared a timestamp with the one before
    backwards: int = 0  # samples stamped slightly earlier than the one before (jitter)


def _median(x: np.ndarray) -> float:
    step = max(1, len(x) // _MEDIAN_SAMPLES)
    return float(np.median(x[::step]))


def median_positive_step(t: np.ndarray, steps: np.ndarray | None = None) -> float:
    """Median of the positive steps: duplicates (step 0) would otherwise pull it to zero."""
    if len(t) < 2:
        return 0.0
    d = np.diff(t) if steps is None else steps
    d = d[:: max(1, len(d) // _MEDIAN_SAMPLES)]
    d = d[d > 0]
    return float(np.median(d)) if len(d) else 0.0


def jitter_tolerance(t: np.ndarray, steps: np.ndarray | None = None) -> float:
    """How far back a timestamp may step before it is an error rather than jitter."""
    return max(3.0 * median_positive_step(t, steps), 0.010)


def first_backward_jump(t: np.ndarray, tolerance_s: float) -> int | None:
    """Index of the first sample earlier than any before it by more than `tolerance_s`."""
    if len(t) < 2:
        return None
    running_max = np.maximum.accumulate(t)
    bad = np.flatnonzero(t[1:] < running_max[:-1] - tolerance_s)
    return int(bad[0]) + 1 if len(bad) else None


def spread_duplicate_timestamps(t: np.ndarray) -> np.ndarray:
    """Spread samples that share a timestamp evenly up to the next distinct timestamp.

    `t` must be non-decreasing. A run of k equal stamps at t0 followed by t1 becomes
    t0, t0 + (t1-t0)/k, ..., so the result is strictly increasing. The last run has no next stamp;
    it continues at the median per-sample spacing of the other runs.
    """
    t = np.asarray(t, dtype=np.float64)
    n = len(t)
    if n < 2:
        return t.copy()
    step = np.diff(t)
    if np.all(step > 0):
        return t.copy()
    starts = np.flatnonzero(np.r_[True, step > 0])
    lengths = np.diff(np.r_[starts, n])
    run_t = t[starts]
    if len(starts) > 1:
        period = _median(np.diff(run_t) / lengths[:-1])
    else:  # every sample shares one stamp: no rate to spread with, use 1 s steps
        period = 1.0
    next_t = np.r_[run_t[1:], run_t[-1] + period * lengths[-1]]
    width = (next_t - run_t) / lengths
    run_of = np.repeat(np.arange(len(starts)), lengths)
    pos = np.arange(n) - starts[run_of]
    return run_t[run_of] + pos * width[run_of]


def repair_time_axis(t: np.ndarray, tolerance_s: float | None = None) -> tuple[np.ndarray, TimeRepair]:
    """Strictly increasing copy of `t` (seconds): jitter clamped, shared stamps spread.

    Raises `TimeWentBackwards` when a stamp is earlier than an earlier one by more than the
    tolerance: that is a broken or concatenated file, not jitter, and guessing would hide it.
    """
    t = np.array(t, dtype=np.float64)
    repair = TimeRepair()
    if len(t) < 2:
        return t, repair
    step = np.diff(t)
    if step.min() > 0:  # the common case: already strictly increasing
        return t, repair
    tol = jitter_tolerance(t, step) if tolerance_s is None else tolerance_s
    bad = first_backward_jump(t, tol)
    if bad is not None:
        running_max = np.maximum.accumulate(t[:bad])
        raise TimeWentBackwards(bad, float(running_max[-1] - t[bad]), tol)
    repair.backwards = int(np.count_nonzero(step < 0))
    repair.shared = int(np.count_nonzero(step == 0))
    return spread_duplicate_timestamps(np.maximum.accumulate(t)), repair


def mean_step(t: np.ndarray, min_gap_s: float = GAP_MIN_S, steps: np.ndarray | None = None) -> float:
    """Mean step outside holes: the true sampling period even when stamps are bunched or shared."""
    if len(t) < 2:
        return 0.0
    d = np.diff(t) if steps is None else steps
    limit = max(GAP_FACTOR * (float(t[-1] - t[0]) / (len(t) - 1)), min_gap_s)
    big = d > limit
    if not big.any():
        return float(t[-1] - t[0]) / (len(t) - 1)
    inside = d[~big]
    return float(np.mean(inside)) if len(inside) else float(np.mean(d))


def even_out_bursts(
    t: np.ndarray, ratio: float = BURST_RATIO, steps: np.ndarray | None = None
) -> tuple[np.ndarray, float]:
    """Re-space samples evenly between holes when their stamps come in bursts.

    Some devices stamp samples when a batch arrives, not when each was taken: e.g. three samples
    1-2 ms apart, then 27 ms of nothing, at a true 100 Hz. The median step then claims 333 Hz and
    every filter designed from it is wrong. A sensor samples at a constant rate between dropouts, so
    when the median step is below `ratio` times the mean step, each stretch between holes gets an
    even grid from its first to its last stamp. Returns (t, largest shift in seconds); the shift is
    0 when the stamps were left alone.
    """
    t = np.asarray(t, dtype=np.float64)
    if len(t) < 10:
        return t, 0.0
    d = np.diff(t) if steps is None else steps
    period = mean_step(t, steps=d)
    if period <= 0 or median_positive_step(t, d) >= ratio * period:
        return t, 0.0
    holes = np.flatnonzero(d > max(GAP_FACTOR * period, GAP_MIN_S))
    edges = np.r_[0, holes + 1, len(t)]
    out = t.copy()
    for a, b in zip(edges[:-1], edges[1:], strict=True):
        if b - a >= 3:
            out[a:b] = np.linspace(t[a], t[b - 1], b - a)
    return out, float(np.max(np.abs(out - t)))


def find_gaps(
    t: np.ndarray, factor: float = GAP_FACTOR, min_gap_s: float = GAP_MIN_S, steps: np.ndarray | None = None
) -> np.ndarray:
    """Indices i where t[i] -> t[i+1] is a hole: longer than `factor` median steps and `min_gap_s`."""
    if len(t) < 3:
        return np.zeros(0, dtype=np.int64)
    d = np.diff(t) if steps is None else steps
    limit = max(factor * _median(d), min_gap_s)
    return np.flatnonzero(d > limit)
