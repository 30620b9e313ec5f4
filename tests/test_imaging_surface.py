"""The MNE route on surfaces: one dipole per vertex along its normal, to Raw and SourceEstimate.

The small two-hemisphere mesh of ``small_surface`` (spheres of 30 mm at x = ±35 mm, taken as MNI
coordinates) and a 32-channel montage; the sensor signals of the two routes (a
``ForwardProjection`` with the surface gain in the simulation, and MNE's ``apply_forward_raw``
of the vertex activity after it) must agree.
"""

import io
import zipfile
from importlib import resources

import numpy as np
import pytest
import small_surface
from scipy.optimize import minimize
from scipy.spatial import cKDTree
from tvb.datatypes import cortex
from tvb.datatypes.connectivity import Connectivity
from tvb.simulator import integrators, models, monitors
from tvb.simulator.simulator import Simulator

from tvb_ngnmm.backend import NumbaBackend
from tvb_ngnmm.connectomes import CoordinateFrame, load_connectome
from tvb_ngnmm.imaging import (
    TVB76_TO_MNI_MM,
    apply_surface_forward,
    connectome_sensors,
    read_tvb_sensors,
    region_forward,
    surface_forward,
    surface_source_estimate,
    to_raw,
)
from tvb_ngnmm.monitors import ForwardProjection

mne = pytest.importorskip("mne")
MONTAGE = "biosemi32"
N_VERTEX = 84
MNI = CoordinateFrame("RAS", (0.0, 0.0, 0.0), "MNI (test mesh)")


def connectivity(n_region=5, hemispheres=True):
    full = small_surface.connectivity()
    conn = Connectivity(
        weights=full.weights[:n_region, :n_region],
        tract_lengths=full.tract_lengths[:n_region, :n_region],
        centres=full.centres[:n_region],
        region_labels=np.array([f"area {k}" for k in range(n_region)])
        if not hemispheres
        else full.region_labels[:n_region],
        orientations=full.orientations[:n_region],
        cortical=full.cortical[:n_region],
        speed=np.array([10.0]),
    )
    conn.configure()
    conn.coordinate_frame = MNI
    return conn


@pytest.fixture(scope="module")
def conn4():
    return connectivity(4)


@pytest.fixture(scope="module")
def forward(conn4):
    return surface_forward(small_surface.make_cortex(conn4), MONTAGE, dipole_moment=1e-8)


def test_gain_columns_are_dipoles_along_the_normals(conn4, forward):
    """Each column is MNE's gain of a dipole at the vertex along its normal: the same as
    region_forward's (a discrete source space, free orientation dotted with the normal) for
    a connectivity whose centres and orientations are those vertices and normals."""
    surface = small_surface.make_cortex(conn4)
    picked = np.array([0, 17, 50, 83])
    as_regions = Connectivity(
        weights=np.zeros((4, 4)), tract_lengths=np.zeros((4, 4)),
        centres=surface.vertices[picked], region_labels=np.array(["a", "b", "c", "d"]),
        orientations=surface.vertex_normals[picked],
    )  # fmt: skip
    as_regions.coordinate_frame = MNI
    regions = region_forward(as_regions, MONTAGE, orientations="normal")
    np.testing.assert_allclose(
        forward.gain_per_dipole_moment[:, picked], regions.gain_per_dipole_moment, rtol=1e-6
    )
    np.testing.assert_allclose(forward.gain, forward.gain_per_dipole_moment * 1e-8)
    assert forward.gain.shape == (32, N_VERTEX)


def test_hemispheres_split_the_source_estimate(forward):
    """The estimate's first hemisphere holds the vertices of the 'l' regions (x < 0)."""
    vertices, _, _ = small_surface.hemispheres()
    assert list(forward.order[:42]) == list(np.flatnonzero(vertices[:, 0] < 0))
    times = np.arange(5) * 1.0
    data = np.random.default_rng(0).normal(size=(5, N_VERTEX))
    estimate = surface_source_estimate(times, data, forward)
    assert [len(v) for v in estimate.vertices] == [42, 42]
    np.testing.assert_allclose(estimate.lh_data, 1e-8 * data[:, vertices[:, 0] < 0].T)
    np.testing.assert_allclose(estimate.rh_data, 1e-8 * data[:, vertices[:, 0] > 0].T)
    assert estimate.tstep == pytest.approx(1e-3)


