"""Files to read, wherever they live: a single file, a folder, or members of a zip archive.

Readers see a `Container` of `Source`s and never care which of the three it is, so every format
accepts a folder, a zip of that folder or (where the format allows) one of its files.
"""

from __future__ import annotations

import io
import os
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from sensor.errors import InputError

HEAD_BYTES = 64 * 1024
ZIP_CACHE_BYTES = 256 << 20
MAX_DEPTH = 3  # exports nest at most a folder or two deep; deeper trees are not recordings
_IGNORED_DIRS = {"__MACOSX", ".git", "__pycache__"}


@dataclass
class Source:
    """One file on disk or inside a zip archive."""

    name: str  # path inside the container, '/' separated
    display: str  # how error messages name it
    size: int
    opener: Callable[[], BinaryIO] = field(repr=False)
    first_line: int = 1  # line number of this source's first line in the real file (slices start later)
    head_opener: Callable[[], BinaryIO] | None = field(default=None, repr=False)  # cheap stream for head()
    path: Path | None = None  # the file itself, when the source is a whole file on disk
    _head: bytes | None = field(default=None, repr=False)

    @property
    def basename(self) -> str:
        return self.name.rsplit("/", 1)[-1]

    @property
    def folder(self) -> str:
        return self.name.rsplit("/", 1)[0] if "/" in self.name else ""

    def open(self) -> BinaryIO:
        return self.opener()

    def head(self) -> bytes:
        """The first bytes, cached: detection reads every candidate file's head."""
        if self._head is None:
            with (self.head_opener or self.opener)() as f:
                self._head = f.read(HEAD_BYTES)
        return self._head


@dataclass
class Container:
    """What the user pointed at: `kind` is 'file', 'dir' or 'zip'."""

    path: Path
    kind: str
    sources: list[Source]
    focus: Source | None = None  # the file the user named, when they named one inside a folder

    def find(self, name: str) -> Source | None:
        for s in self.sources:
            if s.name == name:
                return s
        return None


def _file_source(path: Path, name: str, display: str) -> Source:
    return Source(
        name=name, display=display, size=path.stat().st_size, opener=lambda: open(path, "rb"), path=path
    )


def _walk(root: Path) -> Iterator[Path]:
    root_depth = len(root.parts)
    for dirpath, dirnames, filenames in os.walk(root):
        depth = len(Path(dirpath).parts) - root_depth
        dirnames[:] = sorted(d for d in dirnames if d not in _IGNORED_DIRS and not d.startswith("."))
        if depth >= MAX_DEPTH:
            dirnames[:] = []
        for fn in sorted(filenames):
            if not fn.startswith("."):
                yield Path(dirpath) / fn


def _dir_container(path: Path) -> Container:
    sources = []
    for p in _walk(path):
        if not p.is_file():  # a dangling link, a socket: nothing to read, and no recording
            continue
        rel = p.relative_to(path).as_posix()
        sources.append(_file_source(p, rel, str(p)))
    return Container(path=path, kind="dir", sources=sources)


class _ZipMember:
    """Opens one zip member. Readers seek (to check the last line, to find sections), and seeking
    in a compressed stream means decompressing again, so members up to ZIP_CACHE_BYTES are
    decompressed once and then served from memory; larger ones stream."""

    def __init__(self, zf: zipfile.ZipFile, info: zipfile.ZipInfo):
        self._zf = zf
        self._info = info
        self._data: bytes | None = None

    def __call__(self) -> BinaryIO:
        if self._data is None and self._info.file_size <= ZIP_CACHE_BYTES:
            with self._zf.open(self._info) as f:
                self._data = f.read()
        if self._data is not None:
            return io.BytesIO(self._data)
        return self._zf.open(self._info)


def is_zip(path: Path) -> bool:
    """By content, not extension: a zip starts with 'PK'; a cut-off one still does."""
    try:
        with open(path, "rb") as f:
            return f.read(2) == b"PK"
    except OSError:
        return False


@contextmanager
def open_container(path: str | Path) -> Iterator[Container]:
    """Open what the user named; raises InputError for a missing path or a damaged zip."""
    p = Path(path).expanduser()
    if not p.exists():
        raise InputError(p, "no such file or folder")
    if p.is_dir():
        yield _dir_container(p)
        return
    if not p.is_file():
        raise InputError(p, "not a regular file or folder")
    if is_zip(p):
        try:
            zf = zipfile.ZipFile(p)
        except (zipfile.BadZipFile, OSError, EOFError) as e:
            raise InputError(
                p, f"the zip archive is damaged or incomplete (truncated download?): {e}"
            ) from None
        with zf:
            sources = []
            for info in zf.infolist():
                parts = info.filename.split("/")
                if info.is_dir() or any(x in _IGNORED_DIRS or x.startswith(".") for x in parts if x):
                    continue
                if len(parts) > MAX_DEPTH + 1:
                    continue
                sources.append(
                    Source(
                        name=info.filename,
                        display=f"{p}:{info.filename}",
                        size=info.file_size,
                        opener=_ZipMember(zf, info),
                        head_opener=(lambda i=info: zf.open(i)),
                    )
                )
            yield Container(path=p, kind="zip", sources=sources)
        return
    yield Container(path=p, kind="file", sources=[_file_source(p, p.name, str(p))])


def sibling_container(path: Path) -> Container:
    """The folder around a file the user named, with that file marked as the focus."""
    c = _dir_container(path.parent)
    c.focus = c.find(path.name)
    return c


class _Slice(io.RawIOBase):
    """Bytes start..end of a stream, seekable, so a part of a file reads like a whole file."""

    def __init__(self, f: BinaryIO, start: int, end: int):
        self._f = f
        self._start = start
        self._end = end
        self._pos = 0
        f.seek(start)

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = 0) -> int:
        base = {0: 0, 1: self._pos, 2: self._end - self._start}[whence]
        self._pos = max(0, min(base + offset, self._end - self._start))
        self._f.seek(self._start + self._pos)
        return self._pos

    def tell(self) -> int:
        return self._pos

    def readinto(self, b) -> int:  # type: ignore[no-untyped-def]
        n = min(len(b), self._end - self._start - self._pos)
        if n <= 0:
            return 0
        data = self._f.read(n)
        b[: len(data)] = data
        self._pos += len(data)
        return len(data)

    def close(self) -> None:
        self._f.close()
        super().close()


def slice_source(src: Source, start: int, end: int, first_line: int) -> Source:
    """A part of `src` (e.g. one of several tables in one file) as a Source of its own."""
    return Source(
        name=src.name,
        display=src.display,
        size=end - start,
        opener=lambda: io.BufferedReader(_Slice(src.open(), start, end)),
        first_line=first_line,
    )
