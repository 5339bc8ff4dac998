"""Benchmark the generic counting mode on the CaRa smartwatch recordings.

    python benchmarks/generic_cara.py [--data DIR] [--by-participant] [--list]

Each file is one set (`<epoch ms>_<participant>_<class>_<reps>.csv`, the true count last). Prints per
class and overall: files, exact %, within +-1 %, mean absolute error, and the total time.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from analysis import process  # noqa: E402
from sensor.recording import Recording, RecordingMeta  # noqa: E402

DEFAULT_DATA = REPO.parent / "shared" / "data" / "cara-wrist-dev"
NAME = re.compile(r"^\d+_(P\d+)_(.+)_(\d+)$")


def spread_timestamps(ms: np.ndarray) -> np.ndarray:
    """Strictly increasing seconds from epoch ms where runs of samples share one millisecond.

    The watch delivers samples in batches stamped alike; each run is spread evenly up to the next
    distinct timestamp (the last run gets the median spacing).
    """
    ms = np.asarray(ms, dtype=np.float64)
    t = ms - ms[0]
    n = len(t)
    if n < 2:
        return t / 1000.0
    new = np.concatenate(([True], np.diff(t) > 0))
    run_start = np.flatnonzero(new)
    run_id = np.cumsum(new) - 1
    run_len = np.diff(np.concatenate((run_start, [n])))
    step = np.diff(t[run_start])
    last_step = float(np.median(step)) if len(step) else 1.0
    span = np.concatenate((step, [last_step * run_len[-1]]))
    pos = np.arange(n) - run_start[run_id]
    return (t + span[run_id] * pos / run_len[run_id]) / 1000.0


def load_cara(path: Path) -> Recording:
    """A headerless CaRa CSV: epoch ms, acc x y z (m/s^2 with gravity), gyro x y z (rad/s)."""
    data = np.loadtxt(path, delimiter=",", ndmin=2)
    data = data[np.argsort(data[:, 0], kind="stable")]
    return Recording(
        spread_timestamps(data[:, 0]), data[:, 1:4], data[:, 4:7], RecordingMeta("cara", str(path))
    )


def _reader():
    try:
        from sensor.readers import read_recording  # the project's reader, once it exists
    except ImportError:
        return load_cara
    return read_recording


def parse_name(path: Path) -> tuple[str, str, int] | None:
    m = NAME.match(path.stem)
    if m is None:
        return None
    return m.group(1), m.group(2), int(m.group(3))


def _row(label: str, err: list[int]) -> str:
    e = np.abs(np.asarray(err))
    return (
        f"{label:<16}{len(e):>6}{100 * np.mean(e == 0):>9.1f}{100 * np.mean(e <= 1):>11.1f}{np.mean(e):>8.2f}"
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA, help="CaRa folder (class subfolders)")
    ap.add_argument("--by-participant", action="store_true", help="also print one row per participant")
    ap.add_argument("--list", action="store_true", help="print every file's truth and count")
    args = ap.parse_args(argv)
    if not args.data.is_dir():
        print(f"CaRa data folder not found: {args.data} (pass --data DIR)", file=sys.stderr)
        return 2
    files = sorted(p for p in args.data.rglob("*.csv") if parse_name(p) is not None)
    if not files:
        print(f"no CaRa files (<ms>_<participant>_<class>_<reps>.csv) under {args.data}", file=sys.stderr)
        return 2

    read = _reader()
    by_class: dict[str, list[int]] = defaultdict(list)
    by_person: dict[str, list[int]] = defaultdict(list)
    t_total = t_proc = 0.0
    t0 = time.perf_counter()
    for path in files:
        person, _, truth = parse_name(path)  # type: ignore[misc]
        klass = path.parent.name if path.parent != args.data else parse_name(path)[1]  # type: ignore[index]
        rec = read(path)
        t1 = time.perf_counter()
        count = process(rec, exercise="generic").total_reps
        t_proc += time.perf_counter() - t1
        by_class[klass].append(count - truth)
        by_person[person].append(count - truth)
        if args.list:
            print(f"{path.name:<45}{truth:>5}{count:>5}{count - truth:>+5}")
    t_total = time.perf_counter() - t0

    header = f"{'class':<16}{'files':>6}{'exact %':>9}{'within1 %':>11}{'MAE':>8}"
    print(header)
    for klass in sorted(by_class):
        print(_row(klass, by_class[klass]))
    print(_row("overall", [e for v in by_class.values() for e in v]))
    if args.by_participant:
        print()
        print(f"{'participant':<16}" + header[16:])
        for person in sorted(by_person, key=lambda p: int(p[1:])):
            print(_row(person, by_person[person]))
    print(f"\n{len(files)} files, total {t_total:.1f} s (analysis {t_proc:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
