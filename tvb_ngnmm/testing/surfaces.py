"""Small cortical surfaces for tests: surface simulations in a second instead of a minute.

:func:`sphere_cortex` builds a TVB ``Cortex`` on a subdivided icosahedron (162 vertices at
``subdivisions=2``, 642 at 3) whose vertices map to the first ``n_mapped`` regions of a
connectivity (by longitude and latitude bands), so that the connectivity's other regions are
TVB's non-cortical nodes; its local connectivity is TVB's own (``LocalConnectivity``: a Gaussian
of the geodesic distance of width ``sigma``, cut off at ``cutoff``).
"""

from __future__ import annotations

import numpy as np


def icosphere(subdivisions: int = 2, radius: float = 50.0) -> tuple[np.ndarray, np.ndarray]:
    """Vertices (mm) and outward-ordered triangles of an icosahedron whose triangles are split
    in four ``subdivisions`` times, projected on a sphere of ``radius`` mm."""
    t = (1.0 + 5.0**0.5) / 2.0
    vertices = [(-1, t, 0), (1, t, 0), (-1, -t, 0), (1, -t, 0), (0, -1, t), (0, 1, t),
                (0, -1, -t), (0, 1, -t), (t, 0, -1), (t, 0, 1), (-t, 0, -1),
                (-t, 0, 1)]  # fmt: skip
    faces = [(0, 11, 5), (0, 5, 1), (0, 1, 7), (0, 7, 10), (0, 10, 11), (1, 5, 9), (5, 11, 4),
             (11, 10, 2), (10, 7, 6), (7, 1, 8), (3, 9, 4), (3, 4, 2), (3, 2, 6), (3, 6, 8),
             (3, 8, 9), (4, 9, 5), (2, 4, 11), (6, 2, 10), (8, 6, 7), (9, 8, 1)]  # fmt: skip
    points = [np.array(v, dtype=float) / np.linalg.norm(v) for v in vertices]
    for _ in range(subdivisions):
        middle: dict[tuple[int, int], int] = {}
        new = []
        for a, b, c in faces:
            ab, bc, ca = (_midpoint(points, middle, u, v) for u, v in ((a, b), (b, c), (c, a)))
            new += [(a, ab, ca), (b, bc, ab), (c, ca, bc), (ab, bc, ca)]
        faces = new
    return radius * np.array(points), np.array(faces, dtype=np.int64)


def _midpoint(points: list, middle: dict, a: int, b: int) -> int:
    """The index of the unit vector halfway between points ``a`` and ``b`` (added once)."""
    key = (min(a, b), max(a, b))
    if key not in middle:
        m = points[a] + points[b]
        points.append(m / np.linalg.norm(m))
        middle[key] = len(points) - 1
    return middle[key]


def sphere_cortex(
    connectivity,
    n_mapped: int | None = None,
    subdivisions: int = 2,
    cutoff: float = 15.0,
    coupling_strength: float = 1.0,
    sigma: float = 5.0,
):
    """A ``tvb.datatypes.cortex.Cortex`` on :func:`icosphere` for ``connectivity``.

    Vertices are assigned to regions ``0 .. n_mapped - 1`` (all regions by default) by bands of
    longitude and latitude; the regions beyond ``n_mapped`` are non-cortical. The local
    connectivity is TVB's ``LocalConnectivity(cutoff=cutoff)`` computed on the mesh (a Gaussian
    of the geodesic distance of width ``sigma`` mm), scaled by ``coupling_strength``.
    """
    # deferred: TVB's datatypes are needed only by the tests that build a surface
    from tvb.datatypes.cortex import Cortex  # noqa: PLC0415
    from tvb.datatypes.equations import Gaussian  # noqa: PLC0415
    from tvb.datatypes.local_connectivity import LocalConnectivity  # noqa: PLC0415
    from tvb.datatypes.region_mapping import RegionMapping  # noqa: PLC0415
    from tvb.datatypes.surfaces import CorticalSurface  # noqa: PLC0415

    connectivity.configure()
    n_region = connectivity.number_of_regions
    n_mapped = n_region if n_mapped is None else int(n_mapped)
    vertices, triangles = icosphere(subdivisions)
    surface = CorticalSurface(vertices=vertices, triangles=triangles, valid_for_simulations=True)
    surface.configure()
    longitude = np.arctan2(vertices[:, 1], vertices[:, 0])  # (-pi, pi]
    latitude = vertices[:, 2] / np.linalg.norm(vertices, axis=1)  # sin of the latitude
    bands = max(1, int(np.ceil(np.sqrt(n_mapped))))
    column = np.minimum(((longitude + np.pi) / (2 * np.pi) * bands).astype(int), bands - 1)
    row = np.minimum(((latitude + 1.0) / 2.0 * bands).astype(int), bands - 1)
    mapping = (row * bands + column) % n_mapped
    region_mapping = RegionMapping(array_data=mapping, connectivity=connectivity, surface=surface)
    gaussian = Gaussian(parameters={"amp": 1.0, "sigma": float(sigma), "midpoint": 0.0,
                                    "offset": 0.0})  # fmt: skip
    local = LocalConnectivity(surface=surface, cutoff=cutoff, equation=gaussian)
    cortex = Cortex(region_mapping_data=region_mapping, local_connectivity=local,
                    coupling_strength=np.array([coupling_strength]))  # fmt: skip
    cortex.configure()
    return cortex
