"""Byte-level codecs for the BLE wrist sensors repcount can read live.

- `repcount_gatt`: our own open protocol for do-it-yourself sensors (firmware-notes/GATT-PROTOCOL.md).
- `polar_pmd`: Polar Measurement Data (Verity Sense, OH1, H10).
- `witmotion`: WitMotion BWT901BLE notification packets.

Only bytes in, numbers out: no BLE stack is imported here, so every codec is testable offline and the
live client chooses its own BLE library. Every decoder raises a `ProtocolError` (a `ValueError`) on
malformed input, so the live client can count and skip a bad packet instead of crashing.
"""

from __future__ import annotations

from sensor.protocols.common import ProtocolError

__all__ = ["ProtocolError"]
