"""`phyphox`: exports of the phyphox app (RWTH Aachen).

A zip or folder with one table per sensor ("Accelerometer.csv", "Gyroscope.csv",
"Linear Acceleration.csv", or "Raw Data.csv" of the built-in experiments) plus meta/time.csv and
meta/device.csv. Headers look like "Time (s)","Acceleration x (m/s^2)",...; numbers like
6.999333331E-3. Separators are comma, tab or semicolon (then with decimal commas). The
single-file export writes every table into one file, one after the other, each with its header;
a custom table may also hold several sensors side by side, each group after its own time column.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sensor.errors import InputError
from sensor.recording import Recording, RecordingMeta

from ._build import Stream, build_recording, make_stream, merge_streams
from ._csvio import Head, Table, read_head, read_table, split_fields
from ._source import Container, Source, slice_source
from ._units import acc_factor, bracket_unit, canonical_unit, gyro_factor

NAME = "phyphox"
_AXIS_RE = {
    "acc": re.compile(r"^acceleration ([xyz])\b"),
    "lin": re.compile(r"^linear acceleration ([xyz])\b"),
    "gyro": re.compile(r"^gyroscope ([xyz])\b"),
}
_LABEL = {"acc": "accelerometer", "lin": "linear acceleration", "gyro": "gyroscope"}
_TIME_HEADERS = (b"\nTime (s)", b'\n"Time (s)"')
NO_GRAVITY_NOTE = (
    "no gravity in this export (Linear Acceleration only): the vertical cannot be measured from gravity, "
    "so arm elevation and range of motion relative to vertical are unavailable or estimated"
)


def _is_time(field: str) -> bool:
    return field.lower().startswith("time (s)") or field.lower() == "time"


def claims(head: Head) -> bool:
    if not head.fields or not _is_time(head.fields[0]):
        return False
    return any(rx.match(f) for f in head.lower_fields for rx in _AXIS_RE.values())


def is_meta(head: Head) -> bool:
    """meta/time.csv or meta/device.csv: they mark a folder or zip as a phyphox export."""
    f = head.lower_fields
    return f[:2] == ["event", "experiment time"] or f[:2] == ["property", "value"]


@dataclass
class _Group:
    """One sensor inside a table: its time column and x, y, z columns."""

    kind: str
    head: Head
    time_col: int
    axis_cols: list[int]


def _groups(head: Head) -> list[_Group]:
    out: list[_Group] = []
    time_col = None
    found: dict[str, dict[str, int]] = {}
    for i, f in enumerate(head.lower_fields):
        if _is_time(f):
            time_col = i
            continue
        for k, rx in _AXIS_RE.items():
            m = rx.match(f)
            if m and time_col is not None:
                found.setdefault(f"{k}@{time_col}", {})[m.group(1)] = i
    for key, axes in found.items():
        k, tc = key.split("@")
        if set(axes) == {"x", "y", "z"}:
            out.append(_Group(k, head, int(tc), [axes["x"], axes["y"], axes["z"]]))
    return out


def _sections(src: Source, head: Head) -> list[Head]:
    """Split a file holding several tables (each starting with its own "Time (s)" header)."""
    starts: list[int] = []
    with src.open() as f:
        pos = 0
        carry = b""
        while True:
            chunk = f.read(1 << 22)
            if not chunk:
                break
            buf = carry + chunk
            for pat in _TIME_HEADERS:
                i = buf.find(pat)
                while i >= 0:
                    starts.append(pos - len(carry) + i + 1)
                    i = buf.find(pat, i + 1)
            carry = buf[-16:]
            pos += len(chunk)
    starts = sorted(set(s for s in starts if s > head.offsets[head.header_idx or 0]))
    if not starts:
        return [head]
    bounds = [0] + starts + [src.size]
    heads = []
    line = 1  # each part's first line number, so errors point into the whole file
    with src.open() as f:
        for a, b in zip(bounds[:-1], bounds[1:], strict=True):
            h = read_head(slice_source(src, a, b, line))
            if h is not None and h.header_idx is not None:
                heads.append(h)
            f.seek(a)
            line += f.read(b - a).count(b"\n")
    return heads


def _time_reference(container: Container, folder: str) -> tuple[float | None, list[str]]:
    """Epoch seconds of experiment time 0 from meta/time.csv, and notes about pauses."""
    name = f"{folder}/meta/time.csv" if folder else "meta/time.csv"
    src = container.find(name)
    if src is None:
        return None, []
    head = read_head(src)
    if head is None or head.header_idx is None:
        return None, []
    starts = []
    for ln in head.lines[head.data_idx :]:
        row = split_fields(ln, head.sep)
        if len(row) >= 3 and row[0].upper() == "START":
            try:
                exp_t = float(row[1].replace(head.decimal, "."))
                sys_t = float(row[2].replace(head.decimal, "."))
            except ValueError:
                continue
            starts.append((exp_t, sys_t))
    if not starts:
        return None, []
    notes = []
    if len(starts) > 1:
        notes.append(
            f"the experiment was paused {len(starts) - 1} time(s); phyphox time skips the pauses, "
            "so start_utc is exact only before the first pause"
        )
    exp_t, sys_t = starts[0]
    return sys_t - exp_t, notes


def _folder_of(c: Container, heads: list[Head]) -> str:
    folders = sorted({h.source.folder for h in heads})
    if c.focus is not None:
        return c.focus.folder
    if len(folders) > 1:
        raise InputError(
            c.path, f"holds phyphox tables in several folders ({', '.join(folders)}); pass one of them"
        )
    return folders[0]


def _stream(group: _Group, table: Table, cols: list[int], notes: list[str]) -> tuple[Stream, str | None]:
    idx = [cols.index(group.time_col)] + [cols.index(c) for c in group.axis_cols]
    v = table.stack(idx)
    valid = np.isfinite(v).all(axis=1)
    rows = np.flatnonzero(valid)
    if not len(rows):
        raise InputError(
            table.source.display, f"no {_LABEL[group.kind]} samples", column=group.head.fields[group.time_col]
        )
    # Shorter columns of a shared table are padded with NaN at the end: only holes before that count.
    inner = int((~valid[: rows[-1]]).sum())
    if inner:
        what = f"{inner} line(s) with missing, NaN or infinite values were dropped"
        notes.append(f"{_LABEL[group.kind]}: {what}")
    unit = canonical_unit(bracket_unit(group.head.fields[group.axis_cols[0]])[1])
    return make_stream(_LABEL[group.kind], v[rows, 0], v[rows, 1:], table=table, rows=rows), unit


def read(container: Container, heads: list[Head], path: Path) -> Recording:
    tables = [h for h in heads if claims(h)]
    folder = _folder_of(container, tables)
    tables = [h for h in tables if h.source.folder == folder]
    groups: dict[str, _Group] = {}
    notes: list[str] = []
    for h in tables:
        for sec in _sections(h.source, h):
            for g in _groups(sec):
                if g.kind not in groups:
                    groups[g.kind] = g
    acc_kind = "acc" if "acc" in groups else "lin" if "lin" in groups else None
    if acc_kind is None or "gyro" not in groups:
        have = ", ".join(_LABEL[k] for k in groups) or "no sensor tables"
        names = ", ".join(h.source.basename for h in tables)
        raise InputError(
            container.path if container.kind != "file" else container.sources[0].display,
            "a phyphox export needs accelerometer (or linear acceleration) and gyroscope tables; "
            f"found {have} in {names}",
        )
    # Read each table once, even when it holds both sensors.
    read_cache: dict[int, tuple[Table, list[int]]] = {}
    streams = {}
    units = {}
    for k in (acc_kind, "gyro"):
        g = groups[k]
        key = id(g.head)
        if key not in read_cache:
            cols = sorted(
                {c for gg in groups.values() if gg.head is g.head for c in [gg.time_col, *gg.axis_cols]}
            )
            read_cache[key] = (read_table(g.head, cols, optional=tuple(cols)), cols)
            notes += read_cache[key][0].notes
        table, cols = read_cache[key]
        streams[k], units[k] = _stream(g, table, cols, notes)
    a, gy = streams[acc_kind], streams["gyro"]
    acc_col = groups[acc_kind].head.fields[groups[acc_kind].axis_cols[0]]
    fa, _ = acc_factor(
        a.xyz, units[acc_kind], groups[acc_kind].head.source.display, acc_col, with_gravity=acc_kind == "acc"
    )
    fg, _ = gyro_factor(
        gy.xyz,
        units["gyro"],
        groups["gyro"].head.source.display,
        groups["gyro"].head.fields[groups["gyro"].axis_cols[0]],
    )
    a.xyz *= fa
    gy.xyz *= fg
    notes += a.notes + gy.notes
    if acc_kind == "lin":
        notes.append(NO_GRAVITY_NOTE)
    t, acc, gyro, merge_notes = merge_streams(a, gy, str(container.path))
    epoch, time_notes = _time_reference(container, folder)
    meta = RecordingMeta(format=NAME, path=str(path), notes=notes + merge_notes + time_notes)
    return build_recording(t, acc, gyro, meta, epoch_s=epoch)
