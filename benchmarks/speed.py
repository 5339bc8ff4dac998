"""Speed of `repcount analyze` on long sessions: start-up, reading, the pipeline, the whole command.

    python benchmarks/speed.py [--sessions 1@100,8@416] [--runs 3] [--formats all]
                               [--long-formats repcount-csv] [--quick]

Sessions are simulated once and cached (see benchmarks/_sessions.py; the 8 h one takes about a
minute and 1.2 GB to simulate, and each format of it 0.7-1.5 GB of disk). Prints, as medians of
--runs:
- start-up: the imports `repcount analyze` needs, module by module, in a fresh interpreter;
- the pipeline alone, on the recording in memory, in samples per second: in one process, and with
  its set windows spread over every core (`process(rec, workers=N)`, as the command does);
- per session and format: `repcount analyze PATH --json` in a fresh process: wall time, CPU time
  (user and system), peak memory, and its split into start-up (imports), reading, analysing and
  the rest (writing the report), and the interpreter's own start and exit.
Sessions longer than 2 h are run only in --long-formats: writing 8 h in every format takes
minutes and gigabytes each, and the readers share one CSV parser.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import _sessions  # noqa: E402

REPO = _sessions.REPO
LONG_H = 2.0

# Run in the child: the real command, with the reader and the pipeline wrapped in timers.
_CHILD = """
import json, os, sys, time
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # as the `repcount` command does (repcount.cli.run)
t0 = time.perf_counter()
import analysis, analysis.pullapart, repcount.cli, repcount.report, sensor.readers
t1 = time.perf_counter()
spent = {"read": 0.0, "analyse": 0.0}
def timed(fn, key):
    def run(*a, **k):
        s = time.perf_counter()
        try:
            return fn(*a, **k)
        finally:
            spent[key] += time.perf_counter() - s
    return run
sensor.readers.read_recording = timed(sensor.readers.read_recording, "read")
analysis.process = timed(analysis.process, "analyse")
status = repcount.cli.main(["analyze", sys.argv[1], "--json"])
spent.update(imports=t1 - t0, total=time.perf_counter() - t0, status=status)
print(json.dumps(spent), file=sys.stderr)
import gc; gc.freeze()  # and exit as the `repcount` command does (repcount.cli.run)
"""

_IMPORTS = """
import time, json
out = {}
# The modules `repcount analyze --json` imports (rich and scipy.ndimage are no longer among them).
for name in ["numpy", "pandas", "scipy.linalg", "sensor.readers", "analysis.pullapart", "repcount.report",
             "repcount.cli"]:
    t = time.perf_counter()
    __import__(name)
    out[name] = time.perf_counter() - t
print(json.dumps(out))
"""


def _env() -> dict[str, str]:
    env = dict(os.environ)
    # An installed package has its bytecode compiled; time that, not compiling our sources each run.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    return env


def run_child(args: list[str]) -> tuple[float, str]:
    """Run python with `args` in a fresh process: (wall s, stdout)."""
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, *args], capture_output=True, text=True, cwd=REPO, env=_env(), check=True
    )
    return time.perf_counter() - t0, proc.stdout


def _command(path: Path) -> dict:
    """One run of `repcount analyze PATH --json` in a fresh process, with its own resource usage."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-c", _CHILD, str(path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=REPO,
        env=_env(),
    )
    # wait4 gives this child's own peak memory and CPU time; read the pipes in threads meanwhile.
    bufs: dict[str, bytes] = {}
    readers = [
        threading.Thread(target=lambda k=k, s=s: bufs.__setitem__(k, s.read()))
        for k, s in (("out", proc.stdout), ("err", proc.stderr))
    ]
    for r in readers:
        r.start()
    _, status, ru = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    for r in readers:
        r.join()
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError(f"analyze {path} failed ({proc.returncode}): {bufs['err'].decode()[-2000:]}")
    report = json.loads(bufs["out"])
    spent = json.loads(bufs["err"].decode().strip().splitlines()[-1])
    return {
        "wall": wall,
        "user": ru.ru_utime,
        "sys": ru.ru_stime,
        "rss_mb": ru.ru_maxrss / 1024,
        "reps": report["total_reps"],
        **{k: spent[k] for k in ("imports", "read", "analyse", "total")},
    }


def _median(runs: list[dict]) -> dict:
    return {
        k: statistics.median(r[k] for r in runs) if k != "rss_mb" else max(r[k] for r in runs)
        for k in runs[0]
    }


