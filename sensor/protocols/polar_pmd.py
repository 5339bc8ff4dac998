"""Polar Measurement Data (PMD) service: ACC and GYRO streams of the Verity Sense, OH1 and H10.

Sources, all in the public polarofficial/polar-ble-sdk repository (read for facts, no code copied):

- [SDK-CLIENT] Android `BlePMDClient.kt`: service / characteristic UUIDs, control point request layout,
  `parseDeltaFramesAll` (reference sample, then blocks of bit width byte, sample count byte, LSB-first
  packed signed deltas, each block padded to a whole byte).
- [SDK-FRAME] Android `PmdDataFrame.kt`: data frame header (type byte, u64 LE timestamp, frame type byte;
  bit 7 = delta compressed, low 7 bits = frame type number).
- [SDK-ACC] / [SDK-GYR] Android `model/AccData.kt`, `model/GyrData.kt`: which frame types exist and their
  sample widths; ACC in milli-g, GYRO in deg/s; where the "factor" setting is applied.
- [SDK-TS] Android `model/PmdTimeStampUtils.kt`: the frame timestamp is that of the LAST sample.
- [SDK-CP] Android `PmdControlPointCommand.kt`, `PmdControlPointResponse.kt`, `PmdSetting.kt`: op codes,
  response layout (0xF0, op, type, status, more, parameters), status codes, setting types and sizes.
- [SDK-TIME] `documentation/TimeSystemExplained.md`: nanoseconds since 2000-01-01T00:00:00Z.
- [PMD-SPEC] `technical_documentation/Polar_Measurement_Data_Specification.pdf`, whose start-ACC example
  request and response are quoted byte for byte in the SDK's GitHub issues #331 and #443.

No BLE stack here. Every malformed input raises `PmdError` (a `ProtocolError`). The encoders at the end
build what a sensor sends, for the simulated sensor (`sensor/ble/simulated_polar.py`).
"""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from enum import IntEnum

import numpy as np

from sensor.protocols.common import DEG_TO_RAD, STANDARD_GRAVITY, ProtocolError

# [SDK-CLIENT] companion object constants.
PMD_SERVICE_UUID = "fb005c80-02e7-f387-1cad-8acd2d8df0c8"
PMD_CONTROL_POINT_UUID = "fb005c81-02e7-f387-1cad-8acd2d8df0c8"
PMD_DATA_UUID = "fb005c82-02e7-f387-1cad-8acd2d8df0c8"

CONTROL_POINT_RESPONSE_CODE = 0xF0  # [SDK-CP]: first byte of every response to a client request
DATA_HEADER_SIZE = 10  # [SDK-FRAME]: type (1) + timestamp (8) + frame type (1)
DELTA_FRAME_BIT = 0x80  # [SDK-FRAME]
FRAME_TYPE_MASK = 0x7F  # [SDK-FRAME]
MEASUREMENT_TYPE_MASK = 0x3F  # [SDK-CP] PmdMeasurementType: the top bits carry the recording type

# [SDK-TIME]: the offset between the Polar epoch 2000-01-01 and the Unix epoch 1970-01-01.
POLAR_EPOCH = datetime(2000, 1, 1, tzinfo=timezone.utc)
POLAR_EPOCH_UNIX_NS = 946_684_800 * 1_000_000_000

MILLI_G_TO_MPS2 = STANDARD_GRAVITY / 1000.0  # 9.80665e-3


class PmdError(ProtocolError):
    """A PMD control point response or data frame that cannot be decoded."""


class MeasurementType(IntEnum):
    # [SDK-CP] PmdMeasurementType.kt (only the ones relevant here plus neighbours for messages).
    ECG = 0
    PPG = 1
    ACC = 2
    PPI = 3
    GYRO = 5
    MAGNETOMETER = 6
    SDK_MODE = 9


class ControlPointOp(IntEnum):
    # [SDK-CP] PmdControlPointCommandClientToService.
    GET_MEASUREMENT_SETTINGS = 1
    REQUEST_MEASUREMENT_START = 2
    STOP_MEASUREMENT = 3
    GET_SDK_MODE_MEASUREMENT_SETTINGS = 4
    GET_MEASUREMENT_STATUS = 5


