"""`generic-csv`: any CSV whose header names a time column and the six axes with their units.

Examples it understands: `ax (m/s^2)`, `gyro_x [deg/s]`, `acc_x_g`, `gyroX(rad/s)`, `accel_x_mps2`,
time as `time`, `timestamp`, `t`, `time_s`, `epoch_ms`. The `columns` option maps roles
(t, ax, ay, az, gx, gy, gz) to column names; `units` maps acc, gyro and t to units. The time unit,
when not given, is read off the values: epoch magnitudes first, else the step that gives a
plausible sample rate.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np

from sensor.errors import InputError
from sensor.recording import Recording, RecordingMeta

from ._build import build_recording, epoch_of, repair_time
from ._csvio import Head, is_number, read_table, split_fields
from ._units import (
    ACC_UNITS,
    GYRO_UNITS,
    TIME_UNITS,
    acc_factor,
    bracket_unit,
    canonical_unit,
    gyro_factor,
)

NAME = "generic-csv"
ROLES = ("t", "ax", "ay", "az", "gx", "gy", "gz")
_ACC_WORDS = r"(?:a|acc|accl|accel|acceleration|accelerometer|totalacc|totalacceleration|imuacc)"
_GYRO_WORDS = r"(?:g|gy|gyr|gyro|gyros|gyroscope|w|omega|rot|rotationrate|angularvelocity|angvel|imugyro)"
_ACC_RE = [re.compile(rf"^{_ACC_WORDS}([xyz])(?:axis)?$"), re.compile(rf"^([xyz])(?:axis)?{_ACC_WORDS}$")]
_GYRO_RE = [re.compile(rf"^{_GYRO_WORDS}([xyz])(?:axis)?$"), re.compile(rf"^([xyz])(?:axis)?{_GYRO_WORDS}$")]
_AXIS_RE = re.compile(r"^([xyz])(?:axis)?$")
_TIME_RE = re.compile(
    r"^(?:t|ts|time\w*|timestamp\w*|epoch\w*|unix\w*|elapsed\w*|seconds|secs?|millis\w*|clock)$"
)
_SUFFIX_UNITS = (
    "mps2",
    "ms2",
    "m_s2",
    "m_s_2",
    "g",
    "rads",
    "rad_s",
    "dps",
    "degs",
    "deg_s",
    "s",
    "sec",
    "ms",
    "us",
    "ns",
)
_EPOCH_RANGES = {"s": (9.0e8, 4.1e9), "ms": (9.0e11, 4.1e12), "us": (9.0e14, 4.1e15), "ns": (9.0e17, 4.1e18)}
HOW_COLUMNS = "pass --columns t=NAME,ax=NAME,... to name them"


def _split_unit(name: str) -> tuple[str, str | None]:
    """('acc_x', 'g') from 'acc_x_g', 'acc_x (g)' or 'acc_x [g]'; unit is canonical or None."""
    base, raw = bracket_unit(name)
    if raw is not None:
        return base, canonical_unit(raw) or raw
    low = base.lower()
    for suf in sorted(_SUFFIX_UNITS, key=len, reverse=True):
        for sep in ("_", " ", "-"):
            if low.endswith(sep + suf) and len(low) > len(suf) + 1:
                unit = canonical_unit(suf.replace("_", "/", 1) if suf in ("m_s2", "rad_s", "deg_s") else suf)
                unit = unit or canonical_unit(suf.replace("_", ""))
                if suf == "m_s_2":
                    unit = "m/s^2"
                if unit:
                    return base[: -len(suf) - 1], unit
    return base, None


def parse_column(name: str) -> tuple[str | None, str | None]:
    """(role, unit) for a header name: role is one of ROLES or None."""
    base, unit = _split_unit(name)
    key = re.sub(r"[^a-z0-9]", "", base.lower())
    if _TIME_RE.match(key):
        if unit is None and key.startswith("millis"):
            unit = "ms"
        return "t", unit if unit in TIME_UNITS else None
    for rx in _ACC_RE:
        m = rx.match(key)
        if m:
            return "a" + m.group(1), unit
    for rx in _GYRO_RE:
        m = rx.match(key)
        if m:
            return "g" + m.group(1), unit
    m = _AXIS_RE.match(key)
    if m and unit in ACC_UNITS:
        return "a" + m.group(1), unit
    if m and unit in GYRO_UNITS:
        return "g" + m.group(1), unit
    return None, unit


def claims(head: Head) -> bool:
    if head.headerless or not head.fields:
        return False
    roles = {parse_column(f)[0] for f in head.fields}
    return set(ROLES) <= roles


def _check_overrides(display: str, columns: dict[str, str] | None, units: dict[str, str] | None) -> None:
    for role in columns or {}:
        if role not in ROLES:
            raise InputError(display, f"--columns: unknown role {role!r}; roles are {', '.join(ROLES)}")
    allowed = {"acc": ACC_UNITS, "gyro": GYRO_UNITS, "t": TIME_UNITS}
    for key, val in (units or {}).items():
        if key not in allowed:
            raise InputError(display, f"--units: unknown quantity {key!r}; use acc, gyro or t")
        if canonical_unit(val) not in allowed[key]:
            raise InputError(
                display, f"--units {key}={val}: unknown unit; expected {' or '.join(allowed[key])}"
            )


def _locate(head: Head, columns: dict[str, str] | None) -> dict[str, int]:
    """Column index of every role, from the override first, then from the header names."""
    src = head.source.display
    found: dict[str, int] = {}
    lower = head.lower_fields
    for role, name in (columns or {}).items():
        if name.lower() not in lower:
            raise InputError(
                src,
                f"--columns {role}={name}: no such column; the header has {', '.join(head.fields)}",
                line=head.header_line_no,
            )
        found[role] = lower.index(name.lower())
    first = head.data_lines[0] if head.data_lines else ""
    sample = split_fields(first, head.sep)
    time_candidates = []
    for i, f in enumerate(head.fields):
        role, unit = parse_column(f)
        if role is None or role in found or i in found.values():
            continue
        if role == "t":
            numeric = i < len(sample) and is_number(sample[i], head.decimal)
            if numeric:
                time_candidates.append((unit is None, i))
            continue
        found[role] = i
    if "t" not in found and time_candidates:
        found["t"] = sorted(time_candidates)[0][1]
    missing = [r for r in ROLES if r not in found]
    if missing:
        what = {
            "t": "time",
            "ax": "acc x",
            "ay": "acc y",
            "az": "acc z",
            "gx": "gyro x",
            "gy": "gyro y",
            "gz": "gyro z",
        }
        raise InputError(
            src,
            f"no column for {what[missing[0]]} (looked for names like time, timestamp, t, ax, acc_x, gyro_x "
            f"with units such as (m/s^2), (g), (rad/s), (deg/s)); {HOW_COLUMNS}",
            line=head.header_line_no,
        )
    return found


def time_scale(t: np.ndarray) -> tuple[str, bool]:
    """(unit, is_epoch) read off the values: epoch magnitudes, else the unit giving a rate nearest 100 Hz."""
    first = float(t[0])
    for unit, (lo, hi) in _EPOCH_RANGES.items():
        if lo <= first <= hi:
            return unit, True
    d = np.diff(t)
    d = d[d > 0]
    step = float(np.median(d)) if len(d) else 1.0
    best = min(TIME_UNITS, key=lambda u: abs(math.log10(max(1e-12, 1.0 / (step * TIME_UNITS[u]))) - 2.0))
    return best, False


def read(
    head: Head, path: Path, columns: dict[str, str] | None = None, units: dict[str, str] | None = None
) -> Recording:
    src = head.source.display
    _check_overrides(src, columns, units)
    units = {k: canonical_unit(v) or v for k, v in (units or {}).items()}
    idx = _locate(head, columns)
    cols = [idx[r] for r in ROLES]
    table = read_table(head, cols)
    acc, gyro = table.stack([1, 2, 3]), table.stack([4, 5, 6])
    notes = list(table.notes)

    def unit_of(role: str, quantity: str) -> tuple[str | None, str]:
        stated = parse_column(head.fields[idx[role]])[1]
        if quantity in units:
            if stated is not None and stated != units[quantity]:
                # The option wins (it is there to correct a header), but not silently.
                column = head.fields[idx[role]]
                notes.append(f"--units {quantity}={units[quantity]} overrides the header's {column!r}")
            return units[quantity], "--units"
        return stated, "the header"

    def checked_unit(role: str, quantity: str, allowed: object, names: str) -> tuple[str, str]:
        unit, source = unit_of(role, quantity)
        if unit is None:
            a, b = names.split(" or ")
            raise InputError(
                src,
                f"no unit in the header; say which with --units {quantity}={a} or --units {quantity}={b}",
                column=head.fields[idx[role]],
            )
        if unit not in allowed:
            raise InputError(
                src,
                f"unknown unit {unit!r}; expected {names} (or pass --units {quantity}=...)",
                column=head.fields[idx[role]],
            )
        return unit, source

    acc_unit, acc_src = checked_unit("ax", "acc", ACC_UNITS, "m/s^2 or g")
    gyro_unit, gyro_src = checked_unit("gx", "gyro", GYRO_UNITS, "rad/s or deg/s")
    fa, _ = acc_factor(acc, acc_unit, src, head.fields[idx["ax"]], label_source=acc_src)
    fg, _ = gyro_factor(gyro, gyro_unit, src, head.fields[idx["gx"]], label_source=gyro_src)
    t_unit, _ = unit_of("t", "t")
    if t_unit is None:
        t_unit, is_epoch = time_scale(table.col(0))
        notes.append(f"time column {head.fields[idx['t']]!r} read as {'epoch ' if is_epoch else ''}{t_unit}")
    scale = TIME_UNITS[t_unit]
    t, tnotes = repair_time("samples", table.col(0) * scale, table)
    if fa != 1.0:
        acc *= fa
    if fg != 1.0:
        gyro *= fg
    meta = RecordingMeta(format=NAME, path=str(path), notes=notes + tnotes)
    return build_recording(t, acc, gyro, meta, epoch_s=epoch_of(float(t[0]), 1.0))
