"""Sensor profiles without a radio: matching advertisements, Polar PMD start-up and stream pairing."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import numpy as np
import pytest

from sensor.ble.profiles import PolarPmdProfile, RepcountProfile, profile_for
from sensor.protocols import polar_pmd as pmd
from sensor.protocols import repcount_gatt as rg
from sensor.protocols.common import ProtocolError

VECTORS = {
    v["name"]: v
    for v in json.loads((Path(__file__).parent / "vectors" / "polar_pmd_frames.json").read_text())["vectors"]
}


def test_profile_for_advertisements():
    assert isinstance(profile_for("XIAO-wrist-3F2A", [rg.SERVICE_UUID.upper()]), RepcountProfile)
    assert isinstance(profile_for("Polar Sense B5A4E82F", []), PolarPmdProfile)
    assert isinstance(profile_for(None, [pmd.PMD_SERVICE_UUID]), PolarPmdProfile)
    assert profile_for("Headphones", ["0000180f-0000-1000-8000-00805f9b34fb"]) is None


class FakeClient:
    """Answers PMD control point requests the way the sensor does (success, no parameters)."""

    is_connected = True

    def __init__(self) -> None:
        self.callbacks: dict[str, object] = {}
        self.writes: list[bytes] = []

    async def start_notify(self, uuid, callback) -> None:
        self.callbacks[uuid] = callback

    async def write_gatt_char(self, uuid, data, response=False) -> None:
        self.writes.append(bytes(data))
        reply = bytes([pmd.CONTROL_POINT_RESPONSE_CODE, data[0], data[1], 0, 0])
        self.callbacks[pmd.PMD_CONTROL_POINT_UUID](None, bytearray(reply))


def test_polar_start_pairs_acc_and_gyro_streams():
    profile = PolarPmdProfile(rate_hz=52)
    client = FakeClient()
    got: list[bytes] = []

    async def main() -> None:
        await profile.prepare(client)
        await profile.start(client, got.append)

    asyncio.run(main())
    assert client.writes == [pmd.start_acc_request(52, 8), pmd.start_gyro_request(52, 2000)]
    acc = bytes.fromhex(VECTORS["sdk_acc_raw_type1"]["hex"])
    gyro = bytes.fromhex(VECTORS["sdk_gyro_compressed_type0"]["hex"])
    assert profile.decode(acc) == []  # ACC alone: waits for its GYRO partner
    frames = profile.decode(gyro)
    assert len(frames) == 1 and frames[0].n == 2 and frames[0].seq == 0
    assert np.allclose(frames[0].acc, np.array(VECTORS["sdk_acc_raw_type1"]["expected"]["si"])[:2])
    assert np.allclose(frames[0].gyro, np.array(VECTORS["sdk_gyro_compressed_type0"]["expected"]["si"]))
    assert profile.decode(gyro)[0].seq == 1
    with pytest.raises(ProtocolError):
        profile.decode(b"\x02\x00")
