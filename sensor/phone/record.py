"""A CsvRecorder that opens on the first batch, when the phone's rate is known."""

from __future__ import annotations

import os
from datetime import datetime, timezone

import numpy as np

from sensor.live.recorder import CsvRecorder
from sensor.live.timeline import SampleBatch


class PhoneRecorder:
    """`write(t, acc, gyro, gap_before=...)` as the live runner calls it; the file is a repcount-csv."""

    def __init__(self, path: str | os.PathLike[str], device: str) -> None:
        self.path = path
        self.device = device
        self.recorder: CsvRecorder | None = None

    def write(self, t: np.ndarray, acc: np.ndarray, gyro: np.ndarray, gap_before: bool = False) -> int:
        if self.recorder is None:
            # Phones tick at roughly the rate asked for; the nominal rate is the first batch's, rounded.
            dt = float(np.median(np.diff(t))) if len(t) > 2 else 0.01
            rate = max(1.0, round(1.0 / dt)) if dt > 0 else 100.0
            start = datetime.now(timezone.utc)
            self.recorder = CsvRecorder(self.path, start, self.device, rate)
        return self.recorder.write(
            SampleBatch(np.asarray(t), np.asarray(acc), np.asarray(gyro), bool(gap_before))
        )

    def close(self) -> None:
        if self.recorder is not None:
            self.recorder.close()
