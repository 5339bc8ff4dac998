"""Shared CSV plumbing: sniff a file's head, then read numeric columns fast and fail precisely.

Reading is one pandas C-engine call over the byte range of the data lines (no Python loop per
row), or for large files one call per part, the parts side by side on every core. Only when
parsing fails do we walk the file line by line, to name the exact line and column in the error.
"""

from __future__ import annotations

import csv
import io
import os
import re
from dataclasses import dataclass, field
from typing import BinaryIO

import numpy as np
import pandas as pd

from sensor.errors import InputError

from ._source import Source

_NAN_WORDS = {"", "nan", "-nan", "na", "n/a", "null", "none", "#n/a"}
_BOM = b"\xef\xbb\xbf"
# Each sample is held about three times while reading (parser buffers, array, merge copies).
_BYTES_PER_VALUE = 8 * 3
_MAX_MEMORY_FRACTION = 0.5
_ONE_PASS_BYTES = 256 << 20
# Files larger than this are parsed in parts of at most _PART_BYTES on all cores.
_PARALLEL_BYTES = 32 << 20
_PART_BYTES = 96 << 20


def split_fields(line: str, sep: str) -> list[str]:
    """Split one line honouring quotes; fields come back stripped of spaces and quotes."""
    if not line:
        return []
    try:
        row = next(csv.reader([line], delimiter=sep, quotechar='"', skipinitialspace=True), [])
    except csv.Error:  # a cell over the csv module's size limit, a stray CR: split it plainly
        row = line.replace("\r", " ").split(sep)
    return [f.strip().strip('"').strip() for f in row]


def is_number(text: str, decimal: str = ".") -> bool:
    t = text.strip().strip('"')
    if decimal != ".":
        t = t.replace(decimal, ".")
    try:
        float(t)
    except ValueError:
        return False
    return True


@dataclass
class Head:
    """The start of a text file: metadata comments, the header (if any), the first data lines."""

    source: Source
    lines: list[str]  # complete lines in the head, BOM and line ends removed
    offsets: list[int]  # byte offset where each line starts
    comments: list[str] = field(default_factory=list)  # leading '#' lines, without the '#'
    header_idx: int | None = None  # index in `lines` of the header (or of the first row if headerless)
    sep: str = ","
    decimal: str = "."
    fields: list[str] = field(default_factory=list)
    headerless: bool = False
    whole_file: bool = False  # the head holds the entire file

    @property
    def header_line_no(self) -> int:
        return (self.header_idx or 0) + self.source.first_line

    @property
    def first_data_line_no(self) -> int:
        return self.data_idx + self.source.first_line

    @property
    def data_idx(self) -> int:
        assert self.header_idx is not None
        return self.header_idx if self.headerless else self.header_idx + 1

    @property
    def data_lines(self) -> list[str]:
        return [ln for ln in self.lines[self.data_idx :] if ln.strip()] if self.header_idx is not None else []

    @property
    def lower_fields(self) -> list[str]:
        return [f.lower() for f in self.fields]


def _pick_sep(header: str, data: str | None) -> str:
    best, best_n = ",", 0
    for sep in (",", ";", "\t"):
        n = len(split_fields(header, sep))
        if data is not None and sep in header and len(split_fields(data, sep)) != n:
            continue  # the data lines must split like the header
        if n > best_n:
            best, best_n = sep, n
    return best


def line_end(raw: bytes) -> bytes:
    """What ends a line in a file that starts with `raw`: LF (also in CRLF files), or CR alone, as
    old Mac exports ("CSV (Macintosh)") have it. pandas reads all three."""
    return b"\r" if b"\n" not in raw and b"\r" in raw else b"\n"


