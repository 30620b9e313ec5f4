"""Measures on simulated time series: power spectra, peak frequency, functional connectivity."""

from __future__ import annotations

import numpy as np
from scipy import signal


def _check_series(data: np.ndarray, name: str) -> np.ndarray:
    data = np.asarray(data, dtype=float)
    if data.ndim not in (1, 2):
        raise ValueError(
            f"Invalid shape for the {name!r} parameter. Allowed are (n_time,) or "
            f"(n_time, n_region), but got {data.shape}."
        )
    if not np.isfinite(data).all():
        raise ValueError(f"Invalid value for the {name!r} parameter: it holds NaN or inf values.")
    return data


def power_spectrum(
    data: np.ndarray, dt: float, segment_ms: float = 250.0
) -> tuple[np.ndarray, np.ndarray]:
    """Welch power spectral density of time series sampled every ``dt`` ms.

    Parameters
    ----------
    data : ndarray, shape (n_time,) or (n_time, n_region)
        Signals, e.g. firing rates. The mean of each signal is removed.
    dt : float
        Sampling interval in ms.
    segment_ms : float
        Length of the Welch segments in ms (sets the frequency resolution, 1000/segment_ms Hz).

    Returns
    -------
    freqs : ndarray
        Frequencies in Hz.
    psd : ndarray, shape (n_freq,) or (n_freq, n_region)
        Power spectral density (signal units squared per Hz).
    """
    data = _check_series(data, "data")
    if not (np.isfinite(dt) and dt > 0):
        raise ValueError(
            "Invalid value for the 'dt' parameter. Allowed values are > 0 ms, "
            f"but got {dt!r} instead."
        )
    fs = 1000.0 / dt
    nperseg = min(data.shape[0], max(8, int(round(segment_ms / dt))))
    freqs, psd = signal.welch(data, fs=fs, nperseg=nperseg, axis=0, detrend="constant")
    return freqs, psd


def peak_frequency(freqs: np.ndarray, psd: np.ndarray, fmin: float = 1.0) -> float:
    """Frequency (Hz) of the largest spectral peak above ``fmin``, refined by a parabola fit."""
    freqs = np.asarray(freqs)
    psd = np.asarray(psd)
    if psd.ndim == 2:
        psd = psd.mean(axis=1)
    band = np.flatnonzero(freqs >= fmin)
    k = band[np.argmax(psd[band])]
    if 0 < k < len(psd) - 1 and psd[k] > 0:
        left, mid, right = np.log(psd[k - 1 : k + 2] + 1e-300)
        denominator = left - 2 * mid + right
        shift = 0.5 * (left - right) / denominator if denominator != 0 else 0.0
        return float(freqs[k] + shift * (freqs[1] - freqs[0]))
    return float(freqs[k])


def functional_connectivity(data: np.ndarray) -> np.ndarray:
    """Pearson correlation between regions of ``data`` shaped (n_time, n_region)."""
    data = _check_series(data, "data")
    if data.ndim != 2:
        raise ValueError(
            "Invalid shape for the 'data' parameter. Allowed is (n_time, n_region), "
            f"but got {data.shape}."
        )
    return np.corrcoef(data, rowvar=False)
