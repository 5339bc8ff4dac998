"""A simulated wrist sensor: a real GATT server on Bumble's virtual radio that speaks our protocol.

It plays a `Recording` (from `repcount.simulator.simulate_session`, or any file) the way the reference
firmware would: the config characteristic describes it, and once notifications are enabled it sends
frames of the recording's int16 counts at the recording's own sample times, N samples per notification
for the negotiated ATT MTU or fewer when the oldest held sample is 100 ms old, in real time or `speed`
times faster. Its clock can run fast (`clock_ppm`) and starts 3 s before the u32 microsecond counter
wraps, so clients must unwrap and correct drift.

`Faults` injects what a weak link or a faulty stack does: dropped, duplicated, reordered and corrupted
(malformed) frames, and a link drop mid-set after which the sensor stays silent for a while, then
advertises again. Every frame built and what happened to it is in `log`, so tests can compare what was
sent with what was recorded.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from bumble import att, gatt
from bumble.core import UUID, AdvertisingData
from bumble.device import Connection

from sensor.ble.bumble_backend import VirtualRadio
from sensor.protocols import repcount_gatt as rg
from sensor.recording import Recording

log = logging.getLogger(__name__)

FLUSH_AGE_S = 0.1  # GATT-PROTOCOL.md: a frame goes out when its oldest sample is 100 ms old


@dataclass
class Faults:
    """What goes wrong. Probabilities are per frame; the `*_frames` sets pick frames by their index in
    the stream (0 = the first frame after the first subscription) so tests can aim precisely."""

    drop_prob: float = 0.0
    duplicate_prob: float = 0.0
    reorder_prob: float = 0.0  # the frame is held back and sent after the next one
    corrupt_prob: float = 0.0  # the frame goes out malformed (wrong length, version or count)
    drop_frames: frozenset[int] = frozenset()
    duplicate_frames: frozenset[int] = frozenset()
    reorder_frames: frozenset[int] = frozenset()
    corrupt_frames: frozenset[int] = frozenset()
    clock_ppm: float = 0.0  # the sensor clock runs this much fast (negative: slow)
    link_drop_at_s: float | None = None  # recording time at which the peripheral drops the link
    silent_after_drop_s: float = 1.0  # recording seconds before it advertises again
    seed: int = 0


@dataclass
class FrameRecord:
    index: int  # frames built since the sensor started, over all subscriptions
    segment: int  # which subscription (0 = first)
    seq: int
    first_sample: int  # index into the recording
    n: int
    fate: str  # "sent", "dropped", "duplicated", "reordered" or "corrupted"


@dataclass
class SimLog:
    frames: list[FrameRecord] = field(default_factory=list)
    sent: list[bytes] = field(default_factory=list)  # every notification, in send order (bytes on the air)
    link_drops: int = 0
    subscriptions: int = 0

    def samples_delivered(self) -> int:
        """Samples in frames that went out intact (duplicates counted once)."""
        return sum(f.n for f in self.frames if f.fate in ("sent", "duplicated", "reordered"))

    def samples_lost(self) -> int:
        return sum(f.n for f in self.frames if f.fate in ("dropped", "corrupted"))

    def sample_indices(self) -> np.ndarray:
        """Recording indices of every sample that went out intact, in order."""
        parts = [
            np.arange(f.first_sample, f.first_sample + f.n)
            for f in self.frames
            if f.fate in ("sent", "duplicated", "reordered")
        ]
        return np.concatenate(parts) if parts else np.zeros(0, dtype=int)


def advertising_data(name: str, service_uuid: str) -> bytes:
    """Flags, the service and the name. The name goes in the advertising data, not only in a scan
    response: Bumble's emulated link carries no scan responses."""
    return bytes(
        AdvertisingData(
            [
                (AdvertisingData.FLAGS, bytes([0x06])),
                (
                    AdvertisingData.COMPLETE_LIST_OF_128_BIT_SERVICE_CLASS_UUIDS,
                    UUID(service_uuid).to_bytes(force_128=True),
                ),
                (AdvertisingData.COMPLETE_LOCAL_NAME, name.encode("ascii")),
            ]
        )
    )


