"""Sensor clock to recording timeline, with drift correction, gap marking and a small reorder window.

Frames come in with the sensor's own clock (`t0_us` at the first sample, nominal period between samples)
and the host time they arrived. The sensor clock runs at its own rate (a crystal 100 ppm fast gains
0.36 s an hour), and the arrival time carries a variable delay (connection interval, radio retries, the
OS). `ClockFit` keeps a windowed linear fit of `host - sensor` against `sensor` through the lowest delay
seen in each one-second bin (the lower envelope: jitter only ever delays a frame), so the timeline
follows the host clock however fast the sensor clock runs, and one late frame does not move it.

`Timeline` turns frames into `SampleBatch`es on that timeline:

- sequence numbers are checked with `SequenceTracker` (GATT-PROTOCOL.md): lost frames mark a gap on the
  next sample, never interpolated; duplicates and frames older than the newest are dropped and counted;
- frames that arrive early (ahead of a missing one) are held for a few frames so a frame that merely
  arrived out of order still goes in its place instead of being lost;
- times are strictly increasing; corrections to the fit are slewed (the step between two frames
  changes by at most `max_slew` of a sample period, so a correction of 1 ms takes 0.2 s of data at
  one sample a frame and n times that at n) so sample spacing never jumps, except across a gap where
  the full correction applies;
- a new segment (every (re)subscription: the sensor restarts its sequence numbers) keeps the timeline
  and marks a gap on its first sample.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field

import numpy as np

from sensor.protocols.repcount_gatt import SEQ_MODULUS, T0_MODULUS, SequenceTracker

MAX_SKEW = 2e-3  # sensor clock against the host's: crystals are within a few hundred ppm
RESYNC_FRAMES = 8  # frames in a row behind the released ones, each following the last: follow them


@dataclass
class SensorFrame:
    """One notification's samples in a form every sensor profile can produce."""

    seq: int  # u16 frame counter (0..65535)
    t0_us: int  # sensor clock at the first sample, raw (wraps at 2**32)
    acc: np.ndarray  # (n, 3) m/s^2 including gravity
    gyro: np.ndarray  # (n, 3) rad/s
    period_us: float  # nominal sample period in sensor microseconds

    @property
    def n(self) -> int:
        return len(self.acc)


@dataclass
class SampleBatch:
    """Samples on the recording timeline, ready for the recorder and the live pipeline."""

    t_s: np.ndarray  # (n,) float64 seconds since the session start, strictly increasing
    acc: np.ndarray  # (n, 3) m/s^2
    gyro: np.ndarray  # (n, 3) rad/s
    gap_before: bool  # samples were lost just before the first one
    lost_frames: int = 0  # frames known lost just before this batch (0 for a new segment or a clock jump)
    segment: int = 0  # which subscription delivered it (0 = the first)

    def __len__(self) -> int:
        return len(self.t_s)


@dataclass
class TimelineStats:
    frames: int = 0  # frames whose samples went on the timeline
    samples: int = 0
    lost_frames: int = 0  # by sequence number (frames that never came)
    duplicates: int = 0
    late: int = 0  # arrived after a newer frame had been released: dropped
    reordered: int = 0  # arrived out of order but put back in place by the reorder window
    gaps: int = 0  # batches marked gap_before
    segments: int = 0
    skew_ppm: float = 0.0  # how much faster the sensor clock runs than the host's, as fitted


