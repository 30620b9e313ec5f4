"""Synthetic networks for tutorials and tests, as configured TVB ``Connectivity`` objects.

Every generator is seeded (``np.random.default_rng(seed)``), places its nodes in space (a
circle for ring and small-world lattices, a sphere otherwise, modules as clusters) so that
tract lengths are the Euclidean distances between node centres (mm) and give delays at the
chosen conduction speed. Edges are undirected (symmetric weights) unless ``directed=True``;
weights are 1 (``weights='binary'``) or uniform in [0.1, 1] (``weights='uniform'``).
"""

from __future__ import annotations

import numpy as np
from tvb.datatypes.connectivity import Connectivity

from .._util import check_choice
from ._checks import make_connectivity
from .frames import CoordinateFrame

WEIGHTS = ("binary", "uniform")
RADIUS = 50.0  # mm, about a brain's half-width


def _check_count(name: str, value: int, low: int) -> int:
    if not isinstance(value, int | np.integer) or value < low:
        raise ValueError(
            f"Invalid value for the {name!r} parameter. Allowed values are integers >= {low}, "
            f"but got {value!r} instead."
        )
    return int(value)


def _check_probability(name: str, value: float) -> float:
    if not 0.0 <= value <= 1.0:
        raise ValueError(
            f"Invalid value for the {name!r} parameter. Allowed values are in [0, 1], but got "
            f"{value!r} instead."
        )
    return float(value)


def circle_centres(n: int, radius: float = RADIUS) -> np.ndarray:
    """``n`` points evenly on a circle in the axial (x–y) plane, mm."""
    angle = 2 * np.pi * np.arange(n) / n
    return np.stack([radius * np.cos(angle), radius * np.sin(angle), np.zeros(n)], axis=1)


def sphere_centres(n: int, radius: float = RADIUS) -> np.ndarray:
    """``n`` points spread evenly on a sphere (Fibonacci lattice), mm."""
    index = np.arange(n) + 0.5
    z = 1 - 2 * index / n
    angle = np.pi * (1 + 5**0.5) * index
    rho = np.sqrt(1 - z**2)
    return radius * np.stack([rho * np.cos(angle), rho * np.sin(angle), z], axis=1)


def _finish(
    adjacency: np.ndarray,
    centres: np.ndarray,
    kind: str,
    weights: str,
    rng: np.random.Generator,
    conduction_speed: float,
    directed: bool = False,
) -> Connectivity:
    check_choice("weights", weights, WEIGHTS)
    adjacency = adjacency.astype(bool)
    np.fill_diagonal(adjacency, False)
    values = (
        rng.uniform(0.1, 1.0, adjacency.shape) if weights == "uniform" else np.ones(adjacency.shape)
    )
    if not directed:
        upper = np.triu(adjacency | adjacency.T, 1)
        adjacency = upper | upper.T
        values = np.triu(values, 1) + np.triu(values, 1).T
    conn = make_connectivity(
        np.where(adjacency, values, 0.0),
        centres=centres,
        region_labels=[f"{kind}_{i:03d}" for i in range(len(adjacency))],
        hemispheres=centres[:, 0] > 0,
        conduction_speed=conduction_speed,
    )
    conn.coordinate_frame = CoordinateFrame("RAS", description=f"synthetic {kind}")
    conn.title = f"synthetic {kind} network, {len(adjacency)} nodes"
    return conn


def random_network(
    n: int, density: float, seed: int = 0, directed: bool = False, weights: str = "binary",
    conduction_speed: float = 3.0,
) -> Connectivity:  # fmt: skip
    """Erdős–Rényi: each pair (each ordered pair if ``directed``) is an edge with probability
    ``density``; nodes on a sphere of radius 50 mm.

    Parameters
    ----------
    n : int
        Number of nodes.
    density : float
        Probability of each edge, in [0, 1].
    seed : int
        Seed of the random generator (edges and uniform weights).
    directed : bool
        Whether the two directions of a pair are drawn independently.
    weights : {'binary', 'uniform'}
        Edge weights: 1, or uniform in [0.1, 1).
    conduction_speed : float
        Conduction speed (mm/ms).
    """
    n = _check_count("n", n, 1)
    rng = np.random.default_rng(seed)
    adjacency = rng.random((n, n)) < _check_probability("density", density)
    if not directed:
        adjacency = np.triu(adjacency, 1)
    return _finish(adjacency, sphere_centres(n), "random", weights, rng, conduction_speed, directed)


def ring_lattice(n: int, k: int = 1) -> np.ndarray:
    """Boolean adjacency of a ring where each node links to its ``k`` nearest on each side."""
    offsets = (np.arange(n)[None, :] - np.arange(n)[:, None]) % n
    return (offsets >= 1) & (offsets <= k) | (offsets >= n - k) & (offsets > 0)


