"""CsvRecorder: the repcount-csv format exactly, gap marks, appending, and surviving kill -9."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pytest

from sensor.live.recorder import CsvRecorder
from sensor.live.timeline import SampleBatch
from sensor.readers import detect_format, read_recording

ROOT = Path(__file__).resolve().parent.parent
START = datetime(2026, 11, 23, 20, 0, 0, tzinfo=timezone.utc)


def batch(t0: float, n: int = 10, rate: float = 104.0, gap: bool = False, seed: int = 0) -> SampleBatch:
    rng = np.random.default_rng(seed)
    t = t0 + np.arange(n) / rate
    acc = rng.normal(0, 2, (n, 3)) + [0, 9.81, 0]
    return SampleBatch(t, acc, rng.normal(0, 1, (n, 3)), gap_before=gap)


def test_header_and_rows_follow_format_md(tmp_path):
    path = tmp_path / "rec.csv"
    with CsvRecorder(path, START, "XIAO-wrist-3F2A", 104) as rec:
        rec.write(batch(0.0, 2))
    lines = path.read_text().splitlines()
    assert lines[:5] == [
        "# repcount-csv 1",
        "# start_utc=2026-11-23T20:00:00.000000Z",
        "# device=XIAO-wrist-3F2A",
        "# nominal_rate_hz=104",
        "t_s,ax_mps2,ay_mps2,az_mps2,gx_rads,gy_rads,gz_rads,gap",
    ]
    fields = lines[5].split(",")
    assert fields[0] == "0.000000" and fields[-1] == "" and len(fields) == 8
    assert len(fields[1].split(".")[1]) == 4 and len(fields[4].split(".")[1]) == 5
    assert lines[6].startswith("0.009615,")


def test_round_trip_with_gaps_marked(tmp_path):
    path = tmp_path / "rec.csv"
    batches = [batch(0.0, 20, seed=1), batch(20 / 104, 20, seed=2), batch(1.5, 20, gap=True, seed=3)]
    with CsvRecorder(path, START, "SIM-wrist-0001", 104) as rec:
        for b in batches:
            rec.write(b)
        rec.mark_gap()  # the link dropped: the next sample is marked even if its batch is not
        rec.write(batch(2.0, 5, seed=4))
    assert detect_format(path) == "repcount-csv"
    got = read_recording(path)
    want_t = np.concatenate([b.t_s for b in batches] + [batch(2.0, 5).t_s])
    assert len(got) == 65
    assert np.allclose(got.t, want_t, atol=1e-6)
    assert np.allclose(got.acc[:20], batches[0].acc, atol=5e-5)
    assert np.allclose(got.gyro[:20], batches[0].gyro, atol=5e-6)
    marked = [g for g in got.meta.gaps if g.reason == "marked in the file"]
    assert [round(g.end_s, 6) for g in marked] == [1.5, 2.0]
    assert got.meta.start_utc == START and got.meta.device == "SIM-wrist-0001"
    assert got.meta.nominal_rate_hz == 104


def test_non_increasing_samples_are_dropped_not_written(tmp_path):
    path = tmp_path / "rec.csv"
    with CsvRecorder(path, START, "d", 100) as rec:
        rec.write(batch(0.0, 10, rate=100))
        assert rec.write(batch(0.05, 10, rate=100)) == 5  # first half is not after the last sample
    assert rec.samples_dropped == 5
    got = read_recording(path)
    assert np.all(np.diff(got.t) > 0) and len(got) == 15


def test_append_after_restart_continues_file_with_gap(tmp_path):
    path = tmp_path / "rec.csv"
    with CsvRecorder(path, START, "d", 100) as rec:
        rec.write(batch(0.0, 50, rate=100))
    with open(path, "a") as f:
        f.write("0.6000,1.0,2")  # a line cut off by a crash
    later = START.replace(second=10)
    with CsvRecorder(path, later, "d", 100, append=True) as rec:
        rec.write(batch(0.0, 10, rate=100))  # t_s 0 of the new run is 10 s into the file
    got = read_recording(path)
    assert len(got) == 60
    assert got.t[50] == pytest.approx(10.0)
    assert [round(g.end_s, 3) for g in got.meta.gaps if g.reason == "marked in the file"] == [10.0]
    assert "0.6000,1.0,2" not in path.read_text()


CHILD = textwrap.dedent(
    """
    import sys, time
    import numpy as np
    from datetime import datetime, timezone
    from sensor.live.recorder import CsvRecorder
    from sensor.live.timeline import SampleBatch
    rec = CsvRecorder(sys.argv[1], datetime.now(timezone.utc), "kill-test", 100)
    k = 0
    while True:
        t = (k * 10 + np.arange(10)) / 100.0
        rec.write(SampleBatch(t, np.full((10, 3), 9.81), np.zeros((10, 3)), gap_before=False))
        k += 1
        print(k * 10, flush=True)  # samples handed to the recorder so far
        time.sleep(0.01)
    """
)


def test_kill_9_loses_at_most_the_last_second(tmp_path):
    path = tmp_path / "killed.csv"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(path)], stdout=subprocess.PIPE, text=True, env=env
    )
    written = 0
    deadline = time.monotonic() + 20
    assert proc.stdout is not None
    while written < 1500 and time.monotonic() < deadline:
        written = int(proc.stdout.readline() or 0) or written
    proc.send_signal(signal.SIGKILL)
    proc.wait(5)
    assert written >= 1500, "the writer never got going"
    got = read_recording(path)
    # Every batch is flushed to the OS before the child reports it, so a killed process loses none of
    # them; fsync once a second bounds what a machine crash could lose to about a second (100 samples).
    assert len(got) >= written
    assert np.all(np.diff(got.t) > 0)
    assert np.allclose(got.acc, 9.81)


def test_fsync_about_once_a_second(tmp_path, monkeypatch):
    calls = []
    real_fsync = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: calls.append(fd) or real_fsync(fd))
    now = [0.0]
    rec = CsvRecorder(tmp_path / "r.csv", START, "d", 100, clock=lambda: now[0])
    calls.clear()
    for k in range(50):  # 5 s of batches, one every 100 ms
        now[0] = k * 0.1
        rec.write(batch(k * 0.1, 10, rate=100))
    assert 4 <= len(calls) <= 5
    rec.close()
    assert len(calls) in (5, 6)
