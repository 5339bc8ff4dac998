"""`cara`: headerless smartwatch CSV of the CaRa dataset.

Seven numbers a line: epoch milliseconds, acc x,y,z (m/s^2, with gravity), gyro x,y,z (rad/s).
About 100 Hz with irregular spacing; several samples often share one millisecond.
"""

from __future__ import annotations

from pathlib import Path

from sensor.errors import InputError
from sensor.recording import Recording, RecordingMeta

from ._build import build_recording, repair_time
from ._csvio import Head, is_number, read_table
from ._units import acc_factor, canonical_unit, gyro_factor

NAME = "cara"
NCOLS = 7
_EPOCH_MS = (1.0e12, 4.1e12)  # 2001..2100 in milliseconds


def claims(head: Head) -> bool:
    if not head.headerless or len(head.fields) != NCOLS:
        return False
    if not all(is_number(f) for f in head.fields):
        return False
    return _EPOCH_MS[0] <= float(head.fields[0]) <= _EPOCH_MS[1]


def read(head: Head, path: Path, units: dict[str, str] | None = None) -> Recording:
    src = head.source
    table = read_table(head, list(range(NCOLS)), min_fields=NCOLS)
    acc, gyro = table.stack([1, 2, 3]), table.stack([4, 5, 6])
    units = units or {}
    # The dataset documents m/s^2 and rad/s; an explicit --units wins and is then checked strictly.
    acc_unit = canonical_unit(units.get("acc")) or "m/s^2"
    gyro_unit = canonical_unit(units.get("gyro")) or "rad/s"
    fa, note_a = acc_factor(acc, acc_unit, src.display, "#2", labelled="acc" in units, label_source="--units")
    fg, note_g = gyro_factor(
        gyro, gyro_unit, src.display, "#5", labelled="gyro" in units, label_source="--units"
    )
    if "t" in units and canonical_unit(units["t"]) != "ms":
        raise InputError(
            src.display, "cara files have epoch milliseconds in column 1; --units t= does not apply"
        )
    t, tnotes = repair_time("samples", table.col(0) / 1000.0, table)
    if fa != 1.0:
        acc *= fa
    if fg != 1.0:
        gyro *= fg
    notes = table.notes + tnotes + [n for n in (note_a, note_g) if n]
    meta = RecordingMeta(format=NAME, path=str(path), notes=notes)
    return build_recording(t, acc, gyro, meta, epoch_s=0.0)
