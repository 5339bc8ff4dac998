"""The pipeline fed as samples arrive: the same `process_session`, run on a bounded window.

Live and replay must agree, so there is no second algorithm here: the window always reaches back
to before the current set started and the offline pipeline is run on it just after a movement of the
arm ends (when a rep can have ended), when the open set may be over, and at least every RUN_EVERY_S.
A rep is reported once its end lies SETTLE_S behind the newest sample; sets open and close with
the reps they hold, and a set closes with the count replaying would give. Memory is bounded by
MAX_WINDOW_S.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import numpy as np

from sensor.recording import Gap, Recording, RecordingMeta

from .clean import UniformSignal, extend_uniform
from .movement_ends import MovementEnds
from .pullapart import (
    MIN_FULL_REPS,
    SURE_SET_REPS,
    SetShape,
    fits_arm,
    main_set,
    process_session,
    rep_cycle_s,
    rest_limit_s,
    session_side,
)
from .reps import PARTIAL_FRACTION, Rep, same_rep
from .results import SessionResult, SetResult
from .sets import MARGIN_S

RUN_EVERY_S = 10.0  # at least this often while the arm moves, in case a movement's end went unnoticed
SETTLE_S = 0.05  # a rep ends this far behind the newest sample before it is reported
QUIET_RATE = 0.3  # rad/s: the arm turning slower than this about the set's axis is holding still
CONTEXT_S = 30.0  # kept before the current set (count-in, pose, bias)
IDLE_WINDOW_S = 60.0  # kept while no set is going on
MAX_WINDOW_S = 600.0  # a set longer than this is analysed in its last ten minutes only
BACK_UP_S = 5.0  # the arms cannot be lowered after a set and raised for the next in less
KEPT_SOURCES = 4  # finished sets whose samples are kept until the arm is known
SET_END_S = 15.0  # no rep for this long after a set's last one (and than a rest within it): it is over


@dataclass
class LiveSet:
    index: int
    start_s: float
    reps: list[Rep] = field(default_factory=list)
    end_s: float | None = None
    closed: bool = False
    side: str | None = None
    radius_m: float = 0.0
    typical_rom_deg: float = 0.0
    # Its samples (with the context before), kept from its close until the session's arm is known,
    # should that arm say it opened the other way: (recording, its start time).
    source: tuple[Recording, float] | None = field(default=None, repr=False, compare=False)
    _over: tuple[tuple[int, float], float] | None = field(default=None, repr=False, compare=False)

    @property
    def full(self) -> list[Rep]:
        return [r for r in self.reps if not r.partial]

    @property
    def over_s(self) -> float:
        """When the set is over if no rep comes: after the longest rest the replay keeps within a
        set, and the rep that would follow it. (Asked after every batch once a set has paused, so
        worked out again only when its reps change.)"""
        key = (len(self.reps), self.reps[-1].end_s)
        if self._over is None or self._over[0] != key:
            wait = max(SET_END_S, rest_limit_s(self.reps) + rep_cycle_s(self.reps))
            self._over = (key, self.reps[-1].end_s + wait)
        return self._over[1]


class LivePipeline:
    """Push batches of samples in; get events out (dicts with a `type`)."""

    def __init__(self) -> None:
        self._t: list[np.ndarray] = []
        self._acc: list[np.ndarray] = []
        self._gyro: list[np.ndarray] = []
        self._gaps: list[Gap] = []
        self._last_run = -np.inf
        self._movement = MovementEnds(SETTLE_S)
        self.sets: list[LiveSet] = []
        self.latest_s = 0.0
        self.side: str | None = None  # the arm, once the finished sets agree on it
        self.axis: np.ndarray | None = None  # the latest set's outward rotation axis (sensor frame)
        self.phase = ""  # "out", "hold", "return" or "pause" while a set is going on
        self.samples = 0
        self._settled_until = -np.inf  # reps starting before this were decided on for good
        self._current: tuple[Recording, float] | None = None  # the window being analysed, its start
        self._resampled: tuple[float, UniformSignal] | None = None  # (window start, its resampling)

    # -- input -------------------------------------------------------------------------------
    def push(self, t: np.ndarray, acc: np.ndarray, gyro: np.ndarray, gap_before: bool = False) -> list[dict]:
        if len(t) == 0:
            return []
        t = np.asarray(t, dtype=float)
        if self._t and gap_before:
            self._gaps.append(Gap(float(self._t[-1][-1]), float(t[0]), "lost frames"))
        self._t.append(t)
        self._acc.append(np.asarray(acc, dtype=float).reshape(-1, 3))
        self._gyro.append(np.asarray(gyro, dtype=float).reshape(-1, 3))
        self.latest_s = float(t[-1])
        self.samples += len(t)
        self._update_phase(self._gyro[-1])
        # A rep can only have ended just after a movement did: analyse then, and rarely otherwise.
        # The last set's axis tells a return from an opening only within a set (the next one may
        # be done with another grip). Until the set is sure which way it opens, an opening gets one
        # look too: a set's first rep or two can read it the other way round, and every return
        # would then be missed.
        in_set = bool(self.sets) and not self.sets[-1].closed
        sure = in_set and len(self.sets[-1].full) >= SURE_SET_REPS
        self._movement.push(self.latest_s, self._gyro[-1], self.axis if in_set else None, sure)
        # Without any movement since the last analysis, nothing new can be found.
        every = self._movement.moved and self.latest_s - self._last_run >= RUN_EVERY_S
        if self._movement.due(self.latest_s) or every or self._set_may_end():
            return self._run()
        return []

    def _set_may_end(self) -> bool:
        """The open set may have become over since the last analysis: time to close it."""
        if not self.sets or self.sets[-1].closed or not self.sets[-1].reps:
            return False
        s = self.sets[-1]
        if self.latest_s <= s.reps[-1].end_s + SET_END_S:
            return False  # cheap: never over before this
        return self._last_run <= s.over_s < self.latest_s

    def _update_phase(self, gyro: np.ndarray) -> None:
        """The phase the arm is in now, from the rate about the latest set's outward axis."""
        if self.axis is None or not self.sets or self.sets[-1].closed:
            self.phase = ""
            return
        rate = float(gyro.sum(axis=0) @ self.axis) / len(gyro)
        if rate > QUIET_RATE:
            self.phase = "out"
        elif rate < -QUIET_RATE:
            self.phase = "return"
        elif self.phase in ("out", "hold"):
            self.phase = "hold"
        else:
            self.phase = "pause"

    def finish(self) -> list[dict]:
        """The stream has ended: report what is left and close the last set."""
        return self._run(final=True)

    # -- analysis ----------------------------------------------------------------------------
    def _window(self) -> Recording | None:
        t = np.concatenate(self._t)
        if len(t) < 10:
            return None
        acc, gyro = np.concatenate(self._acc), np.concatenate(self._gyro)
        # Strictly increasing time: samples re-sent after a reconnect are dropped here, for good
        # (each must come after every sample before it, not only the one just before).
        later = t[1:] > np.maximum.accumulate(t)[:-1]
        if not later.all():
            keep = np.concatenate(([True], later))
            t, acc, gyro = t[keep], acc[keep], gyro[keep]
            self._resampled = None  # samples dropped inside: not merely grown at the end
        self._t, self._acc, self._gyro = [t], [acc], [gyro]
        t0 = t[0]
        gaps = [Gap(g.start_s - t0, g.end_s - t0, g.reason) for g in self._gaps if g.end_s > t0]
        return Recording(t - t0, acc, gyro, RecordingMeta("live", gaps=gaps))

    def _run(self, final: bool = False) -> list[dict]:
        self._last_run = self.latest_s
        self._movement.analysed()
        rec = self._window()
        if rec is None or rec.duration_s < 2.0:
            return []
        t0 = float(self._t[0][0])
        self._current = (rec, t0)
        result = process_session(
            rec,
            open_end=not final,
            side=self.side,
            after_s=self._after(t0),
            resampled=self._resample(rec, t0),
            known_main=self._known_main(),
        )

        # A set is closed on the analysis of the window as a finished stretch, as replaying sees it
        # (the open-ended one when the stream has ended); worked out only when a set closes.
        def finished_analysis() -> SessionResult:
            return process_session(
                rec,
                side=self.side,
                after_s=self._after(t0),
                resampled=self._resample(rec, t0),
                known_main=self._known_main(),
            )

        finished = (lambda: result) if final else cache(finished_analysis)
        events = self._merge(result, t0, final, finished)
        events += self._close_finished(finished, t0, final)
        if any(e["type"] == "rep" for e in events):
            events += self._withdraw_misfits()
        self._trim(result, t0)
        return events

    def _known_main(self) -> tuple[SetShape, int] | None:
        """The main set among the finished ones (`main_set`) and its full reps: the window's sets are
        judged by it unless one of them is the main set, as the replay judges every set by the
        session's. (Movements between sets read as a set of a few reps would otherwise drop a real
        set as it starts.)"""
        done = [(s, len(s.full)) for s in self.sets if s.closed and s.typical_rom_deg > 0]
        return main_set(done) if done else None

    def _resample(self, rec: Recording, t0: float) -> UniformSignal:
        """The window resampled, reusing the last analysis's resampling while the window has only
        grown at its end (most of the cost of an analysis at high rates otherwise)."""
        prev = self._resampled[1] if self._resampled is not None and self._resampled[0] == t0 else None
        sig = extend_uniform(prev, rec)
        self._resampled = (t0, sig)
        return sig

    def _after(self, t0: float) -> float:
        """Window time before which set windows need no analysis: nothing before the last finished
        set's end can change any more, and a stretch that ends within a margin of the open set's
        start (raising the arms to begin it) holds no rep of it."""
        open_start = [s.start_s for s in self.sets if not s.closed]
        return max([self._settled_until, *open_start]) + MARGIN_S - t0

    def _merge(
        self, result: SessionResult, t0: float, final: bool, finished: Callable[[], SessionResult]
    ) -> list[dict]:
        events: list[dict] = []
        horizon = self.latest_s - (0.0 if final else SETTLE_S)
        for ws in result.sets:
            if not self._plausible(ws, t0=t0):
                continue
            events += self._reread(ws, t0, horizon)
            for rep in ws.reps:
                rep_abs = _shift(rep, t0)
                if self._known(rep_abs) or self._settled(rep_abs):
                    continue
                if rep_abs.end_s > horizon:
                    self._movement.expect(rep_abs.end_s)
                    continue
                live = self._set_for(rep_abs, ws, finished, t0, events)
                if live is None:
                    continue
                self.axis = ws.axis
                live.reps.append(rep_abs)
                live.side, live.radius_m, live.typical_rom_deg = ws.side, ws.radius_m, ws.typical_rom_deg
                live.reps.sort(key=lambda r: r.start_s)
                events.append(rep_event(live, rep_abs, self.latest_s))
                self._movement.found(rep_abs.end_s)
        return events

    def _reread(self, ws: SetResult, t0: float, horizon: float) -> list[dict]:
        """Take the window's reading of the open set when it opens the other way than the set's own.

        A set's direction can be misread while it goes on (samples lost over its first outward
        movement leave the start position unknown, and each return reads as an opening); read from
        both ends once the arms come down, every rep is the same movement taken from its other end.
        Its reps are then replaced, not added to: added, each would be counted twice. Only a set
        sure of its reps (SURE_SET_REPS): a young set's first rep read the other way is often the
        arms coming up, and the reps read next are new ones, shown as they come.
        """
        s = self.sets[-1] if self.sets and not self.sets[-1].closed else None
        if s is None or len(s.full) < SURE_SET_REPS or s.side is None or ws.side in (None, s.side):
            return []
        if ws.start_s + t0 > s.reps[-1].end_s or ws.end_s + t0 < s.reps[0].start_s:
            return []  # another set
        reps = [r for r in (_shift(x, t0) for x in ws.reps) if r.end_s <= horizon]
        if not any(not r.partial for r in reps) or all(self._known(r) for r in reps):
            return []  # nothing that would be counted twice
        s.reps = reps
        s.start_s = min(s.start_s, reps[0].start_s)
        s.side, s.radius_m, s.typical_rom_deg = ws.side, ws.radius_m, ws.typical_rom_deg
        self.axis = ws.axis
        return [_count_event("set_revised", s, round(self.latest_s, 3))]

    def _close_finished(self, finished: Callable[[], SessionResult], t0: float, final: bool) -> list[dict]:
        """Close the sets that nothing has come to for a while, on the finished analysis."""
        events: list[dict] = []
        due = [s for s in self.sets if not s.closed and s.reps and (final or self.latest_s > s.over_s)]
        for s in due:
            if not final and self._goes_on(s, self._best_match(s, finished(), t0), t0, events):
                continue
            events += self._close(s, finished(), t0)
        return events

    def _goes_on(self, s: LiveSet, best: SetResult | None, t0: float, events: list[dict]) -> bool:
        """Report the reps of the set that only the finished analysis sees (the open-ended one can
        miss some for a while); True if, with them, the set is not over yet.

        A rep of the set ending too recently to report (at the window's end) means the set goes on:
        closed now, the set would take that rep unshown, and the reps after it would start a set
        of their own that the replay holds as this one."""
        if best is None:
            return False
        horizon = self.latest_s - SETTLE_S
        for rep in best.reps:
            rep_abs = _shift(rep, t0)
            if rep_abs.end_s <= s.reps[-1].end_s or self._known(rep_abs):
                continue
            if rep_abs.end_s > horizon:
                return True
            s.reps.append(rep_abs)
            events.append(rep_event(s, rep_abs, self.latest_s))
        return self.latest_s <= s.over_s

    def _own_set(self, s: LiveSet, result: SessionResult, t0: float) -> SetResult | None:
        """The set of the window's finished analysis `result` that holds live set `s`, if it holds it
        as a set of its own: with too few full reps only a set still going on may hold one (the
        replay's rule)."""
        best = self._best_match(s, result, t0)
        return best if best is not None and len(best.full_reps) >= MIN_FULL_REPS else None

    def _best_match(self, s: LiveSet, result: SessionResult, t0: float) -> SetResult | None:
        """The analysed set that overlaps the live set most and passes the session's checks."""
        best, overlap = None, 0.0
        for ws in result.sets:
            o = min(ws.end_s + t0, s.reps[-1].end_s) - max(ws.start_s + t0, s.reps[0].start_s)
            if o > overlap and self._plausible(ws, exclude=s, t0=t0):
                best, overlap = ws, o
        return best

    def _plausible(self, ws: SetResult, exclude: LiveSet | None = None, t0: float = 0.0) -> bool:
        """The session-level checks of the offline pipeline (`same_arm`), against the sets so far.

        A set that begins after the open set's last rep is not judged by the open set: that may be
        no set at all (movements at the session's start), which the replay drops once a real set
        outnumbers it, and judged by it the real set could never begin.
        """
        current = self.sets[-1] if self.sets and not self.sets[-1].closed else None
        if current is not None and current.reps and ws.start_s + t0 > current.reps[-1].end_s:
            exclude = exclude or current
        done = [s for s in self.sets if len(s.full) >= SURE_SET_REPS and s.typical_rom_deg > 0]
        done = [s for s in done if s is not exclude]
        if not done:
            return True
        main, _ = main_set([(ws, len(ws.full_reps)), *((s, len(s.full)) for s in done)])
        if main is ws:
            # It is the main set, as in the replay's `same_arm`, and the sets so far are judged by
            # it (`_withdraw_misfits`). A few quick movements at the start, closed as a set, would
            # otherwise shut out every real set on the other arm.
            return True
        return fits_arm(ws, main, len(ws.full_reps) >= SURE_SET_REPS)

    def _settled(self, rep: Rep) -> bool:
        """The rep starts before the end of a set that was closed or cancelled: that stretch is
        final (a window cut mid-set can make a fragment of a closed set look like a new one)."""
        return rep.start_s < self._settled_until

    def _known(self, rep: Rep) -> bool:
        return any(same_rep(rep, r) for s in self.sets[-2:] for r in s.reps)

    def _set_for(
        self, rep: Rep, ws: SetResult, finished: Callable[[], SessionResult], t0: float, events: list[dict]
    ) -> LiveSet | None:
        """The live set `rep` (of the analysed set `ws`) belongs to, started if new; None to wait."""
        current = self.sets[-1] if self.sets else None
        same_set = (
            current is not None and not current.closed and ws.start_s + t0 <= current.reps[-1].end_s + 1.0
        )
        if same_set:
            return current
        if current is not None and not current.closed:
            # A young set of one rep, too soon after the open one for the arms to have come down and
            # up again, which the finished analysis does not hold apart: the window's end may have
            # split one set for a moment. Wait for its next rep, unless that analysis drops the open
            # set (a few movements between sets read as one): closing cancels it then. Nor when the
            # open set's reps are partials beside the new one's: one set's reps share a range.
            soon = ws.start_s + t0 - current.reps[-1].end_s < BACK_UP_S
            short = current.typical_rom_deg < PARTIAL_FRACTION * ws.typical_rom_deg
            if soon and not short and len(ws.full_reps) < MIN_FULL_REPS and not _holds(finished(), ws):
                if self._own_set(current, finished(), t0) is not None:
                    return None
            events += self._close(current, finished(), t0)
            current = self.sets[-1] if self.sets else None  # the closed set may have been cancelled
        live = LiveSet(len(self.sets) + 1, rep.start_s)
        rest = None if current is None or current.end_s is None else rep.start_s - current.end_s
        if rest is not None:
            events.append({"type": "rest", "t_s": round(rep.start_s, 3), "duration_s": round(rest, 1)})
        events.append(
            {
                "type": "set_start",
                "set": live.index,
                "t_s": round(rep.start_s, 3),
                "rest_before_s": None if rest is None else round(rest, 1),
            }
        )
        self.sets.append(live)
        return live

    def _close(self, s: LiveSet, result: SessionResult, t0: float) -> list[dict]:
        """Close a set (it holds reps) with the window's finished analysis of all of it, as
        replaying the recording would give; a set that analysis no longer holds (a few movements
        between sets that looked like the start of one) is cancelled."""
        best = self._own_set(s, result, t0)
        if best is None:
            return self._cancel(s)
        # That analysis may hold the live set as two or more sets (a pause between its reps as long
        # as a rest): as the replay, each is a set, not only the one that overlaps most.
        parts = self._parts(s, result, t0, best) if s is self.sets[-1] else [best]
        self._take(s, parts[0], t0)
        s.closed = True
        closed = [s]
        events = [_count_event("set_end", s, round(s.end_s, 3))]
        for part in parts[1:]:
            prev = self.sets[-1]
            d = LiveSet(len(self.sets) + 1, part.start_s + t0)
            self._take(d, part, t0)
            d.closed = True
            self.sets.append(d)
            closed.append(d)
            start = round(d.reps[0].start_s, 3)
            rest = round(d.reps[0].start_s - (prev.end_s or d.reps[0].start_s), 1)
            events += [
                {"type": "rest", "t_s": start, "duration_s": rest},
                {"type": "set_start", "set": d.index, "t_s": start, "rest_before_s": rest},
                _count_event("set_end", d, round(d.end_s, 3)),
            ]
        if self.side is None:
            for d in closed:
                self._keep_source(d)
        # The arm, once two finished sets or more say so, as the replay decides it: one set alone
        # can have misread which way the arms open.
        finished = [(d.side, len(d.full)) for d in self.sets if d.closed]
        self.side = session_side(finished) if len(finished) >= 2 else None
        return [*events, *self._revise_other_side(), *self._withdraw_misfits()]

    def _parts(self, s: LiveSet, result: SessionResult, t0: float, best: SetResult) -> list[SetResult]:
        """The sets of `result` that live set `s` spans, in time order, each passing the session's
        checks with MIN_FULL_REPS full reps (at least `best`, the one that overlaps it most)."""
        a, b = s.reps[0].start_s, s.reps[-1].end_s
        parts = [
            ws
            for ws in result.sets
            if ws.start_s + t0 < b
            and ws.end_s + t0 > a
            and len(ws.full_reps) >= MIN_FULL_REPS
            and self._plausible(ws, exclude=s, t0=t0)
        ]
        return parts if best in parts else [best]

    def _take(self, s: LiveSet, best: SetResult, t0: float) -> None:
        """Give a live set the reps and shape of `best`, its set in an analysis of the window from t0;
        nothing before its end changes any more.

        Reps of `best` that a finished set before `s` holds are that set's, counted already: a
        window whose rest rule reads a pause otherwise can join the two sets that were held apart
        when the first closed, and taken whole they would be counted twice."""
        reps = [_shift(r, t0) for r in best.reps]
        counted = [r for d in self.sets if d.closed and d.index < s.index for r in d.reps]
        if counted and reps[0].start_s < max(r.end_s for r in counted):
            reps = [r for r in reps if not any(same_rep(r, c) for c in counted)] or s.reps or reps
        s.reps = reps
        s.side, s.radius_m, s.typical_rom_deg = best.side, best.radius_m, best.typical_rom_deg
        s.end_s = s.reps[-1].end_s
        self._settled_until = max(self._settled_until, s.end_s)

    def _keep_source(self, s: LiveSet) -> None:
        """Keep a finished set's samples while the session's arm is unknown (a few sets at most)."""
        assert self._current is not None
        rec, t0 = self._current
        a = int(np.searchsorted(rec.t, s.start_s - t0 - CONTEXT_S))
        gaps = [Gap(g.start_s - rec.t[a], g.end_s - rec.t[a], g.reason) for g in rec.meta.gaps]
        # Copies: a view would hold on to the whole window it was cut from.
        part = Recording(
            rec.t[a:] - rec.t[a], rec.acc[a:].copy(), rec.gyro[a:].copy(), RecordingMeta("live", gaps=gaps)
        )
        s.source = (part, t0 + float(rec.t[a]))
        kept = [d for d in self.sets if d.source is not None]
        for d in kept[:-KEPT_SOURCES]:
            d.source = None

    def _revise_other_side(self) -> list[dict]:
        """Once the finished sets agree on the arm, analyse again those that seemed to open the other
        way, with that arm, as the replay does (`process_session`'s vote); then drop the samples kept."""
        if self.side is None:
            return []
        events = []
        for d in self.sets:
            if d.closed and d.side != self.side and d.source is not None:
                rec, t0 = d.source
                redone = process_session(rec, side=self.side)
                best = self._best_match(d, redone, t0)
                if best is not None and len(best.full_reps) >= MIN_FULL_REPS:
                    self._take(d, best, t0)
                    events.append(_count_event("set_revised", d, round(self.latest_s, 3)))
        for d in self.sets:
            d.source = None
        return events

    def _withdraw_misfits(self) -> list[dict]:
        """Cancel the finished sets that do not fit the arm of the session's main set, as the
        replay's `same_arm` drops them: a set at the session's start, before any main set was
        known, can be the arms coming up read as a short set."""
        if len(self.sets) < 2:
            return []
        main, most = main_set([(d, len(d.full)) for d in self.sets])  # the open set too, once it leads
        if most < SURE_SET_REPS:
            return []
        misfits = [
            d
            for d in self.sets
            if d.closed and d is not main and not fits_arm(d, main, len(d.full) >= SURE_SET_REPS)
        ]
        return [ev for d in misfits for ev in self._cancel(d)]

    def _cancel(self, s: LiveSet) -> list[dict]:
        """Drop a set that turned out to be none; the sets after it (if it was finished already)
        move up a number."""
        k = self.sets.index(s)
        self.sets.remove(s)
        for later in self.sets[k:]:
            later.index -= 1
        self._settled_until = max(self._settled_until, s.reps[-1].end_s)
        finished = [d for d in self.sets if d.closed and d.end_s is not None]
        return [
            {
                "type": "set_cancelled",
                "set": s.index,
                "t_s": round(self.latest_s, 3),
                "rest_since_s": round(finished[-1].end_s, 3) if finished else None,
            }
        ]

    def _trim(self, result: SessionResult, t0: float) -> None:
        t = self._t[0]
        open_sets = [s for s in self.sets if not s.closed]
        if open_sets:
            keep_from = open_sets[0].start_s - CONTEXT_S
        elif result.sets and result.sets[-1].end_s + t0 > self.latest_s - SET_END_S:
            keep_from = result.sets[-1].start_s + t0 - CONTEXT_S  # a set is forming
        else:
            keep_from = self.latest_s - IDLE_WINDOW_S
        # Never from inside a finished set: analysed from its middle, its last reps can read as a
        # short set of their own.
        for s in self.sets:
            if s.closed and s.end_s is not None and s.start_s - MARGIN_S < keep_from < s.end_s + MARGIN_S:
                keep_from = s.start_s - CONTEXT_S
        keep_from = max(keep_from, self.latest_s - MAX_WINDOW_S)
        i = int(np.searchsorted(t, keep_from))
        if i > 0:
            self._t, self._acc, self._gyro = [t[i:]], [self._acc[0][i:]], [self._gyro[0][i:]]
            self._gaps = [g for g in self._gaps if g.end_s > keep_from]


