r"""Checks of a surface simulation before the engine allocates anything.

:func:`check_surface` checks a configured simulator with ``sim.surface`` set; :func:`check_cortex`
checks a bare ``Cortex`` against a connectivity (the loaders of
:mod:`tvb_ngnmm.connectomes.surfaces` call it); :func:`check_normals` checks the vertex normals
that orient dipoles. Each failure is a ``ValueError`` naming the object, what is allowed and
what was given:

- the region mapping (``cortex.region_mapping_data``): set, with its ``surface`` and
  ``connectivity`` (the simulator's, or one with as many regions); one integer label per vertex,
  optionally followed by non-cortical regions once each (as tvb-data's 192-region mapping); each
  label in ``[0, number_of_regions)``. TVB's ``Cortex.region_mapping`` appends the regions no
  vertex maps to, so the simulation has ``V + n_unmapped`` nodes;
- the surface: vertices of shape (V, 3) finite, triangles indexing them;
- the local connectivity: a sparse matrix of shape (V, V), or (n_node, n_node) once
  ``Cortex.configure`` has padded it, with finite values;
- the local coupling strength (``cortex.coupling_strength``): one value or one per vertex,
  finite and >= 0;
- the memory the engine would take (:func:`surface_memory`) against a limit
  (:func:`default_memory_limit`): above it, :class:`.errors.UnsupportedSimulationError` (a
  ``ValueError``) naming both.

TVB's ``sim.configure()`` stops some of these itself, with its own errors: labels beyond the
connectivity (``IndexError`` in its history), negative labels (``ValueError`` from
``numpy.bincount``), a region mapping without connectivity (``AttributeError``). It pads a
local connectivity smaller than the vertices with zeros without a word (so only
:func:`check_cortex` on the bare cortex sees it). The others reach the engine unchanged (a region
mapping shorter than the vertices, a local connectivity too large or not finite, strengths
non-finite, negative or of the wrong size): :func:`check_surface` refuses them. TVB's own
surface tests' simulators (``tvb/tests/library/simulator/simulator_test.py``, tvb76 and
tvb192, with and without added subcortical regions) pass.
"""

from __future__ import annotations

import os
import re

import numpy as np
import scipy.sparse

from .._util import check_values, describe_bad
from .errors import UnsupportedSimulationError

#: Environment variable giving the engine's memory limit: bytes, or a number with ``GiB``/``MiB``.
MEMORY_LIMIT_VARIABLE = "TVB_NGNMM_MEMORY_LIMIT"
#: Fraction of the available memory the engine may take by default.
MEMORY_FRACTION = 0.75
#: Float64 work arrays per node and state variable (integrator stages, derivatives, bounds).
WORK_ARRAYS = 8
#: Bytes of the chunk buffers (observed states, stimulus) aimed at by the runner.
CHUNK_BYTES = 8 * 2**20


def _invalid(what: str, allowed: str, given: str) -> ValueError:
    return ValueError(
        f"Invalid value for {what}. Allowed values are {allowed}, but got {given} instead."
    )


def _attribute(owner, name: str):
    """``owner.name``, or None if unset (TVB raises ``AttributeError`` for required traits)."""
    try:
        return getattr(owner, name)
    except AttributeError:
        return None


