"""Live mode cost: CPU per incoming sample, rep latency, and memory over a long stream.

    python benchmarks/live_speed.py [--hours 1] [--rate 100]

Feeds a simulated session to the live pipeline in what a sensor sends per 30 ms connection interval,
as fast as the machine can go, and prints the CPU cost per sample (pipeline only; decode + timeline
are measured by tests/test_ble_live.py's figures in the README), the delay from the end of each rep
(signal time) to its report, whether the live counts equal the replay's, and the process's memory
every tenth of the stream (flat means bounded buffers).
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


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize() / 2**20


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--hours", type=float, default=1.0)
    ap.add_argument("--rate", type=float, default=100.0)
    args = ap.parse_args()
    rec, truth = simulate_session(random_config(3, rate_hz=args.rate, duration_s=args.hours * 3600))
    offline = process_session(rec)
    k = min(19, max(1, round(0.03 * args.rate)))
    live = LivePipeline()
    events: list[dict] = []
    marks = []
    step = max(1, len(rec) // 10)
    cpu0 = time.process_time()
    for i in range(0, len(rec), k):
        events += live.push(rec.t[i : i + k], rec.acc[i : i + k], rec.gyro[i : i + k])
        if i // step != (i + k) // step:
            marks.append(rss_mb())
    events += live.finish()
    cpu = time.process_time() - cpu0
    reps = [e for e in events if e["type"] == "rep" and not e["partial"]]
    lat = np.array([e["reported_s"] - e["t_s"] for e in reps])
    same = [len(s.full) for s in live.sets] == [len(s.full_reps) for s in offline.sets]
    print(
        f"live pipeline, {rec.duration_s / 3600:.2f} h at {args.rate:g} Hz"
        f" ({len(rec):,} samples, {k} per batch)"
    )
    print(f"  CPU per sample: {cpu / len(rec) * 1e6:.1f} us  ({100 * cpu / rec.duration_s:.2f}% of a core)")
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
