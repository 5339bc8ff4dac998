"""Form notes a coach would give, per rep and per set."""

from __future__ import annotations

import numpy as np

from .results import SetResult

RUSHED_OUT_S = 0.45  # a pull-apart opened faster than this is rushed
FATIGUE_DROP = 0.15  # last third's range this much below the first third's


def flag_reps(result: SetResult) -> None:
    for r in result.reps:
        if not r.partial and (r.out_s < RUSHED_OUT_S or r.return_s < RUSHED_OUT_S):
            r.flags.append("rushed")


def flag_set(result: SetResult) -> None:
    full = [r.rom_deg for r in result.full_reps]
    if len(full) >= 6:
        third = len(full) // 3
        first, last = np.mean(full[:third]), np.mean(full[-third:])
        if last < (1.0 - FATIGUE_DROP) * first:
            result.flags.append("range-dropping")
