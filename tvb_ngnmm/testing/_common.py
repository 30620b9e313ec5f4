"""What every conformance suite shares: the checks' tiny network, simulators built on it,
the integrators, tolerances, and the comparison of engine and stock outputs."""

from __future__ import annotations

import numpy as np
from tvb.datatypes import patterns
from tvb.datatypes.connectivity import Connectivity
from tvb.simulator import coupling as tvb_coupling
from tvb.simulator import integrators, noise
from tvb.simulator import monitors as tvb_monitors
from tvb.simulator.models.base import Model
from tvb.simulator.simulator import Simulator

from ..backend import NumbaBackend
from ..engine.continuation import unchanged

#: Integration step of the checks' simulations (ms); a power of two so times are exact.
DT = 2.0**-6
#: Length of the checks' simulations (ms); longer than the largest delay of the network.
SIMULATION_LENGTH = 8.0
#: Number of regions of the checks' network.
N_REGIONS = 4
#: Conduction speed of the checks' network (mm/ms); tract lengths are 5–20 mm.
CONDUCTION_SPEED = 5.0
#: Additive noise intensity ``D`` of the stochastic runs (TVB's ``nsig``; step sd √(2 D dt)).
NOISE_NSIG = 1e-5
#: Noise intensity of the boundary check, large enough to push rates below zero.
BIG_NOISE_NSIG = 1e-2

#: TVB integrators every model must run with, and the relative tolerance to which each
#: deterministic one must agree with ``RungeKutta4thOrderDeterministic`` at step :data:`DT`
#: over :data:`SIMULATION_LENGTH` (``None``: stochastic, only checked to run; 0 for the
#: reference itself: a second run must reproduce the first). Measured on the plugin's models:
#: Euler ~4e-3, Heun ~6e-6, Dopri5/Dop853 ~1e-10, VODE ~3e-3. VODE is multistep: SciPy
#: continues from its own step history and ignores the state TVB writes back between steps
#: (bounds, and the noise of VODEStochastic, do not feed back), hence its loose tolerance.
INTEGRATORS: dict[type[integrators.Integrator], float | None] = {
    integrators.EulerDeterministic: 2e-2,
    integrators.EulerStochastic: None,
    integrators.HeunDeterministic: 1e-4,
    integrators.HeunStochastic: None,
    integrators.RungeKutta4thOrderDeterministic: 0.0,
    integrators.VODE: 2e-2,
    integrators.VODEStochastic: None,
    integrators.Dopri5: 1e-8,
    integrators.Dopri5Stochastic: None,
    integrators.Dop853: 1e-8,
    integrators.Dop853Stochastic: None,
}

#: TVB integrators left out, and why.
EXCLUDED_INTEGRATORS: dict[str, str] = {
    "Identity": "a map x_{n+1} = f(x_n) for difference equations; for an ODE model it treats "
    "the time derivative as the next state, so its output is not a solution of the model",
    "IdentityStochastic": "the stochastic variant of Identity (same reason)",
}


def _fail(model_cls: type, message: str) -> AssertionError:
    return AssertionError(f"{model_cls.__name__}: {message}")


#: Relative tolerance of engine runs against stock ``sim.run()`` in the coupling and monitor
#: checks, as in :func:`check_engine_matches_stock`: relative to each value, plus this times
#: the largest value of the output.
ENGINE_RTOL = 1e-5


# --------------------------------------------------------------------------- building blocks


def tiny_connectivity(
    n_regions: int = N_REGIONS,
    seed: int = 0,
    delays: bool = True,
    self_connections: bool = False,
    one_way: bool = False,
) -> Connectivity:
    """A small random network with delays, configured.

    Parameters
    ----------
    n_regions : int
        Number of regions.
    seed : int
        Seed of the generator of weights (0.2–1, no self-connections), symmetric tract
        lengths (5–20 mm, conduction speed :data:`CONDUCTION_SPEED` mm/ms), centres and unit
        orientations (for sensor projections; every region is cortical).
    delays : bool
        False: every tract length is 0 (no delays).
    self_connections : bool
        True: every region also connects to itself (weights 0.2–1, tract length 0, so zero
        delay in a network with delays), as in many of TVB's connectomes.
    one_way : bool
        True: about half the connections are kept, independently in each direction (many pairs
        are connected one way only), tract lengths are not symmetric, and self-connections
        (with ``self_connections``) have tract lengths 5–20 mm: a network on which a coupling
        that confuses sources and targets, or a weight with its transpose, shows it.

    Returns
    -------
    Connectivity
        A configured TVB ``Connectivity``.
    """
    rng = np.random.default_rng(seed)
    weights = rng.uniform(0.2, 1.0, (n_regions, n_regions))
    lengths = rng.uniform(5.0, 20.0, (n_regions, n_regions))
    own_lengths = np.diag(lengths).copy()
    if not one_way:
        lengths = (lengths + lengths.T) / 2
    if not delays:
        lengths = np.zeros_like(lengths)
    np.fill_diagonal(weights, 0.0)
    np.fill_diagonal(lengths, own_lengths if one_way and delays else 0.0)
    centres = rng.normal(size=(n_regions, 3))
    orientations = rng.normal(size=(n_regions, 3))
    if self_connections:
        np.fill_diagonal(weights, rng.uniform(0.2, 1.0, n_regions))
    if one_way:
        weights *= rng.uniform(size=weights.shape) < 0.5
        if self_connections:  # every region keeps its self-connection
            np.fill_diagonal(weights, rng.uniform(0.2, 1.0, n_regions))
    connectivity = Connectivity(
        weights=weights,
        tract_lengths=lengths,
        region_labels=np.array([f"region_{i}" for i in range(n_regions)]),
        centres=centres,
        orientations=orientations / np.linalg.norm(orientations, axis=1, keepdims=True),
        cortical=np.ones(n_regions, dtype=bool),
        speed=np.array([CONDUCTION_SPEED]),
    )
    connectivity.configure()
    return connectivity


