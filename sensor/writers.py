"""Write a `Recording` the way each supported app or dataset writes it.

    write_recording(rec, path, fmt) -> list[Path]

Used by the simulator to produce sessions in every format and by the reader tests for round
trips. Header strings, column orders, file names, units, sign conventions and number formatting
follow the real exports (see sensor/readers/ for what each format is). Single-file formats write
`path` itself; multi-file formats write a folder at `path`, or a zip when `path` ends in .zip.
"""

from __future__ import annotations

import itertools
import re
import zipfile
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
from scipy.signal import butter, sosfiltfilt

from sensor.recording import STANDARD_GRAVITY, Recording

FORMAT_NAMES = [
    "repcount-csv",
    "sensor-logger",
    "sensor-logger-ios",
    "sensor-logger-watch",
    "phyphox",
    "metabase",
    "generic-csv",
    "cara",
]

# Recordings without a start time still need an absolute clock in formats that always have one.
DEFAULT_START = datetime(2024, 1, 15, 9, 30, 0, tzinfo=timezone.utc)
_CHUNK = 50_000  # rows formatted per string operation: large enough to be fast, small enough for memory
_GRAVITY_CUTOFF_HZ = 0.3
_SENSOR_LOGGER_META = (
    "version,device name,recording epoch time,recording time,recording timezone,platform,appVersion,"
    "device id,sensors,sampleRateMs,standardisation,platform version"
)
_WRIST_HEADER = (
    "time,seconds_elapsed,rotationRateX,rotationRateY,rotationRateZ,gravityX,gravityY,gravityZ,"
    "accelerationX,accelerationY,accelerationZ,quaternionW,quaternionX,quaternionY,quaternionZ"
)


def _rows(fmt: str, cols: Sequence[np.ndarray | list]) -> str:
    """Format equal-length columns with one printf row format, a chunk at a time (no per-row loop)."""
    n = len(cols[0])
    out = []
    for s in range(0, n, _CHUNK):
        parts = [c[s : s + _CHUNK] for c in cols]
        lists = [p.tolist() if isinstance(p, np.ndarray) else list(p) for p in parts]
        m = len(lists[0])
        out.append((fmt * m) % tuple(itertools.chain.from_iterable(zip(*lists, strict=True))))
    return "".join(out)


def _start(rec: Recording) -> datetime:
    s = rec.meta.start_utc or DEFAULT_START
    return s.astimezone(timezone.utc) if s.tzinfo else s.replace(tzinfo=timezone.utc)


def _epoch_ns(rec: Recording, t: np.ndarray) -> np.ndarray:
    base = int(round(_start(rec).timestamp() * 1e6)) * 1000
    return base + np.round(np.asarray(t) * 1e9).astype(np.int64)


def _epoch_ms(rec: Recording, t: np.ndarray) -> np.ndarray:
    base = int(round(_start(rec).timestamp() * 1000))
    return base + np.round(np.asarray(t) * 1000).astype(np.int64)


def gravity_estimate(rec: Recording) -> np.ndarray:
    """Low-passed acceleration scaled to 1 g: what a phone's fused gravity sensor would report."""
    acc = rec.acc
    rate = rec.measured_rate_hz
    if len(acc) > 30 and rate > 4 * _GRAVITY_CUTOFF_HZ:
        sos = butter(2, _GRAVITY_CUTOFF_HZ, fs=rate, output="sos")
        g = sosfiltfilt(sos, acc, axis=0)
    else:
        g = np.repeat(acc.mean(axis=0, keepdims=True), len(acc), axis=0)
    norm = np.linalg.norm(g, axis=1, keepdims=True)
    return g / np.where(norm > 0, norm, 1.0) * STANDARD_GRAVITY


def _outside_gaps(rec: Recording, t: np.ndarray) -> np.ndarray:
    keep = np.ones(len(t), dtype=bool)
    for g in rec.meta.gaps:
        keep &= ~((t > g.start_s) & (t < g.end_s))
    return keep


def _resample(
    rec: Recording, rate_hz: float | None, values: np.ndarray, phase_s: float = 0.0
) -> tuple[np.ndarray, np.ndarray]:
    """`values` at a stream's own rate, as a device logging at `rate_hz` would give; never inside gaps."""
    if not rate_hz:
        return rec.t, values
    t = np.arange(rec.t[0] + phase_s, rec.t[-1] + 1e-9, 1.0 / rate_hz)
    t = t[_outside_gaps(rec, t)]
    return t, np.column_stack([np.interp(t, rec.t, values[:, k]) for k in range(values.shape[1])])