class ClockFit:
    """Host time of a sensor time: a windowed robust line through the lowest arrival delays.

    Points are (sensor time of the frame's last sample, host arrival time), both seconds. The delay
    `host - sensor` is kept per `bin_s` bin of sensor time as its minimum; a least-squares line through
    the bin minima of the last `window_s` seconds (refitted once bins with large residuals are dropped)
    gives `host = sensor + a + b (sensor - ref)`. With less than `min_span_s` of data the slope stays at
    its prior (0, or the last segment's) and the offset is the lowest delay seen.
    """

    def __init__(self, window_s: float = 60.0, bin_s: float = 1.0, min_span_s: float = 10.0) -> None:
        if not (0 < bin_s < window_s):
            raise ValueError("need 0 < bin_s < window_s")
        self.window_s = window_s
        self.bin_s = bin_s
        self.min_span_s = min_span_s
        self._bins: deque[list[float]] = deque()  # [bin index, sensor s at the minimum, minimum delay]
        self.slope = 0.0
        self._prior_slope = 0.0
        self._ref = 0.0
        self._offset = 0.0
        self._dirty = False

    def reset(self, keep_slope: bool = True) -> None:
        """Forget the points (a new sensor clock base); keep the fitted rate as the prior if asked."""
        self._prior_slope = self.slope if keep_slope else 0.0
        self.slope = self._prior_slope
        self._bins.clear()
        self._dirty = False

    @property
    def ready(self) -> bool:
        return bool(self._bins)

    def add(self, sensor_s: float, host_s: float) -> None:
        delay = host_s - sensor_s
        idx = math.floor(sensor_s / self.bin_s)
        if self._bins and self._bins[-1][0] == idx:
            last = self._bins[-1]
            if delay < last[2]:
                last[1], last[2] = sensor_s, delay
                self._dirty = self._dirty or len(self._bins) < 3
            return
        if self._bins and idx < self._bins[-1][0]:
            return  # an older bin: the stream went backwards in sensor time, ignore the point
        self._bins.append([idx, sensor_s, delay])
        while self._bins and self._bins[0][1] < sensor_s - self.window_s:
            self._bins.popleft()
        self._dirty = True

    def _fit(self) -> None:
        self._dirty = False
        arr = np.asarray(self._bins, dtype=np.float64)
        x, d = arr[:, 1], arr[:, 2]
        self._ref = float(x[-1])
        span = float(x[-1] - x[0])
        if span < self.min_span_s or len(x) < 4:
            self.slope = self._prior_slope
            self._offset = float(np.min(d - self.slope * (x - self._ref)))
            return
        keep = np.ones(len(x), dtype=bool)
        for _ in range(2):
            b, a = np.polyfit(x[keep] - self._ref, d[keep], 1)
            r = d - (a + b * (x - self._ref))
            mad = float(np.median(np.abs(r[keep] - np.median(r[keep]))))
            new_keep = r <= np.median(r[keep]) + 3.0 * 1.4826 * mad + 2e-4
            if new_keep.sum() < 4 or np.array_equal(new_keep, keep):
                break
            keep = new_keep
        if abs(b) > MAX_SKEW:
            # No sensor crystal runs this far off: a corrupt stamp among the points. The line is
            # kept at the largest skew there can be, under every kept point, as with a short span.
            b = math.copysign(MAX_SKEW, b)
            a = float(np.min(d[keep] - b * (x[keep] - self._ref)))
        self.slope, self._offset = float(b), float(a)

    def host_time(self, sensor_s: float) -> float:
        """Host time of a sensor time, in plain floats (a frame needs only its first sample's: the
        mapping is a line)."""
        if not self._bins:
            raise RuntimeError("ClockFit has no points yet")
        if self._dirty:
            self._fit()
        return sensor_s + self._offset + self.slope * (sensor_s - self._ref)


@dataclass
class _Held:
    frame: SensorFrame
    arrival_s: float


