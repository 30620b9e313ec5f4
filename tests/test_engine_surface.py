"""Surface simulations on the engine against TVB's own ``sim.run()``.

A surface simulation advances one node per cortical vertex (and one per non-cortical region)
with the local coupling ``cs · L`` and the long-range coupling of the regions' means. The small
sphere of :func:`tvb_ngnmm.testing.surfaces.sphere_cortex` (162 vertices mapped to 60 of tvb76's
regions: 16 non-cortical nodes) keeps each comparison short; tvb-data's 16k cortex is run in one
short test.
"""

import logging

import numpy as np
import pytest
from tvb.datatypes.connectivity import Connectivity
from tvb.datatypes.patterns import StimuliSurface
from tvb.simulator import coupling, integrators, models, monitors, noise, simulator

from tvb_ngnmm.backend import NumbaBackend
from tvb_ngnmm.engine import UnsupportedSimulationError
from tvb_ngnmm.models import MPRSynaptic, NextGenEI
from tvb_ngnmm.testing.surfaces import sphere_cortex

#: Relative tolerance of the region-level agreement suite.
RTOL = 1e-5


@pytest.fixture(scope="module")
def connectivity():
    logging.getLogger("tvb").setLevel(logging.ERROR)
    return Connectivity.from_file()


@pytest.fixture(scope="module")
def cortex(connectivity):
    return sphere_cortex(connectivity, n_mapped=60, subdivisions=2, cutoff=20.0, sigma=8.0)


def _simulator(model, connectivity, cortex, stochastic=False, coupling_strength=1.0, dt=0.05,
               monitor=None, stimulus=None):  # fmt: skip
    cortex.coupling_strength = np.atleast_1d(np.asarray(coupling_strength, dtype=float))
    if stochastic:
        integrator = integrators.HeunStochastic(dt=dt, noise=noise.Additive(nsig=np.array([1e-4])))
    else:
        integrator = integrators.HeunDeterministic(dt=dt)
    sim = simulator.Simulator(
        model=model, connectivity=connectivity, coupling=coupling.Linear(a=np.array([0.01])),
        integrator=integrator, monitors=(monitor or monitors.Raw(),), surface=cortex,
        stimulus=stimulus, simulation_length=5.0,
    )  # fmt: skip
    return sim.configure()


def _pair(make):
    """Two configured simulators with the same initial state, history and noise stream."""
    stock, engine = make(), make()
    engine.current_state[:] = stock.current_state
    engine.history.buffer[:] = stock.history.buffer
    if isinstance(stock.integrator, integrators.IntegratorStochastic):
        stock.integrator.noise.random_stream.seed(7)
        engine.integrator.noise.random_stream.seed(7)
    return stock, engine


def _assert_agree(stock_out, engine_out):
    (t_s, x_s), (t_e, x_e) = stock_out, engine_out
    np.testing.assert_allclose(t_e, t_s)
    assert x_e.shape == x_s.shape
    scale = np.abs(x_s).max()
    np.testing.assert_allclose(x_e, x_s, rtol=0, atol=RTOL * scale)


MODELS = {
    "Generic2dOscillator": models.Generic2dOscillator,
    "JansenRit": models.JansenRit,
    "NextGenEI": NextGenEI,
    "MontbrioPazoRoxin": models.MontbrioPazoRoxin,
    "MPRSynaptic": MPRSynaptic,
}
#: Local coupling strengths that keep each model's state bounded on the small sphere (JansenRit's
#: potentials are in mV: its sigmoid overflows with a strength of 1).
STRENGTH = {"JansenRit": 0.01}


@pytest.mark.parametrize("name", MODELS)
@pytest.mark.parametrize("stochastic", [False, True], ids=["deterministic", "replayed-noise"])
def test_surface_agrees_with_stock(name, stochastic, connectivity, cortex):
    """Each model on a surface with local coupling, delays and (replayed) noise: the engine's
    vertex-level output is TVB's to the region suite's tolerance."""
    strength = STRENGTH.get(name, 1.0)
    stock, engine = _pair(lambda: _simulator(MODELS[name](), connectivity, cortex, stochastic,
                                             strength))  # fmt: skip
    with np.errstate(over="ignore"):  # JansenRit's sigmoid saturates: exp overflows to 0 in TVB
        expected = stock.run()[0]
    _assert_agree(expected, NumbaBackend().run_sim(engine)[0])


