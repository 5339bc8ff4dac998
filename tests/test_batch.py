"""`repcount analyze FOLDER` on a folder of many recordings: detection, counts, failures, exit status."""

import json
from pathlib import Path

import jsonschema
import pytest

from repcount.batch import recordings_in
from repcount.cli import main
from repcount.simulator import random_config, simulate_session
from sensor.writers import write_recording

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
SCHEMA = json.loads((Path(__file__).parent / "report.schema.json").read_text())
# One short session per format: a single file, a zipped multi-file export, a folder export.
SESSIONS = [
    (3, "repcount-csv", "a-session.csv"),
    (4, "sensor-logger", "b-export.zip"),
    (5, "metabase", "c-band"),
]
NAMES = ["a-session.csv", "b-export.zip", "c-band"]


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> tuple[Path, dict[str, int]]:
    root = tmp_path_factory.mktemp("sessions")
    totals = {}
    for seed, fmt, name in SESSIONS:
        rec, truth = simulate_session(random_config(seed, sets=1, reps=6, rate_hz=50.0))
        write_recording(rec, root / name, fmt)
        # Truth files sit beside the recordings, as the simulator writes them; they are not recordings.
        (root / f"{name}.truth.json").write_text(json.dumps(truth))
        totals[name] = truth["total_full_reps"]
    (root / "d-broken.csv").write_text("this is,not a,recording\n1,2,3\n")
    return root, totals


def test_a_folder_of_recordings_is_told_from_one_multi_file_recording(folder):
    root, _ = folder
    assert [p.name for p in recordings_in(root)] == NAMES + ["d-broken.csv"]
    assert recordings_in(root / "c-band") is None  # MetaBase: two streams, one recording
    assert recordings_in(DATA / "sensor-logger-ios") is None
    assert recordings_in(DATA / "demo-2x12-wrist.csv") is None


def test_json_lists_every_session_and_the_file_that_failed(folder, capsys):
    root, totals = folder
    assert main(["analyze", str(root), "--json", "--jobs", "2"]) == 0
    doc = json.loads(capsys.readouterr().out)  # exactly one JSON document
    assert set(doc) == {"sessions", "failed"}
    by_name = {Path(r["source"]["path"]).name: r for r in doc["sessions"]}
    assert list(by_name) == NAMES  # path order, not finishing order
    for name, report in by_name.items():
        jsonschema.validate(report, SCHEMA)  # each one the usual single-session report
        assert report["total_reps"] == totals[name], name
    assert [r["source"]["format"] for r in by_name.values()] == ["repcount-csv", "sensor-logger", "metabase"]
    assert len(doc["failed"]) == 1
    failed = doc["failed"][0]
    assert Path(failed["path"]).name == "d-broken.csv"
    assert "d-broken.csv" in failed["error"] and "\n" not in failed["error"]


def test_table_has_a_row_per_session_and_names_the_failure(folder, capsys, monkeypatch):
    root, totals = folder
    monkeypatch.setenv("COLUMNS", "160")  # whole file names, not folded into a narrow column
    assert main(["analyze", str(root)]) == 0
    out = capsys.readouterr().out
    for name in NAMES:
        assert name in out
    assert "Could not analyse 1 file(s):" in out and "d-broken.csv" in out
    assert f"3 analysed, 1 failed, {sum(totals.values())} reps in total" in out


def test_exit_status_is_2_when_nothing_could_be_analysed(tmp_path, capsys):
    (tmp_path / "one.csv").write_text("nothing,to,see\n")
    (tmp_path / "two.csv").write_text("")
    assert main(["analyze", str(tmp_path), "--json"]) == 2
    doc = json.loads(capsys.readouterr().out)
    assert doc["sessions"] == [] and len(doc["failed"]) == 2


def test_plot_needs_one_recording(folder, capsys):
    root, _ = folder
    assert main(["analyze", str(root), "--plot", str(root / "x.png")]) == 2
    assert "--plot needs one recording" in capsys.readouterr().err


def test_links_back_to_the_folder_and_dangling_links_are_skipped(folder, tmp_path):
    root, _ = folder
    linked = tmp_path / "linked"
    linked.mkdir()
    for name in NAMES:
        (linked / name).symlink_to(root / name)
    (linked / "again").symlink_to(linked)  # a loop: the same recordings a second time
    (linked / "up").symlink_to(tmp_path)  # the folder above
    (linked / "same.csv").symlink_to(root / "a-session.csv")  # one recording under two names
    (linked / "gone.csv").symlink_to(tmp_path / "nowhere.csv")
    assert recordings_in(linked) == [linked / n for n in NAMES]


def test_a_dangling_link_in_an_export_folder_is_not_read(tmp_path, capsys):
    export = tmp_path / "ios"
    export.mkdir()
    for f in (DATA / "sensor-logger-ios").iterdir():
        (export / f.name).write_bytes(f.read_bytes())
    (export / "extra.csv").symlink_to(tmp_path / "nowhere.csv")
    assert main(["analyze", str(export), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["total_reps"] > 0
