"""Live against replay over the simulator suite: same sets and reps, and how soon each rep is shown.

    python benchmarks/live_agreement.py [--n 40] [--seed 5] [--workers 2]

Each suite session is fed to the live pipeline in what a sensor sends per 30 ms connection interval
and also analysed whole, as `repcount analyze` would. Prints: sessions whose live sets hold the same
full-rep counts as the replay's, rep end times within 0.1 s of the replay's, the delay from the end
of each rep shown as full that the replay holds as full (signal time) to its report (median, p90,
share within 0.3 s, first reps of a set apart, and counted from when samples resumed for reps that
ended while samples were lost), sets cancelled on the way, sets counted or timed again (read opening
the other way at first), and the live pipeline's CPU per sample.
"""

from __future__ import annotations

import argparse
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from analysis.live import LivePipeline  # noqa: E402
from analysis.movement_ends import HOLE_S  # noqa: E402  (samples further apart: some were lost)
from analysis.pullapart import process_session  # noqa: E402
from repcount.simulator import simulate_session, suite_configs  # noqa: E402


def one(config) -> dict:
    rec, _ = simulate_session(config)
    offline = process_session(rec)
    live = LivePipeline()
    events: list[dict] = []
    k = min(19, max(1, round(0.03 * rec.meta.nominal_rate_hz)))
    cpu = time.process_time()
    for i in range(0, len(rec), k):
        events += live.push(rec.t[i : i + k], rec.acc[i : i + k], rec.gyro[i : i + k])
    events += live.finish()
    cpu = time.process_time() - cpu
    same = [len(s.full) for s in live.sets] == [len(s.full_reps) for s in offline.sets]
    ends_ok = same and all(
        abs(a.end_s - (b.end_s + rec.t[0])) <= 0.1
        for ls, os_ in zip(live.sets, offline.sets)
        for a, b in zip(ls.full, os_.full_reps)
    )
    reps = [e for e in events if e["type"] == "rep" and not e["partial"]]
    # What the person saw as each rep ended, against the replay's nearest rep.
    replay_ends = np.array([r.end_s + rec.t[0] for s in offline.sets for r in s.reps])
    shown = [float(np.min(np.abs(replay_ends - e["t_s"]))) if len(replay_ends) else np.inf for e in reps]
    full_ends = np.array([r.end_s + rec.t[0] for s in offline.sets for r in s.full_reps])
    real = [bool(len(full_ends)) and float(np.min(np.abs(full_ends - e["t_s"]))) <= 0.1 for e in reps]
    # A rep whose end falls in lost samples cannot be reported before they resume.
    after = np.searchsorted(rec.t, [e["t_s"] for e in reps]).clip(1, len(rec) - 1)
    hole = (rec.t[after] - rec.t[after - 1]) > HOLE_S
    resumed = [float(rec.t[j]) if h else e["t_s"] for e, j, h in zip(reps, after, hole)]
    return {
        "seed": config.seed,
        "in_hole": hole.tolist(),
        "from_data": [e["reported_s"] - max(e["t_s"], r) for e, r in zip(reps, resumed)],
        "same": same,
        "ends_ok": ends_ok,
        "latency": [e["reported_s"] - e["t_s"] for e in reps],
        "first": [e["rep"] == 1 for e in reps],
        "shown_off": shown,
        "real": real,
        "cancelled": sum(e["type"] == "set_cancelled" for e in events),
        "revised": sum(e["type"] == "set_revised" for e in events),
        "cpu_s": cpu,
        "samples": len(rec),
        "live": [len(s.full) for s in live.sets],
        "replay": [len(s.full_reps) for s in offline.sets],
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=40)
    ap.add_argument("--seed", type=int, default=5)
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    with ProcessPoolExecutor(args.workers) as pool:
        results = list(pool.map(one, suite_configs(args.n, args.seed)))
    # Latency counts the full reps the replay holds too: a rep of a set that is later cancelled
    # was never a rep, and a partial one is shown as such once its set closes.
    real = np.concatenate([r["real"] for r in results]).astype(bool)
    lat = np.concatenate([r["latency"] for r in results])[real]
    first = np.concatenate([r["first"] for r in results]).astype(bool)[real]
    n = len(results)
    print(f"live against replay, {n} suite sessions (seed {args.seed})")
    print(f"  same full-rep count in every set: {sum(r['same'] for r in results)}/{n} sessions")
    print(f"  and every rep's end within 0.1 s: {sum(r['ends_ok'] for r in results)}/{n} sessions")
    shown = np.concatenate([r["shown_off"] for r in results])
    print(f"  reps as shown live, end within 0.1 s of a replay rep's: {100 * np.mean(shown <= 0.1):.1f}%")
    for r in results:
        if not r["same"]:
            print(f"    session {r['seed']}: live {r['live']} replay {r['replay']}")
    print(
        f"  rep latency (end to report, signal time), {len(lat)} reps full in the replay too "
        f"({len(real) - len(lat)} shown that are not): median {np.median(lat):.3f} s,"
        f" p90 {np.percentile(lat, 90):.3f} s, within 0.3 s {100 * np.mean(lat <= 0.3):.1f}%"
    )
    print(
        f"    first reps of a set: median {np.median(lat[first]):.3f} s,"
        f" within 0.3 s {100 * np.mean(lat[first] <= 0.3):.1f}%;"
        f" later reps within 0.3 s {100 * np.mean(lat[~first] <= 0.3):.1f}%"
    )
    hole = np.concatenate([r["in_hole"] for r in results]).astype(bool)[real]
    from_data = np.concatenate([r["from_data"] for r in results])[real]
    print(
        f"    {hole.sum()} of them ended while samples were lost; counted from when samples resumed"
        f" instead, within 0.3 s {100 * np.mean(from_data <= 0.3):.1f}%"
    )
    cancelled = sum(r["cancelled"] for r in results)
    where = ", ".join(str(r["seed"]) for r in results if r["cancelled"])
    print(f"  sets cancelled (looked like a set's start, the replay holds none): {cancelled} ({where})")
    revised = sum(r["revised"] for r in results)
    where = ", ".join(str(r["seed"]) for r in results if r["revised"])
    print(f"  sets counted or timed again (read opening the other way at first): {revised} ({where})")
    cpu = sum(r["cpu_s"] for r in results) / sum(r["samples"] for r in results)
    print(f"  live pipeline CPU: {cpu * 1e6:.1f} us per sample (suite rates 12.5-416 Hz)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
