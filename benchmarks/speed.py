"""Speed of reading and analysing long sessions.

    python benchmarks/speed.py [--hours 1] [--rate 100] [--runs 3] [--format repcount-csv]

Simulates one long session, writes it in the given format, then times (median of --runs):
reading the file, the pull-apart pipeline on the recording in memory (samples per second), and
`repcount analyze --json` as a whole command in a fresh process (wall time and peak memory).
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from analysis import process  # noqa: E402
from repcount.simulator import random_config, simulate_session  # noqa: E402
from sensor.readers import read_recording  # noqa: E402
from sensor.writers import write_recording  # noqa: E402


def _median_time(fn, runs: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(runs):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def _command(path: Path) -> tuple[float, float]:
    """Wall time and peak RSS (MB) of `repcount analyze --json` in a child process."""
    code = (
        "import resource, sys, time; from repcount.cli import main; t0 = time.perf_counter();"
        f"main(['analyze', {str(path)!r}, '--json']);"
        "print(time.perf_counter() - t0, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True)
    json.loads(proc.stdout)
    wall, rss_kb = proc.stderr.strip().splitlines()[-1].split()
    return float(wall), float(rss_kb) / 1024


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--hours", type=float, default=1.0)
    ap.add_argument("--rate", type=float, default=100.0)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--format", default="repcount-csv")
    args = ap.parse_args()

    t0 = time.perf_counter()
    rec, truth = simulate_session(random_config(1, rate_hz=args.rate, duration_s=args.hours * 3600))
    print(
        f"session: {rec.duration_s / 3600:.2f} h at {args.rate:g} Hz, {len(rec):,} samples, "
        f"{len(truth['sets'])} sets (simulated in {time.perf_counter() - t0:.1f} s)"
    )
    with tempfile.TemporaryDirectory() as tmp:
        paths = write_recording(rec, Path(tmp) / "long", args.format)
        target = paths[0] if len(paths) == 1 else paths[0].parent
        read_s, loaded = _median_time(lambda: read_recording(target), args.runs)
        proc_s, result = _median_time(lambda: process(loaded), args.runs)
        walls = [_command(target) for _ in range(args.runs)]
    wall = statistics.median(w for w, _ in walls)
    rss = max(r for _, r in walls)
    print(f"read ({args.format}):     {read_s:7.3f} s")
    print(
        f"pipeline in memory:     {proc_s:7.3f} s  = {len(loaded) / proc_s / 1e6:.1f} M samples/s"
        f"  ({result.total_reps} reps in {len(result.sets)} sets)"
    )
    share = 100 * read_s / (read_s + proc_s)
    print(
        f"analyze --json command: {wall:7.3f} s wall, peak memory {rss:.0f} MB "
        f"(reading {share:.0f}% / analysing {100 - share:.0f}%)"
    )
    print(f"(this process peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