def read_head(source: Source) -> Head | None:
    """Parse the head of a text file; None for binary or undecodable files."""
    raw = source.head()
    if b"\x00" in raw[:4096]:
        return None
    whole = len(raw) >= source.size
    start = 3 if raw.startswith(_BOM) else 0
    end_of_line = line_end(raw)
    lines: list[str] = []
    offsets: list[int] = []
    pos = start
    while pos < len(raw):
        nl = raw.find(end_of_line, pos)
        if nl < 0:
            if not whole:
                break  # the head cut this line: leave it out
            nl = len(raw)
        try:
            text = raw[pos:nl].decode("utf-8")
        except UnicodeDecodeError:
            try:
                text = raw[pos:nl].decode("latin-1")
            except UnicodeDecodeError:  # pragma: no cover - latin-1 decodes any byte
                return None
        lines.append(text.rstrip("\r"))
        offsets.append(pos)
        pos = nl + 1
    head = Head(source=source, lines=lines, offsets=offsets, whole_file=whole)
    for i, ln in enumerate(lines):
        s = ln.strip()
        if not s:
            continue
        if s.startswith("#") and head.header_idx is None:
            head.comments.append(s[1:].strip())
            continue
        head.header_idx = i
        break
    if head.header_idx is None:
        return head
    header = lines[head.header_idx]
    nxt = next((ln for ln in lines[head.header_idx + 1 :] if ln.strip()), None)
    head.sep = _pick_sep(header, nxt)
    head.fields = split_fields(header, head.sep)
    if head.sep != "," and nxt is not None and re.search(r"\d,\d", nxt):
        head.decimal = ","
    head.headerless = bool(head.fields) and all(is_number(f, head.decimal) for f in head.fields)
    return head


@dataclass
class Table:
    """Numeric columns read from one file, NaN rows already dropped."""

    data: list[np.ndarray]  # one float64 array per requested column, in `columns` order
    source: Source
    head: Head
    columns: list[int]
    data_offset: int  # byte offset of the first data line
    kept_rows: np.ndarray | None  # raw row index of each kept row; None when nothing was dropped
    notes: list[str] = field(default_factory=list)
    labels: np.ndarray | None = None  # the text column asked for with `label_col`, one per kept row

    def line_of(self, row: int) -> int:
        """File line number (1-based) of kept row `row`: for messages, so it may re-read the file."""
        raw_row = int(self.kept_rows[row]) if self.kept_rows is not None else row
        return line_of_raw_row(self.source, self.data_offset, self.head.first_data_line_no, raw_row)

    def __len__(self) -> int:
        return len(self.data[0])

    def col(self, j: int) -> np.ndarray:
        """The j-th requested column (a view, not a copy)."""
        return self.data[j]

    def stack(self, js: list[int] | range, rows: np.ndarray | None = None) -> np.ndarray:
        """Columns `js` as one C-ordered (n, len(js)) array: the layout a Recording keeps, built once."""
        out = np.empty((len(self) if rows is None else len(rows), len(js)))
        for k, j in enumerate(js):
            out[:, k] = self.data[j] if rows is None else self.data[j][rows]
        return out

    def column_name(self, j: int) -> str:
        col = self.columns[j]
        if self.head.headerless or col >= len(self.head.fields):
            return f"#{col + 1}"
        return self.head.fields[col]


class _Window(io.RawIOBase):
    """A byte range of another stream, so pandas parses exactly the data lines."""

    def __init__(self, f: BinaryIO, start: int, end: int):
        self._f = f
        self._left = end - start
        f.seek(start)

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:  # type: ignore[no-untyped-def]
        if self._left <= 0:
            return 0
        n = min(len(b), self._left)
        data = self._f.read(n)
        b[: len(data)] = data
        self._left -= len(data)
        return len(data)


def _last_line(source: Source) -> tuple[int, bytes]:
    """(offset just after the last newline, bytes after it); bytes are empty for a terminated file."""
    size = source.size
    if size == 0:
        return 0, b""
    with source.open() as f:
        f.seek(size - 1)
        end_of_line = line_end(source.head())
        if f.read(1) == end_of_line:
            return size, b""
        back = min(size, 1 << 16)
        while True:
            f.seek(size - back)
            chunk = f.read(back)
            nl = chunk.rfind(end_of_line)
            if nl >= 0 or back >= size:
                cut = size - back + nl + 1 if nl >= 0 else 0
                return cut, chunk[nl + 1 :] if nl >= 0 else chunk
            back = min(size, back * 4)


def available_memory() -> int:
    """Bytes the process can still use, from /proc/meminfo where it exists."""
    try:
        with open("/proc/meminfo") as f:
            for ln in f:
                if ln.startswith("MemAvailable:"):
                    return int(ln.split()[1]) * 1024
    except OSError:
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return 8 << 30


