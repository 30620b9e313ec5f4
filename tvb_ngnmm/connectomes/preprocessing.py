"""Small preprocessing steps for connectomes; each takes an array or a TVB ``Connectivity``.

Given an array, each function returns a new array; given a ``Connectivity``, it returns a new
configured ``Connectivity`` (the input is left untouched) whose weights (or delays) changed.
Weights follow TVB's convention ``W[to, from]``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import numpy as np
from tvb.datatypes.connectivity import Connectivity

from .._util import check_choice
from ..coupling import (
    ADDITIVE_NORMALIZATIONS,
    check_weights,
    normalize_weights,
)

NORMALIZATIONS = (*ADDITIVE_NORMALIZATIONS, "log")
SYMMETRIZATIONS = ("mean", "max", "min")
Weights = TypeVar("Weights", np.ndarray, Connectivity)


def copy_connectivity(connectivity: Connectivity, **changes: np.ndarray) -> Connectivity:
    """A configured copy of ``connectivity`` with some arrays replaced (e.g. ``weights=...``)."""
    fields = ("region_labels", "tract_lengths", "centres", "cortical", "hemispheres")
    fields += ("orientations", "areas", "speed")
    kwargs = {}
    for name in fields:
        value = getattr(connectivity, name)
        if value is not None:
            kwargs[name] = np.array(value, copy=True)
    kwargs["weights"] = np.array(connectivity.weights, dtype=float)
    kwargs.update(changes)
    copy = Connectivity(**kwargs)
    for extra in ("coordinate_frame", "title"):
        if hasattr(connectivity, extra):
            setattr(copy, extra, getattr(connectivity, extra))
    copy.configure()
    return copy


def _apply(weights: Weights, transform: Callable[[np.ndarray], np.ndarray]) -> Weights:
    if isinstance(weights, Connectivity):
        return copy_connectivity(weights, weights=transform(np.asarray(weights.weights)))
    return transform(weights)


def normalize(weights: Weights, how: str = "row") -> Weights:
    r"""Normalise connectivity weights.

    Parameters
    ----------
    weights : array_like or Connectivity
        ``W[to, from]``, finite, non-negative.
    how : {'row', 'column', 'max', 'total', 'log', 'none'}
        ``'row'``: each row sums to 1 (each region's total input); ``'column'``: each column sums
        to 1; ``'max'``: :math:`W / \max W`; ``'total'``: :math:`W / \sum W`;
        ``'log'``: :math:`\log(1 + W) / \log(1 + \max W)`, which compresses weights spanning orders
        of magnitude into [0, 1], keeping zeros and the order of the weights.
        Rows, columns or matrices that sum to zero stay zero. ``'row'`` to ``'total'`` use
        :func:`tvb_ngnmm.coupling.normalize_weights`.

    Returns
    -------
    numpy.ndarray or Connectivity
        Same kind as ``weights``.
    """
    check_choice("how", how, NORMALIZATIONS)
    if how != "log":
        return _apply(weights, lambda w: normalize_weights(w, how))

    def log_scale(w: np.ndarray) -> np.ndarray:
        w = check_weights(w)
        top = np.log1p(w.max()) if w.size else 0.0
        return np.log1p(w) / top if top > 0 else np.zeros_like(w)

    return _apply(weights, log_scale)


def symmetrize(weights: Weights, how: str = "mean") -> Weights:
    """Make ``W`` symmetric: ``(W + Wᵀ)/2`` (``'mean'``), ``max(W, Wᵀ)`` or ``min(W, Wᵀ)``.

    Parameters
    ----------
    weights : array_like or Connectivity
        The weights ``W[to, from]``, or a connectivity (a changed copy is returned).
    how : {'mean', 'max', 'min'}
        How the two directions are combined.
    """
    check_choice("how", how, SYMMETRIZATIONS)
    combine = {"mean": lambda a, b: a / 2 + b / 2, "max": np.maximum, "min": np.minimum}[how]
    return _apply(weights, lambda w: combine(check_weights(w), check_weights(w).T))


def threshold(
    weights: Weights, value: float | None = None, density: float | None = None
) -> Weights:
    """Set weak weights to zero: those below ``value``, or all but the strongest ``density``.

    Parameters
    ----------
    weights : array_like or Connectivity
    value : float, optional
        Weights ``< value`` become 0.
    density : float in (0, 1], optional
        Keep the strongest ``density × n(n − 1)`` off-diagonal weights (ties at the cut are
        kept); the diagonal is left as it is. Give ``value`` or ``density``, not both.
    """
    if (value is None) == (density is None):
        raise ValueError(
            "Invalid value for the 'value' and 'density' parameters. Allowed is exactly one of "
            f"them, but got value={value!r} and density={density!r} instead."
        )
    if density is not None and not 0 < density <= 1:
        raise ValueError(
            "Invalid value for the 'density' parameter. Allowed values are in (0, 1], but got "
            f"{density!r} instead."
        )

    def cut(w: np.ndarray) -> np.ndarray:
        w = check_weights(w)
        if value is not None:
            return np.where(w < value, 0.0, w)
        off = ~np.eye(len(w), dtype=bool)
        keep = int(np.ceil(density * off.sum()))
        if keep == 0:
            return w
        cutoff = np.sort(w[off])[::-1][keep - 1]
        return np.where(off & (w < cutoff), 0.0, w)

    return _apply(weights, cut)


def remove_self_connections(weights: Weights) -> Weights:
    """Zero the diagonal (self-connections ``W[i, i]``).

    Parameters
    ----------
    weights : array_like or Connectivity
        The weights ``W[to, from]``, or a connectivity (a changed copy is returned).
    """

    def zero_diagonal(w: np.ndarray) -> np.ndarray:
        w = check_weights(w, non_negative=False)
        np.fill_diagonal(w, 0.0)
        return w

    return _apply(weights, zero_diagonal)


def lengths_to_delays(tract_lengths: np.ndarray | Connectivity, conduction_speed: float) -> object:
    """Conduction delays ``d_ij = L_ij / v`` in ms from tract lengths in mm and a speed in mm/ms.

    Given a ``Connectivity``, returns a configured copy whose ``speed`` is ``conduction_speed``
    (TVB then computes ``delays``); given an array, returns the delays.

    Parameters
    ----------
    tract_lengths : numpy.ndarray or Connectivity
        Tract lengths (mm), or a connectivity.
    conduction_speed : float
        Conduction speed (mm/ms).
    """
    speed = float(conduction_speed)
    if not (np.isfinite(speed) and speed > 0):
        raise ValueError(
            "Invalid value for the 'conduction_speed' parameter. Allowed values are > 0 mm/ms "
            f"(finite), but got {conduction_speed!r} instead."
        )
    if isinstance(tract_lengths, Connectivity):
        return copy_connectivity(tract_lengths, speed=np.array([speed]))
    return check_weights(tract_lengths, name="tract_lengths") / speed
