"""Where the sets are: rows in mid-set keep a set together, lowering the arms ends it."""

import numpy as np

from analysis import process
from analysis.pullapart import fits_arm
from analysis.results import SetResult
from analysis.sets import pose_runs
from repcount.simulator import SessionConfig, simulate_session

FS = 50.0


def _tilt(deg: float) -> np.ndarray:
    """Gravity in the sensor frame with the arm tipped `deg` from its working pose."""
    a = np.radians(deg)
    return np.array([np.sin(a), 0.0, np.cos(a)])


def _gravity(segments: list[tuple[float, float]]) -> np.ndarray:
    """Unit up vectors for (seconds, tilt in degrees) segments, with half-second ramps between them."""
    knots_t, knots_deg, t = [], [], 0.0
    for seconds, deg in segments:
        knots_t += [t + 0.25, t + seconds - 0.25]
        knots_deg += [deg, deg]
        t += seconds
    tt = np.arange(int(t * FS)) / FS
    deg = np.interp(tt, knots_t, knots_deg)
    return np.array([_tilt(d) for d in deg])


def _runs_s(up: np.ndarray) -> list[tuple[float, float]]:
    return [(a / FS, b / FS) for a, b in pose_runs(up, FS)]


ROWS = [(2.5, 85.0), (1.0, 0.0)] * 3  # three rows in a row, back in the pose only between them
LOWERED = [(12.0, 90.0)]  # arms down for a rest


def test_rows_in_mid_set_do_not_split_the_pose():
    runs = _runs_s(_gravity([(20.0, 0.0), *ROWS, (20.0, 0.0), *LOWERED, (20.0, 0.0)]))
    # The set pose with its rows, the lowered arms, the next set.
    assert len(runs) == 3, runs
    assert runs[0][0] < 2.0 and runs[0][1] > 48.0
    assert runs[1][0] > 50.0 and runs[1][1] < 63.0
    assert runs[2][0] > 60.0


def test_arms_lowered_for_a_short_rest_end_the_pose():
    # Eight seconds with the arms down, held still or shaken out: longer than any row keeps them there.
    for lowered in ([(8.0, 80.0)], [(1.0, 40.0), (1.0, 110.0)] * 4):
        runs = _runs_s(_gravity([(20.0, 0.0), *lowered, (20.0, 0.0)]))
        set_runs = [r for r in runs if r[1] - r[0] >= 15.0]
        assert len(set_runs) == 2, runs
        assert set_runs[0][1] < 21.0 and set_runs[1][0] > 27.0


def test_a_pose_near_the_working_one_between_rests_does_not_join_two_sets():
    # Arms lowered, the hands brought to the waist to adjust the band (20 degrees off the working
    # pose), lowered again, then the next set: two sets, however short each stretch with the arms down.
    between = [(4.0, 85.0), (3.0, 20.0), (3.0, 85.0)]
    runs = _runs_s(_gravity([(20.0, 0.0), *between, (20.0, 0.0)]))
    set_runs = [r for r in runs if r[1] - r[0] >= 15.0]
    assert len(set_runs) == 2, runs


def test_a_live_window_ending_in_a_young_pose_keeps_it_through_a_brief_wobble():
    # Arms down, raised for the first rep; the rep wobbles gravity 40 degrees for 0.3 s near the
    # window's end. The pose counts as held to the end (a run reaching past it), not as left.
    up = _gravity([(10.0, 90.0), (2.0, 0.0), (0.3, 40.0), (0.5, 0.0)])
    runs = pose_runs(up, FS, open_end=True)
    assert runs[-1][1] >= len(up) and runs[-1][0] / FS < 11.5, runs
    # Offline (the recording is complete) a pose this short is no run at all.
    assert all(b / FS < 10.5 for _, b in pose_runs(up, FS)), pose_runs(up, FS)
    # Lowering the arms at a window's end is not a young pose.
    up = _gravity([(10.0, 0.0), (1.5, 45.0), (1.0, 90.0)])
    assert all(b < len(up) for _, b in pose_runs(up, FS, open_end=True))


def test_a_live_window_ending_just_after_a_rep_that_tipped_the_arm_keeps_the_pose():
    # A set on the upper arm: a rep tips the arm 60 degrees for about 2.5 s and the window ends the
    # moment it is back. The pose is held to the end, as the replay joins it once the arm stays.
    up = _gravity([(12.0, 0.0), (2.5, 60.0), (0.3, 0.0)])
    runs = pose_runs(up, FS, open_end=True)
    assert runs[-1][0] / FS < 1.0 and runs[-1][1] >= len(up), runs

    def working_pose_end(up: np.ndarray, open_end: bool = True) -> int:
        return max(b for a, b in pose_runs(up, FS, open_end=open_end) if a < FS)

    # Still away at the window's end: the working pose ended where the arm left it.
    assert working_pose_end(_gravity([(12.0, 0.0), (2.5, 60.0)])) < 12.5 * FS
    # Back, but after more than AWAY_S away (arms lowered for a rest, raised again): not joined yet.
    assert working_pose_end(_gravity([(12.0, 0.0), (7.5, 60.0), (0.3, 0.0)])) < 12.5 * FS
    # Offline the recording is complete, and the arm coming back for 0.3 s is no pose held.
    assert working_pose_end(up, open_end=False) < 12.5 * FS


def _set(side: str, radius_m: float, rom_deg: float = 70.0) -> SetResult:
    s = SetResult(index=0, reps=[], axis=np.zeros(3), typical_rom_deg=rom_deg, radius_m=radius_m)
    s.side = side
    return s


