"""Analysis of simulated activity: spectra and functional connectivity."""

from .measures import functional_connectivity, peak_frequency, power_spectrum

__all__ = ["functional_connectivity", "peak_frequency", "power_spectrum"]
