"""When the live pipeline should analyse: just after a movement of the arm that may have ended a rep.

Running the whole analysis on every batch of samples would cost far more than a sensor's stream is
worth; a rep can only have ended when a movement (the return) just did, so that is when to look.
"""

from __future__ import annotations

import math

import numpy as np

from .reps import MIN_REP_DEG

MOVING_RATE = 0.3  # rad/s: the arm turning faster than this is making a movement
END_FRACTION = 0.2  # a movement is ending once its speed has fallen below this share of its peak
# A rep's end lies behind the moment its movement is seen ending (the slow tail of a bell-shaped
# speed profile): a share of the movement's length until the lag has been learnt from reps found.
END_TAIL_SHARE = 0.05
LAG_MEMORY = 5  # reps the lag is learnt from
# A longer lag is learnt as this: a slow-tailed rep, found by looking again (`expect`), would put the
# next reps' checks far behind their ends.
MAX_LAG_S = 0.4
CHECK_DELAYS_S = (0.03, 0.15)  # after the expected end, until its rep has been reported
HOLE_S = 0.25  # samples further apart than this: some were lost in between
# A return that has come back a rep's smallest excursion and turned no further inwards for this long
# has ended, however the arm wobbles on (its speed may never fall to END_FRACTION of a slow peak).
STALL_S = 0.3
STALL_DEG = 2.0  # turning on by less than this is no progress (wobble, drift)


class MovementEnds:
    """When to analyse: just after each movement of the arm ends, when a rep may have ended.

    A movement is a stretch of turning faster than MOVING_RATE; it ends once the speed falls below
    END_FRACTION of its peak, or (the set's axis known) once a return has stopped turning inwards
    for STALL_S. Only a movement that turned as far as a rep's smallest excursion can
    end one, and once the set's outward axis is known, only one that returns (turns inwards). Cheap per
    batch: one sum of the batch's rates.
    """

    def __init__(self, settle_s: float) -> None:
        self.settle_s = settle_s  # how far behind the newest sample a rep's end must lie to be seen
        self.start_s: float | None = None  # the movement going on, if any
        self.last_s = -np.inf
        self.peak = 0.0
        self.angle = 0.0  # how far it turned, rad
        self.turn = 0.0  # how far about the set's axis (negative inwards), rad
        self.furthest = 0.0  # the furthest outward turn so far within the movement, rad
        self.inmost = 0.0  # the furthest inward turn since then, rad, and when it was reached
        self.inmost_s = -np.inf
        self.checks: list[float] = []
        self.ended_s = -np.inf  # when the movement that set the checks ended
        self.lags: list[float] = []
        self.moved = False  # a movement started since the last analysis

    def push(self, now_s: float, gyro: np.ndarray, axis: np.ndarray | None, sure: bool = True) -> None:
        """Take a batch of gyro samples ending at `now_s`. `axis`: the open set's outward rotation
        axis, if any; `sure`: whether the set has shown enough reps for that axis's sign to be
        trusted (a first rep can read the set the other way round)."""
        speed = math.sqrt(float(np.vdot(gyro, gyro)) / len(gyro))  # RMS over the batch
        if self.start_s is not None and now_s - self.last_s > HOLE_S:
            # Samples were lost: the movement may have ended in the hole (and the next begun), and
            # its speed would never be seen to fall. Which way it turned last is not known either.
            self._end(now_s, by_axis=False)
        dt, self.last_s = min(now_s - self.last_s, 0.1), now_s
        if self.start_s is None:
            if speed > MOVING_RATE:
                self.start_s, self.peak, self.angle, self.turn, self.furthest = now_s, speed, 0.0, 0.0, 0.0
                self.inmost, self.inmost_s = 0.0, now_s
                self.moved = True
            return
        self.peak = max(self.peak, speed)
        self.angle += speed * dt
        stalled = False
        if axis is not None:
            self.turn += float(gyro.sum(axis=0) @ axis) / len(gyro) * dt
            if self.turn > self.furthest:
                self.furthest, self.inmost, self.inmost_s = self.turn, self.turn, now_s
            elif self.turn < self.inmost - math.radians(STALL_DEG):
                self.inmost, self.inmost_s = self.turn, now_s
            back = self.furthest - self.inmost >= math.radians(MIN_REP_DEG)
            stalled = back and now_s - self.inmost_s >= STALL_S
        if speed < END_FRACTION * self.peak or stalled:
            self._end(now_s, axis is not None, sure)

    def _end(self, now_s: float, by_axis: bool, sure: bool = True) -> None:
        """The movement going on ended by `now_s`: check for a rep once its end has settled, if the
        movement could have ended one."""
        assert self.start_s is not None
        least = math.radians(MIN_REP_DEG)
        # Inwards since its furthest point: a hold that wobbles joins the way out and the return
        # into one movement, which turns about as far in as out.
        inwards = not by_axis or self.turn <= self.furthest - 0.5 * least
        if self.angle >= least and (inwards or not sure):
            tail = float(np.median(self.lags)) if self.lags else END_TAIL_SHARE * (now_s - self.start_s)
            # An outward movement of a set not sure of its axis is a return only if the axis is the
            # wrong way round: one look is enough to find out.
            delays = CHECK_DELAYS_S if inwards else CHECK_DELAYS_S[:1]
            self.checks = [now_s + self.settle_s + tail + d for d in delays]
            self.ended_s = now_s
        self.start_s = None

    def analysed(self) -> None:
        """An analysis ran: only a movement going on or started from now on is new to it."""
        self.moved = self.start_s is not None

    def found(self, rep_end_s: float) -> None:
        """A rep ending at `rep_end_s` was reported: the movement that ended it needs no more checks."""
        if self.checks and rep_end_s >= self.ended_s - 0.5:
            self.checks = []
            # How far a rep's end lies behind the moment its movement is seen ending (the slow
            # tail of the movement), learnt from the last few reps.
            lag = min(max(0.0, rep_end_s - self.ended_s), MAX_LAG_S)
            self.lags = [*self.lags[-(LAG_MEMORY - 1) :], lag]

    def expect(self, rep_end_s: float) -> None:
        """An analysis saw a rep ending at `rep_end_s`, too recently to report: look again as soon
        as that end has settled (its movement may have ended later than the learnt lag says)."""
        check = rep_end_s + self.settle_s
        if check not in self.checks:
            self.checks = sorted([*self.checks, check])

    def due(self, now_s: float) -> bool:
        """Whether an analysis is due now (each check is used once)."""
        if not self.checks or now_s < self.checks[0]:
            return False
        while self.checks and self.checks[0] <= now_s:
            self.checks.pop(0)
        return True
