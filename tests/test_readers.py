"""Readers: every format from small real-layout samples, messy exports, and one-line errors."""

from __future__ import annotations

import shutil
import time
import zipfile
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pytest

from sensor import timebase
from sensor.errors import InputError
from sensor.readers import FORMATS, _csvio, detect_format, read_recording
from sensor.readers._source import open_container
from sensor.readers.generic_csv import parse_column, time_scale
from sensor.recording import STANDARD_GRAVITY, Recording

SAMPLES = Path(__file__).parent / "format_samples"
BAD = Path(__file__).parent / "bad_inputs"
T0 = datetime(2025, 3, 1, 10, 0, 0, tzinfo=timezone.utc)


def _check_basic(rec: Recording) -> None:
    """What every Recording must satisfy, whatever the source."""
    assert rec.t[0] == 0.0
    assert np.all(np.diff(rec.t) > 0)
    assert rec.acc.shape == rec.gyro.shape == (len(rec.t), 3)
    assert np.isfinite(rec.acc).all() and np.isfinite(rec.gyro).all()
    assert rec.meta.format in FORMATS


def _norm(rec: Recording) -> float:
    return float(np.median(np.linalg.norm(rec.acc, axis=1)))


def _zip_folder(folder: Path, dest: Path, prefix: str = "") -> Path:
    with zipfile.ZipFile(dest, "w") as zf:
        for p in sorted(folder.rglob("*")):
            if p.is_file():
                zf.write(p, prefix + p.relative_to(folder).as_posix())
    return dest


# --- repcount-csv ---------------------------------------------------------------------------------


def test_repcount_reads_metadata_and_marked_gap():
    rec = read_recording(SAMPLES / "repcount/session.csv")
    _check_basic(rec)
    assert rec.meta.format == "repcount-csv"
    assert len(rec) == 150
    assert rec.meta.start_utc == datetime(2026, 11, 23, 20, 0, tzinfo=timezone.utc)
    assert rec.meta.device == "XIAO-wrist-3F2A"
    assert rec.meta.nominal_rate_hz == 100
    assert [(round(g.start_s, 2), round(g.end_s, 2)) for g in rec.meta.gaps] == [(0.99, 1.5)]
    assert rec.meta.gaps[0].reason == "marked in the file"
    assert _norm(rec) == pytest.approx(STANDARD_GRAVITY, abs=0.01)


def test_repcount_crash_mid_line_reads_up_to_last_complete_line():
    whole = read_recording(SAMPLES / "repcount/session.csv")
    cut = read_recording(SAMPLES / "repcount/crashed.csv")
    assert len(cut) == len(whole) - 1
    np.testing.assert_array_equal(cut.acc, whole.acc[:-1])
    assert any("middle of a line" in n for n in cut.meta.notes)


# --- Sensor Logger --------------------------------------------------------------------------------


def test_sensor_logger_android_merges_streams_on_their_own_clocks():
    rec = read_recording(SAMPLES / "sensor_logger_android")
    _check_basic(rec)
    assert rec.meta.format == "sensor-logger"
    assert rec.meta.device == "Pixel 7"
    # Gyroscope stamps start 7.1 ms in, the accelerometer's 1.3 ms in: the merge starts at the later.
    assert abs((rec.meta.start_utc - T0).total_seconds() - 0.0213) < 1e-3
    assert rec.meta.nominal_rate_hz == pytest.approx(50, abs=0.5)
    assert rec.acc[:, 2].mean() > 9.0  # face up: +z in Android's sign
    assert rec.gyro[:, 0].mean() == pytest.approx(0.05, abs=1e-6)


def test_sensor_logger_same_result_from_folder_zip_and_one_file(tmp_path):
    folder = read_recording(SAMPLES / "sensor_logger_android")
    zipped = read_recording(
        _zip_folder(SAMPLES / "sensor_logger_android", tmp_path / "export.zip", "2025-03-01/")
    )
    one = read_recording(SAMPLES / "sensor_logger_android/Gyroscope.csv")
    for other in (zipped, one):
        np.testing.assert_allclose(other.t, folder.t)
        np.testing.assert_allclose(other.acc, folder.acc)
        np.testing.assert_allclose(other.gyro, folder.gyro)


