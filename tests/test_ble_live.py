"""A simulated session end to end: simulated sensor (Bumble GATT server) -> bleak -> LiveSensor ->
Timeline -> CsvRecorder -> the file read back. Played 10x faster than real time; the LiveSensor's host
clock is scaled by the same factor so the timeline sees the session's own timing."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

import numpy as np
import pytest

pytest.importorskip("bumble", reason="the simulated sensor runs on Bumble (Python 3.11+)")

from repcount.simulator import SessionConfig, simulate_session  # noqa: E402
from sensor.ble.bumble_backend import VirtualRadio  # noqa: E402
from sensor.ble.client import (  # noqa: E402
    Connected,
    LinkLost,
    LiveSensor,
    Reconnected,
    Samples,
    SensorEvent,
    SensorNotFoundError,
    Stopped,
)
from sensor.ble.simulated import Faults, SimulatedWristSensor  # noqa: E402
from sensor.readers import read_recording  # noqa: E402
from sensor.recording import Recording  # noqa: E402

SPEED = 10.0


@dataclass
class Run:
    sim: SimulatedWristSensor
    source: Recording
    events: list[SensorEvent]
    recorded: Recording
    live: LiveSensor

    @property
    def marked_gaps(self) -> list:
        return [g for g in self.recorded.meta.gaps if g.reason == "marked in the file"]

    def kinds(self) -> list[str]:
        return [type(e).__name__ for e in self.events if not isinstance(e, Samples)]


def play(tmp_path, faults: Faults | None = None, rate_hz: float = 100.0, reps: int = 3) -> Run:
    source, _ = simulate_session(
        SessionConfig(seed=5, sets=1, reps=reps, rate_hz=rate_hz, lead_in_s=1.0, tail_s=1.0)
    )
    path = tmp_path / "live.csv"

    async def main() -> tuple[SimulatedWristSensor, list[SensorEvent], LiveSensor]:
        radio = VirtualRadio()
        sim = SimulatedWristSensor(radio, source, speed=SPEED, faults=faults)
        await sim.start()
        live = LiveSensor(
            None,
            backend=radio.client_backend,
            scanner_backend=radio.scanner_backend,
            record_path=path,
            clock=lambda: time.monotonic() * SPEED,
            backoff_s=(0.05, 0.2),
        )
        await live.start()

        async def stop_when_played() -> None:
            await sim.finished.wait()
            await asyncio.sleep(0.1)
            await live.stop()
            await sim.stop()

        stopper = asyncio.get_running_loop().create_task(stop_when_played())
        events = [e async for e in live.events()]
        await stopper
        return sim, events, live

    sim, events, live = asyncio.run(asyncio.wait_for(main(), 40))
    return Run(sim, source, events, read_recording(path), live)


def assert_everything_sent_is_recorded(run: Run) -> None:
    """Every sample that went out intact is in the file once, in order, with its exact values."""
    idx = run.sim.log.sample_indices()
    rec = run.recorded
    assert len(rec) == len(idx) == run.sim.log.samples_delivered()
    lsb = run.sim.config.acc_lsb_mps2
    assert np.allclose(rec.acc, run.sim.counts[idx, :3] * lsb, atol=6e-5)
    assert np.all(np.diff(rec.t) > 0)
    # Sample times follow the session's own clock. Played 10x faster, 10 ms of event-loop delay on a busy
    # machine reads as 100 ms, so this bound is loose; test_timeline pins the accuracy to the ms.
    truth = run.source.t[idx] - run.source.t[idx[0]]
    err = rec.t - truth
    assert np.max(np.abs(err - np.median(err))) < 0.25


def test_one_set_streams_into_one_csv_with_drops_marked(tmp_path):
    run = play(tmp_path, Faults(drop_frames=frozenset({25, 60, 61})))
    assert_everything_sent_is_recorded(run)
    assert run.sim.log.samples_lost() > 0
    assert len(run.marked_gaps) == 2  # frame 25, frames 60-61
    lost = [f for f in run.sim.log.frames if f.fate == "dropped"]
    for gap, first_missing in zip(run.marked_gaps, (lost[0], lost[1])):
        hole_start = run.source.t[first_missing.first_sample] - run.source.t[run.sim.log.sample_indices()[0]]
        assert gap.start_s < hole_start < gap.end_s
    assert run.kinds() == ["Connected", "Stopped"]
    stats = run.events[-1].stats
    assert stats.lost_frames == 3 and stats.gaps == 2 and stats.bad_frames == 0
    connected = run.events[0]
    assert isinstance(connected, Connected) and connected.mtu == 247 and connected.info.rate_hz == 100.0
    assert run.recorded.meta.device == run.sim.name and run.recorded.meta.nominal_rate_hz == 100.0


def test_link_drop_mid_set_reconnects_into_same_file_with_one_gap(tmp_path):
    run = play(tmp_path, Faults(link_drop_at_s=6.0, silent_after_drop_s=1.5))
    assert run.sim.log.link_drops == 1 and run.sim.log.subscriptions == 2
    assert run.kinds() == ["Connected", "LinkLost", "Reconnected", "Stopped"]
    assert_everything_sent_is_recorded(run)
    assert len(run.marked_gaps) == 1
    gap = run.marked_gaps[0]
    assert gap.end_s - gap.start_s > 1.5  # silent 1.5 s, plus reconnecting
    after = [e for e in run.events if isinstance(e, Samples) and e.batch.segment == 1]
    assert sum(len(e.batch) for e in after) > 300  # notifications resumed
    reconnected = next(e for e in run.events if isinstance(e, Reconnected))
    assert reconnected.stats.link_losses == 1 and reconnected.stats.reconnects == 1


FAULTS = {
    "drop": (Faults(drop_prob=0.05, seed=1), True),
    "duplicate": (Faults(duplicate_prob=0.1, seed=2), False),
    "reorder": (Faults(reorder_prob=0.1, seed=3), False),
    "corrupt": (Faults(corrupt_prob=0.05, seed=4), True),
    "clock_100ppm_fast": (Faults(clock_ppm=100.0), False),
}


@pytest.mark.parametrize("name", list(FAULTS))
def test_each_fault_loses_nothing_that_arrived(tmp_path, name):
    faults, makes_gaps = FAULTS[name]
    run = play(tmp_path, faults, rate_hz=52.0, reps=2)
    assert_everything_sent_is_recorded(run)
    fates = [f.fate for f in run.sim.log.frames]
    stats = run.events[-1].stats
    assert isinstance(run.events[-1], Stopped)
    if name == "duplicate":
        assert stats.duplicates == fates.count("duplicated") > 0
    if name == "reorder":
        assert stats.reordered == fates.count("reordered") > 0 and stats.late == 0
    if name == "corrupt":
        assert stats.bad_frames == fates.count("corrupted") > 0
    if makes_gaps:
        lost = [f in ("dropped", "corrupted") for f in fates]
        lost_runs = sum(1 for i, x in enumerate(lost) if x and (i == 0 or not lost[i - 1]))
        assert lost_runs > 0 and 0 < len(run.marked_gaps) <= lost_runs
        assert stats.lost_frames == fates.count("dropped") + fates.count("corrupted")
    else:
        assert run.marked_gaps == [] and stats.lost_frames == 0


def test_no_sensor_fails_fast(tmp_path):
    async def main() -> float:
        radio = VirtualRadio()
        live = LiveSensor(
            None, backend=radio.client_backend, scanner_backend=radio.scanner_backend, scan_timeout_s=0.5
        )
        t = time.monotonic()
        with pytest.raises(SensorNotFoundError):
            await live.start()
        return time.monotonic() - t

    assert asyncio.run(main()) < 1.5


def test_link_lost_events_carry_counters(tmp_path):
    run = play(tmp_path, Faults(link_drop_at_s=5.0, silent_after_drop_s=0.5), rate_hz=25.0, reps=2)
    lost = next(e for e in run.events if isinstance(e, LinkLost))
    assert (
        not lost.stats.connected
        and lost.stats.samples > 0
        and lost.stats.rate_hz == pytest.approx(25, rel=0.1)
    )
