"""Cortical surfaces: tvb-data's 16k cortex and projections, the refinement to 65k, and the checks
of a surface simulation (bad inputs, memory) before the engine allocates anything."""

from __future__ import annotations

import itertools
import tracemalloc

import numpy as np
import pytest
import scipy.sparse
from tvb.datatypes.connectivity import Connectivity
from tvb.datatypes.cortex import Cortex
from tvb.datatypes.local_connectivity import LocalConnectivity
from tvb.datatypes.region_mapping import RegionMapping
from tvb.datatypes.surfaces import CorticalSurface
from tvb.simulator import coupling, integrators, models, monitors, simulator

from tvb_ngnmm.connectomes import (
    _mesh,
    load_cortex,
    load_surface_projection,
    make_connectivity,
    refine_cortex,
)
from tvb_ngnmm.engine.errors import UnsupportedSimulationError
from tvb_ngnmm.engine.surface_checks import (
    MEMORY_LIMIT_VARIABLE,
    check_cortex,
    check_memory,
    check_normals,
    check_surface,
    default_memory_limit,
    surface_memory,
)

N_REGION = 4


def icosahedron() -> tuple[np.ndarray, np.ndarray]:
    """The regular icosahedron on the unit sphere, triangles wound outward (12 vertices)."""
    phi = (1 + 5**0.5) / 2
    vertices = np.array(
        [[-1, phi, 0], [1, phi, 0], [-1, -phi, 0], [1, -phi, 0],
         [0, -1, phi], [0, 1, phi], [0, -1, -phi], [0, 1, -phi],
         [phi, 0, -1], [phi, 0, 1], [-phi, 0, -1], [-phi, 0, 1]],
        dtype=float,
    )  # fmt: skip
    triangles = np.array(
        [[0, 11, 5], [0, 5, 1], [0, 1, 7], [0, 7, 10], [0, 10, 11],
         [1, 5, 9], [5, 11, 4], [11, 10, 2], [10, 7, 6], [7, 1, 8],
         [3, 9, 4], [3, 4, 2], [3, 2, 6], [3, 6, 8], [3, 8, 9],
         [4, 9, 5], [2, 4, 11], [6, 2, 10], [8, 6, 7], [9, 8, 1]]
    )  # fmt: skip
    return vertices / np.linalg.norm(vertices, axis=1, keepdims=True), triangles


def two_spheres(levels: int = 2, radius: float = 30.0):
    """Two icospheres 80 mm apart (like two hemispheres; Euler characteristic 4), in mm."""
    vertices, triangles = icosahedron()
    for _ in range(levels):
        vertices, triangles, _ = _mesh.split_triangles(vertices, triangles)
        vertices /= np.linalg.norm(vertices, axis=1, keepdims=True)
    n = len(vertices)
    left, right = radius * vertices - [40.0, 0, 0], radius * vertices + [40.0, 0, 0]
    return np.concatenate([left, right]), np.concatenate([triangles, triangles + n])


def small_connectivity() -> Connectivity:
    weights = np.ones((N_REGION, N_REGION)) - np.eye(N_REGION)
    centres = np.array([[-40.0, -10, 0], [-40.0, 10, 0], [40.0, -10, 0], [40.0, 10, 0]])
    return make_connectivity(weights, centres=centres, conduction_speed=3.0)


def small_cortex(levels: int = 2, connectivity=None, wind_inward: bool = False):
    """A cortex on :func:`two_spheres`: four regions (hemisphere × sign of y), neighbour-mean
    local connectivity, outward unit normals; returns ``(cortex, connectivity)``."""
    vertices, triangles = two_spheres(levels)
    if wind_inward:
        triangles = triangles[:, ::-1].copy()
    centre = np.where(vertices[:, :1] < 0, -40.0, 40.0) * [[1, 0, 0]]
    normals = (vertices - centre) / np.linalg.norm(vertices - centre, axis=1, keepdims=True)
    surface = CorticalSurface(vertices=vertices, triangles=triangles, vertex_normals=normals)
    surface.zero_based_triangles = True
    surface.configure()
    connectivity = connectivity or small_connectivity()
    labels = 2 * (vertices[:, 0] > 0) + (vertices[:, 1] > 0)
    mapping = RegionMapping(array_data=labels.astype(int), surface=surface)
    mapping.connectivity = connectivity
    local = LocalConnectivity(
        surface=surface, matrix=_mesh.neighbour_mean_connectivity(triangles, len(vertices))
    )
    cortex = Cortex(
        region_mapping_data=mapping, local_connectivity=local, coupling_strength=np.array([0.1])
    )
    return cortex, connectivity


