"""Step 2: the vertical axis in the sensor frame, and the rotation about it.

A pull-apart turns the arm about the vertical axis through the shoulder, so the gyro component
along "up" is the sweep whatever the grip, the wrist, the strap or the arm segment the sensor is on.
Up is what the accelerometer reads at rest (specific force, Android convention).
"""

from __future__ import annotations

import numpy as np

from .clean import lowpass
from .stats import median

GRAVITY_CUTOFF_HZ = 0.3
TRACK_CUTOFF_HZ = 1.0
STILL_RATE = 0.15  # rad/s: slower than this counts as holding still (for the gyro bias)


def unit(v: np.ndarray) -> np.ndarray:
    n = np.linalg.norm(v, axis=-1, keepdims=True)
    return v / np.where(n > 0, n, 1.0)


def gravity_up(acc: np.ndarray, fs: float, cutoff_hz: float = GRAVITY_CUTOFF_HZ) -> np.ndarray:
    """Unit 'up' vector per sample, from the zero-phase low-passed accelerometer."""
    return unit(lowpass(acc, fs, cutoff_hz))


def vertical_rate(gyro: np.ndarray, up: np.ndarray) -> np.ndarray:
    """Angular rate about the vertical (rad/s); positive is counter-clockwise seen from above."""
    return np.einsum("ij,ij->i", gyro, up) if up.ndim == 2 else gyro @ up


def steady_up(acc: np.ndarray, gyro: np.ndarray, fs: float) -> np.ndarray:
    """One up vector for a stretch where the arm only turns about the vertical (a set)."""
    return sweep_fit(acc, gyro, fs)[0]


def sweep_fit(acc: np.ndarray, gyro: np.ndarray, fs: float) -> tuple[np.ndarray, float]:
    """Up vector and sweep radius (m) of a stretch where the arm turns about the vertical.

    The sensor swings on a radius (half a metre or more at the wrist, about 0.15 m on the upper
    arm), so the accelerometer also reads a centripetal part (rate squared times radius) and a
    tangential part (angular acceleration times radius), both horizontal and fixed in the sensor
    frame. A least-squares fit of the accelerometer on [1, w^2, dw/dt] separates them from gravity,
    the constant term; a plain average would tilt up towards the shoulder by up to 20 degrees in
    fast reps and shrink the measured range. The w^2 coefficient's size is the radius.
    """
    coef, _, _ = _swing_fit(acc, gyro, fs)
    return unit(coef[0]), float(np.linalg.norm(coef[1]))


def _swing_fit(acc: np.ndarray, gyro: np.ndarray, fs: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Least-squares fit of the accelerometer on [1, w^2, dw/dt]: (coefficients (3, 3), w, dw/dt)."""
    w = gyro @ unit(median(acc))
    dw = np.gradient(w) * fs
    design = np.column_stack((np.ones_like(w), w * w, dw))
    # The 3 x 3 normal equations: lstsq's SVD of the whole stretch costs several times more. pinv: a
    # stretch without swing leaves them singular, and the fit stays finite (as in sweep_radius).
    coef = np.linalg.pinv(design.T @ design) @ (design.T @ acc)
    return coef, w, dw


def tracked_up(
    acc: np.ndarray, gyro: np.ndarray, fs: float, cutoff_hz: float = TRACK_CUTOFF_HZ
) -> np.ndarray:
    """Up per sample for a set, following the arm when it leaves the working pose for a moment.

    The swing's centripetal and tangential parts (fitted as in `sweep_fit`) are taken out of the
    accelerometer first, so it can be low-passed far less than a raw one and still read gravity.
    """
    coef, w, dw = _swing_fit(acc, gyro, fs)
    gravity = acc - np.outer(w * w, coef[1]) - np.outer(dw, coef[2])
    return unit(lowpass(gravity, fs, cutoff_hz))


def remove_bias(rate: np.ndarray, gyro: np.ndarray, fs: float, min_still_s: float = 0.5) -> np.ndarray:
    """Subtract the gyro bias from `rate` (any rate derived from `gyro`, one or more columns),
    measured as its median while the arm is held still, when it was still for `min_still_s`."""
    still = np.linalg.norm(gyro, axis=1) < STILL_RATE
    if still.sum() < min_still_s * fs:
        return rate
    return rate - median(rate[still])


def dominant_axis(gyro: np.ndarray, prefer: np.ndarray | None = None) -> np.ndarray:
    """Principal rotation axis of a stretch of gyro samples (sign: towards `prefer` if given)."""
    g = gyro - gyro.mean(axis=0)
    _, _, vt = np.linalg.svd(g, full_matrices=False)
    axis = vt[0]
    if prefer is not None and axis @ prefer < 0:
        axis = -axis
    return axis
