"""One subject's recordings and the objects built from them, for any dataset.

A :class:`Subject` names the files of one subject: a structural connectome (streamline counts and
tract lengths) and a resting-state BOLD series. The functions below turn such arrays into TVB and
xarray objects; a dataset module (:mod:`.gw`) says where its files are and what they do not record.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from tvb.datatypes.connectivity import Connectivity

from .._util import check_values
from ..connectomes import check_matrix, make_connectivity, read_array, symmetrize


@dataclass(frozen=True)
class Subject:
    """The files of one subject: streamline counts, tract lengths and a BOLD series.

    Parameters
    ----------
    name : str
        The subject's name in its dataset.
    streamline_counts_file, tract_lengths_file : path-like
        Square matrices ``C[i, j]``, ``L[i, j]`` (tract lengths in mm), in any format
        :func:`tvb_ngnmm.connectomes.read_array` reads.
    bold_file : path-like
        BOLD series, one row per region (``region × time``).
    streamline_counts_key, tract_lengths_key, bold_key : str, optional
        The variable holding each array in files that hold several.
    """

    name: str
    streamline_counts_file: os.PathLike
    tract_lengths_file: os.PathLike
    bold_file: os.PathLike
    streamline_counts_key: str | None = None
    tract_lengths_key: str | None = None
    bold_key: str | None = None

    def streamline_counts(self) -> np.ndarray:
        """The streamline counts as stored (not symmetrised), float64, ``(n_region, n_region)``."""
        path = self.streamline_counts_file
        return check_matrix(read_array(path, self.streamline_counts_key), "weights", path)

    def tract_lengths(self) -> np.ndarray:
        """The tract lengths as stored (mm; not symmetrised), ``(n_region, n_region)``."""
        path = self.tract_lengths_file
        return check_matrix(read_array(path, self.tract_lengths_key), "tract_lengths", path)

    def bold_series(self) -> np.ndarray:
        """The BOLD series as stored: float64, ``(n_region, n_time)``."""
        series = np.asarray(read_array(self.bold_file, self.bold_key), dtype=float)
        check_values(series, f"the BOLD series of subject {self.name!r}")
        return series


def symmetric_structure(counts: np.ndarray, lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Counts and tract lengths averaged over the two directions, with a zero diagonal.

    Parameters
    ----------
    counts, lengths : numpy.ndarray
        Square streamline counts and tract lengths (mm).

    Returns
    -------
    counts, lengths : numpy.ndarray
        Both symmetric, with zeros on the diagonal.
    """
    counts, lengths = symmetrize(counts), symmetrize(lengths)
    np.fill_diagonal(counts, 0.0)
    np.fill_diagonal(lengths, 0.0)
    return counts, lengths


def structure_connectivity(
    weights: np.ndarray,
    lengths: np.ndarray,
    labels: Sequence[str],
    conduction_speed: float,
    title: str,
) -> Connectivity:
    """A configured ``Connectivity`` titled ``title``; centres zeros (not recorded).

    Parameters
    ----------
    weights, lengths : numpy.ndarray
        Square weights and tract lengths (mm).
    labels : sequence of str
        One label per region.
    conduction_speed : float
        mm/ms.
    title : str
        The connectivity's title.

    Returns
    -------
    tvb.datatypes.connectivity.Connectivity
        Configured.
    """
    conn = make_connectivity(
        weights, lengths, region_labels=labels, conduction_speed=conduction_speed
    )
    conn.title = title
    return conn


def unit_eigenvalue_weights(counts: np.ndarray) -> np.ndarray:
    """√ of symmetrised counts, zero diagonal, divided by the largest eigenvalue (then 1).

    Parameters
    ----------
    counts : numpy.ndarray
        Square streamline counts.

    Returns
    -------
    numpy.ndarray
        The weights, whose largest eigenvalue is 1.
    """
    weights = np.sqrt(symmetrize(counts))
    np.fill_diagonal(weights, 0.0)
    return weights / np.linalg.eigvalsh(weights).max()


def check_repetition_time(repetition_time: object) -> float:
    """``repetition_time`` as a float in ms, or a ``ValueError`` naming the parameter."""
    what = "the 'repetition_time' parameter"
    allowed = "None (not recorded) or a number of ms > 0 (finite)"
    if isinstance(repetition_time, bool) or not isinstance(
        repetition_time, int | float | np.integer | np.floating
    ):
        raise ValueError(
            f"Invalid value for {what}. Allowed values are {allowed}, but got "
            f"{repetition_time!r} instead."
        )
    check_values(repetition_time, what, allowed, ok=lambda value: value > 0)
    return float(repetition_time)


def bold_array(
    series: np.ndarray,
    labels: Sequence[str],
    repetition_time: float | None,
    attrs: dict,
):
    """A BOLD series ``(region, time)`` as an ``xarray.DataArray`` with dims ``(time, region)``.

    With ``repetition_time`` (ms), the ``time`` coordinate is in ms from the first volume;
    without, ``time`` is the volume index and ``attrs['repetition_time_ms']`` is NaN.

    Parameters
    ----------
    series : numpy.ndarray
        ``(region, time)``.
    labels : sequence of str
        One label per region.
    repetition_time : float or None
        ms between volumes, or None when not recorded.
    attrs : dict
        The array's attributes (``repetition_time_ms`` is added).

    Returns
    -------
    xarray.DataArray
        Dims ``(time, region)``.
    """
    # deferred: xarray imports pandas (0.5 s); only the labelled outputs need it
    import xarray as xr  # noqa: PLC0415

    n_time = series.shape[1]
    if repetition_time is None:
        time = ("time", np.arange(n_time), {"long_name": "volume index (repetition time unknown)"})
        tr = np.nan
    else:
        tr = check_repetition_time(repetition_time)
        time = ("time", np.arange(n_time) * tr, {"units": "ms", "long_name": "volume onset"})
    return xr.DataArray(
        series.T,
        dims=("time", "region"),
        coords={"time": time, "region": ("region", list(labels))},
        attrs={**attrs, "repetition_time_ms": tr},
    )


def fisher_z_mean(fcs: Sequence[np.ndarray]) -> np.ndarray:
    """``tanh`` of the mean ``arctanh`` of correlation matrices, off the diagonal; diagonal 1.

    Parameters
    ----------
    fcs : sequence of numpy.ndarray
        Correlation matrices of the same shape.

    Returns
    -------
    numpy.ndarray
        Their Fisher-z mean.
    """
    stack = np.array(fcs, dtype=float)
    off = ~np.eye(stack.shape[-1], dtype=bool)
    mean = np.ones(stack.shape[1:])
    mean[off] = np.tanh(np.mean(np.arctanh(stack[:, off]), axis=0))
    return mean
