r"""What the engine needs from a configured TVB ``Simulator``, checked and in kernel layout.

:func:`extract` reads the model (its kernel, compiled from its declaration or its
``state_variable_dfuns`` by :mod:`.equations` and :mod:`._cache`; parameters as per-region
arrays ``(n_parameter, n_node)``), the integrator (scheme, ``dt``, noise amplitude per state
variable and region), the state boundaries, the stimulus, the initial state
(``sim.current_state``) and the initial history (``sim.history.buffer``, float32 as TVB keeps
it; integer delays ``sim.connectivity .idelays = round(delay / dt)`` as set by ``set_idelays``),
the coupling reduced to effective weights (:mod:`.coupling`), the variables of interest (state
variables or expressions of them, :mod:`.observation`) and the monitors. Anything the
engine cannot run raises :class:`~tvb_ngnmm.engine.errors.UnsupportedSimulationError` naming it;
settings it could run but should not (non-finite inputs, a monitor period below ``dt``,
parameters changed after ``configure()`` to invalid values) raise ``ValueError``
(:func:`.checks.check_settings`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import ModuleType

import numpy as np
from tvb.simulator.noise import Additive

from ..models.mixed import MixedModel
from ._cache import compiled_kernel
from .checks import check_settings
from .coupling import CouplingTerms, reduce_coupling
from .equations import engine_model, parameter_value
from .errors import UnsupportedSimulationError, unsupported
from .monitors import check_supported, make_monitors
from .observation import Observation, check_observation, observation_of
from .support import INTEGRATORS, integrator_names
from .surface import SurfaceTerms, surface_terms
from .surface_checks import check_surface


@dataclass
class SimulationSpec:
    """A configured simulator in the engine's terms (arrays in kernel layout, float64)."""

    kernel: ModuleType  # the model's compiled module: run_chunk, model_dfun
    state_variables: tuple[str, ...]
    parameter_names: tuple[str, ...]
    params: np.ndarray  # (n_parameter, n_node)
    scheme: int
    stochastic: bool
    dt: float
    noise_scale: np.ndarray  # (n_var, n_node): sqrt(2 nsig)
    lo: np.ndarray  # (n_var,)
    hi: np.ndarray  # (n_var,)
    cvar: np.ndarray  # (n_cvar,) int64
    coupling: CouplingTerms
    state: np.ndarray  # (n_var, n_node) float64
    history: np.ndarray  # (n_cvar, n_node, H) float32, slot s mod H holds step s
    current_step: int
    labels: tuple[str, ...]
    observation: Observation  # the variables of interest, from the recorded state variables
    stvar: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    monitors: list = field(default_factory=list)
    stimulus: object = None
    ran: bool = False  # a run started from it (its monitors' state is then the run's)
    surface: SurfaceTerms | None = None  # a surface simulation's nodes, regions, local coupling

    @property
    def n_node(self) -> int:
        """Number of nodes: the regions, or on a surface the vertices and non-cortical regions."""
        return self.state.shape[1]


def model_kernel(model) -> tuple[ModuleType, tuple[str, ...]]:
    """The compiled kernel module of ``model`` and its parameter names, in the kernel's order
    (the module's ``local_terms``: the model's local coupling sources, or None)."""
    found = engine_model(model)
    if len(model.cvar) not in found.cvar_counts:
        counts = " or ".join(str(n) for n in found.cvar_counts)
        raise UnsupportedSimulationError(
            f"Invalid value for the 'cvar' of {found.name}: the fast engine supports {counts} "
            f"coupling variables (as many as its equations read), but got {list(model.cvar)} "
            "instead."
        )
    module = compiled_kernel(found)
    module.local_terms = found.local_terms
    return module, found.parameters