class _Out:
    """Collects named text files, then writes them to a folder or a zip archive."""

    def __init__(self, path: Path):
        self.path = path
        self.files: dict[str, str] = {}

    def add(self, name: str, text: str) -> None:
        self.files[name] = text

    def write(self) -> list[Path]:
        if self.path.suffix.lower() == ".zip":
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with zipfile.ZipFile(self.path, "w", zipfile.ZIP_DEFLATED) as zf:
                for name, text in self.files.items():
                    zf.writestr(name, text.encode("utf-8"))
            return [self.path]
        written = []
        for name, text in self.files.items():
            p = self.path / name
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_text(text, encoding="utf-8", newline="")
            written.append(p)
        return written


def _write_text(path: Path, text: str) -> list[Path]:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8", newline="")
    return [path]


# --- repcount-csv --------------------------------------------------------------------------------


def _write_repcount(rec: Recording, path: Path) -> list[Path]:
    lines = ["# repcount-csv 1"]
    if rec.meta.start_utc is not None:
        lines.append(f"# start_utc={_start(rec).strftime('%Y-%m-%dT%H:%M:%S.%fZ')}")
    if rec.meta.device:
        lines.append(f"# device={rec.meta.device}")
    rate = rec.meta.nominal_rate_hz or round(rec.measured_rate_hz)
    lines.append(f"# nominal_rate_hz={rate:g}")
    lines.append("t_s,ax_mps2,ay_mps2,az_mps2,gx_rads,gy_rads,gz_rads,gap")
    flag = np.full(len(rec.t), "", dtype=object)
    for g in rec.meta.gaps:
        i = int(np.searchsorted(rec.t, g.end_s - 1e-9))
        if 0 < i < len(rec.t):
            flag[i] = "1"
    a, w = rec.acc, rec.gyro
    body = _rows(
        "%.6f,%.4f,%.4f,%.4f,%.5f,%.5f,%.5f,%s\n",
        [rec.t, a[:, 0], a[:, 1], a[:, 2], w[:, 0], w[:, 1], w[:, 2], flag],
    )
    return _write_text(path, "\n".join(lines) + "\n" + body)


# --- Sensor Logger -------------------------------------------------------------------------------


def _f32(x: np.ndarray) -> np.ndarray:
    """Phones sample in float32; the app prints the double of that float, e.g. 0.06110857427120209."""
    return np.asarray(x, dtype=np.float32).astype(np.float64)


_JS_INT_RE = re.compile(r"(?<=[,\n])(-?\d+)\.0(?=[,\n])")


def _js_numbers(text: str) -> str:
    """JavaScript prints whole numbers without '.0' (0, 1), unlike Python (0.0, 1.0)."""
    return _JS_INT_RE.sub(r"\1", text)


def _sl_table(ns: np.ndarray, elapsed: np.ndarray, xyz: np.ndarray) -> str:
    v = _f32(xyz)
    body = _rows("%d,%s,%s,%s,%s\n", [ns, elapsed, v[:, 2], v[:, 1], v[:, 0]])
    return "time,seconds_elapsed,z,y,x\n" + _js_numbers(body)


def _sl_metadata(rec: Recording, platform: str, sensors: list[str], standardised: bool) -> str:
    start = _start(rec)
    rate_ms = f"{1000.0 / rec.measured_rate_hz:.0f}" if rec.measured_rate_hz else "10"
    device = rec.meta.device or ("iPhone 13" if platform == "ios" else "Pixel 7")
    row = [
        "3",
        device,
        str(int(round(start.timestamp() * 1000))),
        start.strftime("%Y-%m-%d_%H-%M-%S"),
        "UTC",
        platform,
        "1.40.0",
        "5f1c2d3e4b5a6978",
        "|".join(sensors),
        "|".join([rate_ms] * len(sensors)),
        "true" if standardised else "false",
        "17.4" if platform == "ios" else "14",
    ]
    return _SENSOR_LOGGER_META + "\n" + ",".join(f'"{f}"' if "," in f else f for f in row) + "\n"


