"""Monitors on cortical surfaces: each engine monitor against TVB's own on identical input.

TVB's configured monitor is fed the observed states step by step (``record``), the engine monitor
the same states in chunks of uneven length (``consume``); the outputs must agree to float
rounding. The surface is the small two-hemisphere mesh of ``small_surface`` (84 vertices, four
regions on the surface and one left out of it, so 85 nodes), and tvb-data's ``cortex_16384``
for the vertex-level EEG and MEG projections.
"""

from types import SimpleNamespace

import numpy as np
import pytest
import small_surface
from tvb.datatypes import cortex, projections, sensors
from tvb.datatypes.connectivity import Connectivity
from tvb.datatypes.local_connectivity import LocalConnectivity
from tvb.simulator import integrators, models, monitors
from tvb.simulator.simulator import Simulator

from tvb_ngnmm.backend import NumbaBackend
from tvb_ngnmm.engine.continuation import unchanged
from tvb_ngnmm.monitors import BalloonWindkesselBold, ForwardProjection, engine_monitor_class

DT = 0.1
N_VERTEX = 84
CHUNKS = (7, 50, 1, 13)  # chunk lengths, repeated


@pytest.fixture(scope="module")
def conn():
    return small_surface.connectivity()


@pytest.fixture(scope="module")
def conn4():
    """The four regions of the surface only (nothing left out of the region mapping)."""
    full = small_surface.connectivity()
    conn = Connectivity(
        weights=full.weights[:4, :4],
        tract_lengths=full.tract_lengths[:4, :4],
        centres=full.centres[:4],
        region_labels=full.region_labels[:4],
        orientations=full.orientations[:4],
        cortical=full.cortical[:4],
        speed=np.array([10.0]),
    )
    conn.configure()
    return conn


def surface_sim(conn, mons, dt=DT, normals=True):
    """A configured Generic2dOscillator simulation on the small surface, observing V and W."""
    sim = Simulator(
        model=models.Generic2dOscillator(variables_of_interest=("V", "W")),
        connectivity=conn,
        surface=small_surface.make_cortex(conn, normals=normals),
        integrator=integrators.HeunDeterministic(dt=dt),
        monitors=mons,
        simulation_length=10.0,
    )
    return sim.configure()


def chunked(n_steps):
    """Consecutive (start, stop) step ranges of uneven lengths covering ``n_steps`` steps."""
    start, k = 0, 0
    while start < n_steps:
        stop = min(n_steps, start + CHUNKS[k % len(CHUNKS)])
        yield start, stop
        start, k = stop, k + 1


def stock_and_engine(monitor, spec, observed):
    """TVB's ``record`` step by step and the engine monitor in chunks, on the same states.

    The engine monitor is made first: it starts from the TVB monitor's state, which ``record``
    then advances.
    """
    engine = engine_monitor_class(monitor)(monitor, spec, batch=1)
    stock = [monitor.record(step, observed[step - 1]) for step in range(1, len(observed) + 1)]
    stock = [sample for sample in stock if sample is not None]
    steps = np.arange(1, len(observed) + 1)
    pieces = [engine.consume(steps[a:b], observed[a:b]) for a, b in chunked(len(observed))]
    times = np.concatenate([t for t, _ in pieces])
    data = np.concatenate([d for _, d in pieces])
    assert len(stock) == len(times) > 0
    np.testing.assert_allclose(times, [t for t, _ in stock], rtol=1e-12)
    stock_data = np.array([d for _, d in stock])
    assert data.shape == stock_data.shape
    np.testing.assert_allclose(data, stock_data, rtol=1e-12, atol=1e-12 * np.abs(stock_data).max())
    return engine, data


def synthetic(sim, n_steps, seed=0):
    """Random observed states (n_steps, n_voi, n_node, 1)."""
    n_voi = len(sim.model.variables_of_interest)
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n_steps, n_voi, sim.number_of_nodes, 1))


NODE_MONITORS = {
    "Raw": monitors.Raw,
    "SubSample": lambda: monitors.SubSample(period=0.5),
    "TemporalAverage": lambda: monitors.TemporalAverage(period=0.7),
    "Bold (HRF)": lambda: monitors.Bold(period=8.0, hrf_length=40.0),
    "BalloonWindkesselBold per node": lambda: BalloonWindkesselBold(
        period=4.0, variable="V", spatial="node"
    ),
}


