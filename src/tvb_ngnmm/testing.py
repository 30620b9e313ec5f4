r"""Common conformance checks for the plugin's neural mass models, couplings and monitors.

In the spirit of scikit-learn's ``check_estimator``: one public suite that every model passes,
and one each for couplings (:func:`check_coupling`) and monitors (:func:`check_monitor`).
:func:`check_model` runs all checks and raises ``AssertionError`` at the first failure;
:func:`model_checks` yields the checks one by one as ``(name, check)`` pairs so that a test
suite can give each its own test id::

    import pytest
    from tvb_ngnmm.testing import model_checks

    @pytest.mark.parametrize(("name", "check"), model_checks(MyModel))
    def test_my_model(name, check):
        check()

What the checks ask of a model (a subclass of
:class:`tvb_ngnmm.models.AbstractNextGenModel`):

- it runs in TVB's stock ``Simulator`` on a tiny network with delays, with every TVB integrator
  in :data:`INTEGRATORS` (deterministic ones agree with fourth-order Runge–Kutta), with noise
  and with a region stimulus; the output is finite and shaped
  ``(n_time, n_voi, n_node, n_mode)``;
- every parameter has a domain (``parameter_domains``); NaN, infinities and values outside
  the domain raise ``ValueError`` at ``configure()`` naming the parameter, the allowed values
  and the value given; per-region arrays of the wrong length raise at ``Simulator.configure()``;
- firing rates (state variables named ``r`` or ``r_<population>``) have a lower boundary 0
  that holds in a stochastic run with large noise;
- the class docstring has the equations (``.. math::``), every trait has a label and a doc,
  ``state_variables``, ``variables_of_interest``, ``cvar``, ``stvar``, ranges, boundaries and
  ``state_variable_dfuns`` are consistent;
- the ``state_variable_dfuns`` strings, evaluated with ``numexpr``, equal ``dfun``;
- ``dfun`` equals an independent transcription of the equations (``equations=``) at random
  states and parameters;
- per-region parameter arrays give the same result as scalars for equal values, and each
  node of a heterogeneous uncoupled network behaves as a single node with its own values.

Adding a check: write a function ``check_<what>(model_cls, ...)`` that raises
``AssertionError`` with a message naming the model and what is wrong, and yield it from
:func:`model_checks`. Checks that need a capability not every model has (an analytic
Jacobian to compare with finite differences, a fast-engine kernel to compare with the stock
simulator) belong in :func:`_capability_checks`, gated on the model declaring it.

Couplings: :func:`check_coupling` (one by one: :func:`coupling_checks`) takes a TVB coupling
instance, or a class (instantiated by :func:`example_coupling` with parameters under which it
acts visibly). For a coupling the engine runs (:func:`engine_runs_coupling`):

- ``coupling_values``: :class:`CouplingProbe`, a model whose state integrates the coupling it
  receives, records the coupling of every Euler step in the engine and in ``sim.run()`` from
  the same random delayed history; they agree within :data:`COUPLING_RTOL`, with the checks'
  delays (1–4 ms), without delays, and with self-connections (:data:`COUPLING_NETWORKS`);
- ``matches_stock``: the model that suits the coupling (:func:`coupling_partner`) runs on the
  engine as in ``sim.run()`` (Heun, within :data:`ENGINE_RTOL`), with and without delays;
- ``per_region_parameters``: a gain per region (the package's couplings) agrees with TVB;
  any other parameter given per region is refused with ``UnsupportedSimulationError``;
- ``non_finite_parameters``: NaN and infinite parameters raise ``ValueError`` naming the
  parameter and the value, at ``configure()`` or before the engine's first step.

A coupling the engine does not run must be refused with ``UnsupportedSimulationError`` naming
it (``refused_by_engine``).

Monitors: :func:`check_monitor` (one by one: :func:`monitor_checks`) takes a TVB monitor for a
network of :data:`N_REGIONS` regions, or a class (set up by :func:`example_monitor`: TVB's
``EEG``, ``MEG`` and ``iEEG`` with three sensors). For a monitor with a registered engine
monitor (:func:`engine_monitors`), on an oscillating ``MontbrioPazoRoxin`` network:

- ``matches_stock``: the same sample times and shapes as ``sim.run()``, values within
  :data:`ENGINE_RTOL`, over three periods and over a run continued from a stock run that
  stopped inside a period;
- ``periods``: a period that is not a whole number of steps is refused at ``configure()``
  naming ``'period'``, or runs as in TVB with a ``RuntimeWarning``; a period below ``dt`` is
  refused (:mod:`tvb_ngnmm.engine.checks`);
- ``engine_monitor_contract``: the engine monitor is an
  :class:`~tvb_ngnmm.monitors.AbstractEngineMonitor` whose ``space``, ``space_labels``,
  ``variable_names`` and ``sample_shape`` agree with what ``consume`` returns, and whose
  samples do not depend on how the steps are cut into chunks or on the other batch members.

A monitor without an engine monitor must be refused naming it (``refused_by_engine``).
"""

from __future__ import annotations

import copy
import functools
import inspect
import math
import warnings
from collections.abc import Callable, Iterator

import numexpr
import numpy as np
from tvb.basic.neotraits.api import Final, List, NArray
from tvb.datatypes import equations as tvb_equations
from tvb.datatypes import patterns
from tvb.datatypes.connectivity import Connectivity
from tvb.simulator import coupling as tvb_coupling
from tvb.simulator import integrators, noise
from tvb.simulator import monitors as tvb_monitors
from tvb.simulator.models.base import Model
from tvb.simulator.simulator import Simulator

__all__ = [
    "COUPLING_RTOL",
    "ENGINE_RTOL",
    "EXCLUDED_INTEGRATORS",
    "INTEGRATORS",
    "COUPLING_NETWORKS",
    "CouplingProbe",
    "build_simulator",
    "check_boundaries",
    "check_consistency",
    "check_coupling",
    "check_coupling_matches_stock",
    "check_coupling_non_finite_parameters",
    "check_coupling_per_region_parameters",
    "check_coupling_refused",
    "check_coupling_values",
    "check_defaults_in_domain",
    "check_dfun_matches_equations",
    "check_dfun_strings",
    "check_docs",
    "check_engine_monitor_contract",
    "check_jacobian",
    "check_model",
    "check_monitor",
    "check_monitor_matches_stock",
    "check_monitor_periods",
    "check_monitor_refused",
    "check_parameter_domains",
    "check_parameter_shapes",
    "check_per_region_parameters",
    "check_runs_in_simulator",
    "check_stimulus",
    "coupling_checks",
    "coupling_partner",
    "engine_couplings",
    "engine_monitors",
    "engine_runs_coupling",
    "example_coupling",
    "example_monitor",
    "model_checks",
    "monitor_checks",
    "random_parameters",
    "random_state",
    "tiny_connectivity",
]

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


# --------------------------------------------------------------------------- building blocks


