"""Step 4 and 5: reps in a set, their phase times and range of motion.

Input is the rotation rate about the set's axis (rad/s), bias removed and signed so that
positive is outward. The angle is its running integral; each rep is one excursion of the angle
away from the start position and back.

Phase boundaries: a smooth human movement starts and ends with zero speed, so a fixed angle
threshold would shorten every movement by a tempo-dependent amount. Instead each movement's
boundaries are where its speed falls below SPEED_FRACTION of its own peak, then pushed outwards
by the share of the movement a bell-shaped (minimum-jerk) speed profile spends below that
fraction.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .peaks import prominent_peaks
from .stats import percentiles

SPEED_FRACTION = 0.05
# Share of a movement spent at each end below SPEED_FRACTION of its peak speed under the
# minimum-jerk model of human arm movement (Flash and Hogan, 1985); a raised-cosine profile would
# give 0.016, so other smooth profiles are timed within a few percent of their duration.
EDGE_SHARE = 0.059
MIN_REP_DEG = 8.0
MIN_PHASE_S = 0.25  # shaking the arms out is faster than any pull-apart
PARTIAL_FRACTION = 0.6  # reps below this share of the set's typical range are partial


@dataclass
class Rep:
    start_s: float
    turn_s: float
    leave_s: float
    end_s: float
    rom_deg: float
    peak_speed_dps: float
    partial: bool = False
    flags: list[str] = field(default_factory=list)
    pause_s: float | None = None

    @property
    def out_s(self) -> float:
        return self.turn_s - self.start_s

    @property
    def hold_s(self) -> float:
        return self.leave_s - self.turn_s

    @property
    def return_s(self) -> float:
        return self.end_s - self.leave_s


def same_rep(a: Rep, b: Rep) -> bool:
    """Whether two readings of a rep (from different windows) are the same rep: their holds at the
    turn lie within most of a rep's length of each other."""
    return abs(0.5 * (a.turn_s + a.leave_s - b.turn_s - b.leave_s)) < 0.6 * max(0.5, b.end_s - b.start_s)


def span(t: np.ndarray, start_s: float, end_s: float) -> slice:
    """The samples of the ascending times `t` with start_s <= t <= end_s (a slice costs far less than
    a boolean mask over the whole set)."""
    return slice(int(np.searchsorted(t, start_s, "left")), int(np.searchsorted(t, end_s, "right")))


def angle_deg(rate: np.ndarray, fs: float) -> np.ndarray:
    """Running integral of a rate in rad/s, in degrees (trapezoid rule, starts at 0)."""
    inc = 0.5 * (rate[1:] + rate[:-1]) / fs
    return np.degrees(np.concatenate(([0.0], np.cumsum(inc))))


def _crossing(t: np.ndarray, y: np.ndarray, i: int, level: float) -> float:
    """Time between samples i and i+1 where y crosses `level` (linear interpolation)."""
    y0, y1 = y[i], y[i + 1]
    if y1 == y0:
        return float(t[i])
    return float(t[i] + (level - y0) / (y1 - y0) * (t[i + 1] - t[i]))


def movement_bounds(t: np.ndarray, speed: np.ndarray, lo: int, hi: int) -> tuple[float, float, int] | None:
    """Start and end time of the one movement whose speed peaks within [lo, hi).

    `speed` is signed so that this movement is positive. Returns (start_s, end_s, peak_index).
    """
    if hi - lo < 3:
        return None
    m = lo + int(speed[lo:hi].argmax())
    peak = speed[m]
    if peak <= 0:
        return None
    level = SPEED_FRACTION * peak
    # The last sample below the level before the peak and the first one after it (argmax of a
    # boolean array stops at the first True; no index array is built).
    before = speed[:m][::-1] < level
    after = speed[m:] < level
    # Where the speed never falls below the level the movement runs off the end of the data (a live
    # window that stops mid-movement): that end is the last sample, not a crossing extrapolated from
    # two samples that do not cross.
    if before.any():
        a = m - 1 - int(before.argmax())
        t_a = _crossing(t, speed, a, level)
    else:
        t_a = float(t[0])
    if after.any():
        b = m + int(after.argmax()) - 1
        t_b = _crossing(t, speed, b, level) if b + 1 < len(speed) else float(t[-1])
    else:
        t_b = float(t[-1])
    span = (t_b - t_a) / (1.0 - 2.0 * EDGE_SHARE)
    return t_a - EDGE_SHARE * span, t_b + EDGE_SHARE * span, m


def find_reps(t: np.ndarray, rate: np.ndarray, fs: float, min_deg: float = MIN_REP_DEG) -> list[Rep]:
    """All out-and-back excursions in a set (full and partial), in time order."""
    theta = angle_deg(rate, fs)
    if len(theta) < 8:
        return []
    low, high = percentiles(theta, (2, 98))
    spread = float(high - low)
    prominence = max(min_deg, 0.18 * spread)
    wlen = int(40 * fs)
    peaks = prominent_peaks(theta, prominence, wlen)
    if len(peaks) == 0:
        return []
    # Start positions between reps: the lowest angle between neighbouring turning points.
    bounds = [0]
    for p0, p1 in zip(peaks[:-1], peaks[1:]):
        bounds.append(p0 + int(np.argmin(theta[p0:p1])))
    bounds.append(len(theta) - 1)

    reps: list[Rep] = []
    for k, p in enumerate(peaks):
        out = movement_bounds(t, rate, bounds[k], p + 1)
        ret = movement_bounds(t, -rate, p, bounds[k + 1] + 1)
        if out is None or ret is None:
            continue
        start, turn, m_out = out
        leave, end, m_ret = ret
        if leave < turn:  # no hold: the movements meet at the turning point
            turn = leave = 0.5 * (turn + leave)
        base0 = float(np.interp(start, t, theta))
        base1 = float(np.interp(end, t, theta))
        top = float(theta[p])
        t_top = float(t[p])
        frac = (t_top - start) / (end - start) if end > start else 0.5
        rom = top - (base0 + (base1 - base0) * frac)
        if rom < min_deg or turn - start < MIN_PHASE_S or end - leave < MIN_PHASE_S:
            continue
        speed = float(np.degrees(max(rate[m_out], -rate[m_ret])))
        reps.append(Rep(start, turn, leave, end, rom, speed))

    set_pauses(reps)
    return reps


def set_pauses(reps: list[Rep]) -> None:
    """Pause of each rep: until the next one starts (None for the last)."""
    for a, b in zip(reps[:-1], reps[1:]):
        a.pause_s = max(0.0, b.start_s - a.end_s)
    if reps:
        reps[-1].pause_s = None


def mark_partials(reps: list[Rep], fraction: float = PARTIAL_FRACTION) -> float:
    """Flag reps clearly short of the set's range; returns that typical range (degrees)."""
    if not reps:
        return 0.0
    # The typical range comes from the arcs; a row is judged against it like any other rep.
    arcs = [r for r in reps if "rowing" not in r.flags] or reps
    typical = float(percentiles([r.rom_deg for r in arcs], (75,))[0])
    for r in reps:
        r.partial = r.rom_deg < fraction * typical
    return typical