def check_memory(head: Head, data_bytes: int, ncols: int) -> None:
    """Refuse, with one clear line, a file whose samples would not fit in half the free memory."""
    sample = [len(ln) + 1 for ln in head.data_lines[:200]]
    per_line = max(float(np.mean(sample)) if sample else 40.0, 8.0)
    rows = data_bytes / per_line
    need = rows * max(ncols, 7) * _BYTES_PER_VALUE
    avail = available_memory()
    if need > _MAX_MEMORY_FRACTION * avail:
        raise InputError(
            head.source.display,
            f"too large to read safely: about {rows / 1e6:.0f} million samples need about "
            f"{need / 2**30:.1f} GiB, but only {avail / 2**30:.1f} GiB of memory is free; split the file",
        )


def line_of_raw_row(source: Source, data_offset: int, first_line_no: int, raw_row: int) -> int:
    """Line number of the raw_row-th non-blank line after `data_offset` (pandas skips blank lines)."""
    with source.open() as f:
        f.seek(data_offset)
        seen = -1
        # Universal line ends (LF, CRLF or CR alone), as pandas counted them.
        for i, ln in enumerate(io.TextIOWrapper(f, encoding="utf-8", errors="replace", newline="")):
            if ln.strip():
                seen += 1
                if seen == raw_row:
                    return first_line_no + i
    return first_line_no + raw_row


def _numeric_beside(head: Head, names: list[int], cols: list[int], extra_share: float = 0.5) -> bool:
    """Whether the columns not in `cols` look numeric (or empty) in the first data lines, and are
    few enough (at most `extra_share` of `cols`) for reading them too to cost little memory."""
    others = [c for c in names if c not in cols]
    if len(others) > extra_share * len(cols):
        return False
    for ln in head.data_lines[:50]:
        row = split_fields(ln.rstrip("\r\n"), head.sep)
        if len(row) > len(names):
            return False
        for c in others:
            cell = row[c] if c < len(row) else ""
            if cell.lower() not in _NAN_WORDS and not is_number(cell, head.decimal):
                return False
    return True


def _find_bad_cell(source: Source, head: Head, data_offset: int, cols: list[int]) -> tuple[int, int, str]:
    """(line number, column index, cell) of the first cell in `cols` that is not a number."""
    with source.open() as f:
        f.seek(data_offset)
        text = io.TextIOWrapper(f, encoding="utf-8", errors="replace", newline="")
        for i, ln in enumerate(text):
            if not ln.strip():
                continue
            row = split_fields(ln.rstrip("\r\n"), head.sep)
            for c in cols:
                cell = row[c] if c < len(row) else ""
                if cell.lower() in _NAN_WORDS:
                    continue
                if not is_number(cell, head.decimal):
                    return head.first_data_line_no + i, c, cell
    return head.first_data_line_no, cols[0], ""


