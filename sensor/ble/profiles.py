"""Sensor profiles: how to find a sensor, start its stream and turn its notifications into frames.

A profile knows one GATT protocol; `LiveSensor` knows BLE. The byte-level codecs are in
`sensor.protocols`; here they meet bleak's `BleakClient`:

- `RepcountProfile`: our open protocol (firmware-notes/GATT-PROTOCOL.md): read the config, subscribe to
  the data characteristic, decode frames.
- `PolarPmdProfile`: Polar Measurement Data (Verity Sense): start ACC and GYRO through the control point,
  pair the two streams sample by sample. Best effort: decoded against the published SDK's layout,
  never run against a real Polar sensor here.

`decode` raises `ProtocolError` for a malformed notification; the client counts and skips it.
"""

from __future__ import annotations

import asyncio
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from bleak import BleakClient

from sensor.live.timeline import SensorFrame
from sensor.protocols import polar_pmd as pmd
from sensor.protocols import repcount_gatt as rg
from sensor.protocols.common import ProtocolError

NotificationHandler = Callable[[bytes], None]


@dataclass(frozen=True)
class StreamInfo:
    """What the client learnt from the sensor before streaming."""

    rate_hz: float
    description: str  # e.g. "MPU6886, firmware 1.0.0, 8 g, 2000 dps"
    details: Any = None  # the profile's own config object (e.g. `SensorConfig`)


class SensorProfile(ABC):
    """One sensor protocol. A profile instance serves one connection at a time; `prepare` resets it."""

    name: str = ""
    service_uuid: str = ""
    name_prefixes: tuple[str, ...] = ()

    def matches(self, local_name: str | None, service_uuids: Iterable[str]) -> bool:
        """Is an advertisement from a sensor this profile can read?"""
        if self.service_uuid.lower() in {u.lower() for u in service_uuids}:
            return True
        return bool(local_name) and any(local_name.startswith(p) for p in self.name_prefixes)

    @abstractmethod
    async def prepare(self, client: BleakClient) -> StreamInfo:
        """Read whatever the sensor describes itself with (after every connect)."""

    @abstractmethod
    async def start(self, client: BleakClient, on_notification: NotificationHandler) -> None:
        """Enable notifications (and start streaming); raw notification bytes go to `on_notification`."""

    @abstractmethod
    def decode(self, data: bytes) -> list[SensorFrame]:
        """Frames in one notification (possibly none yet); raises `ProtocolError` when malformed."""

    @abstractmethod
    async def stop(self, client: BleakClient) -> None:
        """Stop streaming; best effort, the link may already be gone."""


class RepcountProfile(SensorProfile):
    """Our protocol: config read, data notify, optional control point (not needed to stream)."""

    name = "repcount"
    service_uuid = rg.SERVICE_UUID
    name_prefixes = ()  # names vary by board (`XIAO-wrist-3F2A`); the service UUID is what identifies us

    def __init__(self) -> None:
        self.config: rg.SensorConfig | None = None

    async def prepare(self, client: BleakClient) -> StreamInfo:
        raw = await client.read_gatt_char(rg.CONFIG_CHAR_UUID)
        self.config = cfg = rg.decode_config(bytes(raw))
        fw = ".".join(str(v) for v in cfg.firmware_version)
        desc = f"{cfg.imu_name or 'IMU'}, firmware {fw}, {cfg.acc_range_g} g, {cfg.gyro_range_dps} dps"
        return StreamInfo(rate_hz=cfg.sample_rate_hz, description=desc, details=cfg)

    async def start(self, client: BleakClient, on_notification: NotificationHandler) -> None:
        await client.start_notify(rg.DATA_CHAR_UUID, lambda _char, data: on_notification(bytes(data)))

    def decode(self, data: bytes) -> list[SensorFrame]:
        if self.config is None:
            raise RuntimeError("prepare() first: frames cannot be scaled without the config")
        f = rg.decode_frame(data, self.config)
        return [SensorFrame(f.seq, f.t0_us, f.acc, f.gyro, self.config.sample_period_us)]

    async def stop(self, client: BleakClient) -> None:
        if client.is_connected:
            await client.stop_notify(rg.DATA_CHAR_UUID)


