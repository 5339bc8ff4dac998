"""Step 1: put a recording on a uniform time grid and mark where data is missing.

Resampling averages each channel over the grid cell (the trapezoid integral over it), so it
anti-aliases when downsampling from 416 Hz, tolerates timestamp jitter and upsamples 12.5 Hz
smoothly, all without a Python loop per sample.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

# LAPACK's banded triangular solve runs the filter's recursion in compiled code. scipy.signal would
# too, but importing it takes about half a second, as long as analysing an hour of recording.
from scipy.linalg.lapack import dtbtrs

from sensor.recording import Recording

from .stats import median

ANALYSIS_RATE_HZ = 50.0  # well above the few Hz of arm motion, cheap for 8-hour sessions


@dataclass
class UniformSignal:
    """Samples on a uniform grid; `valid` is False where the recording had no data."""

    t: np.ndarray  # (m,) seconds, t[k] = t0 + k / fs
    acc: np.ndarray  # (m, 3) m/s^2 including gravity
    gyro: np.ndarray  # (m, 3) rad/s
    valid: np.ndarray  # (m,) bool
    fs: float

    def __len__(self) -> int:
        return len(self.t)


MIN_GAP_S = 0.1
GAP_STEPS = 4.0


def gap_threshold_s(t: np.ndarray) -> float:
    """Spacing above which two samples are taken to have missing data between them: GAP_STEPS median
    steps, and at least MIN_GAP_S."""
    if len(t) < 3:
        return np.inf
    dt = np.diff(t)
    # More than half the steps this short: the median is too, and the floor decides. (Counting is
    # several times cheaper than the median, which the live pipeline would take at every analysis.)
    if 2 * np.count_nonzero(dt <= MIN_GAP_S / GAP_STEPS) > len(dt):
        return MIN_GAP_S
    return max(GAP_STEPS * float(median(dt)), MIN_GAP_S)


def _cell_means(t: np.ndarray, channels: tuple[np.ndarray, ...], edges: np.ndarray) -> list[np.ndarray]:
    """Mean of each (n, k) array in `channels` over each cell between `edges`, from the trapezoid
    running integral read (linearly) at the edges.

    The integral is never built: each cell adds up the trapezoids of the sample intervals it holds
    whole (np.add.reduceat, one pass) and the shares of the two intervals its edges cut. A running
    sum over hours of samples would cost several passes and lose digits to its size.
    """
    dt = np.diff(t)
    cut = np.searchsorted(t, edges, "right") - 1  # the interval [t[i], t[i + 1]) holding each edge
    np.clip(cut, 0, len(t) - 2, out=cut)
    # Trapezoid area of the cut interval's part before the edge = before * (x[i] + x[i + 1]).
    before = 0.5 * (edges - t[cut])
    first, last = int(cut[0]), int(cut[-1])
    starts = np.minimum(cut[:-1] - first, max(last - first - 1, 0))
    empty = cut[1:] == cut[:-1]  # both edges in one interval: no whole interval in the cell
    widths = np.diff(edges)
    step = np.empty(last - first)
    out = []
    for x in channels:
        means = np.empty((len(edges) - 1, x.shape[1]))
        ends = before[:, None] * (x.take(cut, axis=0) + x.take(cut + 1, axis=0))  # take: faster than x[cut]
        for c in range(x.shape[1]):
            col = x[:, c]
            if len(step):
                np.add(col[first + 1 : last + 1], col[first:last], out=step)
                step *= dt[first:last]
                whole = 0.5 * np.add.reduceat(step, starts)
                whole[empty] = 0.0
            else:
                whole = np.zeros(len(starts))
            means[:, c] = (whole + ends[1:, c] - ends[:-1, c]) / widths
        out.append(means)
    return out


def resample_uniform(rec: Recording, fs: float = ANALYSIS_RATE_HZ) -> UniformSignal:
    """Resample `rec` onto a uniform grid at `fs`, marking cells that fall in gaps as invalid.

    Short holes (up to the gap threshold) are bridged by the linear interpolation of the running
    integral; longer ones, and every gap the recording marks, leave their cells invalid (filled by
    linear interpolation only so that filters can run; callers must respect `valid`).
    """
    t = rec.t
    if len(t) < 2:
        raise ValueError("a recording needs at least two samples")
    n = int(np.floor((t[-1] - t[0]) * fs)) + 1
    acc, gyro = _cells(rec, fs, 0, n)
    return _uniform(rec, fs, acc, gyro)


def extend_uniform(prev: UniformSignal | None, rec: Recording, fs: float = ANALYSIS_RATE_HZ) -> UniformSignal:
    """`resample_uniform(rec, fs)`, reusing `prev`, made by it from the same recording before
    samples were added at its end (the live window between two analyses).

    Only the last cells of `prev` can change as samples arrive, so the cells before them are kept and
    the rest are worked out from the samples around them: the same values, to rounding. The valid
    mask is worked out again whole (the gap threshold follows the whole recording).
    """
    t = rec.t
    if prev is None or prev.fs != fs or len(prev) < 8 or len(t) < 8 or t[-1] < prev.t[-1]:
        return resample_uniform(rec, fs)
    n = int(np.floor((t[-1] - t[0]) * fs)) + 1
    keep = len(prev) - 3  # the last cells of prev were cut short by its end
    acc, gyro = _cells(rec, fs, keep, n)
    return _uniform(rec, fs, np.concatenate((prev.acc[:keep], acc)), np.concatenate((prev.gyro[:keep], gyro)))


def _cells(rec: Recording, fs: float, first: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Cell means of acc and gyro for cells `first` to `n` of the grid, from the samples around them."""
    t = rec.t
    i0 = max(0, int(np.searchsorted(t, t[0] + (first - 0.5) / fs)) - 1)
    grid = t[0] + np.arange(first, n) / fs
    edges = np.concatenate((grid - 0.5 / fs, [grid[-1] + 0.5 / fs]))
    edges = np.clip(edges, t[i0], t[-1])
    edges[-1] = max(edges[-1], edges[-2] + 1e-9)
    acc, gyro = _cell_means(t[i0:], (rec.acc[i0:], rec.gyro[i0:]), edges)
    # Zero-width cells at the clipped ends: take the nearest sample.
    narrow = np.diff(edges) < 0.25 / fs
    if narrow.any():
        idx = np.searchsorted(t, grid[narrow]).clip(0, len(t) - 1)
        acc[narrow], gyro[narrow] = rec.acc[idx], rec.gyro[idx]
    return acc, gyro