def check_cortex(cortex, connectivity) -> np.ndarray:
    """Check a ``Cortex`` against the connectivity of its simulation.

    Parameters
    ----------
    cortex : tvb.datatypes.cortex.Cortex
    connectivity : tvb.datatypes.connectivity.Connectivity
        The simulator's.

    Returns
    -------
    ndarray of int
        The full region mapping, one label per node: the vertices', then the regions no vertex
        maps to (as TVB's ``Cortex.region_mapping``).
    """
    mapping = _attribute(cortex, "region_mapping_data")
    if mapping is None:
        raise _invalid("the 'region_mapping_data' of the cortex", "a RegionMapping", "None")
    n_vertex = _check_mesh(_attribute(mapping, "surface"))
    n_region = int(np.asarray(connectivity.weights).shape[0])
    if _attribute(mapping, "connectivity") is None:
        raise _invalid(
            "the 'connectivity' of the cortex's region mapping",
            f"the simulator's connectivity ({n_region} regions)",
            "None",
        )
    if mapping.connectivity is not connectivity:
        n_mapped = int(np.asarray(mapping.connectivity.weights).shape[0])
        if n_mapped != n_region:
            raise _invalid(
                "the 'connectivity' of the cortex's region mapping",
                f"the simulator's connectivity ({n_region} regions)",
                f"a connectivity of {n_mapped} regions",
            )
    full = _full_region_mapping(mapping.array_data, n_vertex, n_region)
    cached = getattr(cortex, "_regmap", None)
    if cached is not None and not np.array_equal(np.asarray(cached), full):
        raise ValueError(
            f"The cortex's region mapping (Cortex.region_mapping, {len(cached)} entries) was "
            "computed from an earlier region_mapping_data and differs from the current one "
            f"({len(full)} entries). Allowed is a Cortex whose region_mapping_data has not "
            "changed since first used; build a new Cortex instead."
        )
    _check_local_connectivity(_attribute(cortex, "local_connectivity"), n_vertex, len(full))
    check_local_coupling_strength(cortex.coupling_strength, n_vertex)
    return full


def _check_mesh(surface) -> int:
    if surface is None:
        raise _invalid("the 'surface' of the cortex's region mapping", "a CorticalSurface", "None")
    vertices = np.asarray(surface.vertices)
    if vertices.ndim != 2 or vertices.shape[1] != 3 or vertices.shape[0] == 0:
        raise _invalid(
            "the 'vertices' of the cortical surface",
            "arrays of shape (V, 3), V >= 1",
            f"shape {vertices.shape}",
        )
    check_values(vertices, "the 'vertices' of the cortical surface", "finite positions (mm)")
    n_vertex = vertices.shape[0]
    triangles = np.asarray(surface.triangles)
    if triangles.ndim != 2 or triangles.shape[1] != 3 or triangles.shape[0] == 0:
        raise _invalid(
            "the 'triangles' of the cortical surface",
            "integer arrays of shape (T, 3), T >= 1",
            f"shape {triangles.shape}",
        )
    bad = (triangles < 0) | (triangles >= n_vertex)
    if bad.any():
        raise _invalid(
            "the 'triangles' of the cortical surface",
            f"vertex indices in [0, {n_vertex - 1}]",
            describe_bad(triangles, bad),
        )
    return n_vertex


def _full_region_mapping(array_data, n_vertex: int, n_region: int) -> np.ndarray:
    labels = np.asarray(array_data)
    if labels.ndim != 1 or labels.dtype.kind not in "iu":
        raise _invalid(
            "the 'array_data' of the cortex's region mapping",
            "one integer region index per vertex (1-D)",
            f"dtype {labels.dtype} of shape {labels.shape}",
        )
    if labels.size < n_vertex:
        raise _invalid(
            "the 'array_data' of the cortex's region mapping",
            f"one region per vertex ({n_vertex} vertices), optionally followed by "
            "non-cortical regions",
            f"{labels.size} entries",
        )
    bad = (labels < 0) | (labels >= n_region)
    if bad.any():
        raise _invalid(
            "the labels of the cortex's region mapping",
            f"region indices in [0, {n_region - 1}] of the connectivity",
            describe_bad(labels, bad),
        )
    extra = labels[n_vertex:]
    if np.unique(extra).size != extra.size or np.isin(extra, labels[:n_vertex]).any():
        raise _invalid(
            f"the {extra.size} entries after the {n_vertex} vertices of the cortex's region "
            "mapping",
            "non-cortical regions, each once and mapped to no vertex",
            f"{extra[:10].tolist()}{' ...' if extra.size > 10 else ''}",
        )
    unmapped = np.setdiff1d(np.arange(n_region), labels)
    return np.concatenate([labels, unmapped]).astype(np.int64)


