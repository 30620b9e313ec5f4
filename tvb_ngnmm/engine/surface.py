r"""What the engine reads from a surface simulation: the nodes, their regions, the local coupling.

TVB runs a simulation with ``surface=`` (a ``tvb.datatypes.cortex.Cortex``) on one node per
cortical vertex followed by one node per region of the connectivity that no vertex maps to (the
non-cortical regions: ``Cortex.region_mapping`` appends them), while the long-range coupling and
its delayed history stay on the connectivity's regions: each node receives its region's coupling,
and the history keeps each region's mean over its nodes. The local coupling ``cs · L`` (the
sparse ``Cortex.prepare_local_coupling``, ``cs`` the ``coupling_strength``, one value or one per
vertex) enters each model as the model declares (``register_model(..., local_coupling=...)``,
:mod:`.equations`). :class:`SurfaceTerms` holds these in the kernel's layout
(:mod:`.surface_kernel`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse

from .errors import UnsupportedSimulationError


@dataclass
class SurfaceTerms:
    """A surface simulation's nodes and regions, and its local coupling as CSR arrays."""

    region_mapping: np.ndarray  # (n_node,) int64: the region of each node
    region_count: np.ndarray  # (n_region,) float64: the number of nodes of each region
    n_vertex: int
    region_labels: tuple[str, ...]
    vertices: np.ndarray  # (n_vertex, 3) mm
    normals: np.ndarray | None  # (n_vertex, 3), unit vectors, or None
    triangles: np.ndarray  # (n_triangle, 3) int
    local_start: np.ndarray  # (n_node + 1,) uint64
    local_index: np.ndarray  # (nnz,) uint32
    local_weight: np.ndarray  # (nnz,) float64
    n_local: int  # the model's local coupling terms (0: it declares none)
    local_active: bool  # whether the local coupling is computed (else its terms are 0)
    # (n_local,) int64: the state variable each source is, when every one is (else -1): the
    # kernel then multiplies the state itself
    local_plain: np.ndarray
    # ``region_mapping`` as uint32 for the kernel, which indexes with unsigned integers: they
    # need no check for negative indices (twice as fast a sparse product as with int64)
    node_region: np.ndarray

    @property
    def n_region(self) -> int:
        """Number of regions of the connectivity."""
        return self.region_count.shape[0]

    @property
    def n_node(self) -> int:
        """Number of nodes: the vertices, then the non-cortical regions."""
        return self.region_mapping.shape[0]

    def node_labels(self) -> tuple[str, ...]:
        """``'v0', 'v1', …`` for the vertices, then the labels of the non-cortical regions."""
        cortical = tuple(f"v{i}" for i in range(self.n_vertex))
        return cortical + tuple(self.region_labels[r] for r in self.region_mapping[self.n_vertex :])


def _local_matrix(sim) -> scipy.sparse.csr_matrix:
    """``cs · L`` as TVB's simulator uses it, in CSR with each row's columns in order."""
    local = sim.surface.prepare_local_coupling(sim.number_of_nodes)
    local = scipy.sparse.csr_matrix(local, dtype=float)
    local.sort_indices()
    return local


def _plain_sources(local_terms, state_variables) -> np.ndarray:
    """The state variable (index) each local coupling source is, or -1s if one is not."""
    names = [" ".join(str(t).split()) for t in local_terms or ()]
    if names and all(n in state_variables for n in names):
        return np.array([state_variables.index(n) for n in names], dtype=np.int64)
    return np.full(len(names), -1, dtype=np.int64)


def surface_terms(sim, local_terms: tuple[str, ...] | None, model_name: str) -> SurfaceTerms:
    """Read the surface of a configured surface simulation.

    ``local_terms`` are the model's declared local coupling sources (:mod:`.equations`; None:
    not declared). A non-zero local coupling for a model that does not declare how it takes it
    raises :class:`.errors.UnsupportedSimulationError`.
    """
    cortex = sim.surface
    region_mapping = np.asarray(cortex.region_mapping, dtype=np.int64)
    n_region = int(sim.connectivity.number_of_regions)
    count = np.bincount(region_mapping, minlength=n_region).astype(float)
    local = _local_matrix(sim)
    has_local = local.nnz > 0 and bool(np.any(local.data != 0.0))
    if has_local and local_terms is None:
        raise UnsupportedSimulationError(
            f"Invalid value for the 'surface' of the simulator: {model_name} does not declare "
            "how it takes a surface's local coupling (register_model(..., local_coupling=...)), "
            "so the fast engine runs it on a surface only without local coupling (allowed: "
            "surface.coupling_strength 0, or a model that declares it), but got a non-zero local "
            "coupling."
        )
    n_local = len(local_terms) if local_terms else 0
    normals = getattr(cortex, "vertex_normals", None)
    normals = None if normals is None or np.size(normals) == 0 else np.asarray(normals, float)
    return SurfaceTerms(
        region_mapping=region_mapping,
        region_count=count,
        # not ``number_of_vertices``: TVB sets that count only in the surface's configure()
        n_vertex=len(cortex.vertices),
        region_labels=tuple(str(label) for label in sim.connectivity.region_labels),
        vertices=np.asarray(cortex.vertices, dtype=float),
        normals=normals,
        triangles=np.asarray(cortex.triangles),
        local_start=local.indptr.astype(np.uint64),
        local_index=local.indices.astype(np.uint32),
        local_weight=np.ascontiguousarray(local.data, dtype=float),
        n_local=n_local,
        local_active=has_local and n_local > 0,
        local_plain=_plain_sources(local_terms, tuple(sim.model.state_variables)),
        node_region=region_mapping.astype(np.uint32),
    )


def initial_region_state(spec, batch: int) -> np.ndarray:
    """``(n_var, n_region, B)`` float64 whose coupling variables' rows are the history's values
    at the current step (each region's mean over its nodes, as float32): the own coupling
    variables the first step reads."""
    n_var = spec.state.shape[0]
    H = spec.history.shape[-1]
    out = np.zeros((n_var, spec.surface.n_region, batch))
    now = spec.history[:, :, spec.current_step % H].astype(float)  # (n_cvar, n_region)
    for c, v in enumerate(spec.cvar):
        out[v] = now[c][:, np.newaxis]
    return out
