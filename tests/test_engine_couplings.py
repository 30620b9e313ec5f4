"""TVB's couplings with a nonlinear pre or post function on the fast engine, against stock TVB.

``Sigmoidal``, ``HyperbolicTangent``, ``SigmoidalJansenRit``, ``Kuramoto`` and ``Scaling`` with
delays, deterministic and stochastic (the simulator's own noise stream, ``seed=None``), without
delays, and cut into chunks; ``PreSigmoidal`` as stock TVB reads it; then the inputs the engine
refuses. The engine applies ``pre`` to
the float32 values of its history ring (as TVB applies it to its float32 history), rounds the
result to float32 and sums in float32 (TVB sums ``pre`` in float64 for ``HyperbolicTangent`` and
``SigmoidalJansenRit``): the difference stays within the 1e-5 of tests/test_engine_agreement.py.
"""

import numpy as np
import pytest
from tvb.datatypes.connectivity import Connectivity
from tvb.simulator import coupling as tvb_coupling
from tvb.simulator import integrators, monitors, noise
from tvb.simulator.models import JansenRit, Kuramoto, MontbrioPazoRoxin
from tvb.simulator.simulator import Simulator

from tvb_ngnmm.backend import NumbaBackend
from tvb_ngnmm.coupling import MultiCoupling
from tvb_ngnmm.engine.batch import run_batch
from tvb_ngnmm.engine.continuation import unchanged
from tvb_ngnmm.engine.errors import UnsupportedSimulationError
from tvb_ngnmm.models import NextGenEI
from tvb_ngnmm.testing import check_coupling

RTOL = 1e-5


def connectivity(n=6, seed=0, delays=True):
    """A random network; symmetric tract lengths 5–40 mm at 5 mm/ms (delays 1–8 ms) or zero."""
    rng = np.random.default_rng(seed)
    weights = rng.uniform(0.2, 1.0, (n, n)) * (rng.uniform(size=(n, n)) < 0.8)
    np.fill_diagonal(weights, 0.0)
    lengths = rng.uniform(5.0, 40.0, (n, n)) if delays else np.zeros((n, n))
    return Connectivity(
        weights=weights,
        tract_lengths=(lengths + lengths.T) / 2,
        region_labels=np.array([f"region{i}" for i in range(n)]),
        centres=rng.uniform(-50, 50, (n, 3)),
        speed=np.array([5.0]),
    )


def make_sim(model, coupling, dt=0.01, stochastic=False, delays=True, seed=1, spread=1.0):
    """A configured simulator with a seeded initial history drawn from the model's ranges.

    ``spread`` narrows the ranges around their midpoints (JansenRit's are wide enough for its
    sigmoids to overflow in stock TVB).
    """
    conn = connectivity(delays=delays)
    conn.configure()
    conn.set_idelays(dt)
    rng = np.random.default_rng(seed)
    ranges = np.array([model.state_variable_range[v] for v in model.state_variables])
    shape = (conn.horizon, len(ranges), conn.number_of_regions, 1)
    middle, half = ranges.mean(axis=1)[:, None, None], np.ptp(ranges, axis=1)[:, None, None] / 2
    low, high = middle - spread * half, middle + spread * half
    history = low + (high - low) * rng.uniform(size=shape)
    if stochastic:
        nsig = np.full(len(ranges), 1e-4)
        additive = noise.Additive(nsig=nsig, noise_seed=7)
        integrator = integrators.HeunStochastic(dt=dt, noise=additive)
    else:
        integrator = integrators.HeunDeterministic(dt=dt)
    sim = Simulator(model=model, connectivity=conn, coupling=coupling, integrator=integrator,
                    monitors=[monitors.Raw()], initial_conditions=history)  # fmt: skip
    return sim.configure()


def assert_same_as_stock(sim, length, chunk_steps=None):
    """Engine first (the simulator put back after it), then stock ``sim.run()``."""
    with unchanged(sim):
        ((t, y),) = NumbaBackend(progress=False, chunk_steps=chunk_steps).run_sim(sim, length)
    ((t_ref, y_ref),) = sim.run(simulation_length=length)
    np.testing.assert_array_equal(t, t_ref)
    np.testing.assert_allclose(y, y_ref, rtol=RTOL, atol=RTOL * np.abs(y_ref).max())
    return y, y_ref


