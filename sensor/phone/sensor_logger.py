"""Sensor Logger's HTTP push, received live.

The app POSTs JSON messages `{messageId, sessionId, deviceId, payload: [{name, time, values}]}` to the
URL typed into its settings; `time` is epoch nanoseconds, one payload entry per sample, `values` an
object with x, y, z. Android sends `totalacceleration` (with gravity, Android's sign); iOS sends
`accelerometer` (without gravity, in g, Apple's sign) and `gravity`. Conventions are decided as the
file reader decides them (`sensor.readers.sensor_logger.gravity_convention`).

The server runs in a thread (stdlib http.server); messages cross to the event loop through a bounded
queue. Everything a client sends is bounded: body size, connections, queued messages, remembered
message ids, samples in the reorder window.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import math
import queue
import threading
import time
from collections import OrderedDict
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import numpy as np

from sensor.readers._units import looks_like_acc_unit
from sensor.readers.sensor_logger import gravity_convention

from .merge import StreamMerger

MAX_BODY = 1_000_000  # bytes; a second of every sensor at 500 Hz is well under this
MAX_CONNECTIONS = 16
QUEUE_MESSAGES = 2048
# Payload names we use -> stream; anything else the app sends (location, battery...) is ignored.
STREAMS = {"totalacceleration": "total", "accelerometer": "user", "gravity": "gravity", "gyroscope": "gyro"}


class BadMessage(ValueError):
    """The body is not a Sensor Logger push message."""


@dataclass
class PushMessage:
    message_id: int | str | None
    session_id: str
    device_id: str
    streams: dict[str, tuple[np.ndarray, np.ndarray]]  # stream -> (time ns int64, (n, 3) values)
    ignored: int = 0  # payload entries of sensors we do not use


def _number(v: Any) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
        raise BadMessage(f"expected a finite number, got {str(v)[:40]!r}")
    return float(v)


def parse_push(body: bytes) -> PushMessage:
    """Validate and decode one message; raises BadMessage on anything but the documented shape."""
    try:
        msg = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BadMessage(f"not JSON: {exc}") from None
    if not isinstance(msg, dict) or not isinstance(msg.get("payload"), list):
        raise BadMessage("expected an object with a 'payload' list")
    mid = msg.get("messageId")
    if mid is not None and (isinstance(mid, bool) or not isinstance(mid, (int, str))):
        raise BadMessage("messageId must be a number or a string")
    sid, did = msg.get("sessionId", ""), msg.get("deviceId", "")
    if not isinstance(sid, str) or not isinstance(did, str):
        raise BadMessage("sessionId and deviceId must be strings")
    rows: dict[str, tuple[list[int], list[list[float]]]] = {}
    ignored = 0
    for e in msg["payload"]:
        if not isinstance(e, dict) or not isinstance(e.get("name"), str):
            raise BadMessage("payload entries must be objects with a 'name'")
        stream = STREAMS.get(e["name"].lower())
        if stream is None:
            ignored += 1
            continue
        t, v = e.get("time"), e.get("values")
        if isinstance(t, bool) or not isinstance(t, int) or not 0 < t < 2**62:
            # epoch ns as an integer; floats would lose the sub-microsecond part anyway
            if isinstance(t, float) and math.isfinite(t) and 0 < t < 2**62:
                t = int(t)
            else:
                raise BadMessage(f"{e['name']}: 'time' must be epoch nanoseconds")
        if not isinstance(v, dict):
            raise BadMessage(f"{e['name']}: 'values' must be an object with x, y, z")
        ts, xs = rows.setdefault(stream, ([], []))
        ts.append(t)
        xs.append([_number(v.get("x")), _number(v.get("y")), _number(v.get("z"))])
    streams = {
        k: (np.asarray(ts, dtype=np.int64), np.asarray(xs, dtype=np.float64)) for k, (ts, xs) in rows.items()
    }
    return PushMessage(mid, sid[:200], did[:200], streams, ignored)


@dataclass
class ServerStats:
    accepted: int = 0
    duplicates: int = 0  # same (sessionId, messageId) again: answered 200, not used
    rejected: dict[int, int] = field(default_factory=dict)  # HTTP status -> count
    queue_full: int = 0  # messages dropped because the consumer was behind


class PushServer:
    """HTTP endpoint for the app. `start()` binds (port 0 picks a free one); messages go to `messages`."""

    def __init__(self, bind: str = "0.0.0.0", port: int = 8000, token: str | None = None) -> None:
        self.token = token or None
        self.stats = ServerStats()
        self.messages: queue.Queue[PushMessage] = queue.Queue(maxsize=QUEUE_MESSAGES)
        self._seen: OrderedDict[tuple[str, str], None] = OrderedDict()  # bounded memory of message ids
        self._lock = threading.Lock()
        self._slots = threading.BoundedSemaphore(MAX_CONNECTIONS)
        self._httpd = _Server((bind, port), _handler_for(self))
        self._httpd.slots = self._slots
        self._thread: threading.Thread | None = None

    @property
    def address(self) -> tuple[str, int]:
        host, port = self._httpd.server_address[:2]
        return str(host), int(port)

    @property
    def path(self) -> str:
        """The path to type into the app (the token, if any, is in it)."""
        return f"/push/{self.token}" if self.token else "/push"

    def start(self) -> None:
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=2.0)

    def _reject(self, code: int) -> None:
        with self._lock:
            self.stats.rejected[code] = self.stats.rejected.get(code, 0) + 1

    def _authorised(self, raw_path: str) -> bool | None:
        """True, False (wrong or missing token) or None (not our path)."""
        parts = urlsplit(raw_path)
        path = parts.path.rstrip("/")
        if self.token is None:
            return True if path in ("", "/push") else None
        given = parse_qs(parts.query).get("token", [""])[0]
        if path.startswith("/push/"):
            given = path[len("/push/") :]
        elif path not in ("", "/push"):
            return None
        return hmac.compare_digest(given.encode(), self.token.encode())

    def _accept(self, msg: PushMessage) -> int:
        with self._lock:
            if msg.message_id is not None:
                key = (msg.session_id, str(msg.message_id))
                if key in self._seen:
                    self.stats.duplicates += 1
                    return 200
                self._seen[key] = None
                if len(self._seen) > 4096:
                    self._seen.popitem(last=False)
        try:
            self.messages.put_nowait(msg)
        except queue.Full:
            with self._lock:
                self.stats.queue_full += 1
            return 503
        with self._lock:
            self.stats.accepted += 1
        return 200


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    slots: threading.BoundedSemaphore

    def process_request(self, request: Any, client_address: Any) -> None:
        # At most MAX_CONNECTIONS handler threads, whatever clients open: the rest are closed at once.
        if not self.slots.acquire(blocking=False):
            self.shutdown_request(request)
            return
        super().process_request(request, client_address)

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self.slots.release()


def _handler_for(server: PushServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        timeout = 10  # a client that stalls mid-request loses its connection, not a thread forever
        protocol_version = "HTTP/1.1"
        server_version = "repcount"
        sys_version = ""

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            pass  # the live view owns the terminal

        def _send(self, code: int, text: str) -> None:
            if code >= 400:
                server._reject(code)
            body = (text + "\n").encode()
            self.send_response(code)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            if code >= 400:
                self.send_header("Connection", "close")
                self.close_connection = True
            self.end_headers()
            self.wfile.write(body)

        def _check(self) -> bool:
            ok = server._authorised(self.path)
            if ok is None:
                self._send(404, "not found")
            elif not ok:
                self._send(403, "wrong or missing token")
            return bool(ok)

        def do_GET(self) -> None:
            if self._check():
                self._send(200, "repcount is listening: point Sensor Logger's HTTP push here (POST)")

        def do_POST(self) -> None:
            if not self._check():
                return
            length = self.headers.get("Content-Length")
            if self.headers.get("Transfer-Encoding") or length is None or not length.isdigit():
                self._send(411, "a Content-Length is required")
                return
            n = int(length)
            if n > MAX_BODY:
                self._send(413, f"body over {MAX_BODY} bytes")
                return
            body = self.rfile.read(n)
            if len(body) != n:
                self.close_connection = True
                return
            try:
                msg = parse_push(body)
            except BadMessage as exc:
                self._send(400, str(exc))
                return
            code = server._accept(msg)
            self._send(code, "ok" if code == 200 else "busy")

    return Handler


class SensorLoggerStreams:
    """Push messages -> merged batches with acc (with gravity, Android sign, m/s^2) and gyro (rad/s)."""

    def __init__(self, platform: str = "", **merger_kwargs: Any) -> None:
        self.platform = platform
        self.merger_kwargs = merger_kwargs
        self.merger: StreamMerger | None = None
        self.mode = ""  # "total" (Android TotalAcceleration) or "user" (accelerometer + gravity)
        self.notes: list[str] = []
        self._t0_ns: int | None = None
        self._scale: float | None = None
        self._sign = 1.0

    def add(self, msg: PushMessage) -> None:
        if not self.mode:
            if "total" in msg.streams:
                self.mode = "total"
                self.merger = StreamMerger(("gyro",), **self.merger_kwargs)
            elif "user" in msg.streams:
                self.mode = "user"
                self.merger = StreamMerger(("gyro", "gravity"), **self.merger_kwargs)
            else:
                return  # gyroscope alone cannot count: wait for the first accelerometer message
        assert self.merger is not None
        if self._t0_ns is None:
            self._t0_ns = int(min(t.min() for t, _ in msg.streams.values()))
        base = "total" if self.mode == "total" else "user"
        for name, (t_ns, xyz) in msg.streams.items():
            t = (t_ns - self._t0_ns) * 1e-9  # relative first: float64 keeps sub-microsecond steps
            if name == base:
                self.merger.add("base", t, xyz)
            elif name == "gyro" or (name == "gravity" and self.mode == "user"):
                self.merger.add(name, t, xyz)

    def release(self, flush: bool = False) -> list[tuple[np.ndarray, np.ndarray, np.ndarray, bool]]:
        """(t relative to the first message, acc, gyro, gap_before) batches ready to go."""
        if self.merger is None:
            return []
        out = []
        for b in self.merger.release(flush=flush):
            if self.mode == "user":
                if self._scale is None:  # decided once, on the first batch: a session keeps one convention
                    self._scale, self._sign, notes = gravity_convention(b.others["gravity"], self.platform)
                    self.notes += notes
                acc = self._sign * self._scale * (b.base + b.others["gravity"])
            else:
                if self._scale is None:
                    self._scale = 9.80665 if looks_like_acc_unit(b.base) == "g" else 1.0
                acc = self._scale * b.base
            out.append((b.t, acc, b.others["gyro"], b.gap_before))
        return out


async def push_events(
    server: PushServer,
    *,
    platform: str = "",
    link_timeout_s: float = 2.0,
    poll_s: float = 0.02,
    status_every_s: float = 1.0,
    **merger_kwargs: Any,
) -> AsyncIterator[dict]:
    """Runner events from a started PushServer, until cancelled (the runner's idle exit ends it)."""
    streams = SensorLoggerStreams(platform, **merger_kwargs)
    delay = streams.merger_kwargs.get("delay_s", 0.3)
    origin: float | None = None  # the first released sample is t = 0
    last_t = -np.inf
    last_msg: float | None = None
    lost_at: float | None = None
    connected = False
    last_status = time.monotonic()
    n_out = 0
    rate_mark = (0, 0.0)  # (samples, sensor time) at the previous status: the rate is measured between

    def batches(flush: bool) -> list[dict]:
        nonlocal origin, last_t, n_out
        evs = []
        for t, acc, gyro, gap in streams.release(flush):
            if origin is None:
                origin = float(t[0])
            ts = t - origin
            evs.append({"type": "samples", "t": ts, "acc": acc, "gyro": gyro, "gap_before": gap})
            last_t = float(ts[-1])
            n_out += len(ts)
        return evs

    while True:
        got = 0
        while got < 200:  # bounded work per turn keeps the view responsive under a flood
            try:
                msg = server.messages.get_nowait()
            except queue.Empty:
                break
            got += 1
            now = time.monotonic()
            if not connected:
                connected = True
                yield {
                    "type": "connected",
                    "device": msg.device_id or "Sensor Logger",
                    "address": "http push",
                }
            elif lost_at is not None:
                yield {"type": "reconnected", "attempts": 1, "downtime_s": round(now - lost_at, 2)}
                lost_at = None
            last_msg = now
            streams.add(msg)
        now = time.monotonic()
        quiet = last_msg is not None and now - last_msg > delay + 0.2
        for ev in batches(flush=quiet):
            yield ev
        if last_msg is not None and lost_at is None and now - last_msg > link_timeout_s:
            lost_at = last_msg
            yield {"type": "link_lost", "reason": f"no data for {link_timeout_s:g} s"}
        if now - last_status >= status_every_s and connected and lost_at is None:
            last_status = now
            st, ms = server.stats, streams.merger.stats if streams.merger else None
            span = last_t - rate_mark[1] if np.isfinite(last_t) else 0.0
            rate = (n_out - rate_mark[0]) / span if span > 0 else 0.0
            rate_mark = (n_out, last_t if np.isfinite(last_t) else 0.0)
            dropped = (ms.late + ms.duplicates) if ms else 0
            yield {
                "type": "status",
                "t_s": round(last_t, 3) if np.isfinite(last_t) else 0.0,
                "rate_hz": round(rate, 1),
                "lost_frames": (ms.no_partner + ms.overflow) if ms else 0,
                "bad_frames": sum(st.rejected.values()) + st.queue_full + dropped,
                "samples": n_out,
            }
        if got == 0:
            await asyncio.sleep(poll_s)
        else:
            await asyncio.sleep(0)
