"""The numpy moving mean and run finding give what scipy.ndimage gives (they replace it on the
analysis path because importing scipy.ndimage costs about 0.2 s)."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from scipy import ndimage

from analysis.clean import fill_short_gaps, moving_mean, true_runs
from analysis.pullapart import STEADY_TILT_DEG, working_pose
from analysis.sets import AWAY_S, longest_run


@pytest.mark.parametrize("length", [1, 2, 5, 17, 1000, 60001])
@pytest.mark.parametrize("n", [1, 2, 3, 4, 7, 150, 151, 5000])
def test_moving_mean_is_uniform_filter1d_nearest(length, n):
    rng = np.random.default_rng(length * 7919 + n)
    x = rng.normal(size=length) ** 2 * 10
    # The same running sum in the same order: equal to the last bit, not just close.
    assert np.array_equal(moving_mean(x, n), ndimage.uniform_filter1d(x, n, mode="nearest"))


def test_moving_mean_of_nothing():
    assert len(moving_mean(np.array([]), 5)) == 0


def _scipy_runs(mask):
    labels, _ = ndimage.label(mask)
    return [(sl[0].start, sl[0].stop) for sl in ndimage.find_objects(labels)]


@pytest.mark.parametrize("share", [0.0, 0.1, 0.5, 0.9, 1.0])
def test_true_runs_are_label_find_objects(share):
    rng = np.random.default_rng(int(share * 10))
    assert [len(e) for e in true_runs(np.zeros(0, dtype=bool))] == [0, 0]
    for length in (1, 2, 3, 10, 999):
        mask = rng.random(length) < share
        starts, stops = true_runs(mask)
        assert list(zip(starts.tolist(), stops.tolist())) == _scipy_runs(mask)
        labels, count = ndimage.label(mask)
        expected = int(np.bincount(labels)[1:].max()) if count else 0
        assert longest_run(mask) == expected


def test_working_pose_keeps_the_first_longest_steady_stretch():
    fs = 50.0
    rng = np.random.default_rng(5)
    for trial in range(30):
        up = np.tile([0.0, 0.0, 1.0], (3000, 1)) + rng.normal(0, 0.05, (3000, 3))
        # Excursions far from the pose, some longer than the gap closing bridges (AWAY_S).
        for a in rng.integers(0, 2900, size=trial % 5):
            up[a : a + int(rng.integers(50, 800))] = [1.0, 0.0, 0.0]
        up /= np.linalg.norm(up, axis=1, keepdims=True)
        valid = rng.random(len(up)) > 0.001
        ref, steady = working_pose(up, valid, fs)
        # What it gave with scipy.ndimage.label.
        close = fill_short_gaps((up @ ref > np.cos(np.radians(STEADY_TILT_DEG))) & valid, int(AWAY_S * fs))
        labels, count = ndimage.label(close)
        expected = labels == 1 + int(np.argmax(np.bincount(labels)[1:])) if count else close
        assert np.array_equal(steady, expected)


def test_analyze_json_imports_no_table_live_or_ndimage_code():
    # What `repcount analyze FILE --json` leaves out to start sooner.
    code = (
        "import contextlib, io, sys\n"
        "from repcount.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    main(['analyze', 'data/demo-2x12-wrist.csv', '--json'])\n"
        "print(sorted(m for m in ('scipy.ndimage', 'scipy.signal', 'rich', 'asyncio', 'repcount.live_cli')"
        " if m in sys.modules))"
    )
    root = Path(__file__).resolve().parents[1]
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=root)
    assert out.stdout.strip() == "[]"
