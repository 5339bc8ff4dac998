"""The repcount open GATT protocol for do-it-yourself wrist sensors, version 1.

The specification is firmware-notes/GATT-PROTOCOL.md; this module is its reference codec. In short:

- Config characteristic (read): protocol version, sample rate, ranges, IMU model, firmware version.
- Data characteristic (notify): frames of `u8 version, u16 seq, u32 t0_us, u8 n` + n x 6 int16
  (ax, ay, az, gx, gy, gz), all little-endian.
- Control characteristic (write, optional): start, stop, set rate.

Decoders raise `FrameError` / `ConfigError` / `ControlError` (all `ProtocolError`, so `ValueError`) with
what was expected; the live client counts and skips such packets.
"""

from __future__ import annotations

import struct
from collections import deque
from dataclasses import dataclass, field
from enum import IntEnum
from functools import lru_cache

import numpy as np

from sensor.protocols.common import DEG_TO_RAD, STANDARD_GRAVITY, ProtocolError

# Random (uuid4) 128-bit UUIDs, generated once and pinned: changing one breaks every sensor in the field.
SERVICE_UUID = "6f348430-b50b-414b-a52e-79b9d799af5b"
CONFIG_CHAR_UUID = "df394fef-64cb-4aca-8bfd-73876ec40313"
DATA_CHAR_UUID = "0cd9c3db-da2e-41bf-88a1-456a6bd8d030"
CONTROL_CHAR_UUID = "0246861e-531d-4fcd-8d7c-48c7e6c55252"

PROTOCOL_VERSION = 1
FRAME_VERSION = 1

FRAME_HEADER = struct.Struct("<BHIB")  # version, seq, t0_us, n
FRAME_HEADER_SIZE = FRAME_HEADER.size  # 8
SAMPLE_SIZE = 12  # 6 x int16
CONFIG_FIXED = struct.Struct("<BIHHBBBBB")  # version, rate_chz, acc_g, gyro_dps, model, fw x3, name_len
CONFIG_FIXED_SIZE = CONFIG_FIXED.size  # 14
MAX_IMU_NAME_BYTES = 16

ATT_NOTIFY_OVERHEAD = 3  # opcode + attribute handle in every notification
MIN_ATT_MTU = 23  # the Bluetooth Core default, always allowed
MAX_ATT_MTU = 517  # an attribute value is at most 512 bytes

SEQ_MODULUS = 1 << 16
T0_MODULUS = 1 << 32  # microseconds: wraps every 4294.967296 s, about 71.6 min

# ATT "application error" codes (0x80-0x9F are reserved for the application) the control point answers.
CONTROL_ERR_UNKNOWN_OP = 0x80
CONTROL_ERR_BAD_PARAMETER = 0x81
CONTROL_ERR_BUSY = 0x82


class ConfigError(ProtocolError):
    """The config characteristic value is not a version-1 config."""


class FrameError(ProtocolError):
    """A data notification is not a well-formed frame."""


class ControlError(ProtocolError):
    """A control characteristic write is not a known command."""


class ImuModel(IntEnum):
    UNKNOWN = 0
    MPU6886 = 1  # M5StickC Plus
    LSM6DS3 = 2  # Seeed XIAO nRF52840 Sense (older boards)
    LSM6DS3TR_C = 3  # Seeed XIAO nRF52840 Sense (newer boards)
    SIMULATED = 0x7F  # the simulated peripheral used in tests and demos


@dataclass(frozen=True)
class SensorConfig:
    """Decoded config characteristic. Ranges are the values that make `range / 32768` one LSB."""

    sample_rate_chz: int  # centi-hertz, so 104 Hz and 12.5 Hz are exact integers
    acc_range_g: int
    gyro_range_dps: int
    imu_model: int = ImuModel.UNKNOWN
    imu_name: str = ""
    firmware_version: tuple[int, int, int] = (0, 0, 0)
    protocol_version: int = PROTOCOL_VERSION

    @property
    def sample_rate_hz(self) -> float:
        return self.sample_rate_chz / 100.0

    @property
    def sample_period_s(self) -> float:
        return 100.0 / self.sample_rate_chz

    @property
    def sample_period_us(self) -> float:
        return 1e8 / self.sample_rate_chz

    @property
    def acc_lsb_mps2(self) -> float:
        return self.acc_range_g * STANDARD_GRAVITY / 32768.0

    @property
    def gyro_lsb_rads(self) -> float:
        return self.gyro_range_dps * DEG_TO_RAD / 32768.0