@pytest.mark.parametrize("name", NODE_MONITORS)
def test_node_monitors_match_stock_with_one_value_per_vertex(conn, name):
    """Raw, SubSample, TemporalAverage, HRF Bold and per-node Balloon-Windkessel BOLD on a
    surface: one value per node (84 vertices, then the region left off the surface), the
    axis named 'vertex', as TVB's monitors give them."""
    sim = surface_sim(conn, [NODE_MONITORS[name]()])
    spec = small_surface.spec_of(sim)
    engine, data = stock_and_engine(sim.monitors[0], spec, synthetic(sim, 400))
    assert engine.space == "vertex"
    assert engine.space_labels == spec.labels
    assert data.shape[2] == N_VERTEX + 1 == sim.number_of_nodes


def test_spatial_average_gives_region_means_on_a_surface(conn):
    """TVB's SpatialAverage without a mask on a surface: the mean of each region's vertices,
    the left-out region its node's value, labelled with the connectivity's regions."""
    sim = surface_sim(conn, [monitors.SpatialAverage(period=0.5)])
    spec = small_surface.spec_of(sim)
    observed = synthetic(sim, 60)
    engine, data = stock_and_engine(sim.monitors[0], spec, observed)
    assert (engine.space, engine.space_labels) == ("region", small_surface.LABELS)
    mapping = sim.surface.region_mapping
    expected = np.stack(
        [observed[4::5, :, mapping == r].mean(axis=2) for r in range(5)], axis=2
    )  # steps 5, 10, ...: rows 4, 9, ...
    np.testing.assert_allclose(data, expected, rtol=1e-12)
    np.testing.assert_array_equal(data[:, :, 4], observed[4::5, :, N_VERTEX])


def test_spatial_average_with_a_mask_of_its_own(conn):
    """A user's mask: groups labelled 'area k' on an axis named 'area'."""
    mask = np.arange(N_VERTEX + 1) % 3
    sim = surface_sim(conn, [monitors.SpatialAverage(period=0.3, spatial_mask=mask)])
    engine, data = stock_and_engine(sim.monitors[0], small_surface.spec_of(sim), synthetic(sim, 30))
    assert (engine.space, engine.space_labels) == ("area", ("area 0", "area 1", "area 2"))
    assert data.shape == (10, 2, 3, 1)


def region_sim(conn, mons, length=5.0):
    """A configured region simulation (no surface) of the five regions."""
    sim = Simulator(
        model=models.Generic2dOscillator(variables_of_interest=("V", "W")),
        connectivity=conn,
        integrator=integrators.HeunDeterministic(dt=DT),
        monitors=mons,
        simulation_length=length,
    )
    return sim.configure()


def test_spatial_average_runs_on_the_engine_in_region_simulations(conn):
    """SpatialAverage in a region simulation (TVB's default mask: non-cortical regions, then
    cortical ones), end to end: the engine's run_sim against stock sim.run()."""
    sim = region_sim(conn, [monitors.SpatialAverage(period=0.5), monitors.Raw()])
    with unchanged(sim):
        fast = NumbaBackend().run_sim(sim)
    stock = sim.run()
    for (t, y), (t_ref, y_ref) in zip(fast, stock, strict=True):
        np.testing.assert_array_equal(t, t_ref)
        np.testing.assert_allclose(y, y_ref, rtol=1e-9, atol=1e-12)
    (_, averaged), (_, raw) = fast
    assert averaged.shape[2] == 2  # the non-cortical region, the mean of the cortical ones
    np.testing.assert_allclose(averaged[:, :, 0], raw[4::5, :, 4], rtol=1e-12)
    np.testing.assert_allclose(averaged[:, :, 1], raw[4::5, :, :4].mean(axis=2), rtol=1e-12)


