"""The whole pull-apart pipeline: recording in, sets and reps out.

    resample_uniform -> gravity_up / vertical_rate -> active_regions -> analyse_set (per set)

Every step is a pure function of arrays; this module only chains them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import Protocol

import numpy as np

from sensor.recording import Recording

from .clean import ANALYSIS_RATE_HZ, UniformSignal, fill_short_gaps, invalid_runs, resample_uniform, true_runs
from .flags import flag_reps, flag_set
from .orientation import TRACK_CUTOFF_HZ, gravity_up, remove_bias, sweep_fit, tracked_up, unit, vertical_rate
from .parallel import map_split
from .reps import PARTIAL_FRACTION, Rep, angle_deg, find_reps, mark_partials, same_rep, set_pauses, span
from .results import SessionResult, SetResult, assemble_session
from .rowing import VERTICAL_SHARE, find_rows, horizontal_excursion_rate, propagated_arc, vertical_share
from .sets import AWAY_S, Region, active_regions, pose_runs, set_windows
from .stats import median, percentiles, weighted_median

STEADY_TILT_DEG = 30.0  # gravity this far from the set's is no longer the working pose
# At a live window's end the zero-phase low-pass follows the last samples, and a fast return's swing
# (up to a g at the wrist) reads as a tilt of 30-60 degrees for about this long.
END_SWING_S = 0.75
MAX_RADIUS_M = 1.0
# Horizontal acceleration a swing fit cannot tell from the centripetal term: a degree of error in
# the vertical puts 0.17 m/s^2 of gravity there, and accelerometer bias adds about 0.1.
ACC_ERROR_MPS2 = 0.3
# A young live set's one or two reps: a slow rep's swing fit is loose, so its radius reads long.
YOUNG_MAX_RADIUS_M = 2.0
RADIUS_TOLERANCE = 0.5
INSIDE_RADIUS_SHARE = 0.25  # a set sweeping on less of the main set's radius turns about the forearm
SURE_SET_REPS = 3  # full reps for a set to judge others by, or to be judged a fidget by its radius
SHORT_HOLE_S = 1.0
REST_MIN_S = 10.0  # holding the start position longer than this, and than REST_CYCLES reps, is a rest
REST_CYCLES = 3.0
MIN_FULL_REPS = 2
SIDE_MAJORITY = 1.5  # one side's full reps this many times the other's decides the session's arm
MIN_SET_ROM_DEG = 35.0  # twisting the wrist with the arms down reaches 20-30 degrees
WINDOW_COST_S = 10.0  # a window costs about as much as analysing this many seconds more of it


def process_session(
    rec: Recording,
    fs: float = ANALYSIS_RATE_HZ,
    open_end: bool = False,
    side: str | None = None,
    after_s: float = -np.inf,
    resampled: UniformSignal | None = None,
    workers: int = 1,
    known_main: tuple[SetShape, int] | None = None,
) -> SessionResult:
    """Find the pull-apart sets and reps of a recording.

    `open_end`: the recording may stop mid-set (a live window). `side`: the arm ("left"/"right") when
    already known, which fixes the direction the arms open. `after_s`: only sets still going on
    after this time (s from the start) are wanted; earlier ones are left out unanalysed.
    `resampled`: `resample_uniform(rec, fs)`, when the caller keeps it up to date. `workers`: processes
    to analyse the set windows in (see `parallel.map_split`; the results are the same). `known_main`:
    the main set found before the recording starts and its full reps (see `same_arm`).
    """
    sig = resample_uniform(rec, fs) if resampled is None else resampled
    up = gravity_up(sig.acc, fs)
    w_v = vertical_rate(sig.gyro, up)
    w_tot = np.linalg.norm(sig.gyro, axis=1)
    regions = active_regions(w_v, w_tot, fs, sig.valid, open_end)
    quick_up = gravity_up(sig.acc, fs, TRACK_CUTOFF_HZ)
    windows = set_windows(regions, pose_runs(up, fs, quick_up, open_end), fs)
    windows = [w for w in windows if sig.t[w.stop - 1] > after_s]
    found = map_split(
        lambda w: analyse_set(sig, w, up, open_end, side),
        windows,
        workers,
        cost=[w.stop - w.start + WINDOW_COST_S * fs for w in windows],
    )
    kept = same_arm(one_set_per_rep([s for sets in found for s in sets]), known_main)
    majority = session_side((s.side, len(s.full_reps)) for s in kept) if side is None else None
    if majority is not None:
        # The sensor stays on one arm, so every set opens the same way: a set that seemed to open
        # the other way (its first or last stretch misread as the start position) is redone.
        for i, (w, sets) in enumerate(zip(windows, found)):
            if any(s.side != majority and s in kept for s in sets):
                found[i] = analyse_set(sig, w, up, open_end, majority)
        kept = same_arm(one_set_per_rep([s for sets in found for s in sets]), known_main)
    return assemble_session("pull-apart", rec, kept, sig.t, w_v)


def one_set_per_rep(sets: list[SetResult]) -> list[SetResult]:
    """Sets (in time order) without the reps an earlier set holds: the windows of two poses close
    together overlap by their margins, and a rep in both would be counted twice. A set left with no
    full rep is dropped."""
    out: list[SetResult] = []
    for s in sets:
        earlier = [r for d in out[-2:] for r in d.reps if r.end_s > s.start_s]
        own = [r for r in s.reps if not any(same_rep(r, e) for e in earlier)]
        if len(own) < len(s.reps):
            s = replace(s, reps=own)
            if not s.full_reps:
                continue
        out.append(s)
    return out


def session_side(sets: Iterable[tuple[str | None, int]]) -> str | None:
    """The arm the session was done with, from its sets' (side, full reps), when they say so
    clearly: one side holds SIDE_MAJORITY times the other's full reps."""
    reps = {"left": 0, "right": 0}
    for set_side, full_reps in sets:
        if set_side in reps:
            reps[set_side] += full_reps
    left, right = reps["left"], reps["right"]
    if max(left, right) > 0 and max(left, right) >= SIDE_MAJORITY * min(left, right):
        return "left" if left > right else "right"
    return None


