"""The conformance suite of a neural mass model: :func:`check_model`, :func:`model_checks`."""

from __future__ import annotations

import functools
import inspect
import math
from collections.abc import Callable, Iterator

import numexpr
import numpy as np
from tvb.datatypes import equations as tvb_equations
from tvb.datatypes import patterns
from tvb.datatypes.connectivity import Connectivity
from tvb.simulator import integrators
from tvb.simulator.models.base import Model

from tvb_ngnmm.backend import NumbaBackend
from tvb_ngnmm.engine.continuation import unchanged
from tvb_ngnmm.engine.equations import engine_model
from tvb_ngnmm.engine.errors import UnsupportedSimulationError
from tvb_ngnmm.models import AbstractNextGenModel
from tvb_ngnmm.stability.jacobian import VectorField

from ..engine.equations import expression_text
from ._common import (
    BIG_NOISE_NSIG,
    DT,
    INTEGRATORS,
    N_REGIONS,
    SIMULATION_LENGTH,
    _fail,
    _make_integrator,
    _nearby_parameters,
    _parameter_defaults,
    _run,
    build_simulator,
    random_parameters,
    random_state,
    tiny_connectivity,
)

# --------------------------------------------------------------------------- static checks


def check_docs(model_cls: type) -> None:
    """The class docstring has the equations, and every trait has a label and a doc.

    Parameters
    ----------
    model_cls : type
        The model class (a subclass of TVB's ``Model``).
    """
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
    """State variables, monitors' choices, coupling and stimulus indices, ranges agree.

    Parameters
    ----------
    model_cls : type
        The model class; it is instantiated with its defaults.
    """
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
    """Default parameter values, and the traits' ranges, lie in the parameters' domains.

    Parameters
    ----------
    model_cls : type
        The model class, with a ``parameter_domains`` mapping.
    """
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

    Parameters
    ----------
    model_cls : type
        The model class, with a ``parameter_domains`` mapping.
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
    """A per-region parameter array of the wrong length raises at ``Simulator.configure()``.

    Parameters
    ----------
    model_cls : type
        The model class; each parameter is given one value more than the network's regions.
    """
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

    Parameters
    ----------
    model_cls : type
        The model class.
    seed : int
        Seed of the random states, couplings and parameter values.
    """
    model, state, coupling_values, parameters = _random_point(model_cls, seed)
    expected = model.dfun(state, coupling_values)
    namespace = {"pi": np.pi, **parameters}
    namespace.update(zip(model.state_variables, state, strict=True))
    namespace.update(zip(model.coupling_terms, coupling_values, strict=True))
    for index, sv in enumerate(model.state_variables):
        expression = expression_text(model.state_variable_dfuns[sv])
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

    Parameters
    ----------
    model_cls : type
        The model class.
    integrator_cls : type
        A TVB integrator class (e.g. ``HeunDeterministic``), built with the checks' time step.
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

    Parameters
    ----------
    model_cls : type
        The model class.
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

    Parameters
    ----------
    model_cls : type
        The model class.
    onset : float
        Time of the first pulse (ms).
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

    Parameters
    ----------
    model_cls : type
        The model class.
    seed : int
        Seed of the random parameter values.
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

    Parameters
    ----------
    model_cls : type
        The model class (a subclass of ``AbstractNextGenModel``).
    seed : int
        Seed of the random states, couplings and parameter values.
    n_point : int
        Number of random points compared.
    """
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

    Parameters
    ----------
    model_cls : type
        The model class, run with its defaults.
    length : float
        Simulation length (ms).
    rtol : float
        Relative tolerance.

    Raises
    ------
    AssertionError
        If times differ or values differ beyond the tolerance.
    """
    sim = build_simulator(model_cls(), integrators.HeunDeterministic(dt=0.01))
    with unchanged(sim):  # stock then runs from the same start
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
    if issubclass(model_cls, AbstractNextGenModel):
        yield "jacobian", functools.partial(check_jacobian, model_cls)
    if has_engine_path(model_cls):
        yield "fast_engine_matches_stock", functools.partial(check_engine_matches_stock, model_cls)


def has_engine_path(model_cls: type) -> bool:
    """Whether the fast engine can run ``model_cls`` (registered equations or expressions).

    Parameters
    ----------
    model_cls : type
        The model class, instantiated with its defaults.
    """
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