class ResponseStatus(IntEnum):
    # [SDK-CP] PmdControlPointResponseCode.
    SUCCESS = 0
    ERROR_INVALID_OP_CODE = 1
    ERROR_INVALID_MEASUREMENT_TYPE = 2
    ERROR_NOT_SUPPORTED = 3
    ERROR_INVALID_LENGTH = 4
    ERROR_INVALID_PARAMETER = 5
    ERROR_ALREADY_IN_STATE = 6
    ERROR_INVALID_RESOLUTION = 7
    ERROR_INVALID_SAMPLE_RATE = 8
    ERROR_INVALID_RANGE = 9
    ERROR_INVALID_MTU = 10
    ERROR_INVALID_NUMBER_OF_CHANNELS = 11
    ERROR_INVALID_STATE = 12
    ERROR_DEVICE_IN_CHARGER = 13
    ERROR_DISK_FULL = 14


class SettingType(IntEnum):
    # [SDK-CP] PmdSetting.PmdSettingType; value sizes in SETTING_SIZE.
    SAMPLE_RATE = 0
    RESOLUTION = 1
    RANGE = 2
    RANGE_MILLIUNIT = 3
    CHANNELS = 4
    FACTOR = 5


SETTING_SIZE = {
    SettingType.SAMPLE_RATE: 2,
    SettingType.RESOLUTION: 2,
    SettingType.RANGE: 2,
    SettingType.RANGE_MILLIUNIT: 4,
    SettingType.CHANNELS: 1,
    SettingType.FACTOR: 4,  # IEEE 754 float32
}


# ---------------------------------------------------------------------------------------------------
# Control point requests and responses


def get_settings_request(measurement: MeasurementType) -> bytes:
    """Ask which sample rates, resolutions and ranges the sensor offers for one measurement."""
    return bytes([ControlPointOp.GET_MEASUREMENT_SETTINGS, measurement])


def start_request(
    measurement: MeasurementType, sample_rate_hz: int, resolution: int, range_: int, channels: int = 3
) -> bytes:
    """Start an online stream. Settings follow the op and type as (type, count=1, value LE) triplets in
    setting-type order, as [SDK-CLIENT] `startMeasurement` / `PmdSetting.serializeSelected` write them."""
    out = bytearray([ControlPointOp.REQUEST_MEASUREMENT_START, measurement])
    for stype, value in (
        (SettingType.SAMPLE_RATE, sample_rate_hz),
        (SettingType.RESOLUTION, resolution),
        (SettingType.RANGE, range_),
        (SettingType.CHANNELS, channels),
    ):
        size = SETTING_SIZE[stype]
        if not 0 <= value < 1 << (8 * size):
            raise ValueError(f"{stype.name} {value} does not fit {size} byte(s)")
        out += bytes([stype, 1]) + int(value).to_bytes(size, "little")
    return bytes(out)


def start_acc_request(sample_rate_hz: int = 52, range_g: int = 8, resolution: int = 16) -> bytes:
    """Start ACC: [PMD-SPEC] example 52 Hz, 16 bit, 8 g, 3 channels = 02 02 00 01 34 00 01 01 10 00 ..."""
    return start_request(MeasurementType.ACC, sample_rate_hz, resolution, range_g)


def start_gyro_request(sample_rate_hz: int = 52, range_dps: int = 2000, resolution: int = 16) -> bytes:
    """Start GYRO (Verity Sense only: the OH1 and H10 have no gyroscope)."""
    return start_request(MeasurementType.GYRO, sample_rate_hz, resolution, range_dps)


def stop_request(measurement: MeasurementType) -> bytes:
    return bytes([ControlPointOp.STOP_MEASUREMENT, measurement])


def start_sdk_mode_request() -> bytes:
    """Verity Sense SDK mode (all rates and ranges): a start request for measurement type 9, as
    [SDK-CLIENT] startSDKMode sends it. Switching modes ends the running streams."""
    return bytes([ControlPointOp.REQUEST_MEASUREMENT_START, MeasurementType.SDK_MODE])


def stop_sdk_mode_request() -> bytes:
    return bytes([ControlPointOp.STOP_MEASUREMENT, MeasurementType.SDK_MODE])


def parse_settings(params: bytes) -> dict[SettingType, list[float]]:
    """Settings TLVs: type byte, count byte, then `count` values of the type's size (little-endian)."""
    settings: dict[SettingType, list[float]] = {}
    i = 0
    while i < len(params):
        if i + 2 > len(params):
            raise PmdError(f"settings end inside a type/count header at byte {i} of {len(params)}")
        try:
            stype = SettingType(params[i])
        except ValueError as e:
            raise PmdError(f"unknown setting type {params[i]} at byte {i}; expected 0..5") from e
        count = params[i + 1]
        size = SETTING_SIZE[stype]
        i += 2
        if i + count * size > len(params):
            raise PmdError(
                f"{stype.name} says {count} values of {size} bytes but only {len(params) - i} remain"
            )
        values: list[float] = []
        for _ in range(count):
            chunk = params[i : i + size]
            if stype == SettingType.FACTOR:
                values.append(struct.unpack("<f", chunk)[0])
            else:
                values.append(int.from_bytes(chunk, "little"))
            i += size
        settings[stype] = values
    return settings


