"""A simulated Polar Verity Sense: a GATT server on Bumble's virtual radio that speaks Polar's PMD.

It advertises as "Polar Sense <id>" with the PMD service. Its control point answers start and stop
requests for ACC and GYRO the way the sensor does (a response by indication, with the FACTOR setting
that scales the compressed samples), and once both streams are started it plays a `Recording` at the
requested rate as delta-compressed ACC (milli-g, frame type 1) and GYRO (deg/s, frame type 0) frames,
each stamped with its last sample's time in ns since 2000-01-01, in real time or `speed` times faster.
Only what the live client uses is simulated: one connection, no SDK mode, no offline recording, no
features read.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

import numpy as np
from bumble import gatt
from bumble.device import Connection

from sensor.ble.bumble_backend import VirtualRadio
from sensor.ble.simulated import advertising_data
from sensor.protocols import polar_pmd as pmd
from sensor.protocols.common import DEG_TO_RAD
from sensor.recording import Recording

log = logging.getLogger(__name__)

ACC_FACTOR = 8000.0 / 32768  # milli-g per count at the 8 g range
GYRO_FACTOR = 2000.0 / 32768  # deg/s per count at 2000 deg/s
FRAME_SAMPLES = 18  # samples per frame: about a third of a second at 52 Hz
# 2026-01-01T00:00:00Z on the sensor's clock (ns since 2000-01-01), where the recording starts.
SENSOR_START_NS = 820_454_400 * 1_000_000_000


class SimulatedPolarSensor:
    """A Bumble peripheral on `radio` playing `recording` over Polar's PMD service."""

    def __init__(
        self,
        radio: VirtualRadio,
        recording: Recording,
        *,
        address: str = "A0:9E:1A:B5:A4:E8",
        speed: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if speed <= 0:
            raise ValueError("speed must be > 0")
        self.recording = recording
        self.speed = speed
        self.address = address.upper()
        self.name = "Polar Sense " + address.replace(":", "")[-8:].upper()
        # int16 counts, clipped at full scale as the IMU saturates.
        acc = np.rint(recording.acc / pmd.MILLI_G_TO_MPS2 / ACC_FACTOR)
        gyro = np.rint(np.degrees(recording.gyro) / GYRO_FACTOR)
        self.acc_counts = acc.clip(-32768, 32767).astype(np.int64)
        self.gyro_counts = gyro.clip(-32768, 32767).astype(np.int64)
        self._rel = recording.t - recording.t[0]
        self.started: set[int] = set()  # measurement types the client started
        self.requests: list[bytes] = []  # every control point write, in order
        self.frames_sent = 0
        self.first_sample: int | None = None
        self.finished = asyncio.Event()  # every sample of the recording has been played
        self._clock = clock
        self._start_host: float | None = None
        self._connection: Connection | None = None
        self._stream_task: asyncio.Task[None] | None = None
        self._answers: set[asyncio.Task[None]] = set()
        self._device, _ = radio.new_device(self.name, self.address)
        self._build_gatt()

    @staticmethod
    def acc_si(counts: np.ndarray) -> np.ndarray:
        """What the client decodes from ACC counts (m/s^2). Both factors are exact in float32."""
        return counts * ACC_FACTOR * pmd.MILLI_G_TO_MPS2

    @staticmethod
    def gyro_si(counts: np.ndarray) -> np.ndarray:
        """What the client decodes from GYRO counts (rad/s)."""
        return counts * GYRO_FACTOR * DEG_TO_RAD

    def _build_gatt(self) -> None:
        props = gatt.Characteristic.Properties
        # The sensor's control point is readable too (the measurements it offers); the client
        # never reads it, so that is not simulated.
        self._control = gatt.Characteristic(
            pmd.PMD_CONTROL_POINT_UUID,
            props.WRITE | props.INDICATE,
            gatt.Characteristic.WRITEABLE,
            gatt.CharacteristicValue(write=self._on_control),
        )
        self._data = gatt.Characteristic(pmd.PMD_DATA_UUID, props.NOTIFY, gatt.Characteristic.READABLE, b"")
        self._device.add_service(gatt.Service(pmd.PMD_SERVICE_UUID, [self._control, self._data]))
        self._device.advertising_data = advertising_data(self.name, pmd.PMD_SERVICE_UUID)
        self._device.on(self._device.EVENT_CONNECTION, self._on_connection)

    # -- control point -------------------------------------------------------------------------------

    def _on_control(self, connection: Connection, value: bytes) -> None:
        value = bytes(value)
        self.requests.append(value)
        op = value[0] if value else 0
        mtype = value[1] if len(value) >= 2 else 0
        params = b""
        if len(value) < 2 or mtype not in (pmd.MeasurementType.ACC, pmd.MeasurementType.GYRO):
            status = pmd.ResponseStatus.ERROR_INVALID_MEASUREMENT_TYPE
        elif op == pmd.ControlPointOp.REQUEST_MEASUREMENT_START:
            status = self._start(mtype, value[2:])
            factor = ACC_FACTOR if mtype == pmd.MeasurementType.ACC else GYRO_FACTOR
            params = pmd.encode_factor_setting(factor) if status == pmd.ResponseStatus.SUCCESS else b""
        elif op == pmd.ControlPointOp.STOP_MEASUREMENT:
            self.started.discard(mtype)
            self._stop_stream()
            status = pmd.ResponseStatus.SUCCESS
        else:
            status = pmd.ResponseStatus.ERROR_INVALID_OP_CODE
        response = pmd.encode_control_response(op, mtype, status, params)
        # The answer goes out after the write has been acknowledged, as on the sensor. (The task is
        # kept: the loop holds only a weak reference to it.)
        task = asyncio.get_running_loop().create_task(self._indicate(connection, response))
        self._answers.add(task)
        task.add_done_callback(self._answers.discard)

    def _start(self, mtype: int, settings: bytes) -> int:
        try:
            rate = pmd.parse_settings(settings).get(pmd.SettingType.SAMPLE_RATE, [0])[0]
        except pmd.PmdError:
            return pmd.ResponseStatus.ERROR_INVALID_PARAMETER
        nominal = self.recording.meta.nominal_rate_hz or self.recording.measured_rate_hz
        if round(rate) != round(nominal):
            return pmd.ResponseStatus.ERROR_INVALID_SAMPLE_RATE
        if mtype in self.started:
            return pmd.ResponseStatus.ERROR_ALREADY_IN_STATE
        self.started.add(mtype)
        if self.started == {pmd.MeasurementType.ACC, pmd.MeasurementType.GYRO} and self._connection:
            self._stream_task = asyncio.get_running_loop().create_task(self._stream())
        return pmd.ResponseStatus.SUCCESS

    async def _indicate(self, connection: Connection, value: bytes) -> None:
        try:
            await self._device.indicate_subscriber(connection, self._control, value)
        except Exception as e:  # the link went away
            log.debug("polar sim indicate: %s", e)

    # -- life cycle ----------------------------------------------------------------------------------

    def _on_connection(self, connection: Connection) -> None:
        self._connection = connection
        connection.on(connection.EVENT_DISCONNECTION, lambda _reason: self._on_disconnection())

    def _on_disconnection(self) -> None:
        self._connection = None
        self.started.clear()
        self._stop_stream()

    async def start(self) -> None:
        """Power on and advertise; the recording's clock starts now."""
        await self._device.power_on()
        self._start_host = self._clock()
        await self._device.start_advertising(
            auto_restart=True, advertising_interval_min=20.0, advertising_interval_max=20.0
        )

    async def stop(self) -> None:
        self._stop_stream()
        if self._connection is not None:
            try:
                await self._connection.disconnect()
            except Exception as e:
                log.debug("polar sim disconnect: %s", e)
        try:
            await self._device.stop_advertising()
        except Exception as e:
            log.debug("polar sim stop advertising: %s", e)

    def _stop_stream(self) -> None:
        task, self._stream_task = self._stream_task, None
        if task is not None and task is not asyncio.current_task():
            task.cancel()

    # -- streaming -----------------------------------------------------------------------------------

    async def _stream(self) -> None:
        """ACC and GYRO frames of FRAME_SAMPLES samples each, sent as their last sample is taken."""
        assert self._start_host is not None
        rel, total = self._rel, len(self._rel)
        pos = int(np.searchsorted(rel, (self._clock() - self._start_host) * self.speed))
        self.first_sample = pos  # the samples before the streams were started are never sent
        try:
            while pos < total:
                end = min(pos + FRAME_SAMPLES, total)
                delay = self._start_host + rel[end - 1] / self.speed - self._clock()
                if delay > 0:
                    await asyncio.sleep(delay)
                stamp = SENSOR_START_NS + int(round(rel[end - 1] * 1e9))
                for mtype, counts, frame_type in (
                    (pmd.MeasurementType.ACC, self.acc_counts, 1),
                    (pmd.MeasurementType.GYRO, self.gyro_counts, 0),
                ):
                    frame = pmd.encode_delta_frame(mtype, frame_type, stamp, counts[pos:end])
                    await self._device.notify_subscribers(self._data, frame)
                self.frames_sent += 1
                pos = end
            self.finished.set()
        except asyncio.CancelledError:
            raise
        except Exception as e:  # the link went away mid-notification
            log.debug("polar sim stream ended: %s", e)