def _count_event(kind: str, s: LiveSet, t_s: float) -> dict[str, Any]:
    """A finished set's count: "set_end", or "set_revised" when it is counted again."""
    full = len(s.full)
    return {"type": kind, "set": s.index, "t_s": t_s, "reps": full, "partial": len(s.reps) - full}


def _holds(result: SessionResult, ws: SetResult) -> bool:
    """Whether `result` holds a set (of MIN_FULL_REPS full reps) where `ws` lies (both of one window)."""
    return any(
        d.start_s < ws.end_s and d.end_s > ws.start_s and len(d.full_reps) >= MIN_FULL_REPS
        for d in result.sets
    )


def _shift(rep: Rep, dt: float) -> Rep:
    return Rep(
        rep.start_s + dt,
        rep.turn_s + dt,
        rep.leave_s + dt,
        rep.end_s + dt,
        rep.rom_deg,
        rep.peak_speed_dps,
        rep.partial,
        list(rep.flags),
        rep.pause_s,
    )


def rep_event(live: LiveSet, rep: Rep, now_s: float) -> dict[str, Any]:
    full = live.full
    roms = [r.rom_deg for r in full] or [rep.rom_deg]
    return {
        "type": "rep",
        "set": live.index,
        "rep": len(full),
        "t_s": round(rep.end_s, 3),
        "reported_s": round(now_s, 3),
        "start_s": round(rep.start_s, 3),
        "tempo": {
            "out_s": round(rep.out_s, 2),
            "hold_s": round(max(0.0, rep.hold_s), 2),
            "return_s": round(rep.return_s, 2),
        },
        "rom_deg": round(rep.rom_deg, 1),
        "set_mean_rom_deg": round(float(np.mean(roms)), 1),
        "partial": rep.partial,
        "flags": list(rep.flags),
    }