def test_balloon_windkessel_region_bold_from_the_mean_of_the_vertices(conn):
    """BalloonWindkesselBold on a surface, by default one BOLD per region driven by the mean of
    its vertices' signal: against stock, and equal to the per-node BOLD of a vertex when all the
    vertices of its region carry the region's mean."""
    sim = surface_sim(conn, [BalloonWindkesselBold(period=4.0, variable="V")])
    spec = small_surface.spec_of(sim)
    observed = synthetic(sim, 400) * 0.1
    engine, data = stock_and_engine(sim.monitors[0], spec, observed)
    assert (engine.space, engine.space_labels) == ("region", small_surface.LABELS)
    assert data.shape == (10, 1, 5, 1)
    mapping = sim.surface.region_mapping
    means = np.stack([observed[:, :, mapping == r].mean(axis=2) for r in range(5)], axis=2)
    flat = means[:, :, mapping]  # every node carries its region's mean
    per_node = surface_sim(conn, [BalloonWindkesselBold(period=4.0, variable="V", spatial="node")])
    _, node_data = stock_and_engine(per_node.monitors[0], spec, flat)
    first = [int(np.flatnonzero(mapping == r)[0]) for r in range(5)]
    np.testing.assert_allclose(data, node_data[:, :, first], rtol=1e-12)


def test_balloon_windkessel_keeps_memory_flat_with_run_length(conn):
    """The per-node hemodynamic state is all the engine monitor keeps between chunks."""
    sim = surface_sim(conn, [BalloonWindkesselBold(period=4.0, variable="V", spatial="node")])
    engine = engine_monitor_class(sim.monitors[0])(sim.monitors[0], small_surface.spec_of(sim), 1)
    observed = synthetic(sim, 40)
    sizes = []
    for k in range(5):
        engine.consume(np.arange(1, 41) + 40 * k, observed)
        sizes.append(sum(np.asarray(v).nbytes for v in vars(engine).values() if np.ndim(v)))
    assert len(set(sizes)) == 1
    assert engine.state.shape == (4, N_VERTEX + 1, 1)


def test_bold_region_roi_convolves_the_region_means(conn):
    """TVB's BoldRegionROI (the region means of the vertices' HRF BOLD) from a ring of the
    regions' means: against stock, and leaving TVB's vertex-level ring with each vertex at its
    region's mean, from which stock continues as from its own."""
    sim = surface_sim(conn, [monitors.BoldRegionROI(period=8.0, hrf_length=40.0)])
    monitor, spec = sim.monitors[0], small_surface.spec_of(sim)
    observed = synthetic(sim, 400)
    engine, data = stock_and_engine(monitor, spec, observed[:300])
    assert (engine.space, engine.space_labels) == ("region", small_surface.LABELS)
    assert engine.stock.shape == (10, 2, 5, 1)  # 40 ms / 4 ms samples of the 5 regions
    assert data.shape == (3, 2, 5, 1)
    stock_ring = monitor._stock.copy()
    engine.update_tvb_monitor()
    mapping = sim.surface.region_mapping
    means = np.stack([stock_ring[:, :, mapping == r].mean(axis=2) for r in range(5)], axis=2)
    np.testing.assert_allclose(monitor._stock, means[:, :, mapping], rtol=1e-12)
    later = [monitor.record(step, observed[step - 1]) for step in range(301, 401)]
    twin = surface_sim(conn, [monitors.BoldRegionROI(period=8.0, hrf_length=40.0)])
    expected = [twin.monitors[0].record(step, observed[step - 1]) for step in range(1, 401)]
    np.testing.assert_allclose(
        [d for d in later if d is not None][0][1], [d for d in expected if d is not None][3][1]
    )


def test_bold_region_roi_needs_a_surface_and_the_first_variables(conn):
    sim = surface_sim(conn, [monitors.BoldRegionROI(period=8.0, hrf_length=40.0)])
    monitor, spec = sim.monitors[0], small_surface.spec_of(sim)
    region_spec = SimpleNamespace(**{**vars(spec), "surface": None})
    with pytest.raises(ValueError, match=r"'surface' of the simulator for the BoldRegionROI"):
        engine_monitor_class(monitor)(monitor, region_spec, 1)
    monitor.voi = np.array([1])
    match = r"'variables_of_interest' parameter of the BoldRegionROI .* but got \[1\] instead"
    with pytest.raises(ValueError, match=match):
        engine_monitor_class(monitor)(monitor, spec, 1)