def test_sensor_logger_ios_apple_sign_is_flipped_and_gravity_added():
    rec = read_recording(SAMPLES / "sensor_logger_ios")
    _check_basic(rec)
    assert _norm(rec) == pytest.approx(STANDARD_GRAVITY, abs=0.05)
    assert rec.acc[:, 2].mean() > 9.0  # Gravity.csv says z = -9.8 (Apple's sign): flipped to +z
    assert any("Apple's sign" in n for n in rec.meta.notes)


def _ios_export(tmp_path: Path, metadata_from: str, metadata_to: str) -> Path:
    """A copy of the iOS sample export with one edit to its Metadata.csv."""
    folder = tmp_path / "export"
    shutil.copytree(SAMPLES / "sensor_logger_ios", folder)
    meta = folder / "Metadata.csv"
    meta.write_text(meta.read_text().replace(metadata_from, metadata_to))
    return folder


def test_sensor_logger_ios_standardised_is_not_flipped(tmp_path):
    folder = _ios_export(tmp_path, ",false,", ",true,")
    for name in ("Accelerometer.csv", "Gravity.csv"):  # standardised data is in Android's sign
        lines = (folder / name).read_text().splitlines()
        flipped = [lines[0]] + [
            ",".join(c if i < 2 else str(-float(c)) for i, c in enumerate(ln.split(","))) for ln in lines[1:]
        ]
        (folder / name).write_text("\n".join(flipped) + "\n")
    rec = read_recording(folder)
    assert rec.acc[:, 2].mean() > 9.0
    assert not any("Apple" in n for n in rec.meta.notes)


def test_sensor_logger_metadata_with_an_unquoted_comma_in_the_device_name(tmp_path):
    # "iPhone 13, work" written without quotes: one field more than the header. The platform and the
    # standardisation are still read from their columns, not guessed from the data.
    rec = read_recording(_ios_export(tmp_path, ",iPhone 13,", ",iPhone 13, work,"))
    assert rec.acc[:, 2].mean() > 9.0
    assert any("Apple's sign" in n for n in rec.meta.notes)
    assert not any("assumed" in n for n in rec.meta.notes)


def test_sensor_logger_metadata_without_a_platform_says_so(tmp_path):
    rec = read_recording(_ios_export(tmp_path, ",ios,", ",,"))
    assert rec.acc[:, 2].mean() > 9.0  # guessed from how the phone was held
    assert any(n.startswith("Metadata.csv names no platform") for n in rec.meta.notes)


def test_sensor_logger_prefixed_without_metadata_guesses_sign_and_says_so():
    rec = read_recording(SAMPLES / "sensor_logger_ios_prefixed")
    assert rec.acc[:, 2].mean() > 9.0
    assert any("no Metadata.csv" in n for n in rec.meta.notes)


def test_sensor_logger_watch_in_g_is_converted():
    rec = read_recording(SAMPLES / "sensor_logger_watch/WristMotion.csv")
    _check_basic(rec)
    assert _norm(rec) == pytest.approx(STANDARD_GRAVITY, abs=0.05)
    assert rec.acc[:, 2].mean() > 9.0
    assert any("in g" in n for n in rec.meta.notes)
    assert not any("no Metadata.csv" in n for n in rec.meta.notes)  # found next to the file


def test_sensor_logger_combined_csv_with_sensor_column(tmp_path):
    src = SAMPLES / "sensor_logger_android"
    rows = ["sensor,time,seconds_elapsed,z,y,x"]
    for name, label in (("TotalAcceleration.csv", "TotalAcceleration"), ("Gyroscope.csv", "Gyroscope")):
        rows += [f"{label},{ln}" for ln in (src / name).read_text().splitlines()[1:]]
    (tmp_path / "combined.csv").write_text("\n".join(rows) + "\n")
    rec = read_recording(tmp_path / "combined.csv")
    ref = read_recording(src)
    np.testing.assert_allclose(rec.acc, ref.acc)
    np.testing.assert_allclose(rec.gyro, ref.gyro)


# --- phyphox --------------------------------------------------------------------------------------