def same_arm(sets: list[SetResult], known: tuple[SetShape, int] | None = None) -> list[SetResult]:
    """Drop sets that cannot come from the arm the session's main sets were done with.

    `known`: the main set found before this recording starts (a live window), and its full reps: one
    more candidate for the main set (see `main_set`).
    """
    if len(sets) < (1 if known else 2):
        return sets
    candidates: list[tuple[SetShape, int]] = [(s, len(s.full_reps)) for s in sets]
    if known is not None:
        candidates.append(known)
    main, most = main_set(candidates)
    if most < SURE_SET_REPS:
        # No set yet tells the arm: the arms coming up and a set's first rep can look alike.
        return sets
    # A set outside (`known`) is not compared by radius with one of a live window's young sets: three
    # reps can read a third of the radius the whole set reads, and the set would be dropped for good.
    by_radius = known is None or main is not known[0]
    return [
        s for s in sets if s is main or fits_arm(s, main, by_radius and len(s.full_reps) >= SURE_SET_REPS)
    ]


def main_set(candidates: list[tuple[SetShape, int]]) -> tuple[SetShape, int]:
    """The session's main set among (set, its full reps): the one with most full reps, unless its
    reps are partials beside those of a sure set (SURE_SET_REPS): a few twists or turns read as reps
    early on, which that set will outnumber as it goes on."""
    widest = max((c.typical_rom_deg for c, n in candidates if n >= SURE_SET_REPS), default=0.0)
    full_size = [(c, n) for c, n in candidates if not c.typical_rom_deg < PARTIAL_FRACTION * widest]
    return max(full_size or candidates, key=lambda cn: cn[1])


class SetShape(Protocol):
    side: str | None
    radius_m: float
    typical_rom_deg: float


def fits_arm(s: SetShape, main: SetShape, sure_radius: bool = True) -> bool:
    """Whether set `s` can come from the arm, and the place on it, of the session's main set.

    The sensor stays on one arm and at one place on it, so every set opens the same way and sweeps
    on about the same radius; wrist twisting or turning round between sets rarely matches both.
    `sure_radius`: the set holds enough full reps (SURE_SET_REPS) for its radius to tell a fidget;
    one or two reps, as a live set starts, read it loosely.
    """
    other_side = s.side != main.side
    other_radius = abs(s.radius_m - main.radius_m) > RADIUS_TOLERANCE * main.radius_m
    # A "set" whose every rep is short of the session's usual range is a set of partials at best;
    # fidgeting between sets looks like that.
    short = s.typical_rom_deg < PARTIAL_FRACTION * main.typical_rom_deg
    # Far inside the main set's radius: turning about the forearm itself (a twist, a fidget). A set
    # without a clean rep has no radius (0) and is not judged by it.
    inside = sure_radius and 0.0 < s.radius_m < INSIDE_RADIUS_SHARE * main.radius_m
    return not (other_side and other_radius) and not short and not inside