def surface_sim(cortex, connectivity, configure: bool = True):
    sim = simulator.Simulator(
        model=models.Generic2dOscillator(),
        connectivity=connectivity,
        coupling=coupling.Linear(a=np.array([0.01])),
        integrator=integrators.HeunDeterministic(dt=0.1),
        surface=cortex,
        monitors=(monitors.Raw(),),
        simulation_length=1.0,
    )
    return sim.configure() if configure else sim


def python_edges(triangles) -> set:
    """The mesh's edges as a set of frozensets (independent of the code under test)."""
    return {frozenset(pair) for t in triangles.tolist() for pair in itertools.combinations(t, 2)}


# -- the mesh and its refinement ------------------------------------------------------------------


def test_refine_counts_topology_and_winding():
    """Refinement: V + E vertices, 4 T triangles, Euler characteristic kept, winding kept."""
    cortex, _ = small_cortex(levels=1)
    parent = cortex.surface
    n_vertex, n_edge = len(parent.vertices), len(python_edges(parent.triangles))
    refined = refine_cortex(cortex).surface
    assert refined.number_of_vertices == len(refined.vertices) == n_vertex + n_edge
    assert refined.number_of_triangles == len(refined.triangles) == 4 * len(parent.triangles)
    euler = n_vertex - n_edge + len(parent.triangles)
    assert euler == 4
    assert (
        len(refined.vertices) - len(python_edges(refined.triangles)) + len(refined.triangles)
        == euler
    )
    # the parent's vertices are kept; each new one is the midpoint of one parent edge
    np.testing.assert_array_equal(refined.vertices[:n_vertex], parent.vertices)
    midpoints = {
        tuple(np.round((parent.vertices[a] + parent.vertices[b]) / 2, 9))
        for a, b in map(tuple, python_edges(parent.triangles))
    }
    assert {tuple(v) for v in np.round(refined.vertices[n_vertex:], 9)} == midpoints
    # outward winding stays outward: triangle normals point away from the sphere's centre
    centres = refined.vertices[refined.triangles].mean(axis=1)
    outward = centres - np.where(centres[:, :1] < 0, -40.0, 40.0) * [[1, 0, 0]]
    assert np.all(np.sum(refined.triangle_normals * outward, axis=1) > 0)


@pytest.mark.parametrize("wind_inward", [False, True])
def test_refined_normals_unit_and_outward_like_the_parents(wind_inward):
    """Refined normals: unit, on the parent's side even when the triangles wind against it
    (tvb-data's 16k cortex: outward normals, inward winding)."""
    cortex, _ = small_cortex(levels=1, wind_inward=wind_inward)
    refined = refine_cortex(cortex).surface
    normals = check_normals(refined, "the test")
    np.testing.assert_allclose(np.linalg.norm(normals, axis=1), 1.0, atol=1e-12)
    radial = refined.vertices - np.where(refined.vertices[:, :1] < 0, -40.0, 40.0) * [[1, 0, 0]]
    radial /= np.linalg.norm(radial, axis=1, keepdims=True)
    assert np.min(np.sum(normals * radial, axis=1)) > 0.95


def test_vertex_normals_reproduce_tvb_data_16k():
    """The normal rule (area-weighted) is the one of tvb-data's stored 16k normals, to 1e-5."""
    surface = CorticalSurface.from_file("cortex_16384.zip")
    normals = _mesh.vertex_normals(surface.vertices, surface.triangles)
    sign = _mesh.winding_sign(surface.vertex_normals, surface.vertices, surface.triangles)
    assert sign == -1.0  # tvb-data winds its triangles against its (outward) normals
    np.testing.assert_allclose(sign * normals, surface.vertex_normals, atol=1e-5)
    local = LocalConnectivity.from_file("local_connectivity_16384.mat").matrix
    rebuilt = _mesh.neighbour_mean_connectivity(surface.triangles, len(surface.vertices))
    assert local.nnz == rebuilt.nnz == 98280
    assert abs(local - rebuilt).max() == 0.0  # tvb-data's kernel: 1/degree at each neighbour


