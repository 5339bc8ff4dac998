"""A simulated wrist sensor as a BlueZ GATT peripheral: a dbus-fast application registered with
GattManager1 and LEAdvertisingManager1 on its own adapter, speaking the repcount GATT protocol.

It plays a `Recording` like `sensor.ble.simulated.SimulatedWristSensor` does on Bumble (same config,
same quantisation, same frame building, a clock that starts 3 s before the u32 wrap, a frame per MTU
or per 100 ms), but through BlueZ's D-Bus API, so bleak's real BlueZ backend is what reads it.
No annotations future-import here: dbus-fast reads D-Bus signatures from the annotations.
"""

import asyncio
import contextlib
import logging
import os
import socket
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from dbus_fast import BusType, Message, MessageType, Variant
from dbus_fast.aio import MessageBus
from dbus_fast.service import PropertyAccess, ServiceInterface, dbus_property, method

from sensor.ble.simulated import FLUSH_AGE_S, sensor_name, simulated_config
from sensor.protocols import repcount_gatt as rg
from sensor.recording import Recording

log = logging.getLogger(__name__)

APP_PATH = "/org/repcount/wrist"
SERVICE_PATH = f"{APP_PATH}/service0"
ADV_PATH = f"{APP_PATH}/adv0"
MTU = 247  # what the reference firmware asks for


@dataclass
class PeripheralLog:
    sent: list[bytes] = field(default_factory=list)  # every notification, in order
    first_samples: list[int] = field(default_factory=list)  # recording index of each sent frame's sample 0
    subscriptions: int = 0
    confirms: int = 0  # Confirm() calls from BlueZ, one per notification delivered
    config_reads: int = 0
    link_drops: int = 0


class Service(ServiceInterface):
    def __init__(self) -> None:
        super().__init__("org.bluez.GattService1")

    @dbus_property(access=PropertyAccess.READ)
    def UUID(self) -> "s":  # noqa: F821, N802
        return rg.SERVICE_UUID

    @dbus_property(access=PropertyAccess.READ)
    def Primary(self) -> "b":  # noqa: F821, N802
        return True


class Characteristic(ServiceInterface):
    """One GATT characteristic; notifications are `Value` PropertiesChanged, which BlueZ confirms."""

    def __init__(self, sensor: "BluezWristSensor", index: int, uuid: str, flags: list[str]) -> None:
        super().__init__("org.bluez.GattCharacteristic1")
        self.sensor = sensor
        self.path = f"{SERVICE_PATH}/char{index}"
        self._uuid = uuid
        self._flags = flags
        self._value = b""
        self._notifying = False

    @dbus_property(access=PropertyAccess.READ)
    def UUID(self) -> "s":  # noqa: F821, N802
        return self._uuid

    @dbus_property(access=PropertyAccess.READ)
    def Service(self) -> "o":  # noqa: F821, N802
        return SERVICE_PATH

    @dbus_property(access=PropertyAccess.READ)
    def Flags(self) -> "as":  # noqa: F722, N802
        return self._flags

    @dbus_property(access=PropertyAccess.READ)
    def Value(self) -> "ay":  # noqa: F821, N802
        return self._value

    @dbus_property(access=PropertyAccess.READ)
    def Notifying(self) -> "b":  # noqa: F821, N802
        return self._notifying

    @dbus_property(access=PropertyAccess.READ)
    def MTU(self) -> "q":  # noqa: F821, N802
        return MTU

    @method()
    def ReadValue(self, options: "a{sv}") -> "ay":  # noqa: F722, F821, N802
        return self.sensor.on_read(self._uuid)

    @method()
    def WriteValue(self, value: "ay", options: "a{sv}") -> None:  # noqa: F722, F821, N802
        self.sensor.on_write(self._uuid, bytes(value))

    @method()
    def StartNotify(self) -> None:  # noqa: N802
        self._notifying = True
        self.emit_properties_changed({"Notifying": True})
        self.sensor.on_subscribe(True)

    @method()
    def StopNotify(self) -> None:  # noqa: N802
        self._notifying = False
        self.emit_properties_changed({"Notifying": False})
        self.sensor.on_subscribe(False)

    @method()
    def Confirm(self) -> None:  # noqa: N802
        self.sensor.log.confirms += 1

    @method()
    def AcquireNotify(self, options: "a{sv}") -> "hq":  # noqa: F722, F821, N802
        # bleak calls this once only to learn the MTU, and closes the fd; frames go through Value.
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        ours.close()
        fd = theirs.detach()
        asyncio.get_running_loop().call_later(1.0, os.close, fd)  # after the reply has carried it
        return [fd, MTU]

    def unsubscribe(self) -> None:
        """A disconnection clears the client's subscription (its CCCD), as on a real peripheral."""
        if self._notifying:
            self._notifying = False
            self.emit_properties_changed({"Notifying": False})

    def notify(self, value: bytes) -> None:
        self._value = value
        self.emit_properties_changed({"Value": value})