def sigmoidal():
    return tvb_coupling.Sigmoidal(
        a=np.array([2.0]), cmin=np.array([-1.0]), cmax=np.array([1.0]),
        midpoint=np.array([0.1]), sigma=np.array([0.5]),
    )  # fmt: skip


def hyperbolic_tangent():
    return tvb_coupling.HyperbolicTangent(
        a=np.array([0.3]), b=np.array([0.8]), midpoint=np.array([0.1]), sigma=np.array([0.2])
    )


def next_gen_ei():
    return NextGenEI(I_e=np.array([15.0]))


def montbrio_pazo_roxin():
    return MontbrioPazoRoxin(eta=np.array([-4.6]), J=np.array([14.5]), Delta=np.array([0.7]))


def kuramoto(a):
    return lambda: tvb_coupling.Kuramoto(a=np.array([a]))


# model, coupling, dt, simulated ms, spread: each coupling where it changes the dynamics
CASES = {
    "Sigmoidal-NextGenEI": (next_gen_ei, sigmoidal, 0.01, 20.0, 1.0),
    "HyperbolicTangent-NextGenEI": (next_gen_ei, hyperbolic_tangent, 0.01, 20.0, 1.0),
    "Scaling-MontbrioPazoRoxin": (
        montbrio_pazo_roxin,
        lambda: tvb_coupling.Scaling(a=np.array([0.3])),
        0.01,
        20.0,
        1.0,
    ),  # fmt: skip
    "Kuramoto-Kuramoto": (
        lambda: Kuramoto(omega=np.linspace(0.5, 1.5, 6)),
        kuramoto(0.5),
        0.05,
        100.0,
        1.0,
    ),  # fmt: skip
    "Kuramoto-NextGenEI": (next_gen_ei, kuramoto(3.0), 0.01, 20.0, 1.0),
    "SigmoidalJansenRit-JansenRit": (
        JansenRit,
        tvb_coupling.SigmoidalJansenRit,
        0.05,
        100.0,
        0.01,
    ),  # fmt: skip
}


