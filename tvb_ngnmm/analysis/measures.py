"""Measures on simulated time series: power spectra, peak frequency, functional connectivity."""

from __future__ import annotations

import numpy as np
from scipy import signal

from ._signal_checks import (
    CONSTANT_REASON,
    CONSTANT_RTOL,
    centre,
    check_positive,
    check_series,
    constant_signals,
    describe_regions,
    warn_undefined,
)


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
        Power spectral density (signal units squared per Hz). Exactly 0 for a numerically
        constant signal (its fluctuations are rounding errors; see Notes).

    Raises
    ------
    ValueError
        If ``data`` holds NaN or inf, or fewer than 2 samples.

    Notes
    -----
    A signal is numerically constant when ``std <= 2.2e-14 * max|value|`` (the rule shared by
    all measures, see `tvb_ngnmm.analysis._signal_checks`). Its spectrum is defined (no power),
    so no warning is emitted; `peak_frequency` of an all-zero spectrum is NaN.
    """
    data = check_series(data, "data")
    dt = check_positive(dt, "dt")
    check_positive(segment_ms, "segment_ms")
    fs = 1000.0 / dt
    nperseg = min(data.shape[0], max(8, int(round(segment_ms / dt))))
    freqs, psd = signal.welch(data, fs=fs, nperseg=nperseg, axis=0, detrend="constant")
    return freqs, np.where(constant_signals(data), 0.0, psd)


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
        around the maximum (sub-bin resolution). NaN, with an `UndefinedMeasureWarning`, when
        the spectrum is flat in the band (``max - min <= 2.2e-14 * max``, e.g. all zero: the
        spectrum of constant signals, or a band holding a single frequency).

    Raises
    ------
    ValueError
        If ``freqs`` is not finite and increasing, ``psd`` holds NaN, inf or negative values,
        or the band holds none of the frequencies.
    """
    freqs, psd = _check_spectrum(freqs, psd)
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
    power = psd[band]
    if not power.max() - power.min() > CONSTANT_RTOL * power.max():
        warn_undefined(
            f"peak_frequency: the spectrum is flat in [{freqs[band[0]]:g}, {freqs[band[-1]]:g}] "
            f"Hz (max - min power <= {CONSTANT_RTOL:.2g} x max power), so it has no peak; "
            "returning NaN."
        )
        return float("nan")
    k = band[np.argmax(power)]
    if 0 < k < len(psd) - 1 and psd[k] > 0:
        left, mid, right = np.log(psd[k - 1 : k + 2] + 1e-300)
        denominator = left - 2 * mid + right
        shift = 0.5 * (left - right) / denominator if denominator != 0 else 0.0
        return float(freqs[k] + shift * (freqs[1] - freqs[0]))
    return float(freqs[k])


