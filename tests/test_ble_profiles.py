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


def _indexed_polar_frames(i: int) -> tuple[bytes, bytes]:
    """ACC and GYRO notifications of frame i at 52 Hz, 36 samples, each sample holding its index."""
    stamp = 10**17 + (i + 1) * 692_307_692
    idx = np.arange(i * 36, (i + 1) * 36)
    s = np.stack([idx, idx, idx], 1)
    return pmd.encode_delta_frame(2, 1, stamp, s), pmd.encode_delta_frame(5, 0, stamp, s)


def test_polar_pairs_by_time_again_after_a_lost_notification():
    # One GYRO notification garbled (skipped): paired by count alone, every ACC sample after it met
    # the GYRO sample 36 later (0.7 s), for the rest of the connection.
    profile = PolarPmdProfile(rate_hz=52)
    pairs = []
    for i in range(10):
        acc, gyro = _indexed_polar_frames(i)
        for data in (acc, gyro[:-1] if i == 3 else gyro):
            try:
                frames = profile.decode(data)
            except ProtocolError:
                continue
            for f in frames:
                a = np.rint(f.acc[:, 0] / pmd.MILLI_G_TO_MPS2).astype(int)
                g = np.rint(f.gyro[:, 0] / pmd.DEG_TO_RAD).astype(int)
                pairs += list(zip(a.tolist(), g.tolist()))
    assert all(a == g for a, g in pairs)
    assert len(pairs) == 9 * 36  # the ACC samples of the lost GYRO frame are dropped, not held
    assert profile._acc.held() == 0


def test_polar_holds_a_bounded_backlog_when_one_stream_stops():
    from sensor.ble.profiles import MAX_UNPAIRED_S

    profile = PolarPmdProfile(rate_hz=52)
    for i in range(300):  # GYRO has stopped: 200 s of ACC alone
        profile.decode(_indexed_polar_frames(i)[0])
    assert profile._acc.held() <= MAX_UNPAIRED_S * 52


def test_polar_refuses_a_stamp_past_int64_and_a_factor_that_is_not_positive():
    profile = PolarPmdProfile(rate_hz=52)
    frame = bytes.fromhex("02" "0000000000000080" "01" "000000000000")  # ACC raw, stamp 2**63
    with pytest.raises(ProtocolError):
        profile.decode(frame)
    for factor in (float("nan"), float("inf"), 0.0, -1.0):
        resp = pmd.parse_control_response(
            pmd.encode_control_response(2, 5, parameters=pmd.encode_factor_setting(factor))
        )
        with pytest.raises(ProtocolError):
            _ = resp.factor
