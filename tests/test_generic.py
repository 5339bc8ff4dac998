"""Generic mode: counts on synthetic movements with known truth and on two real CaRa recordings."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest
from scipy.ndimage import gaussian_filter1d
from scipy.spatial.transform import Rotation

from analysis.generic import dominant_period, process_generic
from sensor.recording import Recording, RecordingMeta

FS = 100.0
GRAVITY = np.array([0.0, 0.0, 9.81])
DATA = Path(__file__).parent / "data_cara"


def _random_moves(rng: np.random.Generator, seconds: float) -> np.ndarray:
    """Angle increments (rad per sample) of aimless arm movement: smoothed noise, no rhythm."""
    n = int(seconds * FS)
    rate = gaussian_filter1d(rng.standard_normal((n, 3)), sigma=0.25 * FS, axis=0)
    return rate / np.abs(rate).max() * 1.5 / FS  # up to 1.5 rad/s


def synthetic(
    n_reps: int,
    period: float,
    seed: int,
    amplitude_deg: float = 60.0,
    harmonic: float = 0.0,
    rest_s: float = 0.0,
    second_set: int = 0,
) -> Recording:
    """Rotation about a random axis: quiet, aimless moves, N cycles (maybe a rest and M more), moves, quiet.

    The angle of each cycle is 1 - cos (plus an optional second harmonic, which puts two bumps
    in every cycle of the rate); gravity turns with the arm, as an accelerometer sees it.
    """
    rng = np.random.default_rng(seed)
    axis = rng.standard_normal(3)
    axis /= np.linalg.norm(axis)

    def cycles(k: int) -> np.ndarray:
        ph = 2 * np.pi * np.arange(int(k * period * FS)) / (period * FS)
        shape = 0.5 * (1 - np.cos(ph)) + harmonic * 0.5 * (1 - np.cos(2 * ph))
        angle = np.radians(amplitude_deg) * shape / (1 + harmonic)
        return np.diff(angle, prepend=0.0)[:, None] * axis[None, :]

    parts = [
        np.zeros((int(3 * FS), 3)),
        _random_moves(rng, 4.0),
        np.zeros((int(1.5 * FS), 3)),
        cycles(n_reps),
    ]
    if second_set:
        parts += [np.zeros((int(rest_s * FS), 3)), cycles(second_set)]
    parts += [np.zeros((int(1.5 * FS), 3)), _random_moves(rng, 4.0), np.zeros((int(3 * FS), 3))]
    inc = np.vstack(parts)  # rotation increment per sample, in the sensor frame
    n = len(inc)
    # Orientation by chaining the small rotations; gravity seen in the sensor frame.
    rots = Rotation.from_rotvec(inc)
    orient = [Rotation.identity()]
    for r in rots[1:]:  # test data only; the analysis itself has no loop per sample
        orient.append(orient[-1] * r)
    orient = Rotation.concatenate(orient)
    acc = orient.inv().apply(GRAVITY) + 0.05 * rng.standard_normal((n, 3))
    gyro = inc * FS + 0.02 * rng.standard_normal((n, 3))
    t = np.arange(n) / FS + rng.uniform(0, 0.3 / FS, n)  # jittered timestamps
    return Recording(np.sort(t), acc, gyro, RecordingMeta("synthetic"))


@pytest.mark.parametrize(
    "n_reps,period,seed",
    [(10, 0.6, 1), (12, 1.0, 2), (8, 2.0, 3), (6, 3.5, 4), (15, 1.5, 6), (7, 0.5, 7)],
)
def test_counts_sinusoidal_rotation_about_random_axis(n_reps: int, period: float, seed: int) -> None:
    result = process_generic(synthetic(n_reps, period, seed))
    assert result.total_reps == n_reps
    assert len(result.sets) == 1


@pytest.mark.parametrize("seed", [100, 101, 102, 103])
def test_slow_reps_within_one(seed: int) -> None:
    # At 5 s a rep is as long as the aimless moves around the set, which can pass for one more
    # (or hide the first) rep: within one is what the method guarantees here.
    result = process_generic(synthetic(6, 5.0, seed))
    assert abs(result.total_reps - 6) <= 1


@pytest.mark.parametrize("period,seed", [(1.0, 11), (2.5, 12)])
def test_harmonic_rich_waveform_is_not_double_counted(period: float, seed: int) -> None:
    # A strong second harmonic puts two peaks in every cycle of the rotation rate.
    result = process_generic(synthetic(10, period, seed, harmonic=0.8))
    assert result.total_reps == 10


def test_two_sets_with_a_rest_between() -> None:
    result = process_generic(synthetic(8, 1.5, 21, rest_s=20.0, second_set=6))
    assert [len(s.full_reps) for s in result.sets] == [8, 6]
    assert result.sets[1].rest_before_s is not None and result.sets[1].rest_before_s > 15.0


def test_reps_have_ordered_phase_times_and_rotation_range() -> None:
    result = process_generic(synthetic(10, 2.0, 31, amplitude_deg=70.0))
    reps = result.sets[0].reps
    assert all(r.start_s <= r.turn_s <= r.leave_s <= r.end_s for r in reps)
    assert all(r1.start_s >= r0.start_s for r0, r1 in zip(reps[:-1], reps[1:]))
    # One cycle of the counting signal spans one out-and-back: the range is the cycle's amplitude.
    rom = np.median([r.rom_deg for r in reps])
    assert 45.0 < rom < 90.0


def test_quiet_recording_has_no_reps() -> None:
    rng = np.random.default_rng(41)
    n = int(60 * FS)
    gyro = 0.02 * rng.standard_normal((n, 3))
    acc = GRAVITY + 0.05 * rng.standard_normal((n, 3))
    result = process_generic(Recording(np.arange(n) / FS, acc, gyro, RecordingMeta("synthetic")))
    assert result.total_reps == 0


def test_period_of_harmonic_signal_is_the_fundamental() -> None:
    fs = 50.0
    t = np.arange(int(40 * fs)) / fs
    x = np.column_stack((np.sin(2 * np.pi * t / 2.0), 1.5 * np.sin(4 * np.pi * t / 2.0 + 0.3)))
    period, strength = dominant_period(x, fs)
    assert period == pytest.approx(2.0, rel=0.03)
    assert strength > 0.5


def test_one_hour_at_100_hz_is_fast() -> None:
    rng = np.random.default_rng(51)
    n = int(3600 * FS)
    t = np.arange(n) / FS
    gyro = np.column_stack((np.sin(2 * np.pi * t / 2.0), np.zeros(n), np.zeros(n)))
    gyro += 0.05 * rng.standard_normal((n, 3))
    acc = GRAVITY + 0.1 * rng.standard_normal((n, 3))
    rec = Recording(t, acc, gyro, RecordingMeta("synthetic"))
    start = time.perf_counter()
    result = process_generic(rec)
    elapsed = time.perf_counter() - start
    assert abs(result.total_reps - 1800) <= 2
    assert elapsed < 3.0  # about half a second on a laptop; generous for busy CI machines


def _load_cara(path: Path) -> Recording:
    """Headerless CaRa CSV; samples sharing a millisecond are spread up to the next timestamp."""
    data = np.loadtxt(path, delimiter=",", ndmin=2)
    ms = data[:, 0] - data[0, 0]
    new = np.concatenate(([True], np.diff(ms) > 0))
    starts = np.flatnonzero(new)
    run = np.cumsum(new) - 1
    length = np.diff(np.concatenate((starts, [len(ms)])))
    span = np.concatenate((np.diff(ms[starts]), [1.0]))
    t = (ms + span[run] * (np.arange(len(ms)) - starts[run]) / length[run]) / 1000.0
    return Recording(t, data[:, 1:4], data[:, 4:7], RecordingMeta("cara", str(path)))


@pytest.mark.parametrize("path", sorted(DATA.glob("*.csv")), ids=lambda p: p.stem)
def test_real_cara_recording_within_one(path: Path) -> None:
    truth = int(path.stem.rsplit("_", 1)[1])
    result = process_generic(_load_cara(path))
    assert abs(result.total_reps - truth) <= 1


def test_cara_files_are_present() -> None:
    assert len(sorted(DATA.glob("*.csv"))) == 2