def test_refined_local_connectivity_is_the_parents_kernel():
    """Local connectivity rebuilt by the parent's rule: 1/deg(i) at each mesh neighbour, the
    pattern symmetric, rows summing to one, 2 E non-zeros."""
    cortex, _ = small_cortex(levels=1)
    refined = refine_cortex(cortex)
    matrix = refined.local_connectivity.matrix.tocsr()
    edges = python_edges(refined.surface.triangles)
    degree = np.zeros(refined.surface.number_of_vertices)
    for a, b in map(tuple, edges):
        degree[[a, b]] += 1
    assert matrix.nnz == 2 * len(edges)
    rows, cols = matrix.nonzero()
    assert {frozenset(p) for p in zip(rows.tolist(), cols.tolist(), strict=True)} == edges
    np.testing.assert_allclose(matrix.data, 1.0 / degree[rows])
    np.testing.assert_allclose(np.asarray(matrix.sum(axis=1)).ravel(), 1.0)
    assert (abs((matrix != 0).astype(int) - (matrix.T != 0).astype(int))).nnz == 0
    assert refined.local_connectivity.surface is refined.surface


def test_refined_region_mapping_and_strengths_follow_the_stated_rules():
    """A midpoint takes the region of its edge's endpoint of smaller index and the mean of their
    per-vertex strengths; non-cortical entries after the vertices are kept; input unchanged."""
    connectivity = make_connectivity(
        np.ones((N_REGION + 1, N_REGION + 1)) - np.eye(N_REGION + 1), conduction_speed=3.0
    )
    cortex, _ = small_cortex(levels=1, connectivity=connectivity)
    parent = cortex.surface
    n_vertex = len(parent.vertices)
    labels = np.asarray(cortex.region_mapping_data.array_data)
    cortex.region_mapping_data.array_data = np.concatenate([labels, [N_REGION]])
    strength = np.linspace(0.0, 1.0, n_vertex)
    cortex.coupling_strength = strength
    refined = refine_cortex(cortex)
    new_labels = np.asarray(refined.region_mapping_data.array_data)
    assert new_labels[-1] == N_REGION
    positions = {tuple(np.round(v, 9)): k for k, v in enumerate(refined.surface.vertices)}
    for a, b in sorted(tuple(sorted(e)) for e in python_edges(parent.triangles)):
        k = positions[tuple(np.round((parent.vertices[a] + parent.vertices[b]) / 2, 9))]
        assert new_labels[k] == labels[a]
        assert refined.coupling_strength[k] == pytest.approx((strength[a] + strength[b]) / 2)
    np.testing.assert_array_equal(new_labels[:n_vertex], labels)
    assert len(cortex.region_mapping_data.array_data) == n_vertex + 1
    assert cortex.surface is parent and len(parent.vertices) == n_vertex


def test_refined_equation_local_connectivity_uses_the_parents_cutoff():
    """A local connectivity TVB computed from an equation is recomputed with the same equation
    and cutoff (geodesic distances) on the refined mesh."""
    cortex, _ = small_cortex(levels=0)
    local = LocalConnectivity(surface=cortex.surface, cutoff=40.0)
    local.equation.parameters["sigma"] = 10.0
    local.compute_sparse_matrix()
    cortex.local_connectivity = local
    refined = refine_cortex(cortex).local_connectivity
    assert refined.cutoff == 40.0 and refined.equation.parameters["sigma"] == 10.0
    import gdist  # noqa: PLC0415

    surface = refined.surface
    distances = gdist.local_gdist_matrix(
        surface.vertices, surface.triangles.astype(np.int32), max_distance=40.0
    )
    assert refined.matrix.nnz == distances.nnz > 2 * len(python_edges(surface.triangles))
    with pytest.raises(UnsupportedSimulationError, match=r"refined local connectivity.*40 mm"):
        refine_cortex(cortex, memory_limit=1000)