def region_values(name: str, value, n_node: int, owner: str) -> np.ndarray:
    """``value`` as a float64 array (n_node,): one value broadcast, or one per region."""
    arr = np.asarray(value, dtype=float).ravel()
    if arr.size == 1:
        return np.full(n_node, arr[0])
    if arr.size != n_node:
        raise ValueError(
            f"Invalid shape for the {name!r} parameter of {owner}. Allowed are one value or one "
            f"per region ({n_node}), but got {arr.size} values."
        )
    return arr.copy()


def model_parameters(model, names: tuple[str, ...], n_node: int) -> np.ndarray:
    """The model's parameters as (n_parameter, n_node) float64.

    A :class:`~tvb_ngnmm.models.mixed.MixedModel`'s rows are each node's group, then
    ``'group.parameter'`` of each group's model (the values of other groups' nodes unused).
    """
    if names[:1] == ("group",) and hasattr(model, "group_parameters"):
        if model.n_region != n_node:
            raise ValueError(
                f"Invalid value for the 'regions' parameter of MixedModel. Allowed is one group "
                f"name per region of the connectivity ({n_node}), but got {model.n_region} names "
                "instead."
            )
        rows = [model.group_of_region.astype(float)]
        values = {g: model.group_parameters(g) for g in model.groups}
        for name in names[1:]:
            group, parameter = name.split(".", 1)
            value = values[group].get(parameter)
            if value is None:  # an element of a coefficient vector
                value = parameter_value(model.models[group], parameter)
            rows.append(region_values(name, value, n_node, "MixedModel"))
        return np.array(rows)
    owner = type(model).__name__
    return np.array([region_values(n, parameter_value(model, n), n_node, owner) for n in names])


def _check_configured(sim) -> None:
    if getattr(sim, "history", None) is None or getattr(sim, "current_state", None) is None:
        raise UnsupportedSimulationError(
            "Invalid value for the 'sim' parameter: the fast engine needs a configured "
            "Simulator (call sim.configure() first), but got one that is not configured."
        )
    if sim.surface is not None:
        if isinstance(sim.model, MixedModel):
            raise unsupported("model", "a MixedModel on a cortical surface", ("one model",))
        check_surface(sim)  # before anything of the surface's size is allocated
    if sim.model.number_of_modes != 1:
        raise unsupported("number_of_modes", str(sim.model.number_of_modes), ("1",))
    if sim.model.has_nonint_vars:
        raise UnsupportedSimulationError(
            f"Invalid value for the 'model' of the simulator: the fast engine supports models "
            f"whose state variables are all integrated, but {type(sim.model).__name__} has "
            "non-integrated ones."
        )


def _integrator(sim) -> tuple[int, bool, np.ndarray]:
    integ = sim.integrator
    entry = INTEGRATORS.get(type(integ))
    if entry is None:
        raise unsupported("integrator", type(integ).__name__, integrator_names())
    scheme, stochastic = entry
    n_var, n_node = len(sim.model.state_variables), sim.number_of_nodes
    if integ.clamped_state_variable_values is not None:
        raise unsupported("integrator.clamped_state_variable_values", "clamped values", ("None",))
    scale = np.zeros((n_var, n_node))
    if stochastic:
        noise = integ.noise
        if type(noise) is not Additive or noise.ntau > 0.0:
            raise unsupported("integrator.noise", str(noise), ("Additive (white)",))
        nsig = np.asarray(noise.nsig, dtype=float)
        if nsig.ndim == 3:
            nsig = nsig[..., 0]
        elif nsig.size != 1:
            raise unsupported(
                "integrator.noise.nsig shape",
                str(nsig.shape),
                ("(1,)", "(n_var,)", "(n_node,)", "(n_var, n_node)"),
            )
        with np.errstate(invalid="ignore"):  # nsig < 0: named by checks.check_settings
            scale = np.array(np.broadcast_to(np.sqrt(2.0 * nsig), (n_var, n_node)), dtype=float)
    return scheme, stochastic, scale


