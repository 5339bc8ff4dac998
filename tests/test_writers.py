"""Writers: every format round-trips through the readers, with the real apps' exact layouts."""

from __future__ import annotations

import re
import zipfile
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pytest

from sensor.readers import detect_format, read_recording
from sensor.recording import STANDARD_GRAVITY, Gap, Recording, RecordingMeta
from sensor.writers import FORMAT_NAMES, gravity_estimate, write_recording

START = datetime(2025, 6, 2, 7, 15, 30, 250000, tzinfo=timezone.utc)
SINGLE_FILE = {"repcount-csv", "generic-csv", "cara"}
READ_AS = {"sensor-logger-ios": "sensor-logger", "sensor-logger-watch": "sensor-logger"}
# Worst error the format's number formatting allows: (t s, acc m/s^2, gyro rad/s).
PRECISION = {
    "repcount-csv": (1e-6, 1e-4, 1e-5),
    "sensor-logger": (1e-6, 1e-5, 1e-6),
    "sensor-logger-ios": (1e-6, 1e-5, 1e-6),
    "sensor-logger-watch": (1e-6, 1e-5, 1e-6),
    "phyphox": (1e-8, 1e-7, 1e-8),
    "metabase": (1e-3, 0.0005 * STANDARD_GRAVITY + 1e-9, np.radians(0.0005) + 1e-9),
    "generic-csv": (1e-6, 1e-6, 1e-6),
    "cara": (1e-3, 1e-4, 1e-4),
}


def wrist_recording(rate: float = 100.0, seconds: float = 20.0) -> Recording:
    """A wrist turning back and forth at 0.5 Hz with a 1.5 s dropout, gravity included."""
    t = np.arange(0, seconds, 1 / rate)
    t = t[(t < 8.0) | (t >= 9.5)]
    ang = 0.8 * np.sin(2 * np.pi * 0.5 * t)
    rate_y = 0.8 * 2 * np.pi * 0.5 * np.cos(2 * np.pi * 0.5 * t)
    acc = np.column_stack(
        [STANDARD_GRAVITY * np.sin(ang), 0.4 * np.sin(2 * np.pi * 1.1 * t), STANDARD_GRAVITY * np.cos(ang)]
    )
    gyro = np.column_stack([0.1 * np.sin(2 * np.pi * 0.3 * t), rate_y, -0.05 * np.ones_like(t)])
    i = int(np.searchsorted(t, 9.5))
    meta = RecordingMeta(
        format="synthetic",
        start_utc=START,
        nominal_rate_hz=rate,
        device="C0FFEE123456",
        gaps=[Gap(float(t[i - 1]), float(t[i]))],
    )
    return Recording(t, acc, gyro, meta)


def _out(tmp_path: Path, fmt: str) -> Path:
    return tmp_path / (f"{fmt}.csv" if fmt in SINGLE_FILE else fmt)


def test_format_names():
    assert FORMAT_NAMES == [
        "repcount-csv",
        "sensor-logger",
        "sensor-logger-ios",
        "sensor-logger-watch",
        "phyphox",
        "metabase",
        "generic-csv",
        "cara",
    ]


@pytest.mark.parametrize("fmt", FORMAT_NAMES)
def test_round_trip(tmp_path, fmt):
    rec = wrist_recording()
    path = _out(tmp_path, fmt)
    files = write_recording(rec, path, fmt)
    assert files and all(f.exists() for f in files)
    back = read_recording(path)
    assert back.meta.format == READ_AS.get(fmt, fmt)
    assert detect_format(path) == back.meta.format
    assert len(back) == len(rec)
    tol_t, tol_a, tol_g = PRECISION[fmt]
    np.testing.assert_allclose(back.t, rec.t, atol=tol_t)
    np.testing.assert_allclose(back.acc, rec.acc, atol=tol_a, rtol=1e-6)
    np.testing.assert_allclose(back.gyro, rec.gyro, atol=tol_g, rtol=1e-6)
    # The dropout survives as the one gap, at the same place.
    assert len(back.meta.gaps) == 1
    assert back.meta.gaps[0].start_s == pytest.approx(rec.meta.gaps[0].start_s, abs=tol_t)
    assert back.meta.gaps[0].end_s == pytest.approx(rec.meta.gaps[0].end_s, abs=tol_t)
    if fmt != "generic-csv":  # the generic writer keeps relative time only
        assert abs((back.meta.start_utc - START).total_seconds()) <= max(tol_t, 1e-6)


