"""phyphox's remote access, polled live.

With "Allow remote access" on, phyphox serves a REST API on the phone (port 8080 on Android, 80 on
iOS): `/config` lists the experiment's buffers, `/control?cmd=start` starts measuring, and
`/get?accX=T|acc_time&...&acc_time=T` returns each buffer's values whose time is after T, with the
app's status (`session`, `measuring`). Buffers `accX/accY/accZ/acc_time` (acceleration with g) and
`gyrX/gyrY/gyrZ/gyr_time` (gyroscope) are the names of phyphox's own sensor experiments; an
experiment with both sensors (see the README) gives both. Values are m/s^2 and rad/s in Android's
sign on both platforms, as the file reader reads them.
"""

from __future__ import annotations

import asyncio
import json
import time
import urllib.error
import urllib.request
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlsplit

import numpy as np

from sensor.errors import InputError

from .merge import StreamMerger

ACC = ("accX", "accY", "accZ", "acc_time")
GYRO = ("gyrX", "gyrY", "gyrZ", "gyr_time")
MAX_RESPONSE = 20_000_000  # bytes: a minute of both sensors at 500 Hz as JSON is far below this


def normalise_url(url: str) -> str:
    """'192.168.1.5:8080' or 'http://192.168.1.5:8080/' -> 'http://192.168.1.5:8080'."""
    url = url.strip()
    if "://" not in url:
        url = "http://" + url
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise InputError(
            "--url", f"expected the address phyphox shows, like http://192.168.1.5:8080, got {url!r}"
        )
    return f"{parts.scheme}://{parts.netloc}"


def _fetch(url: str, timeout: float) -> Any:
    # urllib closes the connection after each request: phyphox's small server does not like keep-alive.
    with urllib.request.urlopen(url, timeout=timeout) as r:
        body = r.read(MAX_RESPONSE + 1)
    if len(body) > MAX_RESPONSE:
        raise ValueError("response too large")
    return json.loads(body)


def _query(names: tuple[str, str, str, str], threshold: str) -> str:
    x, y, z, t = names
    return "&".join([f"{a}={threshold}|{t}" for a in (x, y, z)] + [f"{t}={threshold}"])


def _columns(buffers: dict, names: tuple[str, str, str, str]) -> tuple[np.ndarray, np.ndarray]:
    """(t, (n, 3)) of one sensor from a /get answer; rows with a missing or non-finite value dropped."""
    cols = []
    for name in names:
        b = buffers.get(name)
        vals = b.get("buffer") if isinstance(b, dict) else None
        if not isinstance(vals, list):
            raise ValueError(f"no buffer {name!r} in the answer")
        cols.append(np.array([v if isinstance(v, (int, float)) else np.nan for v in vals], dtype=np.float64))
    n = min(len(c) for c in cols)  # buffers are read one after the other: the last row may be half there
    m = np.column_stack([c[:n] for c in cols]) if n else np.empty((0, 4))
    m = m[np.isfinite(m).all(axis=1)]
    return m[:, 3], m[:, :3]


async def phyphox_events(
    url: str,
    *,
    poll_s: float = 0.1,
    timeout_s: float = 1.0,
    link_timeout_s: float = 2.0,
    start: bool = True,
    acc: tuple[str, str, str, str] = ACC,
    gyro: tuple[str, str, str, str] = GYRO,
    **merger_kwargs: Any,
) -> AsyncIterator[dict]:
    """Runner events from a phone running phyphox, until cancelled (the runner's idle exit ends it)."""
    base = normalise_url(url)
    merger = StreamMerger(("gyro",), **{"delay_s": 0.2, **merger_kwargs})
    thresholds = {"acc": "full", "gyro": "full"}
    offset = 0.0  # added to phyphox's experiment time: a new phyphox session restarts at 0
    last_raw = -np.inf
    session: str | None = None
    connected = False
    ok_at = time.monotonic()
    lost_at: float | None = None
    origin: float | None = None
    data_at = time.monotonic()

    async def get(path: str) -> Any:
        return await asyncio.to_thread(_fetch, base + path, timeout_s)

    def batches(flush: bool) -> list[dict]:
        nonlocal origin
        evs = []
        for b in merger.release(flush=flush):
            if origin is None:
                origin = float(b.t[0])
            evs.append(
                {
                    "type": "samples",
                    "t": b.t - origin,
                    "acc": b.base,
                    "gyro": b.others["gyro"],
                    "gap_before": b.gap_before,
                }
            )
        return evs

    while True:
        t_req = time.monotonic()
        try:
            if not connected:
                config = await get("/config")
                names = {b.get("name") for b in config.get("buffers", []) if isinstance(b, dict)}
                missing = [n for n in acc + gyro if n not in names]
                if missing:
                    raise InputError(
                        base,
                        f"the experiment open in phyphox has no buffer {missing[0]!r}: open one that records "
                        "acceleration with g and the gyroscope (see the README)",
                    )
            answer = await get(f"/get?{_query(acc, thresholds['acc'])}&{_query(gyro, thresholds['gyro'])}")
            status = answer.get("status", {}) if isinstance(answer, dict) else {}
            buffers = answer.get("buffer", {}) if isinstance(answer, dict) else {}
            ta, xa = _columns(buffers, acc)
            tg, xg = _columns(buffers, gyro)
        except (OSError, ValueError, AttributeError, urllib.error.URLError) as exc:
            now = time.monotonic()
            if connected and lost_at is None and now - ok_at > link_timeout_s:
                lost_at = ok_at
                for ev in batches(flush=True):
                    yield ev
                yield {"type": "link_lost", "reason": f"phyphox does not answer ({type(exc).__name__})"}
            await asyncio.sleep(max(0.0, poll_s - (time.monotonic() - t_req)))
            continue
        now = time.monotonic()
        if not connected:
            connected = True
            yield {"type": "connected", "device": "phyphox", "address": base}
        elif lost_at is not None:
            yield {"type": "reconnected", "attempts": 1, "downtime_s": round(now - lost_at, 2)}
            lost_at = None
        ok_at = now
        sess = str(status.get("session", ""))
        if session is not None and sess != session:
            # A new phyphox session (the user cleared the data): its time starts at 0 again.
            offset += max(0.0, last_raw) + 1.0
            last_raw = -np.inf
            if thresholds["acc"] != "full":
                thresholds = {"acc": "full", "gyro": "full"}
                session = sess
                continue  # this answer was cut at the old session's times: ask again for everything
        session = sess
        if start and status.get("measuring") is False:
            await get("/control?cmd=start")
        if len(ta):
            thresholds["acc"] = repr(float(ta[-1]))
            last_raw = max(last_raw, float(ta[-1]))
            merger.add("base", ta + offset, xa)
        if len(tg):
            thresholds["gyro"] = repr(float(tg[-1]))
            merger.add("gyro", tg + offset, xg)
        if len(ta) or len(tg):
            data_at = now
        # Measuring paused or stopped: what waits in the window goes out now, not at the next data.
        for ev in batches(flush=now - data_at > merger.delay_s + 0.3):
            yield ev
        await asyncio.sleep(max(0.0, poll_s - (time.monotonic() - t_req)))
