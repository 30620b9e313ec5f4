"""Synthetic networks: seeded, with the structure each generator promises, and distances."""

import numpy as np
import pytest

from tvb_ngnmm.connectomes.synthetic import (
    hub_network,
    modular_network,
    random_network,
    ring_network,
    small_world_network,
)


def _clustering(adjacency):
    """Mean local clustering coefficient of an undirected graph (triangles / possible)."""
    a = adjacency.astype(float)
    degree = a.sum(axis=1)
    triangles = np.diag(a @ a @ a) / 2
    possible = degree * (degree - 1) / 2
    return np.mean(np.divide(triangles, possible, out=np.zeros_like(degree), where=possible > 0))


def test_random_network_density_is_binomial_and_seeded():
    n, density = 60, 0.2
    conn = random_network(n, density, seed=3)
    edges = np.count_nonzero(np.triu(conn.weights, 1))
    pairs = n * (n - 1) / 2
    assert abs(edges - density * pairs) < 4 * np.sqrt(pairs * density * (1 - density))
    np.testing.assert_array_equal(conn.weights, conn.weights.T)
    np.testing.assert_array_equal(random_network(n, density, seed=3).weights, conn.weights)
    assert not np.array_equal(random_network(n, density, seed=4).weights, conn.weights)
    directed = random_network(n, density, seed=3, directed=True)
    assert not np.array_equal(directed.weights, directed.weights.T)


def test_ring_links_each_node_to_k_neighbours_each_side():
    conn = ring_network(8, k=2)
    for i in range(8):
        neighbours = set(np.flatnonzero(conn.weights[i]))
        assert neighbours == {(i + d) % 8 for d in (-2, -1, 1, 2)}
    # nodes on a circle of radius 50 mm: neighbours are one chord apart
    assert conn.tract_lengths[0, 1] == pytest.approx(2 * 50 * np.sin(np.pi / 8))
    np.testing.assert_allclose(conn.delays, conn.tract_lengths / 3.0)


def test_small_world_keeps_edges_and_interpolates_lattice_to_random():
    lattice = small_world_network(100, k=3, rewiring=0.0, seed=1)
    np.testing.assert_array_equal(lattice.weights, ring_network(100, k=3).weights)
    rewired = small_world_network(100, k=3, rewiring=1.0, seed=1)
    assert np.count_nonzero(rewired.weights) == np.count_nonzero(lattice.weights) == 600
    assert _clustering(lattice.weights) == pytest.approx(0.6)  # 3(k-1)/(2(2k-1)) for k = 3
    assert _clustering(rewired.weights) < 0.2


def test_hub_network_is_a_star_with_one_hub_and_no_periphery():
    conn = hub_network(10, n_hubs=1)
    degree = np.count_nonzero(conn.weights, axis=1)
    assert degree[0] == 9 and np.all(degree[1:] == 1)
    two = hub_network(12, n_hubs=2, density=0.3, seed=2)
    assert np.all(np.count_nonzero(two.weights[:2], axis=1) == 11)


def test_modular_network_is_denser_within_modules():
    conn = modular_network(4, 15, p_within=0.6, p_between=0.02, seed=5)
    module = np.repeat(np.arange(4), 15)
    same = (module[:, None] == module[None, :]) & ~np.eye(60, dtype=bool)
    within = conn.weights[same].mean()
    between = conn.weights[~same & ~np.eye(60, dtype=bool)].mean()
    assert 0.45 < within < 0.75 and between < 0.06
    assert np.mean(conn.tract_lengths[same]) < np.mean(conn.tract_lengths[~same])


def test_uniform_weights_and_bad_arguments():
    conn = random_network(30, 0.5, seed=0, weights="uniform")
    values = conn.weights[conn.weights > 0]
    assert values.min() >= 0.1 and values.max() <= 1.0 and len(np.unique(values)) > 10
    with pytest.raises(ValueError, match="'density' parameter.*\\[0, 1\\].*1.5"):
        random_network(10, 1.5)
    with pytest.raises(ValueError, match="'n' parameter.*integers >= 3.*2"):
        ring_network(2)
    with pytest.raises(ValueError, match="'weights' parameter.*'binary', 'uniform'.*'gauss'"):
        random_network(10, 0.1, weights="gauss")
