"""The command line as a user meets it: tables, JSON against the report contract, plots, errors."""

import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from repcount.cli import main

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
SCHEMA = json.loads((Path(__file__).parent / "report.schema.json").read_text())


def _truth(name: str) -> dict:
    return json.loads((DATA / f"{name}.truth.json").read_text())


def test_json_report_validates_and_counts_the_demo(capsys):
    assert main(["analyze", str(DATA / "demo-2x12-wrist.csv"), "--json"]) == 0
    out = capsys.readouterr().out
    report = json.loads(out)  # exactly one JSON document
    jsonschema.validate(report, SCHEMA)
    truth = _truth("demo-2x12-wrist")
    assert [s["full_reps"] for s in report["sets"]] == [s["full_reps"] for s in truth["sets"]]
    assert {s["side"] for s in report["sets"]} == {truth["config"]["side"]}
    assert report["total_reps"] == truth["total_full_reps"]
    assert report["source"]["format"] == "repcount-csv"
    assert report["sets"][1]["rest_before_s"] > 10


def test_table_names_sets_totals_and_tempo(capsys):
    assert main(["analyze", str(DATA / "demo-2x12-wrist.csv")]) == 0
    out = capsys.readouterr().out
    truth = _truth("demo-2x12-wrist")
    assert f"Total: {truth['total_full_reps']} reps in 2 sets" in out
    assert "Mean tempo (out-hold-return-pause):" in out
    assert "Rest between sets:" in out


def test_plot_is_a_png(tmp_path, capsys):
    png = tmp_path / "session.png"
    assert main(["analyze", str(DATA / "generic.csv"), "--plot", str(png)]) == 0
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(data) > 20_000  # a real figure, not an empty canvas


@pytest.mark.parametrize(
    "name",
    [
        "sensor-logger-android.zip",
        "sensor-logger-ios",
        "phyphox-export.zip",
        "metabase-session",
        "generic.csv",
        "cara-style.csv",
    ],
)
def test_every_bundled_format_counts_right(name, capsys):
    assert main(["analyze", str(DATA / name), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    jsonschema.validate(report, SCHEMA)
    stem = name.removesuffix(".zip").removesuffix(".csv")
    truth = _truth(stem)
    assert [s["full_reps"] for s in report["sets"]] == [s["full_reps"] for s in truth["sets"]]
    # The arm as well: it needs the export's sign convention right (Sensor Logger's Metadata.csv).
    assert {s["side"] for s in report["sets"]} == {truth["config"]["side"]}


def test_generic_mode_report_validates(capsys):
    assert main(["analyze", str(DATA / "generic.csv"), "--exercise", "generic", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    jsonschema.validate(report, SCHEMA)
    assert report["exercise"] == "generic"
    assert abs(report["total_reps"] - 15) <= 1


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "repcount.cli", *args], capture_output=True, text=True, cwd=ROOT, timeout=120
    )


@pytest.mark.parametrize(
    "name",
    ["empty.csv", "non_numeric_cell.csv", "missing_column.csv", "truncated.zip", "unknown_format.csv"],
)
def test_bad_input_is_one_line_and_exit_2(name):
    path = Path(__file__).parent / "bad_inputs" / name
    proc = _run("analyze", str(path))
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert name in lines[0] and "Traceback" not in proc.stderr
    assert proc.stdout == ""


def test_missing_path_and_bad_option_are_clear():
    proc = _run("analyze", "no/such/file.csv")
    assert proc.returncode == 2 and "no/such/file.csv" in proc.stderr and "Traceback" not in proc.stderr
    proc = _run("analyze", str(DATA / "generic.csv"), "--units", "acc")
    assert proc.returncode == 2 and "--units" in proc.stderr and "Traceback" not in proc.stderr


@pytest.mark.parametrize(
    "args, names",
    [
        (["--format", "bogus"], "--format"),
        (["--sets", "0"], "at least one set"),
        (["--reps", "-3"], "at least one set"),
        (["--rate", "1"], "rate_hz must be within"),
        (["--rest", "-10"], "--rest"),
    ],
)
def test_simulate_refuses_bad_options_in_one_line(tmp_path, args, names, capsys):
    assert main(["simulate", "--out", str(tmp_path / "s.csv"), *args]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and names in err[0]
    assert not (tmp_path / "s.csv").exists()


def test_simulate_into_a_folder_is_refused(tmp_path, capsys):
    assert main(["simulate", "--out", str(tmp_path)]) == 2
    assert "not a folder" in capsys.readouterr().err


@pytest.mark.parametrize("plot", ["no/such/folder/p.png", "p.txt", "."])
def test_a_plot_that_cannot_be_written_is_refused_before_the_analysis(tmp_path, plot, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["analyze", str(DATA / "demo-2x12-wrist.csv"), "--plot", plot]) == 2
    out = capsys.readouterr()
    assert out.out == "" and len(out.err.strip().splitlines()) == 1 and "--plot" in out.err
    assert list(tmp_path.iterdir()) == []


def test_simulate_writes_session_and_truth(tmp_path, capsys):
    out = tmp_path / "s.csv"
    args = ["simulate", "--out", str(out), "--sets", "1", "--reps", "6", "--rate", "50", "--seed", "5"]
    assert main(args) == 0
    truth = json.loads((tmp_path / "s.truth.json").read_text())
    assert len(truth["sets"]) == 1 and len(truth["sets"][0]["reps"]) == 6
    assert main(["analyze", str(out), "--json"]) == 0
    report = json.loads(capsys.readouterr().out.split("\n", 1)[1])
    assert report["total_reps"] == truth["total_full_reps"]


def test_no_bluetooth_service_is_one_line(tmp_path):
    env = {**__import__("os").environ, "DBUS_SYSTEM_BUS_ADDRESS": f"unix:path={tmp_path}/no-such-bus"}
    for args in (["scan", "--timeout", "1"], ["live", "--device", "NOSUCH"]):
        proc = subprocess.run(
            [sys.executable, "-m", "repcount.cli", *args],
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=60,
            env=env,
        )
        assert proc.returncode == 2, proc.stderr
        assert "Traceback" not in proc.stderr
        lines = proc.stderr.strip().splitlines()
        assert len(lines) == 1 and "no Bluetooth service reachable" in lines[0]