def test_sets_are_judged_against_a_main_set_only_once_one_is_sure():
    from analysis.pullapart import same_arm
    from analysis.reps import Rep

    def with_reps(s: SetResult, n: int, t0: float) -> SetResult:
        s.reps = [
            Rep(t0 + 3 * k, t0 + 3 * k + 1, t0 + 3 * k + 1.2, t0 + 3 * k + 2, 70.0, 100.0) for k in range(n)
        ]
        return s

    # The arms coming up read as two reps opening left, then a set's first two reps opening right
    # on another radius: neither tells the arm yet, so both stay.
    raise_, young = with_reps(_set("left", 0.17), 2, 0.0), with_reps(_set("right", 0.49), 2, 10.0)
    assert same_arm([raise_, young]) == [raise_, young]
    # Once the set holds three full reps it is sure, and the raise does not fit its arm.
    grown = with_reps(_set("right", 0.49), 3, 10.0)
    assert same_arm([raise_, grown]) == [grown]
    # A live window: a larger set found before it is the main set unless one here holds more.
    # Quick turns between sets (six "reps" on another radius and arm) drop out, and the next real
    # set's first two reps stay.
    fidget, starting = with_reps(_set("left", 0.06), 6, 0.0), with_reps(_set("right", 0.5), 2, 20.0)
    assert same_arm([fidget, starting]) == [fidget]  # judged by the fidget alone
    earlier = with_reps(_set("right", 0.52), 12, -200.0)
    assert same_arm([fidget, starting], known=(earlier, 12)) == [starting]
    assert same_arm([fidget, starting], known=(earlier, 5)) == [fidget]  # the fidget holds more


def test_the_main_set_is_the_largest_unless_its_reps_are_partials_beside_a_sure_set():
    from analysis.pullapart import main_set

    twists, real = _set("left", 0.02), _set("right", 0.46)
    twists.typical_rom_deg, real.typical_rom_deg = 40.0, 100.0
    assert main_set([(twists, 4), (real, 2)])[0] is twists  # two reps do not tell yet
    assert main_set([(twists, 4), (real, 3)])[0] is real  # three do: 40 degrees are partials beside 100
    real.typical_rom_deg = 60.0
    assert main_set([(twists, 4), (real, 3)])[0] is twists  # 40 is two thirds of 60: not partial


def test_a_set_fits_the_arm_of_the_main_set_by_side_radius_and_range():
    main = _set("left", 0.5)
    assert fits_arm(_set("left", 0.4), main)
    assert fits_arm(_set("right", 0.45), main)  # one set can misread which way the arms open
    assert not fits_arm(_set("right", 0.15), main)  # the other way and another place on the arm
    assert not fits_arm(_set("left", 0.04), main)  # turning about the forearm itself: a fidget
    assert fits_arm(_set("left", 0.0), main)  # no clean rep to read a radius from: not judged by it
    # A live set's first rep or two read the radius loosely: not yet judged a fidget by it.
    assert fits_arm(_set("left", 0.01), main, sure_radius=False)
    assert not fits_arm(_set("left", 0.5, rom_deg=30.0), main)  # every rep short: no set


def _armband_rows(seed: int) -> SessionConfig:
    return SessionConfig(
        seed=seed,
        rate_hz=52.0,
        sets=2,
        reps=14,
        rest_s=20.0,
        placement="armband",
        device="imu",
        side="left",
        rowing_prob=0.4,
        tempo_out_s=1.2,
        tempo_hold_s=0.8,
        tempo_return_s=1.2,
    )


def test_armband_sets_with_runs_of_rows_count_as_one_set_each_with_their_reps():
    # Both sessions hold two or three rows in a row in mid-set, which tip the upper arm out of its
    # working pose for several seconds at a time.
    for seed in (49, 58):
        rec, truth = simulate_session(_armband_rows(seed))
        rows = [sum("rowing" in r["flags"] for r in s["reps"]) for s in truth["sets"]]
        assert min(rows) >= 5
        result = process(rec)
        true_counts = [sum(not r["partial"] for r in s["reps"]) for s in truth["sets"]]
        assert [len(s.full_reps) for s in result.sets] == true_counts, seed


def test_a_rep_two_sets_hold_stays_with_the_earlier():
    from analysis.pullapart import one_set_per_rep
    from analysis.reps import Rep

    def rep(t: float, partial: bool = False) -> Rep:
        return Rep(t, t + 0.8, t + 1.2, t + 2.0, 80.0, 90.0, partial)

    def a_set(*reps: Rep) -> SetResult:
        return SetResult(index=0, reps=list(reps), axis=np.array([0.0, 0.0, 1.0]), typical_rom_deg=80.0)

    first, second = a_set(rep(0), rep(3), rep(6)), a_set(rep(6.05), rep(9), rep(12))
    kept = one_set_per_rep([first, second])
    assert [[r.start_s for r in s.reps] for s in kept] == [[0, 3, 6], [9, 12]]
    assert one_set_per_rep([first, a_set(rep(6.05), rep(9, partial=True))]) == [first]  # no full rep left
    apart = a_set(rep(20), rep(23))
    assert one_set_per_rep([first, apart]) == [first, apart]


def test_a_rep_between_two_sets_close_together_is_counted_in_one():
    # Suite session 1861818845 (seed 97, 50 Hz): a pose break 3.6 s long splits a set; both set
    # windows reach into the gap by their margin, and the rep before it was in both sets.
    from repcount.simulator import suite_configs

    config = next(c for c in suite_configs(60, 97) if c.seed == 1861818845)
    rec, truth = simulate_session(config)
    sets = process(rec).sets
    turns = [r.turn_s for s in sets for r in s.full_reps]
    assert len(turns) == len(set(np.round(turns, 2)))
    assert sum(len(s.full_reps) for s in sets) <= truth["total_full_reps"]
