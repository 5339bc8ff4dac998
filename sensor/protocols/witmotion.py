"""WitMotion BWT901BLE (Bluetooth 5.0 protocol) notification packets.

Each default packet is 20 bytes: 0x55, flag 0x61, then nine little-endian int16: acceleration x, y, z
(value / 32768 * 16 g), angular velocity x, y, z (value / 32768 * 2000 deg/s) and angle roll, pitch, yaw
(value / 32768 * 180 deg). Register replies use flag 0x71 and are skipped. Layout and scales are from
WitMotion's public "Bluetooth 5.0 communication protocol" page; the service and characteristic UUIDs are
the ones published WitMotion BLE clients use (notify 0xFFE4, write 0xFFE9 in service 0xFFE5).

The packets carry no timestamp: `TimelineRebuilder` places samples at the nominal output rate and keeps
that timeline near the notifications' arrival times.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

import numpy as np

from sensor.protocols.common import DEG_TO_RAD, STANDARD_GRAVITY, ProtocolError

WIT_SERVICE_UUID = "0000ffe5-0000-1000-8000-00805f9a34fb"
WIT_NOTIFY_UUID = "0000ffe4-0000-1000-8000-00805f9a34fb"
WIT_WRITE_UUID = "0000ffe9-0000-1000-8000-00805f9a34fb"

HEADER = 0x55
FLAG_IMU = 0x61
FLAG_REGISTER = 0x71
PACKET_SIZE = 20
_BODY = struct.Struct("<9h")

ACC_RANGE_G = 16.0
GYRO_RANGE_DPS = 2000.0
ANGLE_RANGE_DEG = 180.0


class WitMotionError(ProtocolError):
    """Bytes that are not a WitMotion 0x55 0x61 packet."""


@dataclass(frozen=True)
class WitSample:
    counts: tuple[int, ...]  # the nine raw int16 values
    acc_g: np.ndarray  # (3,)
    gyro_dps: np.ndarray  # (3,)
    angle_deg: np.ndarray  # (3,) roll, pitch, yaw

    @property
    def acc_mps2(self) -> np.ndarray:
        return self.acc_g * STANDARD_GRAVITY

    @property
    def gyro_rads(self) -> np.ndarray:
        return self.gyro_dps * DEG_TO_RAD


def decode_packet(data: bytes) -> WitSample:
    """Decode exactly one 20-byte 0x55 0x61 packet."""
    data = bytes(data)
    if len(data) != PACKET_SIZE:
        raise WitMotionError(f"packet is {len(data)} bytes; expected {PACKET_SIZE}")
    if data[0] != HEADER or data[1] != FLAG_IMU:
        raise WitMotionError(f"packet starts {data[:2].hex(' ')}; expected 55 61")
    counts = _BODY.unpack_from(data, 2)
    v = np.asarray(counts, dtype=np.float64) / 32768.0
    return WitSample(
        counts=counts,
        acc_g=v[0:3] * ACC_RANGE_G,
        gyro_dps=v[3:6] * GYRO_RANGE_DPS,
        angle_deg=v[6:9] * ANGLE_RANGE_DEG,
    )


def decode_notification(data: bytes) -> tuple[list[WitSample], int]:
    """All IMU packets in one notification (some firmware sends several back to back) and the number of
    20-byte packets skipped (register replies, unknown flags). Bytes that do not make a whole packet raise."""
    data = bytes(data)
    if not data or len(data) % PACKET_SIZE:
        raise WitMotionError(f"notification is {len(data)} bytes; expected a multiple of {PACKET_SIZE}")
    samples: list[WitSample] = []
    skipped = 0
    for i in range(0, len(data), PACKET_SIZE):
        chunk = data[i : i + PACKET_SIZE]
        if chunk[0] != HEADER:
            raise WitMotionError(f"packet at byte {i} starts 0x{chunk[0]:02x}; expected 0x55")
        if chunk[1] == FLAG_IMU:
            samples.append(decode_packet(chunk))
        else:
            skipped += 1
    return samples, skipped


class TimelineRebuilder:
    """Sample times for a stream without timestamps, from the nominal rate and arrival times.

    Samples step at the nominal period; after each notification the timeline moves `gain` of the way
    toward its arrival time, so a sensor clock that runs a bit fast or slow cannot drift without bound,
    while the BLE connection-event jitter in arrival times mostly averages out. When arrivals run more
    than `max_lag_s` ahead of the timeline (samples were lost, or the link stalled) the timeline jumps to
    the arrival time and the batch is flagged as starting after a gap. Times are strictly increasing.
    """

    def __init__(self, nominal_rate_hz: float, max_lag_s: float = 0.25, gain: float = 0.05) -> None:
        if nominal_rate_hz <= 0:
            raise ValueError("nominal rate must be > 0")
        self.period = 1.0 / nominal_rate_hz
        self.max_lag_s = max_lag_s
        self.gain = gain
        self._last: float | None = None

    def push(self, arrival_s: float, n: int = 1) -> tuple[np.ndarray, bool]:
        """Times for the `n` samples of a notification that arrived at `arrival_s`, and whether they
        follow a gap."""
        if n <= 0:
            raise ValueError("a notification carries at least one sample")
        back = (n - 1 - np.arange(n)) * self.period
        if self._last is None:
            times, gap = arrival_s - back, False
        else:
            expected = self._last + self.period * np.arange(1, n + 1)
            lag = arrival_s - expected[-1]
            if lag > self.max_lag_s:
                times, gap = arrival_s - back, True
                times = np.maximum(times, self._last + self.period * np.arange(1, n + 1) * 1e-3)
            else:
                times, gap = expected + self.gain * lag, False
                # A negative correction must not fold the timeline back onto earlier samples.
                floor = self._last + self.period * 0.5 * np.arange(1, n + 1)
                times = np.maximum(times, floor)
        self._last = float(times[-1])
        return times, gap
