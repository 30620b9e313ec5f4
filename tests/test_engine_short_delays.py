"""Short tracts beside long ones (as tractography gives them): edges of 0, 1, 2 and a few steps
are summed step by step from the last steps' stored values while the long ones are summed in
blocks; the run must be stock TVB's, and the same whatever the batch or the chunking.
"""

import numpy as np
import pytest
import test_engine_self_connections as self_connections
from tvb.datatypes.connectivity import Connectivity
from tvb.simulator import coupling as tvb_coupling
from tvb.simulator import integrators, monitors, noise
from tvb.simulator.models import JansenRit, Kuramoto
from tvb.simulator.simulator import Simulator

from tvb_ngnmm.backend import NumbaBackend
from tvb_ngnmm.engine import coupling as engine_coupling
from tvb_ngnmm.engine.batch import run_batch
from tvb_ngnmm.engine.continuation import unchanged
from tvb_ngnmm.engine.delays import MAX_RECENT, MIDDLE_BLOCK, block_cost_per_step, delay_tiers
from tvb_ngnmm.engine.spec import extract
from tvb_ngnmm.models import NextGenEI


def short_delay_threshold(idelays, history_steps):
    return delay_tiers(idelays, history_steps)[0]


RTOL = 1e-5
N = 10
SPEED = 5.0  # mm/ms
#: Delays (steps at dt = 0.01 ms) of the short tracts: 0 off the diagonal too, then 1, 2, 3, 5.
SHORT_STEPS = {(0, 1): 0, (1, 2): 1, (2, 1): 1, (3, 4): 2, (4, 5): 2, (5, 6): 3, (7, 8): 5}


def connectivity(dt, seed=0):
    """Random weights (self-connections kept) on tracts of 3-40 mm, except the pairs of
    :data:`SHORT_STEPS`, whose lengths give those delays at ``dt``."""
    rng = np.random.default_rng(seed)
    weights = rng.uniform(0.2, 1.0, (N, N)) * (rng.uniform(size=(N, N)) < 0.8)
    np.fill_diagonal(weights, rng.uniform(0.2, 1.0, N))
    lengths = rng.uniform(3.0, 40.0, (N, N))
    np.fill_diagonal(lengths, 0.0)
    for (i, j), steps in SHORT_STEPS.items():
        weights[i, j] = 0.6
        lengths[i, j] = steps * SPEED * dt
    return Connectivity(
        weights=weights,
        tract_lengths=lengths,
        region_labels=np.array([f"region{i}" for i in range(N)]),
        centres=rng.uniform(-50, 50, (N, 3)),
        speed=np.array([SPEED]),
    )


def make_sim(model, coupling, dt=0.01, stochastic=False, spread=1.0, seed=1, conn=None):
    """A configured simulator on :func:`connectivity` (or ``conn``) with a seeded history."""
    return self_connections.make_sim(model, coupling, conn or connectivity(dt), dt=dt,
                                     stochastic=stochastic, spread=spread, seed=seed)  # fmt: skip


def next_gen_ei():
    return NextGenEI(I_e=np.array([15.0]))


def linear():
    return tvb_coupling.Linear(a=np.array([0.1]))


# model, coupling, dt, simulated ms, spread of the initial history
CASES = {
    "Linear-NextGenEI": (next_gen_ei, linear, 0.01, 20.0, 0.5),
    "Kuramoto-Kuramoto": (lambda: Kuramoto(omega=np.linspace(0.5, 1.5, N)),
                          lambda: tvb_coupling.Kuramoto(a=np.array([0.5])), 0.01, 20.0, 1.0),
    "SigmoidalJansenRit-JansenRit": (JansenRit, tvb_coupling.SigmoidalJansenRit, 0.01, 20.0,
                                     0.01),
}  # fmt: skip


def test_the_short_tracts_are_summed_step_by_step_and_the_others_in_blocks():
    sim = make_sim(next_gen_ei(), linear())
    edges = extract(sim).coupling.kernel_edges(sim.history.n_time)
    assert set(SHORT_STEPS.values()) <= set(edges.short_idelays.tolist())
    assert edges.recent == edges.short_idelays.max() + 1
    assert edges.idelays.min() > edges.short_idelays.max() and edges.idelays.min() >= 30
    main = edges.idelays[edges.row_start[0, 0] : edges.row_start[0, -1]]
    assert edges.block == main.min() + 1
    n_edges = np.count_nonzero(sim.connectivity.weights)
    assert edges.idelays.size + edges.short_idelays.size == n_edges


