"""`metabase`: MetaMotion / MetaBase (mbientlab) exports, one CSV per sensor.

`*_Accelerometer*.csv`: epoch (ms),time (<tz>),elapsed (s),x-axis (g),y-axis (g),z-axis (g)
`*_Gyroscope*.csv`:     same, with x-axis (deg/s) ...
The two run at their own rates and start apart; `elapsed (s)` restarts in each file, so they are
aligned on `epoch (ms)`. Real logs drop seconds of samples: the timestamps decide, never the rate.
"""

from __future__ import annotations

import re
from pathlib import Path

from sensor.errors import InputError
from sensor.recording import Recording, RecordingMeta

from ._build import build_recording, make_stream, merge_streams
from ._csvio import Head, read_table
from ._source import Container
from ._units import acc_factor, bracket_unit, canonical_unit, gyro_factor

NAME = "metabase"
_SENSOR_RE = re.compile(r"^(.*?)(accelerometer|gyroscope|gyro\b|acc\b)", re.IGNORECASE)
_OTHER_SENSORS = (
    "gravity",
    "linear",
    "quaternion",
    "euler",
    "magnet",
    "pressure",
    "temperature",
    "illuminance",
)


def claims(head: Head) -> bool:
    f = head.lower_fields
    return len(f) >= 6 and f[0] == "epoch (ms)" and f[1].startswith("time") and f[2] == "elapsed (s)"


def kind(head: Head) -> str:
    """'acc', 'gyro' or 'other', from the header's units, with the file name to skip fusion outputs."""
    unit = canonical_unit(bracket_unit(head.fields[3])[1])
    low = head.source.basename.lower()
    if unit == "g" and not any(w in low for w in _OTHER_SENSORS):
        return "acc"
    if unit in ("deg/s", "rad/s"):
        return "gyro"
    return "other"


def prefix(name: str) -> str:
    """What an accelerometer file and its gyroscope partner share: the name up to the sensor word."""
    m = _SENSOR_RE.match(name.rsplit("/", 1)[-1])
    base = m.group(1) if m else name.rsplit("/", 1)[-1]
    folder = name.rsplit("/", 1)[0] + "/" if "/" in name else ""
    return folder + base


def _axis_cols(head: Head) -> list[int]:
    out = []
    for axis in "xyz":
        for i, f in enumerate(head.lower_fields):
            if f.startswith(f"{axis}-axis"):
                out.append(i)
                break
        else:
            raise InputError(
                head.source.display, f"missing column '{axis}-axis (...)'", line=head.header_line_no
            )
    return out


def _pick_pair(container: Container, heads: list[Head]) -> tuple[Head, Head]:
    accs = {prefix(h.source.name): h for h in heads if kind(h) == "acc"}
    gyros = {prefix(h.source.name): h for h in heads if kind(h) == "gyro"}
    if container.focus is not None:
        p = prefix(container.focus.name)
        a, g = accs.get(p), gyros.get(p)
        if a is None or g is None:
            want = "Gyroscope" if a is not None else "Accelerometer"
            raise InputError(
                container.focus.display,
                f"no matching {p.rsplit('/', 1)[-1]}{want}*.csv next to it "
                "(MetaBase writes one file per sensor)",
            )
        return a, g
    pairs = sorted(set(accs) & set(gyros))
    if len(pairs) == 1:
        return accs[pairs[0]], gyros[pairs[0]]
    if len(pairs) > 1:
        names = ", ".join(f"{p or '(no prefix)'}*" for p in pairs)
        raise InputError(
            container.path, f"holds {len(pairs)} MetaBase recordings ({names}); pass one of their files"
        )
    found = ", ".join(h.source.basename for h in heads)
    raise InputError(
        container.path, f"needs a MetaBase *Accelerometer*.csv and *Gyroscope*.csv pair; found only {found}"
    )


def read(container: Container, heads: list[Head], path: Path) -> Recording:
    acc_h, gyro_h = _pick_pair(container, heads)
    streams = []
    notes: list[str] = []
    for h, name in ((acc_h, "accelerometer"), (gyro_h, "gyroscope")):
        cols = [0] + _axis_cols(h)
        table = read_table(h, cols, min_fields=6)
        xyz = table.stack([1, 2, 3])
        col = h.fields[cols[1]]
        unit = canonical_unit(bracket_unit(col)[1])
        if name == "accelerometer":
            f, _ = acc_factor(xyz, unit, h.source.display, col)
        else:
            f, _ = gyro_factor(xyz, unit, h.source.display, col)
        s = make_stream(name, table.col(0) / 1000.0, xyz * f, table=table)
        notes += table.notes + s.notes
        streams.append(s)
    t, acc, gyro, merge_notes = merge_streams(streams[0], streams[1], str(container.path))
    device = prefix(acc_h.source.basename).strip("_- ")
    meta = RecordingMeta(format=NAME, path=str(path), device=device, notes=notes + merge_notes)
    meta.notes.append(f"accelerometer {streams[0].rate_hz:.1f} Hz, gyroscope {streams[1].rate_hz:.1f} Hz")
    return build_recording(t, acc, gyro, meta, epoch_s=0.0)
