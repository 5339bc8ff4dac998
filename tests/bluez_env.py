"""A private system bus with BlueZoo (a BlueZ stand-in) on it, for running unmodified bleak on BlueZ.

`bluez_bus()` starts `dbus-daemon` with a permissive config in a temp dir and BlueZoo with two LE
adapters: hci0 for the test peripheral, hci1 for bleak. `DBUS_SYSTEM_BUS_ADDRESS` points at that bus
while the fixture is alive, so bleak's BlueZ backend and dbus-fast talk to it instead of the host's.
Skips (never fails) where dbus-daemon, BlueZoo or dbus-fast is missing.
"""

from __future__ import annotations

import asyncio
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

PERIPHERAL_ADAPTER = "hci0"
CENTRAL_ADAPTER = "hci1"
PERIPHERAL_ADDRESS = "F0:00:00:00:3F:2A"  # the sensor's name ends in 3F2A, as GATT-PROTOCOL.md says
CENTRAL_ADDRESS = "F0:00:00:00:00:01"
SCAN_INTERVAL_S = 1  # BlueZoo "advertises" to scanners once per interval (default 10 s)

BUS_CONFIG = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path={socket}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <allow own="*"/>
    <allow send_type="method_call"/>
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
  </policy>
</busconfig>
"""


@dataclass
class BluezBus:
    address: str  # the private bus, as DBUS_SYSTEM_BUS_ADDRESS
    bluezoo: subprocess.Popen[bytes]

    def device_path(self, adapter: str, address: str) -> str:
        return f"/org/bluez/{adapter}/dev_{address.replace(':', '_')}"


def missing_tools() -> str | None:
    """Why the BlueZ integration tests cannot run here, or None."""
    if not sys.platform.startswith("linux"):
        return "BlueZ tests run on Linux only"
    if shutil.which("dbus-daemon") is None:
        return "dbus-daemon is not installed (apt-get install dbus)"
    for module, package in (("bluezoo", "bluezoo"), ("dbus_fast", "dbus-fast")):
        if importlib.util.find_spec(module) is None:
            return f"{package} is not installed (pip install {package})"
    return None


async def _wait_for_bluez(address: str, timeout: float) -> None:
    from dbus_fast import BusType, Message
    from dbus_fast.aio import MessageBus

    deadline = time.monotonic() + timeout
    while True:
        bus = await MessageBus(bus_address=address, bus_type=BusType.SYSTEM).connect()
        try:
            reply = await bus.call(
                Message(
                    destination="org.bluez",
                    path="/",
                    interface="org.freedesktop.DBus.ObjectManager",
                    member="GetManagedObjects",
                )
            )
            objects = reply.body[0] if reply.body else {}
            if all(f"/org/bluez/{a}" in objects for a in (PERIPHERAL_ADAPTER, CENTRAL_ADAPTER)):
                return
        finally:
            bus.disconnect()
        if time.monotonic() > deadline:
            raise TimeoutError("BlueZoo did not publish its adapters on the private bus")
        await asyncio.sleep(0.05)


@pytest.fixture
def bluez_bus() -> Iterator[BluezBus]:
    """dbus-daemon + BlueZoo for one test (a fresh one each: BlueZoo never removes the GATT objects of a
    closed connection, and bleak would see them again); DBUS_SYSTEM_BUS_ADDRESS set while it runs."""
    why = missing_tools()
    if why:
        pytest.skip(why)
    tmp = Path(tempfile.mkdtemp(prefix="repcount-bluez-"))
    config = tmp / "bus.conf"
    config.write_text(BUS_CONFIG.format(socket=tmp / "bus"))
    daemon = subprocess.Popen(
        ["dbus-daemon", f"--config-file={config}", "--nofork", "--print-address"],
        stdout=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
    )
    assert daemon.stdout is not None
    address = daemon.stdout.readline().decode().strip()
    if not address:
        daemon.kill()
        pytest.fail("dbus-daemon did not print its address")
    env = {**os.environ, "DBUS_SYSTEM_BUS_ADDRESS": address}
    log = open(tmp / "bluezoo.log", "wb")  # noqa: SIM115 - closed below
    zoo = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from bluezoo.bluezoo import main; main()",
            "--auto-enable",
            f"--scan-interval={SCAN_INTERVAL_S}",
            "-a",
            PERIPHERAL_ADDRESS,
            "-a",
            CENTRAL_ADDRESS,
        ],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    old = os.environ.get("DBUS_SYSTEM_BUS_ADDRESS")
    os.environ["DBUS_SYSTEM_BUS_ADDRESS"] = address
    try:
        asyncio.run(_wait_for_bluez(address, 10.0))
        yield BluezBus(address, zoo)
    finally:
        if old is None:
            os.environ.pop("DBUS_SYSTEM_BUS_ADDRESS", None)
        else:
            os.environ["DBUS_SYSTEM_BUS_ADDRESS"] = old
        for proc in (zoo, daemon):
            proc.terminate()
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                proc.kill()
        log.close()
        shutil.rmtree(tmp, ignore_errors=True)
