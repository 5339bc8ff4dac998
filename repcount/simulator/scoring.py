"""Score a pipeline result against a simulator truth file: sets, reps, tempo, range, flags."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from analysis.results import SessionResult

PHASES = ("out_s", "hold_s", "return_s", "pause_s")
MATCH_TOLERANCE_S = 1.0  # a detected rep matches a true one if their turning points are this close


@dataclass
class Score:
    sets_true: int = 0
    sets_exact: int = 0
    sets_spurious: int = 0
    reps_true: int = 0
    reps_found: int = 0
    reps_matched: int = 0
    tempo_err: dict[str, list[float]] = field(default_factory=lambda: {p: [] for p in PHASES})
    rom_err: list[float] = field(default_factory=list)
    partial_true: int = 0
    partial_found: int = 0
    rowing_true: int = 0
    rowing_found: int = 0
    failures: list[str] = field(default_factory=list)

    def add(self, other: Score) -> None:
        for name in (
            "sets_true",
            "sets_exact",
            "sets_spurious",
            "reps_true",
            "reps_found",
            "reps_matched",
            "partial_true",
            "partial_found",
            "rowing_true",
            "rowing_found",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for p in PHASES:
            self.tempo_err[p] += other.tempo_err[p]
        self.rom_err += other.rom_err
        self.failures += other.failures


def _mid(rep: dict) -> float:
    return 0.5 * (rep["turn_s"] + rep["leave_s"])


def score_session(result: SessionResult, truth: dict, label: str = "") -> Score:
    sc = Score()
    found_sets = list(result.sets)
    used: set[int] = set()
    for ts in truth["sets"]:
        sc.sets_true += 1
        true_full = [r for r in ts["reps"] if not r["partial"]]
        # The detected set overlapping this one most.
        best, best_overlap = None, 0.0
        for i, fs in enumerate(found_sets):
            overlap = min(fs.end_s, ts["end_s"]) - max(fs.start_s, ts["start_s"])
            if overlap > best_overlap:
                best, best_overlap = i, overlap
        if best is None:
            sc.failures.append(f"{label} set {ts['index']}: not found ({len(true_full)} reps)")
            sc.reps_true += len(true_full)
            sc.partial_true += sum(r["partial"] for r in ts["reps"])
            sc.rowing_true += sum("rowing" in r["flags"] for r in ts["reps"])
            continue
        used.add(best)
        fs = found_sets[best]
        if len(fs.full_reps) == len(true_full):
            sc.sets_exact += 1
        else:
            sc.failures.append(
                f"{label} set {ts['index']}: {len(fs.full_reps)} reps found, {len(true_full)} true"
            )
        _score_reps(sc, fs.reps, ts["reps"])
    sc.sets_spurious = len(found_sets) - len(used)
    for i, fs in enumerate(found_sets):
        if i not in used:
            sc.reps_found += len(fs.full_reps)
            sc.failures.append(
                f"{label} spurious set at {fs.start_s:.1f}-{fs.end_s:.1f} s ({len(fs.full_reps)} reps)"
            )
    return sc


def _score_reps(sc: Score, found: list, true: list[dict]) -> None:
    sc.reps_true += sum(not r["partial"] for r in true)
    sc.reps_found += sum(not r.partial for r in found)
    sc.partial_true += sum(r["partial"] for r in true)
    sc.rowing_true += sum("rowing" in r["flags"] for r in true)
    match: dict[int, int] = {}  # true rep index -> found rep index
    for i, tr in enumerate(true):
        mid = _mid(tr)
        cands = [
            (abs(0.5 * (f.turn_s + f.leave_s) - mid), j)
            for j, f in enumerate(found)
            if j not in match.values()
        ]
        if cands and min(cands)[0] <= MATCH_TOLERANCE_S:
            match[i] = min(cands)[1]
    for i, j in match.items():
        tr, f = true[i], found[j]
        if tr["partial"]:
            sc.partial_found += f.partial
        if "rowing" in tr["flags"] and "rowing" in f.flags:
            sc.rowing_found += 1
        if tr["partial"] or f.partial:
            continue
        sc.reps_matched += 1
        est = {"out_s": f.out_s, "hold_s": f.hold_s, "return_s": f.return_s}
        # A pause is compared only where both sides agree on which rep comes next; otherwise the
        # miss is already counted as a missed or extra rep.
        if match.get(i + 1) == j + 1:
            est["pause_s"] = f.pause_s
        for p, value in est.items():
            tv = tr["tempo"].get(p)
            if tv is not None and value is not None:
                sc.tempo_err[p].append(value - tv)
        sc.rom_err.append(f.rom_deg - tr["rom_deg"])


def summary_lines(sc: Score) -> list[str]:
    def pct(a: int, b: int) -> str:
        return f"{100.0 * a / b:.1f}%" if b else "n/a"

    prec = sc.reps_matched / sc.reps_found if sc.reps_found else 0.0
    rec = sc.reps_matched / sc.reps_true if sc.reps_true else 0.0
    lines = [
        f"sets counted exactly: {sc.sets_exact}/{sc.sets_true} = {pct(sc.sets_exact, sc.sets_true)}"
        f"  (spurious sets: {sc.sets_spurious})",
        f"full reps: precision {100 * prec:.1f}%  recall {100 * rec:.1f}%  "
        f"({sc.reps_matched} matched, {sc.reps_found} found, {sc.reps_true} true)",
    ]
    for p in PHASES:
        e = np.abs(sc.tempo_err[p])
        b = np.mean(sc.tempo_err[p]) if len(e) else float("nan")
        lines.append(
            f"tempo {p[:-2]:>6}: MAE {e.mean() if len(e) else float('nan'):.3f} s  bias {b:+.3f} s"
            f"  p95 {np.percentile(e, 95) if len(e) else float('nan'):.3f} s"
        )
    r = np.array(sc.rom_err)
    if len(r):
        lines.append(
            f"range: MAE {np.abs(r).mean():.2f} deg  bias {r.mean():+.2f} deg"
            f"  p95 {np.percentile(np.abs(r), 95):.2f} deg"
        )
    lines.append(
        f"partial recall: {pct(sc.partial_found, sc.partial_true)} ({sc.partial_found}/{sc.partial_true})"
    )
    lines.append(
        f"rowing recall: {pct(sc.rowing_found, sc.rowing_true)} ({sc.rowing_found}/{sc.rowing_true})"
    )
    return lines
