"""The numpy low-pass and peak finder give what scipy.signal gives (they replace it on the analysis
path because importing scipy.signal costs about half a second)."""

import warnings

import numpy as np
import pytest
from scipy import signal as sps

from analysis.clean import lowpass
from analysis.peaks import local_maxima, prominent_peaks


@pytest.mark.parametrize("fs,cutoff", [(50.0, 0.3), (50.0, 1.0), (50.0, 12.0), (100.0, 0.05), (50.0, 24.5)])
@pytest.mark.parametrize("n", [16, 17, 60, 1300, 20000])
def test_lowpass_is_scipy_butterworth_filtfilt(fs, cutoff, n):
    rng = np.random.default_rng(n)
    x = np.cumsum(rng.normal(size=(n, 3)), axis=0) + 9.8
    sos = sps.butter(2, cutoff, btype="low", fs=fs, output="sos")
    ref = sps.sosfiltfilt(sos, x, axis=0, padlen=min(n - 1, int(3 * fs / cutoff)))
    got = lowpass(x, fs, cutoff)
    # Rounding differs between the two recursions; a cutoff far below the rate has poles close to 1,
    # which amplify it.
    scale = 1e-9 * np.abs(x).max()
    assert got.shape == x.shape
    assert np.abs(got - ref).max() < scale
    assert np.abs(lowpass(x[:, 1], fs, cutoff) - ref[:, 1]).max() < scale


def test_peaks_are_scipy_find_peaks():
    rng = np.random.default_rng(0)
    for trial in range(400):
        n = int(rng.integers(2, 3000))
        kind = trial % 3
        if kind == 0:
            x = np.cumsum(rng.normal(size=n))
        elif kind == 1:  # flat tops and flat stretches
            x = np.round(np.cumsum(rng.normal(size=n)))
        else:
            x = 30 * np.sin(np.arange(n) / rng.uniform(3, 50)) + 0.3 * np.cumsum(rng.normal(size=n))
        prominence, wlen = float(rng.uniform(0, 20)), int(rng.integers(2, 4000))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # peaks of zero prominence
            ref = sps.find_peaks(x, prominence=prominence, wlen=wlen)[0]
        np.testing.assert_array_equal(prominent_peaks(x, prominence, wlen), ref)


def test_local_maxima_flat_tops():
    x = np.array([0, 1, 1, 1, 0, 2, 2, 3, 3, 0, 5, 5])
    np.testing.assert_array_equal(local_maxima(x.astype(float)), [2, 7])


def test_percentiles_and_median_are_numpy_s_to_the_last_bit():
    from analysis.stats import median, percentiles

    rng = np.random.default_rng(3)
    for trial in range(3000):
        n = int(rng.integers(1, 2500))
        x = rng.normal(size=n) * rng.uniform(0.1, 100.0)
        if trial % 3 == 0:
            x = np.round(x)  # ties
        q = (2.0, 98.0) if trial % 2 else tuple(rng.uniform(0.0, 100.0, size=3))
        np.testing.assert_array_equal(percentiles(x, q), np.percentile(x, q))
        np.testing.assert_array_equal(median(x), np.median(x))
    y = rng.normal(size=(1001, 3))
    np.testing.assert_array_equal(median(y), np.median(y, axis=0))
    np.testing.assert_array_equal(median(y[:1000]), np.median(y[:1000], axis=0))


def test_weighted_median_is_numpy_s_median_for_equal_weights_and_follows_the_weight():
    from analysis.stats import weighted_median

    rng = np.random.default_rng(7)
    for n in range(1, 40):
        x = rng.normal(0, 1, n)
        assert weighted_median(x, np.full(n, 0.3)) == pytest.approx(float(np.median(x)), abs=1e-12)
        assert weighted_median(x, np.zeros(n)) == pytest.approx(float(np.median(x)), abs=1e-12)
    # Two slow reps whose radius fits read metres barely weigh against two clean ones.
    assert weighted_median([0.21, 0.10, 4.06, 5.87], [24.5, 22.2, 5.5, 2.6]) == pytest.approx(0.21)
    assert float(np.median([0.21, 0.10, 4.06, 5.87])) > 2.0