def _write_sensor_logger(rec: Recording, path: Path, variant: str, gravity: np.ndarray | None) -> list[Path]:
    out = _Out(path)
    ns = _epoch_ns(rec, rec.t)
    elapsed = rec.t - rec.t[0]
    grav = gravity_estimate(rec) if gravity is None else np.asarray(gravity, dtype=np.float64).reshape(-1, 3)
    user = rec.acc - grav
    if variant == "android":
        out.add("Accelerometer.csv", _sl_table(ns, elapsed, user))
        out.add("Gravity.csv", _sl_table(ns, elapsed, grav))
        out.add("Gyroscope.csv", _sl_table(ns, elapsed, rec.gyro))
        out.add("TotalAcceleration.csv", _sl_table(ns, elapsed, rec.acc))
        out.add(
            "Metadata.csv",
            _sl_metadata(
                rec, "android", ["Accelerometer", "Gravity", "Gyroscope", "TotalAcceleration"], False
            ),
        )
    elif variant == "ios":
        # Apple's sign: gravity is the pull of the earth and accelerations are flipped with it.
        out.add("Accelerometer.csv", _sl_table(ns, elapsed, -user))
        out.add("Gravity.csv", _sl_table(ns, elapsed, -grav))
        out.add("Gyroscope.csv", _sl_table(ns, elapsed, rec.gyro))
        out.add("Metadata.csv", _sl_metadata(rec, "ios", ["Accelerometer", "Gravity", "Gyroscope"], False))
    else:  # Apple Watch WristMotion: g units and Apple's sign unless standardised
        g = _f32(-grav / STANDARD_GRAVITY)
        u = _f32(-user / STANDARD_GRAVITY)
        w = _f32(rec.gyro)
        n = len(rec.t)
        one, zero = np.ones(n), np.zeros(n)
        body = _rows(
            "%d,%s" + ",%s" * 13 + "\n",
            [
                ns,
                elapsed,
                w[:, 0],
                w[:, 1],
                w[:, 2],
                g[:, 0],
                g[:, 1],
                g[:, 2],
                u[:, 0],
                u[:, 1],
                u[:, 2],
                one,
                zero,
                zero,
                zero,
            ],
        )
        out.add("WristMotion.csv", _WRIST_HEADER + "\n" + _js_numbers(body))
        out.add("Metadata.csv", _sl_metadata(rec, "ios", ["Wrist Motion"], False))
    return out.write()


# --- phyphox -------------------------------------------------------------------------------------

_EXP_RE = re.compile(r"E\+?(-?)0*(\d)")


def _java_sci(text: str, decimal: str) -> str:
    """Java DecimalFormat "0.000000000E0": 6.999333331E-3, 9.810000000E0 (no '+', no exponent zeros)."""
    text = _EXP_RE.sub(r"E\1\2", text)
    return text.replace(".", ",") if decimal == "," else text


def _phyphox_table(header: list[str], t: np.ndarray, xyz: np.ndarray, sep: str, decimal: str) -> str:
    head = sep.join(f'"{h}"' for h in header) + "\n"
    fmt = sep.join(["%.9E"] * 4) + "\n"
    return head + _java_sci(_rows(fmt, [t, xyz[:, 0], xyz[:, 1], xyz[:, 2]]), decimal)


def _write_phyphox(rec: Recording, path: Path, rates: dict[str, float] | None, separator: str) -> list[Path]:
    sep = {",": ",", "\t": "\t", "tab": "\t", ";": ";", "semicolon": ";"}[separator]
    decimal = "," if sep == ";" else "."
    rates = rates or {}
    out = _Out(path)
    ta, acc = _resample(rec, rates.get("acc"), rec.acc)
    tg, gyro = _resample(rec, rates.get("gyro"), rec.gyro)
    out.add(
        "Accelerometer.csv",
        _phyphox_table(
            ["Time (s)", "Acceleration x (m/s^2)", "Acceleration y (m/s^2)", "Acceleration z (m/s^2)"],
            ta,
            acc,
            sep,
            decimal,
        ),
    )
    out.add(
        "Gyroscope.csv",
        _phyphox_table(
            ["Time (s)", "Gyroscope x (rad/s)", "Gyroscope y (rad/s)", "Gyroscope z (rad/s)"],
            tg,
            gyro,
            sep,
            decimal,
        ),
    )
    device = [
        ("version", "1.2.0"),
        ("build", "1020009"),
        ("fileFormat", "1.19"),
        ("deviceModel", "Pixel 7"),
        ("deviceBrand", "google"),
        ("deviceBoard", "panther"),
        ("deviceManufacturer", "Google"),
        ("deviceBaseOS", ""),
        ("deviceCodename", "REL"),
        ("deviceRelease", "14"),
    ]
    out.add("meta/device.csv", f'"property"{sep}"value"\n' + "".join(f'"{k}"{sep}"{v}"\n' for k, v in device))
    start = _start(rec) - timedelta(seconds=float(rec.t[0]))
    sys_t = f"{start.timestamp():.3f}"
    if decimal == ",":
        sys_t = sys_t.replace(".", ",")
    text = start.strftime("%Y-%m-%d %H:%M:%S.") + f"{start.microsecond // 1000:03d} UTCZ"
    zero = "0,000000000E0" if decimal == "," else "0.000000000E0"
    out.add(
        "meta/time.csv",
        f'"event"{sep}"experiment time"{sep}"system time"{sep}"system time text"\n'
        f'"START"{sep}{zero}{sep}{sys_t}{sep}"{text}"\n',
    )
    return out.write()