@dataclass(frozen=True)
class ControlPointResponse:
    """[SDK-CP]: F0, op code, measurement type, status, more-flag, parameters (settings TLVs)."""

    op: int
    measurement_type: int
    status: int
    more: bool
    parameters: bytes

    @property
    def ok(self) -> bool:
        return self.status == ResponseStatus.SUCCESS

    @property
    def status_name(self) -> str:
        try:
            return ResponseStatus(self.status).name
        except ValueError:
            return f"UNKNOWN_STATUS_{self.status}"

    @property
    def settings(self) -> dict[SettingType, list[float]]:
        return parse_settings(self.parameters) if self.ok else {}

    @property
    def factor(self) -> float:
        """Scale for compressed samples, sent in a start response's parameters; 1.0 when absent, as the
        SDK assumes ([SDK-CLIENT] getFactor)."""
        values = self.settings.get(SettingType.FACTOR)
        factor = float(values[0]) if values else 1.0
        if not (math.isfinite(factor) and factor > 0):  # every sample would come out NaN, inf or 0
            raise PmdError(f"the sensor's FACTOR setting is {factor}; expected a positive number")
        return factor


def parse_control_response(data: bytes) -> ControlPointResponse:
    """Parse a control point notification that answers a request. The sensor may also notify
    `01 <types...>` (it stopped a stream by itself); that raises `PmdError` here, check `data[0]` first."""
    data = bytes(data)
    if data and data[0] != CONTROL_POINT_RESPONSE_CODE:
        hint = " (0x01 is the sensor's own stream-stopped notice)" if data[0] == 0x01 else ""
        raise PmdError(f"control point response starts 0x{data[0]:02x}; expected 0xf0{hint}")
    if len(data) < 4:
        raise PmdError(f"control point response is {len(data)} bytes; expected at least 4")
    status = data[3]
    more = status == ResponseStatus.SUCCESS and len(data) > 4 and data[4] != 0
    params = data[5:] if status == ResponseStatus.SUCCESS else b""
    return ControlPointResponse(
        op=data[1], measurement_type=data[2], status=status, more=more, parameters=params
    )


# ---------------------------------------------------------------------------------------------------
# Data frames


@dataclass
class PmdFrame:
    """One decoded PMD data notification."""

    measurement_type: int
    timestamp_ns: int  # sensor time of the LAST sample, ns since 2000-01-01T00:00:00 [SDK-TS]
    frame_type: int  # low 7 bits of byte 9
    compressed: bool  # bit 7 of byte 9
    samples: np.ndarray  # (n, 3) int64 as encoded (before the factor)
    factor: float  # applied to compressed frames only, as the SDK does
    values: np.ndarray = field(repr=False)  # (n, 3) float64: ACC in milli-g, GYRO in deg/s

    @property
    def n(self) -> int:
        return len(self.samples)

    @property
    def si(self) -> np.ndarray:
        """ACC in m/s^2 (including gravity), GYRO in rad/s."""
        if self.measurement_type == MeasurementType.ACC:
            return self.values * MILLI_G_TO_MPS2
        return self.values * DEG_TO_RAD

    def sample_times_ns(
        self, sample_rate_hz: float | None = None, previous_ns: int | None = None
    ) -> np.ndarray:
        return sample_timestamps_ns(self.timestamp_ns, self.n, sample_rate_hz, previous_ns)


# Raw (uncompressed) sample widths in bytes, [SDK-ACC]: type 0 = 8 bit, 1 = 16 bit, 2 = 24 bit.
_RAW_ACC_WIDTH = {0: 1, 1: 2, 2: 3}
# Compressed: reference sample width in bits. ACC type 0 is the SDK's "special" type whose values are
# in g (multiplied by factor * 1000 to milli-g); ACC type 1 is milli-g (times factor when it is not 1);
# GYRO type 0 is deg/s times factor. GYRO type 1 carries float32 bit patterns and is not decoded here.
# The SDK truncates scaled ACC to whole milli-g; the fraction is kept here.
_COMPRESSED_REF_BITS = {
    (MeasurementType.ACC, 0): 16,
    (MeasurementType.ACC, 1): 16,
    (MeasurementType.GYRO, 0): 16,
}