def test_phyphox_merges_acc_onto_faster_gyro_and_reads_start_time():
    rec = read_recording(SAMPLES / "phyphox_csv")
    _check_basic(rec)
    assert rec.meta.format == "phyphox"
    assert rec.meta.nominal_rate_hz == pytest.approx(100, abs=1)
    # meta/time.csv: START at experiment time 0 = 1740823200.000; the first merged sample is at 0.0131 s.
    assert abs((rec.meta.start_utc - T0).total_seconds() - 0.0131) < 1e-4
    assert any("interpolated onto the gyroscope" in n for n in rec.meta.notes)
    assert _norm(rec) == pytest.approx(STANDARD_GRAVITY, abs=0.01)


def test_phyphox_semicolon_decimal_comma_tab_single_file_and_zip_agree(tmp_path):
    ref = read_recording(SAMPLES / "phyphox_csv")
    semi = read_recording(SAMPLES / "phyphox_semicolon")
    single = read_recording(SAMPLES / "phyphox_single_tab.csv")
    zipped = read_recording(_zip_folder(SAMPLES / "phyphox_csv", tmp_path / "phyphox.zip"))
    for other in (semi, single, zipped):
        np.testing.assert_allclose(other.t, ref.t, atol=1e-9)
        np.testing.assert_allclose(other.acc, ref.acc, atol=1e-6)
        np.testing.assert_allclose(other.gyro, ref.gyro, atol=1e-6)
    assert semi.meta.start_utc == ref.meta.start_utc
    assert single.meta.start_utc is None  # no meta/time.csv in a single-file export


def test_phyphox_single_file_with_tables_one_after_another(tmp_path):
    acc = (SAMPLES / "phyphox_csv/Accelerometer.csv").read_text()
    gyro = (SAMPLES / "phyphox_csv/Gyroscope.csv").read_text()
    (tmp_path / "export.csv").write_text(acc + gyro)
    rec = read_recording(tmp_path / "export.csv")
    ref = read_recording(SAMPLES / "phyphox_csv")
    np.testing.assert_allclose(rec.gyro, ref.gyro)
    np.testing.assert_allclose(rec.acc, ref.acc)


def test_phyphox_linear_acceleration_only_is_read_with_a_note():
    rec = read_recording(SAMPLES / "phyphox_linear")
    _check_basic(rec)
    assert _norm(rec) < 3.0  # no gravity in it
    assert any("no gravity" in n and "vertical" in n for n in rec.meta.notes)


# --- MetaBase -------------------------------------------------------------------------------------


def test_metabase_different_rates_offset_start_and_gap():
    rec = read_recording(SAMPLES / "metabase")
    _check_basic(rec)
    assert rec.meta.format == "metabase"
    assert rec.meta.nominal_rate_hz == pytest.approx(25, abs=0.5)
    # The gyroscope starts 0.4 s after the accelerometer: nothing before both exist.
    assert abs((rec.meta.start_utc - T0).total_seconds() - 0.4) < 1e-6
    assert len(rec.meta.gaps) == 1
    g = rec.meta.gaps[0]
    assert g.start_s < 2.6 + 0.01 and g.end_s > 4.6 - 0.01
    assert not np.any((rec.t > g.start_s) & (rec.t < g.end_s))
    assert _norm(rec) == pytest.approx(STANDARD_GRAVITY, abs=0.02)  # g -> m/s^2
    assert rec.gyro[:, 0].mean() == pytest.approx(0.05, abs=1e-3)  # deg/s -> rad/s
    assert any("0.40 s" in n for n in rec.meta.notes)


def test_metabase_bad_cell_is_named_in_the_file_it_is_in(tmp_path):
    # The error names the gyroscope file and its line.
    folder = tmp_path / "metabase"
    shutil.copytree(SAMPLES / "metabase", folder)
    gyro = next(folder.glob("*Gyroscope*"))
    lines = gyro.read_text().splitlines()
    lines[5] = lines[5].rsplit(",", 1)[0] + ",n/a?"
    gyro.write_text("\n".join(lines) + "\n")
    with pytest.raises(InputError) as e:
        read_recording(folder)
    msg = str(e.value)
    assert gyro.name in msg and "line 6" in msg and "n/a?" in msg