def test_repcount_file_matches_format_md(tmp_path):
    rec = wrist_recording()
    (path,) = write_recording(rec, tmp_path / "s.csv", "repcount-csv")
    lines = path.read_text().splitlines()
    assert lines[:5] == [
        "# repcount-csv 1",
        "# start_utc=2025-06-02T07:15:30.250000Z",
        "# device=C0FFEE123456",
        "# nominal_rate_hz=100",
        "t_s,ax_mps2,ay_mps2,az_mps2,gx_rads,gy_rads,gz_rads,gap",
    ]
    assert (
        lines[5] == "0.000000,0.0000,0.0000,9.8066,0.00000,2.51327,-0.05000,"
    )  # 9.80665 is 9.806649999.. in binary
    flagged = [ln for ln in lines[5:] if ln.endswith(",1")]
    assert len(flagged) == 1 and flagged[0].startswith("9.500000,")


def test_sensor_logger_android_files_and_headers(tmp_path):
    files = write_recording(wrist_recording(), tmp_path / "sl", "sensor-logger")
    assert sorted(f.name for f in files) == [
        "Accelerometer.csv",
        "Gravity.csv",
        "Gyroscope.csv",
        "Metadata.csv",
        "TotalAcceleration.csv",
    ]
    total = (tmp_path / "sl/TotalAcceleration.csv").read_text().splitlines()
    assert total[0] == "time,seconds_elapsed,z,y,x"
    assert total[1].split(",")[:2] == ["1748848530250000000", "0"]  # epoch ns; JavaScript prints 0, not 0.0
    meta = (tmp_path / "sl/Metadata.csv").read_text().splitlines()
    assert meta[0].startswith("version,device name,recording epoch time,recording time")
    assert ",android," in meta[1] and meta[1].split(",")[2] == "1748848530250"


def test_sensor_logger_ios_uses_apple_sign_and_no_total(tmp_path):
    rec = wrist_recording()
    files = write_recording(rec, tmp_path / "ios", "sensor-logger-ios")
    assert "TotalAcceleration.csv" not in {f.name for f in files}
    grav = np.loadtxt(tmp_path / "ios/Gravity.csv", delimiter=",", skiprows=1)
    user = np.loadtxt(tmp_path / "ios/Accelerometer.csv", delimiter=",", skiprows=1)
    assert grav[:, 2].mean() < -8.0  # z column first; Apple's gravity points down, out of a face-up screen
    assert abs(user[:, 2:].mean()) < 0.5  # without gravity


def test_sensor_logger_watch_is_in_g(tmp_path):
    write_recording(wrist_recording(), tmp_path / "w", "sensor-logger-watch")
    text = (tmp_path / "w/WristMotion.csv").read_text().splitlines()
    assert text[0].startswith("time,seconds_elapsed,rotationRateX,rotationRateY,rotationRateZ,gravityX")
    v = np.array([[float(x) for x in ln.split(",")] for ln in text[1:]])
    assert np.median(np.linalg.norm(v[:, 5:8], axis=1)) == pytest.approx(1.0, abs=1e-3)


def test_gravity_argument_is_used(tmp_path):
    rec = wrist_recording()
    g = np.tile([0.0, 0.0, STANDARD_GRAVITY], (len(rec), 1))
    write_recording(rec, tmp_path / "sl", "sensor-logger", gravity=g)
    grav = np.loadtxt(tmp_path / "sl/Gravity.csv", delimiter=",", skiprows=1)
    np.testing.assert_allclose(grav[:, 2], STANDARD_GRAVITY, rtol=1e-6)


def test_gravity_estimate_has_one_g_and_follows_slow_tilt():
    t = np.arange(0, 60, 0.01)
    ang = 0.5 * np.sin(2 * np.pi * 0.02 * t)  # a slow 50 s tilt, well below the 0.3 Hz cut-off
    shake = 2.0 * np.sin(2 * np.pi * 3.0 * t)  # fast motion that is not gravity
    acc = np.column_stack(
        [STANDARD_GRAVITY * np.sin(ang) + shake, np.zeros_like(t), STANDARD_GRAVITY * np.cos(ang)]
    )
    g = gravity_estimate(Recording(t, acc, np.zeros_like(acc), RecordingMeta(format="x")))
    np.testing.assert_allclose(np.linalg.norm(g, axis=1), STANDARD_GRAVITY)
    inner = slice(500, -500)  # away from the filter's edges
    assert np.abs(g[inner, 0] - STANDARD_GRAVITY * np.sin(ang[inner])).max() < 0.2


