"""The plugin's neural mass models, as TVB ``Model`` subclasses."""

from ._base import AbstractNextGenModel, Interval
from .ei import NextGenEI, next_gen_ei_equations
from .mpr_synaptic import MPRSynaptic, mpr_synaptic_equations

__all__ = [
    "AbstractNextGenModel",
    "Interval",
    "MPRSynaptic",
    "NextGenEI",
    "mpr_synaptic_equations",
    "next_gen_ei_equations",
]
