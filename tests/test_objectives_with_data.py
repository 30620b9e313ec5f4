"""Objectives retargeted to a dataset's subjects (a training group, a held-out subject)."""

import numpy as np
import pytest

from tvb_ngnmm.datasets import gw, read_dataset
from tvb_ngnmm.explore import FCCorrelation, FCDDistance, FCLevel, SpectralPeak

TR = 2000.0


@pytest.fixture(scope="module")
def data():
    return gw.dataset(repetition_time=TR)


def _fisher_mean(matrices):
    z = np.mean([np.arctanh(np.clip(m, -1, 1) - np.eye(len(m))) for m in matrices], axis=0)
    return np.tanh(z) + np.eye(len(z))


def test_fc_targets_are_the_group_fc_of_the_subjects(data):
    """FCCorrelation and FCLevel take the Fisher-z mean FC of the subjects named (np.corrcoef
    of each subject's stored BOLD), the rest of their settings kept; the original unchanged."""
    original = FCCorrelation(gw.group_fc().values, transient=4000.0)
    chosen = ["NAP_002", "NAP_009"]
    fcs = [np.corrcoef(gw.subject(name).bold_series()) for name in chosen]
    retargeted = original.with_data(data, chosen)
    np.testing.assert_allclose(retargeted.target_fc, _fisher_mean(fcs), atol=1e-12)
    assert retargeted.transient == 4000.0
    np.testing.assert_allclose(original.target_fc, gw.group_fc().values)
    level = FCLevel(gw.group_fc().values).with_data(data, ["NAP_013"])
    np.testing.assert_allclose(level.target_fc, np.corrcoef(gw.subject("NAP_013").bold_series()),
                               atol=1e-12)  # fmt: skip
    assert repr(level) != repr(FCLevel(gw.group_fc().values))  # a store tells them apart


def test_fcd_and_weighted_sums(data):
    """FCDDistance pools the subjects' FCD values; a weighted sum retargets each term and
    keeps its weights; an objective without an empirical target comes back as it is."""
    fcd = FCDDistance(60_000.0, 20_000.0, target_fcd=[0.1, 0.2, 0.3])
    both = fcd.with_data(data, ["NAP_001", "NAP_007"])
    pooled = [data.fcd(name, 60_000.0, 20_000.0)[0] for name in ("NAP_001", "NAP_007")]
    expected = np.concatenate([m[np.triu_indices(len(m), 1)] for m in pooled])
    np.testing.assert_array_equal(both.target_values, expected)
    peak = SpectralPeak(10.0)
    assert peak.with_data(data) is peak
    total = FCCorrelation(gw.group_fc().values) + 0.5 * fcd + 2.0 * peak
    moved = total.with_data(data, ["NAP_001"])
    weights = [w for _, w in moved.terms()]
    assert weights == [1.0, 0.5, 2.0]
    np.testing.assert_allclose(moved.terms()[0][0].target_fc, data.fc("NAP_001"))


def test_wrong_dataset_refused(data):
    """A dataset over another region count, and an unknown subject, are refused by name."""
    small = FCCorrelation(np.corrcoef(np.random.default_rng(0).standard_normal((4, 50))))
    with pytest.raises(ValueError, match="'dataset' parameter.*4 regions.*94 regions"):
        small.with_data(data)
    with pytest.raises(ValueError, match="'subjects' parameter.*NAP_099"):
        FCCorrelation(gw.group_fc().values).with_data(data, ["NAP_099"])


def test_fcd_pools_every_session(tmp_path):
    """A subject with two sessions contributes both sessions' FCD values to the target."""
    tables = {"weights": {}, "lengths": {}, "bold": {}}
    for name in ("NAP_001", "NAP_002"):
        files = gw.subject(name)
        for kind, array in (("weights", files.streamline_counts()),
                            ("lengths", files.tract_lengths())):  # fmt: skip
            np.save(tmp_path / f"{name}_{kind}.npy", array)
            tables[kind][name] = tmp_path / f"{name}_{kind}.npy"
        series = files.bold_series()  # (region, time)
        tables["bold"][name] = {}
        for session, half in (("1", series[:, :177]), ("2", series[:, 177:])):
            np.save(tmp_path / f"{name}_{session}.npy", half)
            tables["bold"][name][session] = tmp_path / f"{name}_{session}.npy"
    data = read_dataset(**tables, repetition_time=TR)
    fcd = FCDDistance(60_000.0, 20_000.0, target_fcd=[0.1, 0.2]).with_data(data, ["NAP_002"])
    expected = []
    for session in ("1", "2"):
        series = np.load(tmp_path / f"NAP_002_{session}.npy").T
        matrix, _ = data.fcd("NAP_002", 60_000.0, 20_000.0, session=session)
        np.testing.assert_array_equal(data.session_bold[("NAP_002", session)], series)
        expected.append(matrix[np.triu_indices(len(matrix), 1)])
    np.testing.assert_array_equal(fcd.target_values, np.concatenate(expected))
