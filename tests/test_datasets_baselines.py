"""The baselines of an FC fit (tvb_ngnmm.datasets.baselines) against NumPy computed here."""

import numpy as np
import pytest
import xarray as xr

from tvb_ngnmm.datasets import baselines, gw
from tvb_ngnmm.datasets.baselines import (
    inter_subject_similarity,
    structure_fc_correlation,
)


def _symmetric(rng, n, low=0.0, high=1.0):
    matrix = rng.uniform(low, high, (n, n))
    matrix = (matrix + matrix.T) / 2
    np.fill_diagonal(matrix, 0.0)
    return matrix


def _fcs(rng, n_subject=4, n=6):
    """Correlation matrices of random series (off-diagonal values strictly inside (-1, 1))."""
    return np.array([np.corrcoef(rng.standard_normal((n, 40))) for _ in range(n_subject)])


def _upper_by_hand(matrix):
    """The entries i < j of a 4 × 4 matrix, listed by hand."""
    pairs = [(0, 1), (0, 2), (0, 3), (1, 2), (1, 3), (2, 3)]
    return np.array([matrix[i, j] for i, j in pairs])


def test_structure_fc_correlation_is_pearson_r_over_the_upper_triangle():
    """SC-FC r: r between the listed pairs i < j, the diagonal and lower triangle unused."""
    rng = np.random.default_rng(1)
    weights, fc = _symmetric(rng, 4), _fcs(rng, 1, 4)[0]
    expected = np.corrcoef(_upper_by_hand(weights), _upper_by_hand(fc))[0, 1]
    assert structure_fc_correlation(weights, fc) == pytest.approx(expected, rel=1e-12)
    weights[np.diag_indices(4)] = [5.0, 0.0, 9.0, 1.0]  # the diagonal is not compared
    assert structure_fc_correlation(weights, fc) == pytest.approx(expected, rel=1e-12)


def test_log_structure_fc_correlation_uses_the_connected_pairs_only():
    """log-SC-FC r: log of the weights over the pairs with W > 0; unconnected pairs left out."""
    rng = np.random.default_rng(2)
    weights, fc = _symmetric(rng, 4, 1.0, 100.0), _fcs(rng, 1, 4)[0]
    weights[0, 3] = weights[3, 0] = 0.0  # the pair (0, 3), the third listed by hand
    w, f = _upper_by_hand(weights), _upper_by_hand(fc)
    keep = [0, 1, 3, 4, 5]
    expected = np.corrcoef(np.log(w[keep]), f[keep])[0, 1]
    assert structure_fc_correlation(weights, fc, "log") == pytest.approx(expected, rel=1e-12)
    # independent of the weights' unit, unlike log(1 + W)
    scaled = structure_fc_correlation(weights * 1e-3, fc, transform="log")
    assert scaled == pytest.approx(expected, rel=1e-12)


def test_inter_subject_similarity_leaves_the_subject_out():
    """Leave one out: subject k against the Fisher-z mean of the others, never itself."""
    rng = np.random.default_rng(3)
    fcs = _fcs(rng, 4, 4)
    result = inter_subject_similarity(fcs, names=["a", "b", "c", "d"])
    assert result.dims == ("subject",) and list(result.subject.values) == ["a", "b", "c", "d"]
    for k in range(4):
        others = [fcs[m] for m in range(4) if m != k]
        mean = np.tanh(np.mean([np.arctanh(_upper_by_hand(fc)) for fc in others], axis=0))
        expected = np.corrcoef(_upper_by_hand(fcs[k]), mean)[0, 1]
        assert float(result[k]) == pytest.approx(expected, rel=1e-12)
        with_itself = np.tanh(np.mean([np.arctanh(_upper_by_hand(fc)) for fc in fcs], axis=0))
        assert abs(float(result[k]) - np.corrcoef(_upper_by_hand(fcs[k]), with_itself)[0, 1]) > 0.01


def test_two_identical_subjects_predict_each_other_perfectly():
    """Leave one out with two copies of one FC: each is its other's mean, r = 1."""
    fc = _fcs(np.random.default_rng(4), 1, 5)[0]
    np.testing.assert_allclose(inter_subject_similarity([fc, fc]).values, [1.0, 1.0])


def test_pairwise_inter_subject_similarity_is_the_mean_r_with_each_other_subject():
    """Pairwise: subject k's mean r with every other subject's FC."""
    fcs = _fcs(np.random.default_rng(5), 3, 4)
    result = inter_subject_similarity(fcs, method="pairwise")
    r = np.corrcoef([_upper_by_hand(fc) for fc in fcs])
    expected = [(r[0, 1] + r[0, 2]) / 2, (r[0, 1] + r[1, 2]) / 2, (r[0, 2] + r[1, 2]) / 2]
    np.testing.assert_allclose(result.values, expected, rtol=1e-12)
    assert list(result.subject.values) == ["subject_0", "subject_1", "subject_2"]