@dataclass
class Timeline:
    """Frames in, `SampleBatch`es out. One instance per recording; call `new_segment` per subscription.

    `reorder_depth` frames (or `max_hold_s` seconds of arrival time) may wait behind a missing frame; the
    client calls `poll(now)` now and then so a real loss is released without waiting for more frames, and
    `flush()` when the link is lost.
    """

    reorder_depth: int = 4
    max_hold_s: float = 0.25
    max_slew: float = 0.005  # the step between two frames changes by at most 0.5 % of a sample period
    clock_window_s: float = 60.0
    stats: TimelineStats = field(default_factory=TimelineStats)
    start_host_s: float | None = None  # host time (the arrival clock) of t_s = 0
    clock: ClockFit = field(default_factory=ClockFit)
    _tracker: SequenceTracker = field(default_factory=SequenceTracker, repr=False)
    _held: dict[int, _Held] = field(default_factory=dict, repr=False)
    _expect: int | None = field(default=None, repr=False)
    _segment: int = field(default=-1, repr=False)
    _segment_fresh: bool = field(default=True, repr=False)
    _last_t: float | None = field(default=None, repr=False)  # t_s of the last sample out
    _last_x: float | None = field(default=None, repr=False)  # its sensor time (this segment's clock)
    _last_period_s: float = field(default=0.01, repr=False)
    # Frames in a row behind the released ones, each the one after the last (see RESYNC_FRAMES).
    _behind: list[_Held] = field(default_factory=list, repr=False)
    _last_t0_raw: int | None = field(default=None, repr=False)  # the last released frame's t0_us

    def __post_init__(self) -> None:
        self.clock = ClockFit(window_s=self.clock_window_s)

    # -- segments ------------------------------------------------------------------------------------

    def new_segment(self) -> list[SampleBatch]:
        """A (re)subscription starts: the sensor restarts `seq` and the clock base may differ. Returns
        whatever was still held from the previous segment."""
        out = self.flush() if self._segment >= 0 else []
        self._segment += 1
        self.stats.segments = self._segment + 1
        self._tracker.reset()
        self._expect = None
        self._segment_fresh = True
        self._last_x = None
        self.clock.reset(keep_slope=True)
        return out

    # -- frames in -----------------------------------------------------------------------------------

    def push(self, frame: SensorFrame, arrival_s: float) -> list[SampleBatch]:
        """Take one frame that arrived at host time `arrival_s` (seconds, any monotonic clock)."""
        if self._segment < 0:
            self.new_segment()
        if not 0 <= frame.seq < SEQ_MODULUS or frame.n == 0:
            raise ValueError(f"frame seq {frame.seq} or sample count {frame.n} out of range")
        if not (math.isfinite(frame.period_us) and frame.period_us > 0):
            raise ValueError(f"frame sample period {frame.period_us} us; expected a positive number")
        out: list[SampleBatch] = []
        if self._expect is None:
            self._release(frame, arrival_s, out)
            return out
        ahead = (frame.seq - self._expect) % SEQ_MODULUS
        if ahead >= SEQ_MODULUS // 2:
            # Behind what was already released: a duplicate or a frame too late to place, unless it
            # starts a run of RESYNC_FRAMES that follow each other (see `_behind_run`).
            return self._behind_run(frame, arrival_s)
        self._end_behind_run()
        if ahead == 0:
            if self._held:
                self.stats.reordered += 1
            self._release(frame, arrival_s, out)
            self._release_consecutive(out)
        elif frame.seq in self._held:
            self._tracker.duplicates += 1
        else:
            self._held[frame.seq] = _Held(frame, arrival_s)
        self._release_overdue(arrival_s, out)
        self._sync_stats()
        return out

    def poll(self, now_s: float) -> list[SampleBatch]:
        """Release frames that waited `max_hold_s` for a missing one: it is lost, not late."""
        out: list[SampleBatch] = []
        self._release_overdue(now_s, out)
        self._sync_stats()
        return out

    def flush(self) -> list[SampleBatch]:
        """Release everything held, in order (the link is gone, or the session ends)."""
        out: list[SampleBatch] = []
        while self._held:
            self._release_oldest(out)
        self._sync_stats()
        return out

    # -- internals -----------------------------------------------------------------------------------

    def _behind_run(self, frame: SensorFrame, arrival_s: float) -> list[SampleBatch]:
        """A frame behind the released ones. RESYNC_FRAMES such frames in a row, each following the
        last, are no late frames but the sensor's own sequence: one corrupt `seq` released earlier
        (or the counter restarting) moved what is expected far ahead, and every good frame after it
        would be dropped for up to 32,768 frames. The timeline then follows them, from a gap."""
        last_t0 = self._last_t0_raw
        newer = last_t0 is None or 0 < (frame.t0_us - last_t0) % T0_MODULUS < T0_MODULUS // 2
        if not newer:  # not newer in sensor time either: a duplicate or a late frame
            self._end_behind_run()
            self._classify_only(frame)
            return []
        last = self._behind[-1].frame.seq if self._behind else None
        if last is None or frame.seq != (last + 1) % SEQ_MODULUS:
            self._end_behind_run()
        self._behind.append(_Held(frame, arrival_s))
        if len(self._behind) < RESYNC_FRAMES:
            return []
        run, self._behind = self._behind, []
        out: list[SampleBatch] = [] if not self._held else self.flush()
        self._tracker.reset()
        self._expect = None
        self._segment_fresh = True  # a gap before the first, and the clock fit taken as it is
        for held in run:
            self._release(held.frame, held.arrival_s, out)
        self._sync_stats()
        return out

    def _end_behind_run(self) -> None:
        """The frames held as a possible run were late after all: count them so."""
        for held in self._behind:
            self._classify_only(held.frame)
        self._behind = []

    def _classify_only(self, frame: SensorFrame) -> None:
        check = self._tracker.update(frame.seq, frame.t0_us, frame.n)
        if check.accept:  # cannot happen for a frame behind the newest, but never lose it silently
            self._tracker.late += 1
        self._sync_stats()

    def _release_consecutive(self, out: list[SampleBatch]) -> None:
        while self._expect is not None and self._expect in self._held:
            held = self._held.pop(self._expect)
            self._release(held.frame, held.arrival_s, out)

    def _release_oldest(self, out: list[SampleBatch]) -> None:
        assert self._expect is not None
        seq = min(self._held, key=lambda s: (s - self._expect) % SEQ_MODULUS)
        held = self._held.pop(seq)
        self._release(held.frame, held.arrival_s, out)
        self._release_consecutive(out)

    def _release_overdue(self, now_s: float, out: list[SampleBatch]) -> None:
        while self._held and (
            len(self._held) > self.reorder_depth
            or now_s - min(h.arrival_s for h in self._held.values()) > self.max_hold_s
        ):
            self._release_oldest(out)

    def _release(self, frame: SensorFrame, arrival_s: float, out: list[SampleBatch]) -> None:
        tracker = self._tracker
        tracker.sample_period_us = frame.period_us
        check = tracker.update(frame.seq, frame.t0_us, frame.n)
        if not check.accept:
            return
        self._expect = (frame.seq + 1) % SEQ_MODULUS
        self._last_t0_raw = frame.t0_us
        period_s = frame.period_us * 1e-6
        # Every mapping below is a line in sensor time, so the frame's first sample is worked out in
        # plain floats and its samples follow it at the fitted rate (numpy on a dozen samples costs
        # more than the arithmetic).
        x0 = check.t0_us * 1e-6
        x_last = (check.t0_us + (frame.n - 1) * frame.period_us) * 1e-6
        self.clock.add(x_last, arrival_s)
        target0 = self.clock.host_time(x0)
        fresh = self._segment_fresh
        gap = check.marks_gap or (fresh and self._last_t is not None)
        if self.start_host_s is None:
            self.start_host_s = target0
        target0 -= self.start_host_s
        rate = 1.0 + self.clock.slope
        if self._last_t is None or fresh or self._last_x is None:
            # The first frame, or a new clock base: nothing to continue from, take the fit as it is.
            t0 = target0
        else:
            cont0 = self._last_t + (x0 - self._last_x) * rate
            err = target0 - cont0
            allowed = self.max_slew * (x0 - self._last_x)
            if check.marks_gap:
                allowed = max(allowed, abs(err))  # across a gap there is no spacing to protect
            t0 = cont0 + min(max(err, -allowed), allowed)
        if self._last_t is not None:
            t0 = max(t0, self._last_t + 0.25 * min(period_s, self._last_period_s))
        step = period_s * rate
        t = t0 + np.arange(frame.n) * step
        self._segment_fresh = False
        self._last_t, self._last_x, self._last_period_s = t0 + (frame.n - 1) * step, x_last, period_s
        self.stats.frames += 1
        self.stats.samples += frame.n
        if gap:
            self.stats.gaps += 1
        out.append(
            SampleBatch(
                t_s=t,
                acc=np.asarray(frame.acc, dtype=np.float64),
                gyro=np.asarray(frame.gyro, dtype=np.float64),
                gap_before=gap,
                lost_frames=check.lost_frames,
                segment=self._segment,
            )
        )

    def _sync_stats(self) -> None:
        s, tr = self.stats, self._tracker
        s.lost_frames, s.duplicates, s.late = tr.frames_lost, tr.duplicates, tr.late
        s.skew_ppm = -self.clock.slope / (1.0 + self.clock.slope) * 1e6 if self.clock.ready else 0.0
