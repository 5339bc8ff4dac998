"""Peak finding by prominence, in numpy.

What `scipy.signal.find_peaks(x, prominence=p, wlen=w)` returns, computed here because importing
scipy.signal takes about half a second, more than analysing an hour of recording.
"""

from __future__ import annotations

import numpy as np


def prominent_peaks(x: np.ndarray, min_prominence: float, wlen: int) -> np.ndarray:
    """Indices of the local maxima of `x` that stand at least `min_prominence` above their base.

    A peak's base on each side is the lowest sample between it and the first higher sample, looked
    for no further than `wlen // 2` samples away (the ends of `x` also stop the search); its
    prominence is its height above the higher of its two bases.
    """
    x = np.asarray(x, dtype=float)
    peaks = local_maxima(x)
    if len(peaks) == 0:
        return peaks
    reach = min(int(wlen) // 2, len(x) - 1)
    blocks = _Blocks(x, reach)
    left, right = blocks.left_bases(peaks, reach), blocks.right_bases(peaks, reach)
    return peaks[x[peaks] - np.maximum(left, right) >= min_prominence]


def local_maxima(x: np.ndarray) -> np.ndarray:
    """Indices of the samples higher than both neighbours; a flat top counts once, at its middle
    (rounded down)."""
    change = np.flatnonzero(x[1:] != x[:-1])  # the last sample before each change of value
    rising = x[change + 1] > x[change]
    top = rising[:-1] & ~rising[1:]
    first, last = change[:-1][top] + 1, change[1:][top]
    return (first + last) // 2


class _Blocks:
    """The highest and the lowest sample of every block of 2**k samples of x.

    The first sample above a peak is then found a block at a time, largest first, for all peaks at
    once (instead of a loop over samples per peak), and the lowest sample of any stretch is that of
    two overlapping blocks.
    """

    def __init__(self, x: np.ndarray, reach: int):
        self.levels = (reach + 1).bit_length()
        # [k, i]: over x[i : i + 2**k]; where that runs past the end of x the entry is never used.
        self.highest = np.empty((self.levels, len(x)))
        self.lowest = np.empty((self.levels, len(x)))
        self.highest[0] = self.lowest[0] = x
        for k in range(1, self.levels):
            h = 1 << (k - 1)
            np.maximum(self.highest[k - 1, :-h], self.highest[k - 1, h:], out=self.highest[k, :-h])
            np.minimum(self.lowest[k - 1, :-h], self.lowest[k - 1, h:], out=self.lowest[k, :-h])

    def left_bases(self, peaks: np.ndarray, reach: int) -> np.ndarray:
        """Lowest sample between each peak and the first higher one (or `reach` samples) to its left."""
        top = self.highest[0, peaks]
        stop = np.maximum(peaks - reach, 0)
        end = peaks  # the furthest sample reached, none of them higher than the peak
        for k in range(self.levels - 1, -1, -1):
            start = end - (1 << k)
            ok = (start >= stop) & (self.highest[k, np.maximum(start, 0)] <= top)
            end = np.where(ok, start, end)
        return self._lowest(end, peaks)

    def right_bases(self, peaks: np.ndarray, reach: int) -> np.ndarray:
        """Lowest sample between each peak and the first higher one (or `reach` samples) to its right."""
        top = self.highest[0, peaks]
        stop = np.minimum(peaks + reach, self.highest.shape[1] - 1)
        end = peaks
        for k in range(self.levels - 1, -1, -1):
            last = end + (1 << k)
            ok = (last <= stop) & (self.highest[k, np.minimum(end + 1, stop)] <= top)
            end = np.where(ok, last, end)
        return self._lowest(peaks, end)

    def _lowest(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Lowest sample of x[a : b + 1] for each pair."""
        k = np.log2(b - a + 1).astype(int)
        return np.minimum(self.lowest[k, a], self.lowest[k, b - (1 << k) + 1])