def working_pose(
    up: np.ndarray, valid: np.ndarray, fs: float, open_end: bool = False, gyro: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """The stretch of a region with the arms up in the working pose, and the up vector there.

    Raising the arms to the start position, lowering them and walking between sets all turn the
    forearm far from its working pose, so gravity in the sensor frame moves far from where it sits
    during the set. Returns (reference up, mask of the longest steady stretch). `open_end`: the
    region stops at the end of a live window, where the low-passed gravity reads a fast rep's swing
    for a moment; the pose is not taken as left within END_SWING_S of that end while the arm turns
    mostly about the vertical there (`gyro`: the region's rates), as it does in a rep and not when
    it is lowered or raised.
    """
    n = len(up)
    middle = slice(n // 4, max(n // 4 + 1, 3 * n // 4))
    ref = unit(median(up[middle]))
    steady = (up @ ref > np.cos(np.radians(STEADY_TILT_DEG))) & valid
    if open_end:
        after = np.flatnonzero(steady[::-1])[:1]  # samples after the last steady one
        if len(after) and 0 < after[0] < END_SWING_S * fs and _turns_about(gyro, ref, n - after[0]):
            steady[n - after[0] :] = valid[n - after[0] :]
    # A row or a wobble leaves the working pose only for a moment (see sets.AWAY_S).
    steady = fill_short_gaps(steady, int(AWAY_S * fs))
    starts, stops = true_runs(steady)
    if len(starts) == 0:
        return ref, steady
    k = int(np.argmax(stops - starts))  # the first of the longest
    longest = np.zeros_like(steady)
    longest[starts[k] : stops[k]] = True
    return ref, longest


def _turns_about(gyro: np.ndarray | None, axis: np.ndarray, start: int) -> bool:
    """Whether the rotation from `start` on is mostly (VERTICAL_SHARE of its path) about `axis`;
    True without rates to tell."""
    if gyro is None:
        return True
    tail = gyro[start:]
    total = float(np.linalg.norm(tail, axis=1).sum())
    return total == 0.0 or float(np.abs(tail @ axis).sum()) >= VERTICAL_SHARE * total


def outward_sign(rate: np.ndarray, fs: float, steady: np.ndarray, open_end: bool = False) -> float:
    """+1 or -1: the direction in which the arms open.

    A set starts and ends with the hands together in front, so the angle at either end of the
    working-pose stretch is the start position and every rep is an excursion to one side of it.
    With `open_end` (a live window that stops mid-set) only the start counts.
    """
    theta = angle_deg(rate, fs)
    idx = np.flatnonzero(steady)
    if len(idx) < 2 * fs:
        idx = np.arange(len(theta))
    a, b = idx[0], idx[-1]
    w = max(1, int(0.5 * fs))
    base0, base1 = median(theta[a : a + w]), median(theta[b - w + 1 : b + 1])
    if open_end and b >= len(theta) - fs:
        # The window stops mid-set: the first clear excursion from the start position opens.
        dev = theta[a : b + 1] - base0
        far = np.flatnonzero(np.abs(dev) > max(15.0, 0.3 * float(np.ptp(dev))))
        return 1.0 if len(far) == 0 or dev[far[0]] > 0 else -1.0
    line = np.linspace(base0, base1, b - a + 1)
    dev = theta[a : b + 1] - line
    low, high = percentiles(dev, (2, 98))
    return 1.0 if high >= -low else -1.0


def start_aligned_angle(t: np.ndarray, rate: np.ndarray, fs: float, reps: list) -> np.ndarray:
    """The set's angle with the start position at zero (drift taken out between rep starts)."""
    theta = angle_deg(rate, fs)
    knots_t = np.array([x for r in reps for x in (r.start_s, r.end_s)])
    knots = np.interp(knots_t, t, theta)
    return theta - np.interp(t, knots_t, knots)


def analyse_set(
    sig: UniformSignal, region: Region, up: np.ndarray, open_end: bool = False, side: str | None = None
) -> list[SetResult]:
    sl = slice(region.start, region.stop)
    missing = ~sig.valid[sl]
    valid = ~missing | short_holes(missing, sig.fs)  # a rep across a short hole still counts
    # A live window that stops inside this set: the set may be too young to hold MIN_FULL_REPS.
    still_open = open_end and region.stop >= len(sig.t) - sig.fs
    gyro = sig.gyro[sl]
    ref, steady = working_pose(up[sl], valid, sig.fs, still_open, gyro)
    gyro_norm = np.linalg.norm(gyro, axis=1)
    if steady.sum() < sig.fs:
        return []
    axis, _ = sweep_fit(sig.acc[sl][steady], gyro[steady], sig.fs)
    ok = steady & valid
    # Only rotation made between the arms coming up and going down counts (a row on the upper arm
    # leaves the working pose for a moment and still sweeps), and nothing invented inside a gap.
    inside = np.zeros_like(steady)
    if steady.any():
        idx = np.flatnonzero(steady)
        inside[idx[0] : idx[-1] + 1] = True
    up_t = tracked_up(sig.acc[sl], gyro, sig.fs)
    up_t *= np.sign(up_t @ axis)[:, None]
    rate = np.where(inside & valid, remove_bias(np.einsum("ij,ij->i", gyro, up_t), gyro, sig.fs), 0.0)
    if side is None:
        sign = outward_sign(rate, sig.fs, steady, still_open)
    else:
        sign = 1.0 if side == "left" else -1.0
    t = sig.t[sl]

    def in_set(r: Rep) -> bool:
        # Data all through the rep, and the arms in the working pose at its turning point (the
        # start can be blurred by the arms just coming up).
        at_turn = ok[span(t, r.turn_s, r.leave_s + 1.0 / sig.fs)]
        return bool(valid[span(t, r.start_s, r.end_s)].all() and at_turn.any() and at_turn.mean() > 0.5)

    def mark_holes(r: Rep) -> Rep:
        if missing[span(t, r.start_s, r.end_s)].any():
            r.flags.append("gap")
        return r

    reps = [mark_holes(r) for r in find_reps(t, sign * rate, sig.fs) if in_set(r)]
    if len(reps) < (1 if still_open else MIN_FULL_REPS):
        return []  # rows only add rows, and a set needs this many reps that are not rows
    for r in reps:
        if vertical_share(t, rate, gyro_norm, r) < VERTICAL_SHARE:
            r.flags.append("rowing")
            r.rom_deg = propagated_arc(
                t, gyro, up_t[max(0, np.searchsorted(t, r.start_s) - 1)], sig.fs, r, sign
            )
    # Lowering the arms also turns them about a horizontal axis: a row must lie wholly in the pose.
    rows = find_rows(t, horizontal_excursion_rate(gyro, axis, ok, sig.fs), sig.fs, reps)
    rows = [r for r in rows if in_set(r) and ok[span(t, r.start_s, r.end_s)].all()]
    for r in rows:
        if vertical_share(t, rate, gyro_norm, r) < VERTICAL_SHARE:
            r.rom_deg = propagated_arc(
                t, gyro, up_t[max(0, np.searchsorted(t, r.start_s) - 1)], sig.fs, r, sign
            )
            r.flags.append("rowing")
            reps.append(mark_holes(r))
    reps.sort(key=lambda r: r.start_s)
    results = []
    groups = split_at_rests(reps)
    for k, group in enumerate(groups):
        min_full = 1 if still_open and k == len(groups) - 1 else MIN_FULL_REPS
        result = _set_result(sig, sl, t, group, sign, rate, axis, gyro, min_full)
        if result is not None:
            results.append(result)
    return results


def rep_cycle_s(reps: list[Rep]) -> float:
    """How long a rep of the set typically takes, out and back."""
    return float(median(np.array([r.end_s - r.start_s for r in reps])))


def rest_limit_s(reps: list[Rep]) -> float:
    """Between two reps of one set the arms rest no longer than this (longer is a new set)."""
    return max(REST_MIN_S, REST_CYCLES * rep_cycle_s(reps))


def split_at_rests(reps: list[Rep]) -> list[list[Rep]]:
    """Split a run of reps where the arms were held still far longer than a rep takes (a rest
    taken without lowering them)."""
    if len(reps) < 2:
        return [reps]
    limit = rest_limit_s(reps)
    groups = [[reps[0]]]
    for prev, rep in zip(reps[:-1], reps[1:]):
        if rep.start_s - prev.end_s > limit:
            groups.append([])
        groups[-1].append(rep)
    return groups


def _set_result(
    sig: UniformSignal,
    sl: slice,
    t: np.ndarray,
    reps: list[Rep],
    sign: float,
    rate: np.ndarray,
    axis: np.ndarray,
    gyro: np.ndarray,
    min_full: int = MIN_FULL_REPS,
) -> SetResult | None:
    set_pauses(reps)
    typical = mark_partials(reps)
    # Rows are a fault inside a set of pull-aparts: a stretch of nothing but rows (fiddling with the
    # band with the arms down reads like them) is no set.
    pull_aparts = sum(not r.partial and "rowing" not in r.flags for r in reps)
    if pull_aparts < min_full or typical < MIN_SET_ROM_DEG:
        return None
    clean = [r for r in reps if not r.flags and not r.partial]
    radius = sweep_radius(sig.acc[sl], gyro, t, sig.fs, clean)
    limit = MAX_RADIUS_M if min_full >= MIN_FULL_REPS else YOUNG_MAX_RADIUS_M
    if radius - radius_error_m(clean) > limit:
        return None  # nothing on an arm sweeps about the vertical this far out
    result = SetResult(index=0, reps=reps, axis=sign * axis, typical_rom_deg=typical, radius_m=radius)
    result.side = "left" if sign > 0 else "right"
    shown = span(t, reps[0].start_s - 2.0, reps[-1].end_s + 2.0)
    result.angle_t, result.angle_deg = t[shown], start_aligned_angle(t, sign * rate, sig.fs, reps)[shown]
    flag_reps(result)
    flag_set(result)
    return result


def radius_error_m(reps: list[Rep]) -> float:
    """How far a set's sweep radius can read beyond the true one: the horizontal acceleration a
    swing fit cannot tell from the centripetal term (ACC_ERROR_MPS2) over the reps' squared peak
    rate. Slow reps barely show that term: at 45 degrees/s, 0.5 m."""
    if not reps:
        return 0.0
    w = np.radians(median(np.array([r.peak_speed_dps for r in reps])))
    return ACC_ERROR_MPS2 / max(float(w * w), 1e-6)


def short_holes(missing: np.ndarray, fs: float) -> np.ndarray:
    """The missing samples that lie in holes up to SHORT_HOLE_S long (bridged by interpolation)."""
    out = np.zeros_like(missing)
    for a, b in invalid_runs(~missing):
        if b - a <= SHORT_HOLE_S * fs:
            out[a:b] = True
    return out


def sweep_radius(acc: np.ndarray, gyro: np.ndarray, t: np.ndarray, fs: float, reps: list[Rep]) -> float:
    """Radius of the sweep: the median of one fit per clean pull-apart rep (the fit of `sweep_fit`),
    so that a row the rep finder took for a pull-apart (its straight pull reads as a far longer
    radius) cannot move it. Each fit weighs by how much its rep's squared rate varies: a slow rep
    barely shows the centripetal term, and its fit can read metres."""
    spans = np.searchsorted(t, [(r.start_s, r.end_s) for r in reps]).reshape(-1, 2)
    spans = spans[spans[:, 1] - spans[:, 0] > 0.5 * fs]
    if len(spans) == 0:
        return 0.0
    # The least-squares normal equations of every rep at once, from running sums over the set.
    w = gyro @ unit(median(acc))
    design = np.column_stack((np.ones_like(w), w * w, np.gradient(w) * fs))
    sums = np.zeros((len(w) + 1, 3, 6))
    sums[1:] = np.cumsum(np.einsum("ni,nj->nij", design, np.hstack((design, acc))), axis=0)
    normal = sums[spans[:, 1]] - sums[spans[:, 0]]
    coef = np.linalg.pinv(normal[:, :, :3]) @ normal[:, :, 3:]  # pinv: a rep without swing stays finite
    # n * variance of w^2 over each rep, from its sums: how well the rep pins the w^2 term down.
    excitation = normal[:, 1, 1] - normal[:, 0, 1] ** 2 / normal[:, 0, 0]
    return weighted_median(np.linalg.norm(coef[:, 1], axis=1), np.maximum(excitation, 0.0))