@pytest.mark.parametrize("runner", ["stock", "engine"])
def test_the_two_routes_to_eeg_agree(conn4, forward, runner):
    """A surface simulation (stock sim.run() or the engine's run_sim) records a
    ForwardProjection with the surface gain and a TemporalAverage of the vertices; MNE's
    apply_forward_raw of the latter gives the former."""
    sim = Simulator(
        model=models.Generic2dOscillator(),
        connectivity=conn4,
        surface=small_surface.make_cortex(conn4),
        integrator=integrators.HeunDeterministic(dt=0.1),
        monitors=[
            ForwardProjection.from_forward(forward, period=1.0),
            monitors.TemporalAverage(period=1.0),
        ],
        simulation_length=20.0,
    ).configure()
    run = sim.run if runner == "stock" else lambda: NumbaBackend().run_sim(sim)
    (t_sensor, sensor), (t_vertex, vertex) = run()
    in_sim = to_raw(t_sensor, sensor, forward)
    after = apply_surface_forward(t_vertex, vertex, forward)
    assert after.ch_names == in_sim.ch_names and after.first_samp == in_sim.first_samp
    np.testing.assert_allclose(after.get_data(), in_sim.get_data(), rtol=1e-9, atol=1e-18)
    assert np.abs(in_sim.get_data()).max() > 0


def test_cortex_16384_forward_agrees_with_tvb_datas_vertex_projection():
    """tvb-data's cortex_16384 with tvb76: 8192 vertices per hemisphere, and each vertex's EEG
    topography (average reference) close to that of tvb-data's 16k EEG projection for the same
    electrodes (placed on tvb-data's scalp as in test_monitors_forward.py)."""
    conn = load_connectome("tvb76")
    surface = cortex.Cortex.from_file()
    surface.region_mapping_data.connectivity = conn
    projection = np.load(
        resources.files("tvb_data.projectionMatrix") / "projection_eeg_65_surface_16k.npy"
    )
    usable = np.all(np.isfinite(projection), axis=1)  # IO1 and IO2 are NaN
    names, positions = read_tvb_sensors("eeg_brainstorm_65")
    zipped = (resources.files("tvb_data.surfaceData") / "scalp_1082.zip").read_bytes()
    scalp = np.loadtxt(io.BytesIO(zipfile.ZipFile(io.BytesIO(zipped)).read("vertices.txt")))
    tree = cKDTree(scalp)
    fit = minimize(lambda x: np.mean(tree.query(positions - x)[0] ** 2), [0, 0, 50.0],
                   method="Nelder-Mead")  # fmt: skip
    info = connectome_sensors(
        np.array(names)[usable], positions[usable] - fit.x, conn, ch_type="eeg",
        to_mni=TVB76_TO_MNI_MM,
    )  # fmt: skip
    with pytest.warns(UserWarning, match="lay outside the inner sphere"):
        forward = surface_forward(surface, info, to_mni=TVB76_TO_MNI_MM, outside="shrink")
    assert [len(v) for v in forward.vertices] == [8192, 8192]
    tvb, mne_sphere = projection[usable], forward.gain
    tvb, mne_sphere = tvb - tvb.mean(0), mne_sphere - mne_sphere.mean(0)
    r = np.sum(tvb * mne_sphere, 0) / np.linalg.norm(tvb, axis=0)
    r /= np.linalg.norm(mne_sphere, axis=0)
    print(
        f"\ncortex_16384 vertex EEG topographies, MNE sphere vs tvb-data's projection: median "
        f"r = {np.median(r):.3f} (10th percentile {np.percentile(r, 10):.3f}, min "
        f"{r.min():.3f}); {len(forward.moved_vertices)} vertices moved inside the sphere"
    )
    assert np.median(r) > 0.9 and np.percentile(r, 10) > 0.8


# -- bad input ---------------------------------------------------------------------------------


