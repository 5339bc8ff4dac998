"""Protocol codecs against the shared vectors in tests/vectors, plus sequence and timestamp tracking."""

from __future__ import annotations

import importlib.util
import json
import math
import re
import struct
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pytest

from sensor.protocols import ProtocolError
from sensor.protocols import polar_pmd as pmd
from sensor.protocols import repcount_gatt as rg
from sensor.protocols import witmotion as wit
from sensor.recording import STANDARD_GRAVITY

VECTORS = Path(__file__).resolve().parent / "vectors"


def _load(name: str) -> dict:
    return json.loads((VECTORS / name).read_text())


def _generator():
    spec = importlib.util.spec_from_file_location("generate_vectors", VECTORS / "generate_vectors.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


GATT = _load("repcount_gatt_frames.json")
PMD = _load("polar_pmd_frames.json")
WIT = _load("witmotion_packets.json")
PMD_FRAMES = [v for v in PMD["vectors"] if v["kind"] == "data_frame" and "error" not in v]
PMD_BAD = [v for v in PMD["vectors"] if "error" in v]


def _ids(vectors: list[dict]) -> list[str]:
    return [v["name"] for v in vectors]


@pytest.mark.parametrize(
    "filename", ["repcount_gatt_frames.json", "polar_pmd_frames.json", "witmotion_packets.json"]
)
def test_vector_files_are_what_the_generator_writes(filename):
    gen = _generator()
    assert (VECTORS / filename).read_text() == gen.render(gen.FILES[filename])


# ---------------------------------------------------------------------------------------------------
# repcount GATT


@pytest.mark.parametrize("vec", GATT["configs"], ids=_ids(GATT["configs"]))
def test_gatt_config_vectors_decode_and_round_trip(vec):
    raw = bytes.fromhex(vec["hex"])
    cfg = rg.decode_config(raw)
    exp = vec["expected"]
    assert cfg.protocol_version == exp["protocol_version"]
    assert cfg.sample_rate_chz == exp["sample_rate_chz"]
    assert cfg.sample_rate_hz == exp["sample_rate_hz"]
    assert (cfg.acc_range_g, cfg.gyro_range_dps) == (exp["acc_range_g"], exp["gyro_range_dps"])
    assert (cfg.imu_model, cfg.imu_name) == (exp["imu_model"], exp["imu_name"])
    assert list(cfg.firmware_version) == exp["firmware_version"]
    assert rg.encode_config(cfg) == raw


@pytest.mark.parametrize("vec", GATT["frames"], ids=_ids(GATT["frames"]))
def test_gatt_frame_vectors_decode_byte_exactly(vec):
    cfg = rg.decode_config(bytes.fromhex(vec["config_hex"]))
    raw = bytes.fromhex(vec["hex"])
    frame = rg.decode_frame(raw, cfg)
    exp = vec["expected"]
    assert (frame.seq, frame.t0_us, frame.n) == (exp["seq"], exp["t0_us"], exp["n"])
    assert frame.counts.dtype == np.int16
    np.testing.assert_array_equal(frame.counts, np.array(exp["counts"]))
    np.testing.assert_allclose(frame.acc, exp["acc"], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(frame.gyro, exp["gyro"], rtol=1e-12, atol=1e-15)
    assert frame.period_s == pytest.approx(1.0 / cfg.sample_rate_hz)
    assert rg.encode_frame(frame.seq, frame.t0_us, frame.counts) == raw


@pytest.mark.parametrize("vec", GATT["malformed_frames"], ids=_ids(GATT["malformed_frames"]))
def test_gatt_malformed_frames_raise_a_clear_value_error(vec):
    cfg = rg.decode_config(bytes.fromhex(vec["config_hex"]))
    with pytest.raises(rg.FrameError, match=re.escape(vec["message"])) as info:
        rg.decode_frame(bytes.fromhex(vec["hex"]), cfg)
    assert isinstance(info.value, ValueError) and isinstance(info.value, ProtocolError)


@pytest.mark.parametrize("vec", GATT["malformed_configs"], ids=_ids(GATT["malformed_configs"]))
def test_gatt_malformed_configs_raise(vec):
    with pytest.raises(rg.ConfigError, match=re.escape(vec["message"])):
        rg.decode_config(bytes.fromhex(vec["hex"]))


def test_one_g_vector_is_exactly_standard_gravity():
    vec = next(v for v in GATT["frames"] if v["name"] == "one_g_on_z_mtu23")
    frame = rg.decode_frame(bytes.fromhex(vec["hex"]), rg.decode_config(bytes.fromhex(vec["config_hex"])))
    assert frame.acc[0, 2] == STANDARD_GRAVITY
    assert frame.acc[0, 0] == 0.0 and frame.gyro.sum() == 0.0


def test_samples_per_frame_fits_the_mtu():
    assert rg.samples_per_frame(247) == 19
    assert rg.samples_per_frame(23) == 1
    assert rg.samples_per_frame(517) == 42
    assert rg.samples_per_frame(10_000) == 42  # an attribute value is at most 512 bytes
    for mtu in (23, 35, 36, 100, 185, 247, 517):
        n = rg.samples_per_frame(mtu)
        assert len(rg.encode_frame(0, 0, np.zeros((n, 6), np.int16))) <= mtu - 3
        assert len(rg.encode_frame(0, 0, np.zeros((n + 1, 6), np.int16))) > min(mtu, 517) - 3
    with pytest.raises(ValueError, match="below the minimum 23"):
        rg.samples_per_frame(22)


def test_quantize_encode_decode_round_trip_within_half_an_lsb():
    cfg = rg.SensorConfig(sample_rate_chz=10400, acc_range_g=16, gyro_range_dps=2000)
    rng = np.random.default_rng(3)
    acc = rng.uniform(-150, 150, (19, 3))
    gyro = rng.uniform(-30, 30, (19, 3))
    acc[0, 0] = 1000.0  # beyond 16 g: saturates like the IMU would
    counts = rg.quantize(acc, gyro, cfg)
    frame = rg.decode_frame(rg.encode_frame(70000, 2**32 + 5, counts), cfg)
    assert frame.seq == 70000 - 65536 and frame.t0_us == 5  # fields wrap like the firmware's counters
    assert counts[0, 0] == 32767
    np.testing.assert_allclose(frame.acc[1:], acc[1:], atol=cfg.acc_lsb_mps2 / 2 + 1e-12)
    np.testing.assert_allclose(frame.gyro, gyro, atol=cfg.gyro_lsb_rads / 2 + 1e-12)


def test_encode_frame_rejects_bad_shapes_and_values():
    with pytest.raises(ValueError, match=r"shape \(n, 6\)"):
        rg.encode_frame(0, 0, np.zeros((2, 5)))
    with pytest.raises(ValueError, match="1..255 samples"):
        rg.encode_frame(0, 0, np.zeros((0, 6)))
    with pytest.raises(ValueError, match="int16"):
        rg.encode_frame(0, 0, np.full((1, 6), 40000))


def test_control_commands_round_trip_and_reject_garbage():
    assert rg.encode_control(rg.ControlOp.START) == b"\x01"
    assert rg.encode_control(rg.ControlOp.STOP) == b"\x02"
    set_rate = rg.encode_control(rg.ControlOp.SET_RATE, 104)
    assert set_rate == b"\x03" + struct.pack("<I", 10400)
    assert rg.decode_control(set_rate) == rg.ControlCommand(rg.ControlOp.SET_RATE, 10400)
    assert rg.decode_control(b"\x02") == rg.ControlCommand(rg.ControlOp.STOP)
    for bad, msg in [
        (b"", "empty"),
        (b"\x09", "unknown control opcode 0x09"),
        (b"\x03\x00", "expected 5"),
        (b"\x01\x00", "expected 1"),
        (b"\x03" + bytes(4), "rate is 0"),
    ]:
        with pytest.raises(rg.ControlError, match=msg):
            rg.decode_control(bad)


def _kinds(tracker: rg.SequenceTracker, seqs: list[int]) -> list[str]:
    return [tracker.update(s, 1000 * i).kind for i, s in enumerate(seqs)]


def test_sequence_tracker_wraps_without_a_gap():
    t = rg.SequenceTracker()
    assert _kinds(t, [65534, 65535, 0, 1]) == ["first", "next", "next", "next"]
    assert t.frames_lost == 0 and t.frames_ok == 4


def test_sequence_tracker_counts_lost_frames_across_the_wrap():
    t = rg.SequenceTracker()
    t.update(65533, 0)
    check = t.update(1, 100)
    assert (check.kind, check.lost_frames, check.marks_gap, check.accept) == ("gap", 3, True, True)
    assert t.frames_lost == 3


def test_sequence_tracker_drops_duplicates():
    t = rg.SequenceTracker()
    assert _kinds(t, [5, 6, 6, 7, 5]) == ["first", "next", "duplicate", "next", "duplicate"]
    assert t.duplicates == 2 and t.frames_ok == 3
    assert not rg.SequenceTracker().update(0, 0).marks_gap


def test_sequence_tracker_reorder_is_a_gap_then_a_late_frame():
    t = rg.SequenceTracker()
    checks = [t.update(s, 10 * s) for s in [1, 2, 4, 3, 5]]
    assert [c.kind for c in checks] == ["first", "next", "gap", "late", "next"]
    assert checks[2].lost_frames == 1 and checks[3].accept is False
    assert t.frames_lost == 0 and t.late == 1  # the late frame was not lost after all
    assert checks[3].t0_us == 30  # a late frame's time unwraps to the past


def test_sequence_tracker_reset_starts_a_new_subscription():
    t = rg.SequenceTracker()
    _kinds(t, [100, 101])
    t.reset()
    assert t.update(0, 5).kind == "first"


def test_sequence_tracker_flags_a_clock_jump_without_lost_frames():
    t = rg.SequenceTracker(sample_period_us=10_000)
    assert t.update(0, 0, n=2).time_jump_us is None
    ok = t.update(1, 20_000 + 3_000, n=2)  # 3 ms late: jitter under half a period
    assert (ok.kind, ok.time_jump_us, ok.marks_gap) == ("next", 0.0, False)
    jump = t.update(2, 63_000, n=2)  # 20 ms more than expected: the IMU FIFO overflowed
    assert (jump.kind, jump.time_jump_us, jump.marks_gap) == ("next", 20_000, True)


def test_sequence_tracker_unwraps_the_vector_timestamps():
    cfg = rg.decode_config(bytes.fromhex(GATT["configs"][0]["hex"]))
    frames = {v["name"]: rg.decode_frame(bytes.fromhex(v["hex"]), cfg) for v in GATT["frames"]}
    t = rg.SequenceTracker(sample_period_us=cfg.sample_period_us)
    before, after = frames["t0_near_2_32"], frames["t0_after_wrap"]
    t.update(before.seq, before.t0_us, before.n)
    check = t.update(after.seq, after.t0_us, after.n)
    assert check.t0_us == 2**32 + 25_000
    assert (check.kind, check.time_jump_us) == ("next", 0.0)
    times = after.sample_times_us(check.t0_us)
    assert times[0] == 2**32 + 25_000


def test_timestamp_unwrapper_across_2_32_us():
    u = rg.TimestampUnwrapper()
    assert u.unwrap(2**32 - 5000) == 2**32 - 5000
    assert u.unwrap(25_000) == 2**32 + 25_000
    assert u.unwrap(2**32 - 1000) == 2**32 - 1000  # an older value stays before the wrap
    assert u.unwrap(30_000) == 2**32 + 30_000
    # Three more wraps in steps just under half the range stay monotonic.
    raw, values = 30_000, []
    for _ in range(7):
        raw = (raw + 2**31 - 1) % 2**32
        values.append(u.unwrap(raw))
    assert all(b - a == 2**31 - 1 for a, b in zip([2**32 + 30_000, *values], values, strict=False))
    assert values[-1] > 4 * 2**32
    with pytest.raises(ValueError):
        u.unwrap(2**32)


# ---------------------------------------------------------------------------------------------------
# Polar PMD


def test_polar_uuids_are_the_full_pmd_uuids():
    assert pmd.PMD_SERVICE_UUID == "fb005c80-02e7-f387-1cad-8acd2d8df0c8"
    assert pmd.PMD_CONTROL_POINT_UUID == "fb005c81-02e7-f387-1cad-8acd2d8df0c8"
    assert pmd.PMD_DATA_UUID == "fb005c82-02e7-f387-1cad-8acd2d8df0c8"


@pytest.mark.parametrize("vec", PMD_FRAMES, ids=_ids(PMD_FRAMES))
def test_polar_frame_vectors_decode_byte_exactly(vec):
    frame = pmd.decode_data_frame(bytes.fromhex(vec["hex"]), factor=vec["factor"])
    exp = vec["expected"]
    assert frame.measurement_type == exp["measurement_type"]
    assert frame.timestamp_ns == exp["timestamp_ns"]
    assert (frame.frame_type, frame.compressed, frame.n) == (exp["frame_type"], exp["compressed"], exp["n"])
    np.testing.assert_array_equal(frame.samples, np.array(exp["samples"]))
    np.testing.assert_allclose(frame.values, exp["values"], rtol=1e-12)
    np.testing.assert_allclose(frame.si, exp["si"], rtol=1e-12)
    times = frame.sample_times_ns(vec["sample_rate_hz"])
    assert times.tolist() == exp["timestamps_ns"]
    assert times[-1] == frame.timestamp_ns  # the frame timestamp is the last sample's


def test_polar_sdk_vectors_match_what_the_sdk_tests_assert():
    frames = {v["name"]: pmd.decode_data_frame(bytes.fromhex(v["hex"])) for v in PMD_FRAMES}
    raw = frames["sdk_acc_raw_type1"]
    assert raw.samples[:2].tolist() == [[-9, -1, 999], [-8, -2, 997]] and raw.n == 36
    assert frames["sdk_acc_compressed_type1"].samples.tolist() == [[-15, 20, 1008], [-20, 17, 1008]]
    assert frames["sdk_gyro_compressed_type0"].samples.tolist() == [[-22, 8, 13], [-23, 11, 16]]
    assert frames["sdk_gyro_compressed_type0"].timestamp_ns == 2**63 - 1


@pytest.mark.parametrize("vec", PMD_BAD, ids=_ids(PMD_BAD))
def test_polar_malformed_input_raises(vec):
    raw = bytes.fromhex(vec["hex"])
    with pytest.raises(pmd.PmdError, match=re.escape(vec["message"])) as info:
        if vec["kind"] == "data_frame":
            pmd.decode_data_frame(raw, factor=vec["factor"])
        else:
            pmd.parse_control_response(raw)
    assert isinstance(info.value, ValueError)


REQUESTS = [v for v in PMD["vectors"] if v["kind"] == "control_request"]


@pytest.mark.parametrize("vec", REQUESTS, ids=_ids(REQUESTS))
def test_polar_control_requests_are_byte_exact(vec):
    fn = getattr(pmd, vec["build"]["function"])
    args = dict(vec["build"]["args"])
    if "measurement" in args:
        args["measurement"] = pmd.MeasurementType(args["measurement"])
    assert fn(**args) == bytes.fromhex(vec["hex"])


RESPONSES = [v for v in PMD["vectors"] if v["kind"] == "control_response" and "error" not in v]


@pytest.mark.parametrize("vec", RESPONSES, ids=_ids(RESPONSES))
def test_polar_control_responses_parse(vec):
    r = pmd.parse_control_response(bytes.fromhex(vec["hex"]))
    exp = vec["expected"]
    assert (r.ok, r.op, r.measurement_type, r.status) == (
        exp["ok"],
        exp["op"],
        exp["measurement_type"],
        exp["status"],
    )
    assert (r.status_name, r.more, r.factor) == (exp["status_name"], exp["more"], exp["factor"])
    assert {k.name: v for k, v in r.settings.items()} == exp["settings"]


def test_polar_sdk_mode_requests():
    assert pmd.start_sdk_mode_request() == bytes([0x02, 0x09])
    assert pmd.stop_sdk_mode_request() == bytes([0x03, 0x09])


def test_polar_settings_reject_truncated_values():
    with pytest.raises(pmd.PmdError, match="only 1 remain"):
        pmd.parse_settings(bytes([0, 1, 0x34]))
    with pytest.raises(pmd.PmdError, match="unknown setting type 9"):
        pmd.parse_settings(bytes([9, 1, 0]))
    with pytest.raises(ValueError, match="SAMPLE_RATE 70000 does not fit 2 byte"):
        pmd.start_acc_request(sample_rate_hz=70000)


def test_polar_timestamps_from_the_previous_frame_follow_the_sdk():
    # SDK AccDataTest (compressed type 1): previous frame 100 ns, this frame 101 ns, 2 samples -> 100, 101.
    assert pmd.sample_timestamps_ns(101, 2, previous_ns=100).tolist() == [100, 101]
    assert pmd.sample_timestamps_ns(1_000, 4, previous_ns=600).tolist() == [700, 800, 900, 1_000]
    # Without a usable previous timestamp, step back at the nominal period.
    assert pmd.sample_timestamps_ns(1_000_000_000, 3, 100.0).tolist() == [
        980_000_000,
        990_000_000,
        1_000_000_000,
    ]
    with pytest.raises(ValueError, match="sample rate or the previous"):
        pmd.sample_timestamps_ns(5, 2)


def test_polar_epoch_conversion():
    # TimeSystemExplained.md: the H10's default time 2019-01-01T00:00:00Z is 599616000000000000 ns.
    assert pmd.polar_ns_to_datetime(599_616_000_000_000_000) == datetime(2019, 1, 1, tzinfo=timezone.utc)
    assert pmd.polar_ns_to_unix_ns(0) == 946_684_800_000_000_000
    assert pmd.polar_ns_to_datetime(1_500) == datetime(2000, 1, 1, 0, 0, 0, 1, tzinfo=timezone.utc)


def test_polar_delta_decoder_against_an_independent_packer():
    gen = _generator()
    rng = np.random.default_rng(11)
    for width in range(2, 17):
        lo, hi = -(1 << (width - 1)), (1 << (width - 1)) - 1
        deltas = rng.integers(lo, hi + 1, size=(int(rng.integers(1, 30)), 3)).tolist()
        ref = rng.integers(-2000, 2000, size=3).tolist()
        payload, expected = gen.pmd_delta_payload(ref, [(width, deltas)])
        got = pmd.decode_delta_samples(payload, 3, 16)
        assert got.tolist() == expected, width


def test_polar_units_to_si():
    vec = next(v for v in PMD_FRAMES if v["name"] == "gyro_compressed_factor")
    frame = pmd.decode_data_frame(bytes.fromhex(vec["hex"]), factor=0.0625)
    assert frame.values[0, 0] == 100 * 0.0625
    assert frame.si[0, 0] == pytest.approx(6.25 * math.pi / 180)
    acc = pmd.decode_data_frame(bytes.fromhex(PMD_FRAMES[0]["hex"]))
    assert acc.si[0, 2] == pytest.approx(999 * 9.80665e-3)


# ---------------------------------------------------------------------------------------------------
# WitMotion


@pytest.mark.parametrize("vec", WIT["vectors"], ids=_ids(WIT["vectors"]))
def test_witmotion_vectors_decode(vec):
    samples, skipped = wit.decode_notification(bytes.fromhex(vec["hex"]))
    assert skipped == vec["skipped"]
    assert len(samples) == len(vec["expected"])
    for s, exp in zip(samples, vec["expected"], strict=True):
        assert list(s.counts) == exp["counts"]
        np.testing.assert_allclose(s.acc_g, exp["acc_g"], rtol=1e-15)
        np.testing.assert_allclose(s.gyro_dps, exp["gyro_dps"], rtol=1e-15)
        np.testing.assert_allclose(s.angle_deg, exp["angle_deg"], rtol=1e-15)


def test_witmotion_units():
    flat = wit.decode_packet(bytes.fromhex(WIT["vectors"][0]["hex"]))
    assert flat.acc_mps2.tolist() == [0.0, 0.0, STANDARD_GRAVITY]
    mixed = wit.decode_packet(bytes.fromhex(WIT["vectors"][1]["hex"]))
    assert mixed.acc_g[0] == -16.0 and mixed.gyro_dps[0] == 1000.0 and mixed.angle_deg[2] == -180.0
    assert mixed.gyro_rads[0] == pytest.approx(1000 * math.pi / 180)


@pytest.mark.parametrize("vec", WIT["malformed"], ids=_ids(WIT["malformed"]))
def test_witmotion_malformed_raise(vec):
    with pytest.raises(wit.WitMotionError, match=re.escape(vec["message"])):
        wit.decode_notification(bytes.fromhex(vec["hex"]))


def test_witmotion_single_packet_checks_length_and_flag():
    with pytest.raises(wit.WitMotionError, match="expected 20"):
        wit.decode_packet(bytes(19))
    with pytest.raises(wit.WitMotionError, match="expected 55 61"):
        wit.decode_packet(bytes([0x55, 0x71]) + bytes(18))


def test_timeline_follows_the_nominal_rate_and_marks_stalls():
    tl = wit.TimelineRebuilder(10.0)
    t0, gap0 = tl.push(5.0)
    t1, gap1 = tl.push(5.1)
    assert (t0.tolist(), gap0, gap1) == ([5.0], False, False)
    assert t1[0] == pytest.approx(5.1)
    t2, gap2 = tl.push(7.0, n=2)  # nothing for 1.9 s: lost samples
    assert gap2 and t2.tolist() == pytest.approx([6.9, 7.0])


def test_timeline_stays_near_arrivals_when_the_sensor_is_slower_than_nominal():
    tl = wit.TimelineRebuilder(10.0)
    last, times = None, []
    for k in range(300):
        arrival = 0.11 * k  # the sensor really runs at 9.09 Hz
        t, gap = tl.push(arrival)
        assert not gap
        if last is not None:
            assert t[0] > last
        last = float(t[-1])
        times.append(last - arrival)
    assert max(abs(x) for x in times) < 0.25  # bounded, not growing 10 ms per sample