def _uniform(rec: Recording, fs: float, acc: np.ndarray, gyro: np.ndarray) -> UniformSignal:
    """The resampled signal, with the cells that fall in the recording's holes marked invalid."""
    grid = rec.t[0] + np.arange(len(acc)) / fs
    valid = np.ones(len(acc), dtype=bool)
    for start, end in _holes(rec):
        # The cells strictly inside the hole (a mask over the whole grid per hole costs seconds for
        # the hundreds of holes of a long recording).
        valid[np.searchsorted(grid, start, "right") : np.searchsorted(grid, end, "left")] = False
    return UniformSignal(grid - rec.t[0], acc, gyro, valid, fs)


def _holes(rec: Recording) -> list[tuple[float, float]]:
    t = rec.t
    dt = np.diff(t)
    big = np.flatnonzero(dt > gap_threshold_s(t))
    holes = [(float(t[i]), float(t[i + 1])) for i in big]
    holes += [(g.start_s, g.end_s) for g in rec.meta.gaps if g.end_s > g.start_s]
    return holes


def lowpass(x: np.ndarray, fs: float, cutoff_hz: float) -> np.ndarray:
    """Zero-phase 2nd-order Butterworth low-pass along axis 0 (no delay, so phase times stay put).

    The same filter as scipy.signal's `sosfiltfilt(butter(2, cutoff_hz, fs=fs, output="sos"), x,
    padlen=3 * fs / cutoff_hz)`: odd extension at both ends, each pass started in its steady state.
    """
    x = np.asarray(x, dtype=float)
    if len(x) < 16:
        return x.copy()
    b, a = _butter_low(float(cutoff_hz), float(fs))
    zi = _steady_state(b, a)
    pad = min(len(x) - 1, int(3 * fs / cutoff_hz))
    ext = np.concatenate((2 * x[0] - x[pad:0:-1], x, 2 * x[-1] - x[-2 : -pad - 2 : -1]))
    y = _biquad(ext, b, a, np.multiply.outer(zi, ext[0]))
    y = _biquad(y[::-1], b, a, np.multiply.outer(zi, y[-1]))[::-1]
    return y[pad : len(y) - pad]