def _check_spectrum(freqs: np.ndarray, psd: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    freqs = np.asarray(freqs, dtype=float)
    psd = np.asarray(psd, dtype=float)
    if freqs.ndim != 1 or psd.ndim not in (1, 2) or psd.shape[0] != freqs.shape[0]:
        raise ValueError(
            "Invalid shape for the 'psd' parameter. Allowed is (n_freq,) or (n_freq, n_region) "
            f"with n_freq = len(freqs) = {freqs.shape}, but got {psd.shape}."
        )
    if freqs.size == 0 or not np.isfinite(freqs).all() or (np.diff(freqs) <= 0).any():
        raise ValueError(
            "Invalid value for the 'freqs' parameter. Allowed are at least one finite "
            "frequency in Hz, increasing, but got non-finite, decreasing or no values instead."
        )
    if not np.isfinite(psd).all() or (psd < 0).any():
        raise ValueError(
            "Invalid value for the 'psd' parameter. Allowed are finite values >= 0, but got "
            f"{int((~np.isfinite(psd)).sum())} NaN or inf and {int((psd < 0).sum())} negative "
            "values instead."
        )
    return freqs, psd


def functional_connectivity(data: np.ndarray) -> np.ndarray:
    """Functional connectivity: Pearson correlation between the regions' signals.

    Parameters
    ----------
    data : ndarray, shape (n_time, n_region)
        Signals (any unit, e.g. rates in kHz or BOLD), at least 2 samples.

    Returns
    -------
    ndarray, shape (n_region, n_region)
        Correlation matrix, ones on the diagonal. The row and column of a numerically constant
        region (diagonal included) are NaN: its correlation is undefined.

    Raises
    ------
    ValueError
        If ``data`` holds NaN or inf, or fewer than 2 samples.

    Warns
    -----
    UndefinedMeasureWarning
        Once, naming the numerically constant regions (``std <= 2.2e-14 * max|value|``; the
        rule shared by all measures, see `tvb_ngnmm.analysis._signal_checks`).
    """
    data = check_series(data, "data", ndim=(2,))
    constant = constant_signals(data)
    if constant.any():
        warn_undefined(
            f"functional_connectivity: {describe_regions(constant)} {CONSTANT_REASON}: their "
            "correlations are undefined and their rows and columns are NaN.",
            constant,
        )
    return correlation_matrix(data, constant)


def correlation_matrix(data: np.ndarray, undefined: np.ndarray | None = None) -> np.ndarray:
    """Pearson correlation of the columns of ``data``, without warnings.

    Rows and columns of the ``undefined`` columns, and of exactly constant ones, are NaN
    (diagonal included); the other diagonal entries are 1.
    """
    scale = np.abs(data).max(axis=0)
    scaled = data / np.where(scale > 0, scale, 1.0)  # no overflow for large values
    centred = centre(scaled)
    norm = np.sqrt((centred**2).sum(axis=0))
    undefined = ~(norm > 0) if undefined is None else undefined | ~(norm > 0)
    unit = centred / np.where(undefined, 1.0, norm)
    fc = np.clip(unit.T @ unit, -1.0, 1.0)
    np.fill_diagonal(fc, 1.0)
    fc[undefined, :] = np.nan
    fc[:, undefined] = np.nan
    return fc


def mean_functional_connectivity(data: np.ndarray) -> float:
    """Mean functional connectivity over region pairs: a global synchrony measure.

    Parameters
    ----------
    data : ndarray, shape (n_time, n_region)
        Signals of at least 2 regions, at least 2 samples.

    Returns
    -------
    float
        Mean Pearson correlation over the pairs of regions whose signals are not numerically
        constant (``std <= 2.2e-14 * max|value|``); NaN when fewer than 2 such regions remain.

    Raises
    ------
    ValueError
        If ``data`` holds NaN or inf, fewer than 2 samples or fewer than 2 regions.

    Warns
    -----
    UndefinedMeasureWarning
        Once, naming the numerically constant regions left out of the mean.
    """
    data = check_series(data, "data", ndim=(2,))
    if data.shape[1] < 2:
        raise ValueError(
            "Invalid shape for the 'data' parameter. Allowed are at least 2 regions, "
            f"but got {data.shape[1]}."
        )
    constant = constant_signals(data)
    if constant.any():
        left = int((~constant).sum())
        outcome = "left out of the mean" if left >= 2 else f"the mean is NaN ({left} left)"
        warn_undefined(
            f"mean_functional_connectivity: {describe_regions(constant)} {CONSTANT_REASON}: "
            f"their correlations are undefined and {outcome}.",
            constant,
        )
    return _mean_of_finite_pairs(correlation_matrix(data, constant))


def mean_off_diagonal(matrix: np.ndarray) -> float:
    """Mean of the off-diagonal entries of a square matrix such as an FC matrix.

    Parameters
    ----------
    matrix : ndarray, shape (n_region, n_region)
        At least 2 regions. NaN entries (e.g. correlations of constant signals) are left out.

    Returns
    -------
    float
        The mean of the finite off-diagonal entries; NaN when there is none.

    Raises
    ------
    ValueError
        If ``matrix`` is not square with at least 2 regions, or holds inf.

    Warns
    -----
    UndefinedMeasureWarning
        When every off-diagonal entry is NaN.
    """
    matrix = np.asarray(matrix, dtype=float)
    if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1] or matrix.shape[0] < 2:
        raise ValueError(
            "Invalid shape for the 'matrix' parameter. Allowed is (n_region, n_region) with at "
            f"least 2 regions, but got {matrix.shape}."
        )
    if np.isinf(matrix).any():
        raise ValueError(
            "Invalid value for the 'matrix' parameter. Allowed are finite values and NaN for "
            f"undefined entries, but got {int(np.isinf(matrix).sum())} inf values instead."
        )
    mean = _mean_of_finite_pairs(matrix)
    if np.isnan(mean):
        warn_undefined("mean_off_diagonal: every off-diagonal entry is NaN; the mean is NaN.")
    return mean


def _mean_of_finite_pairs(matrix: np.ndarray) -> float:
    pairs = matrix[~np.eye(matrix.shape[0], dtype=bool)]
    pairs = pairs[np.isfinite(pairs)]
    return float(pairs.mean()) if pairs.size else float("nan")