def test_baselines_table_gathers_each_measure():
    """baselines(): per subject SC-FC, log-SC-FC and inter-subject r; group r against the mean."""
    rng = np.random.default_rng(6)
    weights, fcs = _symmetric(rng, 5, 1.0, 10.0), _fcs(rng, 3, 5)
    table = baselines.baselines(weights, fcs, names=["x", "y", "z"])
    assert isinstance(table, xr.Dataset) and list(table.subject.values) == ["x", "y", "z"]
    upper = np.triu_indices(5, 1)
    for k, name in enumerate(["x", "y", "z"]):
        row = table.sel(subject=name)
        sc = np.corrcoef(weights[upper], fcs[k][upper])[0, 1]
        log_sc = np.corrcoef(np.log(weights[upper]), fcs[k][upper])[0, 1]
        assert float(row.sc_fc) == pytest.approx(sc, rel=1e-12)
        assert float(row.log_sc_fc) == pytest.approx(log_sc, rel=1e-12)
    loo = inter_subject_similarity(fcs, names=["x", "y", "z"])
    np.testing.assert_allclose(table.inter_subject.values, loo.values, rtol=1e-12)
    group = np.tanh(np.mean(np.arctanh([fc[upper] for fc in fcs]), axis=0))
    assert float(table.group_sc_fc) == pytest.approx(np.corrcoef(weights[upper], group)[0, 1])
    group_log = np.corrcoef(np.log(weights[upper]), group)[0, 1]
    assert float(table.group_log_sc_fc) == pytest.approx(group_log)


def test_the_bundled_subjects_baselines_are_correlations():
    """gw.baselines(): five subjects, every r finite and in [-1, 1]; structure of the group."""
    table = gw.baselines()
    assert list(table.subject.values) == list(gw.SUBJECTS)
    for name in ("sc_fc", "log_sc_fc", "inter_subject", "inter_subject_pairwise"):
        values = table[name].values
        assert values.shape == (5,) and np.all(np.isfinite(values))
        assert np.all(np.abs(values) <= 1.0)
    upper = np.triu_indices(gw.N_REGIONS, 1)
    weights = gw.group_connectivity().weights
    first = gw.fc(gw.SUBJECTS[0]).values
    expected = np.corrcoef(weights[upper], first[upper])[0, 1]
    assert float(table.sc_fc[0]) == pytest.approx(expected, rel=1e-12)


BAD_PAIRS = [
    (np.ones((3, 4)), np.eye(3), "Invalid shape for the 'weights' parameter"),
    (np.full((3, 3), np.nan), np.eye(3), "Invalid value for the 'weights' parameter"),
    (-np.ones((3, 3)), np.eye(3), "Invalid value for the 'weights' parameter"),
    (np.triu(np.ones((3, 3))), np.eye(3), "the 'weights' parameter. Allowed values are a symm"),
    (np.ones((3, 3)), np.eye(4), "Invalid shape for the 'fc' parameter. Allowed is the shape"),
    (np.ones((3, 3)), np.full((3, 3), 2.0), "the 'fc' parameter. Allowed values are correlat"),
    (np.ones((3, 3)), np.full((3, 3), np.inf), "Invalid value for the 'fc' parameter"),
    (np.ones((3, 3)), np.eye(3) + np.triu(np.full((3, 3), 0.5), 1), "'fc' parameter. Allowed.*sym"),
    (np.ones((3, 3)), np.eye(3), "are not all equal, but got 3 entries"),
    (np.ones((2, 2)), np.eye(2), "at least 3"),
]


@pytest.mark.parametrize(("weights", "fc", "match"), BAD_PAIRS)
def test_bad_matrices_are_refused_naming_the_parameter(weights, fc, match):
    """Non-square, non-finite, negative, asymmetric, mismatched or constant input is refused."""
    with pytest.raises(ValueError, match=match):
        structure_fc_correlation(weights, fc)


def test_bad_choices_are_refused():
    """An unknown transform or method is refused, naming the parameter and the choices."""
    fcs = _fcs(np.random.default_rng(7), 3, 4)
    with pytest.raises(ValueError, match="'transform' parameter. Allowed values are 'none', 'log'"):
        structure_fc_correlation(np.ones((4, 4)), fcs[0], transform="sqrt")
    with pytest.raises(ValueError, match="'method' parameter. Allowed values are 'leave_one_out'"):
        inter_subject_similarity(fcs, method="mean")


def test_bad_subject_sets_are_refused():
    """Too few FCs, FCs of different sizes, r = 1 off the diagonal, bad names are refused."""
    rng = np.random.default_rng(8)
    fcs = _fcs(rng, 3, 4)
    with pytest.raises(ValueError, match="'fcs' parameter. Allowed values are 2 or more"):
        inter_subject_similarity(fcs[:1])
    with pytest.raises(ValueError, match=r"of one shape, but got 2 of shapes \[\(4, 4\), \(5, 5\)"):
        inter_subject_similarity([fcs[0], _fcs(rng, 1, 5)[0]])
    with pytest.raises(ValueError, match="'fcs' parameter. Allowed values are a sequence"):
        inter_subject_similarity(3.0)
    with pytest.raises(ValueError, match=r"off-diagonal correlations in \(-1, 1\), but got 1.0"):
        inter_subject_similarity([fcs[0], np.ones((4, 4))])
    with pytest.raises(ValueError, match="'names' parameter. Allowed values are 3 distinct"):
        inter_subject_similarity(fcs, names=["a", "a", "b"])
    with pytest.raises(ValueError, match="'names' parameter"):
        baselines.baselines(np.ones((4, 4)), fcs, names=["a", "b"])
