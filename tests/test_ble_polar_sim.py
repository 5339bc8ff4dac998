"""Polar Verity Sense over a simulated link: a PMD GATT server on Bumble, reached through bleak by
the live client with its Polar profile (start ACC and GYRO on the control point, pair the two
delta-compressed streams, time them from the sensor's ns stamps), recorded and counted."""

from __future__ import annotations

import asyncio
import time

import numpy as np
import pytest

pytest.importorskip("bumble", reason="the simulated sensor runs on Bumble (Python 3.11+)")

from analysis.pullapart import process_session  # noqa: E402
from repcount.simulator import SessionConfig, simulate_session  # noqa: E402
from sensor.ble.bumble_backend import VirtualRadio  # noqa: E402
from sensor.ble.client import Connected, LiveSensor, Samples  # noqa: E402
from sensor.ble.profiles import PolarPmdProfile  # noqa: E402
from sensor.ble.simulated_polar import (  # noqa: E402
    ACC_FACTOR,
    FRAME_SAMPLES,
    GYRO_FACTOR,
    SENSOR_START_NS,
    SimulatedPolarSensor,
)
from sensor.live.timeline import Timeline  # noqa: E402
from sensor.protocols import polar_pmd as pmd  # noqa: E402
from sensor.readers import read_recording  # noqa: E402

SPEED = 10.0


def test_delta_frames_encode_what_the_decoder_reads():
    rng = np.random.default_rng(1)
    for n, scale in ((1, 1), (2, 1), (18, 40), (36, 3000), (60, 30000)):
        x = np.cumsum(rng.integers(-scale, scale + 1, (n, 3)), axis=0).clip(-32768, 32767)
        frame = pmd.encode_delta_frame(pmd.MeasurementType.GYRO, 0, 1234567890123, x)
        got = pmd.decode_data_frame(frame, factor=0.5)
        assert got.compressed and got.frame_type == 0 and got.timestamp_ns == 1234567890123
        assert np.array_equal(got.samples, x) and np.allclose(got.values, 0.5 * x)
    # The layout, byte for byte: header, reference sample, one block of 2-bit deltas (+1, -1, +1
    # packed from the lowest bit: 01, 11, 01).
    frame = pmd.encode_delta_frame(pmd.MeasurementType.ACC, 1, 5, np.array([[1, -1, 0], [2, -2, 1]]))
    assert frame.hex() == "02" + "0500000000000000" + "81" + "0100ffff0000" + "0201" + "1d"


def test_a_polar_sense_streams_through_bleak_and_counts_as_the_replay(tmp_path):
    source, _ = simulate_session(
        # A long lead-in: connecting takes a moment of the session, more on a loaded machine.
        SessionConfig(seed=8, sets=1, reps=4, rate_hz=52.0, lead_in_s=4.0, tail_s=1.5)
    )
    path = tmp_path / "polar.csv"

    async def main():
        radio = VirtualRadio()
        sim = SimulatedPolarSensor(radio, source, speed=SPEED)
        await sim.start()
        live = LiveSensor(
            sim.name,
            backend=radio.client_backend,
            scanner_backend=radio.scanner_backend,
            record_path=path,
            clock=lambda: time.monotonic() * SPEED,
        )
        await live.start()

        async def stop_when_played() -> None:
            await sim.finished.wait()
            await asyncio.sleep(0.2)
            await live.stop()
            await sim.stop()

        stopper = asyncio.get_running_loop().create_task(stop_when_played())
        events = [e async for e in live.events()]
        await stopper
        return sim, events

    sim, events = asyncio.run(asyncio.wait_for(main(), 60))
    # The client asked for ACC then GYRO at 52 Hz, as the Polar SDK does.
    assert sim.requests[:2] == [pmd.start_acc_request(52, 8), pmd.start_gyro_request(52, 2000)]
    assert any(isinstance(e, Connected) for e in events)
    first = sim.first_sample  # the stream starts once the client has started both measurements
    assert first is not None and first < 3 * 52
    assert sum(len(e.batch) for e in events if isinstance(e, Samples)) == len(source) - first
    rec = read_recording(path)
    assert len(rec) == len(source) - first
    # Every sample as the sensor encoded it.
    assert np.allclose(rec.acc, sim.acc_si(sim.acc_counts[first:]), atol=1e-4)
    assert np.allclose(rec.gyro, sim.gyro_si(sim.gyro_counts[first:]), atol=1e-4)
    # The frames' last samples keep the times they were taken at, but for the drift the timeline
    # fits: played ten times faster, the link's jitter is ten times larger against the session's
    # 20 s, and on a loaded machine the fitted rate can be off by a few tenths of a percent (the
    # test below, without a link, checks the timing to 10 us).
    ends = np.arange(FRAME_SAMPLES - 1, len(rec), FRAME_SAMPLES)
    sent = source.t[first + ends]
    err = (rec.t[ends] - rec.t[ends[0]]) - (sent - sent[0])
    assert np.abs(err).max() < 5e-3 + 5e-3 * (sent[-1] - sent[0]), np.round(err * 1e3, 3)
    assert np.allclose(np.diff(rec.t), 1 / 52, atol=2e-3)
    replay = process_session(source)
    counted = process_session(rec)
    assert [len(s.full_reps) for s in counted.sets] == [len(s.full_reps) for s in replay.sets] == [4]


