"""The signal pipeline: pure functions from a `Recording` to sets, reps, tempo and range.

process(recording, exercise="pull-apart") -> SessionResult
"""

from __future__ import annotations

from sensor.recording import Recording

from .results import SessionResult


def process(rec: Recording, exercise: str = "pull-apart") -> SessionResult:
    """Run the pipeline for `exercise` ("pull-apart" or "generic") on a recording."""
    if exercise == "generic":
        from .generic import process_generic

        return process_generic(rec)
    from .pullapart import process_session

    return process_session(rec)