def _boundaries(sim) -> tuple[np.ndarray, np.ndarray]:
    n_var = len(sim.model.state_variables)
    lo, hi = np.full(n_var, -np.inf), np.full(n_var, np.inf)
    integ = sim.integrator
    indices = integ._bounded_integration_state_variable_indices
    bounds = integ._integration_state_variable_boundaries
    if bounds is not None:
        for index, (low, high) in zip(indices, bounds, strict=True):
            lo[int(index)] = -np.inf if low is None else float(low)
            hi[int(index)] = np.inf if high is None else float(high)
    return lo, hi


def _observation(model, state: np.ndarray) -> Observation:
    """The model's variables of interest: state variables or TVB's observation expressions of
    them, each checked to evaluate at ``state`` (the initial state)."""
    owner = type(model).__name__
    observation = observation_of(model.state_variables, model.variables_of_interest, owner)
    check_observation(observation, state, owner)
    return observation


def extract(sim) -> SimulationSpec:
    """Read a configured ``Simulator`` into a :class:`SimulationSpec` (checks what it can run)."""
    _check_configured(sim)
    model = sim.model
    kernel, names = model_kernel(model)
    n_node = sim.number_of_nodes
    scheme, stochastic, scale = _integrator(sim)
    lo, hi = _boundaries(sim)
    history = np.asarray(sim.history.buffer, dtype=np.float32)[..., 0]  # (H, n_cvar, n_node)
    state = np.array(sim.current_state[..., 0], dtype=float)
    labels = tuple(str(lab) for lab in sim.connectivity.region_labels)
    surface = None
    if sim.surface is not None:
        surface = surface_terms(sim, kernel.local_terms, type(model).__name__)
        labels = surface.node_labels()
    spec = SimulationSpec(
        kernel=kernel,
        state_variables=tuple(model.state_variables),
        parameter_names=names,
        params=model_parameters(model, names, n_node),
        scheme=scheme,
        stochastic=stochastic,
        dt=float(sim.integrator.dt),
        noise_scale=scale,
        lo=lo,
        hi=hi,
        cvar=np.asarray(model.cvar, dtype=np.int64),
        coupling=reduce_coupling(sim),
        state=state,
        history=np.ascontiguousarray(history.transpose(1, 2, 0)),
        current_step=int(sim.current_step),
        labels=labels if len(labels) == n_node else tuple(str(i) for i in range(n_node)),
        observation=_observation(model, state),
        stvar=np.asarray(model.stvar, dtype=np.int64),
        stimulus=sim.stimulus,
        surface=surface,
    )
    check_supported(sim)
    check_settings(sim, spec)
    spec.monitors = make_monitors(sim, spec)
    return spec


def checked_spec(sim, spec: SimulationSpec | None = None) -> SimulationSpec:
    """``sim`` as the engine reads it: ``spec`` as it is when the caller read ``sim`` already
    (the command line reads and checks it once), else :func:`extract` of ``sim``.

    A given ``spec`` must be this simulator's reading at its current step (same regions and
    state variables, ``sim.current_step``) and not yet run from (:func:`NumbaBackend.run_sim
    <tvb_ngnmm.backend.NumbaBackend.run_sim>` marks it), otherwise ``ValueError``.
    """
    if spec is None:
        return extract(sim)
    if not isinstance(spec, SimulationSpec):
        why = f"{type(spec).__name__}, which is not a reading of a simulator"
    elif spec.n_node != sim.number_of_nodes or spec.state_variables != tuple(
        sim.model.state_variables
    ):
        why = "the reading of another simulator (other regions or state variables)"
    elif spec.current_step != int(sim.current_step):
        why = (f"the reading at step {spec.current_step} of a simulator now at step "
               f"{int(sim.current_step)}")  # fmt: skip
    elif spec.ran:
        why = "a reading a run has already started from (its monitors hold that run's state)"
    else:
        return spec
    raise ValueError(
        "Invalid value for the 'spec' parameter. Allowed are None or the simulator as "
        f"tvb_ngnmm.engine.spec.extract(sim) reads it, but got {why} instead."
    )
