"""Accuracy against ground truth on a small seeded slice of the simulator suite.

The full suite (200 sessions) is `benchmarks/accuracy.py`; this slice keeps the suite honest in CI.
"""

import numpy as np
import pytest

from analysis import process
from repcount.simulator import simulate_session, suite_configs
from repcount.simulator.scoring import Score, score_session


@pytest.fixture(scope="module")
def suite_score() -> Score:
    total = Score()
    for config in suite_configs(24, seed=2024):
        rec, truth = simulate_session(config)
        total.add(score_session(process(rec), truth, label=str(config.seed)))
    return total


def test_sets_are_counted_exactly(suite_score):
    assert suite_score.sets_exact / suite_score.sets_true >= 0.85, suite_score.failures
    assert suite_score.sets_spurious <= 3


def test_reps_precision_and_recall(suite_score):
    assert suite_score.reps_matched / suite_score.reps_found >= 0.95
    assert suite_score.reps_matched / suite_score.reps_true >= 0.95


def test_tempo_error_per_phase(suite_score):
    for phase, errors in suite_score.tempo_err.items():
        assert np.mean(np.abs(errors)) <= 0.12, phase


def test_range_error(suite_score):
    err = np.array(suite_score.rom_err)
    assert np.mean(np.abs(err)) <= 3.0
    assert abs(np.mean(err)) <= 2.0


def test_every_set_opens_the_way_the_session_arm_does():
    # Suite session 1650908218 (right wrist): the first set's start and end stretches alone suggest
    # the arms open to the left; the other three sets outvote it and it is redone as a right arm.
    config = next(c for c in suite_configs(40, seed=5) if c.seed == 1650908218)
    rec, truth = simulate_session(config)
    result = process(rec)
    assert [s.side for s in result.sets] == [config.side] * len(truth["sets"])
    true_full = [sum(not r["partial"] for r in s["reps"]) for s in truth["sets"]]
    found_full = [len(s.full_reps) for s in result.sets]
    assert all(abs(a - b) <= 1 for a, b in zip(found_full, true_full))


def test_session_side_needs_a_clear_majority():
    from analysis.pullapart import session_side

    assert session_side([("left", 8), ("right", 30)]) == "right"
    assert session_side([("left", 12), ("right", 12)]) is None
    assert session_side([("left", 12)]) == "left"
    assert session_side([]) is None


def test_a_set_of_slow_reps_is_not_dropped_for_its_radius():
    # Suite session 1421300439 (seed 13): four reps of 3 s out and 3 s back, peaking at 45 degrees/s.
    # Their swing barely shows the centripetal term, and the fit read a radius of 1.14 m, beyond an
    # arm's reach, so the set was dropped. The limit now allows for the fit's error at that speed.
    from analysis.pullapart import MAX_RADIUS_M

    config = next(c for c in suite_configs(60, seed=13) if c.seed == 1421300439)
    rec, truth = simulate_session(config)
    result = process(rec)
    first = truth["sets"][0]
    found = [s for s in result.sets if abs(s.start_s - first["start_s"]) < 1.0]
    assert len(found) == 1
    assert len(found[0].full_reps) == sum(not r["partial"] for r in first["reps"]) == 4
    assert found[0].radius_m > MAX_RADIUS_M  # kept although it reads beyond the limit
    true_full = [sum(not r["partial"] for r in s["reps"]) for s in truth["sets"]]
    assert [len(s.full_reps) for s in result.sets] == true_full
