"""Smooth scalar motion channels: piecewise transitions plus windowed and steady oscillations.

Every piece starts and ends with zero velocity and zero acceleration (or is faded in and out by a
quintic envelope), so joint angles are C2 and the simulated angular rate and acceleration are
continuous.
"""

from __future__ import annotations

import numpy as np

MINJERK, SEPTIC, SINE2 = 0, 1, 2


def profile(tau: np.ndarray, kind: np.ndarray | int, warp: np.ndarray | float = 0.0) -> np.ndarray:
    """Position 0..1 along a transition at normalised time tau in [0, 1].

    kind: MINJERK (10t^3-15t^4+6t^5), SEPTIC (smoother start/stop, higher peak speed) or SINE2
    (velocity proportional to sin^2). warp (|warp| < 1) skews the timing with the monotone map
    w = t + warp t (1 - t): positive warp reaches peak speed early, negative late. Zero velocity and
    acceleration at both ends hold for every kind and warp.
    """
    tau = np.clip(tau, 0.0, 1.0)
    w = tau + np.asarray(warp) * tau * (1.0 - tau) if np.any(warp) else tau
    kind = np.asarray(kind)
    scalar = kind.ndim == 0
    if not scalar or int(kind) == MINJERK:
        mj = w**3 * (10.0 + w * (-15.0 + 6.0 * w))
        if scalar:
            return mj
    if not scalar or int(kind) == SEPTIC:
        sep = w**4 * (35.0 + w * (-84.0 + w * (70.0 - 20.0 * w)))
        if scalar:
            return sep
    s2 = w - np.sin(2.0 * np.pi * w) / (2.0 * np.pi)
    if scalar:
        return s2
    return np.where(kind == MINJERK, mj, np.where(kind == SEPTIC, sep, s2))


def envelope(t: np.ndarray, start: float, end: float, ramp: float) -> np.ndarray:
    """1 inside [start + ramp, end - ramp], fading smoothly (min-jerk) to 0 at the window edges."""
    ramp = max(1e-6, min(ramp, 0.5 * (end - start)))
    up = profile((t - start) / ramp, MINJERK)
    down = profile((end - t) / ramp, MINJERK)
    return up * down


class Track:
    """A channel built from non-overlapping smooth transitions; constant in between."""

    def __init__(self, initial: float) -> None:
        self.initial = float(initial)
        self.value = float(initial)  # value after the last transition
        self.end = -np.inf  # end time of the last transition
        self._t0: list[float] = []
        self._t1: list[float] = []
        self._v0: list[float] = []
        self._v1: list[float] = []
        self._kind: list[int] = []
        self._warp: list[float] = []
        self._arrays: tuple[np.ndarray, ...] | None = None

    def move(self, t0: float, duration: float, target: float, kind: int = MINJERK, warp: float = 0.0) -> None:
        if t0 < self.end - 1e-9:
            raise ValueError(f"transition at {t0:.3f} s overlaps the previous one ending {self.end:.3f} s")
        if duration <= 0:
            raise ValueError("a transition must take time")
        self._t0.append(float(t0))
        self._t1.append(float(t0 + duration))
        self._v0.append(self.value)
        self._v1.append(float(target))
        self._kind.append(int(kind))
        self._warp.append(float(warp))
        self.value = float(target)
        self.end = float(t0 + duration)
        self._arrays = None

    def _finalised(self) -> tuple[np.ndarray, ...]:
        if self._arrays is None:
            self._arrays = (
                np.array(self._t0),
                np.array(self._t1),
                np.array(self._v0),
                np.array(self._v1),
                np.array(self._kind, dtype=np.int8),
                np.array(self._warp),
            )
        return self._arrays

    def __call__(self, t: np.ndarray) -> np.ndarray:
        """Values at sorted times t."""
        t0, t1, v0, v1, kind, warp = self._finalised()
        out = np.empty(t.shape)
        if len(t0) == 0 or len(t) == 0:
            out.fill(self.initial)
            return out
        # only the transitions overlapping [t[0], t[-1]] matter; fill by slices, not per-sample lookups
        lo = int(np.searchsorted(t1, t[0], side="left"))
        hi = int(np.searchsorted(t0, t[-1], side="right"))
        cur = float(v1[lo - 1]) if lo > 0 else self.initial
        starts = np.searchsorted(t, t0[lo:hi], side="left")
        ends = np.searchsorted(t, t1[lo:hi], side="left")
        pos = 0
        for k, a, b in zip(range(lo, hi), starts, ends, strict=True):
            out[pos:a] = cur
            if b > a:
                tau = (t[a:b] - t0[k]) / (t1[k] - t0[k])
                out[a:b] = v0[k] + (v1[k] - v0[k]) * profile(tau, int(kind[k]), float(warp[k]))
            cur = float(v1[k])
            pos = b
        out[pos:] = cur
        return out


