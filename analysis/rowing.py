"""Rowing: the hands pulled straight back with bent elbows instead of opened in an arc.

At the wrist a row barely turns the forearm about the vertical; what it does turn is about a
horizontal axis (the elbow bending, the forearm tipping). So a rep whose rotation is mostly
horizontal is a row, and a row that leaves almost no vertical trace is found as an excursion of the
rotation about the set's main horizontal axis instead.
"""

from __future__ import annotations

import math

import numpy as np

from .orientation import remove_bias
from .reps import Rep, find_reps, span

VERTICAL_SHARE = 0.6  # below this share of the rotation about the vertical, a rep is a row
MIN_ROW_DEG = 15.0
BASELINE_S = 8.0


def horizontal_excursion_rate(gyro: np.ndarray, axis: np.ndarray, ok: np.ndarray, fs: float) -> np.ndarray:
    """Rate of change (rad/s) of how far the arm has turned about horizontal axes from its usual pose.

    Rows tip the forearm about whatever horizontal axis the elbow and grip give, not one fixed axis,
    so the turn is followed in both horizontal directions and measured against a running median
    (the pose the arm keeps between reps).
    """
    e1 = _cross(axis, (1.0, 0.0, 0.0) if abs(axis[0]) < 0.9 else (0.0, 1.0, 0.0))
    e1 /= np.linalg.norm(e1)
    e2 = _cross(axis, e1)
    horiz = np.column_stack((gyro @ e1, gyro @ e2))
    horiz = remove_bias(horiz, gyro, fs, min_still_s=1.0)
    horiz[~ok] = 0.0
    theta = np.degrees(np.cumsum(horiz, axis=0) / fs)
    base = running_median(theta, fs, BASELINE_S)
    excursion = np.linalg.norm(theta - base, axis=1)
    return np.radians(np.gradient(excursion) * fs)


def _cross(a, b) -> np.ndarray:
    """np.cross of two 3-vectors, without its checks and reshaping (which cost more than the sum)."""
    return np.array([a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]])


def running_median(x: np.ndarray, fs: float, window_s: float, step_s: float = 0.2) -> np.ndarray:
    """Running median of each column over `window_s`, taken every `step_s` and interpolated back
    (a slowly moving baseline does not need one median per sample, which costs 40x more)."""
    step = max(1, int(step_s * fs))
    coarse = x[::step]
    size = max(1, int(window_s / (step / fs)))
    med = _median_filter(coarse, size)
    idx = np.arange(len(x))
    return np.column_stack([np.interp(idx, idx[::step], med[:, c]) for c in range(x.shape[1])])


def _median_filter(x: np.ndarray, size: int) -> np.ndarray:
    """scipy.ndimage.median_filter(x, size=(size, 1), mode="nearest"): the sample of rank size // 2
    in each window (the upper median when `size` is even), the ends repeated. A partition of every
    window at once is several times faster on these short, coarse series."""
    h = size // 2
    padded = np.concatenate((np.repeat(x[:1], h, axis=0), x, np.repeat(x[-1:], size - 1 - h, axis=0)))
    rows, cols = padded.strides
    # Every window as a view, (len(x), size, columns); sliding_window_view does the same more slowly.
    windows = np.lib.stride_tricks.as_strided(padded, (len(x), size, x.shape[1]), (rows, rows, cols))
    return np.partition(windows, h, axis=1)[:, h]


def vertical_share(t: np.ndarray, rate_v: np.ndarray, gyro_norm: np.ndarray, rep: Rep) -> float:
    """Share of the rep's rotation (path length) that is about the vertical."""
    sel = span(t, rep.start_s, rep.end_s)
    total = float(np.sum(gyro_norm[sel]))
    return float(np.sum(np.abs(rate_v[sel]))) / total if total > 0 else 1.0


def find_rows(t: np.ndarray, rate_h: np.ndarray, fs: float, taken: list[Rep]) -> list[Rep]:
    """Excursions about horizontal axes that no pull-apart rep already explains."""
    rows = []
    for r in find_reps(t, rate_h, fs, min_deg=MIN_ROW_DEG):
        overlap = max((min(r.end_s, o.end_s) - max(r.start_s, o.start_s) for o in taken), default=0.0)
        if overlap < 0.3 * (r.end_s - r.start_s):
            rows.append(r)
    return rows


def propagated_arc(
    t: np.ndarray, gyro: np.ndarray, up0: np.ndarray, fs: float, rep: Rep, sign: float
) -> float:
    """Outward arc (degrees) about the true vertical through one rep, following the vertical with the
    gyro from the rep's start.

    In a row the arm tips, so a vertical fixed for the set (or low-passed from the accelerometer)
    misses part of the sweep; over a few seconds the gyro alone carries the vertical accurately.
    Only rows take this per-sample loop, a handful per set.
    """
    i0 = max(0, int(np.searchsorted(t, rep.start_s)) - 1)
    i1 = min(len(t) - 1, int(np.searchsorted(t, rep.end_s)))
    ux, uy, uz = (float(c) for c in up0 / np.linalg.norm(up0))
    dt = 1.0 / fs
    arc, best = 0.0, 0.0
    # Plain floats: numpy's overhead on 3-vectors is many times the arithmetic.
    for wx, wy, wz in gyro[i0:i1].tolist():
        arc += sign * (wx * ux + wy * uy + wz * uz) * dt
        best = max(best, arc)
        # The vertical is fixed in the world, so in the sensor frame it turns by -w dt (Rodrigues).
        rate = math.sqrt(wx * wx + wy * wy + wz * wz)
        if rate > 0:
            angle = rate * dt
            kx, ky, kz = -wx / rate, -wy / rate, -wz / rate
            c, s = math.cos(angle), math.sin(angle)
            along = (kx * ux + ky * uy + kz * uz) * (1 - c)
            ux, uy, uz = (
                ux * c + (ky * uz - kz * uy) * s + kx * along,
                uy * c + (kz * ux - kx * uz) * s + ky * along,
                uz * c + (kx * uy - ky * ux) * s + kz * along,
            )
    return float(np.degrees(best))
