"""The signal pipeline: pure functions from a `Recording` to sets, reps, tempo and range.

process(recording, exercise="pull-apart", workers=1) -> SessionResult
"""

from __future__ import annotations

from sensor.recording import Recording

from .results import SessionResult


def process(rec: Recording, exercise: str = "pull-apart", workers: int = 1) -> SessionResult:
    """Run the pipeline for `exercise` ("pull-apart" or "generic") on a recording. `workers`: processes
    for a long pull-apart recording's set windows (the same result in less time on several cores)."""
    if exercise == "generic":
        from .generic import process_generic

        return process_generic(rec)
    from .pullapart import process_session

    return process_session(rec, workers=workers)