# --- MetaBase ------------------------------------------------------------------------------------


def _metabase_file(rec: Recording, t: np.ndarray, xyz: np.ndarray, unit: str) -> str:
    ms = _epoch_ms(rec, t)
    stamps = np.datetime_as_string(ms.astype("datetime64[ms]"), unit="ms")
    elapsed = (ms - ms[0]) / 1000.0
    header = f"epoch (ms),time (00:00),elapsed (s),x-axis ({unit}),y-axis ({unit}),z-axis ({unit})\n"
    return header + _rows(
        "%d,%s,%.3f,%.3f,%.3f,%.3f\n", [ms, stamps, elapsed, xyz[:, 0], xyz[:, 1], xyz[:, 2]]
    )


def _write_metabase(rec: Recording, path: Path, rates: dict[str, float] | None) -> list[Path]:
    rates = rates or {}
    ta, acc = _resample(rec, rates.get("acc"), rec.acc / STANDARD_GRAVITY)
    tg, gyro = _resample(rec, rates.get("gyro"), np.degrees(rec.gyro))
    mac = rec.meta.device if re.fullmatch(r"[0-9A-F]{12}", rec.meta.device or "") else "D1A2B3C4E5F6"
    stamp = _start(rec).strftime("%Y-%m-%dT%H.%M.%S.%f")[:-3]
    out = _Out(path)
    out.add(f"MetaWear_{stamp}_{mac}_Accelerometer.csv", _metabase_file(rec, ta, acc, "g"))
    out.add(f"MetaWear_{stamp}_{mac}_Gyroscope.csv", _metabase_file(rec, tg, gyro, "deg/s"))
    return out.write()


# --- generic CSV and CaRa ------------------------------------------------------------------------


def _write_generic(rec: Recording, path: Path) -> list[Path]:
    a, w = rec.acc, rec.gyro
    header = "time (s),ax (m/s^2),ay (m/s^2),az (m/s^2),gx (rad/s),gy (rad/s),gz (rad/s)\n"
    body = _rows(
        "%.6f,%.6f,%.6f,%.6f,%.6f,%.6f,%.6f\n", [rec.t, a[:, 0], a[:, 1], a[:, 2], w[:, 0], w[:, 1], w[:, 2]]
    )
    return _write_text(path, header + body)


def _write_cara(rec: Recording, path: Path) -> list[Path]:
    a, w = rec.acc, rec.gyro
    ms = _epoch_ms(rec, rec.t)
    body = _rows(
        "%d,%.4f,%.4f,%.4f,%.4f,%.4f,%.4f\n", [ms, a[:, 0], a[:, 1], a[:, 2], w[:, 0], w[:, 1], w[:, 2]]
    )
    return _write_text(path, body)


def write_recording(
    rec: Recording,
    path: str | Path,
    fmt: str,
    *,
    gravity: np.ndarray | None = None,
    stream_rates_hz: dict[str, float] | None = None,
    separator: str = ",",
) -> list[Path]:
    """Write `rec` in format `fmt` (one of FORMAT_NAMES); returns the files written.

    gravity: (n, 3) m/s^2 in Android's sign, for the Sensor Logger variants that export gravity
        separately; default: the low-passed acceleration scaled to 1 g.
    stream_rates_hz: {"acc": 12.5, "gyro": 25} to write each sensor at its own rate (metabase and
        phyphox, whose devices log the sensors separately); default: both on the recording's time.
    separator: phyphox only: "," (CSV), "\\t" (tab) or ";" (semicolon with decimal commas).
    """
    p = Path(path)
    if len(rec) < 2:
        raise ValueError("a recording needs at least 2 samples to be written")
    if fmt == "repcount-csv":
        return _write_repcount(rec, p)
    if fmt == "sensor-logger":
        return _write_sensor_logger(rec, p, "android", gravity)
    if fmt == "sensor-logger-ios":
        return _write_sensor_logger(rec, p, "ios", gravity)
    if fmt == "sensor-logger-watch":
        return _write_sensor_logger(rec, p, "watch", gravity)
    if fmt == "phyphox":
        return _write_phyphox(rec, p, stream_rates_hz, separator)
    if fmt == "metabase":
        return _write_metabase(rec, p, stream_rates_hz)
    if fmt == "generic-csv":
        return _write_generic(rec, p)
    if fmt == "cara":
        return _write_cara(rec, p)
    raise ValueError(f"unknown format {fmt!r}; expected one of {', '.join(FORMAT_NAMES)}")


__all__ = ["FORMAT_NAMES", "gravity_estimate", "write_recording"]
