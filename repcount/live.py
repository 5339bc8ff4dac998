"""`repcount live`: samples from a live source -> recording + live pipeline -> view.

A source is an async iterator of events (dicts with a `type`): `samples` batches (t_s, acc, gyro,
gap_before) and connection events (`connected`, `link_lost`, `reconnected`, `status`). BLE sensors,
the simulated sensor and phones all feed the same runner, so they all count alike.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import numpy as np

from analysis.live import LivePipeline, LiveSet
from repcount.live_view import LiveState, plain_line, render, write_jsonl
from repcount.report import tempo_text


def summary_event(sets: list[LiveSet]) -> dict[str, Any]:
    full = [r for s in sets for r in s.full]
    rests = [round(b.reps[0].start_s - a.end_s, 1) for a, b in zip(sets[:-1], sets[1:]) if a.end_s and b.reps]
    tempo = {
        "out_s": float(np.mean([r.out_s for r in full])) if full else 0.0,
        "hold_s": float(np.mean([max(0.0, r.hold_s) for r in full])) if full else 0.0,
        "return_s": float(np.mean([r.return_s for r in full])) if full else 0.0,
        "pause_s": float(np.mean([r.pause_s for r in full if r.pause_s is not None] or [0.0])),
    }
    return {
        "type": "summary",
        "total_reps": len(full),
        "reps_per_set": [len(s.full) for s in sets],
        "rest_s": rests,
        "mean_tempo": {k: round(v, 2) for k, v in tempo.items()},
        "text": f"{' + '.join(str(len(s.full)) for s in sets) or '0'} reps, tempo {tempo_text(tempo)}",
        "rom_mean_deg": round(float(np.mean([r.rom_deg for r in full])), 1) if full else None,
    }


async def run_live(
    source: AsyncIterator[dict],
    *,
    output: str = "view",
    rest_target_s: float = 20.0,
    recorder: Any | None = None,
    idle_exit_s: float | None = None,
    emit: Callable[[dict], None] | None = None,
) -> dict[str, Any]:
    """Drive the pipeline from `source` until it ends (or is idle `idle_exit_s`); return the summary.

    output: "view" (full-screen terminal view), "plain" (a line per rep) or "jsonl" (an object per
    event). `recorder` (optional) gets every sample batch as it arrives.
    """
    pipeline = LivePipeline()
    state = LiveState()
    out: Callable[[dict], None]
    live_display = None
    if emit is not None:
        out = emit
    elif output == "jsonl":
        out = write_jsonl
    elif output == "plain":

        def out(ev: dict) -> None:
            line = plain_line(ev)
            if line:
                print(line, flush=True)
    else:
        from rich.live import Live

        live_display = Live(render(state, rest_target_s), refresh_per_second=4, screen=False)
        live_display.start()

        def out(ev: dict) -> None:
            state.apply(ev)
            live_display.update(render(state, rest_target_s))

    last_data = time.monotonic()
    iterator = source.__aiter__()
    try:
        while True:
            timeout = None if idle_exit_s is None else max(0.0, idle_exit_s - (time.monotonic() - last_data))
            try:
                ev = await asyncio.wait_for(iterator.__anext__(), timeout)
            except StopAsyncIteration:
                break
            except asyncio.TimeoutError:
                break  # idle for idle_exit_s: the session is over
            if ev["type"] == "samples":
                last_data = time.monotonic()
                if recorder is not None:
                    recorder.write(ev["t"], ev["acc"], ev["gyro"], gap_before=ev.get("gap_before", False))
                for pe in pipeline.push(ev["t"], ev["acc"], ev["gyro"], ev.get("gap_before", False)):
                    out(pe)
                state.phase = pipeline.phase
            else:
                out(ev)
        for pe in pipeline.finish():
            out(pe)
        summary = summary_event(pipeline.sets)
        out(summary)
        return summary
    finally:
        if live_display is not None:
            live_display.stop()
        if recorder is not None:
            recorder.close()


async def simulated_samples(rec: Any, speed: float = 1.0, per_batch_s: float = 0.03) -> AsyncIterator[dict]:
    """Play a recording as a sensor would send it: small batches, in (sped-up) real time."""
    yield {"type": "connected", "t_s": 0.0, "device": "simulated"}
    n = max(1, min(19, round(per_batch_s * (rec.meta.nominal_rate_hz or rec.measured_rate_hz))))
    start = time.monotonic()
    for i in range(0, len(rec), n):
        due = start + (rec.t[i] - rec.t[0]) / speed
        delay = due - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        yield {
            "type": "samples",
            "t": rec.t[i : i + n],
            "acc": rec.acc[i : i + n],
            "gyro": rec.gyro[i : i + n],
        }


async def ble_source(sensor: Any) -> AsyncIterator[dict]:
    """Events of a started `sensor.ble.client.LiveSensor` as runner events."""
    from sensor.ble.client import Connected, LinkLost, Reconnected, Samples, Stopped

    last_status = -np.inf
    async for ev in sensor.events():
        stats = ev.stats
        if isinstance(ev, Samples):
            b = ev.batch
            yield {"type": "samples", "t": b.t_s, "acc": b.acc, "gyro": b.gyro, "gap_before": b.gap_before}
            if len(b) and b.t_s[-1] - last_status >= 1.0:
                last_status = float(b.t_s[-1])
                yield {
                    "type": "status",
                    "t_s": last_status,
                    "rate_hz": stats.rate_hz,
                    "lost_frames": stats.lost_frames,
                    "bad_frames": stats.bad_frames,
                }
        elif isinstance(ev, Connected):
            yield {"type": "connected", "device": ev.name, "address": ev.address, "mtu": ev.mtu}
        elif isinstance(ev, LinkLost):
            yield {"type": "link_lost", "reason": ev.reason, "lost_frames": stats.lost_frames}
        elif isinstance(ev, Reconnected):
            yield {"type": "reconnected", "attempts": ev.attempts, "downtime_s": round(ev.downtime_s, 2)}
        elif isinstance(ev, Stopped):
            return


async def simulated_ble_session(
    rec: Any,
    *,
    speed: float,
    record_path: str | None,
    faults: Any | None = None,
    sensor: str = "diy",
    **run_kwargs: Any,
) -> dict[str, Any]:
    """A simulated sensor on a virtual radio (Bumble), reached through bleak like a real one: a
    do-it-yourself wrist board on the repcount protocol (`sensor="diy"`, with `faults`), or a Polar
    Verity Sense on PMD (`sensor="polar"`, `rec` at 52 Hz)."""
    from sensor.ble.bumble_backend import VirtualRadio
    from sensor.ble.client import LiveSensor

    radio = VirtualRadio()
    sim: Any
    if sensor == "polar":
        from sensor.ble.simulated_polar import SimulatedPolarSensor

        if faults is not None:
            raise ValueError("the simulated Polar sensor injects no faults")
        sim = SimulatedPolarSensor(radio, rec, speed=speed)
    else:
        from sensor.ble.simulated import SimulatedWristSensor

        sim = SimulatedWristSensor(radio, rec, speed=speed, faults=faults)
    await sim.start()
    live = LiveSensor(
        None,
        backend=radio.client_backend,
        scanner_backend=radio.scanner_backend,
        record_path=record_path,
        clock=lambda: time.monotonic() * speed,  # sensor time runs `speed` times faster
        backoff_s=(0.05, 0.5),
    )
    await live.start()

    async def stop_when_played() -> None:
        await sim.finished.wait()
        await asyncio.sleep(0.2)
        await live.stop("the simulated session ended")
        await sim.stop()

    stopper = asyncio.get_running_loop().create_task(stop_when_played())
    try:
        return await run_live(ble_source(live), **run_kwargs)
    finally:
        await stopper


async def device_session(device: str | None, *, record_path: str | None, **run_kwargs: Any) -> dict[str, Any]:
    """A real BLE sensor, found by name or address (or the first supported one nearby)."""
    from sensor.ble.client import LiveSensor, find_sensor

    found = await find_sensor(device, timeout=10.0)
    sensor = LiveSensor(found, record_path=record_path)
    await sensor.start()
    try:
        return await run_live(ble_source(sensor), **run_kwargs)
    finally:
        await sensor.stop("ended")


async def phone_session(
    app: str,
    *,
    record_path: str | None = None,
    bind: str = "0.0.0.0",
    port: int = 8000,
    token: str | None = None,
    url: str | None = None,
    platform: str = "",
    announce: Callable[[str], None] | None = print,
    on_server: Callable[[Any], None] | None = None,
    **run_kwargs: Any,
) -> dict[str, Any]:
    """A phone in an armband: Sensor Logger pushing to us (`app="sensor-logger"`) or phyphox polled at `url`.

    `announce` gets the lines to show before the session (the address to type in the app, a notice
    when listening on every interface); `on_server` gets the started push server (tests use it).
    """
    from sensor.phone.record import PhoneRecorder

    recorder = PhoneRecorder(record_path, device=app) if record_path else None
    say = announce or (lambda _line: None)
    if app == "phyphox":
        from sensor.phone.phyphox import normalise_url, phyphox_events

        if not url:
            from sensor.errors import InputError

            raise InputError("--url", "phyphox needs the address it shows under 'Allow remote access'")
        say(f"Polling phyphox at {normalise_url(url)}")
        return await run_live(phyphox_events(url), recorder=recorder, **run_kwargs)
    if app != "sensor-logger":
        raise ValueError(f"unknown phone app {app!r}")
    from sensor.phone.address import lan_address, qr_text
    from sensor.phone.sensor_logger import PushServer, push_events

    server = PushServer(bind, port, token)
    server.start()
    try:
        host, bound_port = server.address
        shown = lan_address() if host in ("0.0.0.0", "") else host
        push_url = f"http://{shown}:{bound_port}{server.path}"
        if host in ("0.0.0.0", ""):
            say(
                f"Listening on ALL network interfaces, port {bound_port}: anyone on this network can reach it"
                + ("" if token else " and send data (use --token to require a secret in the URL)")
                + "; --bind ADDRESS restricts it."
            )
        say(f"In Sensor Logger: Settings > Data Streaming > HTTP Push, URL: {push_url}")
        qr = qr_text(push_url)
        if qr:
            say(qr)
        if on_server is not None:
            on_server(server)
        return await run_live(push_events(server, platform=platform), recorder=recorder, **run_kwargs)
    finally:
        server.stop()