@lru_cache(maxsize=64)
def _butter_low(cutoff_hz: float, fs: float) -> tuple[np.ndarray, np.ndarray]:
    """Numerator and denominator of the 2nd-order Butterworth low-pass (bilinear, pre-warped)."""
    k = math.tan(math.pi * cutoff_hz / fs)
    norm = 1.0 / (1.0 + math.sqrt(2.0) * k + k * k)
    b0 = k * k * norm
    a1 = 2.0 * (k * k - 1.0) * norm
    a2 = (1.0 - math.sqrt(2.0) * k + k * k) * norm
    return np.array([b0, 2.0 * b0, b0]), np.array([1.0, a1, a2])


def _steady_state(b: np.ndarray, a: np.ndarray) -> np.ndarray:
    """Filter state after a long run of ones (scipy.signal.lfilter_zi): no start-up transient."""
    c0 = b[1] - a[1] * b[0]
    c1 = b[2] - a[2] * b[0]
    z0 = (c0 + c1) / (1.0 + a[1] + a[2])
    return np.array([z0, c1 - a[2] * z0])


def _biquad(x: np.ndarray, b: np.ndarray, a: np.ndarray, state: np.ndarray) -> np.ndarray:
    """One pass of the filter along axis 0 from `state` (lfilter's direct form II transposed).

    y[n] + a1 y[n-1] + a2 y[n-2] = b0 x[n] + b1 x[n-1] + b2 x[n-2] (+ the state in the first two
    samples) is a lower-triangular banded system in y.
    """
    rhs = b[0] * x
    rhs[1:] += b[1] * x[:-1]
    rhs[2:] += b[2] * x[:-2]
    rhs[:2] += state
    band = np.empty((3, len(x)))
    band[0], band[1], band[2] = 1.0, a[1], a[2]
    y, _ = dtbtrs(band, rhs.reshape(len(x), -1), uplo="L", diag="U")
    return y.reshape(rhs.shape)


def invalid_runs(valid: np.ndarray) -> list[tuple[int, int]]:
    """(start, stop) index ranges where `valid` is False."""
    v = np.concatenate(([True], valid, [True]))
    d = np.diff(v.astype(np.int8))
    starts = np.flatnonzero(d == -1)
    stops = np.flatnonzero(d == 1)
    return list(zip(starts.tolist(), stops.tolist()))


def true_runs(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start (inclusive) and stop (exclusive) indices of every run of True in `mask`, in order.

    What `scipy.ndimage.find_objects(scipy.ndimage.label(mask)[0])` gives for a 1-D mask; importing
    scipy.ndimage alone takes longer than reading an hour of recording.
    """
    m = np.concatenate(([False], np.asarray(mask, dtype=bool), [False]))
    edges = np.flatnonzero(m[1:] != m[:-1])
    return edges[0::2], edges[1::2]


def moving_mean(x: np.ndarray, n: int) -> np.ndarray:
    """Mean of the `n` samples centred on each sample (the ends repeated beyond the signal).

    `scipy.ndimage.uniform_filter1d(x, n, mode="nearest")` to the last bit: the same running sum,
    added up in the same order (np.cumsum is sequential), divided by `n` at each sample.
    """
    x = np.asarray(x, dtype=float)
    n = max(1, int(n))
    if len(x) == 0:
        return x.copy()
    before = n // 2
    ext = np.concatenate((np.full(before, x[0]), x, np.full(n - 1 - before, x[-1])))
    # The first window's sum, then what enters and leaves the window at each step.
    terms = np.concatenate((ext[:n], ext[n:] - ext[:-n]))
    return np.cumsum(terms)[n - 1 :] / n


def fill_short_gaps(mask: np.ndarray, max_len: int) -> np.ndarray:
    """`mask` with every run of False shorter than `max_len` between two Trues set to True.

    (A morphological closing would also eat into the mask at the ends of the array.)
    """
    out = mask.copy()
    for a, b in invalid_runs(mask):
        if a > 0 and b < len(mask) and b - a < max_len:
            out[a:b] = True
    return out