def test_refine_16k_to_65k():
    """tvb-data's 16k cortex refined (load_cortex('65k')): 65,524 vertices, 393,120 local
    non-zeros, normals outward like the parent's, one strength per vertex accepted."""
    cortex, _ = load_cortex("16k")
    strengths = np.linspace(0.0, 1.0, 65524)
    refined, connectivity = load_cortex("65k", coupling_strength=strengths)
    surface = refined.surface
    assert surface.number_of_vertices == 16384 + 49140
    assert surface.number_of_triangles == 4 * 32760
    assert refined.local_connectivity.matrix.nnz == 2 * (2 * 49140 + 3 * 32760)
    agreement = np.sum(surface.vertex_normals[:16384] * cortex.surface.vertex_normals, axis=1)
    assert np.median(agreement) > 0.99
    assert len(check_cortex(refined, connectivity)) == surface.number_of_vertices
    np.testing.assert_array_equal(refined.coupling_strength, strengths)


# -- loaders ---------------------------------------------------------------------------------------


def test_load_cortex_16k_is_tvb_datas():
    """load_cortex: tvb-data's files, TVB's default connectivity, and a simulator configures."""
    cortex, connectivity = load_cortex("16k", coupling_strength=2**-10)
    assert cortex.region_mapping_data.connectivity is connectivity
    np.testing.assert_array_equal(connectivity.weights, Connectivity.from_file().weights)
    np.testing.assert_array_equal(
        cortex.region_mapping_data.array_data,
        RegionMapping.from_file("regionMapping_16k_76.txt").array_data,
    )
    assert cortex.local_connectivity.matrix.nnz == 98280
    assert cortex.coupling_strength.tolist() == [2**-10]
    sim = surface_sim(cortex, connectivity)
    assert sim.number_of_nodes == 16384
    assert len(check_surface(sim)) == 16384


def test_load_cortex_192_and_without_local_connectivity():
    """The 192-region mapping lists the 116 non-cortical regions after the vertices;
    local_connectivity=False stores zeros that Cortex.configure keeps."""
    cortex, connectivity = load_cortex("16k", regions=192, local_connectivity=False)
    full = check_cortex(cortex, connectivity)
    assert len(full) == 16500 and connectivity.number_of_regions == 192
    cortex.configure()
    matrix = cortex.local_connectivity.matrix
    assert matrix.shape == (16500, 16500) and not np.any(matrix.data)


@pytest.mark.parametrize(("kind", "n_channel"), [("eeg", 65), ("eeg62", 62), ("meg", 276)])
def test_load_surface_projection(kind, n_channel):
    """tvb-data's surface projections with their sensors."""
    projection, sensors = load_surface_projection(kind)
    assert projection.projection_data.shape == (n_channel, 16384)
    assert projection.sensors is sensors and sensors.number_of_sensors == n_channel
    assert projection.sources.vertices.shape == (16384, 3)


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: load_cortex("80k"), r"'name' parameter.*'16k', '65k'.*'80k'"),
        (lambda: load_cortex(regions=68), r"'regions' parameter.*76, 192.*68 instead"),
        (lambda: load_surface_projection("seeg"), r"'kind' parameter.*'eeg'.*'seeg' instead"),
        (lambda: load_cortex(coupling_strength=-1.0), r"'coupling_strength'.*>= 0.*-1.0"),
    ],
)
def test_loader_bad_arguments(call, match):
    """Bad loader arguments name the parameter, the allowed values and the value given."""
    with pytest.raises(ValueError, match=match):
        call()


def test_full_region_mapping_appends_unmapped_regions_as_tvb():
    """A region no vertex maps to is one more node, after the vertices, as in TVB's
    Cortex.region_mapping; check_surface returns the same mapping TVB simulates with."""
    connectivity = make_connectivity(
        np.ones((N_REGION + 2, N_REGION + 2)) - np.eye(N_REGION + 2), conduction_speed=3.0
    )
    cortex, _ = small_cortex(connectivity=connectivity)
    full = check_cortex(cortex, connectivity)
    assert len(full) == 324 + 2 and full[-2:].tolist() == [N_REGION, N_REGION + 1]
    sim = surface_sim(cortex, connectivity)
    np.testing.assert_array_equal(check_surface(sim), sim.surface.region_mapping)
    assert sim.number_of_nodes == len(full)
    assert sim.surface.local_connectivity.matrix.shape == (326, 326)  # padded by TVB


# -- bad input -------------------------------------------------------------------------------------


def _set_labels(cortex, labels):
    cortex.region_mapping_data.array_data = np.asarray(labels)


