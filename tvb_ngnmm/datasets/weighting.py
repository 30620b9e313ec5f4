"""Named weighting steps for structural matrices (√, log, eigenvalue or row scaling, ...).

A dataset's weighting is a tuple of step names applied in order to each subject's weights and to
the group's mean (:func:`apply_weighting`), so that the choice is an option, not code.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from .._util import check_choice, format_choices
from ..connectomes import normalize, remove_self_connections, symmetrize
from .readers import bad, check_symmetric

#: The named weighting steps, applied in the order given (the scaling ones to the weights only).
WEIGHTING_STEPS = ("symmetrize", "zero_diagonal", "log1p", "sqrt", "unit_eigenvalue", "row", "max")
DEFAULT_WEIGHTING = ("symmetrize", "zero_diagonal")
#: The steps that also apply to the tract lengths and make a subject's ``structure``.
STRUCTURAL_STEPS = ("symmetrize", "zero_diagonal")


def check_weighting(weighting: object) -> tuple[str, ...]:
    if isinstance(weighting, str) or not isinstance(weighting, Sequence):
        raise ValueError(
            "Invalid value for the 'weighting' parameter. Allowed values are a tuple of steps "
            f"among {format_choices(WEIGHTING_STEPS)}, but got {weighting!r} instead."
        )
    return tuple(check_choice("weighting", step, WEIGHTING_STEPS) for step in weighting)


def _unit_eigenvalue(weights: np.ndarray, path: Path) -> np.ndarray:
    check_symmetric(weights, "weights", path)
    top = np.linalg.eigvalsh(weights).max()
    if not top > 0:
        raise bad("weights", path, "a matrix with a positive eigenvalue", f"largest {top!r}")
    return weights / top


def apply_weighting(weights: np.ndarray, steps: Sequence[str], path: object = None) -> np.ndarray:
    """Apply named weighting steps to a structural matrix, in order.

    Parameters
    ----------
    weights : ndarray, shape (n_region, n_region)
        Finite, non-negative weights (any unit).
    steps : sequence of str
        Among :data:`WEIGHTING_STEPS`: ``'symmetrize'`` (``(W + Wᵀ) / 2``), ``'zero_diagonal'``,
        ``'log1p'`` (``log(1 + W)``), ``'sqrt'`` (``√W``), ``'unit_eigenvalue'`` (``W`` over its
        largest eigenvalue; ``W`` must be symmetric by then), ``'row'`` (each row sums to 1),
        ``'max'`` (``W / max W``).
    path : path-like, optional
        The file the weights come from, named in errors.

    Returns
    -------
    ndarray
        The weighted matrix (a new array).
    """
    steps = check_weighting(steps)
    operations = {
        "symmetrize": symmetrize,
        "zero_diagonal": remove_self_connections,
        "log1p": np.log1p,
        "sqrt": np.sqrt,
        "unit_eigenvalue": lambda w: _unit_eigenvalue(w, path),
        "row": lambda w: normalize(w, "row"),
        "max": lambda w: normalize(w, "max"),
    }
    weights = np.array(weights, dtype=float)
    for step in steps:
        weights = np.asarray(operations[step](weights), dtype=float)
    return weights
