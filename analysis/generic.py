"""Generic mode: count any repetitive movement, learning what repeats from the recording itself.

    resample_uniform -> candidate channels -> activity stretches -> per stretch:
    period (vector autocorrelation, harmonic check, most regular sensor or window)
    -> cycle signal (band-passed first principal component) -> cycles
    -> trim by amplitude and cycle-to-cycle similarity -> reps counted by full swings

Why these choices:
- Channels: all three gyro axes and all three high-passed accelerometer axes (linear acceleration
  plus the turning of gravity). Using every axis at once makes the result independent of how the
  device sits on the arm and of whether the movement is mostly rotation or mostly translation.
- Period: the autocorrelation of the whole vector of channels. One full cycle brings every channel
  back, half a cycle only those with a second harmonic, so the vector version rarely picks the
  half period that a single harmonic-rich channel suggests.
- Counting: the channels band-passed around the fundamental, projected on their first principal
  component, give one clean oscillation per rep whatever the waveform; reps are counted by its
  full swings, so the half swing into and out of a set is not a rep.
- Trimming: walking up, setting up and stopping are either small or unlike the set's own cycle, so
  cycles are kept where the amplitude is a fair share of the set's typical cycle and the movement
  matches the next or previous cycle.
Everything is vectorised (FFT autocorrelation, filters, peak finding), so an hour at 50 Hz takes
a fraction of a second.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage
from scipy import signal as sps

from sensor.recording import Recording

from .clean import ANALYSIS_RATE_HZ, UniformSignal, lowpass, resample_uniform
from .orientation import dominant_axis
from .reps import Rep, angle_deg
from .results import SessionResult, SetResult, assemble_session

MIN_PERIOD_S = 0.4
MAX_PERIOD_S = 8.0
HIGHPASS_HZ = 0.1  # below the slowest rep (8 s), removes gravity and gyro bias
LOWPASS_HZ = 6.0  # above the harmonics that shape a rep; the rest is tremor and impact
SUBMULTIPLE_SHARE = 0.75  # a lag L/k this close to the best correlation is the true period
STILL_GYRO = 0.25  # rad/s RMS: slower than this and no acceleration = not moving
STILL_ACC = 0.6  # m/s^2 RMS of the high-passed accelerometer
MERGE_S = 6.0  # pauses up to this long keep one stretch of activity together
MIN_STRETCH_S = 3.0
BAND_LO, BAND_HI = 0.5, 1.6  # cycle band around the fundamental, as multiples of it
MIN_CYCLE_SHARE = 0.25  # of the set's typical cycle amplitude
MIN_SIMILARITY = 0.5  # correlation with the neighbouring cycle
MIN_SET_CYCLES = 3
TYPICAL_PERCENTILE = 75  # a set's typical cycle: robust to a few weak reps at either end
SHAPE_HARMONICS = 3.0  # harmonics of the rep kept when comparing cycle shapes
GROUPS = ("gyro", "acc", "all")
FULL_SWING_SHARE = 0.55  # of the typical swing; the half swing into and out of a set is ~0.5
WINDOW_S = 20.0  # window scanned for a set diluted in a long stretch of setting up
WINDOW_MARGIN = 0.1  # how much more regular a window must be to override the whole stretch
BRIDGE_CYCLES = 1  # odd cycles inside a run that do not split the set


def bandpass(x: np.ndarray, fs: float, lo: float, hi: float, order: int = 2) -> np.ndarray:
    """Zero-phase Butterworth band-pass along axis 0."""
    hi = min(hi, 0.45 * fs)
    sos = sps.butter(order, [lo, hi], btype="band", fs=fs, output="sos")
    return sps.sosfiltfilt(sos, x, axis=0, padlen=min(len(x) - 1, int(3 * fs / lo)))


def channels(sig: UniformSignal) -> np.ndarray:
    """(n, 6) gyro and high-passed accelerometer, each group scaled to unit RMS.

    The two sensors measure different things in different units; scaling each group (not each
    axis) keeps the relative size of the axes, so a noisy idle axis never outweighs the moving one.
    """
    fs = sig.fs
    gyro = bandpass(sig.gyro, fs, HIGHPASS_HZ, LOWPASS_HZ)
    acc = bandpass(sig.acc, fs, HIGHPASS_HZ, LOWPASS_HZ)
    gyro = np.where(sig.valid[:, None], gyro, 0.0)
    acc = np.where(sig.valid[:, None], acc, 0.0)
    return np.hstack((_unit_rms(gyro), _unit_rms(acc)))


def _unit_rms(x: np.ndarray) -> np.ndarray:
    rms = float(np.sqrt(np.mean(np.sum(x * x, axis=1))))
    return x / rms if rms > 0 else x


def vector_autocorrelation(x: np.ndarray) -> np.ndarray:
    """Autocorrelation of a multichannel signal summed over channels, 1 at lag 0."""
    n = len(x)
    x = x - x.mean(axis=0)
    spec = np.fft.rfft(x, 2 * n, axis=0)
    ac = np.fft.irfft(np.sum(spec * np.conj(spec), axis=1).real, 2 * n)[:n]
    if ac[0] <= 0:
        return np.zeros(n)
    # Biased (no overlap correction): long lags, estimated from little overlap, are damped, which
    # also favours the period over its multiples.
    return ac / ac[0]


def dominant_period(x: np.ndarray, fs: float) -> tuple[float, float]:
    """(period in s, autocorrelation there) of a (multichannel) signal; (0, 0) if none."""
    x = x.reshape(len(x), -1)
    n = len(x)
    ac = vector_autocorrelation(x)
    lo = int(MIN_PERIOD_S * fs)
    # At least two periods must fit, or the long lags are estimated from too little overlap.
    hi = min(int(MAX_PERIOD_S * fs), n // 2)
    if hi <= lo + 2:
        return 0.0, 0.0
    seg = ac[lo:hi]
    peaks, _ = sps.find_peaks(seg)
    if len(peaks) == 0:
        return 0.0, 0.0
    lag = lo + int(peaks[np.argmax(seg[peaks])])
    # Multiples of the period correlate as well as the period itself: step down to L/k when the
    # autocorrelation there is nearly as strong (harmonic check).
    changed = True
    while changed:
        changed = False
        for k in (2, 3):
            sub = lag / k
            if sub < lo:
                continue
            near = lo + peaks[np.abs(lo + peaks - sub) <= max(2.0, 0.15 * sub)]
            if len(near) and ac[near].max() >= SUBMULTIPLE_SHARE * ac[lag]:
                lag = int(near[np.argmax(ac[near])])
                changed = True
                break
    return _refine(ac, lag) / fs, float(ac[lag])


def best_period(x: np.ndarray, fs: float) -> tuple[float, float]:
    """Period of the most regular of: the gyro axes, the accelerometer axes, all six together.

    A squat with the hands still barely turns the wrist and a band rotation barely accelerates it,
    so whichever sensor repeats most cleanly sets the period.
    """
    parts = {"gyro": x[:, :3], "acc": x[:, 3:], "all": x}
    best = (0.0, 0.0)
    for name in GROUPS:
        period, strength = dominant_period(parts[name], fs)
        if period > 0 and strength > best[1]:
            best = (period, strength)
    return best


def local_period(x: np.ndarray, fs: float) -> tuple[float, float]:
    """Period of the stretch, or of its most regular window when that is clearly more regular.

    A set inside a long stretch of setting up and walking about is diluted in the stretch's
    autocorrelation; a window that holds mostly the set shows its period cleanly.
    """
    best = best_period(x, fs)
    win, hop = int(WINDOW_S * fs), int(WINDOW_S * fs / 2)
    if len(x) < 1.5 * win or WINDOW_S <= 0:
        return best
    for start in range(0, len(x) - win + 1, hop):  # a handful of windows, not a loop per sample
        period, strength = best_period(x[start : start + win], fs)
        if strength > best[1] + WINDOW_MARGIN:
            best = (period, strength)
    return best


def _refine(ac: np.ndarray, i: int) -> float:
    # Parabolic interpolation of the peak, for a period finer than one sample.
    if 0 < i < len(ac) - 1:
        a, b, c = ac[i - 1], ac[i], ac[i + 1]
        den = a - 2 * b + c
        if den < 0:
            return i + 0.5 * (a - c) / den
    return float(i)


def activity_stretches(x: np.ndarray, sig: UniformSignal) -> list[tuple[int, int]]:
    """(start, stop) index ranges where the arm moves, short pauses bridged."""
    fs = sig.fs
    win = max(1, int(1.0 * fs))
    gyro_rms = np.sqrt(ndimage.uniform_filter1d(np.sum(_hp(sig.gyro, fs) ** 2, axis=1), win))
    acc_rms = np.sqrt(ndimage.uniform_filter1d(np.sum(_hp(sig.acc, fs) ** 2, axis=1), win))
    moving = ((gyro_rms > STILL_GYRO) | (acc_rms > STILL_ACC)) & sig.valid
    # Pad so that the closing does not erode the stretches touching either end.
    pad = int(MERGE_S * fs)
    moving = np.pad(moving, pad)
    moving = ndimage.binary_closing(moving, structure=np.ones(pad))[pad:-pad]
    labels, _ = ndimage.label(moving)
    out = []
    for sl in ndimage.find_objects(labels):
        a, b = sl[0].start, sl[0].stop
        if b - a >= MIN_STRETCH_S * fs:
            out.append((a, b))
    return out


def _hp(x: np.ndarray, fs: float) -> np.ndarray:
    return x - lowpass(x, fs, HIGHPASS_HZ)


def cycle_signal(x: np.ndarray, fs: float, period: float) -> np.ndarray:
    """One oscillation per cycle: channels band-passed around 1/period, first principal component."""
    f0 = 1.0 / period
    xb = bandpass(x, fs, BAND_LO * f0, BAND_HI * f0)
    _, _, vt = np.linalg.svd(xb - xb.mean(axis=0), full_matrices=False)
    return xb @ vt[0]


def find_cycles(y: np.ndarray, x: np.ndarray, fs: float, period: float) -> list[list[tuple[int, int, int]]]:
    """Runs of consecutive reps as (start, peak, end) indices; troughs of `y` bound the cycles.

    A cycle is a rep when its amplitude is a fair share of the typical one, its length is near the
    period and its movement in the channels `x` matches the following or the preceding cycle. Runs
    of such cycles are the sets; what lies between them (setting up, walking) is not counted.
    """
    n_per = max(2, int(round(period * fs)))
    troughs, _ = sps.find_peaks(-y, distance=max(1, int(0.6 * n_per)))
    if len(troughs) < 2:
        return []
    a, b = troughs[:-1], troughs[1:]
    peak = _segment_argmax(y, a, b)
    amp = y[peak] - 0.5 * (y[a] + y[b])
    typical = float(np.percentile(amp, TYPICAL_PERCENTILE))
    length = (b - a) / n_per
    smooth = lowpass(x, fs, min(SHAPE_HARMONICS / period, 0.45 * fs))
    good = (
        (amp >= MIN_CYCLE_SHARE * typical)
        & (length >= 0.5)
        & (length <= 2.0)
        & (_neighbour_similarity(smooth, a, b) >= MIN_SIMILARITY)
    )
    # One odd cycle inside a set (a fumble, a bump) does not split it: it is counted as a rep too.
    if BRIDGE_CYCLES > 0:
        pad = BRIDGE_CYCLES + 1
        good = ndimage.binary_closing(np.pad(good, pad), structure=np.ones(BRIDGE_CYCLES + 2))[pad:-pad]
    runs = []
    labels, _ = ndimage.label(good)
    for sl in ndimage.find_objects(labels):
        runs.append(_reps_in_run(y, troughs[sl[0].start : sl[0].stop + 1], peak[sl[0]]))
    return runs


def _reps_in_run(y: np.ndarray, troughs: np.ndarray, peaks: np.ndarray) -> list[tuple[int, int, int]]:
    """(start, turn, end) of each rep in a run of cycles, counted by full swings.

    Trough-to-trough cycles of a wave train of N reps number N - 1 plus a half cycle at either end
    (which half depends on the waveform and the sign), so each extreme with a full swing on at
    least one side is a turning point, and the rarer kind (peaks or troughs) counts the reps.
    """
    ext = np.empty(len(troughs) + len(peaks), dtype=int)
    ext[0::2], ext[1::2] = troughs, peaks
    swing = np.abs(np.diff(y[ext]))
    full = swing >= FULL_SWING_SHARE * float(np.percentile(swing, TYPICAL_PERCENTILE))
    left = np.concatenate(([False], full))
    right = np.concatenate((full, [False]))
    turning = left | right
    is_peak = np.zeros(len(ext), dtype=bool)
    is_peak[1::2] = True
    use_peaks = np.sum(turning & is_peak) <= np.sum(turning & ~is_peak)
    idx = np.flatnonzero(turning & (is_peak == use_peaks))
    # A rep runs from the opposite extreme before its turning point to the one after.
    return [(int(ext[max(i - 1, 0)]), int(ext[i]), int(ext[min(i + 1, len(ext) - 1)])) for i in idx]


def _segment_argmax(y: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Index of the maximum of y in each [a[i], b[i]] (vectorised over a padded index grid)."""
    width = int(np.max(b - a)) + 1
    idx = a[:, None] + np.arange(width)[None, :]
    vals = np.where(idx <= b[:, None], y[np.minimum(idx, len(y) - 1)], -np.inf)
    return a + np.argmax(vals, axis=1)


