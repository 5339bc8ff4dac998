"""A reference rep counter beside ours: speed and counting accuracy on the same simulated suite.

    python benchmarks/baseline.py [--n 200] [--seed 0] [--cutoff 0.4] [--jobs 2]

The baseline is the usual open-source wrist rep counter's method: the magnitude of the acceleration,
low-passed with a Butterworth filter at about 0.4 Hz (2nd order, forwards and backwards), and one
rep per local maximum. Every maximum, as the method says, leaves ripples counted as reps, so the
figures are given for that and with a minimum prominence of 0.05 m/s^2 (--prominence: the best of
0-0.5 m/s^2 on this suite, chosen in the baseline's favour). It has no notion of sets, so it is
scored two ways:
- session: every maximum in the whole recording against the session's true full reps (what a user
  of it would see: walking, shaking and fidgeting between sets count too);
- sets given: maxima inside each true set's time span against that set's full reps (the baseline
  handed a perfect segmentation, its best case).
Our pipeline is scored on the same sessions: its session total (`total_reps`), and per true set the
detected set overlapping it most (as benchmarks/accuracy.py does). Each is reported as exact,
within +-1 and mean absolute error in reps, with the time both take (simulation excluded).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from analysis import process  # noqa: E402
from repcount.simulator import simulate_session, suite_configs  # noqa: E402

CUTOFF_HZ = 0.4
ORDER = 2
PROMINENCE = 0.05  # m/s^2


def count_baseline(
    t: np.ndarray, acc: np.ndarray, cutoff_hz: float = CUTOFF_HZ, prominence: float | None = None
) -> np.ndarray:
    """Times (s) of the reps the baseline counts: maxima of the low-passed acceleration magnitude."""
    from scipy.signal import butter, find_peaks, sosfiltfilt

    fs = (len(t) - 1) / (t[-1] - t[0])  # the method assumes a steady rate
    mag = np.sqrt(np.einsum("ij,ij->i", acc, acc))
    sos = butter(ORDER, cutoff_hz, btype="low", fs=fs, output="sos")
    smooth = sosfiltfilt(sos, mag)
    peaks, _ = find_peaks(smooth, prominence=prominence or None)
    return t[peaks]


def _one(args: tuple) -> dict:
    config, cutoff, prominence = args
    rec, truth = simulate_session(config)
    t0 = time.perf_counter()
    peaks = count_baseline(rec.t, rec.acc, cutoff, prominence)
    base_s = time.perf_counter() - t0
    raw = count_baseline(rec.t, rec.acc, cutoff)
    t0 = time.perf_counter()
    result = process(rec)
    ours_s = time.perf_counter() - t0
    sets_true = [sum(not r["partial"] for r in s["reps"]) for s in truth["sets"]]
    sets_base, sets_raw, sets_ours = [], [], []
    for s in truth["sets"]:
        sets_base.append(int(np.count_nonzero((peaks >= s["start_s"]) & (peaks <= s["end_s"]))))
        sets_raw.append(int(np.count_nonzero((raw >= s["start_s"]) & (raw <= s["end_s"]))))
        best, best_overlap = 0, 0.0
        for fs in result.sets:
            overlap = min(fs.end_s, s["end_s"]) - max(fs.start_s, s["start_s"])
            if overlap > best_overlap:
                best, best_overlap = len(fs.full_reps), overlap
        sets_ours.append(best)
    return {
        "samples": len(rec),
        "true": truth["total_full_reps"],
        "base": len(peaks),
        "raw": len(raw),
        "sets_raw": sets_raw,
        "ours": result.total_reps,
        "sets_true": sets_true,
        "sets_base": sets_base,
        "sets_ours": sets_ours,
        "base_s": base_s,
        "ours_s": ours_s,
    }


def _line(name: str, found: list[int], true: list[int]) -> str:
    err = np.abs(np.array(found) - np.array(true))
    n = len(err)
    return (
        f"  {name:<28} exact {np.mean(err == 0):6.1%}  within +-1 {np.mean(err <= 1):6.1%}  "
        f"MAE {err.mean():5.2f} reps  (n={n})"
    )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--cutoff", type=float, default=CUTOFF_HZ, help="baseline low-pass cut-off, Hz")
    ap.add_argument("--prominence", type=float, default=PROMINENCE, help="baseline minimum prominence, m/s^2")
    ap.add_argument("--jobs", type=int, default=2)
    args = ap.parse_args()

    configs = suite_configs(args.n, args.seed)
    t0 = time.perf_counter()
    with ProcessPoolExecutor(args.jobs) as pool:
        rows = list(pool.map(_one, [(c, args.cutoff, args.prominence) for c in configs], chunksize=4))
    elapsed = time.perf_counter() - t0
    print(
        f"baseline (order-{ORDER} Butterworth low-pass at {args.cutoff:g} Hz on |acc|, a rep per maximum) "
        f"vs our pipeline, {len(rows)} simulated sessions (seed {args.seed}), {elapsed:.0f} s"
    )
    print("counting, per session (total full reps):")
    true = [r["true"] for r in rows]
    print(_line("baseline, every maximum", [r["raw"] for r in rows], true))
    print(_line(f"baseline, prominence {args.prominence:g}", [r["base"] for r in rows], true))
    print(_line("ours", [r["ours"] for r in rows], true))
    print("counting, per true set (the baseline handed the true set spans):")
    st = [x for r in rows for x in r["sets_true"]]
    print(_line("baseline, every maximum", [x for r in rows for x in r["sets_raw"]], st))
    print(_line(f"baseline, prominence {args.prominence:g}", [x for r in rows for x in r["sets_base"]], st))
    print(_line("ours (set found there)", [x for r in rows for x in r["sets_ours"]], st))
    bias = np.mean([r["base"] - r["true"] for r in rows])
    print(f"  baseline (prominence) miscounts a whole session by {bias:+.1f} reps on average")
    samples = sum(r["samples"] for r in rows)
    base_s, ours_s = sum(r["base_s"] for r in rows), sum(r["ours_s"] for r in rows)
    print(
        f"speed (in memory, {len(rows)} sessions, {samples / 1e6:.1f} M samples, one core each): baseline "
        f"{samples / base_s / 1e6:.1f} M samples/s, ours {samples / ours_s / 1e6:.2f} M samples/s "
        f"(median per session {statistics.median(r['base_s'] for r in rows) * 1000:.1f} ms vs "
        f"{statistics.median(r['ours_s'] for r in rows) * 1000:.0f} ms)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
