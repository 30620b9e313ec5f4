"""Preprocessing steps give the same result on arrays and on TVB Connectivity objects."""

import numpy as np
import pytest

from tvb_ngnmm.connectomes import (
    lengths_to_delays,
    load_connectome,
    normalize,
    remove_self_connections,
    symmetrize,
    threshold,
)

W = np.array([[1.0, 2.0, 0.0], [4.0, 0.0, 6.0], [0.0, 0.0, 0.0]])


@pytest.mark.parametrize(
    ("how", "expected"),
    [
        ("row", [[1 / 3, 2 / 3, 0], [0.4, 0, 0.6], [0, 0, 0]]),
        ("column", [[0.2, 1, 0], [0.8, 0, 1], [0, 0, 0]]),
        ("max", [[1 / 6, 1 / 3, 0], [2 / 3, 0, 1], [0, 0, 0]]),
        ("total", [[1 / 13, 2 / 13, 0], [4 / 13, 0, 6 / 13], [0, 0, 0]]),
        ("log", np.log1p(W) / np.log(7.0)),
    ],
)
def test_normalisations_by_hand(how, expected):
    np.testing.assert_allclose(normalize(W, how), expected, rtol=1e-12)


def test_steps_work_on_connectivity_and_leave_it_untouched():
    conn = load_connectome("tvb76")
    before = conn.weights.copy()
    for step in (
        lambda x: normalize(x, "row"),
        lambda x: symmetrize(x, "max"),
        lambda x: threshold(x, density=0.1),
        remove_self_connections,
    ):
        changed = step(conn)
        np.testing.assert_array_equal(changed.weights, step(before))
        np.testing.assert_array_equal(changed.tract_lengths, conn.tract_lengths)
        np.testing.assert_array_equal(changed.region_labels, conn.region_labels)
        assert changed.coordinate_frame == conn.coordinate_frame
    np.testing.assert_array_equal(conn.weights, before)


def test_symmetrize_threshold_and_self_connections():
    np.testing.assert_array_equal(symmetrize(W, "mean"), (W + W.T) / 2)
    np.testing.assert_array_equal(symmetrize(W, "min"), [[1, 2, 0], [2, 0, 0], [0, 0, 0]])
    np.testing.assert_array_equal(threshold(W, value=2.0), [[0, 2, 0], [4, 0, 6], [0, 0, 0]])
    # 6 off-diagonal entries, density 0.5 keeps the 3 strongest: 6, 4, 2; the diagonal stays
    np.testing.assert_array_equal(threshold(W, density=0.5), [[1, 2, 0], [4, 0, 6], [0, 0, 0]])
    np.testing.assert_array_equal(threshold(W, density=0.3), [[1, 0, 0], [4, 0, 6], [0, 0, 0]])
    assert np.all(np.diag(remove_self_connections(W)) == 0)


def test_lengths_to_delays():
    lengths = np.array([[0.0, 30.0], [30.0, 0.0]])
    np.testing.assert_array_equal(lengths_to_delays(lengths, 6.0), lengths / 6.0)
    conn = lengths_to_delays(load_connectome("tvb68"), conduction_speed=4.0)
    np.testing.assert_allclose(conn.delays, conn.tract_lengths / 4.0)


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="'how' parameter.*'log'.*'rw'"):
        normalize(W, "rw")
    with pytest.raises(ValueError, match="'weights' parameter.*>= 0.*negative"):
        normalize(-W, "row")
    with pytest.raises(ValueError, match="'weights'.*finite.*non-finite"):
        symmetrize(np.full((2, 2), np.inf))
    with pytest.raises(ValueError, match="'value' and 'density'.*exactly one"):
        threshold(W)
    with pytest.raises(ValueError, match="'density' parameter.*\\(0, 1\\].*1.5"):
        threshold(W, density=1.5)
    with pytest.raises(ValueError, match="'conduction_speed' parameter.*> 0.*0"):
        lengths_to_delays(W, 0.0)
    with pytest.raises(ValueError, match="'tract_lengths'.*square.*\\(3,\\)"):
        lengths_to_delays(np.ones(3), 1.0)