def decode_data_frame(data: bytes, factor: float = 1.0, channels: int = 3) -> PmdFrame:
    """Decode an ACC or GYRO data notification. `factor` is the start response's FACTOR setting."""
    data = bytes(data)
    if len(data) < DATA_HEADER_SIZE:
        raise PmdError(
            f"data frame is {len(data)} bytes; expected at least the {DATA_HEADER_SIZE}-byte header"
        )
    mtype = data[0] & MEASUREMENT_TYPE_MASK
    timestamp_ns = int.from_bytes(data[1:9], "little")
    compressed = bool(data[9] & DELTA_FRAME_BIT)
    frame_type = data[9] & FRAME_TYPE_MASK
    payload = data[DATA_HEADER_SIZE:]
    if mtype not in (MeasurementType.ACC, MeasurementType.GYRO):
        raise PmdError(f"measurement type {mtype}; this decoder reads ACC (2) and GYRO (5)")
    kind = f"{MeasurementType(mtype).name} {'compressed' if compressed else 'raw'} frame type {frame_type}"
    if compressed:
        ref_bits = _COMPRESSED_REF_BITS.get((MeasurementType(mtype), frame_type))
        if ref_bits is None:
            raise PmdError(f"{kind} is not supported; expected ACC type 0/1 or GYRO type 0")
        samples = decode_delta_samples(payload, channels, ref_bits)
        if mtype == MeasurementType.ACC and frame_type == 0:
            values = samples * (factor * 1000.0)  # [SDK-ACC] dataFromCompressedType0: g to milli-g
        else:
            values = samples * factor
    else:
        width = _RAW_ACC_WIDTH.get(frame_type)
        if mtype != MeasurementType.ACC or width is None:
            raise PmdError(f"{kind} is not supported; raw frames are ACC types 0, 1, 2")
        samples = decode_raw_samples(payload, channels, width)
        values = samples.astype(np.float64)  # [SDK-ACC]: raw ACC is milli-g, no factor
    return PmdFrame(
        measurement_type=mtype,
        timestamp_ns=timestamp_ns,
        frame_type=frame_type,
        compressed=compressed,
        samples=samples,
        factor=factor,
        values=np.asarray(values, dtype=np.float64),
    )


def decode_raw_samples(payload: bytes, channels: int, width_bytes: int) -> np.ndarray:
    """Interleaved little-endian signed ints, `channels` per sample."""
    step = channels * width_bytes
    if not payload or len(payload) % step:
        raise PmdError(f"raw payload is {len(payload)} bytes; expected a non-zero multiple of {step}")
    raw = np.frombuffer(payload, dtype=np.uint8).reshape(-1, width_bytes).astype(np.int64)
    value = np.zeros(len(raw), dtype=np.int64)
    for k in range(width_bytes):
        value |= raw[:, k] << (8 * k)
    sign = 1 << (8 * width_bytes - 1)
    value = (value ^ sign) - sign  # two's complement of the field width
    return value.reshape(-1, channels)


def decode_delta_samples(payload: bytes, channels: int, ref_bits: int) -> np.ndarray:
    """Delta-compressed samples, [SDK-CLIENT] parseDeltaFramesAll.

    A reference sample (`channels` little-endian signed ints of ceil(ref_bits / 8) bytes) is the first
    sample. Then blocks follow to the end of the payload: a bit width byte W, a count byte C, and
    ceil(W * C * channels / 8) bytes holding C samples x `channels` signed W-bit deltas, packed from the
    least significant bit of the first byte on, channel-interleaved. Each delta adds to the previous sample.
    Deltas are read as plain two's complement (the SDK's sign mask differs only for W = 1). A width of 0 is
    rejected: the SDK would silently add no samples for it, so such a block is more likely corruption.
    """
    ref_bytes = math.ceil(ref_bits / 8)
    if len(payload) < channels * ref_bytes:
        raise PmdError(
            f"delta payload is {len(payload)} bytes; the reference sample alone needs {channels * ref_bytes}"
        )
    ref = decode_raw_samples(payload[: channels * ref_bytes], channels, ref_bytes)[0]
    rows = [ref.reshape(1, channels)]
    offset = channels * ref_bytes
    while offset < len(payload):
        if offset + 2 > len(payload):
            raise PmdError(f"delta block header at byte {offset} is cut off; payload is {len(payload)} bytes")
        width, count = payload[offset], payload[offset + 1]
        offset += 2
        if not 1 <= width <= 32 or count == 0:
            raise PmdError(
                f"delta block at byte {offset - 2} has bit width {width} and {count} samples; "
                "expected width 1..32 and at least one sample"
            )
        nbytes = math.ceil(width * count * channels / 8)
        if offset + nbytes > len(payload):
            raise PmdError(
                f"delta block of {count} samples x {width} bits needs {nbytes} bytes at byte {offset}, "
                f"only {len(payload) - offset} remain"
            )
        deltas = _unpack_signed(payload[offset : offset + nbytes], width, count * channels).reshape(
            count, channels
        )
        rows.append(rows[-1][-1] + np.cumsum(deltas, axis=0))
        offset += nbytes
    return np.vstack(rows).astype(np.int64)