def startup(runs: int) -> None:
    bare = statistics.median(run_child(["-c", "pass"])[0] for _ in range(runs))
    rows = [json.loads(run_child(["-c", _IMPORTS])[1]) for _ in range(runs)]
    med = {k: statistics.median(r[k] for r in rows) for k in rows[0]}
    print(f"start-up (fresh interpreter, median of {runs}): python itself {bare:.3f} s, then imports:")
    print("  " + ", ".join(f"{k} {v:.3f}" for k, v in med.items()))
    print(f"  all imports {sum(med.values()):.3f} s (each: what it adds after the ones before it)")


_PIPELINE = """
import os, statistics, sys, time
sys.path.insert(0, sys.argv[1])
import _sessions
from analysis import process
hours, rate, runs = float(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
rec, truth = _sessions.session(hours, rate)
process(rec)  # warm: imports, the allocator's first pages
cores = os.cpu_count() or 1
for workers in sorted({1, cores}):
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        result = process(rec, workers=workers)
        times.append(time.perf_counter() - t0)
    t = statistics.median(times)
    print(
        f"pipeline in memory, {hours:g} h at {rate:g} Hz ({len(rec):,} samples), {workers} process"
        f"{'es' if workers > 1 else ''}: {t:.3f} s = {len(rec) / t / 1e6:.2f} M samples/s "
        f"({result.total_reps} reps in {len(result.sets)} sets; truth {truth['total_full_reps']} in "
        f"{len(truth['sets'])})"
    )
"""


def pipeline(hours: float, rate: float, runs: int) -> None:
    # In a child: this process stays small, since a child's peak memory starts from its parent's.
    print(run_child(["-c", _PIPELINE, str(HERE), str(hours), str(rate), str(runs)])[1], end="")


def command(hours: float, rate: float, fmt: str, runs: int) -> None:
    t0 = time.perf_counter()
    code = (
        f"import sys; sys.path.insert(0, {str(HERE)!r}); import _sessions; "
        f"print(_sessions.written({hours}, {rate}, {fmt!r}))"
    )
    path = Path(run_child(["-c", code])[1].strip())  # in a child, for the same reason as the pipeline
    made = time.perf_counter() - t0
    size = sum(p.stat().st_size for p in ([path] if path.is_file() else path.rglob("*")) if p.is_file())
    med = _median([_command(path) for _ in range(runs)])
    other = med["total"] - med["imports"] - med["read"] - med["analyse"]
    work = med["read"] + med["analyse"]
    print(
        f"  {fmt:<20} {med['wall']:6.2f} s wall  (user {med['user']:5.2f} + sys {med['sys']:5.2f} s CPU), "
        f"peak {med['rss_mb']:5.0f} MB | start-up {med['imports']:.2f}  read {med['read']:.2f}  "
        f"analyse {med['analyse']:.2f}  rest {other:.2f}  interpreter start and exit "
        f"{med['wall'] - med['total']:.2f} s | reading {100 * med['read'] / work:.0f}% "
        f"of read+analyse | {size / 1e6:.0f} MB on disk{f' (written in {made:.0f} s)' if made > 1 else ''}"
    )


def main() -> int:
    from sensor.writers import FORMAT_NAMES

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sessions", default="1@100,8@416", help="HOURS@HZ,... (default 1@100,8@416)")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--formats", default="all", help="formats for short sessions: all or a comma list")
    ap.add_argument("--long-formats", default="repcount-csv", help=f"formats for sessions over {LONG_H:g} h")
    ap.add_argument("--quick", action="store_true", help="1 h at 100 Hz in repcount-csv only")
    args = ap.parse_args()
    if args.quick:
        args.sessions, args.formats = "1@100", "repcount-csv"
    fmts = FORMAT_NAMES if args.formats == "all" else args.formats.split(",")
    sessions = [tuple(float(x) for x in s.split("@")) for s in args.sessions.split(",")]

    print(f"{os.cpu_count()} cores; load average {os.getloadavg()[0]:.1f} at start")
    startup(args.runs)
    for hours, rate in sessions:
        pipeline(hours, rate, args.runs)
    for hours, rate in sessions:
        these = fmts if hours <= LONG_H else args.long_formats.split(",")
        print(f"`repcount analyze --json`, {hours:g} h at {rate:g} Hz, median of {args.runs} (peak: max):")
        for fmt in these:
            command(hours, rate, fmt, args.runs)
    print(f"load average {os.getloadavg()[0]:.1f} at end (other work on the machine inflates every figure)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
