"""Spectra and functional connectivity on signals whose answers are known."""

import numpy as np
import pytest

from tvb_ngnmm.analysis import (
    UndefinedMeasureWarning,
    functional_connectivity,
    peak_frequency,
    power_spectrum,
)


def test_peak_frequency_of_a_sinusoid():
    dt = 0.1  # ms
    t = np.arange(0, 2000, dt)
    signal = np.sin(2 * np.pi * 0.0423 * t)  # 42.3 Hz
    freqs, psd = power_spectrum(signal, dt, segment_ms=500)
    assert freqs[1] - freqs[0] == pytest.approx(2.0)
    assert peak_frequency(freqs, psd) == pytest.approx(42.3, abs=0.3)


def test_functional_connectivity_of_known_signals():
    rng = np.random.default_rng(0)
    common = rng.standard_normal(5000)
    data = np.column_stack([common, common + 0.5 * rng.standard_normal(5000), -common])
    fc = functional_connectivity(data)
    assert fc[0, 2] == pytest.approx(-1.0)
    assert fc[0, 1] == pytest.approx(1 / np.sqrt(1.25), abs=0.02)


def test_bad_input():
    with pytest.raises(ValueError, match="'dt' parameter.*> 0"):
        power_spectrum(np.zeros(10), dt=0.0)
    with pytest.raises(ValueError, match="'data' parameter.*NaN"):
        power_spectrum(np.array([0.0, np.nan, 1.0]), dt=1.0)
    with pytest.raises(ValueError, match="'data' parameter.*\\(n_time, n_region\\)"):
        functional_connectivity(np.zeros(10))


def test_peak_frequency_bad_input_and_band():
    freqs = np.arange(0, 100, 2.0)
    psd = np.exp(-((freqs - 40) ** 2) / 50) + np.exp(-((freqs - 10) ** 2) / 50) * 2
    assert peak_frequency(freqs, psd) == pytest.approx(10.0, abs=0.5)
    assert peak_frequency(freqs, psd, fmin=20, fmax=60) == pytest.approx(40.0, abs=0.5)
    with pytest.raises(ValueError, match="'fmin' and 'fmax' parameters.*0..98 Hz"):
        peak_frequency(freqs, psd, fmin=200)
    with pytest.raises(ValueError, match="'psd' parameter.*got \\(3,\\)"):
        peak_frequency(freqs, psd[:3])
    with pytest.raises(ValueError, match="'segment_ms' parameter.*> 0 ms"):
        power_spectrum(np.zeros(10), dt=1.0, segment_ms=-1.0)


def test_functional_connectivity_of_a_constant_signal_is_nan():
    data = np.column_stack([np.ones(50), np.arange(50.0), np.arange(50.0) ** 2])
    with pytest.warns(UndefinedMeasureWarning, match="region 0 of 'data' is numerically constant"):
        fc = functional_connectivity(data)
    assert np.isnan(fc[0]).all() and np.isnan(fc[:, 0]).all()
    assert fc[1, 1] == 1.0 and 0.9 < fc[1, 2] < 1.0
