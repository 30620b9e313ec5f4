"""The plugin's neural mass models, as TVB ``Model`` subclasses, and the model registry."""

from ._base import AbstractNextGenModel, Interval
from ._domains import tvb_domain, warn_outside_tvb_domain
from ._registry import (
    ModelDeclaration,
    PopulationLayout,
    declaration_of,
    default_signal,
    register_model,
    registered_models,
    unregister_model,
)
from .ei import NextGenEI, next_gen_ei_equations
from .mixed import MixedModel
from .mpr_synaptic import MPRSynaptic, mpr_synaptic_equations
from .presets import PRESETS, Preset, get_preset, make_model, preset_names
from .tvb_models import montbrio_pazo_roxin_equations

__all__ = [
    "AbstractNextGenModel",
    "Interval",
    "MPRSynaptic",
    "MixedModel",
    "ModelDeclaration",
    "NextGenEI",
    "PRESETS",
    "PopulationLayout",
    "Preset",
    "declaration_of",
    "default_signal",
    "get_preset",
    "make_model",
    "montbrio_pazo_roxin_equations",
    "mpr_synaptic_equations",
    "next_gen_ei_equations",
    "preset_names",
    "register_model",
    "registered_models",
    "tvb_domain",
    "unregister_model",
    "warn_outside_tvb_domain",
]
