"""Measures on simulated time series: power spectra, peak frequency, functional connectivity."""

from __future__ import annotations

import numpy as np
from scipy import signal

from ._signal_checks import check_positive, check_series


def _check_series(data: np.ndarray, name: str) -> np.ndarray:
    return check_series(data, name)


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
    dt = check_positive(dt, "dt")
    check_positive(segment_ms, "segment_ms")
    fs = 1000.0 / dt
    nperseg = min(data.shape[0], max(8, int(round(segment_ms / dt))))
    freqs, psd = signal.welch(data, fs=fs, nperseg=nperseg, axis=0, detrend="constant")
    return freqs, psd


def peak_frequency(
    freqs: np.ndarray, psd: np.ndarray, fmin: float = 1.0, fmax: float | None = None
) -> float:
    """Frequency of the largest spectral peak in ``[fmin, fmax]``, refined by a parabola fit.

    Parameters
    ----------
    freqs : ndarray, shape (n_freq,)
        Frequencies in Hz, evenly spaced and increasing (as returned by `power_spectrum`).
    psd : ndarray, shape (n_freq,) or (n_freq, n_region)
        Power spectral density; with several regions their mean spectrum is used.
    fmin, fmax : float
        Search band in Hz; ``fmax=None`` searches up to the highest frequency.

    Returns
    -------
    float
        Peak frequency in Hz, refined by a parabola through the log-power of the three bins
        around the maximum (sub-bin resolution).
    """
    freqs = np.asarray(freqs, dtype=float)
    psd = np.asarray(psd, dtype=float)
    if freqs.ndim != 1 or psd.ndim not in (1, 2) or psd.shape[0] != freqs.shape[0]:
        raise ValueError(
            "Invalid shape for the 'psd' parameter. Allowed is (n_freq,) or (n_freq, n_region) "
            f"with n_freq = len(freqs) = {freqs.shape}, but got {psd.shape}."
        )
    if psd.ndim == 2:
        psd = psd.mean(axis=1)
    fmax = freqs[-1] if fmax is None else fmax
    band = np.flatnonzero((freqs >= fmin) & (freqs <= fmax))
    if band.size == 0:
        raise ValueError(
            f"Invalid value for the 'fmin' and 'fmax' parameters. Allowed is a band holding at "
            f"least one of the frequencies {freqs[0]:g}..{freqs[-1]:g} Hz, but got "
            f"[{fmin!r}, {fmax!r}] instead."
        )
    k = band[np.argmax(psd[band])]
    if 0 < k < len(psd) - 1 and psd[k] > 0:
        left, mid, right = np.log(psd[k - 1 : k + 2] + 1e-300)
        denominator = left - 2 * mid + right
        shift = 0.5 * (left - right) / denominator if denominator != 0 else 0.0
        return float(freqs[k] + shift * (freqs[1] - freqs[0]))
    return float(freqs[k])


def functional_connectivity(data: np.ndarray) -> np.ndarray:
    """Functional connectivity: Pearson correlation between the regions' signals.

    Parameters
    ----------
    data : ndarray, shape (n_time, n_region)
        Signals (any unit, e.g. rates in kHz or BOLD).

    Returns
    -------
    ndarray, shape (n_region, n_region)
        Correlation matrix, ones on the diagonal. Entries of a region whose signal is constant
        are NaN (its correlation is undefined).
    """
    data = check_series(data, "data", ndim=(2,))
    return correlation_matrix(data)


def correlation_matrix(data: np.ndarray) -> np.ndarray:
    """Pearson correlation of the columns of ``data``; NaN (no warning) for constant columns."""
    centred = data - data.mean(axis=0)
    norm = np.sqrt((centred**2).sum(axis=0))
    with np.errstate(invalid="ignore", divide="ignore"):
        scaled = centred / norm
        fc = scaled.T @ scaled
    np.fill_diagonal(fc, np.where(norm > 0, 1.0, np.nan))
    return np.clip(fc, -1.0, 1.0)


def mean_functional_connectivity(data: np.ndarray) -> float:
    """Mean functional connectivity over region pairs: a global synchrony measure.

    Parameters
    ----------
    data : ndarray, shape (n_time, n_region)
        Signals of at least 2 regions.

    Returns
    -------
    float
        Mean off-diagonal Pearson correlation (see `mean_off_diagonal`).
    """
    return mean_off_diagonal(functional_connectivity(data))


def mean_off_diagonal(matrix: np.ndarray) -> float:
    """Mean of the off-diagonal entries of a square matrix such as an FC matrix.

    Parameters
    ----------
    matrix : ndarray, shape (n_region, n_region)
        At least 2 regions. NaN entries (e.g. correlations of constant signals) are ignored.

    Returns
    -------
    float
        The mean, NaN when no off-diagonal entry is finite.
    """
    matrix = np.asarray(matrix, dtype=float)
    if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1] or matrix.shape[0] < 2:
        raise ValueError(
            "Invalid shape for the 'matrix' parameter. Allowed is (n_region, n_region) with at "
            f"least 2 regions, but got {matrix.shape}."
        )
    pairs = matrix[~np.eye(matrix.shape[0], dtype=bool)]
    pairs = pairs[np.isfinite(pairs)]
    return float(pairs.mean()) if pairs.size else float("nan")
