"""Turn a `SessionResult` into the JSON report and the terminal table."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from analysis.reps import Rep
from analysis.results import SessionResult, SetResult

if TYPE_CHECKING:
    from rich.console import Console


def _r(x: float | None, nd: int = 3) -> float | None:
    if x is None or not math.isfinite(x):
        return None
    return round(float(x), nd)


def rep_dict(i: int, r: Rep) -> dict[str, Any]:
    return {
        "index": i,
        "start_s": _r(r.start_s),
        "turn_s": _r(r.turn_s),
        "leave_s": _r(r.leave_s),
        "end_s": _r(r.end_s),
        "rom_deg": _r(max(0.0, r.rom_deg), 1),
        "peak_speed_dps": _r(r.peak_speed_dps, 1),
        "tempo": {
            "out_s": _r(max(0.0, r.out_s)),
            "hold_s": _r(max(0.0, r.hold_s)),
            "return_s": _r(max(0.0, r.return_s)),
            "pause_s": _r(r.pause_s),
        },
        "partial": bool(r.partial),
        "flags": list(r.flags),
    }


def set_dict(s: SetResult) -> dict[str, Any]:
    return {
        "index": s.index,
        "start_s": _r(s.start_s),
        "end_s": _r(s.end_s),
        "rest_before_s": _r(s.rest_before_s, 1),
        "full_reps": len(s.full_reps),
        "partial_reps": len(s.reps) - len(s.full_reps),
        "side": s.side,
        "typical_rom_deg": _r(s.typical_rom_deg, 1),
        "flags": list(s.flags),
        "reps": [rep_dict(i + 1, r) for i, r in enumerate(s.reps)],
    }


def summary(result: SessionResult) -> dict[str, Any]:
    full = [r for s in result.sets for r in s.full_reps]
    rests = [s.rest_before_s for s in result.sets[1:] if s.rest_before_s is not None]
    out: dict[str, Any] = {
        "reps_per_set": [len(s.full_reps) for s in result.sets],
        "rest_s": [_r(x, 1) for x in rests],
    }
    if full:
        tempo = {
            "out_s": float(np.mean([r.out_s for r in full])),
            "hold_s": float(np.mean([r.hold_s for r in full])),
            "return_s": float(np.mean([r.return_s for r in full])),
            "pause_s": float(np.mean([r.pause_s for r in full if r.pause_s is not None] or [0.0])),
        }
        roms = [r.rom_deg for r in full]
        out["mean_tempo"] = {k: _r(v, 2) for k, v in tempo.items()}
        out["mean_tempo_text"] = tempo_text(tempo)
        out["rom_mean_deg"] = _r(float(np.mean(roms)), 1)
        out["rom_sd_deg"] = _r(float(np.std(roms)), 1)
    return out


def tempo_text(tempo: dict[str, float]) -> str:
    keys = ("out_s", "hold_s", "return_s", "pause_s")
    return "-".join(f"{tempo[k]:.1f}" for k in keys) + " s"


def report_dict(result: SessionResult, path: str, fmt: str) -> dict[str, Any]:
    return {
        "source": {"path": path, "format": fmt},
        "exercise": result.exercise,
        "duration_s": _r(max(0.0, result.duration_s), 2),
        "sample_rate_hz": _r(result.sample_rate_hz, 2),
        "total_reps": result.total_reps,
        "sets": [set_dict(s) for s in result.sets],
        "summary": summary(result),
        "notes": list(result.notes),
    }


def _fmt(x: float | None) -> str:
    return "-" if x is None else f"{x:.1f}"


def print_table(result: SessionResult, path: str, fmt: str, console: Console | None = None) -> None:
    # rich is imported here, not at the top: `analyze --json` never draws a table and starts faster.
    from rich.console import Console
    from rich.table import Table

    console = console or Console()
    console.print(
        f"[bold]{path}[/bold]  ({fmt}, {result.duration_s:.0f} s at {result.sample_rate_hz:.0f} Hz)"
    )
    if not result.sets:
        console.print(f"No {result.exercise} sets found.")
    for s in result.sets:
        rest = "" if s.rest_before_s is None else f", rest before {s.rest_before_s:.0f} s"
        title = (
            f"Set {s.index}: {len(s.full_reps)} reps"
            f"{f' (+{len(s.reps) - len(s.full_reps)} partial)' if len(s.reps) > len(s.full_reps) else ''}"
            f", {s.start_s:.1f}-{s.end_s:.1f} s{rest}"
            + (f", {s.side} arm" if s.side else "")
            + (f"  [{', '.join(s.flags)}]" if s.flags else "")
        )
        table = Table(title=title, title_justify="left")
        for col in ("rep", "start s", "out s", "hold s", "return s", "pause s", "range °", "flags"):
            table.add_column(col, justify="right" if col != "flags" else "left")
        count = 0
        for r in s.reps:
            label = "partial" if r.partial else str(count := count + 1)
            table.add_row(
                label,
                f"{r.start_s:.1f}",
                _fmt(r.out_s),
                _fmt(r.hold_s),
                _fmt(r.return_s),
                _fmt(r.pause_s),
                f"{r.rom_deg:.0f}",
                ", ".join(r.flags),
            )
        console.print(table)
    s = summary(result)
    console.print(
        f"[bold]Total: {result.total_reps} reps[/bold] in {len(result.sets)} sets "
        f"({' + '.join(str(n) for n in s['reps_per_set']) or '0'})"
    )
    if s["rest_s"]:
        console.print("Rest between sets: " + ", ".join(f"{x:.0f} s" for x in s["rest_s"]))
    if "mean_tempo_text" in s:
        console.print(f"Mean tempo (out-hold-return-pause): {s['mean_tempo_text']}")
        console.print(f"Range: {s['rom_mean_deg']:.0f}° ± {s['rom_sd_deg']:.0f}°")
    for note in result.notes:
        console.print(f"Note: {note}")
