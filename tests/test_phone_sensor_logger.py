"""`repcount live --phone sensor-logger`: a real HTTP client posts a simulated session to the real
server on loopback, in the app's documented message shape, with the faults a Wi-Fi link brings."""

import asyncio
import http.client
import json
import socket
import threading
import time

import numpy as np
import pytest

from analysis.pullapart import process_session
from repcount.live import phone_session
from repcount.simulator import SessionConfig, simulate_session
from sensor.phone.merge import StreamMerger
from sensor.phone.sensor_logger import BadMessage, parse_push
from sensor.readers import read_recording

T0_NS = 1_700_000_000_123_456_789
TOKEN = "s3cret-token"


@pytest.fixture(scope="module")
def session():
    rec, _ = simulate_session(SessionConfig(seed=3, sets=1, reps=6, rate_hz=50))
    return rec, process_session(rec)


def _entries(name, t_s, xyz):
    ns = T0_NS + np.round(t_s * 1e9).astype(np.int64)
    return [
        {"name": name, "time": int(n), "values": {"x": float(v[0]), "y": float(v[1]), "z": float(v[2])}}
        for n, v in zip(ns, xyz)
    ]


def app_messages(rec, platform, per_msg=10):
    """The session split the way the app sends it: one payload entry per sample, per sensor."""
    msgs = []
    for k, i in enumerate(range(0, len(rec), per_msg)):
        sl = slice(i, i + per_msg)
        t, acc, gyro = rec.t[sl], rec.acc[sl], rec.gyro[sl]
        if platform == "android":
            payload = _entries("totalacceleration", t, acc) + _entries("gyroscope", t + 0.001, gyro)
        else:
            # iOS: user acceleration and gravity separately, in g, gravity pointing down (Apple's sign).
            lo = max(0, i - 25)
            grav = rec.acc[lo : i + per_msg + 25].mean(axis=0)
            grav = np.broadcast_to(grav * 9.80665 / np.linalg.norm(grav), acc.shape)
            payload = (
                _entries("accelerometer", t, -(acc - grav) / 9.80665)
                + _entries("gravity", t, -grav / 9.80665)
                + _entries("gyroscope", t, gyro)
            )
        payload += [{"name": "battery", "time": T0_NS, "values": {"batteryLevel": 0.8}}]
        msgs.append(
            {"messageId": k, "sessionId": "sess-1", "deviceId": f"phone-{platform}", "payload": payload}
        )
    return msgs