@pytest.mark.parametrize("stochastic", [False, True], ids=["deterministic", "stochastic"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_coupling_with_delays_matches_stock(case, stochastic):
    model, coupling, dt, length, spread = CASES[case]
    sim = make_sim(model(), coupling(), dt=dt, stochastic=stochastic, spread=spread)
    y, _ = assert_same_as_stock(sim, length)
    assert np.ptp(y[:, 0]) > 0.0


@pytest.mark.parametrize("case", ["HyperbolicTangent-NextGenEI", "Kuramoto-NextGenEI"])
def test_coupling_without_delays_matches_stock(case):
    model, coupling, dt, length, spread = CASES[case]
    assert_same_as_stock(make_sim(model(), coupling(), dt=dt, delays=False, spread=spread), length)


@pytest.mark.parametrize("case", ["SigmoidalJansenRit-JansenRit", "Kuramoto-NextGenEI"])
def test_pre_ring_gives_the_same_run_however_it_is_cut_into_chunks(case):
    model, coupling, dt, length, spread = CASES[case]
    sim = make_sim(model(), coupling(), dt=dt, spread=spread)
    with unchanged(sim):
        ((_, whole),) = NumbaBackend(progress=False).run_sim(sim, length)
    ((_, cut),) = NumbaBackend(progress=False, chunk_steps=37).run_sim(sim, length)
    np.testing.assert_array_equal(whole, cut)


def test_the_coupling_changes_the_run():
    """A nonlinear coupling is not silently dropped: another gain gives another run."""
    runs = []
    for a in (0.3, 0.6):
        coupling = tvb_coupling.HyperbolicTangent(a=np.array([a]), midpoint=np.array([0.1]))
        sim = make_sim(next_gen_ei(), coupling)
        runs.append(NumbaBackend(progress=False).run_sim(sim, 10.0)[0][1])
    assert not np.allclose(runs[0], runs[1])


def test_sigmoidal_jansen_rit_needs_two_coupling_variables():
    sim = make_sim(next_gen_ei(), tvb_coupling.SigmoidalJansenRit())
    with pytest.raises(ValueError, match=r"SigmoidalJansenRit.*allowed are 2 coupling variables"):
        NumbaBackend(progress=False).run_sim(sim, 1.0)


@pytest.mark.parametrize("name", ["midpoint", "sigma", "a"])
def test_non_finite_coupling_parameter_is_named(name):
    coupling = sigmoidal()
    setattr(coupling, name, np.array([np.nan]))
    sim = make_sim(next_gen_ei(), sigmoidal())
    sim.coupling = coupling
    with pytest.raises(ValueError, match=rf"'{name}' parameter.*Sigmoidal.*nan"):
        NumbaBackend(progress=False).run_sim(sim, 1.0)


def test_one_value_per_coupling_parameter():
    coupling = hyperbolic_tangent()
    coupling.midpoint = np.array([0.1, 0.2])
    sim = make_sim(next_gen_ei(), hyperbolic_tangent())
    sim.coupling = coupling
    with pytest.raises(UnsupportedSimulationError, match=r"'midpoint'.*one value.*got 2"):
        NumbaBackend(progress=False).run_sim(sim, 1.0)


def pre_sigmoidal(dynamic):
    return tvb_coupling.PreSigmoidal(
        G=np.array([2.0]), P=np.array([1.2]), theta=np.array([0.3]), dynamic=dynamic
    )


def test_pre_sigmoidal_with_a_static_threshold_passes_the_coupling_suite():
    """The suite's example is the dynamic threshold (tests/test_common.py); the static one sums
    other weights (TVB's transposed ones) and adds a constant per one-way connection."""
    check_coupling(pre_sigmoidal(dynamic=False))


def test_pre_sigmoidal_reads_as_stock_tvb_does():
    """Stock TVB's ``PreSigmoidal`` gives each node a function of its own delayed state: with
    every other node's state changed, a node's first step is the same (the coupling suite checks
    that the engine's values are stock TVB's)."""
    n_cvar = 2
    sim = make_sim(montbrio_pazo_roxin(), pre_sigmoidal(dynamic=True))
    assert len(sim.model.cvar) == n_cvar
    with unchanged(sim):
        first = NumbaBackend(progress=False).run_sim(sim, 0.01)[0][1]
    sim.history.buffer[:, :, 1:] += 0.5  # every node's history but node 0's
    second = NumbaBackend(progress=False).run_sim(sim, 0.01)[0][1]
    assert first[0, 0, 0] == second[0, 0, 0]  # node 0's rate after one step: its c_0 only
    assert np.all(first[0, 0, 1:] != second[0, 0, 1:])  # the others' own histories changed


def test_pre_sigmoidal_with_a_dynamic_global_threshold_is_refused():
    coupling = pre_sigmoidal(dynamic=True)
    coupling.globalT = True
    sim = make_sim(montbrio_pazo_roxin(), coupling)
    with pytest.raises(UnsupportedSimulationError, match=r"'globalT'.*PreSigmoidal.*got True"):
        NumbaBackend(progress=False).run_sim(sim, 1.0)


def test_pre_sigmoidal_with_a_dynamic_threshold_needs_two_coupling_variables():
    model = next_gen_ei()  # one coupling variable, s_e (stock TVB fails on an index)
    sim = make_sim(model, pre_sigmoidal(dynamic=True))
    with pytest.raises(ValueError, match=r"PreSigmoidal.*allowed are 2 coupling variables.*got 1"):
        NumbaBackend(progress=False).run_sim(sim, 1.0)


def test_a_coupling_without_a_gain_cannot_have_it_swept():
    sim = make_sim(montbrio_pazo_roxin(), pre_sigmoidal(dynamic=True))
    with pytest.raises(ValueError, match=r"'a'.*PreSigmoidal has no gain. Allowed names are 'tau'"):
        run_batch(sim, {"a": [0.1, 0.2]}, 1.0)


def test_multi_coupling_takes_linear_couplings_only():
    model = next_gen_ei()
    model.cvar = np.array([2, 5])
    linear = tvb_coupling.Linear(a=np.array([0.3]))
    coupling = MultiCoupling(couplings=[linear, hyperbolic_tangent()])
    sim = make_sim(model, coupling)
    with pytest.raises(UnsupportedSimulationError, match=r"'couplings' of MultiCoupling.*Scaling"):
        NumbaBackend(progress=False).run_sim(sim, 1.0)