def test_metabase_one_file_finds_its_partner():
    folder = read_recording(SAMPLES / "metabase")
    one = read_recording(next((SAMPLES / "metabase").glob("*Gyroscope*.csv")))
    np.testing.assert_array_equal(one.acc, folder.acc)


# --- generic CSV and CaRa ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["brackets_deg.csv", "suffix_g.csv", "mps2_us.csv"])
def test_generic_header_styles_give_si_units(name):
    rec = read_recording(SAMPLES / "generic" / name)
    _check_basic(rec)
    assert rec.meta.format == "generic-csv"
    assert rec.duration_s == pytest.approx(1.99, abs=1e-6)
    assert _norm(rec) == pytest.approx(STANDARD_GRAVITY, abs=0.01)
    assert rec.gyro[:, 0].mean() == pytest.approx(0.05, abs=1e-4)


def test_generic_epoch_ms_gives_start_time():
    rec = read_recording(SAMPLES / "generic/suffix_g.csv")
    assert rec.meta.start_utc == T0


def test_generic_units_override_fills_missing_units():
    rec = read_recording(SAMPLES / "generic/no_units.csv", units={"acc": "m/s^2", "gyro": "rad/s", "t": "s"})
    assert _norm(rec) == pytest.approx(STANDARD_GRAVITY, abs=0.01)


def test_generic_columns_override(tmp_path):
    lines = (SAMPLES / "generic/no_units.csv").read_text().splitlines()
    (tmp_path / "odd.csv").write_text("\n".join(["clock,A,B,C,D,E,F"] + lines[1:]) + "\n")
    cols = {"t": "clock", "ax": "A", "ay": "B", "az": "C", "gx": "D", "gy": "E", "gz": "F"}
    rec = read_recording(tmp_path / "odd.csv", columns=cols, units={"acc": "m/s^2", "gyro": "rad/s"})
    assert _norm(rec) == pytest.approx(STANDARD_GRAVITY, abs=0.01)
    with pytest.raises(InputError, match="no such column"):
        read_recording(
            tmp_path / "odd.csv", columns={**cols, "gz": "nope"}, units={"acc": "g", "gyro": "rad/s"}
        )


def test_generic_messy_export_bom_crlf_blank_nan_shared_and_backwards_stamps():
    rec = read_recording(SAMPLES / "generic/messy_bom_crlf.csv")
    _check_basic(rec)
    assert len(rec) == 198  # 200 samples, 2 lines with NaN/empty cells
    notes = " | ".join(rec.meta.notes)
    assert "2 line(s) with missing, NaN or infinite values were dropped" in notes
    assert "shared a timestamp" in notes
    assert "stepped slightly back" in notes
    assert rec.duration_s == pytest.approx(2.0, abs=0.05)


def test_cara_real_recording_bursty_timestamps():
    rec = read_recording(SAMPLES / "cara_1635588252230_P10_Squat_15.csv")
    _check_basic(rec)
    assert rec.meta.format == "cara"
    assert len(rec) == 402
    assert rec.meta.start_utc == datetime(2021, 10, 30, 10, 4, 12, 255000, tzinfo=timezone.utc)
    # Stamps arrive ~3 at a time; re-spaced, the rate is the true ~100 Hz, not the 333 Hz of the bursts.
    assert rec.measured_rate_hz == pytest.approx(100, rel=0.05)
    assert rec.meta.nominal_rate_hz == pytest.approx(100, rel=0.05)
    assert any("unevenly bunched" in n for n in rec.meta.notes)
    assert 8.0 < _norm(rec) < 12.0


@pytest.mark.parametrize(
    "path, fmt",
    [
        ("repcount/session.csv", "repcount-csv"),
        ("sensor_logger_ios", "sensor-logger"),
        ("sensor_logger_watch/WristMotion.csv", "sensor-logger"),
        ("phyphox_semicolon", "phyphox"),
        ("phyphox_single_tab.csv", "phyphox"),
        ("metabase", "metabase"),
        ("generic/brackets_deg.csv", "generic-csv"),
        ("cara_1635588252230_P10_Squat_15.csv", "cara"),
    ],
)
def test_detect_format(path, fmt):
    assert detect_format(SAMPLES / path) == fmt


