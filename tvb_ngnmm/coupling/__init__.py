"""Couplings for TVB: diffusive (Laplacian), additive with normalised weights, and one coupling
per coupling variable; plus the graph Laplacian for analysis, and the registry that declares
every coupling the engine runs (:mod:`.registry`; TVB's own in :mod:`.tvb_couplings`).

All couplings are TVB ``SparseCoupling`` subclasses that run in the stock
``tvb.simulator.simulator.Simulator``, with delays and per-region gains.
"""

from . import tvb_couplings  # noqa: F401  (declares TVB's couplings for the engine)
from ._base import AbstractLinearCoupling, ChoiceAttr
from ._normalize import ADDITIVE_NORMALIZATIONS, check_weights, normalize_weights
from .additive import Additive
from .laplacian import Laplacian, laplacian
from .multi import MultiCoupling
from .registry import (
    CouplingDeclaration,
    coupling_declaration,
    register_coupling,
    registered_couplings,
    unregister_coupling,
)

__all__ = [
    "ADDITIVE_NORMALIZATIONS",
    "AbstractLinearCoupling",
    "Additive",
    "ChoiceAttr",
    "CouplingDeclaration",
    "Laplacian",
    "MultiCoupling",
    "check_weights",
    "coupling_declaration",
    "laplacian",
    "normalize_weights",
    "register_coupling",
    "registered_couplings",
    "unregister_coupling",
]
