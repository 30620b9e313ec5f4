"""Phase synchrony: instantaneous phases and the Kuramoto order parameter."""

from __future__ import annotations

import numpy as np

from ._signal_checks import (
    CONSTANT_REASON,
    analytic_signal,
    check_positive,
    check_series,
    describe_regions,
    discard_edges,
    warn_undefined,
)


def instantaneous_phase(
    data: np.ndarray, dt: float, band: tuple[float, float] | None = None
) -> np.ndarray:
    """Instantaneous phase of each signal from the Hilbert transform.

    Parameters
    ----------
    data : ndarray, shape (n_time,) or (n_time, n_region)
        Signals sampled every ``dt`` ms (at least 2 samples); each signal's mean is removed.
    dt : float
        Sampling interval in ms.
    band : (float, float), optional
        Band in Hz, e.g. ``(30, 80)`` for gamma. The signals are band-passed first (zero-phase
        4th-order Butterworth), so that a phase is meaningful; None skips the filter (only for
        signals that are already narrow-band).

    Returns
    -------
    ndarray, same shape as ``data``
        Phase in radians, in (-pi, pi]. The first and last few periods of the lowest band
        frequency carry edge effects of the filter and the Hilbert transform. NaN for the
        signals without a phase (see Warns).

    Raises
    ------
    ValueError
        If ``data`` holds NaN or inf, fewer than 2 samples, or too few for the filter.

    Warns
    -----
    UndefinedMeasureWarning
        Once, naming the regions without a phase: numerically constant signals (``std <=
        2.2e-14 * max|value|``) and signals whose band-passed copy is that small relative to
        the signal (nothing in the band but rounding errors).
    """
    phase, constant, empty_band = _phases(data, dt, band)
    if constant.any() or empty_band.any():
        warn_undefined(
            f"instantaneous_phase: {_reason(constant, empty_band, band)}: the phase is NaN there.",
            constant | empty_band,
        )
    return phase


def _phases(
    data: np.ndarray, dt: float, band: tuple[float, float] | None, keep: slice = slice(None)
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Phases (NaN where undefined), and the constant and empty-band masks; no warning."""
    data = check_series(data, "data")
    dt = check_positive(dt, "dt")
    analytic, constant, empty_band = analytic_signal(data, dt, band, keep=keep)
    phase = np.where(constant | empty_band, np.nan, np.angle(analytic))
    return phase, constant, empty_band


def _reason(constant: np.ndarray, empty_band: np.ndarray, band) -> str:
    """Why the masked signals have no phase, for a warning."""
    reasons = []
    if constant.any():
        reasons.append(f"{describe_regions(constant)} {CONSTANT_REASON}")
    if empty_band.any():
        reasons.append(
            f"{describe_regions(empty_band)} at the level of rounding errors in the band "
            f"{tuple(band)!r} Hz"
        )
    return "; ".join(reasons)


def kuramoto_order_parameter(
    data: np.ndarray,
    dt: float,
    band: tuple[float, float] | None = None,
    edge_ms: float = 0.0,
) -> np.ndarray:
    """Kuramoto order parameter ``R(t) = |<exp(i phi_k(t))>_k|`` across regions.

    R = 1 when all regions are phase-locked at zero lag, R ~ 0 when phases are spread evenly
    (and ~1/sqrt(n_region) for independent random phases). Its time average measures
    synchrony, its standard deviation "metastability" (Shanahan 2010).

    Parameters
    ----------
    data : ndarray, shape (n_time, n_region)
        Signals (e.g. rates in kHz) sampled every ``dt`` ms; at least 2 regions.
    dt : float
        Sampling interval in ms.
    band : (float, float), optional
        Band in Hz to filter before the Hilbert transform (see `instantaneous_phase`).
    edge_ms : float
        Time in ms dropped at both ends to discard filter and Hilbert edge effects.

    Returns
    -------
    ndarray, shape (n_time - 2 * round(edge_ms / dt),)
        R(t), dimensionless in [0, 1], over the regions that have a phase (see
        `instantaneous_phase`); NaN when fewer than 2 of them do.

    Raises
    ------
    ValueError
        If ``data`` holds NaN or inf, fewer than 2 regions, or too few samples.

    Warns
    -----
    UndefinedMeasureWarning
        Once, naming the regions without a phase (numerically constant, ``std <= 2.2e-14 *
        max|value|``, or nothing but rounding errors in the band), which are left out.
    """
    data = check_series(data, "data", ndim=(2,))
    if data.shape[1] < 2:
        raise ValueError(
            "Invalid shape for the 'data' parameter. Allowed are at least 2 regions, "
            f"but got {data.shape[1]}."
        )
    dt = check_positive(dt, "dt")
    keep = discard_edges(data.shape[0], dt, edge_ms)
    phases, constant, empty_band = _phases(data, dt, band, keep)
    defined = ~(constant | empty_band)
    if not defined.all():
        left = int(defined.sum())
        outcome = "left out of R(t)" if left >= 2 else f"R(t) is NaN ({left} left)"
        warn_undefined(
            f"kuramoto_order_parameter: {_reason(constant, empty_band, band)}: their phase is "
            f"undefined and {outcome}.",
            ~defined,
        )
    if defined.sum() < 2:
        return np.full(keep.stop - keep.start, np.nan)
    return np.abs(np.exp(1j * phases[keep][:, defined]).mean(axis=1))