def _check_local_connectivity(local, n_vertex: int, n_node: int) -> None:
    if local is None or local.matrix is None:
        return  # Cortex.configure computes TVB's default
    matrix = local.matrix
    shapes = {(n_vertex, n_vertex), (n_node, n_node)}
    if not scipy.sparse.issparse(matrix) or matrix.shape not in shapes:
        given = type(matrix).__name__ + f" of shape {getattr(matrix, 'shape', None)}"
        allowed = " or ".join(str(s) for s in sorted(shapes))
        raise _invalid(
            "the 'matrix' of the cortex's local connectivity",
            f"sparse matrices of shape {allowed} (vertices, or nodes with the non-cortical "
            "regions)",
            given,
        )
    data = scipy.sparse.csr_matrix(matrix).data
    check_values(data, "the 'matrix' of the cortex's local connectivity", "finite weights")


def check_local_coupling_strength(strength, n_vertex: int) -> np.ndarray:
    """``Cortex.coupling_strength`` as float64: one value or one per vertex, finite, >= 0."""
    values = np.asarray(strength, dtype=float).ravel()
    if values.size not in (1, n_vertex):
        raise _invalid(
            "the 'coupling_strength' of the cortex",
            f"one value or one per vertex ({n_vertex})",
            f"{values.size} values",
        )
    check_values(
        values, "the 'coupling_strength' of the cortex", "finite numbers >= 0", lambda v: v >= 0
    )
    return values


def check_normals(surface, what: str) -> np.ndarray:
    """The unit vertex normals of ``surface``, for ``what`` (e.g. "the EEG's dipole orientations").

    Returns
    -------
    ndarray, shape (V, 3)
    """
    n_vertex = np.asarray(surface.vertices).shape[0]
    normals = getattr(surface, "vertex_normals", None)
    normals = None if normals is None else np.asarray(normals, dtype=float)
    if normals is None or normals.size == 0:
        raise ValueError(
            f"{what} need the surface's vertex normals, but the surface has none. Allowed are "
            f"unit normals of shape ({n_vertex}, 3): call surface.configure() (it computes them) "
            "or set surface.vertex_normals."
        )
    if normals.shape != (n_vertex, 3):
        raise _invalid(
            f"the 'vertex_normals' of the surface ({what})",
            f"unit vectors of shape ({n_vertex}, 3)",
            f"shape {normals.shape}",
        )
    check_values(
        np.linalg.norm(normals, axis=1),
        f"the lengths of the 'vertex_normals' of the surface ({what})",
        "1 (unit vectors, within 1e-3)",
        lambda n: np.abs(n - 1.0) <= 1e-3,
    )
    return normals


