"""Phase synchrony: instantaneous phases and the Kuramoto order parameter."""

from __future__ import annotations

import numpy as np

from ._signal_checks import analytic_signal, check_positive, check_series, discard_edges


def instantaneous_phase(
    data: np.ndarray, dt: float, band: tuple[float, float] | None = None
) -> np.ndarray:
    """Instantaneous phase of each signal from the Hilbert transform.

    Parameters
    ----------
    data : ndarray, shape (n_time,) or (n_time, n_region)
        Signals sampled every ``dt`` ms; each signal's mean is removed.
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
        frequency carry edge effects of the filter and the Hilbert transform.
    """
    data = check_series(data, "data")
    dt = check_positive(dt, "dt")
    return np.angle(analytic_signal(data, dt, band))


def kuramoto_order_parameter(
    data: np.ndarray,
    dt: float,
    band: tuple[float, float] | None = None,
    edge_ms: float = 0.0,
) -> np.ndarray:
    """Kuramoto order parameter R(t) = |<exp(i phi_k(t))>_k| across regions.

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
        R(t), dimensionless in [0, 1].
    """
    data = check_series(data, "data", ndim=(2,))
    if data.shape[1] < 2:
        raise ValueError(
            "Invalid shape for the 'data' parameter. Allowed are at least 2 regions, "
            f"but got {data.shape[1]}."
        )
    dt = check_positive(dt, "dt")
    keep = discard_edges(data.shape[0], dt, edge_ms)
    phases = instantaneous_phase(data, dt, band)[keep]
    return np.abs(np.exp(1j * phases).mean(axis=1))
