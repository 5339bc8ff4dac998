"""Read any supported recording into one `sensor.recording.Recording`.

    read_recording(path)  -> Recording   (a file, a folder or a .zip; the format is detected)
    detect_format(path)   -> str         (one of FORMATS)

Formats are recognised by file names and header lines, never by the extension alone. Every user
mistake raises `sensor.errors.InputError` with one line naming the file, the line or column, and
what was expected.
"""

from __future__ import annotations

import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

from sensor.errors import InputError
from sensor.recording import Recording

from . import cara, generic_csv, metabase, phyphox, repcount_csv, sensor_logger
from ._csvio import Head, read_head
from ._source import HEAD_BYTES, MAX_DEPTH, Container, open_container, sibling_container

FORMATS = [repcount_csv.NAME, sensor_logger.NAME, phyphox.NAME, metabase.NAME, generic_csv.NAME, cara.NAME]
MAX_FILES = 300  # more files than this is a data folder, not one recording

LOOKED_FOR = (
    "looked for a repcount-csv header ('# repcount-csv 1'), "
    "Sensor Logger files (time,seconds_elapsed,z,y,x), "
    'phyphox tables ("Time (s)","Acceleration x (m/s^2)",...), '
    "MetaBase files (epoch (ms),time,elapsed (s),...), "
    "CaRa rows (epoch ms and 6 numbers) or a CSV header naming time and ax..gz with units"
)

__all__ = ["FORMATS", "detect_format", "read_recording"]


@dataclass
class _Plan:
    fmt: str
    container: Container
    heads: list[Head]
    head: Head | None = None  # the one file, for single-file formats


def _classify(h: Head) -> str | None:
    """Which format a file belongs to, from its header (and name for Sensor Logger)."""
    if h.header_idx is None:
        return None
    if repcount_csv.claims(h):
        return repcount_csv.NAME
    if metabase.claims(h):
        return metabase.NAME
    if sensor_logger.claims(h) or sensor_logger.is_combined(h):
        return sensor_logger.NAME
    if phyphox.claims(h) or phyphox.is_meta(h):
        return phyphox.NAME
    if cara.claims(h):
        return cara.NAME
    if generic_csv.claims(h):
        return generic_csv.NAME
    return None


def _heads(c: Container) -> list[Head]:
    if len(c.sources) > MAX_FILES:
        raise InputError(
            c.path, f"holds {len(c.sources)} files, too many for one recording; pass the recording's folder"
        )
    out = []
    for s in c.sources:
        if s.size == 0:
            continue
        h = read_head(s)
        if h is not None:
            out.append(h)
    return out


def _single_file_plan(c: Container, h: Head, fmt: str | None, path: Path, forced_generic: bool) -> _Plan:
    """The user named one file: read it alone, or with its siblings for multi-file formats."""
    if h.header_idx is None:
        if not h.whole_file:  # lines so long that the head holds none whole
            raise InputError(
                h.source.display,
                f"no header line in the first {HEAD_BYTES // 1024} KB (a comment or header line that long?); "
                "expected a CSV header line naming the columns",
            )
        raise InputError(h.source.display, "the file is empty")
    if forced_generic:
        return _Plan(generic_csv.NAME, c, [h], h)
    if fmt is None:
        raise InputError(h.source.display, f"not a recognised recording format; {LOOKED_FOR}")
    if fmt in (repcount_csv.NAME, cara.NAME, generic_csv.NAME):
        return _Plan(fmt, c, [h], h)
    if fmt == sensor_logger.NAME and sensor_logger.is_combined(h):
        return _Plan(fmt, c, [h], h)
    if fmt == phyphox.NAME and c.kind == "file":
        kinds = {g.kind for g in phyphox._groups(h)}
        if "gyro" in kinds and kinds & {"acc", "lin"}:
            return _Plan(fmt, c, [h], h)
    # Multi-file formats: read the folder around the file, focused on it.
    sib = sibling_container(path)
    return _Plan(fmt, sib, _heads(sib), h)