class Advertisement(ServiceInterface):
    def __init__(self, name: str) -> None:
        super().__init__("org.bluez.LEAdvertisement1")
        self._name = name

    @dbus_property(access=PropertyAccess.READ)
    def Type(self) -> "s":  # noqa: F821, N802
        return "peripheral"

    @dbus_property(access=PropertyAccess.READ)
    def ServiceUUIDs(self) -> "as":  # noqa: F722, N802
        return [rg.SERVICE_UUID]

    @dbus_property(access=PropertyAccess.READ)
    def LocalName(self) -> "s":  # noqa: F821, N802
        return self._name

    @dbus_property(access=PropertyAccess.READ)
    def Discoverable(self) -> "b":  # noqa: F821, N802
        return True

    @method()
    def Release(self) -> None:  # noqa: N802
        pass


class Agent(ServiceInterface):
    """A NoInputNoOutput agent: accepts whatever BlueZ asks (no pairing is needed by the protocol)."""

    def __init__(self) -> None:
        super().__init__("org.bluez.Agent1")

    @method()
    def Release(self) -> None:  # noqa: N802
        pass

    @method()
    def RequestConfirmation(self, device: "o", passkey: "u") -> None:  # noqa: F821, N802
        pass

    @method()
    def RequestAuthorization(self, device: "o") -> None:  # noqa: F821, N802
        pass

    @method()
    def AuthorizeService(self, device: "o", uuid: "s") -> None:  # noqa: F821, N802
        pass

    @method()
    def Cancel(self) -> None:  # noqa: N802
        pass


