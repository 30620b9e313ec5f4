"""Cross-frequency phase-amplitude coupling (PAC): Tort's modulation index, mean vector length."""

from __future__ import annotations

import numpy as np
from scipy.special import xlogy

from ._signal_checks import (
    CONSTANT_REASON,
    analytic_signal,
    check_positive,
    check_series,
    discard_edges,
    warn_undefined,
)


def _phase_and_amplitude(
    data: np.ndarray,
    dt: float,
    phase_band: tuple[float, float],
    amplitude_band: tuple[float, float],
    edge_ms: float,
    measure: str,
) -> tuple[np.ndarray, np.ndarray] | None:
    """Phase of the slow band and envelope of the fast one; None (and a warning) if undefined."""
    data = check_series(data, "data", ndim=(1,))
    dt = check_positive(dt, "dt")
    keep = discard_edges(data.shape[0], dt, edge_ms)
    slow, constant, no_phase = analytic_signal(data, dt, phase_band, "phase_band", keep)
    fast, _, no_amplitude = analytic_signal(data, dt, amplitude_band, "amplitude_band", keep)
    if phase_band[1] >= amplitude_band[0]:
        raise ValueError(
            "Invalid value for the 'amplitude_band' parameter. Allowed is a band above the "
            f"phase band {tuple(phase_band)!r} Hz, but got {tuple(amplitude_band)!r} instead."
        )
    if constant or no_phase or no_amplitude:
        if constant:
            reason = f"is {CONSTANT_REASON}"
        else:
            band = ("phase", phase_band) if no_phase else ("amplitude", amplitude_band)
            reason = f"holds only rounding errors in the {band[0]} band {band[1]!r} Hz"
        warn_undefined(
            f"{measure}: the signal 'data' {reason}: the coupling is undefined; returning NaN.",
            (0,),
            stacklevel=4,
        )
        return None
    return np.angle(slow)[keep], np.abs(fast)[keep]


def _check_n_bins(n_bins: int) -> None:
    if not (isinstance(n_bins, (int, np.integer)) and n_bins >= 2):
        raise ValueError(
            "Invalid value for the 'n_bins' parameter. Allowed are integers >= 2, "
            f"but got {n_bins!r} instead."
        )


def phase_amplitude_distribution(
    phase: np.ndarray, amplitude: np.ndarray, n_bins: int = 18
) -> np.ndarray:
    """Mean amplitude in each of ``n_bins`` equal phase bins on [-pi, pi), normalised to sum 1.

    Parameters
    ----------
    phase : ndarray, shape (n_time,)
        Phase in radians.
    amplitude : ndarray, shape (n_time,)
        Envelope (any unit), >= 0.
    n_bins : int
        Number of phase bins, >= 2; every bin must hold a sample.

    Returns
    -------
    ndarray, shape (n_bins,)
        The distribution; NaN everywhere when the amplitude is zero throughout (there is
        nothing to distribute).

    Raises
    ------
    ValueError
        If ``phase`` or ``amplitude`` holds NaN or inf, ``amplitude`` negative values, their
        shapes differ, or a phase bin is empty.

    Warns
    -----
    UndefinedMeasureWarning
        When the amplitude is zero throughout.
    """
    _check_n_bins(n_bins)
    phase = check_series(phase, "phase", ndim=(1,), min_time=1)
    amplitude = check_series(amplitude, "amplitude", ndim=(1,), min_time=1)
    if amplitude.shape != phase.shape or (amplitude < 0).any():
        raise ValueError(
            "Invalid value for the 'amplitude' parameter. Allowed are values >= 0, one per "
            f"phase {phase.shape}, but got shape {amplitude.shape} with "
            f"{int((amplitude < 0).sum())} negative values instead."
        )
    bins = np.floor((phase + np.pi) / (2 * np.pi) * n_bins).astype(int) % n_bins
    counts = np.bincount(bins, minlength=n_bins)
    if (counts == 0).any():
        raise ValueError(
            f"Invalid value for the 'n_bins' parameter: {int((counts == 0).sum())} of {n_bins} "
            "phase bins are empty; use fewer bins or a longer signal."
        )
    mean_amplitude = np.bincount(bins, weights=amplitude, minlength=n_bins) / counts
    if not mean_amplitude.sum() > 0:
        warn_undefined(
            "phase_amplitude_distribution: the amplitude is zero throughout, so it has no "
            "distribution over phases; returning NaN."
        )
        return np.full(n_bins, np.nan)
    return mean_amplitude / mean_amplitude.sum()


