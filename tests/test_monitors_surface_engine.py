"""Monitors on surfaces end to end: ``NumbaBackend().run_sim`` against stock ``sim.run()``.

The engine runs first (the simulator put back after it), then stock ``sim.run()`` from the same
state, as in ``test_monitors_projection.py``, at the tolerance of the region-level suite. The
small two-hemisphere surface of ``small_surface`` (84 vertices and one region left off it), and
tvb-data's ``cortex_16384`` with tvb76 for TVB's EEG and MEG with the 16k projections.
"""

import logging

import numpy as np
import pytest
import small_surface
from tvb.datatypes import cortex
from tvb.datatypes.connectivity import Connectivity
from tvb.datatypes.local_connectivity import LocalConnectivity
from tvb.simulator import coupling, integrators, models, monitors
from tvb.simulator.simulator import Simulator

from tvb_ngnmm.backend import NumbaBackend
from tvb_ngnmm.engine.batch import run_batch
from tvb_ngnmm.engine.continuation import unchanged
from tvb_ngnmm.monitors import BalloonWindkesselBold, ForwardProjection

RTOL = 1e-5
N_VERTEX = 84


@pytest.fixture(scope="module")
def conn():
    return small_surface.connectivity()


def surface_sim(conn, mons, length=20.0, coupling_strength=0.5):
    """A configured Generic2dOscillator surface simulation with local and long-range coupling."""
    surface = small_surface.make_cortex(conn)
    surface.coupling_strength = np.array([coupling_strength])
    sim = Simulator(
        model=models.Generic2dOscillator(variables_of_interest=("V", "W")),
        connectivity=conn,
        coupling=coupling.Linear(a=np.array([0.1])),
        surface=surface,
        integrator=integrators.HeunDeterministic(dt=0.1),
        monitors=mons,
        simulation_length=length,
    )
    return sim.configure()


def assert_same_as_stock(sim, length=None):
    """Engine, then stock: same times and shapes, data within RTOL."""
    with unchanged(sim):
        fast = NumbaBackend().run_sim(sim, simulation_length=length)
    stock = sim.run(simulation_length=length)
    for (t, y), (t_ref, y_ref) in zip(fast, stock, strict=True):
        assert y.shape == y_ref.shape
        np.testing.assert_allclose(t, t_ref, rtol=1e-12)
        np.testing.assert_allclose(y, y_ref, rtol=RTOL, atol=RTOL * np.abs(y_ref).max())
    return fast


def all_monitors():
    gain = np.random.default_rng(0).normal(size=(3, N_VERTEX + 1))
    return [
        monitors.Raw(),
        monitors.SubSample(period=0.5),
        monitors.TemporalAverage(period=0.7),
        monitors.SpatialAverage(period=0.5),
        monitors.Bold(period=8.0, hrf_length=40.0),
        BalloonWindkesselBold(period=4.0, variable="V"),
        BalloonWindkesselBold(period=4.0, variable="V", spatial="node"),
        ForwardProjection(gain=gain, period=1.0, reference="average"),
        monitors.BoldRegionROI(period=8.0, hrf_length=40.0),
    ]


def test_every_surface_monitor_in_run_sim_matches_stock(conn):
    """Every monitor of a surface simulation at once, one value per node, region or sensor."""
    fast = assert_same_as_stock(surface_sim(conn, all_monitors()))
    sizes = [y.shape[2] for _, y in fast]
    assert sizes == [N_VERTEX + 1] * 3 + [5, N_VERTEX + 1, 5, N_VERTEX + 1, 3, 5]


@pytest.mark.parametrize("index", [2, 3, 5, 7, 8])
def test_a_surface_monitor_alone_matches_stock(conn, index):
    """TemporalAverage, SpatialAverage, region BOLD and ForwardProjection as a run's only
    monitor (the engine may then sum the blocks in its compiled step), continued once."""
    sim = surface_sim(conn, [all_monitors()[index]], length=10.0)
    assert_same_as_stock(sim)
    assert_same_as_stock(sim, length=9.0)  # continues the monitor's block or state