def random_state(model: Model, rng: np.random.Generator, n_node: int) -> np.ndarray:
    """A random state ``(n_var, n_node, 1)`` drawn uniformly in ``state_variable_range``.

    Parameters
    ----------
    model : Model
        The model instance whose ``state_variable_range`` bounds the draw.
    rng : numpy.random.Generator
        The random generator.
    n_node : int
        Number of nodes.
    """
    ranges = model.state_variable_range
    return np.array([rng.uniform(*ranges[sv], (n_node, 1)) for sv in model.state_variables])


def _initial_history(
    model: Model, connectivity: Connectivity, dt: float, seed: int, spread: float = 1.0
) -> np.ndarray:
    connectivity.set_idelays(dt)
    rng = np.random.default_rng(seed)
    n_node = connectivity.number_of_regions
    history = np.array([random_state(model, rng, n_node) for _ in range(connectivity.horizon)])
    if spread == 1.0:
        return history
    ranges = np.array([model.state_variable_range[sv] for sv in model.state_variables], float)
    middle = ranges.mean(axis=1)[:, np.newaxis, np.newaxis]
    return middle + spread * (history - middle)


def build_simulator(
    model: Model,
    integrator: integrators.Integrator,
    *,
    connectivity: Connectivity | None = None,
    coupling_strength: float = 0.5,
    stimulus: patterns.StimuliRegion | None = None,
    seed: int = 0,
    initial_state: np.ndarray | None = None,
    coupling: tvb_coupling.Coupling | None = None,
    monitors: list | None = None,
    spread: float = 1.0,
) -> Simulator:
    """A configured stock TVB ``Simulator`` on a tiny network (a ``Raw`` monitor by default).

    The initial history is drawn from ``model.state_variable_range`` with a seeded generator,
    so runs are reproducible and TVB's global random state is not used.

    Parameters
    ----------
    model, integrator : Model, Integrator
        TVB components (not yet configured).
    connectivity : Connectivity, optional
        Defaults to :func:`tiny_connectivity`.
    coupling_strength : float
        Gain ``a`` of TVB's ``Linear`` coupling, the coupling unless ``coupling`` is given.
    stimulus : StimuliRegion, optional
        A region stimulus.
    seed : int
        Seed of the initial history.
    initial_state : array, optional
        A state ``(n_var, n_node)`` used as the whole initial history instead of random values.
    coupling : Coupling, optional
        The coupling (not yet configured); default TVB's ``Linear(a=coupling_strength)``.
    monitors : list of Monitor, optional
        The monitors (not yet configured); default ``[Raw()]``.
    spread : float
        Fraction of each ``state_variable_range``, about its midpoint, that the random initial
        history is drawn from (models whose ranges are too wide for their sigmoids).

    Returns
    -------
    Simulator
        The configured simulator.
    """
    connectivity = connectivity if connectivity is not None else tiny_connectivity()
    if initial_state is None:
        history = _initial_history(model, connectivity, integrator.dt, seed, spread)
    else:
        connectivity.set_idelays(integrator.dt)
        state = np.asarray(initial_state, dtype=float)[np.newaxis, :, :, np.newaxis]
        history = np.repeat(state, connectivity.horizon, axis=0)
    simulator = Simulator(
        model=model,
        connectivity=connectivity,
        coupling=coupling or tvb_coupling.Linear(a=np.array([coupling_strength])),
        integrator=integrator,
        monitors=monitors or [tvb_monitors.Raw()],
        initial_conditions=history,
        stimulus=stimulus,
    )
    return simulator.configure()


def _make_integrator(integrator_cls: type, nsig: float = NOISE_NSIG, seed: int = 42):
    if issubclass(integrator_cls, integrators.IntegratorStochastic):
        additive = noise.Additive(nsig=np.array([nsig]), noise_seed=seed)
        return integrator_cls(dt=DT, noise=additive)
    return integrator_cls(dt=DT)


