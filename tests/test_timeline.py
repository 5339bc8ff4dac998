"""Timeline: drift correction against host time, gaps, duplicates, reordering, segments, clock wrap."""

from __future__ import annotations

import numpy as np
import pytest

from sensor.live.timeline import ClockFit, SampleBatch, SensorFrame, Timeline
from sensor.protocols.repcount_gatt import T0_MODULUS

RATE = 100.0
PERIOD_US = 1e6 / RATE


def frame(seq: int, t0_us: float, n: int = 10, value: float = 0.0) -> SensorFrame:
    acc = np.full((n, 3), value) + np.arange(n)[:, None]
    return SensorFrame(seq % 65536, int(round(t0_us)) % T0_MODULUS, acc, acc * 0.1, PERIOD_US)


def stream(timeline: Timeline, frames: list[tuple[SensorFrame, float]]) -> list[SampleBatch]:
    out: list[SampleBatch] = []
    for f, arrival in frames:
        out += timeline.push(f, arrival)
    return out + timeline.flush()


def regular(n_frames: int, n: int = 10, start_seq: int = 0, t0_us: float = 0.0, host0: float = 100.0):
    """Frames of n samples, arriving 5 ms after their last sample."""
    out = []
    for k in range(n_frames):
        t0 = t0_us + k * n * PERIOD_US
        out.append((frame(start_seq + k, t0, n, value=k), host0 + (t0 + (n - 1) * PERIOD_US) * 1e-6 + 0.005))
    return out


def times(batches: list[SampleBatch]) -> np.ndarray:
    return np.concatenate([b.t_s for b in batches])


def test_drift_corrected_over_30_minutes_with_100ppm_fast_clock_and_jitter():
    rng = np.random.default_rng(7)
    n, ppm = 10, 100.0
    frames_total = int(30 * 60 * RATE / n)
    k = np.arange(frames_total)
    true_first = k * n / RATE  # host time of each frame's first sample
    true_last = true_first + (n - 1) / RATE
    sensor_t0_us = true_first * 1e6 * (1 + ppm * 1e-6)
    # Arrival: 4 ms floor, exponential jitter (mean 6 ms) and a 60 ms stall on 1 frame in 50.
    delay = 0.004 + rng.exponential(0.006, frames_total) + (rng.random(frames_total) < 0.02) * 0.06
    arrival = 1000.0 + true_last + delay
    tl = Timeline()
    batches: list[SampleBatch] = []
    for i in range(frames_total):
        batches += tl.push(frame(i, sensor_t0_us[i], n), float(arrival[i]))
    batches += tl.flush()
    t = times(batches)
    truth = (true_first[:, None] + np.arange(n)[None, :] / RATE).ravel()
    assert len(t) == len(truth) == frames_total * n
    assert np.all(np.diff(t) > 0)
    err = t - (truth - truth[0])
    settled = truth > 60.0
    # A constant offset (the first frame's own delay) is not drift; what matters is that it stays put.
    drift_err = err[settled] - np.median(err[settled])
    assert np.max(np.abs(drift_err)) < 0.003, np.max(np.abs(drift_err))
    assert abs(np.median(err[settled])) < 0.02
    assert tl.stats.skew_ppm == pytest.approx(ppm, abs=15.0)  # a 60 s window: a few ppm of noise
    # Without correction (sensor clock as is) the timeline would be 180 ms off after 30 minutes.
    naive = (sensor_t0_us[-1] - sensor_t0_us[0]) * 1e-6 - (true_first[-1] - true_first[0])
    assert naive > 0.15
    # Spacing stays within 0.5 % of the period: corrections are slewed, never jumps.
    steps = np.diff(t).reshape(-1)
    assert np.all(np.abs(steps * RATE - 1) < 0.01)


def test_clock_fit_follows_lower_envelope_not_mean():
    fit = ClockFit(window_s=30.0)
    rng = np.random.default_rng(1)
    for x in np.arange(0, 40, 0.05):
        fit.add(x, x * (1 - 50e-6) + 2.0 + 0.003 + rng.exponential(0.02))
    pred = fit.host_time(40.0)
    assert pred == pytest.approx(40 * (1 - 50e-6) + 2.003, abs=0.002)