def _plan(c: Container, path: Path, columns: dict[str, str] | None) -> _Plan:
    heads = _heads(c)
    if c.kind == "file":
        if not heads:
            src = c.sources[0]
            if src.size == 0:
                raise InputError(src.display, "the file is empty")
            if src.head()[:2] in (b"\xff\xfe", b"\xfe\xff"):  # what Excel's "Unicode Text" writes
                raise InputError(src.display, "UTF-16 text; expected UTF-8 (save it as \"CSV UTF-8\")")
            raise InputError(src.display, "not a text file")
        h = heads[0]
        return _single_file_plan(c, h, _classify(h), path, columns is not None)
    by_fmt: dict[str, list[Head]] = {}
    for h in heads:
        f = _classify(h)
        if f is not None:
            by_fmt.setdefault(f, []).append(h)
    what = "folder" if c.kind == "dir" else "zip archive"
    if columns is not None:
        csvs = [h for h in heads if h.header_idx is not None and not h.headerless]
        if len(csvs) != 1:
            raise InputError(
                c.path, f"--columns needs one CSV file, but the {what} holds {len(csvs)}; pass the file"
            )
        return _Plan(generic_csv.NAME, c, csvs, csvs[0])
    # Metadata.csv by its name alone: a device name with an unquoted comma makes it split unlike
    # its header, and it would not be recognised by its content.
    claimed = by_fmt.get(sensor_logger.NAME, [])
    named = [(h, sensor_logger.sensor_of(h.source.name)) for h in heads]
    sl = [h for h, so in named if so is not None and (h in claimed or so[1] == "Metadata")]
    if sl and any(sensor_logger.sensor_of(h.source.name)[1] != "Metadata" for h in sl):
        return _Plan(sensor_logger.NAME, c, sl)
    if any(phyphox.claims(h) for h in by_fmt.get(phyphox.NAME, [])):
        return _Plan(phyphox.NAME, c, by_fmt[phyphox.NAME])
    if metabase.NAME in by_fmt:
        return _Plan(metabase.NAME, c, by_fmt[metabase.NAME])
    singles = [
        (f, h)
        for f in (repcount_csv.NAME, sensor_logger.NAME, generic_csv.NAME, cara.NAME)
        for h in by_fmt.get(f, [])
    ]
    if len(singles) == 1:
        f, h = singles[0]
        return _Plan(f, c, [h], h)
    if len(singles) > 1:
        names = ", ".join(h.source.name for _, h in singles[:6])
        raise InputError(c.path, f"the {what} holds {len(singles)} recordings ({names}); pass one file")
    if not c.sources:
        deep = f" (looked {MAX_DEPTH} folder levels deep)" if c.kind == "dir" else ""
        raise InputError(c.path, f"the {what} holds no files{deep}")
    raise InputError(c.path, f"no recognised recording files in this {what}; {LOOKED_FOR}")


def _read(plan: _Plan, path: Path, columns: dict[str, str] | None, units: dict[str, str] | None) -> Recording:
    if plan.fmt == repcount_csv.NAME:
        return repcount_csv.read(plan.head, path)
    if plan.fmt == cara.NAME:
        return cara.read(plan.head, path, units)
    if plan.fmt == generic_csv.NAME:
        return generic_csv.read(plan.head, path, columns, units)
    if plan.fmt == sensor_logger.NAME:
        return sensor_logger.read(plan.container, plan.heads, path)
    if plan.fmt == phyphox.NAME:
        return phyphox.read(plan.container, plan.heads, path)
    if plan.fmt == metabase.NAME:
        return metabase.read(plan.container, plan.heads, path)
    raise AssertionError(plan.fmt)  # pragma: no cover - every format is dispatched above


def _guard(path: str | Path):  # type: ignore[no-untyped-def]
    """Turn archive and OS failures into one-line InputErrors."""

    class _Guard:
        def __enter__(self) -> None:
            return None

        def __exit__(self, et, e, tb) -> bool:  # type: ignore[no-untyped-def]
            if e is None or isinstance(e, InputError):
                return False
            if isinstance(e, (zipfile.BadZipFile, zlib.error, EOFError)):
                raise InputError(
                    path, f"the zip archive is damaged or incomplete (truncated download?): {e}"
                ) from None
            if isinstance(e, PermissionError):
                raise InputError(path, "permission denied") from None
            if isinstance(e, IsADirectoryError):
                raise InputError(path, "is a folder where a file was expected") from None
            if isinstance(e, OSError):
                raise InputError(path, f"cannot read: {e.strerror or e}") from None
            return False

    return _Guard()


def detect_format(path: str | Path) -> str:
    """The format name (one of FORMATS) of a file, folder or zip; InputError if none fits."""
    p = Path(path)
    with _guard(p), open_container(p) as c:
        return _plan(c, p, None).fmt


def read_recording(
    path: str | Path,
    *,
    columns: dict[str, str] | None = None,
    units: dict[str, str] | None = None,
) -> Recording:
    """Read a recording in any supported format (see FORMATS) from a file, a folder or a .zip.

    `columns` maps roles (t, ax, ay, az, gx, gy, gz) to column names of a generic CSV; `units` maps
    acc -> m/s^2|g, gyro -> rad/s|deg/s, t -> s|ms|us|ns where the file does not say.
    """
    p = Path(path)
    with _guard(p), open_container(p) as c:
        plan = _plan(c, p, columns)
        return _read(plan, p, columns, units)
