"""`sensor-logger`: exports of the Sensor Logger app (Kelvin Choi), Android, iOS and watch.

A folder or zip of per-sensor CSVs with header `time,seconds_elapsed,z,y,x` (`time` is UTC epoch
nanoseconds), possibly with a name prefix ("Squat_TotalAcceleration.csv") and a Metadata.csv.
  Android: TotalAcceleration.csv (with gravity) + Gyroscope.csv (+ Accelerometer.csv without
           gravity, Gravity.csv, ...).
  iOS:     Accelerometer.csv (WITHOUT gravity) + Gravity.csv + Gyroscope.csv.
  Watch:   WristMotion.csv with rotationRate*, gravity*, acceleration* columns in one file.
Also a single combined CSV with a `sensor` column (the layout of the app's JSON export).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sensor.errors import InputError
from sensor.recording import Recording, RecordingMeta

from ._build import Stream, build_recording, make_stream, merge_streams
from ._csvio import Head, Table, read_table, split_fields
from ._source import Container
from ._units import acc_factor, gyro_factor, looks_like_acc_unit, median_norm

NAME = "sensor-logger"
SENSORS = ("TotalAcceleration", "Accelerometer", "Gravity", "Gyroscope", "WristMotion", "Metadata")
# The sensor name ends the file name; a prefix, if any, ends with a separator ("Squat_Gravity.csv").
_FILE_RE = re.compile(
    r"^(?P<prefix>(?:.*[_\-. ])?)(?P<sensor>" + "|".join(SENSORS) + r")\.csv$", re.IGNORECASE
)
_WRIST = {
    "gyro": ("rotationratex", "rotationratey", "rotationratez"),
    "grav": ("gravityx", "gravityy", "gravityz"),
    "user": ("accelerationx", "accelerationy", "accelerationz"),
}
NO_GRAVITY_NOTE = (
    "no gravity in this export (Accelerometer.csv without Gravity.csv): the vertical cannot be measured from "
    "gravity, so arm elevation and range of motion relative to vertical are unavailable or estimated"
)


def sensor_of(name: str) -> tuple[str, str] | None:
    """(prefix, canonical sensor name) for a Sensor Logger file name, else None."""
    m = _FILE_RE.match(name.rsplit("/", 1)[-1])
    if not m:
        return None
    canon = next(s for s in SENSORS if s.lower() == m.group("sensor").lower())
    return m.group("prefix"), canon


def claims(head: Head) -> bool:
    f = head.lower_fields
    if "time" in f and "seconds_elapsed" in f:
        return True
    return f[:2] == ["version", "device name"] and sensor_of(head.source.name) is not None


def is_combined(head: Head) -> bool:
    return "sensor" in head.lower_fields and "time" in head.lower_fields


@dataclass
class _Info:
    platform: str = ""  # 'ios', 'android' or '' when Metadata.csv is missing or names neither
    found: bool = False  # whether the export has a Metadata.csv
    standardised: bool | None = None
    epoch_ms: float | None = None
    device: str = ""


def _metadata(head: Head | None) -> _Info:
    info = _Info(found=head is not None)
    if head is None or head.header_idx is None or not head.data_lines:
        return info
    # Always comma-separated; split here, since a row that splits unlike its header (below) makes
    # the separator sniffing look elsewhere.
    fields = [f.lower() for f in split_fields(head.lines[head.header_idx], ",")]
    values = split_fields(head.data_lines[0], ",")
    if len(values) > len(fields) and "device name" in fields:
        # A device name holding the separator, written unquoted: the other fields are fixed words
        # and numbers, so the surplus belongs to the name.
        k, extra = fields.index("device name"), len(values) - len(fields)
        values = [*values[:k], ",".join(values[k : k + extra + 1]), *values[k + extra + 1 :]]
    row = dict(zip(fields, values, strict=False))
    info.platform = row.get("platform", "").strip().lower()
    std = row.get("standardisation", "").strip().lower()
    info.standardised = {"true": True, "false": False}.get(std)
    info.device = row.get("device name", "")
    try:
        info.epoch_ms = float(row.get("recording epoch time", ""))
    except ValueError:
        info.epoch_ms = None
    return info


def _xyz_cols(head: Head, names: tuple[str, str, str]) -> list[int]:
    f = head.lower_fields
    missing = [n for n in names if n not in f]
    if missing:
        raise InputError(
            head.source.display,
            f"missing column {missing[0]!r}; expected time,seconds_elapsed,z,y,x",
            line=head.header_line_no,
        )
    return [f.index(n) for n in names]


def _time_col(head: Head) -> tuple[int, float]:
    """Column of the clock and its scale to seconds: `time` (epoch ns), else `seconds_elapsed`."""
    f = head.lower_fields
    if "time" in f:
        return f.index("time"), 1e-9
    if "seconds_elapsed" in f:
        return f.index("seconds_elapsed"), 1.0
    raise InputError(head.source.display, "missing column 'time'", line=head.header_line_no)


def _read_streams(
    head: Head, groups: dict[str, tuple[str, str, str]]
) -> tuple[dict[str, Stream], list[str], float]:
    """Read named xyz column groups sharing one time column of one file."""
    tc, scale = _time_col(head)
    cols_by = {k: _xyz_cols(head, v) for k, v in groups.items()}
    cols = [tc] + [c for cs in cols_by.values() for c in cs]
    table = read_table(head, cols)
    t = table.col(0) * scale
    out = {}
    notes = list(table.notes)
    for k, cs in cols_by.items():
        idx = [cols.index(c) for c in cs]
        s = make_stream(k, t, table.stack(idx), table=table)
        notes += s.notes
        out[k] = s
    return out, notes, scale


def _apple_convention(info: _Info, gravity: np.ndarray) -> tuple[bool, str | None]:
    """Whether acceleration and gravity use Apple's sign (and a note when that is a guess).

    Android reports specific force: at rest the accelerometer reads the reaction to gravity, which
    points UP, away from the earth (+9.81 on the axis that faces the sky). Its Gravity sensor is
    defined to equal the accelerometer at rest, so it points up too. Apple reports gravity as the
    pull of the earth, pointing DOWN, and its accelerations with the same flipped sign: a phone lying
    face up reads gravity z = -1 g on iOS and +9.81 on Android. Sensor Logger keeps Apple's sign on
    iOS unless "Standardise Units & Frames" is on.

    The sign cannot be recovered from the data alone: g and -g evolve identically under rotation,
    and nothing else in the export measures where the earth is. So Metadata.csv (platform and
    standardisation) decides. Without it we use the only handle left, how devices are held: screen
    up (a watch on a palm-down wrist, a phone on a table) or top up (a phone held upright) far more
    often than face down or upside down. In Android's sign that makes gravity's z + y mostly
    positive; mostly negative means Apple's sign. This is a guess, and said so in the notes.
    """
    if info.platform == "android":
        return False, None
    if info.platform == "ios":
        return info.standardised is not True, None
    g = gravity[:: max(1, len(gravity) // 100_000)]
    score = float(np.mean(g[:, 1] + g[:, 2])) / max(median_norm(g), 1e-9)
    apple = score < 0
    other = "Android" if apple else "Apple"
    why = "Metadata.csv names no platform (ios or android)" if info.found else "no Metadata.csv"
    return apple, (
        f"{why}: {'Apple' if apple else 'Android'}'s sign convention assumed, since with {other}'s "
        "the device would have faced down most of the time; keep Metadata.csv with the export to be certain"
    )


def _gravity_scale(gravity: np.ndarray, display: str) -> tuple[float, str | None]:
    """Units of a watch/phone export from its gravity: magnitude ~1 is g, ~9.8 is m/s^2."""
    unit = looks_like_acc_unit(gravity)
    if unit is None:
        raise InputError(
            display, f"gravity has magnitude {median_norm(gravity):.2f}, neither ~1 (g) nor ~9.8 (m/s^2)"
        )
    if unit == "g":
        return 9.80665, "accelerations are in g (gravity magnitude ~1): converted to m/s^2"
    return 1.0, None


def gravity_convention(
    gravity: np.ndarray, platform: str = "", standardised: bool | None = None, display: str = NAME
) -> tuple[float, float, list[str]]:
    """(scale to m/s^2, sign to Android's, notes) for user acceleration + gravity, as the reader decides.

    For live streams (no Metadata.csv): `platform` "ios"/"android" when known, else the guess from how
    devices are held (see `_apple_convention`). acc with gravity = sign * scale * (user + gravity).
    """
    scale, unit_note = _gravity_scale(gravity, display)
    apple, sign_note = _apple_convention(_Info(platform=platform, standardised=standardised), gravity)
    return scale, (-1.0 if apple else 1.0), [n for n in (unit_note, sign_note) if n]


def _combine_gravity(user: Stream, grav: Stream, info: _Info, display: str) -> tuple[Stream, list[str]]:
    """acc including gravity = user acceleration + gravity, in Android's sign and m/s^2."""
    t, u, g, notes = merge_streams(user, grav, display)
    scale, unit_note = _gravity_scale(g, display)
    apple, sign_note = _apple_convention(info, g)
    sign = -1.0 if apple else 1.0
    notes += [n for n in (unit_note, sign_note) if n]
    if apple and sign_note is None:
        notes.append(
            "iOS export in Apple's sign convention (standardisation off): acceleration flipped to Android's"
        )
    return Stream("accelerometer", t, sign * scale * (u + g)), notes


def _group_heads(container: Container, heads: list[Head]) -> dict[str, Head]:
    """The files of one recording: same folder and prefix; the user's file picks the group."""
    groups: dict[tuple[str, str], dict[str, Head]] = {}
    spelled: dict[tuple[str, str], str] = {}  # prefixes match case-insensitively; messages keep the spelling
    for h in heads:
        so = sensor_of(h.source.name)
        if so is None:
            continue
        key = (h.source.folder, so[0].lower())
        groups.setdefault(key, {})[so[1]] = h
        spelled.setdefault(key, so[0])
    if container.focus is not None:
        so = sensor_of(container.focus.name)
        if so is not None:
            return groups.get((container.focus.folder, so[0].lower()), {})
    imu = {k: v for k, v in groups.items() if set(v) - {"Metadata"}}
    if len(imu) > 1:
        names = ", ".join(
            f"{folder + '/' if folder else ''}{spelled[(folder, p)] or '(no prefix)'}"
            for folder, p in sorted(imu)
        )
        raise InputError(
            container.path, f"holds {len(imu)} Sensor Logger recordings ({names}); pass one of them"
        )
    return next(iter(imu.values()), {})


def _missing(found: dict[str, Head], path: object) -> InputError:
    have = ", ".join(sorted(found)) or "no sensor files"
    return InputError(
        path,
        "a Sensor Logger export needs Gyroscope.csv and TotalAcceleration.csv (Android) or "
        f"Accelerometer.csv + Gravity.csv (iOS), or WristMotion.csv (watch); found {have}",
    )


def _read_wrist(head: Head, info: _Info) -> tuple[Stream, Stream, list[str]]:
    streams, notes, _ = _read_streams(head, _WRIST)
    user, grav, gyro = streams["user"], streams["grav"], streams["gyro"]
    scale, unit_note = _gravity_scale(grav.xyz, head.source.display)
    apple, sign_note = _apple_convention(info, grav.xyz)
    sign = -1.0 if apple else 1.0
    notes += [n for n in (unit_note, sign_note) if n]
    acc = Stream("accelerometer", user.t, sign * scale * (user.xyz + grav.xyz))
    return acc, Stream("gyroscope", gyro.t, gyro.xyz), notes


def _read_combined(head: Head) -> dict[str, tuple[Table, np.ndarray, float]]:
    """Split a combined CSV (one `sensor` column) into per-sensor rows."""
    f = head.lower_fields
    tc, scale = _time_col(head)
    cols = [tc] + _xyz_cols(head, ("x", "y", "z"))
    table = read_table(head, cols, optional=tuple(cols), label_col=f.index("sensor"))
    labels = np.asarray([str(x).strip().lower() for x in table.labels], dtype=object)
    out = {}
    for s in ("TotalAcceleration", "Accelerometer", "Gravity", "Gyroscope"):
        rows = np.flatnonzero(labels == s.lower())
        rows = rows[np.isfinite(table.stack(range(4), rows)).all(axis=1)]
        if len(rows):
            out[s] = (table, rows, scale)
    return out


def read(container: Container, heads: list[Head], path: Path) -> Recording:
    notes: list[str] = []
    combined = [h for h in heads if is_combined(h)]
    files = _group_heads(container, heads) if not combined else {}
    info = _metadata(files.get("Metadata"))
    where = str(container.path)
    if combined:
        parts = _read_combined(combined[0])
        available = set(parts)
        where = combined[0].source.display

        def stream(name: str) -> Stream:
            table, rows, scale = parts[name]
            v = table.stack(range(4), rows)
            return make_stream(name, v[:, 0] * scale, v[:, 1:4], table=table, rows=rows)

    else:
        available = set(files)

        def stream(name: str) -> Stream:
            s, n, _ = _read_streams(files[name], {name: ("x", "y", "z")})
            notes.extend(n)
            return s[name]

    if "WristMotion" in available:
        acc, gyro, wn = _read_wrist(files["WristMotion"], info)
        notes += wn
        if {"TotalAcceleration", "Gyroscope"} & available:
            notes.append("phone and watch recorded together: the watch (WristMotion.csv) was used")
    else:
        # Read only what is used: Android's TotalAcceleration makes Accelerometer and Gravity redundant.
        if "Gyroscope" not in available or not {"TotalAcceleration", "Accelerometer"} & available:
            raise _missing(files, where)
        gyro = stream("Gyroscope")
        if "TotalAcceleration" in available:
            # Only Android writes TotalAcceleration, in its own sign; the unit still gets checked.
            total = stream("TotalAcceleration")
            f, note = acc_factor(total.xyz, "m/s^2", where, "TotalAcceleration", labelled=False)
            acc = Stream("accelerometer", total.t, total.xyz * f)
            notes += [note] if note else []
        elif "Gravity" in available:
            acc, cn = _combine_gravity(stream("Accelerometer"), stream("Gravity"), info, where)
            notes += cn
        else:
            user = stream("Accelerometer")
            acc = Stream("accelerometer", user.t, user.xyz)
            notes.append(NO_GRAVITY_NOTE)
            if info.platform == "ios" and info.standardised is not True:
                acc.xyz *= -1.0
    fg, gnote = gyro_factor(gyro.xyz, "rad/s", where, "Gyroscope", labelled=False)
    gyro = Stream("gyroscope", gyro.t, gyro.xyz * fg)
    notes += [gnote] if gnote else []
    t, a, g, merge_notes = merge_streams(acc, gyro, where)
    meta = RecordingMeta(format=NAME, path=str(path), device=info.device, notes=notes + merge_notes)
    if info.platform:
        meta.notes.append(f"recorded on {'iOS' if info.platform == 'ios' else 'Android'}")
    # `time` is epoch ns; without it, seconds_elapsed counts from the recording start in Metadata.csv.
    epoch = 0.0 if t[0] > 1e8 else (info.epoch_ms / 1000.0 if info.epoch_ms else None)
    return build_recording(t, a, g, meta, epoch_s=epoch)
