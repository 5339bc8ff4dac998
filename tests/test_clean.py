import numpy as np
import pytest

from analysis.clean import invalid_runs, resample_uniform
from analysis.orientation import gravity_up, steady_up, vertical_rate
from analysis.reps import angle_deg, find_reps
from sensor.recording import Gap, Recording, RecordingMeta


def _rec(t, acc=None, gyro=None, gaps=()):
    n = len(t)
    acc = np.tile([0.0, 0.0, 9.81], (n, 1)) if acc is None else acc
    gyro = np.zeros((n, 3)) if gyro is None else gyro
    return Recording(t, acc, gyro, RecordingMeta("test", gaps=list(gaps)))


def test_resample_keeps_a_slow_sine_despite_jitter():
    rng = np.random.default_rng(0)
    t = np.cumsum(np.full(4000, 0.01) + rng.uniform(-0.003, 0.003, 4000))
    gyro = np.zeros((4000, 3))
    gyro[:, 2] = np.sin(2 * np.pi * 0.5 * t)
    sig = resample_uniform(_rec(t, gyro=gyro), fs=50.0)
    expect = np.sin(2 * np.pi * 0.5 * (sig.t + t[0]))
    assert np.allclose(np.diff(sig.t), 0.02)
    assert np.max(np.abs(sig.gyro[5:-5, 2] - expect[5:-5])) < 0.01
    assert sig.valid.all()


def test_resample_averages_away_what_is_above_the_grid_rate():
    t = np.arange(0, 20, 1 / 416)
    acc = np.tile([0.0, 0.0, 9.81], (len(t), 1))
    acc[:, 0] = 2.0 * np.sin(2 * np.pi * 100.0 * t)  # 100 Hz: above what a 50 Hz grid can carry
    sig = resample_uniform(_rec(t, acc=acc), fs=50.0)
    assert np.max(np.abs(sig.acc[1:-1, 0])) < 0.1


def test_long_holes_and_marked_gaps_are_invalid():
    t = np.concatenate((np.arange(0, 10, 0.01), np.arange(12, 20, 0.01), np.arange(20.005, 30, 0.01)))
    sig = resample_uniform(_rec(t, gaps=[Gap(25.0, 26.0)]), fs=50.0)
    runs = [(sig.t[a], sig.t[b - 1]) for a, b in invalid_runs(sig.valid)]
    assert len(runs) == 2
    assert abs(runs[0][0] - 10.0) < 0.05 and abs(runs[0][1] - 12.0) < 0.05
    assert abs(runs[1][0] - 25.0) < 0.05 and abs(runs[1][1] - 26.0) < 0.05


def test_vertical_rate_is_the_gyro_along_measured_up():
    # The sensor lies tilted: up is along (0, 0.6, 0.8) in its frame.
    up = np.array([0.0, 0.6, 0.8])
    t = np.arange(0, 30, 0.02)
    acc = np.tile(9.81 * up, (len(t), 1))
    gyro = np.outer(np.full(len(t), 0.7), up) + np.array([0.3, 0.0, 0.0]) * np.sin(t)[:, None]
    est = gravity_up(acc, 50.0)
    w = vertical_rate(gyro, est)
    assert np.allclose(est, up, atol=1e-6)
    assert np.allclose(w, 0.7, atol=1e-6)


def test_steady_up_ignores_centripetal_acceleration():
    rng = np.random.default_rng(3)
    fs = 50.0
    t = np.arange(0, 40, 1 / fs)
    w = 3.0 * np.sin(2 * np.pi * 0.5 * t)  # fast sweeps about up = z
    arm = np.array([1.0, 0.0, 0.0])  # wrist-to-shoulder direction, horizontal
    acc = np.tile([0.0, 0.0, 9.81], (len(t), 1)) + 0.6 * (w**2)[:, None] * arm
    acc += rng.normal(0, 0.05, acc.shape)
    gyro = np.column_stack((np.zeros_like(w), np.zeros_like(w), w))
    naive = np.mean(acc, axis=0) / np.linalg.norm(np.mean(acc, axis=0))
    fitted = steady_up(acc, gyro, fs)
    assert np.degrees(np.arccos(naive[2])) > 10  # a plain average would be tilted badly
    assert np.degrees(np.arccos(fitted[2])) < 1.0


def test_find_reps_times_a_minimum_jerk_rep():
    fs = 50.0

    def mj(n):
        u = np.arange(n) / n
        return 10 * u**3 - 15 * u**4 + 6 * u**5

    rep = [(1.0, 0, 90), (0.5, 90, 90), (2.0, 90, 0)]
    phases = [(2.0, 0, 0), *rep, (1.0, 0, 0), *rep, (2.0, 0, 0)]
    ang = np.concatenate([a + (b - a) * mj(int(d * fs)) for d, a, b in phases])
    rate = np.radians(np.gradient(ang) * fs)
    t = np.arange(len(ang)) / fs
    assert abs(angle_deg(rate, fs)[int(3 * fs)] - 90) < 1
    reps = find_reps(t, rate, fs)
    assert len(reps) == 2
    r = reps[0]
    assert abs(r.start_s - 2.0) < 0.06 and abs(r.out_s - 1.0) < 0.06
    assert abs(r.hold_s - 0.5) < 0.1 and abs(r.return_s - 2.0) < 0.1
    assert abs(r.pause_s - 1.0) < 0.1
    assert abs(r.rom_deg - 90) < 1.5


@pytest.mark.parametrize("rate", [26.0, 416.0])
def test_extending_a_resampling_gives_the_whole_resampling(rate):
    # The live window grows at its end between analyses; extending its last resampling must give
    # what resampling it whole gives.
    from analysis.clean import extend_uniform
    from repcount.simulator import SessionConfig, simulate_session

    rec, _ = simulate_session(SessionConfig(seed=2, rate_hz=rate))
    prev = None
    for end in np.arange(5.0, 40.0, 0.37):
        i = int(np.searchsorted(rec.t, end))
        window = Recording(rec.t[:i], rec.acc[:i], rec.gyro[:i], rec.meta)
        whole, prev = resample_uniform(window), extend_uniform(prev, window)
        assert len(prev) == len(whole) and np.array_equal(prev.valid, whole.valid)
        np.testing.assert_allclose(prev.t, whole.t, atol=1e-12)
        np.testing.assert_allclose(prev.acc, whole.acc, atol=1e-9)
        np.testing.assert_allclose(prev.gyro, whole.gyro, atol=1e-9)


def test_gap_threshold_is_four_median_steps_at_least_a_tenth_of_a_second():
    from analysis.clean import gap_threshold_s
    from analysis.stats import median

    rng = np.random.default_rng(0)
    for i in range(2000):
        step = rng.choice([0.0024, 0.01, 0.025, 0.0250001, 0.04, 0.08])
        n = int(rng.integers(3, 300))
        steps = rng.exponential(step, n) if i % 2 else step * (1 + rng.uniform(-0.5, 0.5, n))
        t = np.cumsum(steps)
        assert gap_threshold_s(t) == max(4.0 * float(median(np.diff(t))), 0.1)
    assert gap_threshold_s(np.arange(100) / 12.5) == pytest.approx(0.32)
