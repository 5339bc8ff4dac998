"""`repcount live --phone phyphox`: polling a small fake phyphox (its documented /config, /control and
/get API, serving a simulated session as it "measures") on loopback, with the phone going silent."""

import asyncio
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

import numpy as np

from analysis.pullapart import process_session
from repcount.live import phone_session
from repcount.simulator import SessionConfig, simulate_session
from sensor.readers import read_recording

SPEED = 8.0  # the fake phone measures this many times faster than real time


class FakePhyphox:
    def __init__(self, rec, down=(None, None)):
        self.t_acc, self.acc = rec.t + 0.5, rec.acc
        self.t_gyr, self.gyr = rec.t + 0.503, rec.gyro  # the gyroscope ticks on its own clock
        self.started_at = None
        self.down = down  # (from, to) in wall seconds after start: no answers
        self.gets = 0
        fake = self

        class H(BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_GET(self):
                fake.handle(self)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), H)
        threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def reply(self, h, obj):
        body = json.dumps(obj).encode()
        h.send_response(200)
        h.send_header("Content-Type", "application/json")
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body)

    def handle(self, h):
        parts = urlsplit(h.path)
        now = None if self.started_at is None else time.monotonic() - self.started_at
        if now is not None and self.down[0] is not None and self.down[0] <= now < self.down[1]:
            h.close_connection = True  # silent phone: the connection closes without an answer
            return
        if parts.path == "/config":
            names = ["accX", "accY", "accZ", "acc_time", "gyrX", "gyrY", "gyrZ", "gyr_time"]
            return self.reply(
                h, {"crc32": "0", "title": "Acc + gyro", "buffers": [{"name": n, "size": 0} for n in names]}
            )
        if parts.path == "/control":
            if dict(parse_qsl(parts.query)).get("cmd") == "start" and self.started_at is None:
                self.started_at = time.monotonic()
            return self.reply(h, {"result": True})
        if parts.path != "/get":
            h.send_error(404)
            return
        self.gets += 1
        upto = -1.0 if now is None else now * SPEED
        out = {}
        for k, v in parse_qsl(parts.query, keep_blank_values=True):
            th, _, _ = v.partition("|")
            name, axis = ("acc", k[3:]) if k.startswith("acc") else ("gyr", k[3:])
            t, xyz = (self.t_acc, self.acc) if name == "acc" else (self.t_gyr, self.gyr)
            sel = (t <= upto) & ((t > float(th)) if th != "full" else True)
            col = t[sel] if axis == "_time" else xyz[sel, "XYZ".index(axis)]
            out[k] = {"size": 0, "updateMode": "partial", "buffer": col.tolist()}
        status = {
            "session": "a1b2",
            "measuring": self.started_at is not None,
            "timedRun": False,
            "countDown": 0,
        }
        self.reply(h, {"buffer": out, "status": status})

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def test_phyphox_session_counts_like_offline(tmp_path):
    rec, _ = simulate_session(SessionConfig(seed=5, sets=1, reps=6, rate_hz=50))
    offline = process_session(rec)
    fake = FakePhyphox(rec, down=(1.5, 4.0))
    events = []
    path = tmp_path / "phyphox.csv"
    try:
        summary = asyncio.run(
            phone_session(
                "phyphox",
                url=fake.url,
                record_path=str(path),
                announce=None,
                emit=events.append,
                idle_exit_s=3.5,
            )
        )
    finally:
        fake.close()
    kinds = [e["type"] for e in events]
    assert kinds[0] == "connected"
    assert "link_lost" in kinds and kinds.index("link_lost") < kinds.index("reconnected")
    recorded = read_recording(path)
    assert len(recorded) == len(rec)  # nothing lost: the phone kept measuring while it was unreachable
    np.testing.assert_allclose(recorded.acc, rec.acc, atol=2e-3)
    assert summary["reps_per_set"] == [len(s.full_reps) for s in offline.sets]
    assert summary["total_reps"] == 6
