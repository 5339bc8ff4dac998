"""Small statistics on short arrays, where numpy's generic versions cost more than the work."""

from __future__ import annotations

import numpy as np


def median(x: np.ndarray) -> np.ndarray:
    """np.median(x, axis=0), same values, for a non-empty array without NaN: a partition and the
    mean of the middle pair, without np.median's argument handling (a few times its cost on the
    thousand-sample stretches of a set)."""
    n = len(x)
    k = n // 2
    if n % 2:
        return np.partition(x, k, axis=0)[k]
    part = np.partition(x, (k - 1, k), axis=0)
    return (part[k - 1] + part[k]) / 2


def percentiles(x: np.ndarray, q: list[float] | tuple[float, ...]) -> np.ndarray:
    """np.percentile(x, q) (method "linear"), same values to the last bit, for a non-empty 1-D array
    without NaN: one partition at the order statistics needed, then numpy's own interpolation,
    without its argument handling (several times the work on a set's few thousand samples)."""
    x = np.asarray(x, dtype=float)
    n = len(x)
    v = (n - 1) * (np.asarray(q, dtype=float) / 100)
    lo = np.floor(v).astype(np.intp)
    hi = np.minimum(lo + 1, n - 1)
    lo = np.minimum(lo, n - 1)
    gamma = v - lo
    part = np.partition(x, np.unique(np.concatenate((lo, hi))))
    a, b = part[lo], part[hi]
    diff = b - a
    # numpy's lerp: from the nearer end, so the result stays within [a, b].
    return np.where(gamma >= 0.5, b - diff * (1 - gamma), a + diff * gamma)


def weighted_median(x: np.ndarray, weights: np.ndarray) -> float:
    """The value at which the sorted values' cumulative weight reaches half the total; halfway
    between two values when it reaches half exactly at one of them, so equal weights give
    np.median. Without any weight, the plain median."""
    x = np.asarray(x, dtype=float)
    weights = np.asarray(weights, dtype=float)
    if not weights.sum() > 0:
        return float(median(x))
    order = np.argsort(x, kind="stable")
    x, cum = x[order], np.cumsum(weights[order])
    half, tol = cum[-1] / 2, 1e-12 * cum[-1]  # sums of equal weights may miss half by rounding
    k = min(int(np.searchsorted(cum, half - tol)), len(x) - 1)
    if k < len(x) - 1 and abs(cum[k] - half) <= tol:
        return float((x[k] + x[k + 1]) / 2)
    return float(x[k])
