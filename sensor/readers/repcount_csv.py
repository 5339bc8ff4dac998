"""`repcount-csv`: the project's own recording format (sensor/FORMAT.md)."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from sensor.errors import InputError
from sensor.recording import Recording, RecordingMeta
from sensor.timebase import median_positive_step

from ._build import build_recording, repair_time
from ._csvio import Head, read_table
from ._units import acc_factor, gyro_factor

NAME = "repcount-csv"
VERSION = 1
COLUMNS = ["t_s", "ax_mps2", "ay_mps2", "az_mps2", "gx_rads", "gy_rads", "gz_rads"]
GAP_COLUMN = "gap"


def claims(head: Head) -> bool:
    if head.comments and head.comments[0].lower().startswith("repcount-csv"):
        return True
    return head.lower_fields[:2] == ["t_s", "ax_mps2"]


def _meta_from_comments(head: Head) -> tuple[dict[str, str], int]:
    meta: dict[str, str] = {}
    version = VERSION
    for c in head.comments:
        if c.lower().startswith("repcount-csv"):
            parts = c.split()
            if len(parts) > 1:
                try:
                    version = int(parts[1])
                except ValueError:
                    version = -1
        elif "=" in c:
            k, v = c.split("=", 1)
            meta[k.strip()] = v.strip()
    return meta, version


def _parse_utc(text: str, display: str) -> datetime:
    try:
        dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise InputError(
            display, f"start_utc={text!r} is not an ISO 8601 time (e.g. 2026-11-23T20:00:00Z)"
        ) from None
    return dt.replace(tzinfo=timezone.utc) if dt.tzinfo is None else dt.astimezone(timezone.utc)


def read(head: Head, path: Path) -> Recording:
    src = head.source
    kv, version = _meta_from_comments(head)
    if version != VERSION:
        raise InputError(
            src.display,
            f"repcount-csv version {version} is not supported (this reader knows {VERSION})",
            line=1,
        )
    fields = head.lower_fields
    cols = []
    for name in COLUMNS:
        if name not in fields:
            raise InputError(
                src.display,
                f"missing column {name!r}; expected header {','.join(COLUMNS)},gap",
                line=head.header_line_no,
            )
        cols.append(fields.index(name))
    gap_col = fields.index(GAP_COLUMN) if GAP_COLUMN in fields else None
    # A crash mid-write leaves a partial last line: never trust it, even if it parses.
    table = read_table(
        head,
        cols + ([gap_col] if gap_col is not None else []),
        unterminated="drop",
        min_fields=len(COLUMNS),
        optional=(gap_col,) if gap_col is not None else (),
    )
    acc, gyro = table.stack([1, 2, 3]), table.stack([4, 5, 6])
    # Only the stacked copies are kept: dropping the columns now takes a third off peak memory.
    table.data[1:7] = [np.empty(0) for _ in range(6)]
    fa, _ = acc_factor(acc, "m/s^2", src.display, "ax_mps2")
    fg, _ = gyro_factor(gyro, "rad/s", src.display, "gx_rads")
    t, tnotes = repair_time("samples", table.col(0), table)
    marked = None
    if gap_col is not None:
        flags = np.flatnonzero(table.col(7) == 1)
        marked = flags[flags > 0] - 1  # the flag sits on the first sample after the hole
    start = _parse_utc(kv["start_utc"], src.display) if kv.get("start_utc") else None
    rate = None
    if kv.get("nominal_rate_hz"):
        try:
            rate = float(kv["nominal_rate_hz"])
        except ValueError:
            raise InputError(
                src.display, f"nominal_rate_hz={kv['nominal_rate_hz']!r} is not a number"
            ) from None
    if rate and len(t) > 2:
        measured = 1.0 / max(median_positive_step(t), 1e-12)
        if not rate / 50 < measured < rate * 50:  # seconds against milliseconds is a factor of 1000
            raise InputError(
                src.display,
                f"t_s advances at {measured:.3g} samples a second, but nominal_rate_hz={rate:g}; "
                "expected t_s in seconds (is it in milliseconds?)",
                column="t_s",
            )
    meta = RecordingMeta(
        format=NAME,
        path=str(path),
        nominal_rate_hz=rate,
        device=kv.get("device", ""),
        notes=table.notes + tnotes,
    )
    return build_recording(
        t,
        acc,
        gyro,
        meta,
        epoch_s=start.timestamp() if start else None,
        marked_gaps=marked,
    )
