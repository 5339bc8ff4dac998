"""Live mode cost: CPU per incoming sample, rep latency, and memory over a long stream.

    python benchmarks/live_speed.py [--hours 1] [--rate 100] [--runs 3]

A simulated session is sent as the repcount GATT protocol's notifications (as many samples a frame
as a 30 ms connection interval holds, at most 19) and taken through what the live command does with
each: decode, the timeline (sequence check, clock fit), then the live pipeline, as fast as the
machine can go. Prints the CPU cost per sample of decode + timeline and of the pipeline, the delay
from the end of each rep (signal time) to its report, whether the live counts equal the replay's of
the same samples, and the process's memory every tenth of the stream (flat means bounded buffers).
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from analysis.live import LivePipeline  # noqa: E402
from analysis.pullapart import process_session  # noqa: E402
from repcount.simulator import random_config, simulate_session  # noqa: E402
from sensor.ble.simulated import simulated_config  # noqa: E402
from sensor.live.timeline import SensorFrame, Timeline  # noqa: E402
from sensor.protocols import repcount_gatt as rg  # noqa: E402
from sensor.recording import Recording, RecordingMeta  # noqa: E402


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize() / 2**20


def decode(notifications: list[tuple[bytes, float]], config: rg.SensorConfig) -> tuple[list, float]:
    """Decode and timeline, as the BLE client does for each notification: (batches, CPU s)."""
    timeline = Timeline()
    timeline.new_segment()
    cpu0 = time.process_time()
    batches = []
    for data, arrival in notifications:
        f = rg.decode_frame(data, config)
        batches += timeline.push(SensorFrame(f.seq, f.t0_us, f.acc, f.gyro, config.sample_period_us), arrival)
    return batches, time.process_time() - cpu0


def stream(batches: list) -> tuple[LivePipeline, list[dict], list[float], float]:
    """The live pipeline over the batches: (pipeline, events, memory every tenth, CPU s)."""
    live = LivePipeline()
    events: list[dict] = []
    marks = []
    step = max(1, len(batches) // 10)
    cpu0 = time.process_time()
    for i, b in enumerate(batches):
        events += live.push(b.t_s, b.acc, b.gyro, b.gap_before)
        if (i + 1) % step == 0:
            marks.append(rss_mb())
    events += live.finish()
    return live, events, marks, time.process_time() - cpu0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--hours", type=float, default=1.0)
    ap.add_argument("--rate", type=float, default=100.0)
    ap.add_argument("--runs", type=int, default=3, help="CPU figures are the median of this many runs")
    args = ap.parse_args()
    rec, truth = simulate_session(random_config(3, rate_hz=args.rate, duration_s=args.hours * 3600))
    config = simulated_config(rec)
    k = min(19, max(1, round(0.03 * args.rate)))
    counts = rg.quantize(rec.acc, rec.gyro, config)
    sensor_us = np.round(rec.t * 1e6).astype(np.int64)
    notifications = [
        (
            rg.encode_frame((i // k) % rg.SEQ_MODULUS, int(sensor_us[i]) % 2**32, counts[i : i + k]),
            float(rec.t[min(i + k, len(rec)) - 1]) + 0.015,
        )
        for i in range(0, len(rec), k)
    ]

    decode_cpu, pipeline_cpu = [], []
    for _ in range(args.runs):
        batches, cpu = decode(notifications, config)
        decode_cpu.append(cpu)
    del notifications
    for _ in range(args.runs):
        live, events, marks, cpu = stream(batches)
        pipeline_cpu.append(cpu)
    cpu_decode, cpu = float(np.median(decode_cpu)), float(np.median(pipeline_cpu))
    n = sum(len(b) for b in batches)
    received = Recording(
        np.concatenate([b.t_s for b in batches]),
        np.concatenate([b.acc for b in batches]),
        np.concatenate([b.gyro for b in batches]),
        RecordingMeta("live", nominal_rate_hz=args.rate),
    )
    offline = process_session(received)
    reps = [e for e in events if e["type"] == "rep" and not e["partial"]]
    lat = np.array([e["reported_s"] - e["t_s"] for e in reps])
    same = [len(s.full) for s in live.sets] == [len(s.full_reps) for s in offline.sets]
    print(f"live, {rec.duration_s / 3600:.2f} h at {args.rate:g} Hz ({n:,} samples, {k} a notification)")
    total = cpu + cpu_decode
    print(
        f"  CPU per sample (median of {args.runs}): {total / n * 1e6:.1f} us"
        f" ({100 * total / rec.duration_s:.2f}% of a core):"
        f" decode + timeline {cpu_decode / n * 1e6:.1f} us, pipeline {cpu / n * 1e6:.1f} us"
    )
    print(
        f"  rep latency (end to report, signal time): median {np.median(lat):.3f} s,"
        f" p90 {np.percentile(lat, 90):.3f} s,"
        f" share within 0.3 s {100 * np.mean(lat <= 0.3):.0f}%  ({len(reps)} reps)"
    )
    print(
        f"  live sets equal the replay's: {same} ({sum(len(s.full) for s in live.sets)} vs "
        f"{offline.total_reps} reps; truth {truth['total_full_reps']})"
    )
    print("  memory (MB) at each tenth: " + " ".join(f"{m:.0f}" for m in marks))
    return 0


if __name__ == "__main__":
    sys.exit(main())
