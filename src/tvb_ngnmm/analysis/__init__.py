"""Analysis of simulated activity: spectra, FC and FCD, synchrony, phase-amplitude coupling.

And of the dynamics: Jacobians, fixed points, continuation, limit cycles and Floquet
multipliers, the Master Stability Function, Lyapunov exponents.

Where a signal measure is undefined (a constant signal has no correlation, phase or coupling)
it is NaN there and the call emits one `UndefinedMeasureWarning`; bad input raises
``ValueError`` (the rule is spelled out in ``_signal_checks``).
"""

from ._signal_checks import UndefinedMeasureWarning
from .continuation import Bifurcation, Branch, continue_fixed_points
from .fcd import functional_connectivity_dynamics, plot_fcd, sliding_window_fc
from .fixed_points import FixedPoints, NoFixedPointError, find_fixed_points
from .jacobian import VectorField, coupling_jacobian, jacobian
from .lesion import (
    LesionRanking,
    lesion_weights,
    linear_stochastic_fc,
    simulator_function,
    virtual_lesion_ranking,
)
from .limit_cycles import LimitCycle, OrbitNotClosedError, find_limit_cycle
from .lyapunov import LyapunovSpectrum, lyapunov_exponents, network_vector_field
from .measures import (
    functional_connectivity,
    mean_functional_connectivity,
    mean_off_diagonal,
    peak_frequency,
    power_spectrum,
)
from .msf import (
    CouplingModes,
    NonDiagonalisableError,
    TransverseSpectrum,
    coupling_modes,
    msf_map,
    transverse_floquet,
    transverse_modes,
)
from .pac import mean_vector_length, modulation_index, phase_amplitude_distribution
from .plot import plot_bifurcation_diagram, plot_dispersion, plot_msf_map
from .propagation import PropagationResult, plot_propagation, propagation_onsets
from .synchrony import instantaneous_phase, kuramoto_order_parameter

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
    "LesionRanking",
    "PropagationResult",
    "functional_connectivity",
    "functional_connectivity_dynamics",
    "instantaneous_phase",
    "kuramoto_order_parameter",
    "lesion_weights",
    "linear_stochastic_fc",
    "mean_functional_connectivity",
    "mean_off_diagonal",
    "mean_vector_length",
    "modulation_index",
    "peak_frequency",
    "phase_amplitude_distribution",
    "plot_fcd",
    "plot_propagation",
    "power_spectrum",
    "propagation_onsets",
    "simulator_function",
    "sliding_window_fc",
    "UndefinedMeasureWarning",
    "virtual_lesion_ranking",
]
