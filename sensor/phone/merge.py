"""Merge a phone's separate sensor streams onto the accelerometer's timestamps.

Phones report each sensor on its own clock ticks, in messages that can arrive late, twice or out of
order. Samples wait in a short reorder window (in sensor time), then the accelerometer's times become
the timeline and every other stream (gyroscope, gravity) is interpolated onto them, only between two
samples of the same stream that are close together: never across a gap. An accelerometer sample with
no gyroscope around it is dropped and counted, and the next batch is marked as following a gap.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class MergerStats:
    received: int = 0  # base (accelerometer) samples accepted into the window
    released: int = 0  # base samples that went out with every other stream interpolated
    duplicates: int = 0  # same timestamp seen twice (in the window or already released)
    late: int = 0  # older than what was already released: dropped
    no_partner: int = 0  # base samples without another stream around them: dropped
    overflow: int = 0  # samples dropped because the window was full
    gaps: int = 0  # batches released with gap_before
    by_stream: dict[str, int] = field(default_factory=dict)  # samples received per stream


@dataclass
class Batch:
    t: np.ndarray  # (n,) seconds on the caller's clock, strictly increasing
    base: np.ndarray  # (n, 3)
    others: dict[str, np.ndarray]  # stream -> (n, 3) interpolated onto t
    gap_before: bool


class _Pending:
    """Unsorted chunks of one stream waiting in the window."""

    def __init__(self) -> None:
        self.t: list[np.ndarray] = []
        self.xyz: list[np.ndarray] = []
        self.n = 0

    def add(self, t: np.ndarray, xyz: np.ndarray) -> None:
        self.t.append(t)
        self.xyz.append(xyz)
        self.n += len(t)

    def take(self) -> tuple[np.ndarray, np.ndarray, int]:
        """All pending samples sorted by time with repeated timestamps removed (and how many)."""
        if not self.t:
            return np.empty(0), np.empty((0, 3)), 0
        t = np.concatenate(self.t)
        xyz = np.concatenate(self.xyz)
        order = np.argsort(t, kind="stable")
        t, xyz = t[order], xyz[order]
        keep = np.ones(len(t), dtype=bool)
        keep[1:] = np.diff(t) > 0
        self.t, self.xyz, self.n = [], [], 0
        return t[keep], xyz[keep], int((~keep).sum())


class StreamMerger:
    """Reorder window + merge of a base stream with other streams interpolated onto its times.

    delay_s: how long (in sensor time) a sample waits for older ones that are still on their way.
    gap_s: two samples of one stream further apart than this are not interpolated between.
    max_wait_s: a base sample whose partners have not come after this long goes out without them
    (that is, it is dropped and counted). max_pending: samples held at most (memory bound).
    """

    def __init__(
        self,
        others: tuple[str, ...] = ("gyro",),
        *,
        delay_s: float = 0.3,
        gap_s: float = 0.25,
        max_wait_s: float = 1.0,
        max_pending: int = 50_000,
    ) -> None:
        self.others = tuple(others)
        self.delay_s = delay_s
        self.gap_s = gap_s
        self.max_wait_s = max_wait_s
        self.max_pending = max_pending
        self.stats = MergerStats()
        self._base = _Pending()
        self._pend = {k: _Pending() for k in self.others}
        # Already sorted samples of the other streams, kept a little before the last release for brackets.
        self._hist = {k: (np.empty(0), np.empty((0, 3))) for k in self.others}
        self._max_t = -np.inf
        self._max_other = dict.fromkeys(self.others, -np.inf)
        self._last_out: float | None = None
        self._gap_pending = False

    def add(self, stream: str, t: np.ndarray, xyz: np.ndarray) -> None:
        """Queue samples of `stream` ("base" or one of `others`), in any order."""
        t = np.asarray(t, dtype=np.float64).reshape(-1)
        xyz = np.asarray(xyz, dtype=np.float64).reshape(-1, 3)
        if len(t) == 0:
            return
        held = self._base.n + sum(p.n for p in self._pend.values())
        if held + len(t) > self.max_pending:
            self.stats.overflow += len(t)
            return
        self.stats.by_stream[stream] = self.stats.by_stream.get(stream, 0) + len(t)
        if stream == "base":
            if self._last_out is not None:
                late = t <= self._last_out
                if late.any():
                    self.stats.late += int(late.sum())
                    t, xyz = t[~late], xyz[~late]
            self._base.add(t, xyz)
            self.stats.received += len(t)
        elif stream in self._pend:
            self._pend[stream].add(t, xyz)
            self._max_other[stream] = max(self._max_other[stream], float(t.max()))
        else:
            raise ValueError(f"unknown stream {stream!r}")
        if len(t):
            self._max_t = max(self._max_t, float(t.max()))

    def release(self, *, flush: bool = False) -> list[Batch]:
        """Batches that are ready: older than the window (everything with `flush`)."""
        for k in self.others:
            t, xyz, _ = self._pend[k].take()
            ht, hxyz = self._hist[k]
            if len(t):
                t, xyz = np.concatenate([ht, t]), np.concatenate([hxyz, xyz])
                order = np.argsort(t, kind="stable")
                t, xyz = t[order], xyz[order]
                keep = np.ones(len(t), dtype=bool)
                keep[1:] = np.diff(t) > 0
                self._hist[k] = (t[keep], xyz[keep])
        t, base, dup = self._base.take()
        self.stats.duplicates += dup
        self.stats.received -= dup
        if len(t) == 0:
            return []
        if flush:
            ready = np.ones(len(t), dtype=bool)
        else:
            horizon = min([self._max_t - self.delay_s] + [m + 1e-9 for m in self._max_other.values()])
            ready = (t <= horizon) | (t <= self._max_t - self.max_wait_s)
        if not ready.all():
            self._base.add(t[~ready], base[~ready])
            t, base = t[ready], base[ready]
        if len(t) == 0:
            return []
        ok = np.ones(len(t), dtype=bool)
        others: dict[str, np.ndarray] = {}
        for k in self.others:
            vals, valid = self._interpolate(k, t)
            others[k] = vals
            ok &= valid
        self.stats.no_partner += int((~ok).sum())
        batches = self._split(t, base, others, ok)
        self._last_out = float(t[-1])
        for k in self.others:  # keep only what can still bracket a later base sample
            ht, hxyz = self._hist[k]
            keep = ht >= self._last_out - self.gap_s
            self._hist[k] = (ht[keep], hxyz[keep])
        return batches

    def _interpolate(self, k: str, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        gt, gxyz = self._hist[k]
        out = np.zeros((len(t), 3))
        valid = np.zeros(len(t), dtype=bool)
        if len(gt) == 0:
            return out, valid
        right = np.searchsorted(gt, t, side="left")
        left = right - 1
        exact = (right < len(gt)) & (gt[np.minimum(right, len(gt) - 1)] == t)
        inside = (left >= 0) & (right < len(gt))
        li, ri = np.clip(left, 0, len(gt) - 1), np.clip(right, 0, len(gt) - 1)
        span = gt[ri] - gt[li]
        inside &= span <= self.gap_s
        w = np.where(span > 0, (t - gt[li]) / np.where(span > 0, span, 1.0), 0.0)[:, None]
        out[inside] = ((1 - w) * gxyz[li] + w * gxyz[ri])[inside]
        out[exact] = gxyz[ri][exact]
        valid = inside | exact
        # At a stream's edge (it started a few ms after the base, or is a sample behind) the nearest
        # sample stands in, if it is within about one sample period.
        step = float(np.median(np.diff(gt))) if len(gt) > 2 else 0.02
        tol = min(self.gap_s, max(0.005, 1.5 * step))
        edge = ~valid
        if edge.any():
            dl = np.where(left >= 0, t - gt[li], np.inf)
            dr = np.where(right < len(gt), gt[ri] - t, np.inf)
            near = np.where(dl <= dr, li, ri)
            close = np.minimum(dl, dr) <= tol
            use = edge & close
            out[use] = gxyz[near[use]]
            valid |= use
        return out, valid

    def _split(
        self, t: np.ndarray, base: np.ndarray, others: dict[str, np.ndarray], ok: np.ndarray
    ) -> list[Batch]:
        """Cut at dropped samples and time gaps; each piece after one says gap_before."""
        batches = []
        prev = self._last_out
        start = None
        for i in range(len(t) + 1):
            end_here = i == len(t) or not ok[i] or (start is not None and t[i] - t[i - 1] > self.gap_s)
            if end_here and start is not None:
                sl = slice(start, i)
                gap = self._gap_pending or (prev is not None and t[start] - prev > self.gap_s)
                batches.append(Batch(t[sl], base[sl], {k: v[sl] for k, v in others.items()}, bool(gap)))
                self.stats.released += i - start
                self.stats.gaps += int(gap)
                self._gap_pending = False
                prev = float(t[i - 1])
                start = None
            if i < len(t):
                if not ok[i]:
                    self._gap_pending = True
                elif start is None:
                    start = i
        return batches