BAD_CORTICES = {
    "short region mapping": (
        lambda c: _set_labels(c, c.region_mapping_data.array_data[:-3]),
        r"'array_data' of the cortex's region mapping.*one region per vertex \(324 vertices\)"
        r".*321 entries",
    ),
    "label too large": (
        lambda c: _set_labels(c, np.r_[c.region_mapping_data.array_data[:-1], N_REGION]),
        r"labels of the cortex's region mapping.*\[0, 3\].*4\.0 at index 323",
        IndexError,  # TVB's history
    ),
    "negative label": (
        lambda c: _set_labels(c, np.r_[-1, c.region_mapping_data.array_data[1:]]),
        r"labels of the cortex's region mapping.*\[0, 3\].*-1\.0 at index 0",
        ValueError,  # numpy.bincount in TVB's history
    ),
    "local connectivity too large": (
        lambda c: setattr(c.local_connectivity, "matrix", scipy.sparse.eye(330, format="csr")),
        r"'matrix' of the cortex's local connectivity.*\(324, 324\).*shape \(330, 330\)",
    ),
    "local connectivity not finite": (
        lambda c: c.local_connectivity.matrix.data.__setitem__(5, np.nan),
        r"'matrix' of the cortex's local connectivity.*finite weights.*nan at index 5",
    ),
    "negative strength": (
        lambda c: setattr(c, "coupling_strength", np.array([-0.5])),
        r"'coupling_strength' of the cortex.*finite numbers >= 0.*-0\.5",
    ),
    "infinite strength per vertex": (
        lambda c: setattr(c, "coupling_strength", np.r_[np.ones(323), np.inf]),
        r"'coupling_strength' of the cortex.*finite numbers >= 0.*inf at index 323",
    ),
    "strengths of the wrong size": (
        lambda c: setattr(c, "coupling_strength", np.ones(7)),
        r"'coupling_strength' of the cortex.*one value or one per vertex \(324\).*7 values",
    ),
}


@pytest.mark.parametrize("case", list(BAD_CORTICES))
def test_bad_input_reaching_the_engine(case):
    """Bad inputs are refused by check_cortex on the bare cortex and, where TVB's
    sim.configure() lets them through, by check_surface on the configured simulator, naming
    the object, what is allowed and what was given."""
    spoil, match, *tvb_error = BAD_CORTICES[case]
    cortex, connectivity = small_cortex()
    spoil(cortex)
    with pytest.raises(ValueError, match=match):
        check_cortex(cortex, connectivity)
    cortex, connectivity = small_cortex()
    spoil(cortex)
    if tvb_error:
        with pytest.raises(tvb_error[0]):
            surface_sim(cortex, connectivity)
        return
    sim = surface_sim(cortex, connectivity)  # TVB accepts it
    with pytest.raises(ValueError, match=match):
        check_surface(sim)


def test_bad_input_tvb_refuses_first():
    """A region mapping without connectivity: TVB's configure fails (AttributeError); the bare
    cortex's check says what is missing. A local connectivity too small, which TVB pads
    silently, is caught on the bare cortex."""
    cortex, connectivity = small_cortex()
    mapping = cortex.region_mapping_data
    cortex.region_mapping_data = RegionMapping(
        array_data=mapping.array_data, surface=mapping.surface
    )
    with pytest.raises(AttributeError):
        surface_sim(cortex, connectivity)
    with pytest.raises(ValueError, match=r"'connectivity' of the cortex's region mapping.*None"):
        check_cortex(cortex, connectivity)
    cortex, connectivity = small_cortex()
    cortex.local_connectivity.matrix = scipy.sparse.eye(300, format="csr")
    with pytest.raises(ValueError, match=r"local connectivity.*\(324, 324\).*\(300, 300\)"):
        check_cortex(cortex, connectivity)
    assert surface_sim(cortex, connectivity).surface.local_connectivity.matrix.shape == (324, 324)