MAX_UNPAIRED_S = 10.0  # samples of one Polar stream held waiting for the other's
MISPAIRED_PERIODS = 3  # ACC and GYRO heads further apart than this: a notification was lost
MISPAIRED_MAX_S = 5.0  # ... and nearer than this (further, the stamps are not of one clock)


@dataclass
class _PolarStream:
    factor: float = 1.0
    last_ns: int | None = None
    times: list[np.ndarray] = field(default_factory=list)
    values: list[np.ndarray] = field(default_factory=list)

    def held(self) -> int:
        return sum(len(v) for v in self.values)

    def take(self, n: int) -> tuple[np.ndarray, np.ndarray]:
        t, v = np.concatenate(self.times), np.vstack(self.values)
        self.times, self.values = ([t[n:]], [v[n:]]) if n < len(t) else ([], [])
        return t[:n], v[:n]

    def drop_before(self, t_ns: float) -> None:
        """Drop the samples stamped before `t_ns`."""
        k = int(np.searchsorted(np.concatenate(self.times), t_ns))
        if k:
            self.take(k)


class PolarPmdProfile(SensorProfile):
    """Polar Verity Sense ACC + GYRO over PMD. The two streams come as separate notifications at the same
    rate; samples are paired in order and stamped with the ACC stream's times. PMD frames carry no
    sequence number, so the profile numbers the paired frames itself and gaps show only as time jumps."""

    name = "polar-pmd"
    service_uuid = pmd.PMD_SERVICE_UUID
    name_prefixes = ("Polar Sense", "Polar OH1", "Polar Verity")

    def __init__(self, rate_hz: int = 52, acc_range_g: int = 8, gyro_range_dps: int = 2000) -> None:
        self.rate_hz = rate_hz
        self.acc_range_g = acc_range_g
        self.gyro_range_dps = gyro_range_dps
        self._responses: asyncio.Queue[pmd.ControlPointResponse] = asyncio.Queue()
        self._reset()

    def _reset(self) -> None:
        self._acc = _PolarStream()
        self._gyro = _PolarStream()
        self._seq = 0

    async def prepare(self, client: BleakClient) -> StreamInfo:
        self._reset()
        self._responses = asyncio.Queue()
        desc = f"Polar PMD, {self.rate_hz} Hz, {self.acc_range_g} g, {self.gyro_range_dps} dps"
        return StreamInfo(rate_hz=float(self.rate_hz), description=desc)

    def _on_control(self, data: bytes) -> None:
        if data and data[0] == pmd.CONTROL_POINT_RESPONSE_CODE:
            try:
                self._responses.put_nowait(pmd.parse_control_response(data))
            except ProtocolError:
                pass  # a garbled response: the request below times out with a clear message

    async def _request(self, client: BleakClient, request: bytes, what: str) -> pmd.ControlPointResponse:
        await client.write_gatt_char(pmd.PMD_CONTROL_POINT_UUID, request, response=True)
        try:
            resp = await asyncio.wait_for(self._responses.get(), 5.0)
        except asyncio.TimeoutError:
            raise ProtocolError(f"Polar sensor did not answer the {what} request within 5 s") from None
        if not resp.ok and resp.status_name != "ERROR_ALREADY_IN_STATE":
            raise ProtocolError(f"Polar sensor refused {what}: {resp.status_name}")
        return resp

    async def start(self, client: BleakClient, on_notification: NotificationHandler) -> None:
        self._reset()
        await client.start_notify(pmd.PMD_CONTROL_POINT_UUID, lambda _c, d: self._on_control(bytes(d)))
        await client.start_notify(pmd.PMD_DATA_UUID, lambda _c, d: on_notification(bytes(d)))
        acc = await self._request(client, pmd.start_acc_request(self.rate_hz, self.acc_range_g), "start ACC")
        self._acc.factor = acc.factor
        gyro_req = pmd.start_gyro_request(self.rate_hz, self.gyro_range_dps)
        self._gyro.factor = (await self._request(client, gyro_req, "start GYRO")).factor

    def decode(self, data: bytes) -> list[SensorFrame]:
        if not data:
            raise pmd.PmdError("empty PMD notification")
        mtype = data[0] & pmd.MEASUREMENT_TYPE_MASK
        stream = self._acc if mtype == pmd.MeasurementType.ACC else self._gyro
        frame = pmd.decode_data_frame(data, factor=stream.factor)
        # The samples share the time since the previous frame, unless a frame was lost in between:
        # then they step back from this one's stamp at the nominal rate (spread over the lost
        # frame's time too, they would start where the lost frame did).
        prev = stream.last_ns
        if prev is not None and frame.timestamp_ns - prev > 1.5 * frame.n * 1e9 / self.rate_hz:
            prev = None
        times = frame.sample_times_ns(self.rate_hz, prev)
        stream.last_ns = frame.timestamp_ns
        stream.times.append(times)
        stream.values.append(frame.si)
        self._pair_by_time()
        n = min(self._acc.held(), self._gyro.held())
        if n == 0:
            return []
        t_ns, acc = self._acc.take(n)
        _, gyro = self._gyro.take(n)
        seq, self._seq = self._seq, (self._seq + 1) % rg.SEQ_MODULUS
        t0_us = int(t_ns[0] // 1000) % rg.T0_MODULUS
        # The spacing the sensor's own stamps give (the samples between two stamps share the time
        # evenly), not the nominal rate, which the sensor's clock may run off by a few tenths of a
        # percent.
        period_us = (t_ns[-1] - t_ns[0]) / (n - 1) / 1000 if n > 1 else 1e6 / self.rate_hz
        if not period_us > 0:  # a stamp that stepped back: the nominal spacing, not a backward one
            period_us = 1e6 / self.rate_hz
        return [SensorFrame(seq, t0_us, acc, gyro, period_us)]

    def _pair_by_time(self) -> None:
        """Keep the two streams paired by their stamps, not only by count. When one stream's first
        held sample is a frame or so older than the other's (MISPAIRED_PERIODS periods up to
        MISPAIRED_MAX_S: the other's notification was lost), those older samples have no partner,
        and held, every later pair would be that far apart: they are dropped. A smaller offset is
        the two sensors' sampling phase and is left alone. A stream whose partner has stopped holds
        at most MAX_UNPAIRED_S of samples."""
        acc, gyro = self._acc, self._gyro
        if acc.held() and gyro.held():
            period = 1e9 / self.rate_hz
            offset = float(gyro.times[0][0]) - float(acc.times[0][0])
            if MISPAIRED_PERIODS * period < abs(offset) < MISPAIRED_MAX_S * 1e9:
                early, late = (acc, gyro) if offset > 0 else (gyro, acc)
                early.drop_before(late.times[0][0] - 0.5 * period)
        cap = int(MAX_UNPAIRED_S * self.rate_hz)
        for stream in (acc, gyro):
            if stream.held() > cap:
                stream.take(stream.held() - cap)

    async def stop(self, client: BleakClient) -> None:
        if client.is_connected:
            for mtype in (pmd.MeasurementType.ACC, pmd.MeasurementType.GYRO):
                await client.write_gatt_char(
                    pmd.PMD_CONTROL_POINT_UUID, pmd.stop_request(mtype), response=True
                )


PROFILES: tuple[type[SensorProfile], ...] = (RepcountProfile, PolarPmdProfile)


def profile_for(local_name: str | None, service_uuids: Iterable[str]) -> SensorProfile | None:
    """A fresh profile for an advertisement, or None when no profile reads that sensor."""
    uuids = list(service_uuids)
    for cls in PROFILES:
        profile = cls()
        if profile.matches(local_name, uuids):
            return profile
    return None
