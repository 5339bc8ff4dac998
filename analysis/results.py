"""What the pipeline returns: plain dataclasses, turned into the JSON report by `to_dict`."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from sensor.recording import Recording

from .reps import Rep


@dataclass
class SetResult:
    index: int
    reps: list[Rep]
    axis: np.ndarray  # rotation axis in the sensor frame (pull-apart: up)
    typical_rom_deg: float
    rest_before_s: float | None = None
    side: str | None = None  # "left" / "right" arm, from the sweep direction
    radius_m: float = 0.0  # distance of the sensor from the axis it sweeps about
    flags: list[str] = field(default_factory=list)
    # For plots: time and outward angle (degrees, start position at 0) over the set's region.
    angle_t: np.ndarray | None = None
    angle_deg: np.ndarray | None = None

    @property
    def full_reps(self) -> list[Rep]:
        return [r for r in self.reps if not r.partial]

    @property
    def start_s(self) -> float:
        return self.reps[0].start_s

    @property
    def end_s(self) -> float:
        return self.reps[-1].end_s


@dataclass
class SessionResult:
    exercise: str
    duration_s: float
    sample_rate_hz: float
    sets: list[SetResult]
    notes: list[str] = field(default_factory=list)
    # Kept for plots: the analysis grid and the per-set signed angle.
    trace_t: np.ndarray | None = None
    trace_rate: np.ndarray | None = None

    @property
    def total_reps(self) -> int:
        return sum(len(s.full_reps) for s in self.sets)


def assemble_session(
    exercise: str,
    rec: Recording,
    sets: list[SetResult],
    trace_t: np.ndarray,
    trace_rate: np.ndarray,
    notes: list[str] | None = None,
) -> SessionResult:
    """Number the sets, time the rests between them, and wrap them with the recording's facts."""
    for i, s in enumerate(sets):
        s.index = i + 1
        s.rest_before_s = None if i == 0 else max(0.0, s.start_s - sets[i - 1].end_s)
    return SessionResult(
        exercise=exercise,
        duration_s=rec.duration_s,
        sample_rate_hz=rec.measured_rate_hz,
        sets=sets,
        notes=list(rec.meta.notes) + list(notes or []),
        trace_t=trace_t,
        trace_rate=trace_rate,
    )
