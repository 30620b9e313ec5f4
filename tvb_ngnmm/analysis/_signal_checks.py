"""Input checks shared by the measures on simulated time series (time in ms, frequencies in Hz).

The rule every signal measure follows where its quantity is undefined
-------------------------------------------------------------------------
A measure never returns a confident number for a quantity that does not exist.

- **Non-finite input** (NaN or inf) raises a ``ValueError`` naming the parameter.
- **Too few samples** for the quantity (fewer than 2 for a spectrum, a correlation or a phase;
  too few for the band-pass filter or the sliding window) raises a ``ValueError`` saying what
  is needed and what was given. So do too few regions (2 for a mean FC or a Kuramoto order
  parameter, 3 for an FCD).
- **A numerically constant signal** has no correlation, phase or coupling. A signal ``x`` is
  numerically constant when ``std(x) <= CONSTANT_RTOL * max|x|`` with
  ``CONSTANT_RTOL = 100 * eps = 2.2e-14`` (``eps`` the float64 machine epsilon): its
  fluctuations are at the level of rounding errors, e.g. a region sitting at a fixed point. An
  all-zero signal is constant. A genuine ripple well above rounding (a sine of amplitude 1e-9
  around 0.1 has ``std / max|x| = 7e-9``) is measured. The check is made on the raw input,
  before any filter: a band-pass of a constant leaves rounding noise with a phase of its own.
  Where a band-pass comes first (phases, Kuramoto order, phase-amplitude coupling), a band
  whose filtered signal has ``std <= CONSTANT_RTOL * max|x|`` (of the unfiltered ``x``, over
  the samples kept after dropping edges) holds only rounding errors and counts the same way.
  The entries that depend on such a signal are NaN and the call emits **one**
  `UndefinedMeasureWarning` naming the regions (their column indices) and the reason.
  Aggregates over regions (mean FC, Kuramoto order) use the defined regions and are NaN when
  fewer than 2 remain. The power spectrum of a constant signal is defined: exactly zero; its
  peak frequency is NaN (a flat spectrum has no peak).
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy import signal

from .._util import UndefinedMeasureWarning  # defined there: the sweep's workers need no scipy

CONSTANT_RTOL = 100 * np.finfo(float).eps
"""Relative tolerance below which a signal counts as numerically constant (about 2.2e-14)."""


def warn_undefined(message: str, regions=(), stacklevel: int = 3) -> None:
    """Emit one `UndefinedMeasureWarning` (by default pointing at the measure's caller).

    Parameters
    ----------
    message : str
        The warning's message.
    regions : array_like of int or bool
        Indices of the regions concerned, or a mask of them.
    stacklevel : int
        As for :func:`warnings.warn`.
    """
    regions = np.atleast_1d(np.asarray(regions))
    if regions.dtype == bool:  # a mask of regions, 0-d for a 1-D signal
        regions = np.flatnonzero(regions)
    warnings.warn(UndefinedMeasureWarning(message, tuple(regions)), stacklevel=stacklevel)


def describe_regions(mask: np.ndarray, name: str = "data") -> str:
    """Subject of a warning: "the signal 'data' is", "region 3 of 'data' is", "regions [0, 2] ...".

    Long lists of regions are cut after ten.
    """
    if mask.ndim == 0:
        return f"the signal {name!r} is"
    indices = np.flatnonzero(mask).tolist()
    if len(indices) == 1:
        return f"region {indices[0]} of {name!r} is"
    shown = ", ".join(str(k) for k in indices[:10])
    more = f", ... ({len(indices)} in all)" if len(indices) > 10 else ""
    return f"regions [{shown}{more}] of {name!r} are"


CONSTANT_REASON = f"numerically constant (std <= {CONSTANT_RTOL:.2g} x max |value|)"


def constant_signals(data: np.ndarray) -> np.ndarray:
    """Mask of numerically constant signals along time (axis 0); 0-d for a 1-D ``data``.

    ``std(x) <= CONSTANT_RTOL * max|x|``, computed on ``x / max|x|`` so that large values do
    not overflow, and after `centre` so that rounding in the mean of a long series does not
    pass for a fluctuation; an all-zero signal is constant.

    Parameters
    ----------
    data : numpy.ndarray
        Signals ``(n_time,)`` or ``(n_time, n_region)``.
    """
    scale = np.abs(data).max(axis=0)
    spread = np.std(centre(data / np.where(scale > 0, scale, 1.0)), axis=0)
    return np.asarray(spread <= CONSTANT_RTOL)


def centre(data: np.ndarray) -> np.ndarray:
    """``data`` minus its mean along time, accurate for nearly constant signals.

    The first sample is subtracted before the mean: NumPy's mean along axis 0 of a long
    constant series is off by about 1e-13 relative, which would otherwise pass for a
    fluctuation; the differences to the first sample are exact for nearly constant signals.
    """
    shifted = data - data[:1]
    return shifted - shifted.mean(axis=0)


def check_series(
    data: np.ndarray, name: str = "data", ndim: tuple[int, ...] = (1, 2), min_time: int = 2
) -> np.ndarray:
    """Return ``data`` as a finite float array of shape (n_time,) or (n_time, n_region).

    Raises if the shape is not allowed, if there are fewer than ``min_time`` samples or no
    region, or if any value is NaN or inf.
    """
    data = np.asarray(data, dtype=float)
    if data.ndim not in ndim:
        allowed = " or ".join(["(n_time,)", "(n_time, n_region)"][d - 1] for d in ndim)
        raise ValueError(
            f"Invalid shape for the {name!r} parameter. Allowed is {allowed}, but got {data.shape}."
        )
    if data.shape[0] < min_time or data.size == 0:
        raise ValueError(
            f"Invalid shape for the {name!r} parameter. Allowed are at least {min_time} samples "
            f"along time (axis 0) and at least one region, but got shape {data.shape}."
        )
    bad = ~np.isfinite(data)
    if bad.any():
        first = tuple(int(i) for i in np.argwhere(bad)[0])
        raise ValueError(
            f"Invalid value for the {name!r} parameter. Allowed are finite values, but got "
            f"{int(bad.sum())} NaN or inf values (the first at index {first}) instead."
        )
    return data


def check_positive(value: float, name: str, unit: str = "ms") -> float:
    """Return ``value`` as a float, or raise if it is not finite and > 0.

    Parameters
    ----------
    value : float
        The value to check.
    name : str
        The parameter the error names.
    unit : str
        The unit the error states.
    """
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
    data: np.ndarray,
    dt: float,
    band: tuple[float, float] | None,
    name: str = "band",
    keep: slice = slice(None),
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Analytic signal (Hilbert transform) of ``data`` after an optional band-pass in Hz.

    ``keep`` selects the samples that will be used (edges dropped): the band's content is
    judged on them, since the filter's edge transients carry no phase.

    Returns
    -------
    analytic : ndarray, same shape as ``data``
        The analytic signal of the mean-removed (and band-passed) data.
    constant : ndarray of bool, shape ``data.shape[1:]``
        Signals that are numerically constant (`constant_signals`).
    empty_band : ndarray of bool, shape ``data.shape[1:]``
        Other signals whose band-passed copy (over ``keep``) is at the level of rounding errors
        (``std <= CONSTANT_RTOL * max|x|``); always False without a band.
    """
    if band is not None:
        check_band(band, dt, name)
    constant = constant_signals(data)
    filtered = centre(data)
    empty_band = np.zeros_like(constant)
    if band is not None:
        filtered = bandpass(filtered, dt, band)
        scale = np.abs(data).max(axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            spread = np.std(filtered[keep] / np.where(scale > 0, scale, 1.0), axis=0)
        empty_band = ~constant & ~(spread > CONSTANT_RTOL)
    return signal.hilbert(filtered, axis=0), constant, np.asarray(empty_band)


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
