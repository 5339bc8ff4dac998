"""The whole pull-apart pipeline: recording in, sets and reps out.

    resample_uniform -> gravity_up / vertical_rate -> active_regions -> analyse_set (per set)

Every step is a pure function of arrays; this module only chains them.
"""

from __future__ import annotations

import numpy as np

from sensor.recording import Recording

from .clean import ANALYSIS_RATE_HZ, UniformSignal, resample_uniform
from .flags import flag_reps, flag_set
from .orientation import gravity_up, steady_up, unit, vertical_rate
from .reps import angle_deg, find_reps, mark_partials
from .results import SessionResult, SetResult
from .sets import MARGIN_S, Region, active_regions

STILL_RATE = 0.15  # rad/s: slower than this counts as holding still (for the gyro bias)
MIN_FULL_REPS = 2
MIN_SET_ROM_DEG = 20.0


def process_session(rec: Recording, fs: float = ANALYSIS_RATE_HZ) -> SessionResult:
    """Find the pull-apart sets and reps of a recording."""
    sig = resample_uniform(rec, fs)
    up = gravity_up(sig.acc, fs)
    w_v = vertical_rate(sig.gyro, up)
    w_tot = np.linalg.norm(sig.gyro, axis=1)
    sets: list[SetResult] = []
    for region in active_regions(w_v, w_tot, fs, sig.valid):
        result = analyse_set(sig, region, up)
        if result is not None:
            sets.append(result)
    return _session(rec, sig, sets, w_v, "pull-apart")


def _session(rec: Recording, sig: UniformSignal, sets: list[SetResult], trace: np.ndarray, exercise: str):
    for i, s in enumerate(sets):
        s.index = i + 1
        s.rest_before_s = None if i == 0 else max(0.0, s.start_s - sets[i - 1].end_s)
    notes = list(rec.meta.notes)
    return SessionResult(
        exercise=exercise,
        duration_s=rec.duration_s,
        sample_rate_hz=rec.measured_rate_hz,
        sets=sets,
        notes=notes,
        trace_t=sig.t,
        trace_rate=trace,
    )


def set_axis(sig: UniformSignal, region: Region, up: np.ndarray) -> np.ndarray:
    """The set's vertical in the sensor frame, from its steady middle part."""
    margin = int(MARGIN_S * sig.fs)
    core = slice(region.start + margin, max(region.start + margin + 1, region.stop - margin))
    ups = up[core]
    ref = unit(np.median(ups, axis=0))
    steady = (ups @ ref > np.cos(np.radians(25))) & sig.valid[core]
    if steady.sum() < sig.fs:
        return ref
    return steady_up(sig.acc[core][steady], sig.gyro[core][steady], sig.fs)


def remove_bias(rate: np.ndarray, gyro_norm: np.ndarray, fs: float) -> np.ndarray:
    """Subtract the gyro bias, measured as the median rate while the arm is held still."""
    still = gyro_norm < STILL_RATE
    if still.sum() < 0.5 * fs:
        return rate
    return rate - float(np.median(rate[still]))


def outward_sign(rate: np.ndarray, fs: float) -> float:
    """+1 or -1: the direction of the first large excursion, which is the arms opening."""
    theta = angle_deg(rate, fs)
    spread = np.percentile(theta, 98) - np.percentile(theta, 2)
    far = np.flatnonzero(np.abs(theta - theta[0]) > 0.4 * spread)
    if len(far) == 0:
        return 1.0
    return 1.0 if theta[far[0]] > theta[0] else -1.0


def start_aligned_angle(t: np.ndarray, rate: np.ndarray, fs: float, reps: list) -> np.ndarray:
    """The set's angle with the start position at zero (drift taken out between rep starts)."""
    theta = angle_deg(rate, fs)
    knots_t = np.array([x for r in reps for x in (r.start_s, r.end_s)])
    knots = np.interp(knots_t, t, theta)
    return theta - np.interp(t, knots_t, knots)


def analyse_set(sig: UniformSignal, region: Region, up: np.ndarray) -> SetResult | None:
    sl = slice(region.start, region.stop)
    axis = set_axis(sig, region, up)
    gyro = sig.gyro[sl]
    rate = remove_bias(gyro @ axis, np.linalg.norm(gyro, axis=1), sig.fs)
    valid = sig.valid[sl]
    rate = np.where(valid, rate, 0.0)  # no rotation is invented inside a gap
    sign = outward_sign(rate, sig.fs)
    t = sig.t[sl]
    reps = find_reps(t, sign * rate, sig.fs)
    reps = [r for r in reps if valid[(t >= r.start_s) & (t <= r.end_s)].all()]
    typical = mark_partials(reps)
    if sum(not r.partial for r in reps) < MIN_FULL_REPS or typical < MIN_SET_ROM_DEG:
        return None
    result = SetResult(index=0, reps=reps, axis=sign * axis, typical_rom_deg=typical)
    result.side = "left" if sign > 0 else "right"
    result.angle_t, result.angle_deg = t, start_aligned_angle(t, sign * rate, sig.fs, reps)
    flag_reps(result, sig, region)
    flag_set(result)
    return result