def modulation_index(
    data: np.ndarray,
    dt: float,
    phase_band: tuple[float, float],
    amplitude_band: tuple[float, float],
    n_bins: int = 18,
    edge_ms: float = 0.0,
) -> float:
    """Tort's modulation index of phase-amplitude coupling (Tort et al. 2010).

    The phase of the slow band and the envelope of the fast band come from the Hilbert transform
    of band-passed copies of ``data``. The mean envelope in ``n_bins`` phase bins, normalised to
    a distribution P, is compared with the uniform one: MI = (log n_bins - H(P)) / log n_bins,
    with H the Shannon entropy. MI = 0 without coupling; for an envelope
    ``A(phi) = 1 + m cos(phi)`` it is about ``m**2 / (4 log n_bins)`` for small ``m``.

    Parameters
    ----------
    data : ndarray, shape (n_time,)
        One signal (e.g. a region's rate in kHz) sampled every ``dt`` ms.
    dt : float
        Sampling interval in ms.
    phase_band : (float, float)
        Band of the modulating (slow) rhythm in Hz, e.g. ``(4, 8)`` theta.
    amplitude_band : (float, float)
        Band of the modulated (fast) rhythm in Hz, e.g. ``(30, 80)`` gamma; it must lie above
        ``phase_band`` and be wide enough to hold the side bands at ± the phase frequency.
    n_bins : int
        Number of phase bins.
    edge_ms : float
        Time in ms dropped at both ends (filter and Hilbert edge effects).

    Returns
    -------
    float
        Modulation index, dimensionless, in [0, 1]; NaN when undefined (see Warns).

    Raises
    ------
    ValueError
        If ``data`` holds NaN or inf or too few samples for the filters, or a band is invalid.

    Warns
    -----
    UndefinedMeasureWarning
        When ``data`` is numerically constant (``std <= 2.2e-14 * max|value|``, the rule shared
        by all measures) or either band holds only rounding errors (its band-passed copy that
        small relative to the signal): there is no phase or no envelope to couple.
    """
    _check_n_bins(n_bins)
    found = _phase_and_amplitude(data, dt, phase_band, amplitude_band, edge_ms, "modulation_index")
    if found is None:
        return float("nan")
    distribution = phase_amplitude_distribution(*found, n_bins)
    entropy = -np.sum(xlogy(distribution, distribution))
    return float((np.log(n_bins) - entropy) / np.log(n_bins))


def mean_vector_length(
    data: np.ndarray,
    dt: float,
    phase_band: tuple[float, float],
    amplitude_band: tuple[float, float],
    edge_ms: float = 0.0,
) -> float:
    """Mean vector length of phase-amplitude coupling, normalised by the mean amplitude.

    ``|<A(t) exp(i phi(t))>_t| / <A(t)>_t`` (Canolty et al. 2006, divided by the mean envelope so
    that it does not depend on the signal's scale). For ``A(phi) = 1 + m cos(phi)`` with phases
    spread evenly it equals ``m / 2``; without coupling it is ~0.

    Parameters
    ----------
    data : ndarray, shape (n_time,)
        One signal sampled every ``dt`` ms.
    dt : float
        Sampling interval in ms.
    phase_band, amplitude_band : (float, float)
        Bands in Hz of the slow (phase) and fast (amplitude) rhythms; see `modulation_index`.
    edge_ms : float
        Time in ms dropped at both ends.

    Returns
    -------
    float
        Normalised mean vector length, dimensionless, in [0, 1]; NaN when undefined (see
        Warns).

    Raises
    ------
    ValueError
        If ``data`` holds NaN or inf or too few samples for the filters, or a band is invalid.

    Warns
    -----
    UndefinedMeasureWarning
        When ``data`` is numerically constant or either band holds only rounding errors (as in
        `modulation_index`).
    """
    found = _phase_and_amplitude(
        data, dt, phase_band, amplitude_band, edge_ms, "mean_vector_length"
    )
    if found is None:
        return float("nan")
    phase, amplitude = found
    return float(np.abs(np.mean(amplitude * np.exp(1j * phase))) / amplitude.mean())
