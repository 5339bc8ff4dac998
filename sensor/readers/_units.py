"""Units: parse them from header text, and check them against what the values look like.

An accelerometer that includes gravity reads about 1 in g and about 9.8 in m/s^2 at its median,
whatever the motion, so a wrong label is caught reliably. Gyroscopes have no such anchor; the only
check is that rad/s values beyond ~40 (2300 deg/s) are not plausible for a human wrist.
"""

from __future__ import annotations

import math
import re

import numpy as np

from sensor.errors import InputError
from sensor.recording import STANDARD_GRAVITY

ACC_UNITS = {"m/s^2": 1.0, "g": STANDARD_GRAVITY}
GYRO_UNITS = {"rad/s": 1.0, "deg/s": math.pi / 180.0}
TIME_UNITS = {"s": 1.0, "ms": 1e-3, "us": 1e-6, "ns": 1e-9}

# Median |acc| ranges that identify the unit of a stream that includes gravity.
_G_RANGE = (0.5, 2.0)
_MPS2_RANGE = (5.0, 20.0)
GYRO_RAD_LIMIT = 40.0  # 99th percentile |rad/s| above this is deg/s mislabelled

_UNIT_ALIASES = {
    "m/s^2": "m/s^2",
    "m/s2": "m/s^2",
    "m/s²": "m/s^2",
    "ms^-2": "m/s^2",
    "ms-2": "m/s^2",
    "mps2": "m/s^2",
    "ms2": "m/s^2",
    "m/s/s": "m/s^2",
    "meters/s^2": "m/s^2",
    "m*s^-2": "m/s^2",
    "g": "g",
    "gs": "g",
    "gravity": "g",
    "g0": "g",
    "rad/s": "rad/s",
    "rads": "rad/s",
    "rad/sec": "rad/s",
    "rps": "rad/s",
    "radps": "rad/s",
    "rad_s": "rad/s",
    "deg/s": "deg/s",
    "degs": "deg/s",
    "dps": "deg/s",
    "°/s": "deg/s",
    "deg/sec": "deg/s",
    "degps": "deg/s",
    "deg_s": "deg/s",
    "degrees/s": "deg/s",
    "s": "s",
    "sec": "s",
    "secs": "s",
    "seconds": "s",
    "second": "s",
    "ms": "ms",
    "msec": "ms",
    "millis": "ms",
    "milliseconds": "ms",
    "us": "us",
    "µs": "us",
    "μs": "us",
    "usec": "us",
    "micros": "us",
    "microseconds": "us",
    "ns": "ns",
    "nsec": "ns",
    "nanos": "ns",
    "nanoseconds": "ns",
}


def canonical_unit(text: str | None) -> str | None:
    """'m/s^2', 'g', 'rad/s', 'deg/s', 's', 'ms', 'us', 'ns', or None if not a unit we know."""
    if text is None:
        return None
    t = text.strip().lower().replace(" ", "")
    return _UNIT_ALIASES.get(t)


def bracket_unit(name: str) -> tuple[str, str | None]:
    """Split 'ax (m/s^2)' or 'gyro_x [deg/s]' into ('ax', 'm/s^2'); unit text is raw."""
    m = re.match(r"^(.*?)[\s_]*[\(\[]([^\)\]]*)[\)\]]\s*$", name)
    if m:
        return m.group(1).strip(), m.group(2).strip()
    return name.strip(), None


def median_norm(xyz: np.ndarray) -> float:
    """Median vector length, on at most ~100k rows: enough for a robust median, fast on 12M rows."""
    step = max(1, len(xyz) // 100_000)
    v = xyz[::step]
    with np.errstate(over="ignore"):  # a corrupt cell of 1e300 squares to inf; the median stands
        return float(np.median(np.sqrt((v * v).sum(axis=1)))) if len(v) else 0.0


def looks_like_acc_unit(xyz: np.ndarray) -> str | None:
    """'g' or 'm/s^2' for a stream that includes gravity, None if its size fits neither."""
    m = median_norm(xyz)
    if _G_RANGE[0] <= m <= _G_RANGE[1]:
        return "g"
    if _MPS2_RANGE[0] <= m <= _MPS2_RANGE[1]:
        return "m/s^2"
    return None


def acc_factor(
    xyz: np.ndarray,
    declared: str | None,
    display: str,
    column: str | None,
    *,
    labelled: bool = True,
    with_gravity: bool = True,
    how_to_fix: str = "",
    label_source: str = "the header",
) -> tuple[float, str | None]:
    """Factor to m/s^2 and an optional note. Mislabelled streams raise InputError.

    `labelled` means a header or the user said the unit: a mismatch is then an error. Otherwise the
    unit is the format's documented default and the values decide, with a note.
    """
    seen = looks_like_acc_unit(xyz) if with_gravity else None
    if declared is None:
        if seen is None:
            raise InputError(
                display,
                "cannot tell the accelerometer unit (m/s^2 or g) from the values and the header does not say"
                + (f"; {how_to_fix}" if how_to_fix else ""),
                column=column,
            )
        return ACC_UNITS[seen], None
    if seen is not None and seen != declared:
        if labelled:
            raise InputError(
                display, f"values look like {seen} but {label_source} says {declared}", column=column
            )
        return ACC_UNITS[seen], f"accelerometer values look like {seen}, not {declared}: read as {seen}"
    return ACC_UNITS[declared], None


def gyro_factor(
    xyz: np.ndarray,
    declared: str | None,
    display: str,
    column: str | None,
    *,
    labelled: bool = True,
    how_to_fix: str = "",
    label_source: str = "the header",
) -> tuple[float, str | None]:
    """Factor to rad/s and an optional note; rad/s labels on deg/s-sized values raise InputError."""
    step = max(1, len(xyz) // 100_000)
    p99 = float(np.percentile(np.abs(xyz[::step]), 99)) if len(xyz) else 0.0
    if declared is None:
        raise InputError(
            display,
            "the gyroscope unit (rad/s or deg/s) is not in the header"
            + (f"; {how_to_fix}" if how_to_fix else ""),
            column=column,
        )
    if declared == "rad/s" and p99 > GYRO_RAD_LIMIT:
        if labelled:
            raise InputError(
                display,
                f"values look like deg/s (99th percentile {p99:.0f}) but {label_source} says rad/s",
                column=column,
            )
        return GYRO_UNITS[
            "deg/s"
        ], f"gyroscope values are too large for rad/s (99th percentile {p99:.0f}): read as deg/s"
    return GYRO_UNITS[declared], None