def test_lost_frames_marked_as_gap_never_interpolated():
    frames = regular(10)
    del frames[4:6]  # frames 4 and 5 never arrive
    tl = Timeline()
    batches = stream(tl, frames)
    assert len(times(batches)) == 8 * 10
    gaps = [b for b in batches if b.gap_before]
    assert len(gaps) == 1 and gaps[0].lost_frames == 2
    assert gaps[0].acc[0, 0] == 6.0  # the first sample of frame 6
    t = times(batches)
    assert np.max(np.diff(t)) == pytest.approx(0.21, abs=0.002)  # a hole, not filled
    assert tl.stats.lost_frames == 2 and tl.stats.gaps == 1


def test_duplicates_dropped_and_counted():
    frames = regular(6)
    frames.insert(3, frames[2])
    frames.insert(5, (frames[4][0], frames[4][1] + 0.001))
    tl = Timeline()
    batches = stream(tl, frames)
    assert len(times(batches)) == 60
    assert not any(b.gap_before for b in batches)
    assert tl.stats.duplicates == 2


def test_reordered_frames_within_window_go_back_in_place():
    frames = regular(8)
    frames[2], frames[3] = frames[3], frames[2]
    frames[5], frames[6] = frames[6], frames[5]
    tl = Timeline()
    batches = stream(tl, frames)
    t = times(batches)
    values = np.concatenate([b.acc[:, 0] for b in batches])
    assert len(t) == 80 and np.all(np.diff(t) > 0)
    assert np.array_equal(values[::10], np.arange(8.0))  # frame k's first sample carries k
    assert not any(b.gap_before for b in batches)
    assert tl.stats.reordered == 2 and tl.stats.lost_frames == 0


def test_frame_later_than_the_window_is_dropped_counted_and_gap_marked():
    frames = regular(12)
    late = frames.pop(2)
    frames.append((late[0], frames[-1][1] + 0.01))  # arrives after 9 newer frames: beyond depth 4
    tl = Timeline(reorder_depth=4)
    batches = stream(tl, frames)
    assert len(times(batches)) == 110
    assert sum(b.gap_before for b in batches) == 1
    assert tl.stats.late == 1


def test_poll_releases_held_frames_when_the_missing_one_is_lost():
    frames = regular(4)
    tl = Timeline(max_hold_s=0.25)
    out = tl.push(*frames[0])
    out += tl.push(*frames[2])  # frame 1 missing: frame 2 waits
    assert sum(len(b) for b in out) == 10
    assert tl.poll(frames[2][1] + 0.1) == []
    released = tl.poll(frames[2][1] + 0.3)
    assert len(released) == 1 and released[0].gap_before and released[0].lost_frames == 1


def test_new_segment_continues_timeline_with_gap():
    tl = Timeline()
    first = stream(tl, regular(20, host0=100.0))
    # Reconnected 3 s later: seq restarts at 0 and the sensor's clock was read on another base.
    tl.new_segment()
    t_end = (20 * 10 * PERIOD_US) * 1e-6
    second = stream(tl, regular(20, t0_us=7e9, host0=100.0 + t_end + 3.0 - 7e3))
    t = times(first + second)
    assert np.all(np.diff(t) > 0)
    assert second[0].gap_before and second[0].segment == 1
    assert t[200] - t[199] == pytest.approx(3.0 + 0.01, abs=0.02)
    assert tl.stats.segments == 2


def test_t0_wrap_is_unwrapped():
    start = T0_MODULUS - 55_000  # wraps inside the 6th frame
    tl = Timeline()
    t = times(stream(tl, regular(12, t0_us=start)))
    assert len(t) == 120 and np.allclose(np.diff(t), 0.01, atol=1e-4)


def test_clock_jump_without_lost_frame_marks_gap():
    frames = regular(6)
    f3, arr3 = frames[3]
    for i in range(3, 6):  # the sensor's FIFO overflowed: 0.5 s of samples never became frames
        f, a = frames[i]
        frames[i] = (frame(f.seq, f.t0_us + 500_000, f.n, value=i), a + 0.5)
    tl = Timeline()
    batches = stream(tl, frames)
    assert [b.gap_before for b in batches] == [False, False, False, True, False, False]
    assert batches[3].lost_frames == 0