def _unpack_signed(block: bytes, width: int, count: int) -> np.ndarray:
    bits = int.from_bytes(block, "little")  # bit k of the block = bit (k % 8) of byte k // 8
    mask = (1 << width) - 1
    sign = 1 << (width - 1)
    out = np.empty(count, dtype=np.int64)
    for i in range(count):
        v = (bits >> (i * width)) & mask
        out[i] = (v ^ sign) - sign
    return out


# ---------------------------------------------------------------------------------------------------
# Time


def sample_timestamps_ns(
    last_ns: int, n: int, sample_rate_hz: float | None = None, previous_ns: int | None = None
) -> np.ndarray:
    """Timestamps of a frame's n samples from its timestamp, which is the LAST sample's [SDK-TS].

    With the previous frame's timestamp, the n samples split the interval since it evenly (what the SDK
    does once a previous frame exists: the sensor's clock, not the nominal rate). Otherwise they step back
    from the last one at the nominal sample period.
    """
    if n <= 0:
        raise ValueError("a frame has at least one sample")
    if not 0 <= last_ns < 2**63:  # a u64 stamp past int64: no sensor clock reads centuries
        raise PmdError(f"frame timestamp {last_ns} ns is out of range")
    # Offsets are small, so float rounding is exact to the ns; the u64 timestamp itself stays an integer.
    if previous_ns is not None and previous_ns < last_ns:
        spacing = (last_ns - previous_ns) / n
        times = [previous_ns + round(spacing * (i + 1)) for i in range(n - 1)]
    elif sample_rate_hz:
        period = 1e9 / sample_rate_hz
        times = [last_ns - round(period * (n - 1 - i)) for i in range(n - 1)]
    else:
        raise ValueError("need the sample rate or the previous frame's timestamp")
    return np.array([*times, last_ns], dtype=np.int64)


def polar_ns_to_unix_ns(polar_ns: int) -> int:
    return polar_ns + POLAR_EPOCH_UNIX_NS


def polar_ns_to_datetime(polar_ns: int) -> datetime:
    """The sensor time as a datetime. It is UTC only if the sensor's clock was set in UTC: the SDK's
    setLocalTime writes local time, and an unset H10 restarts from its default time ([SDK-TIME])."""
    return POLAR_EPOCH + timedelta(microseconds=polar_ns // 1000)


# ---------------------------------------------------------------------------------------------------
# What the sensor sends (for the simulated sensor)


def encode_control_response(op: int, measurement: int, status: int = 0, parameters: bytes = b"") -> bytes:
    """A control point response: F0, op, measurement type, status, more-flag (0), parameters."""
    return bytes([CONTROL_POINT_RESPONSE_CODE, op, measurement, status, 0]) + parameters


def encode_factor_setting(factor: float) -> bytes:
    """The FACTOR setting as a start response carries it: type, count 1, float32 LE."""
    return bytes([SettingType.FACTOR, 1]) + struct.pack("<f", factor)


def encode_delta_frame(measurement: int, frame_type: int, timestamp_ns: int, samples: np.ndarray) -> bytes:
    """A delta-compressed data frame (`decode_data_frame` reads it back): the header, the first sample
    as three int16, then one block of the deltas at the narrowest bit width that holds them all."""
    samples = np.asarray(samples, dtype=np.int64).reshape(-1, 3)
    if not 1 <= len(samples) <= 256:
        raise ValueError(f"a frame here holds 1..256 samples; got {len(samples)}")
    if samples.min() < -32768 or samples[0].max() > 32767:
        raise ValueError("the reference sample must fit int16")
    out = bytearray([measurement])
    out += int(timestamp_ns).to_bytes(8, "little")
    out.append(DELTA_FRAME_BIT | frame_type)
    out += samples[0].astype("<i2").tobytes()
    deltas = np.diff(samples, axis=0).ravel()
    if len(deltas):
        # Two's complement width of the largest delta either way.
        width = max(1, int(max(deltas.max(), -deltas.min() - 1)).bit_length() + 1)
        bits = 0
        for i, d in enumerate(deltas.tolist()):
            bits |= (d & ((1 << width) - 1)) << (i * width)
        out += bytes([width, len(samples) - 1])
        out += bits.to_bytes(math.ceil(width * len(deltas) / 8), "little")
    return bytes(out)
