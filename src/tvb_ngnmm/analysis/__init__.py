"""Analysis of simulated activity: spectra, FC and FCD, synchrony, phase-amplitude coupling."""

from .fcd import functional_connectivity_dynamics, plot_fcd, sliding_window_fc
from .measures import functional_connectivity, peak_frequency, power_spectrum
from .pac import mean_vector_length, modulation_index, phase_amplitude_distribution
from .synchrony import instantaneous_phase, kuramoto_order_parameter

__all__ = [
    "functional_connectivity",
    "functional_connectivity_dynamics",
    "instantaneous_phase",
    "kuramoto_order_parameter",
    "mean_vector_length",
    "modulation_index",
    "peak_frequency",
    "phase_amplitude_distribution",
    "plot_fcd",
    "power_spectrum",
    "sliding_window_fc",
]
