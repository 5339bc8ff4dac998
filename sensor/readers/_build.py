"""Turn per-sensor streams into one `Recording`: repair each time axis, merge on time, mark gaps."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone

import numpy as np

from sensor.errors import InputError
from sensor.recording import Gap, Recording, RecordingMeta
from sensor.timebase import (
    TimeWentBackwards,
    even_out_bursts,
    find_gaps,
    mean_step,
    median_positive_step,
    repair_time_axis,
)

from ._csvio import Table

# Streams whose rates differ by less than this are treated as the same rate when picking a timeline.
_SAME_RATE = 0.05
# Trimming more than this at either end of a merge is worth telling the user.
_TRIM_NOTE_S = 0.1
# Beyond what any wearable IMU measures (about 1,000 g; 57,000 deg/s): a corrupt cell, not a sample.
MAX_ACC_MPS2 = 1e4
MAX_GYRO_RADPS = 1e3
# A recording spanning longer is two recordings in one file, or a clock that jumped: the analysis
# grid covers the whole span (at 50 Hz), so days of nothing would cost gigabytes.
MAX_SPAN_S = 48 * 3600.0


@dataclass
class Stream:
    """One sensor's samples on its own clock (seconds, any origin shared by the streams it merges with)."""

    name: str
    t: np.ndarray
    xyz: np.ndarray
    notes: list[str] = field(default_factory=list)

    @property
    def rate_hz(self) -> float:
        step = median_positive_step(self.t)
        return 1.0 / step if step > 0 else 0.0


def repair_time(
    name: str,
    t: np.ndarray,
    table: Table | None = None,
    rows: np.ndarray | None = None,
    display: str = "",
) -> tuple[np.ndarray, list[str]]:
    """Strictly increasing time axis (shared stamps spread, jitter clamped, bursts evened) and notes.

    A real backward jump is an InputError; `rows` maps samples to rows of `table` so it names the line.
    """
    if len(t) > 1 and t.min() == t.max():
        where = table.source.display if table is not None else display
        raise InputError(where, f"{name}: every sample has the same time ({t[0]:g}); expected it to increase")
    try:
        fixed, rep = repair_time_axis(t)
    except TimeWentBackwards as e:
        line = None
        where = display
        if table is not None:
            row = int(rows[e.index]) if rows is not None else e.index
            line = table.line_of(row)
            where = table.source.display
        raise InputError(where, f"{e}; expected time to increase", line=line) from None
    notes = []
    fixed, shift = even_out_bursts(fixed, steps=np.diff(fixed))
    if shift > 0:
        notes.append(
            f"{name}: timestamps are unevenly bunched (stamped on arrival or coarsely rounded); samples "
            f"re-spaced evenly between gaps, moving none by more than {shift * 1000:.1f} ms"
        )
    if rep.shared:
        notes.append(f"{name}: {rep.shared} samples shared a timestamp with the previous one; spread evenly")
    if rep.backwards:
        notes.append(f"{name}: {rep.backwards} timestamps stepped slightly back (jitter); clamped")
    return fixed, notes


def make_stream(
    name: str,
    t: np.ndarray,
    xyz: np.ndarray,
    table: Table | None = None,
    rows: np.ndarray | None = None,
    display: str = "",
) -> Stream:
    """One sensor's samples with a repaired time axis (see `repair_time`)."""
    fixed, notes = repair_time(name, t, table, rows, display)
    return Stream(name=name, t=fixed, xyz=np.asarray(xyz, dtype=np.float64), notes=notes)


def _inside_gaps(base_t: np.ndarray, other_t: np.ndarray) -> np.ndarray:
    """Mask of base samples strictly inside a hole of `other`: interpolating there would invent data."""
    gaps = find_gaps(other_t)
    if not len(gaps):
        return np.zeros(len(base_t), dtype=bool)
    is_gap = np.zeros(len(other_t), dtype=bool)
    is_gap[gaps] = True
    idx = np.searchsorted(other_t, base_t, side="right") - 1
    ok = (idx >= 0) & (idx < len(other_t) - 1)
    out = np.zeros(len(base_t), dtype=bool)
    out[ok] = is_gap[idx[ok]] & (base_t[ok] > other_t[idx[ok]])
    return out


def merge_streams(a: Stream, b: Stream, display: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str]]:
    """Put two streams on one timeline: (t, a values, b values, notes).

    The faster stream's timestamps are kept and the other is interpolated onto them, only where
    both exist: outside the overlap and inside either stream's gaps there is no sample at all.
    """
    notes: list[str] = []
    if len(a.t) == len(b.t) and np.allclose(a.t, b.t, rtol=0, atol=1e-6):
        return a.t, a.xyz, b.xyz, notes
    ra, rb = a.rate_hz, b.rate_hz
    if rb > ra * (1 + _SAME_RATE):
        base, other, swapped = b, a, True
    else:
        base, other, swapped = a, b, False
    lo, hi = max(a.t[0], b.t[0]), min(a.t[-1], b.t[-1])
    if hi <= lo:
        first, second = (a, b) if a.t[0] <= b.t[0] else (b, a)
        raise InputError(
            display,
            f"the {a.name} and {b.name} do not overlap in time: the {second.name} starts "
            f"{second.t[0] - first.t[-1]:.1f} s after the {first.name} ends",
        )
    for s in (a, b):
        if lo - s.t[0] > _TRIM_NOTE_S:
            notes.append(
                f"{s.name} starts {lo - s.t[0]:.2f} s before the other sensor: that part was dropped"
            )
        if s.t[-1] - hi > _TRIM_NOTE_S:
            notes.append(f"{s.name} ends {s.t[-1] - hi:.2f} s after the other sensor: that part was dropped")
    keep = (base.t >= lo) & (base.t <= hi) & ~_inside_gaps(base.t, other.t)
    t = base.t[keep]
    if len(t) < 2:
        raise InputError(display, f"the {a.name} and {b.name} share fewer than 2 samples in time")
    interp = np.column_stack([np.interp(t, other.t, other.xyz[:, k]) for k in range(other.xyz.shape[1])])
    if abs(ra - rb) > _SAME_RATE * max(ra, rb):
        notes.append(
            f"{other.name} ({other.rate_hz:.1f} Hz) interpolated onto the {base.name} timeline "
            f"({base.rate_hz:.1f} Hz)"
        )
    base_v = base.xyz[keep]
    return (t, interp, base_v, notes) if swapped else (t, base_v, interp, notes)


