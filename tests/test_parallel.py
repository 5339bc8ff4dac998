"""A long recording's set windows analysed in several processes give what one process gives."""

import json
import os
import sys

import numpy as np
import pytest

import analysis.parallel as parallel
from analysis.pullapart import process_session
from repcount.report import report_dict
from repcount.simulator import SessionConfig, simulate_session

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="work is forked on Linux only")


def _pid_and_item(x: int) -> tuple[int, int]:
    return os.getpid(), x


@linux_only
def test_items_keep_their_order_and_the_work_is_shared_by_two_processes():
    items = list(range(40))
    out = parallel.map_split(_pid_and_item, items, workers=2, cost=[1.0] * 40)
    assert [x for _, x in out] == items
    pids = [p for p, _ in out]
    assert pids[0] == os.getpid()
    assert len(set(pids)) == 2
    # Two runs of equal cost: the first half here, the second in the child.
    assert pids[:20] == [os.getpid()] * 20 and os.getpid() not in pids[20:]


def test_few_items_one_worker_or_no_fork_stay_in_this_process(monkeypatch):
    here = os.getpid()
    assert {p for p, _ in parallel.map_split(_pid_and_item, list(range(10)), 2, [1.0] * 10)} == {here}
    assert {p for p, _ in parallel.map_split(_pid_and_item, list(range(40)), 1, [1.0] * 40)} == {here}
    monkeypatch.setattr(parallel, "can_fork", lambda: False)
    assert {p for p, _ in parallel.map_split(_pid_and_item, list(range(40)), 2, [1.0] * 40)} == {here}


def test_runs_split_by_cost():
    # The expensive item at the start takes a run of its own.
    assert parallel._runs(np.array([10.0, 1, 1, 1, 1, 1, 1, 1, 1, 1]), 2) == [
        range(0, 1),
        range(1, 10),
    ]
    assert parallel._runs(np.ones(9), 3) == [range(0, 3), range(3, 6), range(6, 9)]


def _failing(x: int) -> int:
    if x == 30:
        raise ValueError("item 30")
    return x


@linux_only
def test_an_error_in_a_child_reaches_the_caller():
    with pytest.raises(ValueError, match="item 30"):
        parallel.map_split(_failing, list(range(40)), workers=2, cost=[1.0] * 40)


@linux_only
def test_a_session_analysed_in_two_processes_is_the_one_analysed_in_one(monkeypatch):
    rec, truth = simulate_session(SessionConfig(seed=4, rate_hz=50.0, sets=10))
    seen = []
    real = parallel.map_split

    def spy(fn, items, workers, cost):
        seen.append((len(items), workers))
        return real(fn, items, workers, cost)

    monkeypatch.setattr("analysis.pullapart.map_split", spy)
    one = process_session(rec)
    two = process_session(rec, workers=2)
    assert seen[-1][0] >= parallel.MIN_ITEMS and seen[-1][1] == 2  # enough windows to split
    assert len(two.sets) == len(truth["sets"])
    assert json.dumps(report_dict(two, "s", "f")) == json.dumps(report_dict(one, "s", "f"))