def post(port, path, body, headers=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.request("POST", path, body=body, headers={"Content-Type": "application/json", **(headers or {})})
        r = conn.getresponse()
        r.read()
        return r.status
    finally:
        conn.close()


def raw_request(port, data):
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(data)
        return s.recv(200).split(b"\r\n", 1)[0]


def run_session(rec, platform, tmp_path, pause_s=0.0, **kw):
    msgs = app_messages(rec, platform)
    # Faults: neighbours swapped (out of order), messages sent twice, two messages batched in one.
    order = list(range(len(msgs)))
    for i in range(3, len(order) - 1, 7):
        order[i], order[i + 1] = order[i + 1], order[i]
    statuses = {}

    def client(server):
        port = server.address[1]
        path = server.path
        statuses["bad_json"] = post(port, path, b"{not json")
        statuses["bad_shape"] = post(
            port, path, json.dumps({"payload": [{"name": "gyroscope", "time": "x"}]})
        )
        statuses["wrong_token"] = post(port, "/push/guess", json.dumps(msgs[0]))
        statuses["no_token"] = post(port, "/push", json.dumps(msgs[0]))
        statuses["too_big"] = raw_request(
            port, f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Length: 5000000\r\n\r\n{{".encode()
        )
        statuses["garbage"] = raw_request(port, b"\x16\x03\x01 hello\r\n\r\n")
        codes = []
        for j, i in enumerate(order):
            m = msgs[i]
            if j % 11 == 5:  # batched: this message carries the next one's samples too, under its own id
                nxt = msgs[order[j + 1]] if j + 1 < len(order) else m
                m = {**m, "payload": m["payload"] + nxt["payload"]}
            codes.append(post(port, path, json.dumps(m)))
            if j % 13 == 0:
                codes.append(post(port, path, json.dumps(m)))  # resent: same messageId
            if pause_s and j == len(order) // 2:
                time.sleep(pause_s)  # the phone drops off the Wi-Fi for a moment
        statuses["codes"] = codes

    servers = []
    threads = []

    def on_server(server):
        servers.append(server)
        th = threading.Thread(target=client, args=(server,), daemon=True)
        th.start()
        threads.append(th)

    events = []
    path = tmp_path / f"{platform}.csv"
    summary = asyncio.run(
        phone_session(
            "sensor-logger",
            bind="127.0.0.1",
            port=0,
            token=TOKEN,
            record_path=str(path),
            announce=None,
            on_server=on_server,
            emit=events.append,
            **kw,
        )
    )
    threads[0].join(timeout=5)
    return summary, events, statuses, read_recording(path), servers[0]


@pytest.mark.parametrize("platform", ["android", "ios"])
def test_push_session_counts_like_offline(session, platform, tmp_path):
    rec, offline = session
    pause = 2.6 if platform == "android" else 0.0
    summary, events, st, recorded, server = run_session(
        rec, platform, tmp_path, pause_s=pause, idle_exit_s=4.0
    )
    assert st["bad_json"] == 400 and st["bad_shape"] == 400
    assert st["wrong_token"] == 403 and st["no_token"] == 403
    assert b" 413 " in st["too_big"] and b"400" in st["garbage"]
    assert set(st["codes"]) == {200}
    assert server.stats.duplicates >= 1
    # Every sample that was sent is in the recording once, on the sensor's own times.
    assert len(recorded) == len(rec)
    np.testing.assert_allclose(recorded.t - recorded.t[0], rec.t - rec.t[0], atol=2e-6)
    np.testing.assert_allclose(recorded.acc, rec.acc, atol=2e-3)
    np.testing.assert_allclose(recorded.gyro[1:-1], rec.gyro[1:-1], atol=0.05)
    assert summary["reps_per_set"] == [len(s.full_reps) for s in offline.sets]
    assert summary["total_reps"] == 6
    kinds = [e["type"] for e in events]
    assert kinds[0] == "connected"
    if pause:
        assert "link_lost" in kinds and kinds.index("link_lost") < kinds.index("reconnected")


def test_parse_push_rejects_wrong_shapes():
    good = {"messageId": 1, "sessionId": "s", "deviceId": "d", "payload": []}
    assert parse_push(json.dumps(good).encode()).streams == {}
    for bad in (
        b"[]",
        b'{"payload": 3}',
        json.dumps(
            {**good, "payload": [{"name": "gyroscope", "time": 1, "values": {"x": 1, "y": 2}}]}
        ).encode(),
        json.dumps({**good, "payload": [{"name": "gyroscope", "time": 1, "values": [1, 2, 3]}]}).encode(),
        json.dumps({**good, "payload": [{"name": "gyroscope", "time": True, "values": {}}]}).encode(),
        b'{"payload": [{"name": "gyroscope", "time": 5, "values": {"x": NaN, "y": 0, "z": 0}}]}',
        b"\xff\xfe",
    ):
        with pytest.raises(BadMessage):
            parse_push(bad)


def test_merger_never_interpolates_across_a_gap():
    m = StreamMerger(("gyro",), delay_s=0.1, gap_s=0.1)
    t = np.arange(0, 2, 0.02)
    m.add("base", t, np.ones((len(t), 3)))
    tg = t[(t < 0.5) | (t > 1.0)]  # the gyroscope lost half a second
    m.add("gyro", tg, np.column_stack([tg, tg, tg]))
    out = m.release(flush=True)
    assert len(out) == 2 and out[1].gap_before and not out[0].gap_before
    released = np.concatenate([b.t for b in out])
    assert not ((released > 0.52) & (released < 0.98)).any()
    assert m.stats.no_partner == len(t) - len(released)
    # Inside a segment: interpolated; at its edge the nearest sample within one period stands in.
    np.testing.assert_allclose(out[1].others["gyro"][1:, 0], out[1].t[1:], atol=1e-9)
    assert abs(out[1].others["gyro"][0, 0] - out[1].t[0]) <= 0.02 + 1e-9


def test_merger_memory_is_bounded():
    m = StreamMerger(("gyro",), max_pending=1000)
    for k in range(50):
        t = np.arange(k * 100, k * 100 + 100) * 1e-3
        m.add("base", t, np.zeros((100, 3)))
    assert m._base.n <= 1000 and m.stats.overflow == 4000
