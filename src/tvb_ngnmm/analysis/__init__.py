"""Analysis of simulated activity: spectra, FC and FCD, synchrony, phase-amplitude coupling."""

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
    "virtual_lesion_ranking",
]