def ring_network(
    n: int, k: int = 1, weights: str = "binary", seed: int = 0, conduction_speed: float = 3.0
) -> Connectivity:
    """A ring: node ``i`` links to ``i ± 1, ..., i ± k`` (mod ``n``); nodes on a circle.

    Parameters
    ----------
    n : int
        Number of nodes, at least 3.
    k : int
        Neighbours linked on each side.
    weights : {'binary', 'uniform'}
        Edge weights: 1, or uniform in [0.1, 1).
    seed : int
        Seed of the random uniform weights.
    conduction_speed : float
        Conduction speed (mm/ms).
    """
    n = _check_count("n", n, 3)
    k = _check_count("k", k, 1)
    rng = np.random.default_rng(seed)
    return _finish(ring_lattice(n, k), circle_centres(n), "ring", weights, rng, conduction_speed)


def small_world_network(
    n: int, k: int = 2, rewiring: float = 0.1, seed: int = 0, weights: str = "binary",
    conduction_speed: float = 3.0,
) -> Connectivity:  # fmt: skip
    """Watts–Strogatz: a ring lattice (``k`` neighbours each side) whose edges ``(i, i + m)``
    are each rewired with probability ``rewiring`` to a random new target (no self-loops or
    duplicates); nodes on a circle.

    Parameters
    ----------
    n : int
        Number of nodes, at least 3.
    k : int
        Neighbours linked on each side in the ring lattice.
    rewiring : float
        Probability that an edge is rewired, in [0, 1].
    seed : int
        Seed of the random generator (rewiring and uniform weights).
    weights : {'binary', 'uniform'}
        Edge weights: 1, or uniform in [0.1, 1).
    conduction_speed : float
        Conduction speed (mm/ms).
    """
    n = _check_count("n", n, 3)
    k = _check_count("k", k, 1)
    probability = _check_probability("rewiring", rewiring)
    rng = np.random.default_rng(seed)
    adjacency = ring_lattice(n, k)
    for step in range(1, k + 1):
        for i in range(n):
            j = (i + step) % n
            if rng.random() >= probability:
                continue
            free = np.flatnonzero(~adjacency[i])
            free = free[free != i]
            if free.size:
                new = rng.choice(free)
                adjacency[i, j] = adjacency[j, i] = False
                adjacency[i, new] = adjacency[new, i] = True
    return _finish(adjacency, circle_centres(n), "small_world", weights, rng, conduction_speed)


def hub_network(
    n: int, n_hubs: int = 1, density: float = 0.0, seed: int = 0, weights: str = "binary",
    conduction_speed: float = 3.0,
) -> Connectivity:  # fmt: skip
    """Hubs and periphery: the first ``n_hubs`` nodes link to every node; peripheral pairs link
    with probability ``density`` (``0`` gives a star for one hub); nodes on a sphere.

    Parameters
    ----------
    n : int
        Number of nodes.
    n_hubs : int
        Number of hubs (the first nodes).
    density : float
        Probability of an edge between two peripheral nodes, in [0, 1].
    seed : int
        Seed of the random generator (edges and uniform weights).
    weights : {'binary', 'uniform'}
        Edge weights: 1, or uniform in [0.1, 1).
    conduction_speed : float
        Conduction speed (mm/ms).
    """
    n = _check_count("n", n, 2)
    n_hubs = _check_count("n_hubs", n_hubs, 1)
    rng = np.random.default_rng(seed)
    adjacency = np.triu(rng.random((n, n)) < _check_probability("density", density), 1)
    adjacency[:n_hubs, :] = True
    return _finish(adjacency, sphere_centres(n), "hub", weights, rng, conduction_speed)


def modular_network(
    n_modules: int, module_size: int, p_within: float = 0.5, p_between: float = 0.02,
    seed: int = 0, weights: str = "binary", conduction_speed: float = 3.0,
) -> Connectivity:  # fmt: skip
    """Modules: pairs in one module link with probability ``p_within``, pairs across modules
    with ``p_between``; module ``m`` holds nodes ``m·size … (m+1)·size − 1``, clustered (10 mm
    spread) around points on a sphere.

    Parameters
    ----------
    n_modules : int
        Number of modules.
    module_size : int
        Number of nodes in each module.
    p_within : float
        Probability of an edge within a module, in [0, 1].
    p_between : float
        Probability of an edge between modules, in [0, 1].
    seed : int
        Seed of the random generator (edges, positions and uniform weights).
    weights : {'binary', 'uniform'}
        Edge weights: 1, or uniform in [0.1, 1).
    conduction_speed : float
        Conduction speed (mm/ms).
    """
    n_modules = _check_count("n_modules", n_modules, 1)
    size = _check_count("module_size", module_size, 1)
    rng = np.random.default_rng(seed)
    module = np.repeat(np.arange(n_modules), size)
    same = module[:, None] == module[None, :]
    probability = np.where(
        same, _check_probability("p_within", p_within), _check_probability("p_between", p_between)
    )
    adjacency = np.triu(rng.random(same.shape) < probability, 1)
    centres = sphere_centres(n_modules)[module] + rng.normal(0.0, 10.0, (len(module), 3))
    return _finish(adjacency, centres, "modular", weights, rng, conduction_speed)