# -- projections ---------------------------------------------------------------------------


def eeg_sensors(n=6, seed=1):
    rng = np.random.default_rng(seed)
    directions = rng.normal(size=(n, 3))
    locations = 120.0 * directions / np.linalg.norm(directions, axis=1)[:, None]
    return sensors.SensorsEEG(labels=np.array([f"E{i}" for i in range(n)]), locations=locations)


def test_ieeg_with_a_vertex_projection_matches_stock(conn4):
    """TVB's iEEG on a surface with a projection of one column per vertex."""
    surface = small_surface.make_cortex(conn4).surface
    contacts = sensors.SensorsInternal(
        labels=np.array(["A1", "A2", "B1"]), locations=np.array([[0, 0, 5.0], [0, 5, 0], [5, 0, 0]])
    )
    gain = np.random.default_rng(3).normal(size=(3, N_VERTEX))
    projection = projections.ProjectionSurfaceSEEG(
        projection_data=gain, sources=surface, sensors=contacts
    )
    mapping = small_surface.make_cortex(conn4).region_mapping_data
    ieeg = monitors.iEEG(
        sensors=contacts, projection=projection, region_mapping=mapping, period=0.5, obsnoise=None
    )
    sim = surface_sim(conn4, [ieeg])
    observed = synthetic(sim, 50)
    engine, data = stock_and_engine(sim.monitors[0], small_surface.spec_of(sim), observed)
    assert engine.space == "sensor"
    block_means = observed[:, :, :, 0].reshape(10, 5, 2, N_VERTEX).mean(axis=1)
    np.testing.assert_allclose(data[..., 0], block_means @ gain.T, rtol=1e-10)


@pytest.fixture(scope="module")
def cortex_16k():
    """tvb-data's cortex_16384 with tvb76 (every region on the surface: 16384 nodes)."""
    conn = Connectivity.from_file()
    surface = cortex.Cortex.from_file()
    surface.region_mapping_data.connectivity = conn
    surface.local_connectivity = LocalConnectivity.from_file()
    surface.configure()
    return conn, surface


def configured_16k(monitor, cortex_16k):
    """``monitor`` configured as a surface simulation on cortex_16384 would configure it."""
    conn, surface = cortex_16k
    simulator = SimpleNamespace(
        surface=surface,
        connectivity=conn,
        integrator=SimpleNamespace(dt=DT),
        model=SimpleNamespace(variables_of_interest=("V",)),
        number_of_nodes=len(surface.region_mapping),
    )
    monitor.config_for_sim(simulator)
    return monitor, simulator


def spec_16k(simulator):
    surface = simulator.surface
    mapping = np.asarray(surface.region_mapping)
    labels = tuple(str(label) for label in simulator.connectivity.region_labels)
    return SimpleNamespace(
        dt=DT,
        current_step=0,
        labels=tuple(f"{labels[r]} v{i}" for i, r in enumerate(mapping)),
        observation=SimpleNamespace(names=("V",)),
        surface=SimpleNamespace(
            region_mapping=mapping, n_vertex=mapping.size, n_region=len(labels),
            region_labels=labels,
        ),
    )  # fmt: skip


@pytest.mark.parametrize(
    ("kind", "kwargs"),
    [
        ("EEG", {}),
        ("EEG", {"reference": "average", "obsnoise": None}),
        ("MEG", {}),
    ],
)
def test_tvb_data_vertex_projections_match_stock(cortex_16k, kind, kwargs):
    """TVB's EEG (65 channels) and MEG (276) with tvb-data's 16k vertex projections on
    cortex_16384: one gain column per vertex, observation noise and reference as stock."""
    monitor = getattr(monitors, kind).from_file(period=1.6, **kwargs)
    monitor, simulator = configured_16k(monitor, cortex_16k)
    assert monitor.gain.shape[1] == 16384
    observed = np.random.default_rng(5).normal(size=(48, 1, 16384, 1))
    engine, data = stock_and_engine(monitor, spec_16k(simulator), observed)
    assert engine.space_labels == tuple(str(label) for label in monitor.sensors.labels)
    if kwargs.get("obsnoise", "default") is None:
        means = observed[:, 0, :, 0].reshape(3, 16, 16384).mean(axis=1)
        expected = means @ monitor.gain.T
        expected -= expected.mean(axis=1, keepdims=True)
        np.testing.assert_allclose(data[:, 0, :, 0], expected, rtol=1e-9, atol=1e-12)


