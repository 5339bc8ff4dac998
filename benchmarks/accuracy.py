"""Accuracy of the pull-apart pipeline on a seeded suite of simulated sessions.

    python benchmarks/accuracy.py [--n 200] [--seed 0] [--formats] [--verbose]

Prints: sets counted exactly, full-rep precision/recall, tempo error per phase, range error and
bias, partial and rowing recall. With --formats every session is written in one of the supported
file formats (in turn) and read back, so readers are part of what is scored.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from analysis import process  # noqa: E402
from repcount.simulator import simulate_session, suite_configs  # noqa: E402
from repcount.simulator.scoring import Score, score_session, summary_lines  # noqa: E402


def _one(args: tuple) -> Score:
    config, fmt = args
    rec, truth = simulate_session(config)
    if fmt:
        from sensor.readers import read_recording
        from sensor.writers import write_recording

        with tempfile.TemporaryDirectory() as tmp:
            paths = write_recording(rec, Path(tmp) / f"session-{config.seed}", fmt)
            rec = read_recording(paths[0] if len(paths) == 1 else paths[0].parent)
    result = process(rec)
    return score_session(result, truth, label=f"seed {config.seed} ({fmt or 'memory'})")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--formats", action="store_true", help="round-trip each session through a file format")
    ap.add_argument("--verbose", action="store_true", help="list every miscounted set")
    ap.add_argument("--jobs", type=int, default=2)
    args = ap.parse_args()

    configs = suite_configs(args.n, args.seed)
    fmts = [None] * len(configs)
    if args.formats:
        from sensor.writers import FORMAT_NAMES

        fmts = [FORMAT_NAMES[i % len(FORMAT_NAMES)] for i in range(len(configs))]
    t0 = time.perf_counter()
    total = Score()
    with ProcessPoolExecutor(args.jobs) as pool:
        for sc in pool.map(_one, zip(configs, fmts), chunksize=4):
            total.add(sc)
    elapsed = time.perf_counter() - t0
    print(
        f"pull-apart accuracy on {len(configs)} simulated sessions (seed {args.seed}"
        f"{', through file formats' if args.formats else ''}), {elapsed:.1f} s"
    )
    for line in summary_lines(total):
        print("  " + line)
    if args.verbose:
        for f in total.failures:
            print("  - " + f)
    return 0


if __name__ == "__main__":
    sys.exit(main())
