"""TVB's observation expressions on the engine: the Epileptors with their defaults (``'x2 - x1'``
among the variables of interest) against stock ``sim.run()``, with every kind of monitor and in
``run_batch``; an expression evaluated on block sums (linear) or at every step (any other);
bad expressions named before the first step.

Comparisons run the engine first (the simulator put back after it), then stock ``sim.run()``
on the same simulator, to the common suite's tolerance (``TVB_MODEL_RTOL``, relative to each
value plus that times the largest value of the output); stochastic runs replay the simulator's
own noise stream (``seed=None``).
"""

import numpy as np
import pytest
from test_common import TVB_MODEL_NSIG, TVB_MODEL_RTOL
from tvb.basic.neotraits.api import List
from tvb.simulator import coupling as tvb_coupling
from tvb.simulator import integrators, monitors, noise
from tvb.simulator.models import (
    Epileptor,
    EpileptorRestingState,
    Generic2dOscillator,
    WilsonCowan,
)
from tvb.simulator.simulator import Simulator

from tvb_ngnmm.backend import NumbaBackend
from tvb_ngnmm.engine.batch import run_batch
from tvb_ngnmm.engine.continuation import unchanged
from tvb_ngnmm.engine.errors import UnsupportedSimulationError
from tvb_ngnmm.engine.monitors import make_monitors
from tvb_ngnmm.engine.observation import observation_of
from tvb_ngnmm.engine.runner import summed_monitor
from tvb_ngnmm.engine.spec import extract
from tvb_ngnmm.models import register_model, unregister_model
from tvb_ngnmm.models.tvb_models.oscillator import generic_2d_oscillator_equations
from tvb_ngnmm.monitors import BalloonWindkesselBold
from tvb_ngnmm.testing import build_simulator

EPILEPTORS = [Epileptor, EpileptorRestingState]
#: TVB's default integration step (ms), the Simulator's default integrator's.
DEFAULT_DT = integrators.HeunDeterministic().dt


def integrator(stochastic, dt=DEFAULT_DT):
    """Heun at ``dt``; stochastic: additive noise on every state variable, seeded."""
    if not stochastic:
        return integrators.HeunDeterministic(dt=dt)
    additive = noise.Additive(nsig=np.array([TVB_MODEL_NSIG]), noise_seed=42)
    return integrators.HeunStochastic(dt=dt, noise=additive)


def assert_matches_stock(sim, length, chunk_steps=None):
    """Engine then stock, every monitor within the tolerance; (max |diff|, max |diff| / max
    |stock|) over the monitors."""
    with unchanged(sim):
        fast = NumbaBackend(progress=False, chunk_steps=chunk_steps).run_sim(sim, length)
    with np.errstate(over="ignore"):
        stock = sim.run(simulation_length=length)
    assert len(fast) == len(stock)
    worst_abs = worst_rel = 0.0
    for (t, y), (t_stock, y_stock) in zip(fast, stock, strict=True):
        np.testing.assert_array_equal(t, t_stock)
        assert y.shape == y_stock.shape and len(t) > 1
        assert np.isfinite(y_stock).all() and np.ptp(y_stock[:, 0]) > 0  # the first voi moves
        scale = np.abs(y_stock).max()
        np.testing.assert_allclose(y, y_stock, rtol=TVB_MODEL_RTOL, atol=TVB_MODEL_RTOL * scale)
        worst_abs = max(worst_abs, float(np.abs(y - y_stock).max()))
        worst_rel = max(worst_rel, float(np.abs(y - y_stock).max() / scale))
    return worst_abs, worst_rel


# --- the Epileptors with their defaults ---------------------------------------------------------


@pytest.mark.parametrize("chunk_steps", [None, 37])  # 37: chunks that split averaging blocks
@pytest.mark.parametrize("stochastic", [False, True], ids=["deterministic", "stochastic"])
@pytest.mark.parametrize("model_cls", EPILEPTORS, ids=lambda c: c.__name__)
def test_epileptors_with_their_default_observation_and_monitor_match_stock(
    model_cls, stochastic, chunk_steps
):
    """TVB's defaults: the model's variables of interest (``'x2 - x1'`` first) and the
    Simulator's default monitor, ``TemporalAverage`` (whose block sums the kernel forms)."""
    model = model_cls()
    assert model.variables_of_interest[0] == "x2 - x1"
    (default_monitor,) = Simulator.monitors.default
    sim = build_simulator(model, integrator(stochastic), monitors=[type(default_monitor)()])
    spec = extract(sim)
    assert summed_monitor(make_monitors(sim, spec), spec.observation) is not None
    assert_matches_stock(sim, 20.0, chunk_steps)


