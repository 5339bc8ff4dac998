"""When the live pipeline analyses: just after a movement that may have ended a rep."""

import numpy as np
import pytest

from analysis.movement_ends import MovementEnds

AXIS = np.array([0.0, 0.0, 1.0])


def _feed(
    ends: MovementEnds, rate_z, t0: float, axis=AXIS, fs: float = 100.0, k: int = 3, sure: bool = True
) -> float:
    """Feed a rotation rate about z (rad/s) in batches of k samples; returns the last time."""
    t = t0
    for i in range(0, len(rate_z), k):
        g = np.zeros((len(rate_z[i : i + k]), 3))
        g[:, 2] = rate_z[i : i + k]
        t = t0 + (i + len(g)) / fs
        ends.push(t, g, axis, sure)
    return t


def _movement(sign: float, deg: float = 90.0, duration_s: float = 1.0, fs: float = 100.0) -> np.ndarray:
    # A smooth out-or-back movement: a bell-shaped speed turning `deg` degrees in `duration_s`.
    x = np.linspace(0, 1, int(duration_s * fs))
    bell = np.sin(np.pi * x) ** 2
    return sign * np.radians(deg) * bell / (bell.sum() / fs)


def test_only_a_return_schedules_checks_once_the_axis_is_known():
    ends = MovementEnds(settle_s=0.05)
    t = _feed(ends, _movement(+1), 0.0)
    t = _feed(ends, np.zeros(30), t)
    assert not ends.checks  # opening the arms ends no rep
    t = _feed(ends, _movement(-1), t)
    t = _feed(ends, np.zeros(10), t)
    assert ends.checks and all(c > ends.ended_s for c in ends.checks)


def test_any_large_enough_movement_counts_without_an_axis_but_a_twitch_does_not():
    ends = MovementEnds(settle_s=0.05)
    t = _feed(ends, _movement(+1, deg=3.0, duration_s=0.2), 0.0, axis=None)
    t = _feed(ends, np.zeros(20), t, axis=None)
    assert not ends.checks
    t = _feed(ends, _movement(+1), t, axis=None)
    _feed(ends, np.zeros(10), t, axis=None)
    assert ends.checks


def test_checks_stop_once_the_rep_is_found_and_the_lag_is_learnt():
    ends = MovementEnds(settle_s=0.05)
    t = _feed(ends, _movement(-1), 0.0)
    t = _feed(ends, np.zeros(5), t)
    first = ends.checks[0]
    assert ends.due(first) and not ends.due(first)  # each check is used once
    ends.found(ends.ended_s + 0.3)
    assert not ends.checks and ends.lags == pytest.approx([0.3])
    # The next return's first check comes the learnt lag after its seen end.
    t = _feed(ends, _movement(-1), t + 1.0)
    _feed(ends, np.zeros(5), t)
    assert abs(ends.checks[0] - (ends.ended_s + 0.05 + 0.3 + 0.03)) < 1e-9


def test_a_rep_seen_too_recently_is_looked_at_again_once_it_has_settled():
    ends = MovementEnds(settle_s=0.05)
    t = _feed(ends, _movement(-1), 0.0)
    t = _feed(ends, np.zeros(5), t)
    scheduled = list(ends.checks)
    # The analysis at the last check sees the rep end later than the learnt lag said.
    late_end = scheduled[-1] + 0.02
    while ends.checks:
        assert ends.due(ends.checks[0])
    ends.expect(late_end)
    ends.expect(late_end)  # the next analysis sees it too: still one check
    assert ends.checks == [pytest.approx(late_end + 0.05)]
    assert not ends.due(late_end + 0.04) and ends.due(late_end + 0.05)