def test_phyphox_number_format_and_zip_layout(tmp_path):
    (zpath,) = write_recording(wrist_recording(), tmp_path / "exp.zip", "phyphox")
    with zipfile.ZipFile(zpath) as zf:
        assert sorted(zf.namelist()) == [
            "Accelerometer.csv",
            "Gyroscope.csv",
            "meta/device.csv",
            "meta/time.csv",
        ]
        acc = zf.read("Accelerometer.csv").decode().splitlines()
        time_csv = zf.read("meta/time.csv").decode().splitlines()
    assert acc[0] == '"Time (s)","Acceleration x (m/s^2)","Acceleration y (m/s^2)","Acceleration z (m/s^2)"'
    assert acc[1] == "0.000000000E0,0.000000000E0,0.000000000E0,9.806650000E0"
    assert re.fullmatch(r"1\.000000000E-2,(-?\d\.\d{9}E-?\d+,){2}-?\d\.\d{9}E-?\d+", acc[2])
    assert time_csv[0] == '"event","experiment time","system time","system time text"'
    assert time_csv[1].startswith('"START",0.000000000E0,1748848530.250,')


def test_phyphox_semicolon_decimal_comma(tmp_path):
    rec = wrist_recording()
    write_recording(rec, tmp_path / "semi", "phyphox", separator=";")
    line = (tmp_path / "semi/Gyroscope.csv").read_text().splitlines()[1]
    assert line.count(";") == 3 and "," in line and "." not in line
    back = read_recording(tmp_path / "semi")
    np.testing.assert_allclose(back.gyro, rec.gyro, atol=1e-8)


def test_metabase_streams_at_their_own_rates(tmp_path):
    rec = wrist_recording()
    files = write_recording(rec, tmp_path / "mb", "metabase", stream_rates_hz={"acc": 12.5, "gyro": 25.0})
    names = sorted(f.name for f in files)
    assert names == [
        "MetaWear_2025-06-02T07.15.30.250_C0FFEE123456_Accelerometer.csv",
        "MetaWear_2025-06-02T07.15.30.250_C0FFEE123456_Gyroscope.csv",
    ]
    acc_lines = (
        files[0].read_text().splitlines() if "Acc" in files[0].name else files[1].read_text().splitlines()
    )
    assert acc_lines[0] == "epoch (ms),time (00:00),elapsed (s),x-axis (g),y-axis (g),z-axis (g)"
    assert acc_lines[1] == "1748848530250,2025-06-02T07:15:30.250,0.000,0.000,0.000,1.000"
    back = read_recording(tmp_path / "mb")
    assert back.meta.nominal_rate_hz == pytest.approx(25, abs=0.5)
    assert len(back.meta.gaps) == 1
    # The 12.5 Hz accelerometer, interpolated onto the 25 Hz timeline, still follows the slow motion.
    ref = np.column_stack([np.interp(back.t, rec.t - rec.t[0], rec.acc[:, k]) for k in range(3)])
    assert np.abs(back.acc - ref).max() < 0.3


def test_cara_and_generic_layouts(tmp_path):
    rec = wrist_recording()
    (cara,) = write_recording(rec, tmp_path / "c.csv", "cara")
    assert cara.read_text().splitlines()[0] == "1748848530250,0.0000,0.0000,9.8066,0.0000,2.5133,-0.0500"
    (gen,) = write_recording(rec, tmp_path / "g.csv", "generic-csv")
    assert (
        gen.read_text().splitlines()[0]
        == "time (s),ax (m/s^2),ay (m/s^2),az (m/s^2),gx (rad/s),gy (rad/s),gz (rad/s)"
    )


def test_unknown_format_is_refused(tmp_path):
    with pytest.raises(ValueError, match="unknown format 'xlsx'"):
        write_recording(wrist_recording(), tmp_path / "x", "xlsx")