@pytest.mark.parametrize("stochastic", [False, True], ids=["deterministic", "stochastic"])
@pytest.mark.parametrize("model_cls", EPILEPTORS, ids=lambda c: c.__name__)
def test_epileptors_observed_by_several_monitors_match_stock(model_cls, stochastic):
    """Several monitors: the expression evaluated at every step, then sampled or averaged."""
    periods = 41 * DEFAULT_DT, 160 * DEFAULT_DT
    mons = [
        monitors.Raw(),
        monitors.SubSample(period=periods[0]),
        monitors.TemporalAverage(period=periods[1]),
    ]
    sim = build_simulator(model_cls(), integrator(stochastic), monitors=mons)
    assert_matches_stock(sim, 20.0, chunk_steps=37)


@pytest.mark.parametrize(
    "bold",
    [
        lambda: monitors.Bold(period=20.0, hrf_length=200.0),
        lambda: BalloonWindkesselBold(variable="x2 - x1", period=50.0),
    ],
    ids=["Bold", "BalloonWindkesselBold"],
)
@pytest.mark.parametrize("model_cls", EPILEPTORS, ids=lambda c: c.__name__)
def test_epileptors_bold_of_the_expression_matches_stock(model_cls, bold):
    sim = build_simulator(model_cls(), integrator(False, dt=0.1), monitors=[bold()])
    assert_matches_stock(sim, 400.0, chunk_steps=333)


@pytest.mark.parametrize("stochastic", [False, True], ids=["deterministic", "stochastic"])
@pytest.mark.parametrize("model_cls", EPILEPTORS, ids=lambda c: c.__name__)
def test_coupled_epileptors_observed_by_their_defaults_match_stock(model_cls, stochastic):
    """Non-zero coupling gains (the defaults are 0) through TVB's ``Difference`` coupling."""
    gains = {"Kvf": np.array([0.1]), "Ks": np.array([-0.2]), "Kf": np.array([0.1])}
    mons = [monitors.TemporalAverage()]
    coupling = tvb_coupling.Difference(a=np.array([1.0]))
    model = model_cls(**gains)
    sim = build_simulator(model, integrator(stochastic), monitors=mons, coupling=coupling)
    assert_matches_stock(sim, 20.0)


def test_a_continued_run_averages_the_expression_as_stock_continues():
    """Stock runs stop inside an averaging block: TVB's monitor holds its part of the block
    (the expression's values); the engine continues that block with the sums of its state."""
    sims = [
        build_simulator(Epileptor(), integrator(False), monitors=[monitors.TemporalAverage()])
        for _ in range(2)
    ]
    for sim in sims:
        sim.run(simulation_length=10.3)
    assert sims[0].current_step % sims[0].monitors[0].istep != 0
    fast = NumbaBackend(progress=False, chunk_steps=50).run_sim(sims[0], 10.0)
    stock = sims[1].run(simulation_length=10.0)
    ((t, y),), ((t_stock, y_stock),) = fast, stock
    np.testing.assert_array_equal(t, t_stock)
    scale = np.abs(y_stock).max()
    np.testing.assert_allclose(y, y_stock, rtol=TVB_MODEL_RTOL, atol=TVB_MODEL_RTOL * scale)


@pytest.mark.parametrize("stochastic", [False, True], ids=["deterministic", "stochastic"])
@pytest.mark.parametrize("model_cls", EPILEPTORS, ids=lambda c: c.__name__)
def test_epileptor_batch_members_match_stock(model_cls, stochastic):
    """``run_batch`` over ``x0`` (without a seed: every member replays the simulator's noise)
    labels the expression and gives each member's stock run."""
    x0 = np.array([-1.6, -2.2])
    mons = [monitors.TemporalAverage()]
    sim = build_simulator(model_cls(), integrator(stochastic), monitors=mons)
    (result,) = run_batch(sim, {"x0": x0}, simulation_length=20.0, n_jobs=1)
    assert list(result.state_variable.values) == list(model_cls().variables_of_interest)
    for b, value in enumerate(x0):
        model = model_cls(x0=np.array([value]))
        alone = build_simulator(
            model, integrator(stochastic), monitors=[monitors.TemporalAverage()]
        )
        ((t, y_stock),) = alone.run(simulation_length=20.0)
        np.testing.assert_array_equal(result.time.values, t)
        scale = np.abs(y_stock).max()
        np.testing.assert_allclose(
            result.values[b], y_stock[..., 0], rtol=TVB_MODEL_RTOL, atol=TVB_MODEL_RTOL * scale
        )
    assert not np.allclose(result.values[0], result.values[1])  # x0 matters


# --- expressions: evaluated as TVB does, on sums only when linear ------------------------------


@pytest.mark.parametrize(
    "model_cls", [Epileptor, EpileptorRestingState, Generic2dOscillator, WilsonCowan]
)
def test_every_offered_expression_evaluates_as_tvbs_observer(model_cls):
    """The stock models' expressions (all offered choices) give exactly ``model.observe``."""
    model = model_cls()
    model.variables_of_interest = tuple(type(model).variables_of_interest.element_choices)
    model.configure()
    state = np.random.default_rng(0).normal(size=(len(model.state_variables), 6, 1))
    observation = observation_of(model.state_variables, model.variables_of_interest)
    got = observation.evaluate(state[observation.recorded][np.newaxis])[0]
    np.testing.assert_array_equal(got, model.observe(state))
    assert observation.linear  # TVB's stock expressions are all sums and differences


