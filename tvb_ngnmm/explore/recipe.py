"""A configured simulator as workers can receive it, and the parameters a sweep may set.

A configured TVB ``Simulator`` does not pickle (its monitors hold closures), but its parts do.
:class:`SimulatorRecipe` keeps the parts, the initial state and history and the noise stream's
state; a worker rebuilds the simulator (``configure()``, its random draw from a seeded generator,
:func:`~.seeding.configure_seeded`, not NumPy's global one), sets the configuration parameters of
its group of points (conduction speed, noise amplitude, a numeric parameter of the coupling,
the time step, the noise's ``nsig`` and seed, the weights, tract lengths or speed of the
connectivity: :data:`SETTABLE`; what ``configure()`` derives from these cannot be set) and
restores the initial state, so that every member starts where a ``run_batch`` of the original
simulator would, in every process. When the delays change, the
history ring changes length: the recipe's history is then read back in time as far as it reaches
and its oldest step repeated beyond (deterministic, so a retried task gives the same result).

Parameters that ``run_batch`` sweeps within one batch (model parameters and the coupling gain
``'a'``) are *batch* parameters; the others are *configuration* parameters: the points of a
sweep are grouped by them and each group gets its own simulator.
"""

from __future__ import annotations

import copy
import hashlib
import pickle
from dataclasses import dataclass

import numpy as np

from .._util import check_values
from ..engine.batch import NOT_SWEPT
from ..seeding import PARTS, configure_seeded, fix_noise_shape, initial_state_digest

ALIASES = {"conduction_speed": "connectivity.speed", "noise_amplitude": "integrator.noise.nsig"}
DEFAULT_UNITS = {"a": "1 (coupling gain)", "conduction_speed": "mm/ms",
                 "connectivity.speed": "mm/ms", "integrator.dt": "ms"}  # fmt: skip
#: The attributes a run reads after ``configure()`` (which derives the others: the delays from
#: the tract lengths and speed, the number of regions from the weights, ...), by owner; None:
#: every numeric trait the owner declares (a coupling's parameters).
SETTABLE = {"coupling": None, "integrator": ("dt",), "integrator.noise": ("nsig", "noise_seed"),
            "connectivity": ("weights", "tract_lengths", "speed")}  # fmt: skip


def batch_names(spec) -> tuple:
    """The model parameters and coupling gain ``run_batch`` sweeps (a ``MixedModel``'s
    ``'group'``, its assignment of regions to models, left out)."""
    return (*(n for n in spec.parameter_names if n not in NOT_SWEPT), "a")


def allowed_names(spec) -> str:
    """The names a design may sweep, for error messages."""
    names = ", ".join(repr(n) for n in (*batch_names(spec), *ALIASES))
    return f"{names}, or a dotted path 'coupling.<parameter>', " + (
        "'integrator.dt', 'integrator.noise.nsig', 'integrator.noise.noise_seed', "
        "'connectivity.weights', 'connectivity.tract_lengths' or 'connectivity.speed'"
    )


def _resolve(sim, path: str):
    """(owner object, attribute) of a dotted configuration path that can be set, or None."""
    parts = ALIASES.get(path, path).split(".")
    owner_path = ".".join(parts[:-1])
    if owner_path not in SETTABLE:
        return None
    owner = sim
    for part in parts[:-1]:
        owner = getattr(owner, part, None)
        if owner is None:
            return None
    settable = SETTABLE[owner_path] or tuple(type(owner).declarative_attrs)
    if parts[-1] not in settable:
        return None
    value = getattr(owner, parts[-1], None)
    if isinstance(value, bool) or not isinstance(value, np.ndarray | float | int):
        return None
    if isinstance(value, np.ndarray) and value.dtype.kind not in "fiu":
        return None
    return owner, parts[-1]


def classify(sim, spec, names) -> tuple[list, list]:
    """Split swept names into batch and configuration parameters; unknown names, and two names
    of one attribute (``'a'`` and ``'coupling.a'``), are errors."""
    batch, config, seen = [], [], {}
    for name in names:
        if name in batch_names(spec):
            batch.append(name)
        elif _resolve(sim, name) is not None:
            config.append(name)
        else:
            raise ValueError(
                f"Invalid value for the 'design' parameter. Allowed parameter names are "
                f"{allowed_names(spec)}, but got {name!r} instead{_why_not(sim, spec, name)}."
            )
        same = "coupling.a" if name == "a" else ALIASES.get(name, name)
        if same in seen:
            raise ValueError(
                "Invalid value for the 'design' parameter. Allowed are names of different "
                f"parameters, but got {seen[same]!r} and {name!r}, which set the same one."
            )
        seen[same] = name
    return batch, config


def _why_not(sim, spec, name: str) -> str:
    """Why a name that looks sweepable is not, for the error message."""
    if name in NOT_SWEPT and name in spec.parameter_names:
        return (
            " ('group' is the MixedModel's assignment of regions to its models, not a "
            "parameter: give each group's parameters as 'group.parameter')"
        )
    path = ALIASES.get(name, name)
    if path.startswith("integrator.noise.") and getattr(sim.integrator, "noise", None) is None:
        return f" (the integrator {type(sim.integrator).__name__} has no noise)"
    return ""


#: The domains of the configuration parameters that have one: (allowed, test).
DOMAINS = {
    "connectivity.speed": ("finite numbers > 0 (mm/ms)", lambda v: v > 0),
    "integrator.dt": ("finite numbers > 0 (ms)", lambda v: v > 0),
    "connectivity.weights": ("finite numbers >= 0", lambda v: v >= 0),
    "connectivity.tract_lengths": ("finite numbers >= 0 (mm)", lambda v: v >= 0),
    "integrator.noise.nsig": ("finite numbers >= 0", lambda v: v >= 0),
    "integrator.noise.noise_seed": ("whole numbers >= 0", lambda v: v >= 0),
}