def test_bad_input_more_cases():
    """Other connectivity, trailing entries that are not non-cortical regions, bad triangles,
    and a region mapping changed after TVB cached its full form."""
    cortex, connectivity = small_cortex()
    other = make_connectivity(np.ones((6, 6)), conduction_speed=3.0)
    with pytest.raises(ValueError, match=r"simulator's connectivity \(6 regions\).*4 regions"):
        check_cortex(cortex, other)
    cortex, connectivity = small_cortex()
    _set_labels(cortex, np.r_[cortex.region_mapping_data.array_data, 0])
    with pytest.raises(ValueError, match=r"1 entries after the 324 vertices.*non-cortical.*\[0\]"):
        check_cortex(cortex, connectivity)
    cortex, connectivity = small_cortex()
    cortex.surface.triangles = cortex.surface.triangles.copy()
    cortex.surface.triangles[2, 1] = 324
    with pytest.raises(ValueError, match=r"'triangles'.*\[0, 323\].*324\.0 at index \(2, 1\)"):
        check_cortex(cortex, connectivity)
    cortex, connectivity = small_cortex()
    cortex.region_mapping  # noqa: B018 (TVB caches it)
    _set_labels(cortex, cortex.region_mapping_data.array_data[::-1].copy())
    with pytest.raises(ValueError, match=r"computed from an earlier region_mapping_data"):
        check_cortex(cortex, connectivity)


def test_check_normals():
    """Orientations need unit vertex normals: missing, misshaped or not unit are refused."""
    cortex, _ = small_cortex(levels=0)
    surface = cortex.surface
    assert check_normals(surface, "the EEG's dipoles").shape == (24, 3)
    surface.vertex_normals = None
    with pytest.raises(ValueError, match=r"the EEG's dipoles need the surface's vertex normals.*"):
        check_normals(surface, "the EEG's dipoles")
    surface.vertex_normals = np.ones((23, 3))
    with pytest.raises(ValueError, match=r"'vertex_normals'.*\(24, 3\).*shape \(23, 3\)"):
        check_normals(surface, "the EEG's dipoles")
    surface.vertex_normals = np.ones((24, 3))
    with pytest.raises(ValueError, match=r"lengths of the 'vertex_normals'.*1\.7320"):
        check_normals(surface, "the EEG's dipoles")


# -- memory ----------------------------------------------------------------------------------------


def test_surface_memory_is_monotone_and_counts_its_parts():
    """The estimate grows with each size and is at least the state, CSR and history bytes."""
    base = dict(n_node=65524, n_var=2, nnz_local=393120, n_region=76, horizon=820)
    size = surface_memory(**base)
    for key in base:
        larger = surface_memory(**{**base, key: 2 * base[key]})
        assert larger > size, key
    floor = 9 * 2 * 65524 * 8 + 393120 * 12 + 2 * 76 * 820 * 4
    assert size > floor
    assert surface_memory(**base, chunk_steps=100) > surface_memory(**base, chunk_steps=1)


def test_memory_refused_before_allocating(monkeypatch):
    """A run above the limit is refused, naming its size and the limit, before anything of the
    run's size is allocated; the limit comes from the argument or the environment variable."""
    cortex, connectivity = small_cortex()
    sim = surface_sim(cortex, connectivity)
    with pytest.raises(UnsupportedSimulationError, match=r"324 nodes.*more than the memory limit"):
        check_surface(sim, memory_limit=1000)
    tracemalloc.start()
    with pytest.raises(UnsupportedSimulationError, match=r"\d+ bytes.*limit of 0\.93 GiB"):
        check_memory(surface_memory(10**9, 4, 10**10, 1000, 10**4), 10**9)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 2**20
    monkeypatch.setenv(MEMORY_LIMIT_VARIABLE, "0.001 MiB")
    assert default_memory_limit() == int(0.001 * 2**20)
    with pytest.raises(UnsupportedSimulationError, match=r"limit of 0\.00 GiB \(1048 bytes\)"):
        check_surface(sim)
    monkeypatch.setenv(MEMORY_LIMIT_VARIABLE, "4GiB")
    assert default_memory_limit() == 4 * 2**30
    check_surface(sim)
    monkeypatch.setenv(MEMORY_LIMIT_VARIABLE, "lots")
    with pytest.raises(ValueError, match=r"TVB_NGNMM_MEMORY_LIMIT.*'4GiB'.*'lots' instead"):
        check_surface(sim)
    monkeypatch.delenv(MEMORY_LIMIT_VARIABLE)
    assert 0 < default_memory_limit()
    with pytest.raises(ValueError, match=r"'memory_limit' parameter.*> 0.*-5"):
        check_surface(sim, memory_limit=-5)