def test_a_corrupt_stamp_cannot_tilt_the_clock_fit_past_any_crystal():
    # One point 200 s ahead of its arrival (a flipped bit in t0): once the good points reach its
    # sensor time it is the lowest delay in the window, the robust refit keeps the points under the
    # line, and the slope reached 9. It is held at MAX_SKEW.
    from sensor.live.timeline import MAX_SKEW

    fit = ClockFit()
    worst = 0.0
    for k in range(200):
        fit.add(k * 0.5, k * 0.5 + 0.02)
    fit.add(300.0, 100.0)
    for k in range(200, 900):
        fit.add(k * 0.5, k * 0.5 + 0.02)
        fit.host_time(k * 0.5)
        worst = max(worst, abs(fit.slope))
    assert worst <= MAX_SKEW


def test_one_frame_with_a_corrupt_t0_does_not_bend_the_timeline():
    # Frame 200 of a clean 100 Hz stream with bit 24 of t0 flipped (16.8 s ahead); nothing is lost.
    # The timeline ended 4.8 s off, with samples 18 ms apart.
    from sensor.protocols import repcount_gatt as rg

    cfg = rg.SensorConfig(10000, 8, 2000)
    tl = Timeline()
    tl.new_segment()
    t = []
    for k in range(6000):
        t0 = 1_000_000 + k * 10_000
        if k == 200:
            t0 ^= 1 << 24
        f = rg.decode_frame(rg.encode_frame(k, t0, np.array([[0, 0, 4096, 0, 0, 0]])), cfg)
        frame = SensorFrame(f.seq, f.t0_us, f.acc, f.gyro, cfg.sample_period_us)
        for batch in tl.push(frame, k * 0.01 + 0.02):
            t.extend(batch.t_s)
    t = np.array(t)
    assert len(t) == 6000
    assert np.abs(t - np.arange(6000) * 0.01).max() < 0.5
    assert np.diff(t).max() < 0.0101


def test_a_frame_with_no_positive_sample_period_is_refused():
    tl = Timeline()
    bad = SensorFrame(0, 0, np.zeros((3, 3)), np.zeros((3, 3)), period_us=-131365.0)
    with pytest.raises(ValueError):
        tl.push(bad, 0.0)


def _stream(frames: list[tuple[int, int]], n_per: int = 1) -> tuple[list[float], Timeline]:
    """(seq, t0_us) frames of one sample each at 100 Hz, arriving 20 ms after their time."""
    from sensor.protocols import repcount_gatt as rg

    cfg = rg.SensorConfig(10000, 8, 2000)
    tl = Timeline()
    tl.new_segment()
    t: list[float] = []
    for k, (seq, t0) in enumerate(frames):
        f = rg.decode_frame(rg.encode_frame(seq, t0, np.zeros((n_per, 6), dtype=int)), cfg)
        frame = SensorFrame(f.seq, f.t0_us, f.acc, f.gyro, cfg.sample_period_us)
        for batch in tl.push(frame, k * 0.01 + 0.02):
            t.extend(batch.t_s)
    for batch in tl.flush():
        t.extend(batch.t_s)
    return t, tl


def test_one_frame_with_a_corrupt_seq_does_not_silence_the_stream():
    # Frame 200 of 60 s at 100 Hz with bit 14 of its seq flipped: once it was released, every good
    # frame after it was "late" and dropped (227 of 6,000 samples reached the timeline).
    frames = [(k, 1_000_000 + k * 10_000) for k in range(6000)]
    frames[200] = (200 ^ (1 << 14), frames[200][1])
    t, _ = _stream(frames)
    assert len(t) >= 6000 - 8 and np.all(np.diff(t) > 0)


def test_frames_sent_again_are_still_dropped_as_duplicates():
    frames = [(k, 1_000_000 + k * 10_000) for k in range(300)]
    frames = frames[:200] + frames[180:200] + frames[200:]  # 20 frames re-sent in order
    t, tl = _stream(frames)
    assert len(t) == 300 and np.all(np.diff(t) > 0)
    assert tl.stats.duplicates + tl.stats.late == 20