def _neighbour_similarity(x: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Correlation of each cycle's multichannel shape with its previous or next cycle (the best)."""
    m = len(a)
    if m < 2:
        return np.zeros(m)
    # Resample every cycle to a fixed number of points so that cycles of unequal length compare.
    k = 32
    pos = a[:, None] + (b - a)[:, None] * np.linspace(0.0, 1.0, k)[None, :]
    idx = np.clip(np.round(pos).astype(int), 0, len(x) - 1)
    shapes = x[idx]  # (m, k, c)
    shapes = shapes - shapes.mean(axis=1, keepdims=True)
    flat = shapes.reshape(m, -1)
    norm = np.linalg.norm(flat, axis=1)
    norm = np.where(norm > 0, norm, 1.0)
    r = np.sum(flat[1:] * flat[:-1], axis=1) / (norm[1:] * norm[:-1])
    prev = np.concatenate(([-1.0], r))
    nxt = np.concatenate((r, [-1.0]))
    return np.maximum(prev, nxt)


def process_generic(rec: Recording, fs: float = ANALYSIS_RATE_HZ) -> SessionResult:
    """Sets and reps of any repetitive movement, each set counted along its own learned pattern."""
    sig = resample_uniform(rec, fs)
    x = channels(sig)
    trace = np.zeros(len(sig))
    sets: list[SetResult] = []
    notes: list[str] = []
    for a, b in activity_stretches(x, sig):
        seg = x[a:b]
        period, strength = local_period(seg, fs)
        if period <= 0:
            continue
        y = cycle_signal(seg, fs, period)
        runs = [r for r in find_cycles(y, seg, fs, period) if len(r) >= MIN_SET_CYCLES]
        trace[a:b] = y
        for cycles in runs:
            sets.append(_as_set(sig, a, b, cycles, period))
        notes.append(f"generic set at {sig.t[a]:.0f} s: period {period:.2f} s, regularity {strength:.2f}")
    return assemble_session("generic", rec, sets, sig.t, trace, notes)


def _as_set(
    sig: UniformSignal, a: int, b: int, cycles: list[tuple[int, int, int]], period: float
) -> SetResult:
    fs = sig.fs
    t = sig.t[a:b]
    gyro = bandpass(sig.gyro[a:b], fs, 0.25 / period, LOWPASS_HZ)
    axis = dominant_axis(gyro)
    rate = gyro @ axis
    angle = angle_deg(rate, fs)
    reps = []
    for s, p, e in cycles:
        rom = float(np.ptp(angle[s : e + 1]))
        speed = float(np.degrees(np.max(np.abs(rate[s : e + 1]))))
        reps.append(Rep(float(t[s]), float(t[p]), float(t[p]), float(t[e]), rom, speed))
    for r0, r1 in zip(reps[:-1], reps[1:]):
        r0.pause_s = max(0.0, r1.start_s - r0.end_s)
    typical = float(np.median([r.rom_deg for r in reps]))
    return SetResult(index=1, reps=reps, axis=axis, typical_rom_deg=typical, angle_t=t, angle_deg=angle)