def test_detection_uses_content_not_extension(tmp_path):
    shutil.copy(SAMPLES / "repcount/session.csv", tmp_path / "session.txt")
    shutil.copy(SAMPLES / "cara_1635588252230_P10_Squat_15.csv", tmp_path / "watch.dat")
    assert detect_format(tmp_path / "session.txt") == "repcount-csv"
    assert detect_format(tmp_path / "watch.dat") == "cara"
    _zip_folder(SAMPLES / "metabase", tmp_path / "export.bin")
    assert detect_format(tmp_path / "export.bin") == "metabase"


# --- column and time-unit parsing ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "header, role, unit",
    [
        ("ax (m/s^2)", "ax", "m/s^2"),
        ("gyro_x [deg/s]", "gx", "deg/s"),
        ("acc_x_g", "ax", "g"),
        ("gyroX(rad/s)", "gx", "rad/s"),
        ("accel_x_mps2", "ax", "m/s^2"),
        ("Acceleration z (m/s²)", "az", "m/s^2"),
        ("gz_dps", "gz", "deg/s"),
        ("x-axis (g)", "ax", "g"),
        ("timestamp", "t", None),
        ("time_s", "t", "s"),
        ("epoch_ms", "t", "ms"),
        ("name", None, None),
    ],
)
def test_parse_column(header, role, unit):
    assert parse_column(header) == (role, unit)


@pytest.mark.parametrize(
    "values, unit, epoch",
    [
        (np.arange(10) * 0.01, "s", False),
        (np.arange(10) * 10.0, "ms", False),
        (np.arange(10) * 2.4, "ms", False),  # 416 Hz in ms
        (np.arange(10) * 10_000.0, "us", False),
        (1.7e9 + np.arange(10) * 0.01, "s", True),
        (1.7e12 + np.arange(10) * 10, "ms", True),
        (1.7e18 + np.arange(10) * 1e7, "ns", True),
    ],
)
def test_time_scale_from_values(values, unit, epoch):
    assert time_scale(values) == (unit, epoch)


# --- time base ------------------------------------------------------------------------------------


def test_spread_duplicate_timestamps_evenly_to_next_stamp():
    t = np.array([0.0, 0.0, 0.0, 0.03, 0.04, 0.04])
    out = timebase.spread_duplicate_timestamps(t)
    np.testing.assert_allclose(out, [0.0, 0.01, 0.02, 0.03, 0.04, 0.05])
    assert np.all(np.diff(out) > 0)


def test_repair_clamps_jitter_but_rejects_real_backward_jump():
    t = np.array([0.0, 0.01, 0.02, 0.019, 0.03, 0.04])
    fixed, rep = timebase.repair_time_axis(t)
    assert np.all(np.diff(fixed) > 0) and rep.backwards == 1
    with pytest.raises(timebase.TimeWentBackwards) as e:
        timebase.repair_time_axis(np.array([0.0, 0.01, 0.02, 0.03, 0.5, 0.04]))
    assert e.value.index == 5


def test_find_gaps_needs_three_median_steps_and_200_ms():
    t = np.r_[np.arange(0, 1, 0.01), np.arange(1.15, 2, 0.01), np.arange(2.5, 3, 0.01)]
    gaps = timebase.find_gaps(t)
    # 0.16 s (16 steps) is short of 0.2 s; the 0.5 s hole before 2.5 is a gap.
    assert len(gaps) == 1 and t[gaps[0] + 1] == pytest.approx(2.5)


def test_even_out_bursts_leaves_regular_stamps_alone():
    regular = np.arange(100) * 0.01 + np.random.default_rng(0).normal(0, 0.0005, 100)
    out, shift = timebase.even_out_bursts(np.sort(regular))
    assert shift == 0.0
    bursty = np.repeat(np.arange(40) * 0.03, 3) + np.tile([0.0, 0.001, 0.002], 40)
    out, shift = timebase.even_out_bursts(bursty)
    assert 0 < shift < 0.03
    assert float(np.median(np.diff(out))) == pytest.approx(0.01, rel=0.05)


# --- bad inputs -----------------------------------------------------------------------------------


