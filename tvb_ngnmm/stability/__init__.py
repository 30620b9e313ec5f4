"""Dynamics of NG-NMM networks: when and how the homogeneous (synchronous) state breaks.

Jacobians (:mod:`.jacobian`), fixed points (:mod:`.fixed_points`) and their continuation
(:mod:`.continuation`), limit cycles and Floquet multipliers (:mod:`.limit_cycles`), the Master
Stability Function over the connectome's eigenmodes (:mod:`.msf`), Lyapunov exponents
(:mod:`.lyapunov`), their plots (:mod:`.plot`), and the paper's analysis end to end
(``python -m tvb_ngnmm.stability.reproduce``). Time in ms, rates in kHz (Hz in tables and plots),
growth rates in 1/ms.
"""

from .continuation import Bifurcation, Branch, continue_fixed_points
from .fixed_points import FixedPoints, NoFixedPointError, find_fixed_points
from .jacobian import VectorField, coupling_jacobian, jacobian
from .limit_cycles import LimitCycle, OrbitNotClosedError, find_limit_cycle
from .lyapunov import LyapunovSpectrum, lyapunov_exponents, network_vector_field
from .msf import (
    CouplingModes,
    NonDiagonalisableError,
    TransverseSpectrum,
    coupling_modes,
    msf_map,
    transverse_floquet,
    transverse_modes,
)
from .plot import plot_bifurcation_diagram, plot_dispersion, plot_msf_map

__all__ = [
    "Bifurcation",
    "Branch",
    "continue_fixed_points",
    "FixedPoints",
    "NoFixedPointError",
    "find_fixed_points",
    "VectorField",
    "coupling_jacobian",
    "jacobian",
    "LimitCycle",
    "OrbitNotClosedError",
    "find_limit_cycle",
    "LyapunovSpectrum",
    "lyapunov_exponents",
    "network_vector_field",
    "CouplingModes",
    "NonDiagonalisableError",
    "TransverseSpectrum",
    "coupling_modes",
    "msf_map",
    "transverse_floquet",
    "transverse_modes",
    "plot_bifurcation_diagram",
    "plot_dispersion",
    "plot_msf_map",
]