@dataclass
class Frame:
    """One decoded data notification."""

    version: int
    seq: int
    t0_us: int  # sensor clock at the first sample, as sent (wraps at 2**32)
    counts: np.ndarray  # (n, 6) int16: ax, ay, az, gx, gy, gz
    acc: np.ndarray  # (n, 3) m/s^2 including gravity
    gyro: np.ndarray  # (n, 3) rad/s
    period_s: float

    @property
    def n(self) -> int:
        return len(self.counts)

    def sample_times_us(self, t0_us: int | None = None) -> np.ndarray:
        """Sensor time of every sample; pass the unwrapped t0 from `SequenceTracker` to get a clock
        that does not wrap."""
        start = self.t0_us if t0_us is None else t0_us
        return start + np.arange(self.n) * (self.period_s * 1e6)


def decode_config(data: bytes) -> SensorConfig:
    """Parse the config characteristic value (GATT-PROTOCOL.md, "Config characteristic")."""
    data = bytes(data)
    if len(data) < CONFIG_FIXED_SIZE:
        raise ConfigError(f"config is {len(data)} bytes; expected at least {CONFIG_FIXED_SIZE}")
    fields = CONFIG_FIXED.unpack_from(data)
    version, rate_chz, acc_g, gyro_dps, model, fw_major, fw_minor, fw_patch, name_len = fields
    if version != PROTOCOL_VERSION:
        raise ConfigError(f"config protocol version {version}; this client reads version {PROTOCOL_VERSION}")
    if name_len > MAX_IMU_NAME_BYTES:
        raise ConfigError(f"IMU name length {name_len}; expected at most {MAX_IMU_NAME_BYTES}")
    if len(data) != CONFIG_FIXED_SIZE + name_len:
        raise ConfigError(
            f"config is {len(data)} bytes but its name length {name_len} needs {CONFIG_FIXED_SIZE + name_len}"
        )
    if rate_chz == 0 or acc_g == 0 or gyro_dps == 0:
        raise ConfigError(
            f"sample rate {rate_chz} cHz, acc range {acc_g} g, gyro range {gyro_dps} dps; all must be > 0"
        )
    try:
        name = data[CONFIG_FIXED_SIZE:].decode("ascii")
    except UnicodeDecodeError as e:
        raise ConfigError(f"IMU name is not ASCII: {data[CONFIG_FIXED_SIZE:]!r}") from e
    return SensorConfig(
        sample_rate_chz=rate_chz,
        acc_range_g=acc_g,
        gyro_range_dps=gyro_dps,
        imu_model=model,
        imu_name=name,
        firmware_version=(fw_major, fw_minor, fw_patch),
        protocol_version=version,
    )


def encode_config(config: SensorConfig) -> bytes:
    """The config characteristic value, as the firmware (or the simulated peripheral) serves it."""
    name = config.imu_name.encode("ascii")
    if len(name) > MAX_IMU_NAME_BYTES:
        raise ValueError(f"IMU name {config.imu_name!r} is {len(name)} bytes; at most {MAX_IMU_NAME_BYTES}")
    if not (0 < config.sample_rate_chz < 1 << 32):
        raise ValueError(f"sample rate {config.sample_rate_chz} cHz does not fit u32 or is 0")
    if not (0 < config.acc_range_g < 1 << 16 and 0 < config.gyro_range_dps < 1 << 16):
        raise ValueError("acc and gyro ranges must be 1..65535")
    fixed = CONFIG_FIXED.pack(
        config.protocol_version,
        config.sample_rate_chz,
        config.acc_range_g,
        config.gyro_range_dps,
        int(config.imu_model),
        *config.firmware_version,
        len(name),
    )
    return fixed + name


def decode_frame(data: bytes, config: SensorConfig) -> Frame:
    """Parse one data notification (GATT-PROTOCOL.md, "Data characteristic")."""
    data = bytes(data)
    if len(data) < FRAME_HEADER_SIZE:
        raise FrameError(f"frame is {len(data)} bytes; expected at least the {FRAME_HEADER_SIZE}-byte header")
    version, seq, t0_us, n = FRAME_HEADER.unpack_from(data)
    if version != FRAME_VERSION:
        raise FrameError(f"frame version {version}; expected {FRAME_VERSION}")
    if n == 0:
        raise FrameError("frame sample count is 0; expected at least 1")
    need = FRAME_HEADER_SIZE + SAMPLE_SIZE * n
    if len(data) != need:
        raise FrameError(f"frame is {len(data)} bytes but its sample count {n} needs {need}")
    counts = np.frombuffer(data, dtype="<i2", count=6 * n, offset=FRAME_HEADER_SIZE).reshape(n, 6)
    counts = counts.astype(np.int16)  # native byte order, writable copy
    values = counts * _scales(config.acc_lsb_mps2, config.gyro_lsb_rads)  # one multiply for both
    return Frame(
        version=version,
        seq=seq,
        t0_us=t0_us,
        counts=counts,
        acc=values[:, :3],
        gyro=values[:, 3:],
        period_s=config.sample_period_s,
    )


