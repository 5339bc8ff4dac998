"""What every protocol codec shares: the error type and the unit constants."""

from __future__ import annotations

import math

from sensor.recording import STANDARD_GRAVITY

DEG_TO_RAD = math.pi / 180.0

__all__ = ["DEG_TO_RAD", "STANDARD_GRAVITY", "ProtocolError"]


class ProtocolError(ValueError):
    """A packet that does not follow its protocol. The message says what was expected and what came.

    A `ValueError` so callers that only know "bad value" still catch it; the live client counts these
    and skips the packet, it never stops the stream for one.
    """
