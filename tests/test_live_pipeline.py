"""The live pipeline gives what replaying the recording gives, fed in notification-sized chunks."""

import numpy as np
import pytest

from analysis.live import LivePipeline
from analysis.pullapart import process_session
from repcount.simulator import SessionConfig, simulate_session


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_live_counts_match_replay(seed):
    rec, truth = simulate_session(SessionConfig(seed=seed, rate_hz=50.0))
    offline = process_session(rec)
    live = LivePipeline()
    events = []
    # What a sensor sends per 30 ms connection interval (at most 19 samples fit MTU 247).
    n = min(19, max(1, round(0.03 * rec.meta.nominal_rate_hz)))
    for i in range(0, len(rec), n):
        events += live.push(rec.t[i : i + n], rec.acc[i : i + n], rec.gyro[i : i + n])
    events += live.finish()
    assert [len(s.full) for s in live.sets] == [len(s.full_reps) for s in offline.sets]
    for ls, os_ in zip(live.sets, offline.sets):
        for a, b in zip(ls.reps, os_.reps):
            assert abs(a.end_s - (b.end_s + rec.t[0])) < 0.1
            assert abs(a.rom_deg - b.rom_deg) < 3.0
    ends = [e for e in events if e["type"] == "set_end"]
    assert [e["reps"] for e in ends] == [len(s.full_reps) for s in offline.sets]
    reps = [e for e in events if e["type"] == "rep" and not e["partial"]]
    latency = np.array([e["reported_s"] - e["t_s"] for e in reps])
    assert np.median(latency) <= 0.3