def test_local_coupling_changes_the_dynamics(connectivity, cortex):
    """The local coupling is applied: with it the output differs from a run without it (the
    agreement above then tests how it enters), and both agree with stock."""
    outputs = []
    for strength in (0.0, 1.0):
        stock, engine = _pair(lambda s=strength: _simulator(
            models.Generic2dOscillator(), connectivity, cortex, coupling_strength=s))  # fmt: skip
        if outputs:  # the same initial state as the run without local coupling
            stock.current_state[:] = outputs[0][1]
            engine.current_state[:] = outputs[0][1]
            stock.history.buffer[:] = outputs[0][2]
            engine.history.buffer[:] = outputs[0][2]
        state, history = stock.current_state.copy(), stock.history.buffer.copy()
        expected, got = stock.run()[0], NumbaBackend().run_sim(engine)[0]
        _assert_agree(expected, got)
        outputs.append((got[1], state, history))
    change = np.abs(outputs[1][0] - outputs[0][0]).max() / np.abs(outputs[0][0]).max()
    assert change > 1e-2


def test_surface_without_delays(connectivity, cortex):
    """Zero tract lengths (every coupling read from the previous step): as TVB."""
    instant = Connectivity.from_file()
    instant.tract_lengths = np.zeros_like(instant.tract_lengths)
    instant.configure()
    local = sphere_cortex(instant, n_mapped=60, subdivisions=2, cutoff=20.0, sigma=8.0)
    stock, engine = _pair(lambda: _simulator(models.Generic2dOscillator(), instant, local))
    assert stock.connectivity.idelays.max() == 0
    _assert_agree(stock.run()[0], NumbaBackend().run_sim(engine)[0])


def test_continued_surface_run(connectivity, cortex):
    """Two engine runs of 2.5 ms continue each other as one stock run of 5 ms (the regions'
    means and the history carried over)."""
    stock, engine = _pair(lambda: _simulator(NextGenEI(), connectivity, cortex, True))
    (t_s, x_s), = stock.run()  # fmt: skip
    backend = NumbaBackend()
    first = backend.run_sim(engine, simulation_length=2.5)[0]
    second = backend.run_sim(engine, simulation_length=2.5)[0]
    _assert_agree((t_s, x_s), (np.r_[first[0], second[0]], np.concatenate([first[1], second[1]])))


def test_surface_stimulus_and_temporal_average(connectivity):
    """A focal ``StimuliSurface`` and ``TemporalAverage``: as TVB (on a cortex mapping every
    region: TVB's surface stimulus has no value for non-cortical nodes)."""
    # deferred: only this test builds a stimulus
    from tvb.datatypes.equations import Gaussian, PulseTrain  # noqa: PLC0415

    cortex = sphere_cortex(connectivity, subdivisions=2, cutoff=20.0, sigma=8.0)
    assert cortex.region_mapping.size == cortex.number_of_vertices

    def make():
        stimulus = StimuliSurface(
            surface=cortex.region_mapping_data.surface, focal_points_triangles=np.array([0]),
            spatial=Gaussian(parameters={"amp": 1.0, "sigma": 10.0, "midpoint": 0.0,
                                         "offset": 0.0}),
            temporal=PulseTrain(parameters={"T": 2.0, "tau": 1.0, "amp": 0.5, "onset": 0.5}),
        )  # fmt: skip
        average = monitors.TemporalAverage(period=0.5)
        return _simulator(models.Generic2dOscillator(), connectivity, cortex, monitor=average,
                          stimulus=stimulus)  # fmt: skip

    stock, engine = _pair(make)
    _assert_agree(stock.run()[0], NumbaBackend().run_sim(engine)[0])


def test_model_without_local_coupling_declaration(connectivity, cortex):
    """A model that does not declare how it takes local coupling runs on a surface without it,
    and is refused, naming the model and what is allowed, with it."""
    sim = _simulator(models.Kuramoto(), connectivity, cortex, coupling_strength=0.0)
    assert NumbaBackend().run_sim(sim)[0][1].shape[2] == cortex.region_mapping.size
    sim = _simulator(models.Kuramoto(), connectivity, cortex, coupling_strength=1.0)
    with pytest.raises(UnsupportedSimulationError, match="Kuramoto does not declare how it takes"):
        NumbaBackend().run_sim(sim)


