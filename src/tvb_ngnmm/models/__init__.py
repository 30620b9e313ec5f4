"""The plugin's neural mass models, as TVB ``Model`` subclasses."""

from ._base import AbstractNextGenModel, Interval
from .ei import NextGenEI, next_gen_ei_equations
from .mpr_synaptic import MPRSynaptic, mpr_synaptic_equations
from .presets import PRESETS, Preset, get_preset, make_model, preset_names

__all__ = [
    "AbstractNextGenModel",
    "Interval",
    "MPRSynaptic",
    "NextGenEI",
    "PRESETS",
    "Preset",
    "get_preset",
    "make_model",
    "mpr_synaptic_equations",
    "next_gen_ei_equations",
    "preset_names",
]
