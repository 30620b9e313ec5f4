"""Edges of zero delay beside delayed ones (TVB's self-connections: a non-zero diagonal of the
weights with zero tract length): the engine sums them step by step from the previous step's
stored values while the delayed edges are summed in blocks; both must give stock TVB's run.
"""

import numpy as np
import pytest
from tvb.datatypes.connectivity import Connectivity
from tvb.simulator import coupling as tvb_coupling
from tvb.simulator import integrators, monitors, noise
from tvb.simulator.models import JansenRit, Kuramoto
from tvb.simulator.simulator import Simulator

from tvb_ngnmm.backend import NumbaBackend
from tvb_ngnmm.engine.batch import run_batch
from tvb_ngnmm.engine.continuation import unchanged
from tvb_ngnmm.models import NextGenEI

RTOL = 1e-5


def connectivity(n=6, seed=0, zero_lengths=(), density=0.8):
    """Random weights with the diagonal kept; tract lengths 5–40 mm off the diagonal (1–8 ms at
    5 mm/ms), 0 on the diagonal and on the pairs ``zero_lengths``."""
    rng = np.random.default_rng(seed)
    weights = rng.uniform(0.2, 1.0, (n, n)) * (rng.uniform(size=(n, n)) < density)
    np.fill_diagonal(weights, rng.uniform(0.2, 1.0, n))
    lengths = rng.uniform(5.0, 40.0, (n, n))
    lengths = (lengths + lengths.T) / 2
    np.fill_diagonal(lengths, 0.0)
    for i, j in zero_lengths:
        lengths[i, j] = 0.0
    return Connectivity(
        weights=weights,
        tract_lengths=lengths,
        region_labels=np.array([f"region{i}" for i in range(n)]),
        centres=rng.uniform(-50, 50, (n, 3)),
        speed=np.array([5.0]),
    )


def make_sim(model, coupling, conn=None, dt=0.01, stochastic=False, spread=1.0, seed=1):
    """A configured simulator with a seeded initial history drawn from the model's ranges."""
    conn = conn or connectivity()
    conn.configure()
    conn.set_idelays(dt)
    rng = np.random.default_rng(seed)
    ranges = np.array([model.state_variable_range[v] for v in model.state_variables])
    shape = (conn.horizon, len(ranges), conn.number_of_regions, 1)
    middle, half = ranges.mean(axis=1)[:, None, None], np.ptp(ranges, axis=1)[:, None, None] / 2
    history = middle - spread * half + 2 * spread * half * rng.uniform(size=shape)
    if stochastic:
        additive = noise.Additive(nsig=np.full(len(ranges), 1e-4), noise_seed=7)
        integrator = integrators.HeunStochastic(dt=dt, noise=additive)
    else:
        integrator = integrators.HeunDeterministic(dt=dt)
    sim = Simulator(model=model, connectivity=conn, coupling=coupling, integrator=integrator,
                    monitors=[monitors.Raw()], initial_conditions=history)  # fmt: skip
    return sim.configure()


def assert_same_as_stock(sim, length, chunk_steps=None):
    with unchanged(sim):
        ((t, y),) = NumbaBackend(progress=False, chunk_steps=chunk_steps).run_sim(sim, length)
    ((t_ref, y_ref),) = sim.run(simulation_length=length)
    np.testing.assert_array_equal(t, t_ref)
    np.testing.assert_allclose(y, y_ref, rtol=RTOL, atol=RTOL * np.abs(y_ref).max())
    return y


def next_gen_ei():
    return NextGenEI(I_e=np.array([15.0]))


# model, coupling, dt, simulated ms, spread of the initial history
CASES = {
    "Linear-NextGenEI": (next_gen_ei, lambda: tvb_coupling.Linear(a=np.array([0.3])), 0.01, 20.0,
                         1.0),
    "Difference-NextGenEI": (next_gen_ei, lambda: tvb_coupling.Difference(a=np.array([0.3])),
                             0.01, 20.0, 1.0),
    "HyperbolicTangent-NextGenEI": (
        next_gen_ei,
        lambda: tvb_coupling.HyperbolicTangent(a=np.array([0.3]), midpoint=np.array([0.1])),
        0.01, 20.0, 1.0,
    ),
    "Kuramoto-Kuramoto": (lambda: Kuramoto(omega=np.linspace(0.5, 1.5, 6)),
                          lambda: tvb_coupling.Kuramoto(a=np.array([0.5])), 0.05, 100.0, 1.0),
    "SigmoidalJansenRit-JansenRit": (JansenRit, tvb_coupling.SigmoidalJansenRit, 0.05, 100.0,
                                     0.01),
}  # fmt: skip