@pytest.mark.parametrize("stochastic", [False, True], ids=["deterministic", "stochastic"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_short_delays_match_stock(case, stochastic):
    model, coupling, dt, length, spread = CASES[case]
    sim = make_sim(model(), coupling(), dt=dt, stochastic=stochastic, spread=spread)
    with unchanged(sim):
        ((t, y),) = NumbaBackend(progress=False).run_sim(sim, length)
    ((t_ref, y_ref),) = sim.run(simulation_length=length)
    np.testing.assert_array_equal(t, t_ref)
    np.testing.assert_allclose(y, y_ref, rtol=RTOL, atol=RTOL * np.abs(y_ref).max())
    assert np.ptp(y[:, 0]) > 0.0


def test_short_tracts_change_the_run():
    """The short edges are not dropped nor read late: the run differs when they are longer."""
    runs = []
    for extra_steps in (0, 1):
        conn = connectivity(0.01)
        for i, j in SHORT_STEPS:
            conn.tract_lengths[i, j] += extra_steps * SPEED * 0.01
        sim = make_sim(next_gen_ei(), linear(), conn=conn)
        runs.append(NumbaBackend(progress=False).run_sim(sim, 10.0)[0][1])
    short, longer = runs
    assert not np.allclose(short, longer)


@pytest.mark.parametrize("case", ["Linear-NextGenEI", "SigmoidalJansenRit-JansenRit"])
def test_short_delays_give_the_same_run_however_it_is_cut_into_chunks(case):
    model, coupling, dt, length, spread = CASES[case]
    sim = make_sim(model(), coupling(), dt=dt, spread=spread, stochastic=True)
    with unchanged(sim):
        ((_, whole),) = NumbaBackend(progress=False).run_sim(sim, length)
    for chunk_steps in (1, 2, 37):
        with unchanged(sim):
            ((_, cut),) = NumbaBackend(progress=False, chunk_steps=chunk_steps).run_sim(sim, length)
        np.testing.assert_array_equal(whole, cut)


@pytest.mark.parametrize("n_member", [3, 16])
def test_batch_members_with_short_delays_equal_separate_runs(n_member):
    sim = make_sim(next_gen_ei(), linear(), stochastic=True, spread=0.2)
    values = np.linspace(14.5, 15.5, n_member)
    (batch,) = run_batch(sim, {"I_e": values}, 10.0, n_jobs=1, progress=False, chunk_steps=41)
    for b in (0, n_member - 1):
        sim.model.I_e = np.array([values[b]])
        with unchanged(sim):
            ((_, alone),) = NumbaBackend(progress=False).run_sim(sim, 10.0)
        np.testing.assert_array_equal(batch.values[b], alone[..., 0])


def test_threshold_keeps_long_blocks_when_no_tract_is_short():
    """Without short tracts (tvb76's shortest delay is 247 steps) every delayed edge stays in
    the blocks, as long as the shortest allows; edges of zero delay are always step by step."""
    delays = np.concatenate([np.zeros(76, dtype=int), np.arange(247, 2247)])
    assert short_delay_threshold(delays, 3000) == 247
    assert short_delay_threshold(np.zeros(5, dtype=int), 1) == 1
    assert short_delay_threshold(np.zeros(0, dtype=int), 1) == 1


def test_threshold_weighs_step_by_step_sums_against_short_blocks():
    """A few short tracts among many long ones go step by step; many short ones stay blocked."""
    few = np.concatenate([[1, 2, 3], np.arange(40, 4040)])
    assert 3 < short_delay_threshold(few, 5000) <= 4039
    many = np.concatenate([np.full(4000, 8), np.arange(40, 400)])
    assert short_delay_threshold(many, 5000) == 8
    # by the model's own estimate, blocks of 9 steps are cheaper than 4,000 edges step by step
    assert block_cost_per_step(4360, 9) < 4000 + block_cost_per_step(360, 41)
    # and the history bounds a block: a ring of 20 steps gives blocks of at most 20
    assert short_delay_threshold(few, 20) <= 40


def test_threshold_keeps_the_step_by_step_buffer_small():
    """Short edges are at most :data:`MAX_RECENT` steps long (their buffer stays in the fast
    caches), and none leave the blocks for a gain too small to trust the estimate with."""
    spread = np.arange(1, 2000)
    assert short_delay_threshold(spread, 5000) <= MAX_RECENT
    long_only = np.concatenate([[300, 310], np.arange(400, 2000)])
    assert short_delay_threshold(long_only, 5000) == 300


@pytest.mark.parametrize(
    ("case", "stochastic"),
    [("Linear-NextGenEI", False), ("SigmoidalJansenRit-JansenRit", True)],
    ids=["NextGenEI-deterministic", "JansenRit-stochastic"],
)
def test_three_tiers_match_stock(monkeypatch, case, stochastic):
    """Step by step below 16 steps, blocks of 16 up to 64, long blocks above (forced here: the
    cost model picks such a split for tractography), against stock, any chunking, a batch."""
    monkeypatch.setattr(engine_coupling, "delay_tiers", lambda idelays, history_steps: (16, 64))
    model, coupling, _, _, _ = CASES[case]
    spread = 0.01 if case.endswith("JansenRit") else 0.2
    sim = make_sim(model(), coupling(), dt=0.05, stochastic=stochastic, spread=spread,
                   conn=connectivity(0.05))  # fmt: skip
    edges = extract(sim).coupling.kernel_edges(sim.history.n_time)
    assert edges.row_start.shape[0] == 2 and edges.middle_block == MIDDLE_BLOCK
    middle = edges.idelays[edges.row_start[1, 0] : edges.row_start[1, -1]]
    assert middle.size > 10 and middle.min() >= 16 and middle.max() < 64
    assert edges.short_idelays.size > len(SHORT_STEPS) and edges.block >= 65
    with unchanged(sim):
        ((t, y),) = NumbaBackend(progress=False).run_sim(sim, 40.0)
    for chunk_steps in (1, 7, 100):
        with unchanged(sim):
            ((_, cut),) = NumbaBackend(progress=False, chunk_steps=chunk_steps).run_sim(sim, 40.0)
        np.testing.assert_array_equal(y, cut)
    name, values = ("I_e", [14.8, 15.0]) if case.endswith("NextGenEI") else ("A", [3.2, 3.25])
    (batch,) = run_batch(sim, {name: values}, 40.0, n_jobs=1, progress=False)
    np.testing.assert_array_equal(batch.values[1], y[..., 0])
    ((t_ref, y_ref),) = sim.run(simulation_length=40.0)  # last: it advances the simulator
    np.testing.assert_allclose(y, y_ref, rtol=RTOL, atol=RTOL * np.abs(y_ref).max())
    assert np.ptp(y[:, 0]) > 0.0


def test_tractography_connectome_matches_stock():
    """The gw group connectome (REAL-94: delays of 0 to 249 steps, split by cost into the three
    tiers), stochastic, as a user runs it."""
    from tvb_ngnmm.datasets import gw

    conn = gw.sqrt_connectivity(conduction_speed=9.2)
    nsig = np.array([0.0, 0.048, 0.0, 0.0, 0.048, 0.0])
    sim = Simulator(
        model=NextGenEI(I_e=np.array([2.2]), J_ei=np.array([5.0]), J_ie=np.array([5.0])),
        connectivity=conn, coupling=tvb_coupling.Linear(a=np.array([7.99])),
        integrator=integrators.HeunStochastic(dt=0.1, noise=noise.Additive(nsig=nsig)),
        monitors=[monitors.TemporalAverage(period=1.0)],
    ).configure()  # fmt: skip
    edges = extract(sim).coupling.kernel_edges(sim.history.n_time)
    assert edges.short_idelays.size > 0 and edges.row_start.shape[0] == 2
    with unchanged(sim):
        ((t, y),) = NumbaBackend(progress=False).run_sim(sim, 60.0)
    ((t_ref, y_ref),) = sim.run(simulation_length=60.0)
    np.testing.assert_array_equal(t, t_ref)
    np.testing.assert_allclose(y, y_ref, rtol=RTOL, atol=RTOL * np.abs(y_ref).max())
