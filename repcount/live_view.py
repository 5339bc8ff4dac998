"""What the person sees while training: a terminal view readable from two metres, or plain lines
for logs, or one JSON object per event for scripts."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from typing import TextIO

from rich.align import Align
from rich.console import Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

# 5-row block digits, so the rep count reads from across the room.
_DIGITS = {
    "0": ["███", "█ █", "█ █", "█ █", "███"],
    "1": [" █ ", "██ ", " █ ", " █ ", "███"],
    "2": ["███", "  █", "███", "█  ", "███"],
    "3": ["███", "  █", "███", "  █", "███"],
    "4": ["█ █", "█ █", "███", "  █", "  █"],
    "5": ["███", "█  ", "███", "  █", "███"],
    "6": ["███", "█  ", "███", "█ █", "███"],
    "7": ["███", "  █", "  █", "  █", "  █"],
    "8": ["███", "█ █", "███", "█ █", "███"],
    "9": ["███", "█ █", "███", "  █", "███"],
    "-": ["   ", "   ", "███", "   ", "   "],
    " ": ["   ", "   ", "   ", "   ", "   "],
}


def big(text: str) -> str:
    """`text` (digits, '-' and spaces) in 5-row block letters."""
    rows = ["" for _ in range(5)]
    for ch in text:
        glyph = _DIGITS.get(ch, _DIGITS[" "])
        for i in range(5):
            rows[i] += glyph[i] + "  "
    return "\n".join(r.rstrip() for r in rows)


@dataclass
class LiveState:
    """Everything the view shows, updated from events."""

    connection: str = "connecting"
    set_index: int = 0
    reps: int = 0
    in_set: bool = False
    last_rep: dict | None = None
    set_roms: list[float] = field(default_factory=list)
    set_tempos: list[dict] = field(default_factory=list)
    rest_started_s: float | None = None
    now_s: float = 0.0
    rate_hz: float = 0.0
    lost_frames: int = 0
    cues: list[str] = field(default_factory=list)
    phase: str = ""
    totals: list[int] = field(default_factory=list)

    def apply(self, ev: dict) -> None:
        kind = ev["type"]
        self.now_s = max(self.now_s, float(ev.get("t_s", ev.get("reported_s", self.now_s)) or 0.0))
        if kind in ("connected", "reconnected"):
            self.connection = "connected"
        elif kind == "link_lost":
            self.connection = "link lost - reconnecting"
        elif kind == "status":
            self.rate_hz = ev.get("rate_hz", self.rate_hz)
            self.lost_frames = ev.get("lost_frames", self.lost_frames)
        elif kind == "set_start":
            self.set_index, self.reps, self.in_set = ev["set"], 0, True
            self.set_roms, self.set_tempos, self.cues, self.rest_started_s = [], [], [], None
        elif kind == "rep":
            self.last_rep = ev
            if not ev["partial"]:
                self.reps = ev["rep"]
                self.set_roms.append(ev["rom_deg"])
                self.set_tempos.append(ev["tempo"])
            self.cues = [c for c in ev["flags"] if c != "gap"] + (["partial rep"] if ev["partial"] else [])
        elif kind == "set_cancelled" and ev["set"] <= len(self.totals):
            # A finished set was no set after all (it did not fit the session's arm): the sets
            # after it move up a number.
            del self.totals[ev["set"] - 1]
            self.set_index -= 1
            if not self.in_set:
                self.reps = self.totals[-1] if self.totals else 0
        elif kind == "set_cancelled":
            # What looked like a set's first reps was not one: back to the rest after the last set.
            self.set_index, self.in_set = ev["set"] - 1, False
            self.reps = self.totals[-1] if self.totals else 0
            self.last_rep, self.cues, self.rest_started_s = None, [], ev.get("rest_since_s")
        elif kind == "set_revised" and ev["set"] <= len(self.totals):
            # The session's arm, once known, says a finished set opened the other way: its count
            # as analysed again with that arm.
            self.totals[ev["set"] - 1] = ev["reps"]
        elif kind == "set_revised" and self.in_set and ev["set"] == self.set_index:
            # The set going on, read opening the other way: the same reps, timed from their other end.
            self.reps = ev["reps"]
        elif kind == "set_end":
            self.in_set = False
            self.reps = ev["reps"]
            self.totals.append(ev["reps"])
            self.rest_started_s = ev["t_s"]


def render(state: LiveState, rest_target_s: float) -> Panel:
    """The full-screen view."""
    title = f"Set {state.set_index}" if state.set_index else "Waiting for the first set"
    count = Text(big(f"{state.reps:>2}"), style="bold green" if state.in_set else "bold")
    lines = [Align.center(Text(title, style="bold")), Align.center(count)]
    if state.in_set and state.phase:
        lines.append(Align.center(Text(state.phase.upper(), style="bold magenta")))
    if state.last_rep is not None:
        r = state.last_rep
        tempo = r["tempo"]
        mean_rom = sum(state.set_roms) / len(state.set_roms) if state.set_roms else r["rom_deg"]
        lines.append(
            Align.center(
                Text(
                    f"last rep  out {tempo['out_s']:.1f}  hold {tempo['hold_s']:.1f}"
                    f"  return {tempo['return_s']:.1f} s"
                    f"   range {r['rom_deg']:.0f}° (set avg {mean_rom:.0f}°)",
                    style="bold",
                )
            )
        )
    if state.cues:
        lines.append(Align.center(Text("  ".join(state.cues).upper(), style="bold yellow")))
    if not state.in_set and state.rest_started_s is not None:
        rest = state.now_s - state.rest_started_s
        style = "bold red" if rest >= rest_target_s else "bold cyan"
        lines.append(Align.center(Text(f"rest {rest:4.0f} s / {rest_target_s:.0f} s", style=style)))
    status = Table.grid(padding=(0, 3))
    status.add_row(
        f"link: {state.connection}",
        f"rate: {state.rate_hz:.0f} Hz",
        f"lost frames: {state.lost_frames}",
        "sets: " + (" + ".join(map(str, state.totals)) or "-"),
    )
    lines.append(Align.center(status))
    return Panel(Group(*lines), title="repcount live", border_style="green" if state.in_set else "white")


def plain_line(ev: dict) -> str | None:
    """One line per event that matters in a log."""
    kind = ev["type"]
    if kind == "rep":
        t = ev["tempo"]
        flags = f" [{', '.join(ev['flags'])}]" if ev["flags"] else ""
        label = "partial" if ev["partial"] else f"rep {ev['rep']:>2}"
        return (
            f"{ev['t_s']:8.1f}s  set {ev['set']} {label}  out {t['out_s']:.1f} hold {t['hold_s']:.1f}"
            f" return {t['return_s']:.1f} s  range {ev['rom_deg']:.0f}°{flags}"
        )
    if kind == "set_start":
        rest = "" if ev.get("rest_before_s") is None else f" after {ev['rest_before_s']:.0f} s rest"
        return f"{ev['t_s']:8.1f}s  set {ev['set']} started{rest}"
    if kind == "set_end":
        return f"{ev['t_s']:8.1f}s  set {ev['set']} done: {ev['reps']} reps"
    if kind == "set_cancelled":
        return f"{ev['t_s']:8.1f}s  set {ev['set']} cancelled: not a set after all"
    if kind == "set_revised":
        return f"{ev['t_s']:8.1f}s  set {ev['set']} read again opening the other way: {ev['reps']} reps"
    if kind in ("connected", "link_lost", "reconnected"):
        return f"{ev.get('t_s', 0.0):8.1f}s  {kind.replace('_', ' ')}" + (
            f" {ev['device']}" if "device" in ev else ""
        )
    if kind == "summary":
        return f"summary: {ev['total_reps']} reps in {len(ev['reps_per_set'])} sets ({ev['text']})"
    return None


def write_jsonl(ev: dict, out: TextIO = sys.stdout) -> None:
    out.write(json.dumps(ev) + "\n")
    out.flush()