@lru_cache(maxsize=16)
def _scales(acc_lsb: float, gyro_lsb: float) -> np.ndarray:
    """Count to SI factor of each of a sample's six values."""
    return np.array([acc_lsb] * 3 + [gyro_lsb] * 3)


def encode_frame(seq: int, t0_us: int, counts: np.ndarray, version: int = FRAME_VERSION) -> bytes:
    """One data notification. `seq` and `t0_us` are taken modulo their field size, as the firmware does."""
    arr = np.asarray(counts)
    if arr.ndim != 2 or arr.shape[1] != 6:
        raise ValueError(f"counts must have shape (n, 6); got {arr.shape}")
    n = arr.shape[0]
    if not 1 <= n <= 255:
        raise ValueError(f"a frame carries 1..255 samples; got {n}")
    if arr.size and (arr.min() < -32768 or arr.max() > 32767):
        raise ValueError("counts must fit int16; quantize() clips them")
    header = FRAME_HEADER.pack(version, seq % SEQ_MODULUS, t0_us % T0_MODULUS, n)
    return header + arr.astype("<i2").tobytes()


def quantize(acc_mps2: np.ndarray, gyro_rads: np.ndarray, config: SensorConfig) -> np.ndarray:
    """SI samples to the int16 counts a frame carries, clipped at full scale like a real IMU saturates."""
    acc = np.asarray(acc_mps2, dtype=np.float64).reshape(-1, 3) / config.acc_lsb_mps2
    gyro = np.asarray(gyro_rads, dtype=np.float64).reshape(-1, 3) / config.gyro_lsb_rads
    counts = np.rint(np.hstack([acc, gyro]))
    return np.clip(counts, -32768, 32767).astype(np.int16)


