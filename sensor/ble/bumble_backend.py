"""A bleak backend over Bumble's virtual radio, so bleak's own `BleakScanner` / `BleakClient` reach
simulated peripherals on an in-process `LocalLink` (no Bluetooth hardware, no OS stack).

    radio = VirtualRadio()
    sensor = SimulatedWristSensor(radio, recording)       # a Bumble GATT server on the same link
    await sensor.start()
    found = await BleakScanner.discover(2.0, return_adv=True, backend=radio.scanner_backend)
    async with BleakClient(address, backend=radio.client_backend) as client: ...

The central is one more Bumble `Device` on the link, shared by every scanner and client of a radio. It
does what a laptop's stack does for the client: scan with advertisement data and RSSI, connect, request
ATT MTU 247 (without the exchange notifications are cut to 20 bytes), discover services, read, write,
notify, disconnect, and call the disconnected callback when the peripheral drops the link.

Two properties of Bumble's emulated controller are worked around here:
- a connection to an address that never advertises never completes and, once cancelled, leaves the
  controller refusing every later connection (its Create Connection Cancel is a no-op): `connect` only
  starts a connection to an address seen advertising within its timeout, enforces its own timeout, and
  clears the stuck request;
- it sends no scan responses of its own (it echoes the advertising data), so a simulated peripheral
  puts its name in the advertising data.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import Any, ClassVar

from bleak.backends.characteristic import BleakGATTCharacteristic
from bleak.backends.client import BaseBleakClient, NotifyCallback
from bleak.backends.descriptor import BleakGATTDescriptor
from bleak.backends.device import BLEDevice
from bleak.backends.scanner import AdvertisementData, AdvertisementDataCallback, BaseBleakScanner
from bleak.backends.service import BleakGATTService, BleakGATTServiceCollection
from bleak.exc import BleakDeviceNotFoundError, BleakError
from bleak.uuids import normalize_uuid_str
from bumble import att, gatt
from bumble.controller import Controller
from bumble.core import UUID, AdvertisingData
from bumble.device import Advertisement, Connection, Device, Peer
from bumble.hci import Address
from bumble.host import Host
from bumble.link import LocalLink
from bumble.transport.common import AsyncPipeSink

log = logging.getLogger(__name__)

DEFAULT_MTU = 247  # what the reference firmware asks for: 19 samples per notification
REQUEST_TIMEOUT_S = 10.0  # a GATT request the link never answers must not hang the client

_PROPERTY_NAMES = {
    gatt.Characteristic.Properties.BROADCAST: "broadcast",
    gatt.Characteristic.Properties.READ: "read",
    gatt.Characteristic.Properties.WRITE_WITHOUT_RESPONSE: "write-without-response",
    gatt.Characteristic.Properties.WRITE: "write",
    gatt.Characteristic.Properties.NOTIFY: "notify",
    gatt.Characteristic.Properties.INDICATE: "indicate",
    gatt.Characteristic.Properties.AUTHENTICATED_SIGNED_WRITES: "authenticated-signed-writes",
    gatt.Characteristic.Properties.EXTENDED_PROPERTIES: "extended-properties",
}


def _uuid_str(uuid: UUID) -> str:
    return normalize_uuid_str(uuid.to_hex_str("-"))


def _address_str(address: Address) -> str:
    return address.to_string(with_type_qualifier=False)


@dataclass
class SeenAdvertiser:
    address: Address
    advertisement: Advertisement
    when: float  # time.monotonic() of the last advertisement


class VirtualRadio:
    """One in-process radio: a `LocalLink`, the central Bumble device the bleak backends use, and the
    advertisers it has heard. Create it inside the event loop that will run it."""

    def __init__(self, central_address: str = "C0:00:00:00:00:01", requested_mtu: int = DEFAULT_MTU) -> None:
        self.link = LocalLink()
        self.requested_mtu = requested_mtu
        self._central_address = central_address
        self._central: Device | None = None
        self._central_controller: Controller | None = None
        self._power_lock = asyncio.Lock()
        self._scan_users = 0
        self._scan_lock = asyncio.Lock()
        self.seen: dict[str, SeenAdvertiser] = {}
        self._listeners: set[Any] = set()
        self.scanner_backend: type[BumbleScannerBackend] = type(
            "BumbleScanner", (BumbleScannerBackend,), {"radio": self}
        )
        self.client_backend: type[BumbleClientBackend] = type(
            "BumbleClient", (BumbleClientBackend,), {"radio": self}
        )

    def new_device(self, name: str, address: str) -> tuple[Device, Controller]:
        """A Bumble device with its own virtual controller on this link (for simulated peripherals)."""
        controller = Controller(name, link=self.link, public_address=address)
        device = Device(name=name, address=Address(address), host=Host(controller, AsyncPipeSink(controller)))
        return device, controller

    async def central(self) -> Device:
        async with self._power_lock:
            if self._central is None:
                device, controller = self.new_device("repcount-central", self._central_address)
                device.on(device.EVENT_ADVERTISEMENT, self._on_advertisement)
                await device.power_on()
                self._central, self._central_controller = device, controller
        return self._central

    def _on_advertisement(self, adv: Advertisement) -> None:
        key = _address_str(adv.address)
        self.seen[key] = SeenAdvertiser(adv.address, adv, time.monotonic())
        for listener in list(self._listeners):
            listener(adv)

    async def start_scan(self, listener: Any = None) -> None:
        central = await self.central()
        if listener is not None:
            self._listeners.add(listener)
        async with self._scan_lock:
            self._scan_users += 1
            if self._scan_users == 1 and not central.is_scanning:
                await central.start_scanning(filter_duplicates=False)

    async def stop_scan(self, listener: Any = None) -> None:
        self._listeners.discard(listener)
        async with self._scan_lock:
            self._scan_users = max(0, self._scan_users - 1)
            if self._scan_users == 0 and self._central is not None and self._central.is_scanning:
                await self._central.stop_scanning()

    async def wait_advertising(self, address: str, timeout: float) -> Address:
        """The address, once heard advertising within `timeout` (recently seen counts)."""
        key = address.upper()
        recent = self.seen.get(key)
        if recent is not None and time.monotonic() - recent.when < 0.5:
            return recent.address
        found: asyncio.Future[Address] = asyncio.get_running_loop().create_future()

        def listener(adv: Advertisement) -> None:
            if _address_str(adv.address) == key and not found.done():
                found.set_result(adv.address)

        await self.start_scan(listener)
        try:
            return await asyncio.wait_for(found, timeout)
        except asyncio.TimeoutError:
            raise BleakDeviceNotFoundError(
                address, f"device {address} was not found advertising within {timeout:g} s"
            ) from None
        finally:
            await self.stop_scan(listener)

    def clear_pending_connection(self) -> None:
        # The emulated controller ignores Create Connection Cancel; without this every later connect
        # fails with "command disallowed".
        if self._central_controller is not None:
            self._central_controller.pending_le_connection = None


def _advertisement_data(adv: Advertisement) -> tuple[str | None, AdvertisementData]:
    data = adv.data
    name = data.get(AdvertisingData.COMPLETE_LOCAL_NAME) or data.get(AdvertisingData.SHORTENED_LOCAL_NAME)
    uuids: list[str] = []
    for kind in (
        AdvertisingData.COMPLETE_LIST_OF_16_BIT_SERVICE_CLASS_UUIDS,
        AdvertisingData.INCOMPLETE_LIST_OF_16_BIT_SERVICE_CLASS_UUIDS,
        AdvertisingData.COMPLETE_LIST_OF_128_BIT_SERVICE_CLASS_UUIDS,
        AdvertisingData.INCOMPLETE_LIST_OF_128_BIT_SERVICE_CLASS_UUIDS,
    ):
        for uuid in data.get_all(kind) or []:
            items = uuid if isinstance(uuid, list) else [uuid]
            uuids.extend(_uuid_str(u) for u in items)
    manufacturer: dict[int, bytes] = {}
    for item in data.get_all(AdvertisingData.MANUFACTURER_SPECIFIC_DATA) or []:
        company, payload = item
        manufacturer[int(company)] = bytes(payload)
    service_data: dict[str, bytes] = {}
    for kind in (
        AdvertisingData.SERVICE_DATA_16_BIT_UUID,
        AdvertisingData.SERVICE_DATA_128_BIT_UUID,
    ):
        for uuid, payload in data.get_all(kind) or []:
            service_data[_uuid_str(uuid)] = bytes(payload)
    tx = data.get(AdvertisingData.TX_POWER_LEVEL)
    name_str = name if isinstance(name, str) or name is None else bytes(name).decode("utf-8", "replace")
    return name_str, AdvertisementData(
        local_name=name_str,
        manufacturer_data=manufacturer,
        service_data=service_data,
        service_uuids=list(dict.fromkeys(uuids)),
        tx_power=tx if isinstance(tx, int) else None,
        rssi=int(adv.rssi),
        platform_data=(adv,),
    )


class BumbleScannerBackend(BaseBleakScanner):
    """`BleakScanner(backend=radio.scanner_backend)`; bound to a radio by `VirtualRadio`."""

    radio: ClassVar[VirtualRadio]

    def __init__(
        self,
        detection_callback: AdvertisementDataCallback | None,
        service_uuids: list[str] | None,
        scanning_mode: str = "active",
        **kwargs: Any,
    ) -> None:
        super().__init__(detection_callback, service_uuids)
        self._scanning = False

    def _on_advertisement(self, adv: Advertisement) -> None:
        name, data = _advertisement_data(adv)
        if not self.is_allowed_uuid(data.service_uuids):
            return
        address = _address_str(adv.address)
        device = self.create_or_update_device(address, address, name, adv.address, data)
        self.call_detection_callbacks(device, data)

    async def start(self) -> None:
        self.seen_devices = {}
        self._scanning = True
        await self.radio.start_scan(self._on_advertisement)

    async def stop(self) -> None:
        if self._scanning:
            self._scanning = False
            await self.radio.stop_scan(self._on_advertisement)


class BumbleClientBackend(BaseBleakClient):
    """`BleakClient(address, backend=radio.client_backend)`; bound to a radio by `VirtualRadio`."""

    radio: ClassVar[VirtualRadio]

    def __init__(self, address_or_ble_device: BLEDevice | str, **kwargs: Any) -> None:
        super().__init__(
            address_or_ble_device,
            disconnected_callback=kwargs.pop("disconnected_callback", None),
            timeout=kwargs.pop("timeout", 10.0),
        )
        self._device_name = (
            address_or_ble_device.name if isinstance(address_or_ble_device, BLEDevice) else None
        ) or self.address
        self._connection: Connection | None = None
        self._peer: Peer | None = None
        self._disconnecting = False
        self._subscribers: dict[int, Any] = {}

    @property
    def name(self) -> str:
        return self._device_name

    @property
    def mtu_size(self) -> int:
        return self._connection.att_mtu if self._connection is not None else 23

    @property
    def is_connected(self) -> bool:
        return self._connection is not None

    async def connect(self, pair: bool, **kwargs: Any) -> None:
        timeout = float(kwargs.get("timeout", self._timeout))
        deadline = time.monotonic() + timeout
        radio = self.radio
        central = await radio.central()
        address = await radio.wait_advertising(self.address, timeout)
        remaining = max(0.1, deadline - time.monotonic())
        try:
            connection = await asyncio.wait_for(central.connect(address, timeout=None), remaining)
        except asyncio.TimeoutError:
            radio.clear_pending_connection()
            raise TimeoutError(f"connecting to {self.address} timed out after {timeout:g} s") from None
        except Exception as e:
            radio.clear_pending_connection()
            raise BleakError(f"connecting to {self.address} failed: {e}") from e
        self._connection = connection
        self._disconnecting = False
        connection.on(connection.EVENT_DISCONNECTION, self._on_disconnection)
        try:
            self._peer = peer = Peer(connection)
            await asyncio.wait_for(peer.request_mtu(radio.requested_mtu), REQUEST_TIMEOUT_S)
            self.services = await asyncio.wait_for(self._discover(peer), REQUEST_TIMEOUT_S)
        except BaseException:
            await self.disconnect()
            raise

    async def _discover(self, peer: Peer) -> BleakGATTServiceCollection:
        collection = BleakGATTServiceCollection()
        await peer.discover_services()
        for svc in peer.services:
            service = BleakGATTService(svc, svc.handle, _uuid_str(svc.uuid))
            collection.add_service(service)
            for ch in await svc.discover_characteristics():
                props = [name for flag, name in _PROPERTY_NAMES.items() if ch.properties & flag]
                char = BleakGATTCharacteristic(
                    ch, ch.handle, _uuid_str(ch.uuid), props, lambda: self.mtu_size - 3, service
                )
                collection.add_characteristic(char)
                for desc in await ch.discover_descriptors():
                    collection.add_descriptor(
                        BleakGATTDescriptor(desc, desc.handle, _uuid_str(desc.type), char)
                    )
        return collection

    def _on_disconnection(self, reason: int) -> None:
        was_ours = self._disconnecting
        self._connection = None
        self._peer = None
        self._subscribers.clear()
        if not was_ours and self._disconnected_callback is not None:
            log.info("%s: link lost (HCI reason 0x%02x)", self.address, reason)
            self._disconnected_callback()

    async def disconnect(self) -> None:
        connection = self._connection
        if connection is None:
            return
        self._disconnecting = True
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        connection.once(connection.EVENT_DISCONNECTION, lambda *_: done.done() or done.set_result(None))
        try:
            await connection.disconnect()
            await asyncio.wait_for(done, 5.0)
        except Exception as e:  # already gone: nothing to tear down
            log.debug("%s: disconnect: %s", self.address, e)
        self._connection = None
        self._peer = None

    async def pair(self, *args: Any, **kwargs: Any) -> None:
        raise NotImplementedError("pairing is not needed by the sensors and not emulated")

    async def unpair(self) -> None:
        raise NotImplementedError("pairing is not needed by the sensors and not emulated")

    async def _request(self, coro: Any, what: str, characteristic: Any) -> Any:
        try:
            return await asyncio.wait_for(coro, REQUEST_TIMEOUT_S)
        except att.ATT_Error as e:
            # bleak's own backends raise BleakError for ATT error responses
            raise BleakError(f"{what} {characteristic}: ATT error 0x{e.error_code:02x}") from e

    def _require_peer(self) -> Peer:
        if self._peer is None:
            raise BleakError("Not connected")
        return self._peer

    async def read_gatt_char(self, characteristic: BleakGATTCharacteristic, **kwargs: Any) -> bytearray:
        value = await self._request(
            self._require_peer().read_value(characteristic.obj), "read", characteristic
        )
        return bytearray(value)

    async def read_gatt_descriptor(self, descriptor: BleakGATTDescriptor, **kwargs: Any) -> bytearray:
        value = await self._request(self._require_peer().read_value(descriptor.obj), "read", descriptor)
        return bytearray(value)

    async def write_gatt_char(
        self, characteristic: BleakGATTCharacteristic, data: Any, response: bool
    ) -> None:
        peer = self._require_peer()
        await self._request(
            peer.write_value(characteristic.obj, bytes(data), response), "write", characteristic
        )

    async def write_gatt_descriptor(self, descriptor: BleakGATTDescriptor, data: Any) -> None:
        peer = self._require_peer()
        await self._request(peer.write_value(descriptor.obj, bytes(data), True), "write", descriptor)

    async def start_notify(
        self, characteristic: BleakGATTCharacteristic, callback: NotifyCallback, **kwargs: Any
    ) -> None:
        peer = self._require_peer()

        def subscriber(value: bytes) -> None:
            callback(bytearray(value))

        self._subscribers[characteristic.handle] = subscriber
        await self._request(
            peer.subscribe(characteristic.obj, subscriber, prefer_notify=True), "subscribe", characteristic
        )

    async def stop_notify(self, characteristic: BleakGATTCharacteristic) -> None:
        peer = self._require_peer()
        subscriber = self._subscribers.pop(characteristic.handle, None)
        await self._request(peer.unsubscribe(characteristic.obj, subscriber), "unsubscribe", characteristic)
