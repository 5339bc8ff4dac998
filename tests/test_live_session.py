"""`repcount live --simulate` end to end: simulated wrist -> Bumble virtual radio -> bleak -> live
pipeline -> events and recording, with the link dropped mid-set."""

import asyncio

import pytest

pytest.importorskip("bumble")

from analysis.pullapart import process_session  # noqa: E402
from repcount.live import simulated_ble_session  # noqa: E402
from repcount.simulator import SessionConfig, simulate_session  # noqa: E402
from sensor.ble.simulated import Faults  # noqa: E402
from sensor.readers import read_recording  # noqa: E402


def test_link_drop_mid_set_keeps_count_and_recording(tmp_path):
    rec, truth = simulate_session(SessionConfig(seed=8, sets=1, reps=8, rate_hz=100.0))
    mid_set = 0.5 * (truth["sets"][0]["start_s"] + truth["sets"][0]["end_s"])
    events = []
    path = tmp_path / "live.csv"
    summary = asyncio.run(
        simulated_ble_session(
            rec,
            speed=10.0,
            record_path=str(path),
            faults=Faults(link_drop_at_s=mid_set, silent_after_drop_s=0.3),
            emit=events.append,
        )
    )
    kinds = [e["type"] for e in events]
    assert "link_lost" in kinds and "reconnected" in kinds
    assert kinds.index("link_lost") < kinds.index("reconnected")
    # The recording is one file, reads back, has the gap marked, and replays to the same count.
    recorded = read_recording(path)
    assert len(recorded.meta.gaps) == 1
    gap = recorded.meta.gaps[0]
    assert abs(gap.start_s - mid_set) < 1.5
    replay = process_session(recorded)
    assert summary["reps_per_set"] == [len(s.full_reps) for s in replay.sets]
    # Losing a second of a set can cost the rep it cut, never more.
    assert abs(summary["total_reps"] - truth["total_full_reps"]) <= 1


def test_a_simulated_polar_sense_counts_as_the_replay(tmp_path):
    # `repcount live --simulate polar`: the Verity Sense on PMD at 52 Hz, through bleak.
    # A long lead-in: connecting takes a moment of the session, more on a loaded machine.
    rec, truth = simulate_session(SessionConfig(seed=4, sets=2, reps=6, rate_hz=52.0, lead_in_s=8.0))
    events = []
    path = tmp_path / "polar.csv"
    summary = asyncio.run(
        simulated_ble_session(rec, speed=20.0, record_path=str(path), sensor="polar", emit=events.append)
    )
    connected = next(e for e in events if e["type"] == "connected")
    assert connected["device"].startswith("Polar Sense")
    recorded = read_recording(path)
    assert summary["reps_per_set"] == [len(s.full_reps) for s in process_session(recorded).sets]
    assert summary["reps_per_set"] == [len(s.full_reps) for s in process_session(rec).sets] == [6, 6]
