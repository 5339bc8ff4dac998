"""The session plot: vertical rotation over time, sets marked, reps shaded by phase."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only; no display needed
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from analysis.results import SessionResult  # noqa: E402

PHASE_COLOURS = {"out": "#4c9be8", "hold": "#f2b134", "return": "#58b368", "pause": "#d0d0d0"}


def plot_session(result: SessionResult, path: str | Path, title: str = "") -> Path:
    """Write a PNG: top, rotation rate about the vertical for the whole session with sets marked;
    below, one panel per set (up to four) with the angle, phases shaded and each rep's range."""
    shown = result.sets[:4]
    fig, axes = plt.subplots(
        1 + len(shown),
        1,
        figsize=(13, 3.2 + 2.8 * len(shown)),
        squeeze=False,
        gridspec_kw={"height_ratios": [1.0] + [1.3] * len(shown)},
    )
    ax0 = axes[0, 0]
    if result.trace_t is not None and result.trace_rate is not None:
        ax0.plot(result.trace_t, np.degrees(result.trace_rate), lw=0.6, color="#333333")
    for s in result.sets:
        ax0.axvspan(s.start_s, s.end_s, color="#4c9be8", alpha=0.15)
        ax0.text(
            s.start_s,
            0.95,
            f" set {s.index}: {len(s.full_reps)} reps",
            transform=ax0.get_xaxis_transform(),
            va="top",
            fontsize=9,
        )
    ax0.set_ylabel("rotation about\nvertical (°/s)")
    ax0.set_xlabel("time (s)")
    ax0.set_title(title or f"{result.exercise}: {result.total_reps} reps in {len(result.sets)} sets")

    for row, s in enumerate(shown, start=1):
        ax = axes[row, 0]
        if s.angle_t is not None and s.angle_deg is not None:
            ax.plot(s.angle_t, s.angle_deg, color="black", lw=1.0)
        count = 0
        for r in s.reps:
            spans = [
                ("out", r.start_s, r.turn_s),
                ("hold", r.turn_s, r.leave_s),
                ("return", r.leave_s, r.end_s),
            ]
            if r.pause_s:
                spans.append(("pause", r.end_s, r.end_s + r.pause_s))
            for phase, a, b in spans:
                ax.axvspan(a, b, color=PHASE_COLOURS[phase], alpha=0.35 if not r.partial else 0.15, lw=0)
            label = "partial" if r.partial else f"#{(count := count + 1)}"
            ax.annotate(
                f"{label}\n{r.rom_deg:.0f}°",
                (0.5 * (r.turn_s + r.leave_s), r.rom_deg),
                ha="center",
                va="bottom",
                fontsize=7,
            )
        ax.set_xlim(s.start_s - 2.0, s.end_s + 2.0)
        ax.set_ylabel("arc (°)")
        flags = f"  [{', '.join(s.flags)}]" if s.flags else ""
        ax.set_title(
            f"Set {s.index}: {len(s.full_reps)} reps, typical range {s.typical_rom_deg:.0f}°{flags}",
            fontsize=10,
            loc="left",
        )
        handles = [plt.Rectangle((0, 0), 1, 1, color=c, alpha=0.5) for c in PHASE_COLOURS.values()]
        # Above the axes, beside the title, so it never hides the last reps' labels.
        ax.legend(
            handles,
            list(PHASE_COLOURS),
            loc="lower right",
            bbox_to_anchor=(1.0, 1.0),
            fontsize=8,
            ncol=4,
            frameon=False,
        )
    axes[-1, 0].set_xlabel("time (s)")
    fig.tight_layout()
    out = Path(path)
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out
