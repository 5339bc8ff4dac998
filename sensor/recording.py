"""`Recording`: what every reader returns and every live source produces.

Time in seconds from the first sample (float64, strictly increasing), accelerometer in m/s^2
INCLUDING gravity, gyroscope in rad/s, both in the sensor's own frame (right-handed, Android sign
convention: a device lying still reads +9.81 m/s^2 on its upward axis).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import numpy as np

STANDARD_GRAVITY = 9.80665
RATE_INTERVALS = 100_000  # intervals the measured rate is the median of (see Recording.measured_rate_hz)


@dataclass
class Gap:
    """A stretch with no samples: from the last sample before it to the first after it."""

    start_s: float
    end_s: float
    reason: str = "missing samples"


@dataclass
class RecordingMeta:
    format: str
    path: str = ""
    start_utc: datetime | None = None
    nominal_rate_hz: float | None = None
    gaps: list[Gap] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what the source limits, e.g. no gravity
    device: str = ""


@dataclass
class Recording:
    t: np.ndarray  # (n,) seconds from the first sample
    acc: np.ndarray  # (n, 3) m/s^2 including gravity
    gyro: np.ndarray  # (n, 3) rad/s
    meta: RecordingMeta

    def __post_init__(self) -> None:
        self.t = np.ascontiguousarray(self.t, dtype=np.float64)
        self.acc = np.ascontiguousarray(self.acc, dtype=np.float64).reshape(-1, 3)
        self.gyro = np.ascontiguousarray(self.gyro, dtype=np.float64).reshape(-1, 3)
        if not (len(self.t) == len(self.acc) == len(self.gyro)):
            raise ValueError("t, acc and gyro must have the same number of samples")

    def __len__(self) -> int:
        return len(self.t)

    @property
    def duration_s(self) -> float:
        return float(self.t[-1] - self.t[0]) if len(self.t) > 1 else 0.0

    @property
    def measured_rate_hz(self) -> float:
        """Median sample rate, robust to gaps and to jitter.

        Over at most RATE_INTERVALS intervals spread evenly through the recording: the median of all
        12 million of an 8-hour session takes half a second and reads the same.
        """
        if len(self.t) < 2:
            return 0.0
        if len(self.t) <= RATE_INTERVALS + 1:
            dt = np.diff(self.t)
        else:
            i = np.linspace(0, len(self.t) - 2, RATE_INTERVALS).astype(np.intp)
            dt = self.t[i + 1] - self.t[i]
        return float(1.0 / np.median(dt))