def check_setting_values(sim, name: str, values) -> None:
    """The values a sweep gives configuration parameter ``name``, within its domain."""
    allowed, test = DOMAINS.get(ALIASES.get(name, name), ("finite numbers", None))
    check_values(np.asarray(values, dtype=float), f"the swept parameter {name!r}", allowed, test)


def default_unit(sim, name: str) -> str:
    """The unit of a swept parameter when the design gives none."""
    if name in DEFAULT_UNITS:
        return DEFAULT_UNITS[name]
    if name.startswith("tau") or name.split(".")[-1].startswith("tau"):
        return "ms"
    return "1"


def is_whole_number_setting(sim, path: str) -> bool:
    """Whether configuration parameter ``path`` takes whole numbers (e.g. the noise's seed)."""
    owner, attribute = _resolve(sim, path)
    return isinstance(getattr(owner, attribute), int | np.integer)


def _set(sim, path: str, value) -> None:
    owner, attribute = _resolve(sim, path)
    current = getattr(owner, attribute)
    if path == "noise_amplitude" and isinstance(current, np.ndarray) and np.any(current > 0):
        # The amplitude of the noisy variables; those configured without noise stay without.
        setattr(owner, attribute, np.where(current > 0, float(value), 0.0))
        return
    if isinstance(current, np.ndarray):
        value = np.array(np.broadcast_to(np.asarray(value, dtype=float), current.shape))
        if np.ndim(value) == 0 or current.shape == ():
            value = np.atleast_1d(value)
    elif isinstance(current, int | np.integer):  # e.g. the noise's seed: a whole number
        if float(value) != int(float(value)):
            raise ValueError(
                f"Invalid value for the swept parameter {path!r}. Allowed are whole numbers, "
                f"but got {value!r} instead."
            )
        value = int(float(value))
    else:
        value = float(value)
    setattr(owner, attribute, value)
    if ALIASES.get(path, path) == "connectivity.speed":
        sim.conduction_speed = float(np.ravel(value)[0])


@dataclass
class SimulatorRecipe:
    """The picklable parts of a configured simulator and its initial state."""

    parts: dict
    history: np.ndarray
    current_state: np.ndarray
    current_step: int
    noise_state: tuple | None
    key: str = ""

    @classmethod
    def from_simulator(cls, sim) -> SimulatorRecipe:
        """Copy the parts and initial state of a configured simulator."""
        parts = {name: copy.deepcopy(getattr(sim, name)) for name in PARTS}
        stream = getattr(getattr(sim.integrator, "noise", None), "random_stream", None)
        recipe = cls(
            parts=parts,
            history=np.array(sim.history.buffer),
            current_state=np.array(sim.current_state),
            current_step=int(sim.current_step),
            noise_state=None if stream is None else stream.get_state(),
        )
        recipe.key = hashlib.sha256(pickle.dumps(recipe, protocol=5)).hexdigest()
        return recipe

    def build(self, settings: dict):
        """A configured simulator with the configuration parameters ``settings`` set."""
        # deferred: TVB's simulator imports all of TVB's model families (1.3 s)
        from tvb.simulator.simulator import Simulator  # noqa: PLC0415

        parts = copy.deepcopy(self.parts)
        noise = getattr(parts.get("integrator"), "noise", None)
        fix_noise_shape(parts.get("integrator"))
        sim = Simulator(**{k: v for k, v in parts.items() if v is not None})
        reseeded = False
        for path, value in settings.items():
            _set(sim, path, value)
            owner, attribute = _resolve(sim, path)
            reseeded |= attribute == "noise_seed" and owner is noise
        # The history it draws is replaced below: drawn from a seeded generator, not NumPy's
        # global one; it also starts the noise stream of the (new) seed, RandomState(noise_seed)
        configure_seeded(sim, 0)
        sim.current_step = self.current_step
        sim.current_state[...] = self.current_state
        _restore_history(sim.history.buffer, self.history, self.current_step)
        if not reseeded and self.noise_state is not None:
            sim.integrator.noise.random_stream.set_state(self.noise_state)
        return sim

    def initial_state_digest(self) -> str:
        """SHA-256 of where every run of the recipe starts (history, state, step, noise)."""
        return initial_state_digest(self.history, self.current_state, self.current_step,
                                    self.noise_state)  # fmt: skip


def _restore_history(buffer: np.ndarray, saved: np.ndarray, step: int) -> None:
    """Fill the ring ``buffer`` (slot ``s mod H`` holds step ``s``) from the ring ``saved``."""
    if buffer.shape == saved.shape:
        buffer[...] = saved
        return
    h_new, h_old = len(buffer), len(saved)
    for s in range(step - h_new + 1, step + 1):
        buffer[s % h_new] = saved[max(s, step - h_old + 1) % h_old]


_BUILT: dict = {}


def simulator_for(recipe: SimulatorRecipe, settings: dict):
    """The simulator of a group, built once per worker process (a few kept)."""
    key = (recipe.key, tuple((k, np.asarray(v).tobytes()) for k, v in settings.items()))
    if key not in _BUILT:
        if len(_BUILT) >= 4:
            _BUILT.pop(next(iter(_BUILT)))
        _BUILT[key] = recipe.build(settings)
    return _BUILT[key]
