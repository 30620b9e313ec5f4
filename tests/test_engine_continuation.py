"""A second ``run_sim`` continues the simulation, as a second ``sim.run()`` does.

``run_sim`` leaves the simulator where ``sim.run()`` leaves it (step, state, history, noise
stream, the monitors' own state), so that engine and stock runs mixed in any order give what
stock runs alone give: the engine's pieces equal its one longer run bit for bit, and stock TVB
within the agreement tests' tolerance (the engine sums the delayed coupling in another order).
Each case starts from the same simulator, put back between runs by
:func:`tvb_ngnmm.engine.continuation.unchanged`.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_engine_agreement import RTOL, small_connectivity
from test_engine_couplings import make_sim as make_coupled_sim
from tvb.datatypes import equations, patterns
from tvb.simulator import coupling as tvb_coupling
from tvb.simulator import integrators, monitors, noise
from tvb.simulator.models import JansenRit
from tvb.simulator.simulator import Simulator

from tvb_ngnmm.backend import NumbaBackend
from tvb_ngnmm.engine.batch import run_batch
from tvb_ngnmm.engine.continuation import unchanged
from tvb_ngnmm.engine.errors import SimulationBlowUpError
from tvb_ngnmm.models import NextGenEI
from tvb_ngnmm.monitors import BalloonWindkesselBold, ForwardProjection

DT = 0.05
N_NODE = 3


def monitor_set(name):
    """Monitors keeping nothing (Raw), a block under way (TemporalAverage, period not a
    multiple of the cuts), a ring and interim stock (Bold), a running sum (ForwardProjection),
    a haemodynamic state (Balloon-Windkessel); the lone averaging monitor is summed by the
    kernel, the pair is fed every step."""
    rng = np.random.default_rng(5)
    return {
        "Raw+TemporalAverage": lambda: [monitors.Raw(), monitors.TemporalAverage(period=0.35)],
        "TemporalAverage": lambda: [monitors.TemporalAverage(period=0.35)],
        "SubSample+Bold": lambda: [monitors.SubSample(period=0.3), monitors.Bold(period=6.0)],
        "ForwardProjection": lambda: [
            ForwardProjection(gain=rng.normal(size=(4, N_NODE)), period=0.45)
        ],
        "BalloonWindkesselBold": lambda: [
            BalloonWindkesselBold(period=3.0, hemodynamic_step=0.25, gain=20.0)
        ],
    }[name]()


def make_sim(mons="Raw+TemporalAverage", stochastic=False, stimulus=False):
    """A configured 3-node NextGenEI network with delays and a seeded initial history (and a
    pulse train into two regions)."""
    conn = small_connectivity(N_NODE, seed=2)
    conn.configure()
    conn.set_idelays(DT)
    model = NextGenEI(I_e=np.array([15.0]))
    rng = np.random.default_rng(4)
    shape = (conn.horizon, len(model.state_variables), N_NODE, 1)
    ranges = np.array([model.state_variable_range[v] for v in model.state_variables])
    history = ranges[:, :1, None] + np.ptp(ranges, axis=1)[:, None, None] * rng.uniform(size=shape)
    if stochastic:
        nsig = np.array([0.0, 1e-4, 0.0, 0.0, 1e-4, 0.0])  # on the membrane potentials
        additive = noise.Additive(nsig=nsig, noise_seed=11)
        integrator = integrators.HeunStochastic(dt=DT, noise=additive)
    else:
        integrator = integrators.HeunDeterministic(dt=DT)
    if stimulus:
        pulses = equations.PulseTrain(parameters={"onset": 1.0, "T": 3.0, "tau": 1.0, "amp": 2.0})
        stimulus = patterns.StimuliRegion(temporal=pulses, connectivity=conn,
                                          weight=np.array([1.0, 0.0, 0.5]))  # fmt: skip
    sim = Simulator(model=model, connectivity=conn, coupling=tvb_coupling.Linear(a=np.array([0.3])),
                    integrator=integrator, monitors=monitor_set(mons), stimulus=stimulus or None,
                    initial_conditions=history)  # fmt: skip
    return sim.configure()


def ms(steps):
    """A length (ms) of ``steps`` steps: ``ceil(length / dt)`` is ``steps`` whatever the
    rounding of the product."""
    return (steps - 0.5) * DT


def engine(sim, length, **kwargs):
    return NumbaBackend(progress=False).run_sim(sim, length, **kwargs)


def chunked(sim, length, **kwargs):
    """run_sim in chunks of 37 steps (only the chunks of the last delay horizon keep the
    coupling variables of a ring of pre channels)."""
    return NumbaBackend(progress=False, chunk_steps=37).run_sim(sim, length, **kwargs)


def stock(sim, length, **kwargs):
    return sim.run(simulation_length=length)


def in_pieces(sim, runners, lengths, **kwargs):
    """The outputs of runs of ``lengths`` (ms) by ``runners`` one after the other, joined."""
    pieces = [run(sim, length, **kwargs) for run, length in zip(runners, lengths, strict=True)]
    joined = []
    for m in range(len(sim.monitors)):
        kept = [piece[m] for piece in pieces if len(piece[m][0])]
        if not kept:
            joined.append((np.zeros(0), np.zeros(0)))
            continue
        joined.append(tuple(np.concatenate(parts) for parts in zip(*kept, strict=True)))
    return joined


def assert_same(actual, expected, exact):
    assert len(actual) == len(expected)
    for (t, y), (t_ref, y_ref) in zip(actual, expected, strict=True):
        np.testing.assert_allclose(t, t_ref, rtol=1e-12)
        assert y.shape == y_ref.shape
        if exact:
            np.testing.assert_array_equal(y, y_ref)
        else:
            scale = max(np.abs(y_ref).max(), 1e-12)
            np.testing.assert_allclose(y, y_ref, rtol=RTOL, atol=RTOL * scale)


@pytest.mark.parametrize("stochastic", [False, True], ids=["deterministic", "replayed-noise"])
@pytest.mark.parametrize(
    "mons",
    ["Raw+TemporalAverage", "TemporalAverage", "SubSample+Bold", "ForwardProjection",
     "BalloonWindkesselBold"],
)  # fmt: skip
def test_two_run_sim_calls_equal_one_longer_run(mons, stochastic):
    """Case: a second run_sim restarted at time 0 instead of continuing. Two calls (cut inside
    an averaging block) equal one longer run_sim bit for bit, and one longer sim.run()."""
    sim = make_sim(mons, stochastic)
    with unchanged(sim):
        whole = engine(sim, ms(240))
    with unchanged(sim):
        reference = stock(sim, ms(240))
    start = sim.current_step
    pieces = in_pieces(sim, [engine, engine], [ms(82), ms(158)])
    assert sim.current_step == start + 240
    assert_same(pieces, whole, exact=True)
    assert_same(pieces, reference, exact=False)


@pytest.mark.parametrize("stochastic", [False, True], ids=["deterministic", "replayed-noise"])
@pytest.mark.parametrize("mons", ["Raw+TemporalAverage", "TemporalAverage", "SubSample+Bold"])
@pytest.mark.parametrize("order", ["stock-then-engine", "engine-then-stock"])
def test_stock_and_engine_runs_mixed_equal_stock_alone(order, mons, stochastic):
    """Case: sim.run() after run_sim restarted from the old state (and run_sim after sim.run()
    must continue TVB's stock, history and noise stream). Mixed runs equal stock runs alone."""
    sim = make_sim(mons, stochastic)
    with unchanged(sim):
        reference = in_pieces(sim, [stock, stock], [ms(66), ms(134)])
    runners = [stock, engine] if order == "stock-then-engine" else [engine, stock]
    assert_same(in_pieces(sim, runners, [ms(66), ms(134)]), reference, exact=False)


@pytest.mark.parametrize("order", ["stock-then-engine", "engine-then-stock"])
def test_a_stimulus_restarts_its_pattern_at_each_call_as_in_tvb(order):
    """TVB evaluates a stimulus' temporal pattern from each run's first step (its
    ``_prepare_stimulus``); a continued run_sim does the same, mixed with sim.run()."""
    sim = make_sim("Raw+TemporalAverage", stimulus=True)
    with unchanged(sim):
        reference = in_pieces(sim, [stock, stock], [ms(66), ms(134)])
    runners = [stock, engine] if order == "stock-then-engine" else [engine, stock]
    assert_same(in_pieces(sim, runners, [ms(66), ms(134)]), reference, exact=False)


def test_run_sim_leaves_the_simulator_as_sim_run_does():
    """Case: run_sim did not advance the simulator. After it, the step, noise stream and
    monitor stock equal stock's exactly, the state and history within the tolerance."""
    sim = make_sim("TemporalAverage", stochastic=True)
    with unchanged(sim):
        stock(sim, ms(52))
        after_stock = (sim.current_step, np.copy(sim.current_state), np.copy(sim.history.buffer),
                       sim.integrator.noise.random_stream.get_state(legacy=False)["state"],
                       np.copy(sim.monitors[0]._stock), sim.simulation_length)  # fmt: skip
    engine(sim, ms(52))
    step, state, buffer, stream, stock_rows, length = after_stock
    assert sim.current_step == step
    assert sim.simulation_length == length == ms(52)
    np.testing.assert_allclose(sim.current_state, state, rtol=RTOL)
    np.testing.assert_allclose(sim.history.buffer, buffer, rtol=RTOL)
    assert sim.history.buffer.dtype == np.float32
    now = sim.integrator.noise.random_stream.get_state(legacy=False)["state"]
    np.testing.assert_array_equal(now["key"], stream["key"])
    assert now["pos"] == stream["pos"]
    rows = step % sim.monitors[0].istep  # the block under way: its first rows
    np.testing.assert_allclose(sim.monitors[0]._stock[:rows].sum(axis=0),
                               stock_rows[:rows].sum(axis=0), rtol=RTOL)  # fmt: skip


def test_a_coupling_with_a_pre_function_continues_its_history():
    """Case: the history ring of a coupling with a pre function holds pre(x), not the coupling
    variables TVB's history holds; run_sim in pieces (in chunks, and shorter than the delay
    horizon) still equals one run and stock."""
    sim = make_coupled_sim(JansenRit(), tvb_coupling.SigmoidalJansenRit(), dt=0.05, spread=0.01)
    with unchanged(sim):
        whole = engine(sim, ms(400))
    with unchanged(sim):
        reference = stock(sim, ms(400))
    pieces = in_pieces(sim, [engine, chunked, chunked], [ms(60), ms(281), ms(59)])
    assert_same(pieces, whole, exact=True)
    assert_same(pieces, reference, exact=False)


def test_a_generator_seed_goes_on_from_call_to_call():
    """With a Generator as the seed, pieces draw its stream in order (equal to one run with
    the same Generator); the simulator's own stream is not drawn."""
    sim = make_sim("Raw+TemporalAverage", stochastic=True)
    before = sim.integrator.noise.random_stream.get_state(legacy=False)["state"]["pos"]
    with unchanged(sim):
        whole = engine(sim, ms(120), seed=np.random.default_rng(8))
    rng = np.random.default_rng(8)
    pieces = in_pieces(sim, [engine, engine], [ms(50), ms(70)], seed=rng)
    assert_same(pieces, whole, exact=True)
    assert sim.integrator.noise.random_stream.get_state(legacy=False)["state"]["pos"] == before


def test_an_interrupted_run_leaves_the_simulator_as_it_was(monkeypatch):
    """Case: a run cut short by Ctrl-C returns what it computed (with a warning) and does not
    advance the simulator, whose next run starts where the interrupted one did."""
    from tvb_ngnmm.monitors import raw

    sim = make_sim("Raw+TemporalAverage")
    step = sim.current_step
    with unchanged(sim):
        expected = engine(sim, ms(60))
    original = raw.EngineRaw.consume

    def interrupted(self, steps, obs):
        if steps[0] > step + 20:
            raise KeyboardInterrupt
        return original(self, steps, obs)

    monkeypatch.setattr(raw.EngineRaw, "consume", interrupted)
    with pytest.warns(RuntimeWarning, match="interrupted"):
        NumbaBackend(progress=False, chunk_steps=10).run_sim(sim, ms(60))
    assert sim.current_step == step
    monkeypatch.undo()
    assert_same(engine(sim, ms(60)), expected, exact=True)


def test_unchanged_puts_the_simulator_back():
    """After a block of engine and stock runs, ``unchanged`` has put back the step, state,
    history, noise stream, monitors' stock and length, so the same run gives the same output."""
    sim = make_sim("SubSample+Bold", stochastic=True)
    before = engine(sim, ms(50))
    stream = sim.integrator.noise.random_stream
    saved = (sim.current_step, np.copy(sim.current_state), np.copy(sim.history.buffer),
             np.copy(sim.monitors[1]._interim_stock), sim.simulation_length,
             stream.get_state(legacy=False)["state"]["pos"])  # fmt: skip
    with unchanged(sim):
        in_pieces(sim, [engine, stock], [ms(33), ms(70)])
    assert sim.current_step == saved[0]
    for now, then in zip((sim.current_state, sim.history.buffer, sim.monitors[1]._interim_stock),
                         saved[1:4], strict=True):  # fmt: skip
        np.testing.assert_array_equal(now, then)
    assert sim.simulation_length == saved[4]
    assert stream.get_state(legacy=False)["state"]["pos"] == saved[5]
    with unchanged(sim):
        again = engine(sim, ms(50))
    assert_same(engine(sim, ms(50)), again, exact=True)
    assert not np.array_equal(before[0][1][:3], again[0][1][:3])  # a continued run differs


def test_a_run_that_blows_up_leaves_the_simulator_as_it_was():
    """The blow-up error stops the run; the simulator is not advanced (its step, state and
    history are those it had)."""
    from test_engine_agreement import make_sim as make_agreement_sim

    sim = make_agreement_sim("NextGenEI", integrator=integrators.EulerDeterministic(dt=0.5))
    step, state, buffer = sim.current_step, np.copy(sim.current_state), np.copy(sim.history.buffer)
    with pytest.raises(SimulationBlowUpError):
        NumbaBackend(progress=False).run_sim(sim, 100.0)
    assert sim.current_step == step
    np.testing.assert_array_equal(sim.current_state, state)
    np.testing.assert_array_equal(sim.history.buffer, buffer)


def test_run_batch_does_not_change_the_simulator():
    """run_batch reads the simulator and leaves it as it was: a batch is no continuation."""
    sim = make_sim("TemporalAverage", stochastic=True)
    step, buffer = sim.current_step, np.copy(sim.history.buffer)
    stream = sim.integrator.noise.random_stream.get_state(legacy=False)["state"]["pos"]
    first = run_batch(sim, {"I_e": np.array([14.0, 15.0])}, ms(60), n_jobs=1)
    second = run_batch(sim, {"I_e": np.array([14.0, 15.0])}, ms(60), n_jobs=1)
    assert sim.current_step == step
    np.testing.assert_array_equal(sim.history.buffer, buffer)
    assert sim.integrator.noise.random_stream.get_state(legacy=False)["state"]["pos"] == stream
    np.testing.assert_array_equal(first[0].values, second[0].values)


@pytest.fixture(scope="module")
def noisy_sims():
    """Stochastic simulators and their stock runs of 200 steps, shared by the examples: Raw and
    TemporalAverage fed every step, and a lone TemporalAverage summed by the kernel."""
    sims = {}
    for mons in ("Raw+TemporalAverage", "TemporalAverage"):
        sim = make_sim(mons, stochastic=True)
        with unchanged(sim):
            sims[mons] = (sim, stock(sim, ms(200)))
    return sims


@settings(max_examples=60, deadline=None)
@given(
    mons=st.sampled_from(["Raw+TemporalAverage", "TemporalAverage"]),
    cuts=st.lists(st.integers(1, 199), min_size=1, max_size=3, unique=True),
    engines=st.lists(st.booleans(), min_size=4, max_size=4),
)
def test_runs_cut_anywhere_equal_one_stock_run(noisy_sims, mons, cuts, engines):
    """Property: 200 steps cut at random steps into up to four runs, each by run_sim or
    sim.run() (replayed noise), equal one stock sim.run()."""
    sim, reference = noisy_sims[mons]
    bounds = [0, *sorted(cuts), 200]
    lengths = [ms(b - a) for a, b in zip(bounds, bounds[1:], strict=False)]
    runners = [engine if use else stock for use in engines[: len(lengths)]]
    with unchanged(sim):
        pieces = in_pieces(sim, runners, lengths)
    assert_same(pieces, reference, exact=False)
