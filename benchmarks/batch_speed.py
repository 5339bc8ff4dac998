"""Throughput of `repcount analyze FOLDER` on a folder of many one-set sessions.

    python benchmarks/batch_speed.py [--n 500] [--runs 3] [--jobs 1,2]

The folder (simulated once and cached beside the long sessions, see benchmarks/_sessions.py) holds
--n one-set sessions written in every format in turn, each with its truth file. Prints sessions per
second of the whole command (`--json`, in a fresh process) for each --jobs, median of --runs, and how
many session totals match the truth.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import _sessions  # noqa: E402


def _write_one(args: tuple[Path, int, str]) -> None:
    from repcount.simulator import random_config, simulate_session
    from sensor.writers import write_recording

    folder, seed, fmt = args
    rec, truth = simulate_session(random_config(seed, sets=1))
    name = f"session-{seed:04d}" + (".csv" if fmt in ("repcount-csv", "generic-csv", "cara") else "")
    write_recording(rec, folder / name, fmt)
    (folder / f"session-{seed:04d}.truth.json").write_text(
        json.dumps({"total_full_reps": truth["total_full_reps"]})
    )


def folder_of(n: int) -> Path:
    from sensor.writers import FORMAT_NAMES

    folder = _sessions.cache_dir() / f"batch-{n}"
    done = folder / ".done"
    if not done.exists():
        folder.mkdir(exist_ok=True)
        t0 = time.perf_counter()
        jobs = [(folder, seed, FORMAT_NAMES[seed % len(FORMAT_NAMES)]) for seed in range(n)]
        with ProcessPoolExecutor(os.cpu_count()) as pool:
            list(pool.map(_write_one, jobs, chunksize=8))
        done.write_text("")
        print(f"simulated {n} one-set sessions in {time.perf_counter() - t0:.0f} s into {folder}")
    return folder


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=500)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--jobs", default="1,2")
    args = ap.parse_args()

    folder = folder_of(args.n)
    truth = {
        p.name.removesuffix(".truth.json"): json.loads(p.read_text())["total_full_reps"]
        for p in folder.glob("*.truth.json")
    }
    env = dict(os.environ, PYTHONPATH=str(_sessions.REPO))
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # time an installed package, not compiling our sources
    print(f"`repcount analyze FOLDER --json` on {args.n} one-set sessions (every format in turn):")
    for jobs in [int(j) for j in args.jobs.split(",")]:
        walls = []
        for _ in range(args.runs):
            t0 = time.perf_counter()
            proc = subprocess.run(
                [sys.executable, "-m", "repcount.cli", "analyze", str(folder), "--json", "--jobs", str(jobs)],
                capture_output=True,
                text=True,
                env=env,
                cwd=_sessions.REPO,
            )
            walls.append(time.perf_counter() - t0)
        doc = json.loads(proc.stdout)
        exact = sum(
            r["total_reps"] == truth.get(Path(r["source"]["path"]).name.split(".")[0])
            for r in doc["sessions"]
        )
        wall = statistics.median(walls)
        print(
            f"  --jobs {jobs}: {wall:6.1f} s = {args.n / wall:5.1f} sessions/s  (exit {proc.returncode}; "
            f"{len(doc['sessions'])} analysed, {len(doc['failed'])} failed; "
            f"session total exact {exact}/{len(doc['sessions'])})"
        )
    print(f"load average {os.getloadavg()[0]:.1f} at end (other work on the machine inflates every figure)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