def _part_bounds(src: Source, start: int, end: int) -> list[int]:
    """Byte offsets that cut [start, end) into parts at line ends, for parsing them side by side.

    One part when splitting cannot pay: a small file, one core, a stream that is slow to seek (a
    large zip member) or quoted cells, which might hold a line end.
    """
    size = end - start
    workers = os.cpu_count() or 1
    if size < _PARALLEL_BYTES or workers < 2:
        return [start, end]
    parts = max(workers, -(-size // _PART_BYTES))
    cuts = [start]
    with src.open() as f:
        if not isinstance(f, (io.BufferedReader, io.BytesIO)):
            return [start, end]
        for k in range(1, parts):
            f.seek(start + size * k // parts)
            f.readline()
            pos = f.tell()
            if cuts[-1] < pos < end:
                cuts.append(pos)
        f.seek(start)
        if b'"' in f.read(1 << 16):
            return [start, end]
    return cuts + [end]


def _parse_by_path(
    src: Source, head: Head, start: int, end: int, cols: list[int], options: dict
) -> pd.DataFrame | None:
    """Parse a file on disk to its end by name, skipping the lines before `start`: pandas reads a
    named file in about half the time it takes over a Python stream. None when that does not apply
    or the first row does not come out as the head's first data line (then the stream is used)."""
    if src.path is None or end != src.size or src.first_line != 1 or not head.data_lines:
        return None
    with src.open() as f:
        before = f.read(start)
    # The lines pandas counts: "\r\n", "\n" and a lone "\r" each end one.
    skip = before.count(b"\n") + before.count(b"\r") - before.count(b"\r\n")
    try:
        df = pd.read_csv(src.path, skiprows=skip, low_memory=True, **options)
        grown = src.path.stat().st_size != src.size
    except (ValueError, pd.errors.ParserError, OSError):
        return None  # a bad cell or odd bytes: the stream route finds and names it
    if grown:
        return None  # still being recorded: pandas may have read a line cut short; read up to `end`
    first = split_fields(head.data_lines[0].rstrip("\r\n"), head.sep)
    for c in cols:
        cell = first[c] if c < len(first) else ""
        expect = float(cell.replace(head.decimal, ".")) if is_number(cell, head.decimal) else np.nan
        got = df[c].iloc[0] if len(df) else np.nan
        # pandas' own float parsing may differ from Python's in the last bit.
        if not (np.isclose(got, expect, rtol=1e-12, atol=0.0) or (np.isnan(got) and np.isnan(expect))):
            return None
    return df


def _parse_part(src: Source, start: int, end: int, options: dict) -> pd.DataFrame | None:
    with src.open() as f:
        try:
            return pd.read_csv(io.BufferedReader(_Window(f, start, end), 1 << 20), **options)
        except pd.errors.EmptyDataError:
            return None  # a part of blank lines only


def _parse(
    src: Source,
    head: Head,
    start: int,
    end: int,
    cols: list[int],
    label_col: int | None,
    options: dict,
) -> tuple[list[np.ndarray], np.ndarray | None]:
    """Parse the data lines: one pandas call, or (large files) one per part on a thread each.

    pandas' C tokenizer and float conversion release the GIL, so on two cores the parts parse in
    about half the time; rows come back in file order, so row numbers mean the same either way.
    """
    # A named file up to _ONE_PASS_BYTES parses faster by name on one core than as a stream in
    # parts on two (70-300 MB: 0.18-0.72 s against 0.21-1.24 s); larger ones are parsed in parts,
    # which holds a third less memory (8 h at 416 Hz: 1.5 GB against 2.2 GB).
    whole = src.path is not None and end - start <= _ONE_PASS_BYTES
    cuts = [start, end] if whole else _part_bounds(src, start, end)
    df = _parse_by_path(src, head, start, end, cols, options) if len(cuts) == 2 else None
    if df is not None:
        frames = [df]
    elif len(cuts) == 2:
        with src.open() as f:
            # One pass is faster than chunks + concatenation, but holds every token at once.
            df = pd.read_csv(
                io.BufferedReader(_Window(f, start, end), 1 << 20),
                **options,
                low_memory=(end - start) > _ONE_PASS_BYTES,
            )
        frames = [df]
    else:
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(min(len(cuts) - 1, os.cpu_count() or 1)) as pool:
            frames = [
                df
                for df in pool.map(
                    # Chunked within each part too: fewer fresh pages, which is most of the cost here.
                    lambda ab: _parse_part(src, ab[0], ab[1], {**options, "low_memory": True}),
                    zip(cuts[:-1], cuts[1:]),
                )
                if df is not None
            ]
        if not frames:
            raise pd.errors.EmptyDataError("no data lines")
    if len(frames) == 1:
        df = frames[0]
        data = [df[c].to_numpy(dtype=np.float64, copy=False) for c in cols]
        return data, df[label_col].to_numpy(dtype=object) if label_col is not None else None
    # Each part is copied into place and freed at once, so memory holds about one copy of the data.
    n = sum(len(df) for df in frames)
    data = [np.empty(n) for _ in cols]
    labels = np.empty(n, dtype=object) if label_col is not None else None
    pos = 0
    while frames:
        df = frames.pop(0)
        for out, c in zip(data, cols):
            out[pos : pos + len(df)] = df[c].to_numpy(dtype=np.float64, copy=False)
        if labels is not None:
            labels[pos : pos + len(df)] = df[label_col].to_numpy(dtype=object)
        pos += len(df)
        del df
    return data, labels


def read_table(
    head: Head,
    cols: list[int],
    *,
    unterminated: str = "if-short",
    min_fields: int | None = None,
    what: str = "samples",
    optional: tuple[int, ...] = (),
    label_col: int | None = None,
) -> Table:
    """Read columns `cols` (positions) of the data lines as float64.

    `unterminated`: 'drop' ignores a last line without a line end (a recording cut by a crash),
    'if-short' ignores it only when it has fewer fields than `min_fields` (default: the header's).
    Columns in `optional` may be empty without the row being dropped. `label_col` is read as text
    into `Table.labels` (e.g. the sensor name of a combined export).
    """
    src = head.source
    if head.header_idx is None:
        raise InputError(src.display, "the file is empty")
    data_offset = head.offsets[head.data_idx] if head.data_idx < len(head.offsets) else src.size
    if head.data_idx >= len(head.lines) and head.whole_file:
        data_offset = src.size
    notes: list[str] = []
    end, tail = _last_line(src)
    if tail.strip():
        nfields = len(split_fields(tail.decode("utf-8", "replace").rstrip("\r"), head.sep))
        need = min_fields if min_fields is not None else len(head.fields)
        if end <= data_offset:
            end = src.size  # the only data line is the unterminated one: keep it
        elif unterminated == "drop" or nfields < need:
            notes.append(
                "the file ends in the middle of a line (cut short while recording?); that line was ignored"
            )
        else:
            end = src.size
    else:
        end = src.size
    if end <= data_offset or not any(ln.strip() for ln in head.lines[head.data_idx :]) and head.whole_file:
        raise InputError(
            src.display, f"no {what}: the file has a header but no data lines", line=head.header_line_no
        )
    check_memory(head, end - data_offset, len(cols))
    dtype: object = np.float64
    usecols = list(cols)
    if label_col is not None:
        dtype = {c: np.float64 for c in cols} | {label_col: object}
        usecols = usecols + [label_col]
    names = list(range(max(max(usecols) + 1, len(head.fields))))
    options = dict(
        header=None,
        names=names,
        usecols=usecols,
        dtype=dtype,
        sep=head.sep,
        decimal=head.decimal,
        engine="c",
        skip_blank_lines=True,
        # Costs a third of the parse time, so only when the file has "a, b" cells.
        skipinitialspace=any(head.sep + " " in ln for ln in head.data_lines[:50]),
        index_col=False,
    )
    if label_col is None and _numeric_beside(head, names, cols):
        # Picking columns doubles pandas' parse time; reading a few more numbers is cheaper.
        del options["usecols"]
    try:
        try:
            data, labels = _parse(src, head, data_offset, end, cols, label_col, options)
        except (ValueError, pd.errors.ParserError):
            if "usecols" in options:
                raise
            # A text cell further down in a column not asked for: read only the columns asked for.
            data, labels = _parse(
                src, head, data_offset, end, cols, label_col, {**options, "usecols": usecols}
            )
    except pd.errors.EmptyDataError:
        raise InputError(
            src.display, f"no {what}: the file has a header but no data lines", line=head.header_line_no
        ) from None
    except (ValueError, pd.errors.ParserError):
        line, col, cell = _find_bad_cell(src, head, data_offset, cols)
        name = head.fields[col] if (not head.headerless and col < len(head.fields)) else f"#{col + 1}"
        shown = cell if len(cell) <= 40 else cell[:40] + f"... ({len(cell)} characters)"
        raise InputError(src.display, f"expected a number, found {shown!r}", line=line, column=name) from None
    if len(data[0]) == 0:
        raise InputError(
            src.display, f"no {what}: the file has a header but no data lines", line=head.header_line_no
        )
    required = [j for j, c in enumerate(cols) if c not in optional]
    kept = None
    if required:
        # One byte per row, reused for every column: no (n, k) or float temporaries.
        # Infinite cells are as good as missing ones ("inf" parses as a number).
        bad = ~np.isfinite(data[required[0]])
        col_bad = np.empty_like(bad)
        for j in required[1:]:
            bad |= np.logical_not(np.isfinite(data[j], out=col_bad), out=col_bad)
        nbad = int(np.count_nonzero(bad))
        if nbad:
            if nbad == len(bad):
                raise InputError(
                    src.display, f"no {what}: every data line has missing, NaN or infinite values"
                )
            kept = np.flatnonzero(~bad)
            data = [d[kept] for d in data]
            labels = labels[kept] if labels is not None else None
            notes.append(f"{nbad} line(s) with missing, NaN or infinite values were dropped")
    return Table(
        data=data,
        source=src,
        head=head,
        columns=cols,
        data_offset=data_offset,
        kept_rows=kept,
        notes=notes,
        labels=labels,
    )