def test_cortex_16k(connectivity):
    """tvb-data's 16k cortex with its local connectivity and tvb76, a few steps, as TVB."""
    # deferred: loading the 16k cortex is this test's only
    from tvb.datatypes.cortex import Cortex  # noqa: PLC0415

    def make():
        cortex = Cortex.from_file(local_connectivity_file="local_connectivity_16384.mat")
        cortex.region_mapping_data.connectivity = connectivity
        cortex.coupling_strength = np.array([0.1])
        sim = simulator.Simulator(
            model=models.Generic2dOscillator(), connectivity=connectivity,
            coupling=coupling.Linear(a=np.array([0.1])),
            integrator=integrators.HeunDeterministic(dt=2**-4), monitors=(monitors.Raw(),),
            surface=cortex, simulation_length=1.0,
        )  # fmt: skip
        return sim.configure()

    stock, engine = _pair(make)
    # deferred: only this test reads the spec itself
    from tvb_ngnmm.engine.spec import extract  # noqa: PLC0415

    spec = extract(engine)  # the vertices counted though TVB has not configured the surface
    assert spec.surface.n_vertex == 16384 and spec.labels[:2] == ("v0", "v1")
    expected, got = stock.run()[0], NumbaBackend().run_sim(engine)[0]
    assert got[1].shape == (16, 1, 16384, 1)
    _assert_agree(expected, got)


def test_run_batch_on_a_surface(connectivity, cortex):
    """``run_batch`` sweeps a surface simulation's gain (one per region) and model parameters
    (one per node); each member is the single run with its values."""
    # deferred: run_batch is this test's only
    from tvb_ngnmm.engine.batch import run_batch  # noqa: PLC0415

    def make(a=0.01, I=0.0):
        sim = _simulator(models.Generic2dOscillator(), connectivity, cortex,
                         monitor=monitors.TemporalAverage(period=0.5))  # fmt: skip
        sim.coupling.a = np.array([a])
        sim.model.I = np.full(sim.number_of_nodes, I)
        return sim

    base = make()
    design = {"a": np.array([0.0, 0.05]), "I": np.array([0.0, 0.5])}
    (out,) = run_batch(base, design, simulation_length=5.0)
    assert out.shape[-1] == cortex.region_mapping.size
    for member, (a, I) in enumerate(zip(design["a"], design["I"], strict=True)):
        single = make(a, I)
        single.configure()
        single.current_state[:] = base.current_state
        single.history.buffer[:] = base.history.buffer
        (_, data), = NumbaBackend().run_sim(single, simulation_length=5.0)  # fmt: skip
        np.testing.assert_allclose(out[member].values, data[..., 0], rtol=1e-12, atol=1e-12)
    with pytest.raises(ValueError, match=r"Allowed are arrays of shape \(B,\) or \(B, 76\)"):
        run_batch(base, {"a": np.zeros((2, cortex.region_mapping.size))}, simulation_length=1.0)


def test_parameters_per_region_on_a_surface(connectivity, cortex):
    """A parameter given per region reaches every vertex of its region (TVB maps it through the
    region mapping), and one given per node each node: as TVB."""
    drive = np.linspace(-0.5, 0.5, connectivity.number_of_regions)

    def make():
        return _simulator(models.Generic2dOscillator(I=drive), connectivity, cortex)

    stock, engine = _pair(make)
    assert np.shape(engine.model.I)[0] == cortex.region_mapping.size
    _assert_agree(stock.run()[0], NumbaBackend().run_sim(engine)[0])


def test_bad_surface_settings_are_refused_before_running(connectivity, cortex, monkeypatch):
    """A negative local coupling strength, and a surface simulation over the memory limit, are
    refused by ``run_sim`` before the first step, each naming what is allowed and what was
    given."""
    sim = _simulator(models.Generic2dOscillator(), connectivity, cortex)
    sim.surface.coupling_strength = np.array([-1.0])
    with pytest.raises(ValueError, match="coupling_strength"):
        NumbaBackend().run_sim(sim)
    sim.surface.coupling_strength = np.array([1.0])
    monkeypatch.setenv("TVB_NGNMM_MEMORY_LIMIT", "1000")
    with pytest.raises(UnsupportedSimulationError, match="limit"):
        NumbaBackend().run_sim(sim)
    assert sim.current_step == 0  # nothing ran


def test_local_coupling_strength_per_vertex(connectivity, cortex):
    """A coupling strength per vertex (TVB scales each receiving vertex's row of L): as TVB."""
    strength = np.linspace(0.0, 2.0, cortex.number_of_vertices)
    stock, engine = _pair(lambda: _simulator(NextGenEI(), connectivity, cortex,
                                             coupling_strength=strength))  # fmt: skip
    _assert_agree(stock.run()[0], NumbaBackend().run_sim(engine)[0])