def tiny_connectivity(
    n_regions: int = N_REGIONS,
    seed: int = 0,
    delays: bool = True,
    self_connections: bool = False,
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

    Returns
    -------
    Connectivity
        A configured TVB ``Connectivity``.
    """
    rng = np.random.default_rng(seed)
    weights = rng.uniform(0.2, 1.0, (n_regions, n_regions))
    lengths = rng.uniform(5.0, 20.0, (n_regions, n_regions))
    lengths = (lengths + lengths.T) / 2 if delays else np.zeros_like(lengths)
    np.fill_diagonal(weights, 0.0)
    np.fill_diagonal(lengths, 0.0)
    centres = rng.normal(size=(n_regions, 3))
    orientations = rng.normal(size=(n_regions, 3))
    if self_connections:
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
    """A random state ``(n_var, n_node, 1)`` drawn uniformly in ``state_variable_range``."""
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


# --------------------------------------------------------------------------- static checks


def check_docs(model_cls: type) -> None:
    """The class docstring has the equations, and every trait has a label and a doc."""
    if ".. math::" not in (model_cls.__doc__ or ""):
        raise _fail(model_cls, "the class docstring has no '.. math::' block with the equations.")
    inherited = set(Model.declarative_attrs)
    for name in model_cls.declarative_attrs:
        if name in inherited:
            continue
        trait = getattr(model_cls, name)
        for field in ("label", "doc"):
            if not str(getattr(trait, field, "") or "").strip():
                raise _fail(model_cls, f"the trait {name!r} has no {field}.")


def check_consistency(model_cls: type) -> None:
    """State variables, monitors' choices, coupling and stimulus indices, ranges agree."""
    model = model_cls()
    svars = tuple(model.state_variables)
    checks = [
        (len(svars) == model._nvar, f"_nvar = {model._nvar} but {len(svars)} state_variables"),
        (
            tuple(type(model).variables_of_interest.element_choices) == svars,
            "variables_of_interest choices differ from state_variables",
        ),
        (set(model.variables_of_interest) <= set(svars), "a default voi is not a state variable"),
        (set(model.state_variable_range) == set(svars), "state_variable_range keys differ"),
        (tuple(model.state_variable_dfuns) == svars, "state_variable_dfuns keys/order differ"),
        (set(model.state_variable_boundaries) <= set(svars), "a boundary names no state variable"),
        (
            set(model.parameter_names) == set(getattr(model, "parameter_domains", {})),
            "parameter_domains does not name exactly the parameter_names",
        ),
        (len(model.coupling_terms) >= len(model.cvar), "fewer coupling_terms than cvar"),
    ]
    for index_name in ("cvar", "stvar"):
        index = np.asarray(getattr(model, index_name))
        ok = index.size > 0 and np.issubdtype(index.dtype, np.integer)
        ok = ok and bool(np.all((index >= 0) & (index < len(svars))))
        checks.append((ok, f"{index_name} = {index!r} is not a valid index of state_variables"))
    for sv, (lo, hi) in model.state_variable_range.items():
        checks.append((lo < hi, f"state_variable_range[{sv!r}] is not an interval"))
    for ok, message in checks:
        if not ok:
            raise _fail(model_cls, message + ".")


def check_defaults_in_domain(model_cls: type) -> None:
    """Default parameter values, and the traits' ranges, lie in the parameters' domains."""
    model = model_cls()
    for name, default in _parameter_defaults(model_cls).items():
        domain = model_cls.parameter_domains[name]
        if not domain.contains(default).all():
            raise _fail(
                model_cls,
                f"the default {name} = {default} is outside its domain ({domain.describe()}).",
            )
        trait_range = getattr(model_cls, name).domain
        if trait_range is not None and not (
            domain.lo <= trait_range.lo <= trait_range.hi <= domain.hi
        ):
            raise _fail(
                model_cls, f"the trait range of {name!r} exceeds its domain ({domain.describe()})."
            )
    model.configure()


def _invalid_values(domain) -> list[float]:
    values = [math.nan, math.inf, -math.inf]
    if math.isfinite(domain.lo):
        values += [domain.lo - 1.0] + ([domain.lo] if domain.lo_open else [])
    if math.isfinite(domain.hi):
        values += [domain.hi + 1.0] + ([domain.hi] if domain.hi_open else [])
    return values


def check_parameter_domains(model_cls: type) -> None:
    """NaN, ±inf and values outside a parameter's domain raise ``ValueError`` at configure().

    The message must name the parameter, say what is allowed and show the value given.
    """
    for name, domain in model_cls.parameter_domains.items():
        for bad in _invalid_values(domain):
            model = model_cls()
            setattr(model, name, np.array([bad]))
            try:
                model.configure()
            except ValueError as error:
                message = str(error)
                expected = (f"'{name}'", "Allowed values", repr(bad))
                missing = [part for part in expected if part not in message]
                if missing:
                    raise _fail(
                        model_cls,
                        f"the error for {name} = {bad!r} lacks {missing}: {message!r}",
                    ) from error
            else:
                raise _fail(
                    model_cls, f"configure() accepted {name} = {bad!r} ({domain.describe()})."
                )


def check_parameter_shapes(model_cls: type) -> None:
    """A per-region parameter array of the wrong length raises at ``Simulator.configure()``."""
    for name, default in _parameter_defaults(model_cls).items():
        model = model_cls()
        setattr(model, name, np.full(N_REGIONS + 1, default.ravel()[0]))
        try:
            build_simulator(model, integrators.HeunDeterministic(dt=DT))
        except ValueError as error:
            if f"'{name}'" not in str(error) or str(N_REGIONS + 1) not in str(error):
                raise _fail(
                    model_cls, f"the error for a bad {name!r} shape is unclear: {error}"
                ) from error
        else:
            raise _fail(
                model_cls,
                f"Simulator.configure() accepted {N_REGIONS + 1} values of {name!r} "
                f"for {N_REGIONS} regions.",
            )


# --------------------------------------------------------------------------- equations


def _random_point(model_cls: type, seed: int, n_node: int = 7):
    rng = np.random.default_rng(seed)
    model = model_cls()
    parameters = random_parameters(model_cls, rng, n_node)
    for name, value in parameters.items():
        setattr(model, name, value)
    state = random_state(model, rng, n_node)
    coupling_values = rng.uniform(-1.0, 1.0, (len(model.coupling_terms), n_node, 1))
    return model, state, coupling_values, parameters


def check_dfun_strings(model_cls: type, seed: int = 0) -> None:
    """``state_variable_dfuns``, evaluated with numexpr, equal ``dfun`` at random points.

    The strings may use the state variables, the parameters, the ``coupling_terms`` (bound to
    the rows of the coupling array) and ``pi``.
    """
    model, state, coupling_values, parameters = _random_point(model_cls, seed)
    expected = model.dfun(state, coupling_values)
    namespace = {"pi": np.pi, **parameters}
    namespace.update(zip(model.state_variables, state, strict=True))
    namespace.update(zip(model.coupling_terms, coupling_values, strict=True))
    for index, sv in enumerate(model.state_variables):
        expression = model.state_variable_dfuns[sv]
        try:
            value = numexpr.evaluate(expression, local_dict=namespace)
        except (KeyError, NameError, SyntaxError, TypeError) as error:
            raise _fail(model_cls, f"cannot evaluate the dfun of {sv!r}: {error}") from error
        if not np.allclose(value, expected[index], rtol=1e-10, atol=1e-12):
            worst = np.max(np.abs(value - expected[index]))
            raise _fail(
                model_cls, f"the dfun string of {sv!r} differs from dfun by up to {worst:.3g}."
            )


def check_dfun_matches_equations(model_cls: type, equations: Callable, seed: int = 1) -> None:
    """``dfun`` equals an independent transcription of the equations at random points.

    Parameters
    ----------
    model_cls : type
        The model class.
    equations : callable
        ``equations(state, coupling, **parameters)`` returning the ``n_var`` time derivatives
        (per ms); ``state`` is ``(n_var, n_node, 1)``, ``coupling`` ``(len(cvar), n_node, 1)``
        (what TVB's coupling delivers), parameters are arrays ``(n_node, 1)``.
    seed : int
        Seed of the random states, couplings and parameter values.
    """
    model, state, coupling_values, parameters = _random_point(model_cls, seed)
    coupling_values = coupling_values[: len(model.cvar)]
    expected = equations(state, coupling_values, **parameters)
    got = model.dfun(state, coupling_values)
    for index, sv in enumerate(model.state_variables):
        reference = np.broadcast_to(expected[index], got[index].shape)
        if not np.allclose(got[index], reference, rtol=1e-10, atol=1e-12):
            worst = np.max(np.abs(got[index] - reference))
            raise _fail(
                model_cls,
                f"dfun of {sv!r} differs from the reference equations by up to {worst:.3g}.",
            )


# --------------------------------------------------------------------------- simulations


@functools.lru_cache(maxsize=8)
def _reference_run(model_cls: type) -> np.ndarray:
    """The checks' default run integrated with fourth-order Runge–Kutta (read-only)."""
    integrator = integrators.RungeKutta4thOrderDeterministic(dt=DT)
    data = _run(build_simulator(model_cls(), integrator))
    data.flags.writeable = False
    return data


def check_runs_in_simulator(model_cls: type, integrator_cls: type) -> None:
    """The model runs in TVB's ``Simulator`` with this integrator on a network with delays.

    The output must be finite and shaped ``(n_time, n_voi, n_node, n_mode)``; a deterministic
    integrator must agree with fourth-order Runge–Kutta within its tolerance in
    :data:`INTEGRATORS`. Stochastic integrators get additive noise on every state variable.
    """
    model = model_cls()
    data = _run(build_simulator(model, _make_integrator(integrator_cls)))
    name = integrator_cls.__name__
    shape = (
        math.ceil(SIMULATION_LENGTH / DT),
        len(model.variables_of_interest),
        N_REGIONS,
        model.number_of_modes,
    )
    if data.shape != shape:
        raise _fail(model_cls, f"with {name} the output is shaped {data.shape}, not {shape}.")
    if not np.isfinite(data).all():
        raise _fail(model_cls, f"with {name} the output is not finite.")
    tolerance = INTEGRATORS.get(integrator_cls)
    if tolerance is not None:
        reference = _reference_run(model_cls)
        error = np.max(np.abs(data - reference)) / np.max(np.abs(reference))
        if error > tolerance:
            raise _fail(
                model_cls,
                f"{name} differs from RungeKutta4thOrderDeterministic by {error:.3g} "
                f"(relative), more than {tolerance:g}.",
            )


def _rate_variables(model: Model) -> list[str]:
    return [sv for sv in model.state_variables if sv == "r" or sv.startswith("r_")]


def check_boundaries(model_cls: type) -> None:
    """Rates have the lower boundary 0, and it holds in a stochastic run with large noise.

    Rate variables are the state variables named ``r`` or ``r_<population>``. The noise must
    be large enough to reach the boundary, otherwise the check could not fail.
    """
    model = model_cls()
    rates = _rate_variables(model)
    if not rates:
        raise _fail(model_cls, "no rate variable (named 'r' or 'r_<population>').")
    for sv in rates:
        bounds = (model.state_variable_boundaries or {}).get(sv)
        if bounds is None or bounds[0] != 0.0:
            raise _fail(model_cls, f"the rate {sv!r} has no lower boundary 0.")
    model.variables_of_interest = tuple(model.state_variables)
    integrator = _make_integrator(integrators.HeunStochastic, nsig=BIG_NOISE_NSIG)
    data = _run(build_simulator(model, integrator))
    for sv in rates:
        trace = data[:, model.state_variables.index(sv)]
        if not np.isfinite(trace).all() or trace.min() < 0.0:
            raise _fail(model_cls, f"the rate {sv!r} left [0, inf) under large noise.")
        if not (trace == 0.0).any():
            raise _fail(model_cls, f"the noise never pushed {sv!r} to its boundary.")


def _pulse_stimulus(connectivity: Connectivity, onset: float) -> patterns.StimuliRegion:
    weight = np.zeros(connectivity.number_of_regions)
    weight[0] = 1.0
    pulses = tvb_equations.PulseTrain(parameters={"onset": onset, "T": 2.0, "tau": 1.0, "amp": 1.0})
    return patterns.StimuliRegion(temporal=pulses, connectivity=connectivity, weight=weight)


def check_stimulus(model_cls: type, onset: float = 2.0) -> None:
    """A region stimulus (TVB ``PulseTrain`` on region 0) runs and acts causally.

    Compared with an unstimulated run, nothing changes before the onset; region 0 changes
    after it; another region ``j`` changes once the delay ``d_j0`` has elapsed, not before.
    """
    connectivity = tiny_connectivity()
    plain = _run(build_simulator(model_cls(), integrators.HeunDeterministic(dt=DT)))
    stimulus = _pulse_stimulus(connectivity, onset)
    simulator = build_simulator(
        model_cls(),
        integrators.HeunDeterministic(dt=DT),
        connectivity=connectivity,
        stimulus=stimulus,
    )
    stimulated = _run(simulator)
    if not np.isfinite(stimulated).all():
        raise _fail(model_cls, "the output with a stimulus is not finite.")
    changed = np.any(stimulated != plain, axis=(1, 3))  # (n_time, n_node)
    # Row i holds the state after step i + 1, which used the stimulus at time i dt.
    first_row = math.floor(onset / DT) + 1
    if changed[:first_row].any():
        raise _fail(model_cls, "the output changed before the stimulus onset.")
    if not changed[:, 0].any():
        raise _fail(model_cls, "the stimulus has no effect on the stimulated region.")
    delays = simulator.connectivity.idelays[:, 0]
    for j in range(1, connectivity.number_of_regions):
        if changed[: first_row + delays[j], j].any():
            raise _fail(model_cls, f"region {j} felt the stimulus before the delay elapsed.")
        if not changed[:, j].any():
            raise _fail(model_cls, f"the coupling never carried the stimulus to region {j}.")


def _run_with_parameters(model_cls: type, parameters: dict, coupling_strength: float):
    model = model_cls()
    for name, value in parameters.items():
        setattr(model, name, np.asarray(value, dtype=float).reshape(-1))
    integrator = integrators.HeunDeterministic(dt=DT)
    simulator = build_simulator(model, integrator, coupling_strength=coupling_strength)
    return _run(simulator, SIMULATION_LENGTH / 2)


def check_per_region_parameters(model_cls: type, seed: int = 2) -> None:
    """Per-region parameter arrays run and mean what they say.

    One value per region, all equal, gives the scalar run (coupled network); in an uncoupled
    network with different values per region, each region behaves as a network with that
    region's values as scalars.
    """
    rng = np.random.default_rng(seed)
    scalars = _nearby_parameters(model_cls, rng)
    equal = {name: np.full(N_REGIONS, value) for name, value in scalars.items()}
    scalar_run = _run_with_parameters(model_cls, scalars, coupling_strength=0.5)
    array_run = _run_with_parameters(model_cls, equal, coupling_strength=0.5)
    if not np.allclose(array_run, scalar_run, rtol=1e-12, atol=0.0):
        raise _fail(model_cls, "equal per-region parameter values differ from scalar ones.")
    per_region = [_nearby_parameters(model_cls, rng) for _ in range(N_REGIONS)]
    stacked = {name: np.array([p[name] for p in per_region]) for name in scalars}
    mixed_run = _run_with_parameters(model_cls, stacked, coupling_strength=0.0)
    for region, values in enumerate(per_region):
        alone = _run_with_parameters(model_cls, values, coupling_strength=0.0)
        if not np.allclose(mixed_run[:, :, region], alone[:, :, region], rtol=1e-12, atol=0.0):
            raise _fail(
                model_cls, f"region {region} does not follow its own per-region parameters."
            )


# --------------------------------------------------------------------------- the suite


def check_jacobian(model_cls: type, seed: int = 3, n_point: int = 5) -> None:
    """The analysis Jacobians (:mod:`tvb_ngnmm.stability.jacobian`) equal finite differences.

    At random states, couplings and parameters, :math:`\\partial f/\\partial x` and
    :math:`\\partial f/\\partial C` are compared with central finite differences of ``dfun``.
    """
    from tvb_ngnmm.stability.jacobian import VectorField

    rng = np.random.default_rng(seed)
    for _ in range(n_point):
        model = model_cls()
        for name, value in random_parameters(model_cls, rng, 1).items():
            setattr(model, name, value.ravel())
        field = VectorField(model)
        x = random_state(model, rng, 1)[:, 0, 0]
        c = rng.uniform(-1.0, 1.0, len(model.cvar))
        fd_state, fd_coupling = _finite_difference_jacobians(model, x, c)
        for label, got, fd in (
            ("state", field.jacobian(x, c), fd_state),
            ("coupling", field.coupling_jacobian(x, c), fd_coupling),
        ):
            if not np.allclose(got, fd, rtol=1e-5, atol=1e-6 * max(1.0, np.abs(fd).max())):
                worst = np.max(np.abs(got - fd))
                raise _fail(
                    model_cls,
                    f"the Jacobian with respect to the {label} differs from finite "
                    f"differences of dfun by up to {worst:.3g}.",
                )


def _finite_difference_jacobians(model: Model, x: np.ndarray, c: np.ndarray, h: float = 1e-6):
    """Central differences of ``dfun`` with respect to the state and to the coupling."""

    def f(x_, c_):
        return model.dfun(x_[:, None, None], c_[:, None, None])[:, 0, 0]

    fd_state = np.array([(f(x + d, c) - f(x - d, c)) / (2 * h) for d in h * np.eye(len(x))]).T
    fd_coupling = np.array([(f(x, c + d) - f(x, c - d)) / (2 * h) for d in h * np.eye(len(c))]).T
    return fd_state, fd_coupling


def check_engine_matches_stock(model_cls: type, length: float = 10.0, rtol: float = 1e-5) -> None:
    """Deterministic Heun run of the engine equals ``sim.run()`` on a tiny delayed network.

    The tolerance is relative to each value plus ``rtol`` times the largest value (TVB keeps
    its history in float32 and sums TVB's couplings in float32; see :mod:`tvb_ngnmm.engine`).

    Raises
    ------
    AssertionError
        If times differ or values differ beyond the tolerance.
    """
    from tvb.simulator import integrators

    from tvb_ngnmm.backend import NumbaBackend

    sim = build_simulator(model_cls(), integrators.HeunDeterministic(dt=0.01))
    ((t_fast, y_fast),) = NumbaBackend(progress=False).run_sim(sim, simulation_length=length)
    ((t_stock, y_stock),) = sim.run(simulation_length=length)
    np.testing.assert_array_equal(t_fast, t_stock)
    scale = np.abs(y_stock).max()
    np.testing.assert_allclose(y_fast, y_stock, rtol=rtol, atol=rtol * scale)


def _capability_checks(model_cls: type) -> Iterator[tuple[str, Callable[[], None]]]:
    """Checks for optional capabilities, yielded only when the model declares them.

    The place for: an analytic Jacobian compared with finite differences of ``dfun``, and the
    fast engine compared with the stock ``Simulator``. Models of the plugin (subclasses of
    ``AbstractNextGenModel``) have analysis Jacobians from their ``dfun``.
    """
    from tvb_ngnmm.models._base import AbstractNextGenModel

    if issubclass(model_cls, AbstractNextGenModel):
        yield "jacobian", functools.partial(check_jacobian, model_cls)
    if has_engine_path(model_cls):
        yield "fast_engine_matches_stock", functools.partial(check_engine_matches_stock, model_cls)


def has_engine_path(model_cls: type) -> bool:
    """Whether the fast engine can run ``model_cls`` (registered equations or expressions)."""
    from tvb_ngnmm.engine.equations import engine_model
    from tvb_ngnmm.engine.errors import UnsupportedSimulationError

    try:
        engine_model(model_cls())
    except UnsupportedSimulationError:
        return False
    return True


def model_checks(
    model_cls: type, equations: Callable | None = None
) -> Iterator[tuple[str, Callable[[], None]]]:
    """The conformance checks for a model, one by one.

    Parameters
    ----------
    model_cls : type
        A subclass of :class:`tvb_ngnmm.models.AbstractNextGenModel`.
    equations : callable, optional
        An independent transcription of the model's equations for
        :func:`check_dfun_matches_equations`; without it that check is not yielded.

    Yields
    ------
    name : str
        The check's name, e.g. ``'runs_in_simulator[HeunStochastic]'``.
    check : callable
        Runs the check; raises ``AssertionError`` on failure.
    """
    yield "docs", functools.partial(check_docs, model_cls)
    yield "consistency", functools.partial(check_consistency, model_cls)
    yield "defaults_in_domain", functools.partial(check_defaults_in_domain, model_cls)
    yield "parameter_domains", functools.partial(check_parameter_domains, model_cls)
    yield "parameter_shapes", functools.partial(check_parameter_shapes, model_cls)
    yield "dfun_strings", functools.partial(check_dfun_strings, model_cls)
    if equations is not None:
        check = functools.partial(check_dfun_matches_equations, model_cls, equations)
        yield "dfun_matches_equations", check
    for integrator_cls in INTEGRATORS:
        check = functools.partial(check_runs_in_simulator, model_cls, integrator_cls)
        yield f"runs_in_simulator[{integrator_cls.__name__}]", check
    yield "boundaries", functools.partial(check_boundaries, model_cls)
    yield "stimulus", functools.partial(check_stimulus, model_cls)
    yield "per_region_parameters", functools.partial(check_per_region_parameters, model_cls)
    yield from _capability_checks(model_cls)


def check_model(model_cls: type, equations: Callable | None = None) -> None:
    """Run every conformance check on a model class.

    Parameters
    ----------
    model_cls : type
        A subclass of :class:`tvb_ngnmm.models.AbstractNextGenModel`.
    equations : callable, optional
        ``equations(state, coupling, **parameters)``: an independent transcription of the
        model's equations (see :func:`check_dfun_matches_equations`).

    Raises
    ------
    AssertionError
        At the first failing check, naming the check and what is wrong.
    """
    if not (inspect.isclass(model_cls) and issubclass(model_cls, Model)):
        raise TypeError(f"check_model expects a TVB Model class, but got {model_cls!r} instead.")
    for name, check in model_checks(model_cls, equations):
        try:
            check()
        except AssertionError as error:
            raise AssertionError(f"check {name!r} failed: {error}") from error


# --------------------------------------------------------------------------- couplings and monitors

#: Relative tolerance of engine runs against stock ``sim.run()`` in the coupling and monitor
#: checks, as in :func:`check_engine_matches_stock`: relative to each value, plus this times
#: the largest value of the output.
ENGINE_RTOL = 1e-5
#: Relative tolerance of the coupling values the engine computes against TVB's own, step by
#: step (:func:`check_coupling_values`), in the same form. Both sum float32 history values;
#: they differ by the grouping of the float32 additions (and TVB's package couplings sum in
#: float64), a few float32 ulps of the largest value.
COUPLING_RTOL = 1e-6


class CouplingProbe(Model):
    r"""A model that records the coupling it receives, for :func:`check_coupling_values`.

    Two coupling variables turn at the angular frequency :math:`\omega` (rad/ms); ``p`` and
    ``q`` integrate the first two coupling terms:

    .. math::

        \dot x = -\omega y, \qquad \dot y = \omega x, \qquad \dot p = c_0, \qquad \dot q = c_1

    From ``p = q = 0``, an Euler step of ``dt`` adds ``dt c`` exactly as TVB computed ``c``:
    the coupling of each step is the difference of successive samples over ``dt``. With one
    coupling variable ``c_1`` is ``c_0`` (as the engine reads coupling terms).
    """

    omega = NArray(
        label=r":math:`\omega`",
        default=np.array([1.0]),
        doc="Angular frequency (rad/ms) at which the coupling variables x and y turn.",
    )
    state_variable_range = Final(
        label="State variable ranges [lo, hi]",
        default={
            "x": np.array([-1.0, 1.0]),
            "y": np.array([-1.0, 1.0]),
            "p": np.array([0.0, 0.0]),
            "q": np.array([0.0, 0.0]),
        },
        doc="Initial values: x and y random, the integrals p and q zero.",
    )
    variables_of_interest = List(
        of=str,
        label="Variables watched by monitors",
        choices=("x", "y", "p", "q"),
        default=("x", "y", "p", "q"),
        doc="Every state variable.",
    )
    coupling_terms = Final(
        label="Coupling terms", default=["c_0", "c_1"], doc="The first two coupling rows."
    )
    state_variable_dfuns = Final(
        label="Drift functions",
        default={"x": "-omega * y", "y": "omega * x", "p": "c_0", "q": "c_1"},
        doc="The equations, for the fast engine.",
    )
    state_variables = ("x", "y", "p", "q")
    _nvar = 4
    cvar = np.array([0, 1], dtype=np.int32)

    def dfun(self, state_variables, coupling, local_coupling=0.0):
        """Time derivatives (per ms) of x, y, p, q."""
        x, y = state_variables[0], state_variables[1]
        c_0, c_1 = coupling[0], coupling[min(1, coupling.shape[0] - 1)]
        return np.array([-self.omega * y, self.omega * x, c_0, c_1])


def _coupling_examples() -> dict:
    """Parameters under which each coupling of the engine acts visibly on the checks' network
    (a class without an entry is checked with its defaults)."""
    from .coupling import Additive, Laplacian, MultiCoupling

    def one(value: float) -> np.ndarray:
        return np.array([value])

    return {
        tvb_coupling.Linear: lambda: tvb_coupling.Linear(a=one(0.3), b=one(0.05)),
        tvb_coupling.Scaling: lambda: tvb_coupling.Scaling(a=one(0.3)),
        tvb_coupling.Difference: lambda: tvb_coupling.Difference(a=one(0.3)),
        tvb_coupling.Sigmoidal: lambda: tvb_coupling.Sigmoidal(
            a=one(2.0), cmin=one(-1.0), cmax=one(1.0), midpoint=one(0.1), sigma=one(2.0)
        ),
        tvb_coupling.HyperbolicTangent: lambda: tvb_coupling.HyperbolicTangent(
            a=one(0.3), b=one(0.8), midpoint=one(0.1), sigma=one(0.2)
        ),
        tvb_coupling.Kuramoto: lambda: tvb_coupling.Kuramoto(a=one(0.5)),
        Laplacian: lambda: Laplacian(a=one(0.4), normalize="rw"),
        Additive: lambda: Additive(a=one(0.3), normalize="row"),
        MultiCoupling: lambda: MultiCoupling(
            couplings=[Laplacian(a=one(0.4), normalize="sym"), tvb_coupling.Linear(a=one(0.2))]
        ),
    }


def engine_couplings() -> tuple[type, ...]:
    """The coupling classes the engine's registry names (``tvb_ngnmm.engine.coupling.SUPPORTED``).

    Raises
    ------
    LookupError
        If the registry names a class that is neither TVB's nor the package's.
    """
    from . import coupling as package_couplings
    from .engine.coupling import SUPPORTED

    found = []
    for name in SUPPORTED:
        cls = getattr(package_couplings, name, None) or getattr(tvb_coupling, name, None)
        if cls is None:
            raise LookupError(
                f"The engine's registry names the coupling {name!r}, which is neither one of "
                "TVB's (tvb.simulator.coupling) nor one of the package's (tvb_ngnmm.coupling)."
            )
        found.append(cls)
    return tuple(found)


def example_coupling(coupling_cls: type) -> tvb_coupling.Coupling:
    """An instance of ``coupling_cls`` with the checks' example parameters, or its defaults."""
    make = _coupling_examples().get(coupling_cls, coupling_cls)
    return make()


def _parts(coupling) -> list:
    from .coupling import MultiCoupling

    return list(coupling.couplings) if isinstance(coupling, MultiCoupling) else [coupling]


def engine_runs_coupling(coupling) -> bool:
    """Whether the engine's dispatch (:func:`tvb_ngnmm.engine.coupling.reduce_coupling`)
    claims ``coupling``: TVB's nonlinear couplings by exact class, linear ones as
    :func:`~tvb_ngnmm.coupling.linear_form.linear_form` reduces them, a ``MultiCoupling`` of
    linear ones."""
    from .coupling import MultiCoupling
    from .coupling.linear_form import linear_form
    from .engine.coupling import NONLINEAR

    ring = np.ones((2, 2)) - np.eye(2)

    def linear(c) -> bool:
        return linear_form(c, ring) is not None

    if isinstance(coupling, MultiCoupling):
        return all(linear(part) for part in coupling.couplings)
    return type(coupling) in NONLINEAR or linear(coupling)


def _n_cvar(coupling) -> int:
    """Coupling variables the checks give a model for ``coupling`` (one per MultiCoupling part)."""
    from .coupling import MultiCoupling

    return len(coupling.couplings) if isinstance(coupling, MultiCoupling) else 2


def coupling_partner(coupling) -> tuple[Model, float]:
    """The TVB model a coupling is run with in :func:`check_coupling_matches_stock`, and the
    fraction of its state ranges the initial history is drawn from.

    ``SigmoidalJansenRit``: ``JansenRit`` (its ranges are narrowed: TVB's sigmoids overflow on
    the full ones); ``Kuramoto``: the ``Kuramoto`` model with frequencies 0.5–1.5 rad/ms; any
    other: ``MontbrioPazoRoxin`` oscillating, coupled through ``r`` and ``V`` (or
    ``Generic2dOscillator`` for a one-part ``MultiCoupling``).
    """
    from tvb.simulator.models import Generic2dOscillator, JansenRit, Kuramoto

    if isinstance(coupling, tvb_coupling.SigmoidalJansenRit):
        return JansenRit(), 0.01
    if isinstance(coupling, tvb_coupling.Kuramoto):
        return Kuramoto(omega=np.linspace(0.5, 1.5, N_REGIONS)), 1.0
    n_cvar = _n_cvar(coupling)
    if n_cvar == 1:
        return Generic2dOscillator(), 1.0
    if n_cvar != 2:
        raise _fail(type(coupling), f"no partner model with {n_cvar} coupling variables.")
    return _oscillating_mpr(cv=0.5), 1.0


def _oscillating_mpr(cv: float = 0.0) -> Model:
    from tvb.simulator.models import MontbrioPazoRoxin

    values = {"eta": -4.6, "J": 14.5, "Delta": 0.7, "cv": cv}
    return MontbrioPazoRoxin(**{name: np.array([v]) for name, v in values.items()})


def _engine_and_stock(sim: Simulator, length: float, chunk_steps: int | None = None):
    """The engine's output, then stock ``sim.run()``'s (the engine leaves ``sim`` as it was)."""
    from .backend import NumbaBackend

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


#: The networks of the coupling checks, by name: :func:`tiny_connectivity` with delays, without,
#: and with delays and self-connections (of zero delay).
COUPLING_NETWORKS = {
    "delays": {},
    "zero_delay": {"delays": False},
    "self_connections": {"self_connections": True},
}


def _coupled_simulator(model, coupling, integrator, network: str, spread: float = 1.0):
    return build_simulator(
        model,
        integrator,
        connectivity=tiny_connectivity(**COUPLING_NETWORKS[network]),
        coupling=copy.deepcopy(coupling),
        spread=spread,
    )


def _probe_simulator(coupling, network: str = "delays") -> Simulator:
    probe = CouplingProbe()
    probe.cvar = np.arange(_n_cvar(coupling), dtype=np.int32)
    return _coupled_simulator(probe, coupling, integrators.EulerDeterministic(dt=DT), network)


def _received(data: np.ndarray, n_cvar: int) -> np.ndarray:
    """The probe's coupling of each step ``(n_step, n_cvar, n_node)`` from its output (index
    ``(step - 1, coupling row, node)``)."""
    integral = data[:, 2 : 2 + n_cvar, :, 0]
    return np.diff(integral, axis=0, prepend=np.zeros_like(integral[:1])) / DT


def check_coupling_values(
    coupling, network: str = "delays", length: float = SIMULATION_LENGTH / 2
) -> float:
    """The engine's coupling equals TVB's own, step by step, on the same delayed history.

    :class:`CouplingProbe` on one of :data:`COUPLING_NETWORKS` (delays 1–4 ms; none; with
    self-connections) starts from a
    random history and records the coupling of every step in both simulators; they must agree
    within :data:`COUPLING_RTOL`, and the coupling must vary (otherwise the check could not
    fail). Returns the largest difference relative to the largest value.
    """
    n_cvar = _n_cvar(coupling)
    sim = _probe_simulator(coupling, network)
    ((_, fast),), ((_, stock),) = _engine_and_stock(sim, length)
    expected = _received(stock, n_cvar)
    if not np.ptp(expected[:, 0]) > 0:
        raise _fail(type(coupling), "the coupling is constant on the checks' network.")
    what = f"the coupling (network {network!r})"
    return _compare(type(coupling), what, _received(fast, n_cvar), expected, COUPLING_RTOL)


def check_coupling_matches_stock(
    coupling, network: str = "delays", length: float = SIMULATION_LENGTH
) -> float:
    """A deterministic Heun run of :func:`coupling_partner` with this coupling on the engine
    equals ``sim.run()`` (every state variable, within :data:`ENGINE_RTOL`)."""
    model, spread = coupling_partner(coupling)
    model.variables_of_interest = tuple(model.state_variables)
    integrator = integrators.HeunDeterministic(dt=DT)
    sim = _coupled_simulator(model, coupling, integrator, network, spread)
    fast, stock = _engine_and_stock(sim, length)
    return _compare_outputs(type(coupling), fast, stock)


def _array_parameters(coupling) -> list[str]:
    """Names of the coupling's numeric array parameters (its float ``NArray`` traits)."""
    cls = type(coupling)
    return [
        name
        for name in cls.declarative_attrs
        if isinstance(getattr(cls, name), NArray)
        and np.issubdtype(np.asarray(getattr(coupling, name)).dtype, np.floating)
    ]


def _engine_error(coupling) -> Exception | None:
    """The ``ValueError`` raised configuring a probe simulator with ``coupling`` or running the
    engine one step with it, or None."""
    from .backend import NumbaBackend

    try:
        NumbaBackend(progress=False).run_sim(_probe_simulator(coupling), simulation_length=DT)
    except ValueError as error:
        return error
    return None


def _with_part_parameter(coupling, index: int, name: str, value: np.ndarray):
    changed = copy.deepcopy(coupling)
    setattr(_parts(changed)[index], name, value)
    return changed


def check_coupling_per_region_parameters(coupling) -> None:
    """Per-region gains run as in TVB; parameters the engine takes one value of are refused.

    The package's couplings (``AbstractLinearCoupling``, also inside a ``MultiCoupling``)
    take a gain ``a`` per region: a heterogeneous one must pass
    :func:`check_coupling_values`. Every other array parameter given one value per region
    must be refused with ``UnsupportedSimulationError`` naming it (TVB's couplings broadcast
    such arrays over the wrong axis).
    """
    from .coupling._base import AbstractLinearCoupling
    from .engine.errors import UnsupportedSimulationError

    heterogeneous = copy.deepcopy(coupling)
    gains = [p for p in _parts(heterogeneous) if isinstance(p, AbstractLinearCoupling)]
    for part in gains:
        part.a = float(np.ravel(part.a)[0]) * np.linspace(0.5, 1.5, N_REGIONS)
    if gains:
        check_coupling_values(heterogeneous)
    for index, part in enumerate(_parts(coupling)):
        if isinstance(part, AbstractLinearCoupling):
            continue
        for name in _array_parameters(part):
            values = np.full(N_REGIONS, float(np.ravel(getattr(part, name))[0]))
            error = _engine_error(_with_part_parameter(coupling, index, name, values))
            if not isinstance(error, UnsupportedSimulationError) or f"'{name}'" not in str(error):
                raise _fail(
                    type(coupling),
                    f"{N_REGIONS} values of {type(part).__name__}.{name} were not refused with "
                    f"an UnsupportedSimulationError naming {name!r} (got {error!r}).",
                )


def check_coupling_non_finite_parameters(coupling) -> None:
    """NaN and infinite values of each parameter are refused before the first step.

    ``Simulator.configure()`` or the engine must raise ``ValueError`` naming the parameter
    and showing the value given.
    """
    for index, part in enumerate(_parts(coupling)):
        for name in _array_parameters(part):
            for bad in (math.nan, math.inf, -math.inf):
                error = _engine_error(_with_part_parameter(coupling, index, name, np.array([bad])))
                message = str(error)
                if error is None or f"'{name}'" not in message or repr(bad) not in message:
                    raise _fail(
                        type(coupling),
                        f"{type(part).__name__}.{name} = {bad!r} was not refused with an "
                        f"error naming {name!r} and {bad!r} (got {error!r}).",
                    )


def check_coupling_refused(coupling) -> None:
    """A coupling the engine does not run raises ``UnsupportedSimulationError`` naming it."""
    from .engine.errors import UnsupportedSimulationError

    error = _engine_error(coupling)
    names = {type(c).__name__ for c in [coupling, *_parts(coupling)]}
    if not isinstance(error, UnsupportedSimulationError):
        raise _fail(
            type(coupling),
            f"the engine does not claim it, but it raised {error!r} instead of an "
            "UnsupportedSimulationError.",
        )
    if not any(repr(name) in str(error) for name in names):
        raise _fail(type(coupling), f"the engine's refusal does not name it: {error}")


def _component(component, base: type, what: str, example: Callable):
    """``component`` if it is an instance of ``base``; ``example(component)`` if a subclass."""
    if inspect.isclass(component) and issubclass(component, base):
        return example(component)
    if isinstance(component, base):
        return component
    raise TypeError(
        f"{what} expects a TVB {base.__name__} instance or class, but got {component!r} instead."
    )


def coupling_checks(coupling) -> Iterator[tuple[str, Callable[[], object]]]:
    """The conformance checks for a coupling, one by one.

    Parameters
    ----------
    coupling : Coupling or type
        A TVB coupling (not yet configured), or a class, checked with
        :func:`example_coupling`'s parameters.

    Yields
    ------
    name : str
        The check's name, e.g. ``'coupling_values[zero_delay]'``.
    check : callable
        Runs the check; raises ``AssertionError`` on failure.
    """
    coupling = _component(coupling, tvb_coupling.Coupling, "check_coupling", example_coupling)
    if not engine_runs_coupling(coupling):
        yield "refused_by_engine", functools.partial(check_coupling_refused, coupling)
        return
    for network in COUPLING_NETWORKS:
        check = functools.partial(check_coupling_values, coupling, network)
        yield f"coupling_values[{network}]", check
    for network in ("delays", "zero_delay"):
        check = functools.partial(check_coupling_matches_stock, coupling, network)
        yield f"matches_stock[{network}]", check
    check = functools.partial(check_coupling_per_region_parameters, coupling)
    yield "per_region_parameters", check
    yield "non_finite_parameters", functools.partial(check_coupling_non_finite_parameters, coupling)


def _run_checks(checks) -> None:
    for name, check in checks:
        try:
            check()
        except AssertionError as error:
            raise AssertionError(f"check {name!r} failed: {error}") from error


def check_coupling(coupling) -> None:
    """Run every conformance check on a coupling.

    A coupling the engine runs (:func:`engine_runs_coupling`) must give TVB's coupling values
    and runs, with and without delays (the values also with self-connections), take per-region
    gains where it has them and refuse non-finite parameters; one it does not run must be
    refused naming it.

    Parameters
    ----------
    coupling : Coupling or type
        A TVB coupling instance (not yet configured), or a class (see :func:`coupling_checks`).

    Raises
    ------
    AssertionError
        At the first failing check, naming the check and what is wrong.
    """
    _run_checks(coupling_checks(coupling))


# --------------------------------------------------------------------------- monitors


def _sensors_and_gain(rng: np.random.Generator, n_sensor: int = 3):
    labels = np.array([f"S{i + 1}" for i in range(n_sensor)])
    locations = 3.0 * rng.normal(size=(n_sensor, 3))
    return labels, locations, rng.normal(size=(n_sensor, N_REGIONS))


def _tiny_projection(monitor_cls: type, seed: int = 0, **kwargs):
    """TVB's ``EEG``, ``MEG`` or ``iEEG`` for the checks' network: three sensors, a random
    region gain (``iEEG``: TVB's analytic dipole gain from the regions' centres and
    orientations) and a region mapping of one vertex per region."""
    from tvb.datatypes import projections, sensors
    from tvb.datatypes.region_mapping import RegionMapping

    labels, locations, gain = _sensors_and_gain(np.random.default_rng(seed))
    mapping = RegionMapping(array_data=np.arange(N_REGIONS))
    if monitor_cls is tvb_monitors.iEEG:
        found = sensors.SensorsInternal(labels=labels, locations=locations)
        return monitor_cls(sensors=found, region_mapping=mapping, **kwargs)
    if monitor_cls is tvb_monitors.MEG:
        orientations = np.random.default_rng(seed + 1).normal(size=locations.shape)
        found = sensors.SensorsMEG(labels=labels, locations=locations, orientations=orientations)
        projection = projections.ProjectionSurfaceMEG(projection_data=gain)
    else:
        found = sensors.SensorsEEG(labels=labels, locations=locations)
        projection = projections.ProjectionSurfaceEEG(projection_data=gain)
    return monitor_cls(sensors=found, projection=projection, region_mapping=mapping, **kwargs)


def _monitor_examples() -> dict:
    """Each engine monitor's TVB monitor, set up for the checks' network and a run of a few
    periods (a class without an entry is checked with its defaults)."""
    from .monitors import BalloonWindkesselBold, ForwardProjection

    period = 16 * DT
    gain = _sensors_and_gain(np.random.default_rng(2))[2]
    return {
        tvb_monitors.SubSample: lambda: tvb_monitors.SubSample(period=period),
        tvb_monitors.TemporalAverage: lambda: tvb_monitors.TemporalAverage(period=period),
        tvb_monitors.Bold: lambda: tvb_monitors.Bold(period=8.0, hrf_length=32.0),
        tvb_monitors.EEG: lambda: _tiny_projection(
            tvb_monitors.EEG, period=period, reference="average"
        ),
        tvb_monitors.MEG: lambda: _tiny_projection(tvb_monitors.MEG, period=period),
        tvb_monitors.iEEG: lambda: _tiny_projection(tvb_monitors.iEEG, period=period),
        BalloonWindkesselBold: lambda: BalloonWindkesselBold(
            period=2.0, hemodynamic_step=0.5, gain=10.0
        ),
        ForwardProjection: lambda: ForwardProjection(gain=gain, period=period, reference="EEG002"),
    }


def engine_monitors() -> tuple[type, ...]:
    """The TVB monitor classes with an engine monitor registered
    (:func:`tvb_ngnmm.monitors.register_engine_monitor`), sorted by name."""
    from .monitors._base import _ENGINE_MONITORS

    return tuple(sorted(_ENGINE_MONITORS, key=lambda cls: cls.__name__))


def example_monitor(monitor_cls: type) -> tvb_monitors.Monitor:
    """An instance of ``monitor_cls`` set up for the checks' network, or its defaults."""
    make = _monitor_examples().get(monitor_cls, monitor_cls)
    return make()


def _monitor_length(monitor) -> float:
    """Three periods (ms), at least 1 ms."""
    return max(3.0 * float(monitor.period), 1.0)


def _fresh(monitor):
    """A shallow copy of ``monitor`` without what ``config_for_sim`` set (its private
    attributes): TVB's projections configure a monitor only once."""
    fresh = copy.copy(monitor)
    for name in [name for name in vars(fresh) if name.startswith("_")]:
        delattr(fresh, name)
    return fresh


def _monitored_simulator(monitor) -> Simulator:
    """The oscillating ``MontbrioPazoRoxin`` on the checks' network, Heun at :data:`DT`,
    with a fresh copy of ``monitor``."""
    integrator = integrators.HeunDeterministic(dt=DT)
    return build_simulator(_oscillating_mpr(), integrator, monitors=[_fresh(monitor)])


def check_monitor_matches_stock(monitor) -> float:
    """The engine's samples equal ``sim.run()``'s: the same times, shapes and values (within
    :data:`ENGINE_RTOL`), over a run of three periods and over a run continued from a stock
    run that ended inside a period. Returns the largest difference relative to the largest
    value."""
    length = _monitor_length(monitor)
    sim = _monitored_simulator(monitor)
    fast, stock = _engine_and_stock(sim, length)
    if len(stock[0][0]) < 2 or not np.ptp(stock[0][1]) > 0:
        raise _fail(type(monitor), "fewer than two samples, or constant ones, to compare.")
    worst = _compare_outputs(type(monitor), fast, stock)
    sim = _monitored_simulator(monitor)
    sim.run(simulation_length=1.5 * float(sim.monitors[0].period))
    fast, stock = _engine_and_stock(sim, length)
    return max(worst, _compare_outputs(type(monitor), fast, stock))


def _with_period(monitor, period: float):
    changed = _fresh(monitor)
    changed.period = period
    return changed


def _period_error(monitor, period: float) -> Exception | None:
    """The ``ValueError`` configuring, or running the engine one step, with ``period``."""
    from .backend import NumbaBackend

    try:
        NumbaBackend(progress=False).run_sim(
            _monitored_simulator(_with_period(monitor, period)), DT
        )
    except ValueError as error:
        return error
    return None


def check_monitor_periods(monitor) -> None:
    """Periods that are not a whole number of steps behave as documented in
    :mod:`tvb_ngnmm.engine.checks`.

    A period of ``k + 3/8`` steps is refused at ``sim.configure()`` with a ``ValueError``
    naming ``'period'``, or runs as in TVB with a ``RuntimeWarning`` that it is not a multiple
    of dt; a period of 3/4 of a step (TVB samples every step) is refused before the first step
    with a ``ValueError`` naming ``'period'``. ``Raw`` has no period of its own.
    """
    if type(monitor) is tvb_monitors.Raw:
        return
    owner = type(monitor)
    fraction = _with_period(monitor, float(monitor.period) + 0.375 * DT)
    try:
        sim = _monitored_simulator(fraction)
    except ValueError as error:
        if "'period'" not in str(error):
            message = f"the error for a fractional period does not name it: {error}"
            raise _fail(owner, message) from error
    else:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            fast, stock = _engine_and_stock(sim, _monitor_length(fraction))
        said = [str(w.message) for w in caught if issubclass(w.category, RuntimeWarning)]
        if not any("not a multiple of dt" in message for message in said):
            raise _fail(owner, f"a period of {fraction.period:g} ms ran without a warning.")
        _compare_outputs(owner, fast, stock)
    error = _period_error(monitor, 0.75 * DT)
    if error is None or "'period'" not in str(error):
        raise _fail(owner, f"a period of 0.75 dt was not refused naming 'period' ({error!r}).")


def _consume_in_chunks(engine_monitor, steps, obs, bounds) -> tuple[np.ndarray, np.ndarray]:
    cuts = zip(bounds[:-1], bounds[1:], strict=True)
    pieces = [engine_monitor.consume(steps[a:b], obs[a:b]) for a, b in cuts]
    return np.concatenate([t for t, _ in pieces]), np.concatenate([d for _, d in pieces])


def check_engine_monitor_contract(monitor, batch: int = 2, seed: int = 0) -> None:
    """The registered engine monitor keeps the contract of
    :class:`tvb_ngnmm.monitors.AbstractEngineMonitor`.

    Built from the configured monitor and the engine's reading of the simulator, fed random
    observed states of three periods: ``space`` is ``'region'`` (labels the regions') or
    ``'sensor'``; ``consume`` returns increasing times and data shaped ``(n_sample,
    *sample_shape, batch)``; the same steps cut into random chunks give the same samples
    (chunk independence); and each batch member equals a run of that member alone.
    """
    from .engine.spec import extract
    from .monitors import AbstractEngineMonitor, engine_monitor_class

    owner = type(monitor)
    sim = _monitored_simulator(monitor)
    configured = sim.monitors[0]
    engine_cls = engine_monitor_class(configured)
    if engine_cls is None or not issubclass(engine_cls, AbstractEngineMonitor):
        raise _fail(owner, f"no AbstractEngineMonitor is registered for it ({engine_cls!r}).")
    spec = extract(sim)
    n_steps = round(_monitor_length(monitor) / DT)
    steps = spec.current_step + 1 + np.arange(n_steps)
    rng = np.random.default_rng(seed)
    obs = rng.uniform(0.0, 1.0, (n_steps, len(spec.observed), len(spec.labels), batch))
    whole = engine_cls(configured, spec, batch)
    times, data = whole.consume(steps, obs)
    n_var, n_space = whole.sample_shape
    checks = [
        (whole.space in ("region", "sensor"), f"space = {whole.space!r}"),
        (len(whole.space_labels) == n_space, "space_labels do not match sample_shape"),
        (len(whole.variable_names) == n_var, "variable_names do not match sample_shape"),
        (whole.space != "region" or tuple(whole.space_labels) == spec.labels, "region labels"),
        (data.shape == (len(times), n_var, n_space, batch), f"data shaped {data.shape}"),
        (len(times) > 1 and np.all(np.diff(times) > 0), "times not increasing"),
    ]
    for ok, message in checks:
        if not ok:
            raise _fail(owner, f"{engine_cls.__name__} breaks the contract: {message}.")
    bounds = np.unique(np.r_[0, np.cumsum(rng.integers(1, 40, n_steps)), n_steps])
    bounds = bounds[bounds <= n_steps]
    parts = [(_consume_in_chunks(engine_cls(configured, spec, batch), steps, obs, bounds), "")]
    parts += [
        (engine_cls(configured, spec, 1).consume(steps, obs[..., b : b + 1]), f" member {b}")
        for b in range(batch)
    ]
    for (t, d), member in parts:
        expected = data[..., int(member[-1]) : int(member[-1]) + 1] if member else data
        what = f"batch{member} alone" if member else "cut into chunks"
        if not np.array_equal(t, times):
            raise _fail(owner, f"{engine_cls.__name__} gives other times {what}.")
        if not np.allclose(d, expected, rtol=1e-12, atol=1e-12 * np.abs(data).max()):
            raise _fail(owner, f"{engine_cls.__name__} gives other samples {what}.")


def check_monitor_refused(monitor) -> None:
    """A monitor without a registered engine monitor raises ``UnsupportedSimulationError``
    naming it."""
    from .backend import NumbaBackend
    from .engine.errors import UnsupportedSimulationError

    name = type(monitor).__name__
    try:
        NumbaBackend(progress=False).run_sim(_monitored_simulator(monitor), DT)
    except UnsupportedSimulationError as error:
        if repr(name) not in str(error):
            message = f"the engine's refusal does not name it: {error}"
            raise _fail(type(monitor), message) from error
    else:
        raise _fail(type(monitor), "the engine ran it without a registered engine monitor.")


def monitor_checks(monitor) -> Iterator[tuple[str, Callable[[], object]]]:
    """The conformance checks for a monitor, one by one.

    Parameters
    ----------
    monitor : Monitor or type
        A TVB monitor (not yet configured) for a network of :data:`N_REGIONS` regions, or a
        class, checked as :func:`example_monitor` sets it up.

    Yields
    ------
    name : str
        The check's name, e.g. ``'matches_stock'``.
    check : callable
        Runs the check; raises ``AssertionError`` on failure.
    """
    from .monitors import engine_monitor_class

    monitor = _component(monitor, tvb_monitors.Monitor, "check_monitor", example_monitor)
    if engine_monitor_class(monitor) is None:
        yield "refused_by_engine", functools.partial(check_monitor_refused, monitor)
        return
    yield "matches_stock", functools.partial(check_monitor_matches_stock, monitor)
    yield "periods", functools.partial(check_monitor_periods, monitor)
    yield "engine_monitor_contract", functools.partial(check_engine_monitor_contract, monitor)


def check_monitor(monitor) -> None:
    """Run every conformance check on a monitor.

    A monitor the engine runs must sample as stock TVB does (times, shapes, values, also in a
    continued run), treat periods that are not a whole number of steps as documented, and its
    engine monitor must keep the :class:`~tvb_ngnmm.monitors.AbstractEngineMonitor` contract
    (chunk and batch independence); one it does not run must be refused naming it.

    Parameters
    ----------
    monitor : Monitor or type
        A TVB monitor instance (not yet configured), or a class (see :func:`monitor_checks`).

    Raises
    ------
    AssertionError
        At the first failing check, naming the check and what is wrong.
    """
    _run_checks(monitor_checks(monitor))