def test_run_batch_names_the_vertex_and_region_axes(conn):
    """run_batch on a surface: 'vertex' labelled with the engine's node labels, 'region' with
    the connectivity's regions."""
    sim = surface_sim(
        conn, [monitors.TemporalAverage(period=1.0), monitors.SpatialAverage(period=1.0)]
    )
    vertex, region = run_batch(sim, {"a": [0.1, 0.2]}, simulation_length=4.0)
    assert vertex.dims == ("member", "time", "state_variable", "vertex")
    assert list(vertex["vertex"].values[[0, N_VERTEX]]) == ["v0", "rTH"]
    assert region.dims == ("member", "time", "state_variable", "region")
    assert tuple(region["region"].values) == small_surface.LABELS
    [(_, y), _] = NumbaBackend().run_sim(sim, simulation_length=4.0)
    np.testing.assert_allclose(vertex.sel(member=0).values, y[..., 0], rtol=1e-12)


@pytest.fixture(scope="module")
def sim_16k():
    """Generic2dOscillator on cortex_16384 with tvb76, TVB's EEG and MEG from the 16k
    projections (with their observation noise) and the region means."""
    logging.getLogger("tvb").setLevel(logging.ERROR)
    conn = Connectivity.from_file()
    surface = cortex.Cortex.from_file()
    surface.region_mapping_data.connectivity = conn
    surface.local_connectivity = LocalConnectivity.from_file()
    surface.coupling_strength = np.array([2**-10])
    sim = Simulator(
        model=models.Generic2dOscillator(),
        connectivity=conn,
        coupling=coupling.Linear(a=np.array([0.01])),
        surface=surface,
        integrator=integrators.HeunDeterministic(dt=2**-4),
        monitors=[
            monitors.EEG.from_file(period=0.5, reference="average"),
            monitors.MEG.from_file(period=0.5),
            monitors.SpatialAverage(period=0.5),
            BalloonWindkesselBold(period=1.0, variable="V"),
        ],
        simulation_length=2.0,
    )
    return sim.configure()


def test_tvb_eeg_and_meg_on_cortex_16384_match_stock(sim_16k):
    """TVB's EEG (65 channels, average reference) and MEG (276) with tvb-data's vertex
    projections, region means and region BOLD, on the 16k cortex: 32 steps."""
    fast = assert_same_as_stock(sim_16k)
    assert [y.shape[2] for _, y in fast] == [65, 276, 76, 76]


def test_run_batch_labels_per_node_and_per_region_parameters(conn):
    """A parameter swept per node labels the 'vertex' output, one swept per region the 'region'
    output; each goes to the attributes of the other (a per-node sweep with a region output
    failed with xarray's 'conflicting sizes')."""
    sim = surface_sim(conn, [monitors.SpatialAverage(period=1.0), monitors.Raw()], length=2.0)
    drive = np.zeros((2, N_VERTEX + 1))
    drive[1] = 0.1
    region, vertex = run_batch(sim, {"I": drive}, simulation_length=2.0)
    assert vertex["I"].dims == ("member", "vertex") and "I" not in region.coords
    assert np.shape(region.attrs["I"]) == (2, N_VERTEX + 1)
    gain = np.array([[0.1] * 5, [0.2] * 5])
    region, vertex = run_batch(sim, {"a": gain}, simulation_length=2.0)
    assert region["a"].dims == ("member", "region") and "a" in vertex.attrs


def twin_sims(conn, make_monitors):
    """Two configured copies of a surface simulation with the same initial state and history."""
    first, second = surface_sim(conn, make_monitors()), surface_sim(conn, make_monitors())
    second.current_state[:] = first.current_state
    second.history.buffer[:] = first.history.buffer
    return first, second


@pytest.mark.parametrize("index", [2, 3, 4, 5, 6, 7, 8])
def test_engine_runs_continue_into_stock_runs_on_a_surface(conn, index):
    """The engine leaves each monitor's state (a block under way, the hemodynamic state and
    its drive summed so far: per region from the engine's per-node block sums) where stock
    would: engine then stock on one simulator, against stock twice on its twin; the runs end
    and start within a period and a hemodynamic step."""
    engine_sim, stock_sim = twin_sims(conn, lambda: [all_monitors()[index]])
    NumbaBackend().run_sim(engine_sim, simulation_length=9.3)
    stock_sim.run(simulation_length=9.3)
    [(t, y)] = engine_sim.run(simulation_length=9.3)
    [(t_ref, y_ref)] = stock_sim.run(simulation_length=9.3)
    np.testing.assert_allclose(t, t_ref, rtol=1e-12)
    np.testing.assert_allclose(y, y_ref, rtol=RTOL, atol=RTOL * np.abs(y_ref).max())
