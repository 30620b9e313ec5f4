"""The exactness reference: the spiking QIF network the mean-field models describe.

:func:`simulate_qif_network` simulates the microscopic network of quadratic integrate-and-fire
neurons for a ``NextGenEI`` or ``MPRSynaptic`` parameter set; :func:`simulate_mean_field`
integrates the same node with the model's own equations, for comparison; :func:`plot_raster`
and :func:`plot_population_rate` show them.
"""

from ._populations import StepCurrent, network_parameters
from .mean_field import simulate_mean_field
from .plot import plot_population_rate, plot_raster
from .qif_network import (
    PopulationActivity,
    QIFNetworkResult,
    lorentzian_quantiles,
    simulate_qif_network,
)

__all__ = [
    "PopulationActivity",
    "QIFNetworkResult",
    "StepCurrent",
    "lorentzian_quantiles",
    "network_parameters",
    "plot_population_rate",
    "plot_raster",
    "simulate_mean_field",
    "simulate_qif_network",
]