# -- bad input ---------------------------------------------------------------------------------


def test_tvb_projection_refused_with_regions_left_off_the_surface(conn):
    """TVB misplaces the vertex gain when regions are left out of the region mapping: refused."""
    surface = small_surface.make_cortex(conn)
    eeg_sensors_ = eeg_sensors()
    gain = np.random.default_rng(0).normal(size=(6, N_VERTEX))
    projection = projections.ProjectionSurfaceEEG(
        projection_data=gain, sources=surface.surface, sensors=eeg_sensors_
    )
    eeg = monitors.EEG(
        sensors=eeg_sensors_,
        projection=projection,
        region_mapping=surface.region_mapping_data,
        period=0.5,
    )
    with np.errstate(invalid="ignore", divide="ignore"):  # TVB's analytic gain of the region
        sim = surface_sim(conn, [eeg])
    match = (
        r"'projection' of the EEG monitor on a surface .* left "
        r"out of the region mapping \(1 nodes after the 84 vertices\)"
    )
    with pytest.raises(ValueError, match=match):
        engine_monitor_class(eeg)(eeg, small_surface.spec_of(sim), 1)


def test_tvb_projection_gain_must_match_the_vertices(cortex_16k, conn4):
    """tvb-data's 16k projection on a surface of 84 vertices: named before the first step."""
    monitor = monitors.EEG.from_file(period=1.0)
    sim = surface_sim(conn4, [])
    monitor.region_mapping = sim.surface.region_mapping_data  # TVB configures, keeps the gain
    monitor.config_for_sim(sim)
    match = (
        r"Allowed is a gain with one column per vertex of the "
        r"surface \(84\), but got shape \(65, 16384\) instead"
    )
    with pytest.raises(ValueError, match=match):
        engine_monitor_class(monitor)(monitor, small_surface.spec_of(sim), 1)


def test_forward_projection_on_a_surface_matches_stock_and_checks_its_columns(conn):
    """ForwardProjection on a surface takes one gain column per node (vertices, then the
    region left off the surface); any other number is refused at configure()."""
    gain = np.random.default_rng(6).normal(size=(4, N_VERTEX + 1))
    sim = surface_sim(conn, [ForwardProjection(gain=gain, period=0.5)])
    observed = synthetic(sim, 40)
    stock_and_engine(sim.monitors[0], small_surface.spec_of(sim), observed)
    match = (
        r"'gain' parameter of ForwardProjection. Allowed is one "
        r"column per node of the surface simulation \(85: 84 vertices and 1 region "
        r"left out of the region mapping\), but got 84 columns instead"
    )
    with pytest.raises(ValueError, match=match):
        surface_sim(conn, [ForwardProjection(gain=gain[:, :N_VERTEX], period=0.5)])


def test_balloon_windkessel_spatial_must_be_region_or_node(conn):
    match = (
        r"'spatial' parameter of BalloonWindkesselBold. Allowed "
        r"values are 'region', 'node', but got 'vertex' instead"
    )
    with pytest.raises(ValueError, match=match):
        surface_sim(conn, [BalloonWindkesselBold(period=4.0, spatial="vertex")])


def test_spatial_average_mask_changed_after_configure_is_named(conn):
    sim = surface_sim(conn, [monitors.SpatialAverage(period=0.5)])
    monitor = sim.monitors[0]
    monitor.spatial_mask = np.zeros(10, dtype=int)
    match = (
        r"'spatial_mask' parameter of the SpatialAverage "
        r"monitor. Allowed is one group index per node of the simulation \(85\), "
        r"but got 10 instead"
    )
    with pytest.raises(ValueError, match=match):
        engine_monitor_class(monitor)(monitor, small_surface.spec_of(sim), 1)