class Oscillations:
    """Sinusoids, each either steady (whole session) or faded in and out over a window."""

    def __init__(self) -> None:
        self.steady: list[tuple[float, float, float]] = []  # (amplitude, frequency Hz, phase)
        # (start, end, ramp, amplitude, frequency Hz, phase)
        self.windows: list[tuple[float, float, float, float, float, float]] = []
        self._starts: np.ndarray | None = None
        self._ends: np.ndarray | None = None

    def add_steady(self, amplitude: float, freq_hz: float, phase: float) -> None:
        if amplitude != 0.0:
            self.steady.append((float(amplitude), float(freq_hz), float(phase)))

    def add_window(
        self, start: float, end: float, ramp: float, amplitude: float, freq_hz: float, phase: float
    ) -> None:
        if amplitude != 0.0 and end > start:
            self.windows.append(
                (float(start), float(end), float(ramp), float(amplitude), float(freq_hz), phase)
            )
            self._starts = None

    def steady_at(self, t: np.ndarray, offsets: tuple[float, ...]) -> np.ndarray:
        """Steady part at t + each offset, shape (len(offsets), n).

        Uses sin(x + wd) = sin x cos wd + cos x sin wd: two sines per sample instead of one per offset,
        which matters because these sines dominate the cost of long sessions.
        """
        out = np.zeros((len(offsets), len(t)))
        for amp, f, ph in self.steady:
            w = 2.0 * np.pi * f
            x = w * t + ph
            sx = np.sin(x)
            cx = np.cos(x) if any(offsets) else sx
            for j, d in enumerate(offsets):
                if d == 0.0:
                    out[j] += amp * sx
                else:
                    out[j] += (amp * np.cos(w * d)) * sx + (amp * np.sin(w * d)) * cx
        return out

    def windowed(self, t: np.ndarray) -> np.ndarray:
        """Windowed part at sorted times t."""
        out = np.zeros(t.shape)
        if not self.windows or len(t) == 0:
            return out
        if self._starts is None:
            self.windows.sort()
            self._starts = np.array([w[0] for w in self.windows])
            self._ends = np.maximum.accumulate(np.array([w[1] for w in self.windows]))
        assert self._ends is not None
        # windows are sorted by start; those overlapping [t[0], t[-1]] form a contiguous run
        lo = int(np.searchsorted(self._ends, t[0], side="left"))
        hi = int(np.searchsorted(self._starts, t[-1], side="right"))
        for start, end, ramp, amp, f, ph in self.windows[lo:hi]:
            a, b = np.searchsorted(t, [start, end])
            if b <= a:
                continue
            tt = t[a:b]
            out[a:b] += amp * envelope(tt, start, end, ramp) * np.sin(2.0 * np.pi * f * (tt - start) + ph)
        return out


class Channel:
    """One joint or body coordinate: a track plus oscillations."""

    def __init__(self, initial: float) -> None:
        self.track = Track(initial)
        self.osc = Oscillations()

    def __call__(self, t: np.ndarray, offsets: tuple[float, ...] = (0.0,)) -> np.ndarray:
        """Values at t + each offset, interleaved: [t0 + o0, t0 + o1, ..., t1 + o0, ...].

        t must be sorted and the offsets smaller than half the spacing of t, so the result's times
        are sorted too.
        """
        tt = (t[:, None] + np.asarray(offsets)).ravel()
        steady = self.osc.steady_at(t, offsets).T.ravel()
        return self.track(tt) + self.osc.windowed(tt) + steady
