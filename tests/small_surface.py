"""A small cortical surface for tests: two hemispheres of 42 vertices, four cortical regions and
one region the surface leaves out (a non-cortical one, as TVB's ``Cortex`` appends it)."""

from types import SimpleNamespace

import numpy as np
import scipy.sparse
from tvb.datatypes import cortex, local_connectivity, region_mapping, surfaces
from tvb.datatypes.connectivity import Connectivity

LABELS = ("rA", "rB", "lA", "lB", "rTH")  # rTH: not on the surface (non-cortical)
N_CORTICAL_REGION = 4


def icosphere() -> tuple[np.ndarray, np.ndarray]:
    """A unit icosahedron split once: 42 vertices, 80 triangles, outward-wound."""
    t = (1.0 + 5.0**0.5) / 2.0
    vertices = [
        (-1, t, 0),
        (1, t, 0),
        (-1, -t, 0),
        (1, -t, 0),
        (0, -1, t),
        (0, 1, t),
        (0, -1, -t),
        (0, 1, -t),
        (t, 0, -1),
        (t, 0, 1),
        (-t, 0, -1),
        (-t, 0, 1),
    ]
    faces = [
        (0, 11, 5),
        (0, 5, 1),
        (0, 1, 7),
        (0, 7, 10),
        (0, 10, 11),
        (1, 5, 9),
        (5, 11, 4),
        (11, 10, 2),
        (10, 7, 6),
        (7, 1, 8),
        (3, 9, 4),
        (3, 4, 2),
        (3, 2, 6),
        (3, 6, 8),
        (3, 8, 9),
        (4, 9, 5),
        (2, 4, 11),
        (6, 2, 10),
        (8, 6, 7),
        (9, 8, 1),
    ]
    vertices = [np.array(v, dtype=float) / np.linalg.norm(v) for v in vertices]
    middle = {}

    def midpoint(a, b):
        key = (min(a, b), max(a, b))
        if key not in middle:
            point = vertices[a] + vertices[b]
            vertices.append(point / np.linalg.norm(point))
            middle[key] = len(vertices) - 1
        return middle[key]

    split = []
    for a, b, c in faces:
        ab, bc, ca = midpoint(a, b), midpoint(b, c), midpoint(c, a)
        split += [(a, ab, ca), (b, bc, ab), (c, ca, bc), (ab, bc, ca)]
    return np.array(vertices), np.array(split)


def hemispheres() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Vertices (mm), triangles and region mapping of two spheres of radius 30 mm, 70 mm apart
    along x (x > 0: right); each hemisphere has two regions (z >= 0 and z < 0)."""
    sphere, triangles = icosphere()
    right, left = sphere * 30.0 + [35.0, 0.0, 0.0], sphere * 30.0 - [35.0, 0.0, 0.0]
    vertices = np.vstack([right, left])
    triangles = np.vstack([triangles, triangles + len(sphere)])
    lower = (vertices[:, 2] < 0).astype(int)
    mapping = np.r_[lower[: len(sphere)], 2 + lower[len(sphere) :]]
    return vertices, triangles, mapping


def connectivity(seed: int = 0) -> Connectivity:
    """Five regions (the last one off the surface), random weights and tract lengths."""
    vertices, _, mapping = hemispheres()
    centres = np.array([vertices[mapping == k].mean(axis=0) for k in range(N_CORTICAL_REGION)])
    centres = np.vstack([centres, [10.0, 0.0, -20.0]])
    rng = np.random.default_rng(seed)
    weights = rng.uniform(size=(5, 5))
    np.fill_diagonal(weights, 0.0)
    lengths = np.linalg.norm(centres[:, None] - centres[None], axis=-1)
    orientations = centres / np.linalg.norm(centres, axis=1)[:, None]
    conn = Connectivity(
        weights=weights,
        tract_lengths=lengths,
        centres=centres,
        region_labels=np.array(LABELS),
        orientations=orientations,
        cortical=np.array([True] * 4 + [False]),
        hemispheres=np.array([True, True, False, False, True]),
        speed=np.array([10.0]),
    )
    conn.configure()
    return conn


def make_cortex(conn: Connectivity, normals: bool = True) -> cortex.Cortex:
    """The two hemispheres as TVB's ``Cortex`` for ``conn`` (a weak nearest-neighbour local
    connectivity, so that configuring computes no geodesic distances)."""
    vertices, triangles, mapping = hemispheres()
    surface = surfaces.CorticalSurface(
        vertices=vertices, triangles=triangles, number_of_vertices=len(vertices),
        number_of_triangles=len(triangles),
    )  # fmt: skip
    if normals:
        surface.compute_triangle_normals()
        surface.compute_vertex_normals()
    n = len(vertices)
    rows = np.r_[triangles[:, 0], triangles[:, 1], triangles[:, 2]]
    cols = np.r_[triangles[:, 1], triangles[:, 2], triangles[:, 0]]
    matrix = scipy.sparse.csc_matrix((np.full(rows.size, 0.01), (rows, cols)), shape=(n, n))
    local = local_connectivity.LocalConnectivity(surface=surface, matrix=matrix, cutoff=20.0)
    mapped = region_mapping.RegionMapping(array_data=mapping, connectivity=conn, surface=surface)
    return cortex.Cortex(
        region_mapping_data=mapped, local_connectivity=local, coupling_strength=np.array([0.0])
    )


def spec_of(sim) -> SimpleNamespace:
    """What an engine monitor reads from the engine's spec of a configured surface simulation."""
    from tvb_ngnmm.engine.observation import observation_of  # noqa: PLC0415

    model = sim.model
    surface = sim.surface
    n_vertex = surface.region_mapping_data.array_data.size
    region_labels = tuple(str(label) for label in sim.connectivity.region_labels)
    mapping = np.asarray(surface.region_mapping, dtype=np.int64)
    labels = [f"{region_labels[r]} v{i}" for i, r in enumerate(mapping[:n_vertex])]
    labels += [region_labels[r] for r in mapping[n_vertex:]]
    normals = surface.vertex_normals
    return SimpleNamespace(
        dt=float(sim.integrator.dt),
        current_step=int(sim.current_step),
        labels=tuple(labels),
        observation=observation_of(model.state_variables, model.variables_of_interest),
        surface=SimpleNamespace(
            region_mapping=mapping,
            n_vertex=n_vertex,
            n_region=len(region_labels),
            region_labels=region_labels,
            vertices=np.asarray(surface.vertices),
            normals=None if normals is None or np.size(normals) == 0 else np.asarray(normals),
            triangles=np.asarray(surface.triangles),
        ),
    )