def surface_memory(
    n_node: int,
    n_var: int,
    nnz_local: int,
    n_region: int,
    horizon: int,
    n_cvar: int | None = None,
    chunk_steps: int | None = None,
) -> int:
    """Bytes the engine takes for a surface simulation (an estimate from above).

    The state and :data:`WORK_ARRAYS` float64 work arrays per node and state variable; the local
    coupling as CSR (int64 row pointers and column indices, float64 values); the region history
    ring (float32, ``n_cvar × n_region × horizon``) and the region means; the chunk buffers
    (:data:`CHUNK_BYTES`) and the noise of a chunk (float64 per node and state variable and
    step; by default as many steps as fit in :data:`CHUNK_BYTES`, at least one).

    Parameters
    ----------
    n_node : int
        Vertices plus non-cortical regions.
    n_var : int
        State variables of the model.
    nnz_local : int
        Non-zeros of the local connectivity.
    n_region : int
    horizon : int
        Steps of delay history (largest delay in steps + 1).
    n_cvar : int, optional
        Coupling variables (default ``n_var``).
    chunk_steps : int, optional
        Steps per chunk.

    Returns
    -------
    int
        Bytes.
    """
    n_cvar = n_var if n_cvar is None else n_cvar
    state = (1 + WORK_ARRAYS) * n_var * n_node * 8
    local = (n_node + 1) * 8 + nnz_local * (8 + 8)
    history = n_cvar * n_region * horizon * 4 + 2 * n_cvar * n_region * 8
    per_step_noise = n_var * n_node * 8
    if chunk_steps is None:
        chunk_steps = max(1, CHUNK_BYTES // max(per_step_noise, 1))
    return int(state + local + history + CHUNK_BYTES + per_step_noise * chunk_steps)


def _parse_bytes(text: str) -> float:
    match = re.fullmatch(r"\s*([0-9]*\.?[0-9]+(?:[eE][+-]?[0-9]+)?)\s*(GiB|MiB|B)?\s*", text)
    if match is None or float(match[1]) <= 0:
        raise ValueError(
            f"Invalid value for the environment variable {MEMORY_LIMIT_VARIABLE}. Allowed "
            f"values are a number of bytes > 0, or one followed by 'GiB' or 'MiB' (e.g. '4GiB'), "
            f"but got {text!r} instead."
        )
    return float(match[1]) * {"GiB": 2**30, "MiB": 2**20}.get(match[2], 1)


def available_memory() -> int:
    """Bytes of memory available now (``psutil`` if installed, else ``os.sysconf``)."""
    try:
        # deferred: optional, not a dependency
        import psutil  # noqa: PLC0415
    except ImportError:  # pragma: no cover - psutil is usually there
        return int(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
    return int(psutil.virtual_memory().available)


def default_memory_limit() -> int:
    """The engine's default memory limit, bytes.

    :data:`MEMORY_LIMIT_VARIABLE` if set (bytes, or e.g. ``'4GiB'``), else
    :data:`MEMORY_FRACTION` of the memory available now.
    """
    text = os.environ.get(MEMORY_LIMIT_VARIABLE)
    if text is not None:
        return int(_parse_bytes(text))
    return int(MEMORY_FRACTION * available_memory())


def check_memory(needed: int, limit: int | None = None, what: str = "The simulation") -> None:
    """Raise :class:`.errors.UnsupportedSimulationError` if ``needed`` bytes exceed the limit."""
    limit = default_memory_limit() if limit is None else limit
    if not (isinstance(limit, (int, float, np.integer, np.floating)) and limit > 0):
        raise _invalid("the 'memory_limit' parameter", "numbers of bytes > 0 or None", repr(limit))
    if needed > limit:
        raise UnsupportedSimulationError(
            f"{what} needs about {needed / 2**30:.2f} GiB ({needed} bytes), more than the memory "
            f"limit of {limit / 2**30:.2f} GiB ({int(limit)} bytes). Allowed are runs within the "
            f"limit: use a smaller mesh, or raise the limit ('memory_limit', or the environment "
            f"variable {MEMORY_LIMIT_VARIABLE}, e.g. '8GiB')."
        )


def check_surface(sim, memory_limit: int | None = None) -> np.ndarray:
    """Check a configured surface simulation (``sim.surface`` set) before anything is allocated.

    Parameters
    ----------
    sim : tvb.simulator.simulator.Simulator
        Configured.
    memory_limit : int, optional
        Bytes; default :func:`default_memory_limit`.

    Returns
    -------
    ndarray of int
        The full region mapping (one region index per node), see :func:`check_cortex`.
    """
    cortex, connectivity = sim.surface, sim.connectivity
    full = check_cortex(cortex, connectivity)
    local = cortex.local_connectivity
    nnz = 0 if local is None or local.matrix is None else int(local.matrix.nnz)
    n_var = int(sim.model.nvar)
    needed = surface_memory(
        len(full),
        n_var,
        nnz,
        int(np.asarray(connectivity.weights).shape[0]),
        _horizon(sim),
        n_cvar=len(np.atleast_1d(sim.model.cvar)),
    )
    check_memory(
        needed,
        memory_limit,
        f"The surface simulation ({len(full)} nodes, {n_var} state variables, {nnz} local "
        "connections)",
    )
    return full


def _horizon(sim) -> int:
    idelays = getattr(sim.connectivity, "idelays", None)
    if idelays is None or np.size(idelays) == 0:
        return 1
    return int(np.max(idelays)) + 1
