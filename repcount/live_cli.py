"""`repcount live` and `repcount scan`: the command-line side of live mode."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys

from sensor.errors import InputError


def add_commands(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("live", help="count reps live from a BLE sensor, a phone, or a simulated sensor")
    p.add_argument("--device", help="sensor name or address (default: the first supported one nearby)")
    p.add_argument("--exercise", choices=("pull-apart",), default="pull-apart")
    p.add_argument("--record", metavar="FILE.csv", help="record every sample to this file as it arrives")
    p.add_argument(
        "--simulate",
        nargs="?",
        const="diy",
        choices=("diy", "polar"),
        help="a simulated sensor on a virtual radio: a do-it-yourself wrist board on the repcount "
        "protocol (the default), or a Polar Verity Sense on PMD",
    )
    p.add_argument("--speed", type=float, default=1.0, help="with --simulate: play this many times faster")
    p.add_argument("--seed", type=int, default=0, help="with --simulate: which simulated session")
    p.add_argument("--rest-target", type=float, default=20.0, help="rest between sets, seconds (view)")
    p.add_argument("--idle-exit", type=float, help="end after this many seconds without data")
    p.add_argument(
        "--phone",
        choices=("sensor-logger", "phyphox"),
        help="a phone in an armband: Sensor Logger's HTTP push, or phyphox's remote access (--url)",
    )
    p.add_argument("--port", type=int, default=8000, help="with --phone sensor-logger: port to listen on")
    p.add_argument(
        "--bind", default="0.0.0.0", help="with --phone sensor-logger: address to listen on (default: all)"
    )
    p.add_argument("--token", help="with --phone sensor-logger: secret the app must put in the URL")
    p.add_argument("--url", help="with --phone phyphox: the address phyphox shows (http://PHONE:8080)")
    p.add_argument(
        "--platform",
        choices=("ios", "android"),
        default="",
        help="with --phone sensor-logger: the phone's system, when the sign convention is not detected",
    )
    out = p.add_mutually_exclusive_group()
    out.add_argument("--plain", action="store_true", help="one line per rep (for logs)")
    out.add_argument("--jsonl", action="store_true", help="one JSON object per event (for scripts)")
    p.set_defaults(func=live)

    p = sub.add_parser("scan", help="list supported BLE sensors nearby with signal strength")
    p.add_argument("--timeout", type=float, default=5.0)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=scan)


def live(args: argparse.Namespace) -> int:
    from repcount import live as runner

    output = "jsonl" if args.jsonl else "plain" if args.plain else "view"
    if not sys.stdout.isatty() and output == "view":
        output = "plain"  # a full-screen view makes no sense in a pipe or a log
    kwargs = {"output": output, "rest_target_s": args.rest_target, "idle_exit_s": args.idle_exit}
    if args.speed <= 0:
        raise InputError("--speed", f"expected a positive number, got {args.speed}")
    if args.phone is not None and not 0 <= args.port <= 65535:
        raise InputError("--port", f"expected 0 to 65535, got {args.port}")
    try:
        if args.phone is not None:
            summary = asyncio.run(
                runner.phone_session(
                    args.phone,
                    record_path=args.record,
                    bind=args.bind,
                    port=args.port,
                    token=args.token,
                    url=args.url,
                    platform=args.platform,
                    announce=lambda line: print(line, file=sys.stderr, flush=True),
                    **kwargs,
                )
            )
        elif args.simulate:
            from repcount.simulator import SessionConfig, simulate_session

            # The Verity Sense streams ACC and GYRO at 52 Hz.
            rate = {"diy": SessionConfig.rate_hz, "polar": 52.0}[args.simulate]
            rec, _ = simulate_session(SessionConfig(seed=args.seed, rate_hz=rate))
            summary = asyncio.run(
                runner.simulated_ble_session(
                    rec, speed=args.speed, record_path=args.record, sensor=args.simulate, **kwargs
                )
            )
        else:
            summary = asyncio.run(runner.device_session(args.device, record_path=args.record, **kwargs))
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # the user gets one line, not a traceback; a bug of ours still traces
        if args.phone is not None and isinstance(exc, OSError):  # port in use, address not on this machine
            raise InputError(f"{args.bind}:{args.port}", f"cannot listen: {exc}") from exc
        err = bluetooth_error(exc, args.device or "bluetooth", "cannot connect")
        if err is exc:
            raise
        raise err from exc
    if output == "view":
        print(f"Session: {summary['text']}")
    return 0


def scan(args: argparse.Namespace) -> int:
    from sensor.ble.client import scan_sensors

    try:
        found = asyncio.run(scan_sensors(timeout=args.timeout))
    except Exception as exc:  # no adapter, BlueZ not running, permissions
        err = bluetooth_error(exc, "bluetooth", "cannot scan")
        if err is exc:
            raise
        raise err from exc
    rows = [{"name": f.name, "address": f.address, "rssi": f.rssi, "protocol": f.profile.name} for f in found]
    if args.json:
        print(json.dumps(rows, indent=1))
    elif not rows:
        print("No supported sensors found.")
    else:
        for r in rows:
            print(f"{r['rssi']:>5} dBm  {r['name']:<24} {r['address']}  ({r['protocol']})")
    return 0


def bluetooth_error(exc: Exception, where: str, doing: str) -> Exception:
    """The one-line error for a Bluetooth failure, or `exc` itself when it is a bug of ours."""
    from sensor.ble.client import SensorConnectError, SensorNotFoundError

    if isinstance(exc, (SensorNotFoundError, SensorConnectError)) or type(exc).__module__.startswith("bleak"):
        return InputError(where, f"{doing}: {exc or type(exc).__name__}")
    if isinstance(exc, OSError):  # no adapter, no bluetoothd / D-Bus, no permission
        return InputError(where, f"{doing}: no Bluetooth service reachable ({exc.strerror or exc})")
    return exc
