"""Unmodified bleak (`BleakScanner`, `BleakClient`) over the Bumble backend against the simulated sensor:
scanning, MTU, discovery, reads, writes, byte-exact notifications at 100 Hz and 416 Hz, failing fast."""

from __future__ import annotations

import asyncio
import time

import pytest
from bleak import BleakClient, BleakScanner
from bleak.exc import BleakDeviceNotFoundError, BleakError

pytest.importorskip("bumble", reason="the simulated sensor runs on Bumble (Python 3.11+)")

from repcount.simulator import SessionConfig, simulate_session  # noqa: E402
from sensor.ble.bumble_backend import VirtualRadio  # noqa: E402
from sensor.ble.client import find_sensor, scan_sensors  # noqa: E402
from sensor.ble.simulated import SimulatedWristSensor  # noqa: E402
from sensor.protocols import repcount_gatt as rg  # noqa: E402


def session(rate_hz: float, reps: int = 2):
    rec, _ = simulate_session(
        SessionConfig(seed=3, sets=1, reps=reps, rate_hz=rate_hz, lead_in_s=1, tail_s=1)
    )
    return rec


def run(coro, timeout: float = 30.0):
    return asyncio.run(asyncio.wait_for(coro, timeout))


async def stream_bytes(rate_hz: float, speed: float, requested_mtu: int = 247):
    rec = session(rate_hz)
    radio = VirtualRadio(requested_mtu=requested_mtu)
    sim = SimulatedWristSensor(radio, rec, speed=speed)
    await sim.start()
    found = await BleakScanner.discover(
        0.2, return_adv=True, backend=radio.scanner_backend, service_uuids=[rg.SERVICE_UUID]
    )
    device, adv = found[sim.address]
    got: list[bytes] = []
    async with BleakClient(device, backend=radio.client_backend) as client:
        mtu = client.mtu_size
        config = rg.decode_config(await client.read_gatt_char(rg.CONFIG_CHAR_UUID))
        await client.start_notify(rg.DATA_CHAR_UUID, lambda _c, data: got.append(bytes(data)))
        await asyncio.wait_for(sim.finished.wait(), 20)
        await asyncio.sleep(0.05)
        await client.stop_notify(rg.DATA_CHAR_UUID)
    await sim.stop()
    return sim, adv, mtu, config, got


@pytest.mark.parametrize("rate_hz, speed, per_frame", [(100.0, 5.0, {10, 11}), (416.0, 20.0, {19})])
def test_frames_arrive_byte_exact_and_decode(rate_hz, speed, per_frame):
    sim, adv, mtu, config, got = run(stream_bytes(rate_hz, speed))
    assert adv.local_name == sim.name and adv.rssi < 0
    assert rg.SERVICE_UUID in adv.service_uuids
    assert mtu == 247
    assert config == sim.config and config.sample_rate_hz == rate_hz
    assert len(got) > 30
    assert got == sim.log.sent  # every notification, byte for byte, in order
    frames = [rg.decode_frame(b, config) for b in got]
    assert [f.seq for f in frames] == list(range(len(frames)))
    # 100 Hz: the 100 ms flush limits a frame to 10 samples (11 with jitter); 416 Hz: the MTU to 19.
    assert max(f.n for f in frames) in per_frame
    first = sim.log.frames[0].first_sample
    assert (frames[0].counts == sim.counts[first : first + frames[0].n]).all()


def test_without_mtu_exchange_frames_carry_one_sample():
    sim, _, mtu, _, got = run(stream_bytes(100.0, 10.0, requested_mtu=23))
    assert mtu == 23
    assert {len(b) for b in got} == {8 + 12}  # never truncated: the sensor sizes frames to the MTU
    assert got == sim.log.sent


def test_connect_to_absent_address_fails_fast_then_connecting_works():
    async def main():
        radio = VirtualRadio()
        sim = SimulatedWristSensor(radio, session(50.0))
        await sim.start()
        t = time.monotonic()
        with pytest.raises(BleakDeviceNotFoundError):
            await BleakClient("AA:BB:CC:DD:EE:FF", backend=radio.client_backend, timeout=1.0).connect()
        elapsed = time.monotonic() - t
        async with BleakClient(sim.address, backend=radio.client_backend, timeout=5.0) as client:
            value = await client.read_gatt_char(rg.CONFIG_CHAR_UUID)
            await client.write_gatt_char(rg.CONTROL_CHAR_UUID, rg.encode_control(rg.ControlOp.STOP), True)
            with pytest.raises(BleakError, match="ATT error 0x80"):  # unknown opcode
                await client.write_gatt_char(rg.CONTROL_CHAR_UUID, b"\x09", True)
        await sim.stop()
        return elapsed, value

    elapsed, value = run(main())
    assert elapsed < 2.0
    assert rg.decode_config(value).imu_model == rg.ImuModel.SIMULATED


def test_scan_functions_find_supported_sensor_and_fail_fast_when_absent():
    async def main():
        radio = VirtualRadio()
        sim = SimulatedWristSensor(radio, session(50.0))
        await sim.start()
        found = await scan_sensors(0.2, backend=radio.scanner_backend)
        by_name = await find_sensor(sim.name, 2.0, backend=radio.scanner_backend)
        await sim.stop()
        empty = VirtualRadio()
        t = time.monotonic()
        with pytest.raises(LookupError, match="no sensor 'XIAO-wrist-0000' heard"):
            await find_sensor("XIAO-wrist-0000", 0.5, backend=empty.scanner_backend)
        return sim, found, by_name, time.monotonic() - t

    sim, found, by_name, elapsed = run(main())
    assert [(s.name, s.address, s.profile) for s in found] == [(sim.name, sim.address, "repcount")]
    assert found[0].rssi == -50
    assert by_name.address == sim.address
    assert elapsed < 1.5