class BluezWristSensor:
    """Plays `recording` over the repcount GATT protocol from `adapter`, `speed` times real time."""

    def __init__(
        self,
        recording: Recording,
        *,
        adapter: str,
        address: str,
        board: str = "SIM",
        speed: float = 1.0,
        acc_range_g: int = 16,
        gyro_range_dps: int = 2000,
        t0_offset_us: int = rg.T0_MODULUS - 3_000_000,
    ) -> None:
        self.adapter_path = f"/org/bluez/{adapter}"
        self.name = sensor_name(board, address)
        self.speed = speed
        self.config = simulated_config(recording, acc_range_g, gyro_range_dps)
        self.counts = rg.quantize(recording.acc, recording.gyro, self.config)
        self.rel = recording.t - recording.t[0]
        self.sensor_us = t0_offset_us + np.round(self.rel * 1e6).astype(np.int64)
        self.log = PeripheralLog()
        self.finished = asyncio.Event()
        self.bus: MessageBus | None = None
        self._start_host = 0.0
        self._stream_task: asyncio.Task[None] | None = None
        self._service = Service()
        self._config_char = Characteristic(self, 0, rg.CONFIG_CHAR_UUID, ["read"])
        self._data_char = Characteristic(self, 1, rg.DATA_CHAR_UUID, ["notify"])
        self._advertisement = Advertisement(self.name)
        self._agent = Agent()
        self._app_registered = False
        self._advertising = False

    # -- D-Bus -----------------------------------------------------------------------------------------

    async def call(self, path: str, interface: str, member: str, signature: str = "", body: Any = ()) -> Any:
        assert self.bus is not None
        reply = await self.bus.call(
            Message(
                destination="org.bluez",
                path=path,
                interface=interface,
                member=member,
                signature=signature,
                body=list(body),
            )
        )
        assert reply is not None
        if reply.message_type == MessageType.ERROR:
            raise RuntimeError(f"{interface}.{member} on {path}: {reply.error_name} {reply.body}")
        return reply.body

    async def start(self) -> None:
        """Connect to the bus, register agent, GATT application and advertisement; the clock starts."""
        self.bus = await MessageBus(bus_type=BusType.SYSTEM, negotiate_unix_fd=True).connect()
        agent = f"{APP_PATH}/agent"
        self.bus.export(agent, self._agent)
        manager = "org.bluez.AgentManager1"
        await self.call("/org/bluez", manager, "RegisterAgent", "os", [agent, "NoInputNoOutput"])
        self.bus.export(SERVICE_PATH, self._service)
        for char in (self._config_char, self._data_char):
            self.bus.export(char.path, char)
        self.bus.export(ADV_PATH, self._advertisement)
        await self.register_application()
        self._start_host = time.monotonic()
        await self.advertise(True)

    async def register_application(self) -> None:
        manager = "org.bluez.GattManager1"
        if self._app_registered:
            await self.call(self.adapter_path, manager, "UnregisterApplication", "o", [APP_PATH])
        await self.call(self.adapter_path, manager, "RegisterApplication", "oa{sv}", [APP_PATH, {}])
        self._app_registered = True

    async def advertise(self, on: bool) -> None:
        if on == self._advertising:
            return
        manager = "org.bluez.LEAdvertisingManager1"
        if on:
            await self.call(self.adapter_path, manager, "RegisterAdvertisement", "oa{sv}", [ADV_PATH, {}])
        else:
            await self.call(self.adapter_path, manager, "UnregisterAdvertisement", "o", [ADV_PATH])
        self._advertising = on

    async def stop(self) -> None:
        self._stop_stream()
        if self.bus is not None:
            with contextlib.suppress(Exception):
                await self.advertise(False)
            self.bus.disconnect()
            self.bus = None

    async def device_property(self, device_path: str, name: str) -> Any:
        (value,) = await self.call(
            device_path, "org.freedesktop.DBus.Properties", "Get", "ss", ["org.bluez.Device1", name]
        )
        return value.value if isinstance(value, Variant) else value

    async def drop_link(self, central_path: str) -> None:
        """The peripheral drops the link, as on a supervision timeout, and goes silent (no advertising)."""
        self.log.link_drops += 1
        self._stop_stream()
        self._data_char.unsubscribe()
        await self.advertise(False)
        await self.call(central_path, "org.bluez.Device1", "Disconnect")

    # -- GATT callbacks --------------------------------------------------------------------------------

    def on_read(self, uuid: str) -> bytes:
        if uuid == rg.CONFIG_CHAR_UUID:
            self.log.config_reads += 1
            return rg.encode_config(self.config)
        return b""

    def on_write(self, uuid: str, value: bytes) -> None:
        log.debug("write %s %s ignored", uuid, value.hex())

    def on_subscribe(self, on: bool) -> None:
        self._stop_stream()
        if on:
            self.log.subscriptions += 1
            self._stream_task = asyncio.get_running_loop().create_task(self._stream())

    def _stop_stream(self) -> None:
        task, self._stream_task = self._stream_task, None
        if task is not None and task is not asyncio.current_task():
            task.cancel()

    # -- streaming (as SimulatedWristSensor._stream, without the fault injection) ----------------------

    async def _stream(self) -> None:
        total, start = len(self.rel), self._start_host
        pos = int(np.searchsorted(self.rel, (time.monotonic() - start) * self.speed))
        seq, per_frame = 0, rg.samples_per_frame(MTU)
        while pos < total:
            end = min(pos + per_frame, total)
            flush_at = self.rel[pos] + FLUSH_AGE_S
            if self.rel[end - 1] > flush_at:
                end = int(np.searchsorted(self.rel, flush_at, side="right"))
            delay = start + min(self.rel[end - 1], flush_at) / self.speed - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            frame = rg.encode_frame(seq, int(self.sensor_us[pos]), self.counts[pos:end])
            self._data_char.notify(frame)
            self.log.sent.append(frame)
            self.log.first_samples.append(pos)
            seq = (seq + 1) % rg.SEQ_MODULUS
            pos = end
        self.finished.set()
