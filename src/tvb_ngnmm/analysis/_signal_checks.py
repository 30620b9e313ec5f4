"""Input checks shared by the measures on simulated time series (time in ms, frequencies in Hz)."""

from __future__ import annotations

import numpy as np
from scipy import signal


def check_series(
    data: np.ndarray, name: str = "data", ndim: tuple[int, ...] = (1, 2)
) -> np.ndarray:
    """Return ``data`` as a finite float array of shape (n_time,) or (n_time, n_region)."""
    data = np.asarray(data, dtype=float)
    if data.ndim not in ndim:
        allowed = " or ".join(["(n_time,)", "(n_time, n_region)"][d - 1] for d in ndim)
        raise ValueError(
            f"Invalid shape for the {name!r} parameter. Allowed is {allowed}, but got {data.shape}."
        )
    if not np.isfinite(data).all():
        raise ValueError(f"Invalid value for the {name!r} parameter: it holds NaN or inf values.")
    return data


def check_positive(value: float, name: str, unit: str = "ms") -> float:
    """Return ``value`` as a float, or raise if it is not finite and > 0."""
    try:
        ok = bool(np.isfinite(value) and value > 0)
    except TypeError:
        ok = False
    if not ok:
        raise ValueError(
            f"Invalid value for the {name!r} parameter. Allowed values are > 0 {unit}, "
            f"but got {value!r} instead."
        )
    return float(value)


def check_band(band: tuple[float, float], dt: float, name: str = "band") -> tuple[float, float]:
    """Check a frequency band ``(low, high)`` in Hz against the Nyquist frequency of ``dt`` ms."""
    nyquist = 500.0 / dt
    try:
        low, high = (float(f) for f in band)
    except (TypeError, ValueError):
        raise ValueError(
            f"Invalid value for the {name!r} parameter. Allowed is a pair (low, high) in Hz, "
            f"but got {band!r} instead."
        ) from None
    if not (0 < low < high < nyquist):
        raise ValueError(
            f"Invalid value for the {name!r} parameter. Allowed is 0 < low < high < "
            f"{nyquist:g} Hz (the Nyquist frequency for dt = {dt:g} ms), but got {band!r} instead."
        )
    return low, high


def bandpass(data: np.ndarray, dt: float, band: tuple[float, float], order: int = 4) -> np.ndarray:
    """Zero-phase Butterworth band-pass along time (axis 0); ``band`` in Hz, ``dt`` in ms."""
    low, high = check_band(band, dt)
    sos = signal.butter(order, [low, high], btype="bandpass", fs=1000.0 / dt, output="sos")
    padlen = 3 * (2 * len(sos) + 1)
    if data.shape[0] <= padlen:
        raise ValueError(
            f"Invalid shape for the 'data' parameter. Band-pass filtering needs more than {padlen} "
            f"samples, but got {data.shape[0]}."
        )
    return signal.sosfiltfilt(sos, data, axis=0, padlen=padlen)


def analytic_signal(
    data: np.ndarray, dt: float, band: tuple[float, float] | None, name: str = "band"
) -> np.ndarray:
    """Analytic signal (Hilbert transform) of ``data`` after an optional band-pass in Hz."""
    data = data - data.mean(axis=0)
    if band is not None:
        check_band(band, dt, name)
        data = bandpass(data, dt, band)
    return signal.hilbert(data, axis=0)


def discard_edges(n_time: int, dt: float, edge_ms: float) -> slice:
    """Slice that drops ``edge_ms`` at both ends of a series, raising if nothing is left."""
    if not (np.isfinite(edge_ms) and edge_ms >= 0):
        raise ValueError(
            "Invalid value for the 'edge_ms' parameter. Allowed values are >= 0 ms, "
            f"but got {edge_ms!r} instead."
        )
    n_edge = int(round(edge_ms / dt))
    if 2 * n_edge >= n_time:
        raise ValueError(
            f"Invalid value for the 'edge_ms' parameter: dropping {edge_ms:g} ms at both ends of "
            f"a {n_time * dt:g} ms series leaves no samples."
        )
    return slice(n_edge, n_time - n_edge)