@pytest.mark.parametrize(
    ("expression", "linear"),
    [
        ("x2 - x1", True),
        ("-x1", True),
        ("2.0 * x1 - x2 / 3", True),
        ("numpy.pi * (x1 + x2)", True),
        ("x1 * numpy.exp(2.0)", True),
        ("x1 + 1.0", False),  # a constant term does not commute with a sum over steps
        ("x1 * x2", False),
        ("x1 ** 2", False),
        ("numpy.exp(x1)", False),
        ("1.0 / x1", False),
    ],
)
def test_an_expression_is_summed_only_when_linear_in_the_state(expression, linear):
    observation = observation_of(("x1", "x2"), (expression,))
    assert observation.linear is linear
    rng = np.random.default_rng(1)
    steps = rng.uniform(0.5, 1.5, (10, 2, 3))
    per_step = observation.evaluate(steps).sum(axis=0)
    on_sums = observation.evaluate(steps.sum(axis=0, keepdims=True))[0]
    assert np.allclose(per_step, on_sums, rtol=1e-13, atol=0.0) is linear


class ObservedOscillator(Generic2dOscillator):
    """TVB's ``Generic2dOscillator`` offering nonlinear and bad variables of interest."""

    variables_of_interest = List(
        of=str,
        label="Variables watched by Monitors",
        choices=("V", "W", "V - W", "V ** 2", "numpy.tanh(V) * W", "2.0 * V + 1.0",
                 "V + q", "V[0]", "numpy.sum(V)", "abs(V)", "numpy.arctan2(V)", "1.0"),
        default=("V", "V ** 2", "numpy.tanh(V) * W", "2.0 * V + 1.0", "V - W"),
    )  # fmt: skip


@pytest.fixture
def oscillator():
    register_model(ObservedOscillator, equations=generic_2d_oscillator_equations)
    yield ObservedOscillator
    unregister_model(ObservedOscillator)


@pytest.mark.parametrize("chunk_steps", [None, 37])
def test_nonlinear_expressions_are_averaged_step_by_step_as_stock(oscillator, chunk_steps):
    average = monitors.TemporalAverage(period=1.0)
    sim = build_simulator(oscillator(), integrator(False, dt=0.05), monitors=[average])
    spec = extract(sim)
    assert summed_monitor(make_monitors(sim, spec), spec.observation) is None
    assert_matches_stock(sim, 40.0, chunk_steps)


def test_a_linear_expression_of_a_users_model_is_summed_and_matches_stock(oscillator):
    model = oscillator(variables_of_interest=("V - W", "W"))
    average = monitors.TemporalAverage(period=1.0)
    sim = build_simulator(model, integrator(True, dt=0.05), monitors=[average])
    spec = extract(sim)
    assert summed_monitor(make_monitors(sim, spec), spec.observation) is not None
    assert_matches_stock(sim, 40.0, chunk_steps=37)


# --- bad input ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expression", "error", "match"),
    [
        ("V + q", ValueError, r"'variables_of_interest' .* ObservedOscillator\. Allowed are its "
         r"state variables \('V', 'W'\) and expressions .* but got 'V \+ q' \(unknown name 'q'\)"),
        ("V[0]", UnsupportedSimulationError, r"but got 'V\[0\]' \(the engine does not evaluate "),
        ("numpy.sum(V)", UnsupportedSimulationError,
         r"'numpy.sum\(V\)' .*'numpy.sum' \(not one of NumPy's elementwise functions\)"),
        ("abs(V)", UnsupportedSimulationError, r"'abs\(V\)' \(calls of NumPy's elementwise"),
        ("numpy.arctan2(V)", ValueError, r"Allowed are expressions giving one value per region "
         r"\(shape \(4,\)\) at the initial state, but got 'numpy.arctan2\(V\)', which fails: "
         r"TypeError"),
        ("1.0", ValueError, r"but got '1.0', which gives shape \(\)"),
    ],
)  # fmt: skip
def test_a_bad_expression_is_named_before_the_first_step(oscillator, expression, error, match):
    model = oscillator(variables_of_interest=("V", expression))
    sim = build_simulator(model, integrator(False, dt=0.05))
    with pytest.raises(error, match=match):
        NumbaBackend(progress=False).run_sim(sim, simulation_length=1.0)


def test_an_expression_that_is_not_python_is_named():
    with pytest.raises(ValueError, match=r"of Foo\. Allowed are .* but got 'x \+' \(invalid"):
        observation_of(("x",), ("x +",), owner="Foo")
