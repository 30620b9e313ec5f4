r"""Triangle meshes in NumPy: edges, area-weighted vertex normals, the nearest-neighbour local
connectivity, and one step of midpoint refinement.

Everything here is vectorised over triangles or edges (no Python loop over vertices), so that a
mesh of about 65,000 vertices is handled in a second or two.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse


def mesh_edges(triangles: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The mesh's edges, once each, and the edge of each triangle side.

    Parameters
    ----------
    triangles : ndarray of int, shape (n_triangle, 3)

    Returns
    -------
    edges : ndarray of int, shape (n_edge, 2)
        Vertex pairs ``(a, b)`` with ``a < b``, sorted.
    side_edge : ndarray of int, shape (n_triangle, 3)
        Column ``k`` is the edge of side ``(k, k + 1 mod 3)`` of each triangle.
    """
    triangles = np.asarray(triangles, dtype=np.int64)
    sides = np.stack([triangles, np.roll(triangles, -1, axis=1)], axis=-1).reshape(-1, 2)
    sides.sort(axis=1)
    n_vertex = int(triangles.max()) + 1 if triangles.size else 1
    keys, inverse = np.unique(sides[:, 0] * n_vertex + sides[:, 1], return_inverse=True)
    edges = np.stack([keys // n_vertex, keys % n_vertex], axis=1)
    return edges, inverse.reshape(-1, 3)


def triangle_normals(vertices: np.ndarray, triangles: np.ndarray) -> np.ndarray:
    """Unit normals ``(v1 - v0) × (v2 - v0)`` of the triangles, as TVB's ``Surface`` has them."""
    corner = vertices[triangles]
    normals = np.cross(corner[:, 1] - corner[:, 0], corner[:, 2] - corner[:, 0])
    return normals / np.linalg.norm(normals, axis=1, keepdims=True)


def vertex_normals(vertices: np.ndarray, triangles: np.ndarray) -> np.ndarray:
    """Unit vertex normals: the sum of the normals of the triangles at the vertex, weighted by area.

    The rule that reproduces the normals stored in tvb-data's ``cortex_16384`` (to 1e-6; those
    point against the triangles' winding). TVB's ``Surface.compute_vertex_normals`` weights by
    the angle at the vertex instead. The normals returned point to the side the triangles'
    winding gives (right-hand rule); :func:`winding_sign` tells which side a reference's
    normals take.

    Returns
    -------
    ndarray, shape (n_vertex, 3)
    """
    vertices = np.asarray(vertices, dtype=float)
    triangles = np.asarray(triangles, dtype=np.int64)
    corner = vertices[triangles]
    area_normals = np.cross(corner[:, 1] - corner[:, 0], corner[:, 2] - corner[:, 0])
    summed = np.zeros_like(vertices)
    for k in range(3):
        np.add.at(summed, triangles[:, k], area_normals)
    return summed / np.linalg.norm(summed, axis=1, keepdims=True)


def winding_sign(normals: np.ndarray, vertices: np.ndarray, triangles: np.ndarray) -> float:
    """+1 if ``normals`` mostly point to the winding's side (:func:`vertex_normals`), else -1."""
    agreement = np.sum(normals * vertex_normals(vertices, triangles)[: len(normals)])
    return 1.0 if agreement >= 0 else -1.0


def neighbour_mean_connectivity(triangles: np.ndarray, n_vertex: int) -> scipy.sparse.csr_matrix:
    """The local connectivity of tvb-data's ``local_connectivity_16384``: each vertex's neighbours.

    Row ``i`` holds ``1 / deg(i)`` at each vertex sharing an edge with vertex ``i`` (``deg(i)``
    of them) and zero on the diagonal, so ``L @ x`` is the mean of ``x`` over the neighbours:
    tvb-data's matrix is exactly this one for ``cortex_16384`` (no dependence on distance).

    Returns
    -------
    scipy.sparse.csr_matrix, shape (n_vertex, n_vertex)
        float64, sorted indices; ``2 * n_edge`` non-zeros.
    """
    edges, _ = mesh_edges(triangles)
    rows = np.concatenate([edges[:, 0], edges[:, 1]])
    cols = np.concatenate([edges[:, 1], edges[:, 0]])
    degree = np.bincount(rows, minlength=n_vertex).astype(float)
    with np.errstate(divide="ignore"):
        values = 1.0 / degree[rows]
    matrix = scipy.sparse.csr_matrix((values, (rows, cols)), shape=(n_vertex, n_vertex))
    matrix.sort_indices()
    return matrix


def is_neighbour_mean(matrix, triangles: np.ndarray, n_vertex: int) -> bool:
    """Whether ``matrix`` (first ``n_vertex`` rows and columns) is the neighbour mean."""
    matrix = scipy.sparse.csr_matrix(matrix)[:n_vertex, :n_vertex]
    expected = neighbour_mean_connectivity(triangles, n_vertex)
    difference = abs(matrix - expected)
    return difference.nnz == 0 or float(difference.max()) <= 1e-12


def split_triangles(
    vertices: np.ndarray, triangles: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each triangle split in four at its edges' midpoints (one new vertex per edge).

    Triangle ``(a, b, c)`` with midpoints ``m_ab, m_bc, m_ca`` becomes ``(a, m_ab, m_ca)``,
    ``(m_ab, b, m_bc)``, ``(m_ca, m_bc, c)`` and ``(m_ab, m_bc, m_ca)``: each keeps the parent's
    winding. The parent's vertices keep their indices; the midpoint of edge ``e`` is vertex
    ``n_vertex + e``.

    Returns
    -------
    vertices : ndarray, shape (n_vertex + n_edge, 3)
    triangles : ndarray of int, shape (4 * n_triangle, 3)
    edges : ndarray of int, shape (n_edge, 2)
        The parent's edges ``(a, b)``, ``a < b``, in the order of their midpoints.
    """
    vertices = np.asarray(vertices, dtype=float)
    triangles = np.asarray(triangles, dtype=np.int64)
    edges, side_edge = mesh_edges(triangles)
    n_vertex = len(vertices)
    midpoints = 0.5 * (vertices[edges[:, 0]] + vertices[edges[:, 1]])
    m_ab, m_bc, m_ca = (n_vertex + side_edge[:, k] for k in range(3))
    a, b, c = triangles.T
    children = np.stack(
        [
            np.stack([a, m_ab, m_ca], axis=1),
            np.stack([m_ab, b, m_bc], axis=1),
            np.stack([m_ca, m_bc, c], axis=1),
            np.stack([m_ab, m_bc, m_ca], axis=1),
        ],
        axis=1,
    ).reshape(-1, 3)
    return np.concatenate([vertices, midpoints]), children, edges
