"""Measures of simulated activity: spectra, FC and FCD, synchrony, phase-amplitude coupling,
propagation onsets and virtual lesions.

Where a signal measure is undefined (a constant signal has no correlation, phase or coupling)
it is NaN there and the call emits one `UndefinedMeasureWarning`; bad input raises
``ValueError`` (the rule is spelled out in ``_signal_checks``). The dynamics (Jacobians, fixed
points, continuation, limit cycles, the Master Stability Function, Lyapunov exponents) are in
:mod:`tvb_ngnmm.stability`.
"""

from ._signal_checks import (
    CONSTANT_REASON,
    UndefinedMeasureWarning,
    check_positive,
    constant_signals,
    warn_undefined,
)
from .fcd import functional_connectivity_dynamics, plot_fcd, sliding_window_fc
from .lesion import (
    LesionRanking,
    lesion_weights,
    linear_stochastic_fc,
    simulator_function,
    virtual_lesion_ranking,
)
from .measures import (
    functional_connectivity,
    mean_functional_connectivity,
    mean_off_diagonal,
    peak_frequency,
    power_spectrum,
)
from .pac import mean_vector_length, modulation_index, phase_amplitude_distribution
from .propagation import PropagationResult, plot_propagation, propagation_onsets
from .synchrony import instantaneous_phase, kuramoto_order_parameter

__all__ = [
    "CONSTANT_REASON",
    "LesionRanking",
    "PropagationResult",
    "check_positive",
    "constant_signals",
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
    "warn_undefined",
]
