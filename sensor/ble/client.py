"""`LiveSensor`: stream a BLE wrist sensor into a timeline and a recording, through link drops.

    sensors = await scan_sensors(timeout=5.0)            # supported sensors, strongest first
    async with LiveSensor(sensors[0], record_path="session.csv") as live:
        async for event in live.events():
            match event:
                case Samples(batch=batch): ...           # t_s, acc, gyro, gap_before
                case LinkLost() | Reconnected() | Connected(): ...
                case Stopped(): break

Built on bleak, so it runs on Linux (BlueZ), macOS and Windows, or on any backend class given as
`backend=` (tests use `sensor.ble.bumble_backend`). The first connection fails fast with
`SensorNotFoundError` / `SensorConnectError`; once streaming, a lost link is retried with backoff through
bleak-retry-connector's `establish_connection`, and samples continue on the same timeline and in the
same file, the first one after the hole marked as a gap. Malformed notifications are counted and
skipped; nothing a sensor sends can stop the stream.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections import deque
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from bleak import BleakClient, BleakScanner
from bleak.backends.client import BaseBleakClient
from bleak.backends.device import BLEDevice
from bleak.backends.scanner import AdvertisementData, BaseBleakScanner
from bleak_retry_connector import establish_connection

from sensor.ble.profiles import PROFILES, SensorProfile, StreamInfo, profile_for
from sensor.live.recorder import CsvRecorder
from sensor.live.timeline import SampleBatch, Timeline
from sensor.protocols.common import ProtocolError

log = logging.getLogger(__name__)

_ADDRESS = re.compile(r"^([0-9A-Fa-f]{2}:){5}[0-9A-Fa-f]{2}$|^[0-9A-Fa-f-]{36}$")  # MAC, or a macOS UUID


class SensorNotFoundError(LookupError):
    """No supported sensor matching the request was heard advertising."""


class SensorConnectError(ConnectionError):
    """The sensor was found but the connection or its setup failed."""


@dataclass(frozen=True)
class FoundSensor:
    device: BLEDevice
    name: str
    address: str
    rssi: int
    profile: str  # `SensorProfile.name` that reads it

    def new_profile(self) -> SensorProfile:
        return next(cls() for cls in PROFILES if cls.name == self.profile)


def _supported(device: BLEDevice, adv: AdvertisementData) -> FoundSensor | None:
    profile = profile_for(adv.local_name or device.name, adv.service_uuids)
    if profile is None:
        return None
    name = adv.local_name or device.name or device.address
    return FoundSensor(device, name, device.address, adv.rssi, profile.name)


async def scan_sensors(
    timeout: float = 5.0, *, backend: type[BaseBleakScanner] | None = None, **scanner_kwargs: Any
) -> list[FoundSensor]:
    """Supported sensors heard within `timeout` (by advertised service UUID or name), strongest first.
    `scanner_kwargs` go to `BleakScanner` (e.g. `bluez={"adapter": "hci1"}`)."""
    found = await BleakScanner.discover(timeout, return_adv=True, backend=backend, **scanner_kwargs)
    sensors = [s for device, adv in found.values() if (s := _supported(device, adv)) is not None]
    return sorted(sensors, key=lambda s: -s.rssi)


async def find_sensor(
    name_or_address: str | None = None,
    timeout: float = 5.0,
    *,
    backend: type[BaseBleakScanner] | None = None,
    **scanner_kwargs: Any,
) -> FoundSensor:
    """The first supported sensor with this address or name (any supported one for None); raises
    `SensorNotFoundError` after `timeout` seconds without one."""
    want = (name_or_address or "").strip()
    is_address = bool(_ADDRESS.match(want))
    hit: asyncio.Future[FoundSensor] = asyncio.get_running_loop().create_future()

    def on_adv(device: BLEDevice, adv: AdvertisementData) -> None:
        sensor = _supported(device, adv)
        if sensor is None or hit.done():
            return
        if not want or (is_address and sensor.address.upper() == want.upper()) or sensor.name == want:
            hit.set_result(sensor)

    scanner = BleakScanner(on_adv, backend=backend, **scanner_kwargs)
    await scanner.start()
    try:
        return await asyncio.wait_for(hit, timeout)
    except asyncio.TimeoutError:
        what = f"sensor {want!r}" if want else "supported sensor"
        raise SensorNotFoundError(
            f"no {what} heard advertising within {timeout:g} s: is it switched on, in range and not "
            "connected to another phone or laptop?"
        ) from None
    finally:
        await scanner.stop()


@dataclass(frozen=True)
class LiveStats:
    frames: int = 0  # notifications received
    bad_frames: int = 0  # malformed: counted and skipped
    lost_frames: int = 0  # by sequence number
    duplicates: int = 0
    late: int = 0
    reordered: int = 0
    samples: int = 0  # on the timeline
    gaps: int = 0
    link_losses: int = 0
    reconnects: int = 0
    rate_hz: float = 0.0  # samples per second of timeline over the last few seconds
    skew_ppm: float = 0.0  # sensor clock rate error as fitted
    connected: bool = False


@dataclass(frozen=True)
class Connected:
    name: str
    address: str
    info: StreamInfo
    mtu: int
    start_utc: datetime | None
    stats: LiveStats


@dataclass(frozen=True)
class Samples:
    batch: SampleBatch
    stats: LiveStats


@dataclass(frozen=True)
class LinkLost:
    reason: str
    stats: LiveStats


@dataclass(frozen=True)
class Reconnected:
    attempts: int
    downtime_s: float
    stats: LiveStats


@dataclass(frozen=True)
class Stopped:
    reason: str
    stats: LiveStats


SensorEvent = Connected | Samples | LinkLost | Reconnected | Stopped


class LiveSensor:
    """One sensor, one timeline, one optional recording. See the module docstring for the flow.

    `clock` is the host arrival clock the timeline fits to (seconds, monotonic); a test that plays a
    session faster than real time passes a clock scaled by the same factor.
    """

    def __init__(
        self,
        target: FoundSensor | BLEDevice | str | None = None,
        *,
        profile: SensorProfile | None = None,
        backend: type[BaseBleakClient] | None = None,
        scanner_backend: type[BaseBleakScanner] | None = None,
        record_path: str | Path | None = None,
        timeline: Timeline | None = None,
        scan_timeout_s: float = 5.0,
        connect_timeout_s: float = 10.0,
        reconnect: bool = True,
        reconnect_timeout_s: float | None = None,
        backoff_s: tuple[float, float] = (0.5, 5.0),
        clock: Callable[[], float] = time.monotonic,
        on_event: Callable[[SensorEvent], None] | None = None,
        client_kwargs: dict[str, Any] | None = None,
    ) -> None:
        self.target = target
        self.profile = profile
        self.backend = backend
        self.scanner_backend = scanner_backend
        self.record_path = Path(record_path) if record_path is not None else None
        self.timeline = timeline or Timeline()
        self.scan_timeout_s = scan_timeout_s
        self.connect_timeout_s = connect_timeout_s
        self.reconnect = reconnect
        self.reconnect_timeout_s = reconnect_timeout_s
        self.backoff_s = backoff_s
        self.on_event = on_event
        self.client_kwargs = dict(client_kwargs or {})
        self.recorder: CsvRecorder | None = None
        self.info: StreamInfo | None = None
        self.device: BLEDevice | None = None
        self.name = ""
        self._clock = clock
        self._mono0, self._wall0 = clock(), datetime.now(timezone.utc)
        self._client: BleakClient | None = None
        self._queue: asyncio.Queue[SensorEvent] = asyncio.Queue()
        self._stats = LiveStats()
        self._rate_window: deque[tuple[float, int]] = deque()
        self._stopping = False
        self._stopped = False
        self._reconnect_task: asyncio.Task[None] | None = None
        self._poll_task: asyncio.Task[None] | None = None

    # -- public --------------------------------------------------------------------------------------

    @property
    def stats(self) -> LiveStats:
        t = self.timeline.stats
        return replace(
            self._stats,
            lost_frames=t.lost_frames,
            duplicates=t.duplicates,
            late=t.late,
            reordered=t.reordered,
            samples=t.samples,
            gaps=t.gaps,
            skew_ppm=t.skew_ppm,
            rate_hz=self._rate(),
        )

    @property
    def start_utc(self) -> datetime | None:
        """UTC time of t_s = 0 (set by the first sample)."""
        if self.timeline.start_host_s is None:
            return None
        return self._wall0 + timedelta(seconds=self.timeline.start_host_s - self._mono0)

    async def start(self) -> None:
        """Find the sensor, connect, read its description and start streaming. Fails fast."""
        await self._resolve_target()
        assert self.device is not None
        client = BleakClient(
            self.device,
            disconnected_callback=self._on_disconnected,
            backend=self.backend,
            timeout=self.connect_timeout_s,
            **self.client_kwargs,
        )
        try:
            await asyncio.wait_for(client.connect(), self.connect_timeout_s)
        except Exception as e:
            raise SensorConnectError(f"could not connect to {self.name} ({self.device.address}): {e}") from e
        try:
            await self._setup(client)
        except Exception as e:
            await self._safe_disconnect(client)
            raise SensorConnectError(f"connected to {self.name} but could not start streaming: {e}") from e
        self._poll_task = asyncio.get_running_loop().create_task(self._poll())
        assert self.info is not None
        info, mtu = self.info, client.mtu_size
        self._emit(Connected(self.name, self.device.address, info, mtu, self.start_utc, self.stats))

    async def stop(self, reason: str = "stopped") -> None:
        """Stop streaming, disconnect, close the recording; ends `events()`."""
        if self._stopped:
            return
        self._stopping = True
        for task in (self._reconnect_task, self._poll_task):
            if task is not None and task is not asyncio.current_task():
                task.cancel()
        self._deliver(self.timeline.flush())
        client, self._client = self._client, None
        if client is not None:
            if self.profile is not None and client.is_connected:
                try:
                    await asyncio.wait_for(self.profile.stop(client), 2.0)
                except Exception as e:  # stopping a sensor that is already gone is fine
                    log.debug("profile stop: %s", e)
            await self._safe_disconnect(client)
        if self.recorder is not None:
            self.recorder.close()
        self._stopped = True
        self._stats = replace(self._stats, connected=False)
        self._emit(Stopped(reason, self.stats))

    async def events(self) -> AsyncIterator[SensorEvent]:
        """Every event in order, ending with `Stopped`."""
        while True:
            event = await self._queue.get()
            yield event
            if isinstance(event, Stopped):
                return

    async def __aenter__(self) -> LiveSensor:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # -- connection ----------------------------------------------------------------------------------

    async def _resolve_target(self) -> None:
        target = self.target
        if isinstance(target, FoundSensor):
            self.device, self.name = target.device, target.name
            self.profile = self.profile or target.new_profile()
            return
        if isinstance(target, BLEDevice):
            self.device, self.name = target, target.name or target.address
            return
        found = await find_sensor(target, self.scan_timeout_s, backend=self.scanner_backend)
        self.device, self.name = found.device, found.name
        self.profile = self.profile or found.new_profile()

    async def _setup(self, client: BleakClient) -> None:
        """After every connection: pick the profile, read, (re)subscribe on a new timeline segment."""
        if self.profile is None:
            uuids = [s.uuid for s in client.services]
            self.profile = profile_for(self.name, uuids)
            if self.profile is None:
                raise SensorConnectError(f"{self.name} offers none of the supported sensor services")
        await self._ensure_mtu(client)
        self.info = await self.profile.prepare(client)
        self._deliver(self.timeline.new_segment())
        self._client = client
        await self.profile.start(client, self._on_notification)
        self._stats = replace(self._stats, connected=True)

    @staticmethod
    async def _ensure_mtu(client: BleakClient) -> None:
        # BlueZ negotiates the MTU itself but bleak reports 23 until asked; its documented workaround is
        # the backend's _acquire_mtu. Other backends report the negotiated value already.
        acquire = getattr(client._backend, "_acquire_mtu", None)  # noqa: SLF001
        if acquire is not None and client.mtu_size <= 23:
            try:
                await acquire()
            except Exception as e:
                log.debug("MTU query failed: %s", e)

    def _on_disconnected(self, client: BleakClient) -> None:
        if self._stopping or client is not self._client:
            return  # our own disconnect, or a client that was already replaced
        self._client = None
        self._deliver(self.timeline.flush())
        if self.recorder is not None:
            self.recorder.mark_gap()
        self._stats = replace(self._stats, connected=False, link_losses=self._stats.link_losses + 1)
        self._emit(LinkLost("the sensor dropped the link", self.stats))
        if self.reconnect:
            self._reconnect_task = asyncio.get_running_loop().create_task(self._reconnect_loop())
        else:
            asyncio.get_running_loop().create_task(self.stop("link lost"))

    async def _reconnect_loop(self) -> None:
        assert self.device is not None
        lost_at = self._clock()
        real_start = time.monotonic()
        delay, max_delay = self.backoff_s
        attempt = 0
        while not self._stopping:
            attempt += 1
            try:
                client = await establish_connection(
                    BleakClient,
                    self.device,
                    self.name,
                    disconnected_callback=self._on_disconnected,
                    max_attempts=2,
                    backend=self.backend,
                    **self.client_kwargs,
                )
            except asyncio.CancelledError:
                raise
            except Exception as e:
                log.info("%s: reconnect attempt %d failed: %s", self.name, attempt, e)
            else:
                try:
                    self._client = client  # before subscribing: a drop during setup must be seen
                    await self._setup(client)
                except asyncio.CancelledError:
                    raise
                except Exception as e:
                    log.info("%s: reconnected but setup failed: %s", self.name, e)
                    self._client = None
                    await self._safe_disconnect(client)
                else:
                    self._stats = replace(self._stats, reconnects=self._stats.reconnects + 1)
                    self._emit(Reconnected(attempt, self._clock() - lost_at, self.stats))
                    return
            if (
                self.reconnect_timeout_s is not None
                and time.monotonic() - real_start > self.reconnect_timeout_s
            ):
                await self.stop(f"link lost and not back within {self.reconnect_timeout_s:g} s")
                return
            await asyncio.sleep(delay)
            delay = min(delay * 2, max_delay)

    @staticmethod
    async def _safe_disconnect(client: BleakClient) -> None:
        try:
            await asyncio.wait_for(client.disconnect(), 5.0)
        except Exception as e:
            log.debug("disconnect: %s", e)

    # -- data ----------------------------------------------------------------------------------------

    def _on_notification(self, data: bytes) -> None:
        arrival = self._clock()
        self._stats = replace(self._stats, frames=self._stats.frames + 1)
        assert self.profile is not None
        try:
            frames = self.profile.decode(data)
            batches = [b for f in frames for b in self.timeline.push(f, arrival)]
        except (ProtocolError, ValueError) as e:
            self._stats = replace(self._stats, bad_frames=self._stats.bad_frames + 1)
            log.debug("%s: skipped a malformed notification: %s", self.name, e)
            return
        self._deliver(batches)

    def _deliver(self, batches: list[SampleBatch]) -> None:
        for batch in batches:
            if self.record_path is not None:
                if self.recorder is None:
                    self.recorder = CsvRecorder(
                        self.record_path,
                        self.start_utc or datetime.now(timezone.utc),
                        self.name,
                        self.info.rate_hz if self.info else 0.0,
                    )
                self.recorder.write(batch)
            self._rate_window.append((float(batch.t_s[-1]), len(batch)))
            self._emit(Samples(batch, self.stats))

    def _rate(self) -> float:
        win = self._rate_window
        while len(win) > 2 and win[-1][0] - win[0][0] > 3.0:
            win.popleft()
        if len(win) < 2 or win[-1][0] <= win[0][0]:
            return 0.0
        return sum(n for _, n in list(win)[1:]) / (win[-1][0] - win[0][0])

    async def _poll(self) -> None:
        # A frame held behind a missing one is released once it has waited long enough.
        while not self._stopping:
            await asyncio.sleep(0.05)
            self._deliver(self.timeline.poll(self._clock()))

    def _emit(self, event: SensorEvent) -> None:
        self._queue.put_nowait(event)
        if self.on_event is not None:
            try:
                self.on_event(event)
            except Exception:  # a display bug must not stop the recording
                log.exception("on_event callback failed")
