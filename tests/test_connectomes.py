"""The AAL90 connectome shipped with the package loads as a configured TVB Connectivity."""

import numpy as np
import pytest

from tvb_ngnmm.connectomes import load_aal90


def test_raw_weights_match_the_edge_list():
    conn = load_aal90(normalize="none")
    weights = conn.weights
    assert weights.shape == (90, 90)
    assert np.count_nonzero(weights) == 7936
    assert np.all(np.diag(weights) == 0)
    assert 0 < weights[weights > 0].min() and weights.max() <= 0.9
    assert not np.allclose(weights, weights.T), "the data set is not symmetric"
    # first edge of sc2017.dat: "0 1 0.15271" (W[0, 1], from region 1 to region 0)
    assert weights[0, 1] == pytest.approx(0.15271)


def test_row_normalised_weights_sum_to_one():
    conn = load_aal90()
    np.testing.assert_allclose(conn.weights.sum(axis=1), 1.0, rtol=1e-12)
    raw = load_aal90(normalize="none").weights
    np.testing.assert_allclose(conn.weights * raw.sum(axis=1, keepdims=True), raw, rtol=1e-12)


def test_labels_centres_and_hemispheres_are_consistent():
    conn = load_aal90()
    assert conn.number_of_regions == 90
    assert conn.region_labels[0] == "PreCG.L" and conn.region_labels[1] == "PreCG.R"
    left = np.array([label.endswith(".L") for label in conn.region_labels])
    # MNI frame: x < 0 is the left hemisphere; hemispheres are True on the right.
    assert np.all(conn.centres[left, 0] < 0) and np.all(conn.centres[~left, 0] > 0)
    np.testing.assert_array_equal(conn.hemispheres, ~left)


def test_tract_lengths_are_euclidean_distances_and_give_delays():
    conn = load_aal90(conduction_speed=5.0)
    a, b = 0, 1
    expected = np.linalg.norm(conn.centres[a] - conn.centres[b])
    assert conn.tract_lengths[a, b] == pytest.approx(expected)
    np.testing.assert_allclose(conn.delays, conn.tract_lengths / 5.0)
    assert np.all(load_aal90(tract_lengths=False).tract_lengths == 0)


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="'normalize' parameter.*'none', 'row'.*'rw'"):
        load_aal90(normalize="rw")
    with pytest.raises(ValueError, match="'conduction_speed' parameter.*> 0.*-1"):
        load_aal90(conduction_speed=-1.0)