def test_polar_samples_follow_the_sensor_s_stamps_not_the_nominal_rate():
    # The simulated IMU's clock runs off its nominal 52 Hz; PMD stamps a frame's last sample, and
    # the samples between two stamps share the time evenly. Fed frames arriving with the stamps, the
    # profile and timeline put every frame's last sample where it was taken.
    source, _ = simulate_session(SessionConfig(seed=8, sets=1, reps=4, rate_hz=52.0, lead_in_s=1.0))
    rel = source.t - source.t[0]
    acc = np.rint(source.acc / pmd.MILLI_G_TO_MPS2 / ACC_FACTOR).astype(np.int64)
    gyro = np.rint(np.degrees(source.gyro) / GYRO_FACTOR).astype(np.int64)
    profile = PolarPmdProfile()
    profile._acc.factor, profile._gyro.factor = ACC_FACTOR, GYRO_FACTOR  # as the start responses set
    timeline = Timeline()
    times = []
    for pos in range(0, len(rel), FRAME_SAMPLES):
        end = min(pos + FRAME_SAMPLES, len(rel))
        stamp = SENSOR_START_NS + round(rel[end - 1] * 1e9)
        assert profile.decode(pmd.encode_delta_frame(pmd.MeasurementType.ACC, 1, stamp, acc[pos:end])) == []
        for frame in profile.decode(
            pmd.encode_delta_frame(pmd.MeasurementType.GYRO, 0, stamp, gyro[pos:end])
        ):
            times += [b.t_s for b in timeline.push(frame, 100.0 + rel[end - 1] + 0.01)]
    t = np.concatenate(times)
    ends = np.arange(FRAME_SAMPLES - 1, len(t), FRAME_SAMPLES)
    assert abs(np.mean(np.diff(rel)) - 1 / 52) > 1e-7  # the clock is off the nominal rate
    assert np.allclose(t[ends] - t[ends[0]], rel[ends] - rel[ends[0]], atol=1e-5)


def test_a_polar_that_refuses_to_start_gives_one_clear_error():
    # The simulated sensor streams only at its recording's rate; asked for 52 Hz with a 100 Hz
    # recording it refuses, as a real one refuses in its charger or at a rate it lacks.
    from repcount.live import simulated_ble_session
    from sensor.ble.client import SensorConnectError

    source, _ = simulate_session(SessionConfig(seed=1, sets=1, reps=3, rate_hz=100.0))
    with pytest.raises(SensorConnectError) as e:
        asyncio.run(
            asyncio.wait_for(simulated_ble_session(source, speed=20.0, record_path=None, sensor="polar"), 30)
        )
    assert "refused start ACC: ERROR_INVALID_SAMPLE_RATE" in str(e.value) and "\n" not in str(e.value)