def build_recording(
    t: np.ndarray,
    acc: np.ndarray,
    gyro: np.ndarray,
    meta: RecordingMeta,
    *,
    epoch_s: float | None = None,
    marked_gaps: np.ndarray | None = None,
) -> Recording:
    """Final step of every reader: time from the first sample, start_utc, gaps, nominal rate.

    `epoch_s` is the UTC epoch (seconds) of t == 0 when `t` is not itself from an absolute clock.
    `marked_gaps` are indices i whose step t[i] -> t[i+1] the file itself flags as a gap.
    """
    t = np.asarray(t, dtype=np.float64)
    t, acc, gyro = _plausible(t, np.asarray(acc, dtype=np.float64), np.asarray(gyro, dtype=np.float64), meta)
    t0 = float(t[0])
    rel = t - t0
    steps = np.diff(rel)
    if epoch_s is not None and meta.start_utc is None:
        meta.start_utc = datetime.fromtimestamp(epoch_s + t0, tz=timezone.utc)
    found = set(find_gaps(rel, steps=steps).tolist())
    flagged = set() if marked_gaps is None else set(np.asarray(marked_gaps).tolist())
    gaps = []
    for i in sorted(found | flagged):
        if 0 <= i < len(rel) - 1:
            reason = "marked in the file" if i in flagged else "missing samples"
            gaps.append(Gap(start_s=float(rel[i]), end_s=float(rel[i + 1]), reason=reason))
    meta.gaps = gaps
    if gaps:
        lost = sum(g.end_s - g.start_s for g in gaps)
        meta.notes.append(
            f"{len(gaps)} gap(s) in the data, {lost:.1f} s in total; analysis must not bridge them"
        )
    if meta.nominal_rate_hz is None and len(rel) > 1:
        step = mean_step(rel, steps=steps)
        meta.nominal_rate_hz = round(1.0 / step, 2) if step > 0 else None
    return Recording(t=rel, acc=acc, gyro=gyro, meta=meta)


def _plausible(
    t: np.ndarray, acc: np.ndarray, gyro: np.ndarray, meta: RecordingMeta
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Drop samples no IMU can give (infinite, or beyond MAX_ACC_MPS2 / MAX_GYRO_RADPS), with a
    note; refuse a recording spanning more than MAX_SPAN_S."""
    # Reductions first: no temporaries the size of the recording unless something is wrong.
    if not (
        -MAX_ACC_MPS2 <= acc.min()
        and acc.max() <= MAX_ACC_MPS2
        and -MAX_GYRO_RADPS <= gyro.min()
        and gyro.max() <= MAX_GYRO_RADPS
    ):
        ok = (np.abs(acc) <= MAX_ACC_MPS2).all(axis=1) & (np.abs(gyro) <= MAX_GYRO_RADPS).all(axis=1)
        if ok.sum() < 2:
            raise InputError(
                meta.path, "no plausible samples: every value is infinite or beyond any IMU's range"
            )
        meta.notes.append(
            f"{int((~ok).sum())} sample(s) beyond any IMU's range (over {MAX_ACC_MPS2:g} m/s^2 or "
            f"{MAX_GYRO_RADPS:g} rad/s, or infinite) were dropped"
        )
        t, acc, gyro = t[ok], acc[ok], gyro[ok]
    if t[-1] - t[0] > MAX_SPAN_S:
        i = int(np.argmax(np.diff(t)))
        jump = t[i + 1] - t[i]
        raise InputError(
            meta.path,
            f"time jumps forward by {_duration(jump)} at {t[i] - t[0]:.1f} s, and the recording spans "
            f"{_duration(t[-1] - t[0])}: expected one session of at most {MAX_SPAN_S / 3600:g} h "
            "(are two recordings joined in one file?)",
        )
    return t, acc, gyro


def _duration(s: float) -> str:
    return f"{s / 86400:.1f} days" if s >= 2 * 86400 else f"{s / 3600:.1f} h" if s >= 3600 else f"{s:.1f} s"


def epoch_of(t_first: float, unit_scale: float) -> float | None:
    """If a time column looks like a Unix epoch (2001..2100), the epoch seconds of its origin (0)."""
    seconds = t_first * unit_scale
    return 0.0 if 1.0e9 <= seconds <= 4.1e9 else None