def sensor_name(board: str, address: str) -> str:
    """The advertised name of a do-it-yourself sensor: board, "wrist", last four address digits."""
    return f"{board}-wrist-{address.replace(':', '')[-4:].upper()}"


def simulated_config(
    recording: Recording, acc_range_g: int = 16, gyro_range_dps: int = 2000
) -> rg.SensorConfig:
    """The config characteristic a simulated sensor playing `recording` reports."""
    rate = recording.meta.nominal_rate_hz or recording.measured_rate_hz
    return rg.SensorConfig(
        sample_rate_chz=round(rate * 100),
        acc_range_g=acc_range_g,
        gyro_range_dps=gyro_range_dps,
        imu_model=rg.ImuModel.SIMULATED,
        imu_name="SIM",
        firmware_version=(1, 0, 0),
    )


class SimulatedWristSensor:
    """A Bumble peripheral on `radio` playing `recording` over the repcount GATT protocol."""

    def __init__(
        self,
        radio: VirtualRadio,
        recording: Recording,
        *,
        address: str = "F0:00:00:00:3F:2A",
        board: str = "SIM",
        speed: float = 1.0,
        faults: Faults | None = None,
        acc_range_g: int = 16,
        gyro_range_dps: int = 2000,
        advertising_interval_ms: float = 20.0,
        t0_offset_us: int = rg.T0_MODULUS - 3_000_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if speed <= 0:
            raise ValueError("speed must be > 0")
        self.radio = radio
        self.recording = recording
        self.speed = speed
        self.faults = faults or Faults()
        self.name = sensor_name(board, address)
        self.address = address.upper()
        self.config = simulated_config(recording, acc_range_g, gyro_range_dps)
        self.counts = rg.quantize(recording.acc, recording.gyro, self.config)
        rel = recording.t - recording.t[0]
        # The sensor's clock: fast by clock_ppm, starting just before the u32 wrap.
        self.sensor_us = t0_offset_us + np.round(rel * 1e6 * (1.0 + self.faults.clock_ppm * 1e-6)).astype(
            np.int64
        )
        self._rel = rel
        self.log = SimLog()
        self.advertising_interval_ms = advertising_interval_ms
        self._clock = clock
        self._rng = random.Random(self.faults.seed)
        self._device, _ = radio.new_device(self.name, self.address)
        self._connection: Connection | None = None
        self._stream_task: asyncio.Task[None] | None = None
        self._start_host: float | None = None
        self._frame_index = 0
        self._link_dropped = False
        self._link_dropped_now = False  # silent after a drop: do not advertise on the disconnection
        self._link_task: asyncio.Task[None] | None = None
        self._adv_task: asyncio.Task[None] | None = None
        self._adv_lock = asyncio.Lock()
        self._stopped = False
        self.finished = asyncio.Event()  # every sample of the recording has been played
        self._build_gatt()

    # -- GATT ----------------------------------------------------------------------------------------

    def _build_gatt(self) -> None:
        props = gatt.Characteristic.Properties
        self._config_char = gatt.Characteristic(
            rg.CONFIG_CHAR_UUID,
            props.READ,
            gatt.Characteristic.READABLE,
            gatt.CharacteristicValue(read=lambda _conn: rg.encode_config(self.config)),
        )
        self._data_char = gatt.Characteristic(
            rg.DATA_CHAR_UUID, props.NOTIFY, gatt.Characteristic.READABLE, b""
        )
        self._control_char = gatt.Characteristic(
            rg.CONTROL_CHAR_UUID,
            props.WRITE,
            gatt.Characteristic.WRITEABLE,
            gatt.CharacteristicValue(write=self._on_control),
        )
        self._data_char.on(self._data_char.EVENT_SUBSCRIPTION, self._on_subscription)
        self._device.add_service(
            gatt.Service(rg.SERVICE_UUID, [self._config_char, self._data_char, self._control_char])
        )
        self._device.advertising_data = advertising_data(self.name, rg.SERVICE_UUID)
        self._device.scan_response_data = bytes(
            AdvertisingData([(AdvertisingData.COMPLETE_LOCAL_NAME, self.name.encode("ascii"))])
        )
        self._device.on(self._device.EVENT_CONNECTION, self._on_connection)

    def _on_control(self, _connection: Connection, value: bytes) -> None:
        try:
            cmd = rg.decode_control(value)
        except rg.ControlError:
            raise att.ATT_Error(rg.CONTROL_ERR_UNKNOWN_OP) from None
        if cmd.op == rg.ControlOp.STOP:
            self._stop_stream()
        elif cmd.op == rg.ControlOp.START:
            if self._connection is not None and self._stream_task is None:
                self._start_stream(self._connection)
        elif cmd.op == rg.ControlOp.SET_RATE and self._stream_task is not None:
            raise att.ATT_Error(rg.CONTROL_ERR_BUSY)
        # SET_RATE while stopped: the simulated IMU has one rate, the nearest is the one it has.

    def _on_connection(self, connection: Connection) -> None:
        self._connection = connection
        connection.on(connection.EVENT_DISCONNECTION, lambda reason: self._on_disconnection(connection))

    def _on_disconnection(self, connection: Connection) -> None:
        if self._connection is connection:
            self._connection = None
        self._stop_stream()
        if not self._link_dropped_now:
            self._adv_task = asyncio.get_running_loop().create_task(self._advertise())

    def _on_subscription(self, connection: Connection, notify: bool, _indicate: bool) -> None:
        if notify:
            self.log.subscriptions += 1
            self._stop_stream()
            self._start_stream(connection)
        else:
            self._stop_stream()

    # -- life cycle ----------------------------------------------------------------------------------

    async def start(self) -> None:
        """Power on and advertise; the recording's clock starts now."""
        await self._device.power_on()
        self._start_host = self._clock()
        await self._advertise()

    async def _advertise(self) -> None:
        async with self._adv_lock:  # a disconnection and stop() may both touch advertising
            if self._stopped:
                return
            await self._device.start_advertising(
                auto_restart=False,
                advertising_interval_min=self.advertising_interval_ms,
                advertising_interval_max=self.advertising_interval_ms,
            )

    async def stop(self) -> None:
        """Stop streaming, drop any connection, stop advertising."""
        self._stopped = True
        self._stop_stream()
        if self._connection is not None:
            try:
                await self._connection.disconnect()
            except Exception as e:  # already going
                log.debug("sim disconnect: %s", e)
        for task in (self._link_task, self._adv_task):
            if task is not None and not task.done():
                task.cancel()
        async with self._adv_lock:
            try:
                await self._device.stop_advertising()
            except Exception as e:  # Bumble forgets sets that ended with a connection
                log.debug("sim stop advertising: %s", e)

    def sample_host_time(self, index: int) -> float:
        """Host time at which sample `index` is taken (start time + recording time / speed)."""
        assert self._start_host is not None
        return self._start_host + float(self._rel[index]) / self.speed

    # -- streaming -----------------------------------------------------------------------------------

    def _start_stream(self, connection: Connection) -> None:
        self._stream_task = asyncio.get_running_loop().create_task(self._stream(connection))

    def _stop_stream(self) -> None:
        task, self._stream_task = self._stream_task, None
        if task is not None and task is not asyncio.current_task():
            task.cancel()

    def _fate(self, index: int) -> str:
        f, rnd = self.faults, self._rng.random
        if index in f.drop_frames or (f.drop_prob and rnd() < f.drop_prob):
            return "dropped"
        if index in f.corrupt_frames or (f.corrupt_prob and rnd() < f.corrupt_prob):
            return "corrupted"
        if index in f.duplicate_frames or (f.duplicate_prob and rnd() < f.duplicate_prob):
            return "duplicated"
        if index in f.reorder_frames or (f.reorder_prob and rnd() < f.reorder_prob):
            return "reordered"
        return "sent"

    def _corrupt(self, frame: bytes) -> bytes:
        kind = self._rng.randrange(3)
        if kind == 0:
            return frame[:-1]  # truncated: length no longer 8 + 12 N
        if kind == 1:
            return bytes([rg.FRAME_VERSION + 1]) + frame[1:]  # unknown version
        return frame[:7] + bytes([(frame[7] + 1) % 256]) + frame[8:]  # sample count does not match

    async def _notify(self, value: bytes) -> None:
        await self._device.notify_subscribers(self._data_char, value)
        self.log.sent.append(value)

    async def _stream(self, connection: Connection) -> None:
        segment = self.log.subscriptions - 1
        total = len(self._rel)
        assert self._start_host is not None
        start = self._start_host
        pos = int(np.searchsorted(self._rel, (self._clock() - start) * self.speed))
        seq = 0
        held: bytes | None = None  # a frame held back to be sent after the next one
        held_record: FrameRecord | None = None
        try:
            while pos < total:
                per_frame = rg.samples_per_frame(connection.att_mtu)
                end = min(pos + per_frame, total)
                flush_at = self._rel[pos] + FLUSH_AGE_S
                if self._rel[end - 1] > flush_at:
                    end = int(np.searchsorted(self._rel, flush_at, side="right"))
                send_at = start + min(self._rel[end - 1], flush_at) / self.speed
                delay = send_at - self._clock()
                if delay > 0:
                    await asyncio.sleep(delay)
                drop_at = self.faults.link_drop_at_s
                if drop_at is not None and not self._link_dropped and self._rel[pos] >= drop_at:
                    if held is not None and held_record is not None:
                        held_record.fate = "sent"  # nothing overtook it
                        await self._notify(held)
                    # Its own task: the disconnection cancels this stream task.
                    self._link_task = asyncio.get_running_loop().create_task(self._drop_link(connection))
                    return
                frame = rg.encode_frame(seq, int(self.sensor_us[pos]), self.counts[pos:end])
                fate = self._fate(self._frame_index)
                if fate == "reordered" and held is not None:
                    fate = "sent"  # one frame is already held back: this one goes ahead of it anyway
                record = FrameRecord(self._frame_index, segment, seq, pos, end - pos, fate)
                self.log.frames.append(record)
                self._frame_index += 1
                seq = (seq + 1) % rg.SEQ_MODULUS
                pos = end
                if fate == "dropped":
                    continue
                if fate == "corrupted":
                    frame = self._corrupt(frame)
                if fate == "reordered" and held is None:
                    held, held_record = frame, record
                    continue
                await self._notify(frame)
                if fate == "duplicated":
                    await self._notify(frame)
                if held is not None:
                    await self._notify(held)
                    held = None
            if held is not None and held_record is not None:
                held_record.fate = "sent"  # the last frame: nothing overtook it
                await self._notify(held)
            self.finished.set()
        except asyncio.CancelledError:
            raise
        except Exception as e:  # the link went away mid-notification: the next subscription restarts
            log.debug("sim stream ended: %s", e)

    async def _drop_link(self, connection: Connection) -> None:
        """The peripheral drops the link (as on a supervision timeout) and stays silent for a while."""
        self._link_dropped = True
        self._link_dropped_now = True
        self.log.link_drops += 1
        try:
            await connection.disconnect()
        except Exception as e:
            log.debug("sim link drop: %s", e)
        await asyncio.sleep(self.faults.silent_after_drop_s / self.speed)
        self._link_dropped_now = False
        await self._advertise()