def _expected() -> list[tuple[str, str, int | None, str | None]]:
    cases = []
    for ln in (BAD / "EXPECTED.txt").read_text(encoding="utf-8").splitlines():
        if ln.startswith("#") or not ln.strip():
            continue
        name, fragment, line, column = ln.split("\t")
        cases.append((name, fragment, None if line == "-" else int(line), None if column == "-" else column))
    return cases


@pytest.mark.parametrize("name, fragment, line, column", _expected(), ids=[c[0] for c in _expected()])
def test_bad_input_gives_one_line_naming_file_line_and_column(name, fragment, line, column):
    with pytest.raises(InputError) as e:
        read_recording(BAD / name)
    msg = str(e.value)
    assert "\n" not in msg
    assert fragment in msg
    assert Path(name).name in msg  # names the file (or folder)
    assert e.value.line == line
    assert e.value.column == column
    if line is not None:
        assert f"line {line}" in msg
    if column is not None:
        assert repr(column) in msg


def test_bad_input_corpus_covers_every_file():
    listed = {Path(c[0]).parts[0] for c in _expected()}
    present = {p.name for p in BAD.iterdir() if p.name not in ("EXPECTED.txt", "make_bad_inputs.py")}
    assert present <= listed


def test_unknown_units_and_roles_in_options():
    path = SAMPLES / "generic/no_units.csv"
    with pytest.raises(InputError, match="unknown unit; expected m/s\\^2 or g"):
        read_recording(path, units={"acc": "furlongs", "gyro": "rad/s"})
    with pytest.raises(InputError, match="unknown role 'ux'"):
        read_recording(path, columns={"ux": "ax"})


def test_huge_file_is_refused_with_one_line(monkeypatch):
    monkeypatch.setattr(_csvio, "available_memory", lambda: 20_000)  # bytes: the file needs ~70 kB
    with pytest.raises(InputError, match="too large to read safely") as e:
        read_recording(SAMPLES / "cara_1635588252230_P10_Squat_15.csv")
    assert "\n" not in str(e.value)


# --- parsing a named file by path --------------------------------------------------------------


def _sample_paths() -> list[Path]:
    return sorted(p for p in SAMPLES.rglob("*.csv") if p.is_file())


def _by_stream(monkeypatch, path: Path) -> Recording:
    with monkeypatch.context() as m:
        m.setattr(_csvio, "_parse_by_path", lambda *a, **k: None)
        return read_recording(path)


def _same_recording(a: Recording, b: Recording) -> None:
    np.testing.assert_array_equal(a.t, b.t)
    np.testing.assert_array_equal(a.acc, b.acc)
    np.testing.assert_array_equal(a.gyro, b.gyro)
    assert a.meta.gaps == b.meta.gaps


@pytest.mark.parametrize("path", _sample_paths(), ids=lambda p: p.relative_to(SAMPLES).as_posix())
def test_reading_by_path_gives_what_the_stream_gives(monkeypatch, path):
    used = []
    real = _csvio._parse_by_path
    monkeypatch.setattr(_csvio, "_parse_by_path", lambda *a, **k: used.append(real(*a, **k)) or used[-1])
    try:
        fast = read_recording(path)
    except InputError as e:  # a sample that needs options: both routes must say the same
        with pytest.raises(InputError) as slow:
            _by_stream(monkeypatch, path)
        assert str(slow.value) == str(e)
        return
    _same_recording(fast, _by_stream(monkeypatch, path))
    if path.name in ("session.csv", "mps2_us.csv"):
        assert any(df is not None for df in used)  # the fast route was taken, not fallen back from


def _write_generic(path: Path, lines: list[str], newline: str = "\n") -> Path:
    path.write_bytes(newline.join(lines).encode() + newline.encode())
    return path


def _generic_rows(n: int, extra: callable) -> list[str]:
    rows = []
    for i in range(n):
        rows.append(f"{i / 100:.2f},{0.1 * (i % 7):.1f},0.2,9.8,{0.01 * (i % 5):.2f},0,0,{extra(i)}")
    return rows