def test_surface_without_normals_is_refused(conn4):
    cortex = small_surface.make_cortex(conn4, normals=False)
    match = (
        r"surface_forward's dipoles \(along the vertex normals\) need the surface's vertex "
        r"normals, but the surface has none. Allowed are unit normals of shape \(84, 3\)"
    )
    with pytest.raises(ValueError, match=match):
        surface_forward(cortex, MONTAGE)


def test_zero_normals_are_refused(conn4):
    cortex = small_surface.make_cortex(conn4)
    cortex.surface.vertex_normals[3] = 0.0
    match = (
        r"lengths of the 'vertex_normals' of the surface \(surface_forward's dipoles .* "
        r"Allowed values are 1 \(unit vectors, within 1e-3\), but got 0.0 at index 3"
    )
    with pytest.raises(ValueError, match=match):
        surface_forward(cortex, MONTAGE)


def test_hemispheres_needed_when_the_labels_do_not_say():
    conn = connectivity(4, hemispheres=False)
    match = (
        r"'hemispheres' parameter of surface_forward. Allowed "
        r"is one bool per region \(4, True: right\), .* but got none instead"
    )
    with pytest.raises(ValueError, match=match):
        surface_forward(small_surface.make_cortex(conn), MONTAGE)
    given = surface_forward(
        small_surface.make_cortex(conn), MONTAGE, hemispheres=[True, True, False, False]
    )
    assert given.right_hemisphere.sum() == 42


def test_data_with_nodes_beyond_the_vertices_is_refused(forward):
    data = np.zeros((4, 1, N_VERTEX + 1, 1))
    match = (
        r"one column per vertex of the forward's surface "
        r"\(84\), but got 85 columns instead \(a simulation with regions left off "
        r"the surface .* data\[:, :, :84\]\)"
    )
    with pytest.raises(ValueError, match=match):
        surface_source_estimate(np.arange(4.0), data, forward)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"dipole_moment": np.ones(3)}, r"'dipole_moment' parameter of surface_forward. Allowed "
         r"is one value or one per vertex \(84\), but got shape \(3,\) instead"),
        ({"dipole_moment": -1.0}, r"'dipole_moment' parameter of surface_forward. Allowed "
         r"values are finite numbers > 0"),
        ({"dipole_moment_density": np.nan}, r"'dipole_moment_density' parameter"),
    ],
)  # fmt: skip
def test_bad_dipole_moments_are_named(conn4, kwargs, match):
    with pytest.raises(ValueError, match=match):
        surface_forward(small_surface.make_cortex(conn4), MONTAGE, **kwargs)


def test_a_region_forward_is_not_a_surface_forward():
    with pytest.raises(TypeError, match=r"'forward' parameter. Allowed is a SurfaceForward"):
        surface_source_estimate(np.arange(3.0), np.zeros((3, 4)), object())


def test_a_surface_must_be_a_cortex_with_its_region_mapping(conn4):
    with pytest.raises(TypeError, match=r"'surface' parameter of surface_forward. Allowed is a "):
        surface_forward(object(), MONTAGE)
    cortex = small_surface.make_cortex(conn4)
    cortex.region_mapping_data.array_data = cortex.region_mapping_data.array_data[:10]
    match = r"'region_mapping' .* Allowed is one region per vertex \(84\), but got 10 instead"
    with pytest.raises(ValueError, match=match):
        surface_forward(cortex, MONTAGE)


def test_vertices_in_one_hemisphere_are_refused(conn4):
    match = r"Allowed are vertices in both hemispheres .* but got all 84 vertices in the right"
    with pytest.raises(ValueError, match=match):
        surface_forward(small_surface.make_cortex(conn4), MONTAGE, hemispheres=[True] * 4)


def test_seeg_sensors_are_refused(conn4):
    contacts = connectome_sensors(["A1", "A2"], [[0, 0, 5.0], [0, 5.0, 0]], conn4, ch_type="seeg")
    match = r"'sensors' parameter of surface_forward. Allowed are EEG and MEG channels"
    with pytest.raises(ValueError, match=match):
        surface_forward(small_surface.make_cortex(conn4), contacts)
