"""Couplings for TVB: diffusive (Laplacian), additive with normalised weights, and one coupling
per coupling variable; plus the graph Laplacian for analysis.

All couplings are TVB ``SparseCoupling`` subclasses that run in the stock
``tvb.simulator.simulator.Simulator``, with delays and per-region gains.
"""

from ._base import AbstractLinearCoupling, ChoiceAttr
from ._normalize import ADDITIVE_NORMALIZATIONS, check_weights, normalize_weights
from .additive import Additive
from .laplacian import Laplacian, laplacian
from .multi import MultiCoupling

__all__ = [
    "ADDITIVE_NORMALIZATIONS",
    "AbstractLinearCoupling",
    "Additive",
    "ChoiceAttr",
    "Laplacian",
    "MultiCoupling",
    "check_weights",
    "laplacian",
    "normalize_weights",
]