HEADER = "time (s),ax (m/s^2),ay (m/s^2),az (m/s^2),gx (rad/s),gy (rad/s),gz (rad/s),note"


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
def test_lines_before_the_header_are_skipped_whatever_ends_them(monkeypatch, tmp_path, newline):
    lines = ["# exported by some app", "", "# more notes", HEADER] + _generic_rows(300, lambda i: "")
    path = _write_generic(tmp_path / "notes_first.csv", lines, newline)
    rec = read_recording(path)
    assert len(rec) == 300 and rec.acc[1, 0] == pytest.approx(0.1)
    _same_recording(rec, _by_stream(monkeypatch, path))


def test_text_far_down_a_column_not_asked_for_still_reads(monkeypatch, tmp_path):
    # The head shows the last column empty; row 250 has a word in it.
    path = _write_generic(
        tmp_path / "late_text.csv", [HEADER] + _generic_rows(400, lambda i: "lap" if i == 250 else "")
    )
    rec = read_recording(path)
    assert len(rec) == 400
    _same_recording(rec, _by_stream(monkeypatch, path))


def _assert_bad_cell_named(path: Path, n: int, bad_row: int, newline: str = "\n") -> None:
    """A file of `n` rows whose row `bad_row` has a word for ay names its line and the word."""
    rows = _generic_rows(n, lambda i: "")
    rows[bad_row] = rows[bad_row].replace(",0.2,", ",oops,", 1)
    _write_generic(path, [HEADER] + rows, newline)
    with pytest.raises(InputError) as e:
        read_recording(path)
    assert f"line {bad_row + 2}" in str(e.value) and "oops" in str(e.value)


def test_bad_cell_far_down_is_named_after_the_fast_route_fails(tmp_path):
    _assert_bad_cell_named(tmp_path / "bad_late.csv", 400, 300)


def test_a_file_still_being_recorded_is_read_up_to_its_size_when_opened(monkeypatch, tmp_path):
    # A sample is being written while the file is parsed: the parse by name sees a line cut short,
    # so the file is read up to where it ended when it was opened.
    path = _write_generic(tmp_path / "growing.csv", [HEADER] + _generic_rows(200, lambda i: ""))
    real = _csvio.pd.read_csv

    def read_csv_while_recording(source, *args, **kwargs):
        if isinstance(source, Path):
            with open(source, "a") as f:
                f.write("2.00,0.1,0.2,9.8,0.01,0,0.12")  # every field there, the last cut short
        return real(source, *args, **kwargs)

    monkeypatch.setattr(_csvio.pd, "read_csv", read_csv_while_recording)
    rec = read_recording(path)
    assert len(rec) == 200 and rec.t[-1] == pytest.approx(1.99)


def test_old_mac_line_ends_read_and_name_their_lines(tmp_path):
    # Excel's "CSV (Macintosh)" ends lines with CR alone.
    lf = read_recording(_write_generic(tmp_path / "lf.csv", [HEADER] + _generic_rows(300, lambda i: "")))
    cr = read_recording(
        _write_generic(tmp_path / "cr.csv", [HEADER] + _generic_rows(300, lambda i: ""), "\r")
    )
    _same_recording(cr, lf)
    _assert_bad_cell_named(tmp_path / "cr_bad.csv", 300, 200, "\r")


def test_a_large_file_parsed_in_parts_gives_the_same_recording(monkeypatch, tmp_path):
    # Files over _ONE_PASS_BYTES are parsed in parts on all cores: shrink the limits so a small
    # file takes that route, and compare with the whole-file parse.
    path = _write_generic(tmp_path / "parts.csv", ["# notes", HEADER] + _generic_rows(3000, lambda i: ""))
    whole = read_recording(path)
    with monkeypatch.context() as m:
        m.setattr(_csvio, "_ONE_PASS_BYTES", 0)
        m.setattr(_csvio, "_PARALLEL_BYTES", 1 << 10)
        m.setattr(_csvio, "_PART_BYTES", 16 << 10)
        m.setattr(_csvio.os, "cpu_count", lambda: 2)
        with open_container(path) as c:
            assert len(_csvio._part_bounds(c.sources[0], 0, path.stat().st_size)) > 3
        _same_recording(read_recording(path), whole)
        _assert_bad_cell_named(tmp_path / "parts_bad.csv", 3000, 2500)


# --- speed ----------------------------------------------------------------------------------------


