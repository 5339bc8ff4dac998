"""A rep's phase times when its movement runs off the end of the data (a live window mid-return)."""

import numpy as np

from analysis.reps import find_reps, movement_bounds

FS = 50.0


def _bell(n: int) -> np.ndarray:
    return np.sin(np.pi * np.linspace(0.0, 1.0, n)) ** 2


def test_a_movement_cut_by_the_end_of_the_data_ends_at_the_last_sample():
    # A slow return whose speed is still a quarter of its peak, and falling, when the data stops.
    speed = np.concatenate((np.zeros(20), _bell(360)[:300]))
    t = np.arange(len(speed)) / FS
    start, end, _ = movement_bounds(t, speed, 0, len(t))
    # The last sample, widened by the slow edge a bell-shaped movement spends below the level.
    assert t[-1] <= end < t[-1] + 0.5 and start < t[40]


def test_a_rep_whose_return_is_still_ending_is_found_not_dropped():
    # Out, a short hold, then a slow return cut while the arm still turns back at a tenth of its
    # peak, steady for the last samples: the rep is there, ending at (or just after) the last
    # sample, so a live pipeline knows to look again once it has settled. (Two samples that do not
    # cross the level once placed its end far before them, and lost the rep.)
    out, back = 1.2 * _bell(75), -0.6 * _bell(200)
    rate = np.concatenate((np.zeros(25), out, np.zeros(10), back[:170], back[169] * np.array([1.0, 1.0001])))
    t = np.arange(len(rate)) / FS
    reps = find_reps(t, rate, FS)
    assert len(reps) == 1
    assert reps[0].end_s >= t[-1] - 1e-9 and reps[0].end_s - t[-1] < 0.5
    assert reps[0].end_s - reps[0].leave_s > 2.0
