"""Named parameter sets (presets) for the dynamical regimes users ask for.

Each :class:`Preset` names a model class, a complete set of its parameter values, a description
of the regime with its reference and, for network use, a suggested strength of TVB's ``Linear``
coupling on a connectome whose rows sum to 1 (e.g. ``load_aal90(normalize='row')``).

Example
-------
>>> from tvb_ngnmm.models.presets import make_model, preset_names
>>> "ping_gamma" in preset_names()
True
>>> model = make_model("ping_gamma", I_e=12.0)  # a NextGenEI instance, one override

Rates are in spikes/ms (kHz); the frequencies quoted below are in Hz.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np

from ._base import AbstractNextGenModel
from .ei import NextGenEI
from .mpr_synaptic import MPRSynaptic

DELICADO2025 = "Delicado, Huguet & Clusella (2025), arXiv:2512.03907"
MPR2015 = "Montbrió, Pazó & Roxin (2015), Phys. Rev. X 5:021028"
DEVALLE2017 = "Devalle, Roxin & Montbrió (2017), PLoS Comput. Biol. 13:e1005881"
GERSTER2021 = "Gerster et al. (2021), Front. Syst. Neurosci. 15:675272"


@dataclass(frozen=True)
class Preset:
    """A named parameter set of one of the plugin's models.

    Parameters
    ----------
    name : str
        The preset's name, the key in :data:`PRESETS`.
    model : type
        The model class (:class:`NextGenEI` or :class:`MPRSynaptic`).
    parameters : Mapping[str, float]
        A value for every parameter of ``model`` (read-only once built).
    description : str
        The regime in one paragraph: what it shows and how it was checked.
    reference : str
        The source of the parameters or of the mechanism.
    coupling_strength : float or None
        Suggested ``a`` of TVB's ``Linear`` coupling on a row-normalised connectome; ``None`` for
        single-node regimes.
    stimulated_parameters : Mapping[str, float]
        Values that turn a node of this preset into a stimulated one (e.g. a seizure focus);
        empty when the preset has no such node.
    """

    name: str
    model: type[AbstractNextGenModel]
    parameters: Mapping[str, float]
    description: str
    reference: str
    coupling_strength: float | None = None
    stimulated_parameters: Mapping[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        allowed = tuple(self.model().parameter_names)
        for label, values in (
            ("parameters", self.parameters),
            ("stimulated_parameters", self.stimulated_parameters),
        ):
            unknown = sorted(set(values) - set(allowed))
            if unknown:
                raise ValueError(_bad_names_message(self, label, allowed, unknown[0]))
            object.__setattr__(self, label, MappingProxyType(dict(values)))
        missing = [p for p in allowed if p not in self.parameters]
        if missing:
            raise ValueError(
                f"Invalid value for the 'parameters' of preset {self.name!r}: every parameter of "
                f"{self.model.__name__} needs a value, but {', '.join(map(repr, missing))} "
                "have none."
            )

    def make_model(self, **overrides: float | np.ndarray) -> AbstractNextGenModel:
        """A new model instance with this preset's values, some of them overridden.

        Parameters
        ----------
        **overrides : float or array
            Parameter values replacing the preset's: one value, or one per region.

        Returns
        -------
        AbstractNextGenModel
            An instance of :attr:`model`, its parameters checked against their domains.

        Raises
        ------
        ValueError
            If an override names no parameter of the model, or a value lies outside its domain.
        """
        allowed = tuple(self.parameters)
        for key in overrides:
            if key not in self.parameters:
                raise ValueError(_bad_names_message(self, "overrides", allowed, key))
        values = {**self.parameters, **overrides}
        arrays = {key: _as_parameter_array(self, key, value) for key, value in values.items()}
        model = self.model(**arrays)
        model.validate_parameters()
        return model


def _as_parameter_array(preset: Preset, key: str, value: float | np.ndarray) -> np.ndarray:
    try:
        return np.atleast_1d(np.array(value, dtype=float))
    except (TypeError, ValueError):
        raise ValueError(
            f"Invalid value for the {key!r} parameter of preset {preset.name!r}. Allowed values "
            f"are numbers or arrays of numbers, but got {value!r} instead."
        ) from None


def _bad_names_message(preset: Preset, label: str, allowed: tuple[str, ...], given: str) -> str:
    return (
        f"Invalid parameter name in the {label!r} of preset {preset.name!r} "
        f"({preset.model.__name__}). Allowed names are {', '.join(map(repr, allowed))}, "
        f"but got {given!r} instead."
    )


# The paper's values, written out once; the NextGenEI presets below change a few of them.
_DELICADO2025_VALUES = {
    "tau_e": 8.0, "tau_i": 8.0, "tau_se": 1.0, "tau_si": 5.0, "eta_e": -5.0, "eta_i": -5.0,
    "Delta_e": 1.0, "Delta_i": 1.0, "J_ee": 5.0, "J_ei": 13.0, "J_ie": 13.0, "J_ii": 5.0,
    "I_e": 0.0, "I_i": 0.0, "c_e": 1.0, "c_i": 1.0,
}  # fmt: skip


# The bistable point of Montbrió, Pazó & Roxin (2015) with a slow synapse.
_WORKING_MEMORY_VALUES = {
    "tau": 10.0, "tau_s": 100.0, "eta": -5.0, "Delta": 1.0, "J": 15.0, "I": 0.0, "c": 1.0,
}  # fmt: skip


def _next_gen_ei(**changes: float) -> dict[str, float]:
    return {**_DELICADO2025_VALUES, **changes}


_PRESET_LIST = (
    Preset(
        name="delicado2025",
        model=NextGenEI,
        parameters=_next_gen_ei(),
        description=(
            "The default parameters of the E-I next-generation neural mass model with first-order "
            "synapses. Without external current (I_e = 0) a single node rests at a stable fixed "
            "point (r_e ~ 8 Hz, r_i ~ 9 Hz); raising I_e past 5-6 crosses a Hopf bifurcation "
            "into PING gamma. In the paper W is the AAL90 connectome divided by its row sums, "
            "with Linear coupling strength in [0, 30] and I_e in [0, 16]."
        ),
        reference=DELICADO2025,
    ),
    Preset(
        name="delicado2025_example",
        model=NextGenEI,
        parameters=_next_gen_ei(I_e=15.0),
        description=(
            "The paper's example operating point (I_e, coupling) = (15, 9). An isolated node "
            "oscillates in the high gamma band (~67 Hz, r_e between ~0 and ~300 Hz). In a "
            "row-normalised network the synchronous state obeys one node with J_ee + 9 and "
            "J_ie + 9, whose PING cycle is replaced by a stable focus (~80 Hz damped ringing)."
        ),
        reference=DELICADO2025,
        coupling_strength=9.0,
    ),
    Preset(
        name="ping_gamma",
        model=NextGenEI,
        parameters=_next_gen_ei(I_e=10.0),
        description=(
            "Pyramidal-interneuron gamma: the paper's parameters with I_e = 10, past the Hopf "
            "bifurcation (at I_e between 5 and 6). An isolated node oscillates at ~47 Hz; r_e "
            "swings over ~220 Hz around a mean of ~60 Hz. Excitation drives the inhibitory "
            "burst that ends each cycle: with J_ie = 0 or J_ei = 0 the oscillation disappears."
        ),
        reference=DELICADO2025,
    ),
    Preset(
        name="ing_gamma",
        model=NextGenEI,
        parameters=_next_gen_ei(J_ee=0.0, J_ie=0.0, Delta_i=0.3, J_ii=20.0, I_i=10.0),
        description=(
            "Interneuron gamma: E does not excite I (J_ie = 0) nor itself (J_ee = 0), so the "
            "I population is autonomous. Driven (eta_i + I_i = 5), weakly heterogeneous "
            "(Delta_i = 0.3) and strongly self-inhibiting through its 5 ms synapse (J_ii = 20), "
            "it oscillates at ~47 Hz (r_i swings over ~300 Hz around ~40 Hz); the undriven E "
            "population stays near 7 Hz, weakly paced by I. The QIF mean field captures this "
            "inhibition-only synchrony, which classical rate models miss without delays; broader "
            "heterogeneity (Delta_i = 1) replaces it by a steady state."
        ),
        reference=DEVALLE2017,
    ),
    Preset(
        name="working_memory",
        model=MPRSynaptic,
        parameters=_WORKING_MEMORY_VALUES,
        description=(
            "Bistable persistent activity: the bistable point (eta = -5, J = 15, Delta = 1) of "
            "the QIF mean field, with a slow (NMDA-like, 100 ms) synapse. A stable low-rate node "
            "(~8 Hz) coexists with a stable high-rate focus (~103 Hz), separated by a saddle "
            "(~47 Hz). A current pulse I = 10 lasting 100 ms or more switches the population "
            "from low to high, where it stays after the pulse; a 50 ms pulse is filtered out "
            "by the slow synapse."
        ),
        reference=MPR2015,
    ),
    Preset(
        name="focal_seizure",
        model=NextGenEI,
        parameters=_next_gen_ei(I_e=2.0, c_i=0.0),
        description=(
            "A quiet network in which a stimulated focus seizes and recruits its neighbours. "
            "Each node rests below the PING Hopf bifurcation (I_e = 2, r_e ~ 12 Hz); the "
            "long-range input excites E only (c_i = 0: no feed-forward inhibition restrains "
            "the spread). With Linear coupling 10 on a row-normalised ring of 8 nodes, a focus "
            "with I_e = 15 oscillates at high rate (mean r_e ~ 116 Hz, swings over ~330 Hz, "
            "spectral peak ~85 Hz); its direct neighbours are driven into large oscillations "
            "(mean r_e ~ 48 Hz, 4 times rest, swinging over ~170 Hz), the next ones to ~26 Hz, "
            "while the opposite node stays at rest. "
            "Set the focus with ``stimulated_parameters``."
        ),
        reference=f"{DELICADO2025}; network seizure recruitment as in {GERSTER2021}",
        coupling_strength=10.0,
        stimulated_parameters={"I_e": 15.0},
    ),
)

PRESETS: dict[str, Preset] = {preset.name: preset for preset in _PRESET_LIST}
"""All presets by name."""


def preset_names() -> tuple[str, ...]:
    """The names of the available presets, in the order they are defined."""
    return tuple(PRESETS)


def get_preset(name: str) -> Preset:
    """The preset called ``name``.

    Parameters
    ----------
    name : str
        The preset's name.

    Raises
    ------
    ValueError
        If no preset has that name; the message lists the allowed names.
    """
    if name not in PRESETS:
        raise ValueError(
            "Invalid value for the 'name' parameter. Allowed values are "
            f"{', '.join(map(repr, PRESETS))}, but got {name!r} instead."
        )
    return PRESETS[name]


def make_model(name: str, **overrides: float | np.ndarray) -> AbstractNextGenModel:
    """A model instance configured with the preset ``name``.

    Parameters
    ----------
    name : str
        One of :func:`preset_names`.
    **overrides : float or array
        Parameter values replacing the preset's (one value, or one per region).

    Returns
    -------
    AbstractNextGenModel
        A new :class:`NextGenEI` or :class:`MPRSynaptic`, parameters as ``np.array([value])``.

    Raises
    ------
    ValueError
        For an unknown preset name, an unknown parameter name or a value outside its domain.
    """
    return get_preset(name).make_model(**overrides)