def _run(simulator: Simulator, length: float = SIMULATION_LENGTH) -> np.ndarray:
    ((_, data),) = simulator.run(simulation_length=length)
    return data


def _parameter_defaults(model_cls: type) -> dict[str, np.ndarray]:
    model = model_cls()
    return {name: np.asarray(getattr(model, name), dtype=float) for name in model.parameter_names}


def _sampling_interval(model_cls: type, name: str) -> tuple[float, float]:
    trait, domain = getattr(model_cls, name), model_cls.parameter_domains[name]
    default = float(np.ravel(trait.default)[0])
    lo, hi = (trait.domain.lo, trait.domain.hi) if trait.domain else (default - 1, default + 1)
    return max(lo, domain.lo), min(hi, domain.hi)


def random_parameters(
    model_cls: type, rng: np.random.Generator, n_node: int
) -> dict[str, np.ndarray]:
    """Random per-node values ``(n_node, 1)`` of every parameter, inside its domain.

    Values are uniform in the intersection of the trait's ``Range`` (the GUI range) and the
    parameter's domain.

    Parameters
    ----------
    model_cls : type
        The model class, with a ``parameter_domains`` mapping.
    rng : numpy.random.Generator
        The random generator.
    n_node : int
        Number of nodes.
    """
    values = {}
    for name, default in _parameter_defaults(model_cls).items():
        lo, hi = _sampling_interval(model_cls, name)
        draw = rng.uniform(lo, hi, (n_node, 1))
        inside = model_cls.parameter_domains[name].contains(draw)
        values[name] = np.where(inside, draw, default.ravel()[0])
    return values


def _nearby_parameters(model_cls: type, rng: np.random.Generator) -> dict[str, float]:
    """Defaults perturbed by up to ±10 % (±0.1 for zero defaults), kept in the domain."""
    values = {}
    for name, default in _parameter_defaults(model_cls).items():
        value = float(default.ravel()[0])
        step = 0.1 * abs(value) if value != 0 else 0.1
        candidate = value + rng.uniform(-step, step)
        inside = model_cls.parameter_domains[name].contains(candidate)
        values[name] = candidate if inside else value
    return values


def _engine_and_stock(sim: Simulator, length: float, chunk_steps: int | None = None):
    """The engine's output, then stock ``sim.run()``'s from the same start (the simulator put
    back after the engine's run, which advances it)."""
    with unchanged(sim):
        fast = NumbaBackend(progress=False, chunk_steps=chunk_steps).run_sim(sim, length)
    with np.errstate(over="ignore"):  # TVB's sigmoids saturate through exp overflow
        stock = sim.run(simulation_length=length)
    return fast, stock


def _compare(owner: type, what: str, got, expected, rtol: float) -> float:
    """Raise unless ``got`` equals ``expected`` within ``rtol`` (relative to each value plus
    ``rtol`` times the largest); return the largest difference over the largest value."""
    got, expected = np.asarray(got), np.asarray(expected)
    if got.shape != expected.shape:
        raise _fail(owner, f"{what} is shaped {got.shape} on the engine, {expected.shape} in TVB.")
    if not np.isfinite(expected).all():
        raise _fail(owner, f"{what} is not finite in stock TVB.")
    scale = float(np.abs(expected).max()) if expected.size else 0.0
    difference = np.abs(got - expected)
    if not np.all(difference <= rtol * (np.abs(expected) + scale)):
        where = tuple(int(i) for i in np.unravel_index(np.argmax(difference), difference.shape))
        raise _fail(
            owner,
            f"{what} differs from stock TVB by up to {difference.max():.3g} at index {where} "
            f"(engine {got[where]:.6g}, TVB {expected[where]:.6g}; largest value {scale:.3g}), "
            f"more than rtol = {rtol:g}.",
        )
    return float(difference.max() / scale) if scale else 0.0


def _compare_outputs(owner: type, fast: list, stock: list, rtol: float = ENGINE_RTOL) -> float:
    """Same number of monitors, same times, data within ``rtol``; the worst relative difference."""
    if len(fast) != len(stock):
        raise _fail(owner, f"the engine returned {len(fast)} outputs, TVB {len(stock)}.")
    worst = 0.0
    for index, ((t, y), (t_ref, y_ref)) in enumerate(zip(fast, stock, strict=True)):
        if not np.array_equal(t, t_ref):
            raise _fail(owner, f"the sample times of output {index} differ from stock TVB.")
        worst = max(worst, _compare(owner, f"output {index}", y, y_ref, rtol))
    return worst


def _run_checks(checks) -> None:
    for name, check in checks:
        try:
            check()
        except AssertionError as error:
            raise AssertionError(f"check {name!r} failed: {error}") from error
