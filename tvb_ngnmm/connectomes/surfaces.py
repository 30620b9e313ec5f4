r"""Cortical surfaces for surface simulations: tvb-data's 16k cortex, its refinement to 65k, and
its EEG and MEG projections.

:func:`load_cortex` returns a TVB ``Cortex`` and the ``Connectivity`` its region mapping indexes,
ready for ``Simulator(surface=cortex, connectivity=connectivity, ...)``:

>>> cortex, connectivity = load_cortex("16k", regions=76)  # doctest: +SKIP

``'16k'`` is tvb-data's ``cortex_16384`` (16,384 vertices, 32,760 triangles, two closed
hemispheres) with ``regionMapping_16k_76`` (or ``_192``) and ``local_connectivity_16384``.
That local connectivity does not depend on distance: row ``i`` holds ``1 / deg(i)`` at each of
the ``deg(i)`` vertices sharing an edge with vertex ``i`` (3 to 11 of them, 98,280 non-zeros),
so the local coupling term is the mean over a vertex's mesh neighbours (edges 0.7 to 7.8 mm,
mean 4.0 mm). ``'65k'`` is the 16k cortex refined once by :func:`refine_cortex` (65,524
vertices, 131,040 triangles), its local connectivity rebuilt by the same rule (393,120
non-zeros; neighbours now half as far).

:func:`load_surface_projection` gives tvb-data's vertex-level lead fields on the 16k cortex with
their sensors. tvb-data has no sEEG projection on a surface.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse
from tvb.datatypes.connectivity import Connectivity
from tvb.datatypes.cortex import Cortex
from tvb.datatypes.local_connectivity import LocalConnectivity
from tvb.datatypes.projections import ProjectionSurfaceEEG, ProjectionSurfaceMEG
from tvb.datatypes.region_mapping import RegionMapping
from tvb.datatypes.sensors import SensorsEEG, SensorsMEG
from tvb.datatypes.surfaces import CorticalSurface

from .._util import check_choice, check_values
from ..engine.surface_checks import check_cortex, check_local_coupling_strength, check_memory
from . import _mesh
from .bundled import load_connectome

#: Cortices :func:`load_cortex` knows, and their numbers of vertices.
N_VERTICES = {"16k": 16384, "65k": 65524}
CORTICES = tuple(N_VERTICES)
#: tvb-data's region mappings of the 16k cortex, by number of regions (the 192 one has 16,500
#: entries: the vertices, then the 116 non-cortical regions once each).
REGION_MAPPINGS = {76: "regionMapping_16k_76.txt", 192: "regionMapping_16k_192.txt"}
#: Bytes per non-zero while TVB computes a local connectivity from geodesic distances (gdist's
#: lists, the sparse matrix and the copies ``LocalConnectivity.compute`` makes).
BYTES_PER_GEODESIC_ENTRY = 80
#: tvb-data's projections of the 16k cortex: kind -> (projection file, MATLAB name, sensors file).
SURFACE_PROJECTIONS = {
    "eeg": ("projection_eeg_65_surface_16k.npy", None, "eeg_brainstorm_65.txt"),
    "eeg62": ("projection_eeg_62_surface_16k.mat", "ProjectionMatrix", "eeg_unitvector_62.txt.bz2"),
    "meg": ("projection_meg_276_surface_16k.npy", None, "meg_brainstorm_276.txt"),
}


def load_cortex(
    name: str = "16k",
    regions: int = 76,
    local_connectivity: bool = True,
    coupling_strength=1.0,
    conduction_speed: float = 3.0,
) -> tuple[Cortex, Connectivity]:
    """Load tvb-data's cortex as a TVB ``Cortex`` with the connectivity its region mapping indexes.

    Parameters
    ----------
    name : {'16k', '65k'}
        ``'65k'``: the 16k cortex refined once (:func:`refine_cortex`, about a second).
    regions : {76, 192}
        The connectome (``load_connectome('tvb76')``, TVB's default ``Connectivity``, or
        ``'tvb192'``) and its region mapping.
    local_connectivity : bool
        ``True``: tvb-data's ``local_connectivity_16384`` (each vertex's neighbours, weight
        ``1 / degree``; rebuilt by the same rule at 65k). ``False``: no local coupling (a matrix
        of zeros stored on the diagonal, so that ``Cortex.configure`` does not compute TVB's
        default Gaussian one within 40 mm).
    coupling_strength : float or array_like
        ``Cortex.coupling_strength`` (1): one value, or one per vertex; finite and >= 0.
    conduction_speed : float
        Of the connectivity, mm/ms.

    Returns
    -------
    cortex : tvb.datatypes.cortex.Cortex
        Its ``region_mapping_data`` has the surface (vertices in mm, unit vertex normals
        pointing outward) and ``connectivity`` set; checked by
        ``tvb_ngnmm.engine.surface_checks.check_cortex``.
    connectivity : tvb.datatypes.connectivity.Connectivity
        Configured; give it to the simulator.
    """
    check_choice("name", name, CORTICES)
    if isinstance(regions, bool) or regions not in REGION_MAPPINGS:
        raise ValueError(
            "Invalid value for the 'regions' parameter. Allowed values are "
            f"{', '.join(map(str, REGION_MAPPINGS))}, but got {regions!r} instead."
        )
    strength = check_local_coupling_strength(coupling_strength, N_VERTICES[name])
    connectivity = load_connectome(f"tvb{regions}", conduction_speed=conduction_speed)
    surface = CorticalSurface.from_file("cortex_16384.zip")
    surface.zero_based_triangles = True
    surface.configure()
    mapping = RegionMapping.from_file(REGION_MAPPINGS[regions])
    mapping.surface, mapping.connectivity = surface, connectivity
    local = LocalConnectivity.from_file("local_connectivity_16384.mat")
    local.surface = surface
    cortex = Cortex(region_mapping_data=mapping, local_connectivity=local)
    if name == "65k":
        cortex = refine_cortex(cortex)
    cortex.coupling_strength = strength
    if not local_connectivity:
        n_vertex = cortex.surface.number_of_vertices
        zeros = scipy.sparse.csr_matrix(
            (np.zeros(n_vertex), (np.arange(n_vertex), np.arange(n_vertex))),
            shape=(n_vertex, n_vertex),
        )
        cortex.local_connectivity = LocalConnectivity(surface=cortex.surface, matrix=zeros)
    check_cortex(cortex, connectivity)
    return cortex, connectivity


def refine_cortex(
    cortex: Cortex, connectivity: Connectivity | None = None, memory_limit: int | None = None
) -> Cortex:
    """The cortex with each triangle split in four at its edges' midpoints.

    One vertex is added per edge (shared edges get one), so ``V + E`` vertices and ``4 T``
    triangles; the Euler characteristic and each triangle's winding are kept. tvb-data's 16k
    cortex becomes 65,524 vertices in about a second.

    - **Positions**: a new vertex lies at its edge's midpoint (on the parent's flat triangles;
      not projected onto a smoother surface).
    - **Normals**: recomputed, each vertex's the area-weighted sum of its triangles' normals,
      unit length, on the side the parent's normals take (tvb-data's 16k normals follow this
      rule to 1e-6 and point outward, against the triangles' winding).
    - **Region mapping**: a parent vertex keeps its region; a midpoint takes the region of its
      edge's endpoint with the smaller vertex index (the same region when the two agree; on
      an edge between two regions, a deterministic choice). Entries beyond the vertices
      (non-cortical regions) are kept after the new vertices.
    - **Local connectivity**: tvb-data's kind (row ``i`` = ``1 / deg(i)`` at each mesh
      neighbour; recognised from the matrix) is rebuilt by the same rule on the new mesh; its
      reach halves with the edges. Any other matrix is recomputed the way TVB computes one, from
      the local connectivity's ``equation`` and ``cutoff`` with geodesic distances (``gdist``;
      TVB's default, a Gaussian within 40 mm, takes about 3 minutes and 6.8 million non-zeros
      on the 16k cortex, so hours and about 16 times that at 65k: refused beforehand if above
      ``memory_limit``). No matrix (``None``) stays ``None`` (``Cortex.configure`` then
      computes TVB's default).
    - **Coupling strength**: one value is kept; one per vertex gives each midpoint the mean of
      its edge's endpoints.

    Parameters
    ----------
    cortex : tvb.datatypes.cortex.Cortex
        With ``region_mapping_data`` (surface and connectivity set).
    connectivity : Connectivity, optional
        Default ``cortex.region_mapping_data.connectivity``.
    memory_limit : int, optional
        Bytes (default ``tvb_ngnmm.engine.surface_checks.default_memory_limit``) for a
        local connectivity recomputed from geodesic distances.

    Returns
    -------
    tvb.datatypes.cortex.Cortex
        A new cortex; the input is not changed.
    """
    connectivity = connectivity or cortex.region_mapping_data.connectivity
    check_cortex(cortex, connectivity)
    parent = cortex.surface
    n_vertex = parent.vertices.shape[0]
    vertices, triangles, edges = _mesh.split_triangles(parent.vertices, parent.triangles)
    surface = _refined_surface(parent, vertices, triangles, edges)
    labels = np.asarray(cortex.region_mapping_data.array_data)
    mapping = RegionMapping(
        array_data=np.concatenate([labels[:n_vertex], labels[edges[:, 0]], labels[n_vertex:]]),
        surface=surface,
        connectivity=connectivity,
    )
    strength = np.asarray(cortex.coupling_strength, dtype=float)
    if strength.size == n_vertex and n_vertex > 1:
        strength = np.concatenate([strength, strength[edges].mean(axis=1)])
    refined = Cortex(
        region_mapping_data=mapping,
        local_connectivity=_refined_local(cortex.local_connectivity, parent, surface, memory_limit),
        coupling_strength=strength,
    )
    check_cortex(refined, connectivity)
    return refined


def _refined_surface(parent, vertices, triangles, edges) -> CorticalSurface:
    normals = _mesh.vertex_normals(vertices, triangles)
    if parent.vertex_normals is not None and np.size(parent.vertex_normals):
        normals *= _mesh.winding_sign(parent.vertex_normals, parent.vertices, parent.triangles)
    surface = CorticalSurface(
        vertices=vertices,
        triangles=triangles,
        vertex_normals=normals,
        triangle_normals=_mesh.triangle_normals(vertices, triangles),
        zero_based_triangles=True,
        number_of_vertices=len(vertices),
        number_of_triangles=len(triangles),
    )
    if parent.hemisphere_mask is not None and np.size(parent.hemisphere_mask):
        mask = np.asarray(parent.hemisphere_mask, dtype=bool)
        surface.hemisphere_mask = np.concatenate([mask, mask[edges[:, 0]]])
        surface.bi_hemispheric = np.unique(surface.hemisphere_mask).size > 1
    # what Surface.configure() sets, without its loop over edges in Python (3 s at 65k)
    new_edges, _ = _mesh.mesh_edges(triangles)
    lengths = np.linalg.norm(vertices[new_edges[:, 0]] - vertices[new_edges[:, 1]], axis=1)
    surface.edge_mean_length = float(lengths.mean())
    surface.edge_min_length = float(lengths.min())
    surface.edge_max_length = float(lengths.max())
    return surface


def _refined_local(local, parent, surface, memory_limit=None) -> LocalConnectivity | None:
    if local is None:
        return None
    refined = LocalConnectivity(surface=surface, equation=local.equation, cutoff=local.cutoff)
    if local.matrix is None or local.matrix.shape[0] == 0:
        return refined
    n_vertex = parent.vertices.shape[0]
    if _mesh.is_neighbour_mean(local.matrix, parent.triangles, n_vertex):
        refined.matrix = _mesh.neighbour_mean_connectivity(
            surface.triangles, surface.vertices.shape[0]
        )
    else:
        # four times the vertices, each with four times the neighbours within the cutoff
        expected_nnz = 16 * int(local.matrix.nnz)
        check_memory(
            expected_nnz * BYTES_PER_GEODESIC_ENTRY,
            memory_limit,
            f"The refined local connectivity (about {expected_nnz} geodesic distances within "
            f"{local.cutoff:g} mm)",
        )
        refined.compute_sparse_matrix()
    return refined


def load_surface_projection(kind: str = "eeg"):
    """Load tvb-data's lead field from the 16k cortex's vertices to EEG or MEG sensors.

    Parameters
    ----------
    kind : {'eeg', 'eeg62', 'meg'}
        ``'eeg'``: 65 channels (``eeg_brainstorm_65``), rows 18 and 19 all NaN; ``'eeg62'``:
        62 channels on unit vectors (``eeg_unitvector_62``); ``'meg'``: 276 channels
        (``meg_brainstorm_276``, with orientations), 28 rows all NaN. The NaN rows are kept as
        tvb-data has them: TVB's ``EEG`` and ``MEG`` monitors set NaN gains to zero and leave
        those rows out of the average reference.

    Returns
    -------
    projection : ProjectionSurfaceEEG or ProjectionSurfaceMEG
        ``projection_data`` of shape (n_channel, 16384); ``sources`` (the 16k surface) and
        ``sensors`` set.
    sensors : SensorsEEG or SensorsMEG
        Labels and locations (mm; unit vectors for ``'eeg62'``).
    """
    check_choice("kind", kind, tuple(SURFACE_PROJECTIONS))
    file, matlab_name, sensors_file = SURFACE_PROJECTIONS[kind]
    projection_class, sensors_class = (
        (ProjectionSurfaceMEG, SensorsMEG) if kind == "meg" else (ProjectionSurfaceEEG, SensorsEEG)
    )
    sensors = sensors_class.from_file(sensors_file)
    sensors.configure()
    projection = projection_class.from_file(file, matlab_data_name=matlab_name)
    projection.sources = CorticalSurface.from_file("cortex_16384.zip")
    projection.sensors = sensors
    rows, columns = projection.projection_data.shape
    if rows != sensors.number_of_sensors or columns != projection.sources.vertices.shape[0]:
        raise ValueError(  # pragma: no cover - tvb-data's files agree
            f"The projection {file!r} has shape {(rows, columns)}; allowed is one row per sensor "
            f"of {sensors_file!r} ({sensors.number_of_sensors}) and one column per vertex."
        )
    check_values(sensors.locations, f"the locations of the sensors {sensors_file!r}")
    return projection, sensors