def test_one_hour_at_100_hz_reads_fast(tmp_path):
    n = 360_000
    t = np.arange(n) / 100.0
    rng = np.random.default_rng(3)
    v = np.column_stack(
        [t, rng.normal(0, 1, n), rng.normal(0, 1, n), 9.8 + rng.normal(0, 1, n), rng.normal(0, 1, (n, 3))]
    )
    path = tmp_path / "hour.csv"
    with open(path, "w") as f:
        f.write("time (s),ax (m/s^2),ay (m/s^2),az (m/s^2),gx (rad/s),gy (rad/s),gz (rad/s)\n")
        np.savetxt(f, v, fmt="%.5f", delimiter=",")
    start = time.process_time()
    rec = read_recording(path)
    cpu = time.process_time() - start
    assert len(rec) == n
    # Target is well under 0.5 s; the bound leaves room for a loaded test machine, but not for a
    # Python loop per row (several seconds).
    assert cpu < 1.5


def _session_lines() -> list[str]:
    return (SAMPLES / "repcount" / "session.csv").read_text().splitlines(keepends=True)


def _first_data(lines: list[str]) -> int:
    return next(i for i, ln in enumerate(lines) if ln[:1].isdigit())


@pytest.mark.parametrize("cell", ["inf", "-inf", "Infinity"])
def test_an_infinite_cell_drops_its_line_like_a_missing_one(tmp_path, cell):
    lines = _session_lines()
    i = _first_data(lines) + 20
    fields = lines[i].split(",")
    fields[5] = cell
    lines[i] = ",".join(fields)
    (tmp_path / "inf.csv").write_text("".join(lines))
    rec = read_recording(tmp_path / "inf.csv")
    whole = read_recording(SAMPLES / "repcount" / "session.csv")
    assert len(rec) == len(whole) - 1 and np.isfinite(rec.gyro).all()
    assert "1 line(s) with missing, NaN or infinite values were dropped" in rec.meta.notes


def test_values_beyond_any_imu_are_dropped_with_a_note(tmp_path):
    lines = _session_lines()
    i = _first_data(lines) + 30
    fields = lines[i].split(",")
    fields[1] = "1e308"  # finite, but overflows to infinity once scaled
    lines[i] = ",".join(fields)
    (tmp_path / "huge.csv").write_text("".join(lines))
    rec = read_recording(tmp_path / "huge.csv")
    whole = read_recording(SAMPLES / "repcount" / "session.csv")
    assert len(rec) == len(whole) - 1 and np.abs(rec.acc).max() < 1e3
    assert any("beyond any IMU's range" in n for n in rec.meta.notes)


def test_a_stray_carriage_return_inside_a_line_is_no_traceback(tmp_path):
    lines = _session_lines()
    i = _first_data(lines) + 3
    lines[i] = lines[i].replace(",", ",\r", 1)
    (tmp_path / "cr.csv").write_bytes("".join(lines).encode())
    rec = read_recording(tmp_path / "cr.csv")
    whole = read_recording(SAMPLES / "repcount" / "session.csv")
    assert len(whole) - 2 <= len(rec) < len(whole)  # the broken line is dropped, nothing else
    assert any("were dropped" in n for n in rec.meta.notes)


def test_units_that_contradict_the_header_win_with_a_note():
    path = SAMPLES / "generic" / "messy_bom_crlf.csv"  # gyro in (rad/s)
    plain = read_recording(path)
    over = read_recording(path, units={"gyro": "deg/s"})
    np.testing.assert_allclose(over.gyro, np.radians(plain.gyro))
    assert any(n.startswith("--units gyro=deg/s overrides the header's") for n in over.meta.notes)
    assert not any("overrides" in n for n in read_recording(path, units={"gyro": "rad/s"}).meta.notes)


def test_a_corrupt_time_stamp_far_off_is_named_in_a_short_line(tmp_path):
    lines = _session_lines()
    i = _first_data(lines) + 40
    fields = lines[i].split(",")
    fields[0] = "1e300"
    lines[i] = ",".join(fields)
    (tmp_path / "far.csv").write_text("".join(lines))
    with pytest.raises(InputError) as err:
        read_recording(tmp_path / "far.csv")
    assert "time goes back by 1e+300 s" in str(err.value) and len(str(err.value)) < 200