def test_the_network_has_zero_and_non_zero_delays():
    sim = make_sim(next_gen_ei(), tvb_coupling.Linear())
    history = sim.history
    delays = np.asarray(history.nnz_idelays)
    assert np.any(delays == 0) and delays.min() == 0 and np.sort(delays)[6] > 50
    assert np.all(np.asarray(history.nnz_row_el_idx)[delays == 0]
                  == np.asarray(history.nnz_col_el_idx)[delays == 0])  # fmt: skip


@pytest.mark.parametrize("stochastic", [False, True], ids=["deterministic", "stochastic"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_self_connections_match_stock(case, stochastic):
    model, coupling, dt, length, spread = CASES[case]
    sim = make_sim(model(), coupling(), dt=dt, stochastic=stochastic, spread=spread)
    y = assert_same_as_stock(sim, length)
    assert np.ptp(y[:, 0]) > 0.0


def test_self_connections_change_the_run():
    """The zero-delay edges are not dropped: without them the run differs."""
    runs = []
    for keep in (True, False):
        conn = connectivity()
        if not keep:
            conn.weights = conn.weights * (1.0 - np.eye(6))
        sim = make_sim(next_gen_ei(), tvb_coupling.Linear(a=np.array([0.3])), conn)
        runs.append(NumbaBackend(progress=False).run_sim(sim, 10.0)[0][1])
    assert not np.allclose(runs[0], runs[1])


@pytest.mark.parametrize("case", ["Linear-NextGenEI", "SigmoidalJansenRit-JansenRit"])
def test_self_connections_give_the_same_run_however_it_is_cut_into_chunks(case):
    model, coupling, dt, length, spread = CASES[case]
    sim = make_sim(model(), coupling(), dt=dt, spread=spread)
    with unchanged(sim):
        ((_, whole),) = NumbaBackend(progress=False).run_sim(sim, length)
    for chunk_steps in (1, 37):
        with unchanged(sim):
            ((_, cut),) = NumbaBackend(progress=False, chunk_steps=chunk_steps).run_sim(sim, length)
        np.testing.assert_array_equal(whole, cut)


def test_zero_delay_between_two_regions_matches_stock():
    """A zero delay off the diagonal (tract length 0) reads the source's previous step too."""
    conn = connectivity(zero_lengths=[(0, 3), (3, 0), (2, 5)])
    conn.weights[0, 3] = conn.weights[3, 0] = conn.weights[2, 5] = 0.7
    assert_same_as_stock(make_sim(next_gen_ei(), tvb_coupling.Linear(a=np.array([0.3])), conn),
                         20.0)  # fmt: skip


def test_sparse_network_without_delays_matches_stock():
    """Every delay zero and too few edges for the dense product: all edges summed step by step."""
    conn = connectivity(n=20, density=0.05)
    conn.tract_lengths = np.zeros((20, 20))
    sim = make_sim(next_gen_ei(), tvb_coupling.Linear(a=np.array([0.3])), conn)
    assert_same_as_stock(sim, 20.0, chunk_steps=33)


def test_dense_network_with_zero_delays_and_a_longer_history_matches_stock():
    """Weighted pairs at zero delay, unweighted pairs delayed: the history holds several steps
    but the coupling reads only the previous one (the dense product)."""
    conn = connectivity(density=1.0)
    weights = np.array(conn.weights)
    weights[0, 1] = weights[1, 0] = 0.0
    conn.weights = weights
    lengths = np.zeros((6, 6))
    lengths[0, 1] = lengths[1, 0] = 30.0
    conn.tract_lengths = lengths
    sim = make_sim(next_gen_ei(), tvb_coupling.Linear(a=np.array([0.3])), conn)
    assert sim.history.n_time > 1
    assert_same_as_stock(sim, 20.0, chunk_steps=33)


def test_batch_members_with_self_connections_equal_separate_runs():
    sim = make_sim(next_gen_ei(), tvb_coupling.Linear(a=np.array([0.3])))
    values = np.array([14.0, 15.0, 16.0])
    (batch,) = run_batch(sim, {"I_e": values}, 10.0, n_jobs=1, progress=False)
    for b, value in enumerate(values):
        sim.model.I_e = np.array([value])
        with unchanged(sim):
            ((_, alone),) = NumbaBackend(progress=False).run_sim(sim, 10.0)
        np.testing.assert_array_equal(batch.values[b], alone[..., 0])
