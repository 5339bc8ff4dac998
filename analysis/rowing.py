"""Rowing: the hands pulled straight back with bent elbows instead of opened in an arc.

At the wrist a row barely turns the forearm about the vertical; what it does turn is about a
horizontal axis (the elbow bending, the forearm tipping). So a rep whose rotation is mostly
horizontal is a row, and a row that leaves almost no vertical trace is found as an excursion of the
rotation about the set's main horizontal axis instead.
"""

from __future__ import annotations

import numpy as np

from .orientation import dominant_axis
from .reps import Rep, find_reps

VERTICAL_SHARE = 0.6  # below this share of the rotation about the vertical, a rep is a row
MIN_ROW_DEG = 15.0


def horizontal_rate(gyro: np.ndarray, axis: np.ndarray, steady: np.ndarray) -> np.ndarray:
    """Rate about the main horizontal rotation axis of the set (rad/s)."""
    horiz = gyro - np.outer(gyro @ axis, axis)
    sel = horiz[steady] if steady.sum() > 10 else horiz
    return horiz @ dominant_axis(sel)


def vertical_share(t: np.ndarray, rate_v: np.ndarray, gyro_norm: np.ndarray, rep: Rep) -> float:
    """Share of the rep's rotation (path length) that is about the vertical."""
    sel = (t >= rep.start_s) & (t <= rep.end_s)
    total = float(np.sum(gyro_norm[sel]))
    return float(np.sum(np.abs(rate_v[sel]))) / total if total > 0 else 1.0


def find_rows(
    t: np.ndarray, rate_h: np.ndarray, fs: float, sign: float, taken: list[Rep]
) -> list[Rep]:
    """Excursions about the horizontal axis that no pull-apart rep already explains."""
    rows = []
    for r in find_reps(t, sign * rate_h, fs, min_deg=MIN_ROW_DEG):
        overlap = max((min(r.end_s, o.end_s) - max(r.start_s, o.start_s) for o in taken), default=0.0)
        if overlap < 0.3 * (r.end_s - r.start_s):
            rows.append(r)
    return rows
