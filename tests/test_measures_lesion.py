"""Virtual-lesion hub ranking on graphs whose hub is known."""

import numpy as np
import pytest

from tvb_ngnmm.analysis import (
    lesion_weights,
    linear_stochastic_fc,
    mean_off_diagonal,
    simulator_function,
    virtual_lesion_ranking,
)


def _star(n_leaf, hub=0):
    weights = np.zeros((n_leaf + 1, n_leaf + 1))
    leaves = [k for k in range(n_leaf + 1) if k != hub]
    weights[hub, leaves] = weights[leaves, hub] = 1.0
    return weights


def _steady_rates(weights, gain=0.2):
    """Steady state of the linear rate network dx/dt = -x + gain W x + 1, shape (1, n)."""
    n = weights.shape[0]
    return np.linalg.solve(np.eye(n) - gain * weights, np.ones(n))[None, :]


def test_lesion_weights_disconnects_one_region():
    weights = np.arange(16.0).reshape(4, 4)
    lesioned = lesion_weights(weights, 2)
    assert (lesioned[2] == 0).all() and (lesioned[:, 2] == 0).all()
    keep = [0, 1, 3]
    np.testing.assert_array_equal(lesioned[np.ix_(keep, keep)], weights[np.ix_(keep, keep)])
    assert weights[2, 0] == 8.0  # input untouched


def test_star_graph_ranks_the_hub_first_by_mean_rate():
    weights = _star(5, hub=3)
    result = virtual_lesion_ranking(
        _steady_rates, weights, measure=np.mean, rank_by="decrease", progress=False
    )
    assert result.ranking[0] == 3
    # hub lesioned: every leaf is isolated and fires at its drive, 1
    assert result.lesioned[3] == pytest.approx(1.0)
    # intact leaves: hub h = (1 + g m) / (1 - g^2 m), leaf = 1 + g h, with m = 5 leaves
    g, m = 0.2, 5
    hub_rate = (1 + g * m) / (1 - g**2 * m)
    assert result.intact[3] == pytest.approx(1 + g * hub_rate)
    assert (result.change < 0).all()


def test_star_graph_ranks_the_hub_first_by_linear_fc_proxy():
    weights = _star(4, hub=1)
    result = virtual_lesion_ranking(
        lambda w: linear_stochastic_fc(w, coupling=0.4),
        weights,
        measure=mean_off_diagonal,
        region_axes=(0, 1),
        labels=["a", "hub", "b", "c", "d"],
        progress=False,
    )
    assert result.ranked_labels()[0] == "hub"
    assert result.lesioned[1] == pytest.approx(0.0, abs=1e-12)  # leaves left uncoupled


def test_linear_stochastic_fc_of_two_nodes_equals_the_coupling():
    # eigenmodes (1, 1) and (1, -1) decay at 1 - g and 1 + g: their variances give correlation g
    fc = linear_stochastic_fc(np.array([[0.0, 1.0], [1.0, 0.0]]), coupling=0.3)
    np.testing.assert_allclose(fc, [[1.0, 0.3], [0.3, 1.0]], atol=1e-12)


def test_tvb_simulator_star_graph_ranks_the_hub_first():
    from tvb.datatypes.connectivity import Connectivity
    from tvb.simulator import coupling, integrators, monitors, simulator

    from tvb_ngnmm.models import NextGenEI

    weights = _star(3, hub=2)
    connectivity = Connectivity(
        weights=weights,
        tract_lengths=np.full((4, 4), 10.0),
        region_labels=np.array(["a", "b", "hub", "c"]),
        centres=np.zeros((4, 3)),
        speed=np.array([5.0]),
    )
    sim = simulator.Simulator(
        model=NextGenEI(),
        connectivity=connectivity,
        coupling=coupling.Linear(a=np.array([2.0])),
        integrator=integrators.HeunDeterministic(dt=0.1),
        monitors=[monitors.TemporalAverage(period=1.0)],
    ).configure()
    simulate = simulator_function(sim, simulation_length=60.0, transient_ms=40.0)
    np.testing.assert_array_equal(simulate(weights), simulate(weights))  # same start each run
    result = virtual_lesion_ranking(
        simulate, weights, measure=np.mean, rank_by="decrease", progress=False
    )
    assert result.ranking[0] == 2
    leaves = result.change[[0, 1, 3]]
    np.testing.assert_allclose(leaves, leaves.mean(), rtol=0.05)  # the leaves are equivalent
    assert result.change[2] < 2 * leaves.max() < 0
    direct = virtual_lesion_ranking(
        sim, measure=np.mean, rank_by="decrease", simulation_length=60.0, progress=False
    )
    assert direct.ranking[0] == 2
    np.testing.assert_array_equal(sim.connectivity.weights, weights)  # the user's copy untouched


def test_bad_input_to_virtual_lesions():
    weights = _star(3)
    with pytest.raises(ValueError, match="'weights' parameter.*\\(n_region, n_region\\)"):
        virtual_lesion_ranking(_steady_rates, np.ones((3, 4)), measure=np.mean)
    with pytest.raises(ValueError, match="'weights' parameter.*got None"):
        virtual_lesion_ranking(_steady_rates, measure=np.mean)
    with pytest.raises(ValueError, match="'regions' parameter.*0..3, but got \\[7\\]"):
        virtual_lesion_ranking(_steady_rates, weights, measure=np.mean, regions=[7])
    with pytest.raises(ValueError, match="'rank_by' parameter.*'absolute', 'decrease'.*'max'"):
        virtual_lesion_ranking(_steady_rates, weights, measure=np.mean, rank_by="max")
    with pytest.raises(ValueError, match="'labels' parameter.*one label per region \\(4\\)"):
        virtual_lesion_ranking(_steady_rates, weights, measure=np.mean, labels=["a"])
    with pytest.raises(TypeError, match="'simulate' parameter.*got str"):
        virtual_lesion_ranking("model", weights)
    with pytest.raises(ValueError, match="'coupling' parameter.*stable"):
        linear_stochastic_fc(weights, coupling=2.0)
    with pytest.raises(ValueError, match="'matrix' parameter.*got \\(3,\\)"):
        mean_off_diagonal(np.ones(3))
    with pytest.raises(ValueError, match="'simulation_length' parameter.*> transient_ms"):
        simulator_function(object(), simulation_length=10.0, transient_ms=20.0)


def test_simulator_function_reuses_the_noise_of_a_stochastic_integrator():
    from tvb.datatypes.connectivity import Connectivity
    from tvb.simulator import coupling, integrators, monitors, noise, simulator

    from tvb_ngnmm.models import NextGenEI

    weights = np.ones((3, 3)) - np.eye(3)
    sim = simulator.Simulator(
        model=NextGenEI(),
        connectivity=Connectivity(
            weights=weights,
            tract_lengths=np.full((3, 3), 10.0),
            region_labels=np.array(["a", "b", "c"]),
            centres=np.zeros((3, 3)),
            speed=np.array([5.0]),
        ),
        coupling=coupling.Linear(a=np.array([1.0])),
        integrator=integrators.HeunStochastic(dt=0.1, noise=noise.Additive(nsig=np.array([1e-3]))),
        monitors=[monitors.Raw()],
    ).configure()
    simulate = simulator_function(sim, simulation_length=20.0)
    first, second = simulate(weights), simulate(weights)
    assert first.shape == (200, 3)
    np.testing.assert_array_equal(first, second)  # same noise, same start
    assert np.abs(simulate(lesion_weights(weights, 0)) - first).max() > 1e-4  # the lesion acts
