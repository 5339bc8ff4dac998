"""`CsvRecorder`: writes samples to a repcount-csv file (sensor/FORMAT.md) as they arrive.

Every batch is written as whole lines and flushed to the OS at once, and the file is fsynced about
once a second, so a killed process or a crashed machine loses at most the last second; a line cut off
mid-write is dropped by the reader. After a reconnect the same recorder goes on in the same file and
the first sample after the hole carries `gap=1`. `append=True` reopens an existing recording (say after
the program was restarted) and continues it on its own `start_utc`, with a gap mark.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from sensor.live.timeline import SampleBatch

HEADER = "t_s,ax_mps2,ay_mps2,az_mps2,gx_rads,gy_rads,gz_rads,gap"
MAGIC = "# repcount-csv 1"
_ROW = "%.6f,%.4f,%.4f,%.4f,%.5f,%.5f,%.5f,"


def format_utc(dt: datetime) -> str:
    """ISO 8601 UTC with microseconds and a Z, as FORMAT.md shows it."""
    dt = dt.replace(tzinfo=timezone.utc) if dt.tzinfo is None else dt.astimezone(timezone.utc)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _format_rate(rate_hz: float) -> str:
    return str(int(rate_hz)) if float(rate_hz).is_integer() else f"{rate_hz:g}"


class CsvRecorder:
    """Append-only repcount-csv writer. Use as a context manager or call `close()`."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        start_utc: datetime,
        device: str,
        nominal_rate_hz: float,
        *,
        fsync_interval_s: float = 1.0,
        append: bool = False,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.path = Path(path)
        self.device = device
        self.nominal_rate_hz = float(nominal_rate_hz)
        self.fsync_interval_s = fsync_interval_s
        self._clock = clock
        self.samples_written = 0
        self.samples_dropped = 0  # not after the previous sample in time: never written
        self.gaps_marked = 0
        self._offset_s = 0.0
        self._last_t: float | None = None
        self._gap_pending = False
        start_utc = start_utc.replace(tzinfo=timezone.utc) if start_utc.tzinfo is None else start_utc
        if append and self.path.exists() and self.path.stat().st_size > 0:
            file_start, last_t = self._prepare_append()
            self.start_utc = file_start
            self._offset_s = (start_utc - file_start).total_seconds()
            self._last_t = last_t
            self._gap_pending = last_t is not None
            self._file = open(self.path, "a", encoding="utf-8", newline="\n")
        else:
            self.start_utc = start_utc.astimezone(timezone.utc)
            self._file = open(self.path, "w", encoding="utf-8", newline="\n")
            self._file.write(
                f"{MAGIC}\n# start_utc={format_utc(self.start_utc)}\n# device={device}\n"
                f"# nominal_rate_hz={_format_rate(self.nominal_rate_hz)}\n{HEADER}\n"
            )
        self._sync()
        self._last_sync = self._clock()

    def _prepare_append(self) -> tuple[datetime, float | None]:
        """Read the existing header and last whole line; cut a partial last line so ours start clean."""
        with open(self.path, "rb+") as f:
            head = f.read(4096).decode("utf-8", errors="replace").splitlines()
            if not head or not head[0].lower().startswith("# repcount-csv"):
                raise ValueError(f"{self.path}: not a repcount-csv file, cannot append to it")
            start = None
            for line in head:
                if line.startswith("# start_utc="):
                    start = datetime.fromisoformat(line.split("=", 1)[1].strip().replace("Z", "+00:00"))
            if start is None:
                raise ValueError(f"{self.path}: no start_utc in the header, cannot append on its timeline")
            size = f.seek(0, os.SEEK_END)
            tail_len = min(size, 4096)
            f.seek(size - tail_len)
            tail = f.read(tail_len)
            if not tail.endswith(b"\n"):
                cut = tail.rfind(b"\n")
                f.truncate(size - tail_len + cut + 1)
                tail = tail[: cut + 1]
            last_t = None
            for line in reversed(tail.decode("utf-8", errors="replace").splitlines()):
                field0 = line.split(",", 1)[0]
                try:
                    last_t = float(field0)
                    break
                except ValueError:
                    continue
        return start.astimezone(timezone.utc), last_t

    def mark_gap(self) -> None:
        """The next sample written follows lost data (the link dropped)."""
        self._gap_pending = True

    def write(self, batch: SampleBatch) -> int:
        """Write one batch; returns how many samples were written."""
        t = np.asarray(batch.t_s, dtype=np.float64) + self._offset_s
        if len(t) == 0:
            return 0
        keep = np.ones(len(t), dtype=bool)
        if self._last_t is not None:
            keep &= t > self._last_t
        if len(t) > 1:
            # Within a batch times come from one linear map; a non-increasing step would be a bug upstream.
            keep[1:] &= np.diff(t) > 0
        if not keep.all():
            self.samples_dropped += int((~keep).sum())
            t = t[keep]
            if len(t) == 0:
                return 0
        acc, gyro = batch.acc[keep], batch.gyro[keep]
        gap = batch.gap_before or self._gap_pending
        rows = np.column_stack([t, acc, gyro])
        text = (_ROW + "\n") * len(t) % tuple(rows.ravel().tolist())
        if gap and self._last_t is not None:
            first_end = text.index("\n")
            text = text[:first_end] + "1" + text[first_end:]
            self.gaps_marked += 1
        self._gap_pending = False
        self._file.write(text)
        self._file.flush()
        self._last_t = float(t[-1])
        self.samples_written += len(t)
        now = self._clock()
        if now - self._last_sync >= self.fsync_interval_s:
            self._sync()
            self._last_sync = now
        return len(t)

    def _sync(self) -> None:
        self._file.flush()
        os.fsync(self._file.fileno())

    def close(self) -> None:
        if not self._file.closed:
            self._sync()
            self._file.close()

    @property
    def closed(self) -> bool:
        return self._file.closed

    def __enter__(self) -> CsvRecorder:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