def samples_per_frame(mtu: int) -> int:
    """Most samples one notification can carry at this negotiated ATT MTU: 8 + 12 n <= MTU - 3."""
    if mtu < MIN_ATT_MTU:
        raise ValueError(f"ATT MTU {mtu} is below the minimum {MIN_ATT_MTU}")
    payload = min(mtu, MAX_ATT_MTU) - ATT_NOTIFY_OVERHEAD
    return min((payload - FRAME_HEADER_SIZE) // SAMPLE_SIZE, 255)


class ControlOp(IntEnum):
    START = 0x01
    STOP = 0x02
    SET_RATE = 0x03  # u32 centi-hertz follows


@dataclass(frozen=True)
class ControlCommand:
    op: ControlOp
    rate_chz: int | None = None


def encode_control(op: ControlOp, rate_hz: float | None = None) -> bytes:
    """A control characteristic write (GATT-PROTOCOL.md, "Control characteristic")."""
    if op == ControlOp.SET_RATE:
        if rate_hz is None or rate_hz <= 0:
            raise ValueError("SET_RATE needs a rate > 0 Hz")
        return struct.pack("<BI", op, round(rate_hz * 100))
    if rate_hz is not None:
        raise ValueError(f"{op.name} takes no rate")
    return bytes([op])


def decode_control(data: bytes) -> ControlCommand:
    """Parse a control write, as the peripheral does; unknown input raises `ControlError`."""
    data = bytes(data)
    if not data:
        raise ControlError("control write is empty; expected an opcode byte")
    try:
        op = ControlOp(data[0])
    except ValueError as e:
        raise ControlError(f"unknown control opcode 0x{data[0]:02x}; expected 0x01..0x03") from e
    if op == ControlOp.SET_RATE:
        if len(data) != 5:
            raise ControlError(f"SET_RATE is {len(data)} bytes; expected 5 (opcode + u32 centi-hertz)")
        (rate_chz,) = struct.unpack_from("<I", data, 1)
        if rate_chz == 0:
            raise ControlError("SET_RATE rate is 0; expected > 0")
        return ControlCommand(op, rate_chz)
    if len(data) != 1:
        raise ControlError(f"{op.name} is {len(data)} bytes; expected 1")
    return ControlCommand(op)


class TimestampUnwrapper:
    """Turns a wrapping unsigned counter (default the u32 microsecond t0) into a non-wrapping integer.

    Each value is placed at the distance from the newest value seen that is shortest modulo 2**bits, so a
    step forward of less than half the range (35.8 min for the u32 us clock) counts as forward. Older
    values (a late frame) unwrap to the past without moving the reference.
    """

    def __init__(self, bits: int = 32) -> None:
        self.modulus = 1 << bits
        self._last_raw: int | None = None
        self._last_value = 0

    def reset(self) -> None:
        self._last_raw = None
        self._last_value = 0

    def unwrap(self, raw: int) -> int:
        if not 0 <= raw < self.modulus:
            raise ValueError(f"counter value {raw} outside 0..{self.modulus - 1}")
        if self._last_raw is None:
            self._last_raw, self._last_value = raw, raw
            return raw
        delta = (raw - self._last_raw) % self.modulus
        if delta < self.modulus // 2:
            self._last_raw = raw
            self._last_value += delta
            return self._last_value
        return self._last_value - (self.modulus - delta)


@dataclass(frozen=True)
class FrameCheck:
    """What `SequenceTracker.update` concluded about one frame."""

    kind: str  # "first", "next", "gap", "duplicate" or "late"
    seq: int
    lost_frames: int  # frames skipped just before this one (kind "gap")
    t0_us: int  # unwrapped sensor time of the frame's first sample
    time_jump_us: float | None  # t0 minus where it was expected from the previous frame; None if unknown

    @property
    def accept(self) -> bool:
        """Append this frame's samples to the stream; duplicates and late frames are dropped."""
        return self.kind in ("first", "next", "gap")

    @property
    def marks_gap(self) -> bool:
        """The first sample of this frame starts after missing samples: lost frames, or the sensor's
        clock jumped (its IMU FIFO overflowed) even though no frame was lost."""
        if self.kind == "gap":
            return True
        return self.kind == "next" and self.time_jump_us is not None and self.time_jump_us > 0


@dataclass
class SequenceTracker:
    """Classifies frames by their u16 sequence number and unwraps their u32 microsecond timestamps.

    One tracker per subscription: reset it whenever notifications are (re)enabled, because the peripheral
    restarts `seq` at 0 on every start. `sample_period_us` (from the config) enables the clock-jump check;
    a jump counts when the frame starts more than half a sample period away from where expected.
    """

    sample_period_us: float | None = None
    history: int = 256  # how many recent sequence numbers are remembered to tell duplicates from late frames
    frames_ok: int = 0
    frames_lost: int = 0
    duplicates: int = 0
    late: int = 0
    _last_seq: int | None = field(default=None, repr=False)
    _last_end_us: float | None = field(default=None, repr=False)
    _seen: deque[int] = field(default_factory=deque, repr=False)
    _seen_set: set[int] = field(default_factory=set, repr=False)  # the same numbers, for a quick lookup
    _unwrapper: TimestampUnwrapper = field(default_factory=TimestampUnwrapper, repr=False)

    def reset(self) -> None:
        self._last_seq = None
        self._last_end_us = None
        self._seen.clear()
        self._seen_set.clear()
        self._unwrapper.reset()

    def update(self, seq: int, t0_us: int, n: int = 1) -> FrameCheck:
        if not 0 <= seq < SEQ_MODULUS:
            raise ValueError(f"sequence number {seq} outside 0..65535")
        if self._last_seq is None:
            t0 = self._unwrapper.unwrap(t0_us)
            self._accept(seq, t0, n)
            return FrameCheck("first", seq, 0, t0, None)
        if seq in self._seen_set:
            self.duplicates += 1
            return FrameCheck("duplicate", seq, 0, self._unwrapper.unwrap(t0_us), None)
        ahead = (seq - self._last_seq) % SEQ_MODULUS
        if ahead >= SEQ_MODULUS // 2:
            # Behind the newest frame and never seen: it arrived out of order and was already counted lost.
            self.late += 1
            self.frames_lost = max(0, self.frames_lost - 1)
            return FrameCheck("late", seq, 0, self._unwrapper.unwrap(t0_us), None)
        t0 = self._unwrapper.unwrap(t0_us)
        jump = None
        if self.sample_period_us is not None and self._last_end_us is not None and ahead == 1:
            jump = t0 - self._last_end_us
            if abs(jump) <= self.sample_period_us / 2:
                jump = 0.0
        lost = ahead - 1
        self.frames_lost += lost
        self._accept(seq, t0, n)
        return FrameCheck("gap" if lost else "next", seq, lost, t0, jump)

    def _accept(self, seq: int, t0: int, n: int) -> None:
        self.frames_ok += 1
        self._last_seq = seq
        self._seen.append(seq)
        self._seen_set.add(seq)
        if len(self._seen) > self.history:
            self._seen_set.discard(self._seen.popleft())
        self._last_end_us = None if self.sample_period_us is None else t0 + n * self.sample_period_us