def test_a_return_joined_to_the_way_out_by_a_wobbling_hold_still_schedules_checks():
    # The hold never slows below a fifth of the peak speed, so out, hold and return are one
    # movement that ends about where it started: it returned all the same.
    ends = MovementEnds(settle_s=0.05)
    wobble = np.tile([0.6, 0.6, -0.6, -0.6], 25)  # 1 s at 100 Hz, no net turn
    t = _feed(ends, np.concatenate((_movement(+1, 50.0)[:80], wobble)), 0.0, k=2)
    assert ends.start_s is not None  # the way out has not ended
    t = _feed(ends, _movement(-1, 50.0)[20:], t, k=2)
    _feed(ends, np.zeros(10), t, k=2)
    assert ends.checks


def test_a_return_that_ends_while_samples_are_lost_still_schedules_checks():
    # The return's last 0.4 s and the next rep's first 0.6 s are lost: the speed is never seen to
    # fall, and the samples after the hole already belong to the next way out.
    ends = MovementEnds(settle_s=0.05)
    t = _feed(ends, _movement(+1), 0.0)
    t = _feed(ends, np.zeros(30), t)
    back, out = _movement(-1), _movement(+1)
    t = _feed(ends, back[:60], t)
    assert ends.start_s is not None and not ends.checks
    resumed = t + 1.0
    _feed(ends, out[60:], resumed)
    # Checked just after the samples resume (the rep's end lies in the hole, interpolated), not
    # once the next way out has ended too.
    assert ends.checks and resumed < min(ends.checks) < resumed + 0.3


def test_an_opening_gets_one_look_while_the_set_is_not_sure_of_its_axis():
    # A set's first rep may have read the axis the other way round, so what looks like an opening
    # may be a return: one check, where a return gets two and an opening of a sure set none.
    for sure, checks in ((False, 1), (True, 0)):
        ends = MovementEnds(settle_s=0.05)
        t = _feed(ends, _movement(+1), 0.0, sure=sure)
        _feed(ends, np.zeros(30), t, sure=sure)
        assert len(ends.checks) == checks
    ends = MovementEnds(settle_s=0.05)
    t = _feed(ends, _movement(-1), 0.0, sure=False)
    _feed(ends, np.zeros(30), t, sure=False)
    assert len(ends.checks) == 2


def test_a_slow_tailed_rep_does_not_teach_a_lag_that_makes_the_next_rep_late():
    # A slow return's end can lie a second behind the moment its speed is seen to fall (it is found
    # by looking again). Learnt as it is, that lag would put the next reps' checks a second late.
    ends = MovementEnds(settle_s=0.05)
    t = _feed(ends, _movement(-1), 0.0)
    t = _feed(ends, np.zeros(10), t)
    ends.found(ends.ended_s + 1.08)
    assert ends.lags == [pytest.approx(0.4)]


def test_a_slow_return_that_stops_turning_inwards_ends_though_the_arm_still_moves():
    # A slow 25-degree return (0.35 rad/s at most) made while the arm shakes about a horizontal axis
    # at 0.15 rad/s, which goes on after it: the speed never falls below a fifth of its peak, but the
    # arm turns no further inwards, so the movement ends STALL_S after the return did.
    from analysis.movement_ends import STALL_S

    fs, k = 100.0, 3
    n_back, n_after = 200, 150
    g = np.zeros((n_back + n_after, 3))
    g[:n_back, 2] = -0.35 * np.sin(np.linspace(0, np.pi, n_back))
    g[:, 0] = 0.15 * np.sign(np.sin(np.linspace(0, 30 * np.pi, len(g))) + 1e-9)

    def feed(axis):
        ends = MovementEnds(settle_s=0.05)
        for i in range(0, len(g), k):
            ends.push((i + k) / fs, g[i : i + k], axis, True)
        return ends

    ends = feed(AXIS)
    assert ends.checks, "the return was never taken as ended"
    assert n_back / fs < ends.ended_s <= n_back / fs + STALL_S + 0.05
    # Without the set's axis nothing tells that the turn stopped: the shaking keeps it going.
    assert not feed(None).checks
