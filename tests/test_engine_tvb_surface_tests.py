"""TVB's own surface-simulation tests, run on the engine.

TVB's library tests that run a surface simulation with ``sim.run()``
(``tvb/tests/library/simulator/stimulation_test.py``, ``regionmapping_test.py``) build their
simulators with the classes and settings below (tvb-data's 16k cortex with its local
connectivity, the 192-region connectivity, whose non-cortical regions become nodes of their own,
``Difference`` coupling, the ``Identity`` integrator); here each runs on the engine and stock
from the same state and must agree, not only run.
"""

import logging

import numpy as np
import pytest
from tvb.datatypes import connectivity, cortex, equations, patterns
from tvb.simulator import coupling, integrators, models, monitors, simulator

from tvb_ngnmm.backend import NumbaBackend


@pytest.fixture(scope="module")
def surface_192():
    logging.getLogger("tvb").setLevel(logging.ERROR)
    con = connectivity.Connectivity.from_file("connectivity_192.zip")
    con.configure()
    surf = cortex.Cortex.from_file(local_connectivity_file="local_connectivity_16384.mat")
    surf.region_mapping_data.connectivity = con
    surf.configure()
    return con, surf


def _tvb_test_simulator(con, surf, monitor, stimulus=None):
    sim = simulator.Simulator(
        conduction_speed=1.0, coupling=coupling.Difference(a=np.array([0.01])), surface=surf,
        stimulus=stimulus, integrator=integrators.Identity(dt=1.0), simulation_length=10.0,
        connectivity=con, model=models.Generic2dOscillator(), monitors=(monitor,),
    )  # fmt: skip
    return sim.configure()


def _pulse_stimulation(con, onset):
    """``stimulation_test.PulseStimulation``'s stimulus: region 0 weighted 2, pulses of 100 ms
    every 3 s from ``onset`` (TVB's test: 2 s, after its 10 ms run ends)."""
    temporal = equations.PulseTrain()
    temporal.parameters.update({"onset": onset, "T": 3000.0, "tau": 100.0})
    weight = np.zeros(con.number_of_regions)
    weight[0] = 2.0
    return patterns.StimuliRegion(temporal=temporal, connectivity=con, weight=weight)


@pytest.mark.parametrize("onset", [2e3, 2.0], ids=["as-TVB's-test", "pulse-within-the-run"])
def test_tvb_stimulation_test_on_the_engine(surface_192, onset):
    """``stimulation_test.TestStimulation``: a region pulse stimulus on the 16k surface with
    non-cortical nodes, ``Identity``, ``Raw``: the engine gives TVB's output."""
    con, surf = surface_192
    stock = _tvb_test_simulator(con, surf, monitors.Raw(), _pulse_stimulation(con, onset))
    engine = _tvb_test_simulator(con, surf, monitors.Raw(), _pulse_stimulation(con, onset))
    assert stock.number_of_nodes > surf.number_of_vertices  # non-cortical nodes
    engine.current_state[:] = stock.current_state
    engine.history.buffer[:] = stock.history.buffer
    (t_s, x_s), = stock.run(simulation_length=10)  # fmt: skip
    (t_e, x_e), = NumbaBackend().run_sim(engine, simulation_length=10)  # fmt: skip
    np.testing.assert_allclose(t_e, t_s)
    np.testing.assert_allclose(x_e, x_s, rtol=0, atol=1e-5 * np.abs(x_s).max())


def test_tvb_regionmapping_test_on_the_engine(surface_192):
    """``regionmapping_test.TestRegionMapping.test_spatial_average_monitor``: ``SpatialAverage``
    (period 1 ms) of the 16k surface with the 192 regions: the engine gives TVB's output."""
    con, surf = surface_192
    stock = _tvb_test_simulator(con, surf, monitors.SpatialAverage(period=1.0))
    engine = _tvb_test_simulator(con, surf, monitors.SpatialAverage(period=1.0))
    engine.current_state[:] = stock.current_state
    engine.history.buffer[:] = stock.history.buffer
    (t_s, x_s), = stock.run(simulation_length=10)  # fmt: skip
    (t_e, x_e), = NumbaBackend().run_sim(engine, simulation_length=10)  # fmt: skip
    assert x_e.shape == x_s.shape and x_s.shape[2] == con.number_of_regions
    np.testing.assert_allclose(t_e, t_s)
    np.testing.assert_allclose(x_e, x_s, rtol=0, atol=1e-5 * np.abs(x_s).max())
