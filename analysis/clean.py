"""Step 1: put a recording on a uniform time grid and mark where data is missing.

Resampling averages each channel over the grid cell (through its running integral), so it
anti-aliases when downsampling from 416 Hz, tolerates timestamp jitter and upsamples 12.5 Hz
smoothly, all without a Python loop per sample.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from scipy import signal as sps

from sensor.recording import Recording

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


def gap_threshold_s(t: np.ndarray) -> float:
    """Spacing above which two samples are taken to have missing data between them."""
    if len(t) < 3:
        return np.inf
    return max(4.0 * float(np.median(np.diff(t))), 0.1)


def _cell_means(t: np.ndarray, x: np.ndarray, edges: np.ndarray) -> np.ndarray:
    # Running trapezoid integral of each channel, read at the cell edges and differenced.
    dt = np.diff(t)
    out = np.empty((len(edges) - 1, x.shape[1]))
    area = np.zeros(len(t))
    step = np.empty(len(t) - 1)
    widths = np.diff(edges)
    for c in range(x.shape[1]):
        col = np.ascontiguousarray(x[:, c])
        np.add(col[1:], col[:-1], out=step)
        step *= dt
        np.cumsum(step, out=area[1:])
        out[:, c] = np.diff(np.interp(edges, t, area)) * 0.5 / widths
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
    grid = t[0] + np.arange(n) / fs
    edges = np.concatenate((grid - 0.5 / fs, [grid[-1] + 0.5 / fs]))
    edges = np.clip(edges, t[0], t[-1])
    edges[-1] = max(edges[-1], edges[-2] + 1e-9)
    acc = _cell_means(t, rec.acc, edges)
    gyro = _cell_means(t, rec.gyro, edges)
    # Zero-width cells at the clipped ends: take the nearest sample.
    narrow = np.diff(edges) < 0.25 / fs
    if narrow.any():
        idx = np.searchsorted(t, grid[narrow]).clip(0, len(t) - 1)
        acc[narrow], gyro[narrow] = rec.acc[idx], rec.gyro[idx]

    valid = np.ones(n, dtype=bool)
    holes = _holes(rec)
    for start, end in holes:
        valid[(grid > start) & (grid < end)] = False
    return UniformSignal(grid - t[0], acc, gyro, valid, fs)


def _holes(rec: Recording) -> list[tuple[float, float]]:
    t = rec.t
    dt = np.diff(t)
    big = np.flatnonzero(dt > gap_threshold_s(t))
    holes = [(float(t[i]), float(t[i + 1])) for i in big]
    holes += [(g.start_s, g.end_s) for g in rec.meta.gaps if g.end_s > g.start_s]
    return holes


def lowpass(x: np.ndarray, fs: float, cutoff_hz: float, order: int = 2) -> np.ndarray:
    """Zero-phase Butterworth low-pass along axis 0 (no delay, so phase times stay put)."""
    if len(x) < 16:
        return np.array(x, dtype=float)
    sos = _butter_low(order, float(cutoff_hz), float(fs))
    padlen = min(len(x) - 1, int(3 * fs / cutoff_hz))
    return sps.sosfiltfilt(sos, x, axis=0, padlen=padlen)


@lru_cache(maxsize=64)
def _butter_low(order: int, cutoff_hz: float, fs: float) -> np.ndarray:
    # The same few filters are designed over and over (one per set): design each once.
    return sps.butter(order, cutoff_hz, btype="low", fs=fs, output="sos")


def invalid_runs(valid: np.ndarray) -> list[tuple[int, int]]:
    """(start, stop) index ranges where `valid` is False."""
    v = np.concatenate(([True], valid, [True]))
    d = np.diff(v.astype(np.int8))
    starts = np.flatnonzero(d == -1)
    stops = np.flatnonzero(d == 1)
    return list(zip(starts.tolist(), stops.tolist()))


def fill_short_gaps(mask: np.ndarray, max_len: int) -> np.ndarray:
    """`mask` with every run of False shorter than `max_len` between two Trues set to True.

    (A morphological closing would also eat into the mask at the ends of the array.)
    """
    out = mask.copy()
    for a, b in invalid_runs(mask):
        if a > 0 and b < len(mask) and b - a < max_len:
            out[a:b] = True
    return out
