"""Checks and normalisations of connectivity weights ``W[to, from]`` shared by the couplings."""

from __future__ import annotations

import numpy as np

from .._util import check_choice

ADDITIVE_NORMALIZATIONS = ("none", "row", "column", "max", "total")


def _list_entries(mask: np.ndarray, limit: int = 5) -> str:
    """The first ``limit`` ``(to, from)`` positions where ``mask`` is true, as text."""
    positions = [tuple(int(i) for i in p) for p in np.argwhere(mask)[:limit]]
    more = int(mask.sum()) - len(positions)
    return str(positions) + (f" and {more} more" if more > 0 else "")


def check_weights(weights: object, non_negative: bool = True, name: str = "weights") -> np.ndarray:
    """Validate a connectivity matrix and return it as a float64 array.

    Parameters
    ----------
    weights : array_like, shape (n_node, n_node)
        Weights ``W[to, from]`` (dimensionless).
    non_negative : bool
        Whether negative weights are an error.
    name : str
        Name of the parameter in error messages.

    Returns
    -------
    numpy.ndarray
        The weights as a new float64 array.

    Raises
    ------
    ValueError
        If ``weights`` is not a square 2-D array, has non-finite entries, or (when
        ``non_negative``) negative entries.
    """
    try:
        array = np.array(weights, dtype=float)
    except (TypeError, ValueError) as err:
        raise ValueError(
            f"Invalid value for the {name!r} parameter. Allowed values are a square 2-D array of "
            f"real numbers, but got {type(weights).__name__} that is not numeric instead."
        ) from err
    if array.ndim != 2 or array.shape[0] != array.shape[1]:
        raise ValueError(
            f"Invalid shape for the {name!r} parameter. Allowed is a square 2-D array "
            f"(n_node, n_node), but got shape {array.shape} instead."
        )
    if not np.all(np.isfinite(array)):
        raise ValueError(
            f"Invalid value for the {name!r} parameter. Allowed values are finite numbers, but "
            f"got non-finite weights at (to, from) = {_list_entries(~np.isfinite(array))} instead."
        )
    if non_negative and np.any(array < 0):
        raise ValueError(
            f"Invalid value for the {name!r} parameter. Allowed values are >= 0, but got "
            f"negative weights at (to, from) = {_list_entries(array < 0)} instead."
        )
    return array


def _safe_divide(weights: np.ndarray, totals: np.ndarray) -> np.ndarray:
    """``weights / totals`` where ``totals > 0``; zero where the total is zero.

    Divides each weight rather than multiplying by ``1 / totals``: the reciprocal of a subnormal
    total overflows to inf.
    """
    out = np.zeros(np.broadcast_shapes(weights.shape, totals.shape))
    np.divide(weights, totals, out=out, where=np.broadcast_to(totals > 0, out.shape))
    return out


def normalize_weights(weights: object, normalize: str = "none") -> np.ndarray:
    r"""Normalise connectivity weights for additive coupling.

    Parameters
    ----------
    weights : array_like, shape (n_node, n_node)
        Weights ``W[to, from]`` (dimensionless), finite; non-negative unless ``normalize='none'``.
    normalize : {'none', 'row', 'column', 'max', 'total'}
        ``'none'``: :math:`\hat W = W`.
        ``'row'``: :math:`\hat W_{ij} = W_{ij} / \sum_k W_{ik}` (each region's total input is 1).
        ``'column'``: :math:`\hat W_{ij} = W_{ij} / \sum_k W_{kj}` (each region's total output
        is 1).
        ``'max'``: :math:`\hat W = W / \max W`.
        ``'total'``: :math:`\hat W = W / \sum_{kl} W_{kl}`.
        A row, column or matrix whose sum (or maximum) is zero has nothing to rescale and is
        returned as zeros.

    Returns
    -------
    numpy.ndarray, shape (n_node, n_node)
        The normalised weights, float64 (a new array).

    Raises
    ------
    ValueError
        For an unknown ``normalize``, a non-square or non-finite ``weights``, or negative
        weights with a normalisation other than ``'none'``.
    """
    check_choice("normalize", normalize, ADDITIVE_NORMALIZATIONS)
    w = check_weights(weights, non_negative=normalize != "none")
    if normalize == "row":
        return _safe_divide(w, w.sum(axis=1, keepdims=True))
    if normalize == "column":
        return _safe_divide(w, w.sum(axis=0, keepdims=True))
    if normalize == "max":
        return _safe_divide(w, np.array(w.max() if w.size else 0.0))
    if normalize == "total":
        return _safe_divide(w, np.array(w.sum()))
    return w
