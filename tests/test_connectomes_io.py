"""Connectome files: every format round-trips or reads real data; bad files get clear errors."""

import io
import os
import stat
import zipfile
from importlib import resources

import h5py
import numpy as np
import pytest
from scipy import io as scipy_io
from tvb.datatypes.connectivity import Connectivity

from tvb_ngnmm.connectomes import (
    ConnectomeFileError,
    load_connectivity,
    load_connectome,
    read_array,
    read_connectivity,
    read_edge_list,
    read_labels,
    read_tvb_zip,
    save_array,
    save_connectivity,
    save_edge_list,
    write_tvb_zip,
)
from tvb_ngnmm.connectomes.aal90 import read_aal90_weights

TVB_DATA = resources.files("tvb_data.connectivity")


def _small(seed=0, n=5):
    rng = np.random.default_rng(seed)
    weights = rng.uniform(0, 1, (n, n)) * (rng.random((n, n)) < 0.7)
    centres = rng.uniform(-60, 60, (n, 3))
    return weights, centres, np.array([f"{s}Region{i}" for i, s in enumerate("rlrlr"[:n])])


def _assert_same(a: Connectivity, b: Connectivity):
    np.testing.assert_allclose(a.weights, b.weights, rtol=1e-12)
    np.testing.assert_allclose(a.tract_lengths, b.tract_lengths, rtol=1e-12)
    np.testing.assert_allclose(a.centres, b.centres, rtol=1e-8)
    np.testing.assert_array_equal(a.region_labels, b.region_labels)
    np.testing.assert_array_equal(a.hemispheres, b.hemispheres)


# --- TVB zip ---------------------------------------------------------------------------------


@pytest.mark.parametrize("source", ["connectivity_68.zip", "connectivity_76.zip"])
def test_tvb_zip_reader_agrees_with_tvb_s_own_reader(source):
    ours = read_tvb_zip(str(TVB_DATA / source))
    theirs = Connectivity.from_file(source)
    np.testing.assert_array_equal(ours.weights, theirs.weights)
    np.testing.assert_array_equal(ours.tract_lengths, theirs.tract_lengths)
    np.testing.assert_array_equal(ours.centres, theirs.centres)
    np.testing.assert_array_equal(ours.region_labels, theirs.region_labels)


def test_tvb_zip_round_trip_is_read_by_tvb(tmp_path):
    conn = load_connectome("tvb76")
    path = write_tvb_zip(conn, tmp_path / "conn.zip")
    _assert_same(read_tvb_zip(path), conn)
    np.testing.assert_array_equal(read_tvb_zip(path).cortical, conn.cortical)
    theirs = Connectivity.from_file(str(path))
    np.testing.assert_array_equal(theirs.weights, conn.weights)
    np.testing.assert_allclose(theirs.centres, conn.centres, rtol=1e-8)
    assert [p.name for p in tmp_path.iterdir()] == ["conn.zip"], "no temporary file left"


@pytest.mark.parametrize("member", ["../evil.txt", "/etc/evil.txt", "a/../../evil.txt"])
def test_zip_with_members_escaping_the_folder_is_refused(tmp_path, member):
    path = tmp_path / "inner" / "bad.zip"
    path.parent.mkdir()
    data = (TVB_DATA / "connectivity_76.zip").read_bytes()
    with zipfile.ZipFile(io.BytesIO(data)) as good, zipfile.ZipFile(path, "w") as bad:
        for name in good.namelist():
            bad.writestr(name, good.read(name))
        bad.writestr(member, "1 2 3")
    with pytest.raises(ConnectomeFileError, match=r"bad\.zip.*outside the target folder.*refused"):
        read_tvb_zip(path)
    assert not (tmp_path / "evil.txt").exists()


def test_corrupt_and_incomplete_zips_are_named(tmp_path):
    data = (TVB_DATA / "connectivity_76.zip").read_bytes()
    truncated = tmp_path / "truncated.zip"
    truncated.write_bytes(data[: len(data) // 2])
    with pytest.raises(ConnectomeFileError, match=r"truncated\.zip.*not a readable zip"):
        read_tvb_zip(truncated)
    incomplete = tmp_path / "incomplete.zip"
    with zipfile.ZipFile(incomplete, "w") as archive:
        archive.writestr("weights.txt", "0 1\n1 0\n")
    with pytest.raises(ConnectomeFileError, match=r"incomplete\.zip.*no centres, tract_lengths"):
        read_tvb_zip(incomplete)
    mismatched = tmp_path / "mismatched.zip"
    with zipfile.ZipFile(mismatched, "w") as archive:
        archive.writestr("weights.txt", "0 1\n1 0\n")
        archive.writestr("tract_lengths.txt", "0 1 1\n1 0 1\n1 1 0\n")
        archive.writestr("centres.txt", "rA 1 0 0\nlA -1 0 0\n")
    with pytest.raises(ConnectomeFileError, match=r"mismatched\.zip.*shape of the weights"):
        read_tvb_zip(mismatched)


# --- arrays ----------------------------------------------------------------------------------


@pytest.mark.parametrize("extension", [".npy", ".npz", ".mat", ".h5", ".txt", ".csv", ".tsv"])
def test_matrix_round_trip(tmp_path, extension):
    weights, _, _ = _small()
    path = save_array(weights, tmp_path / f"w{extension}")
    np.testing.assert_allclose(read_array(path), weights, rtol=1e-15)
    assert [p.name for p in tmp_path.iterdir()] == [f"w{extension}"]


def test_matlab_v73_file_is_read_via_hdf5_and_transposed(tmp_path):
    weights, _, _ = _small()
    path = tmp_path / "sc.mat"
    # MATLAB v7.3: HDF5 with a 512-byte header block, arrays stored column-major (transposed).
    with h5py.File(path, "w", userblock_size=512) as handle:
        handle.create_dataset("SC", data=weights.T)
        handle.create_dataset("lengths", data=2 * weights.T)
        # char(['rA '; 'lBB']): a 2 x 3 MATLAB char matrix, stored 3 x 2 as UTF-16 code units
        codes = np.array([[ord(c) for c in "rA "], [ord(c) for c in "lBB"]], dtype=np.uint16)
        handle.create_dataset("labels", data=codes.T).attrs["MATLAB_class"] = np.bytes_("char")
    with open(path, "r+b") as handle:
        handle.write(b"MATLAB 7.3 MAT-file, Platform: GLNXA64, Created on: test HDF5 schema 1.00 .")
    np.testing.assert_array_equal(read_array(path, key="SC"), weights)
    np.testing.assert_array_equal(read_array(path, key="lengths"), 2 * weights)
    with pytest.raises(ConnectomeFileError, match=r"sc\.mat.*holds 3 variables.*key="):
        read_array(path)
    np.testing.assert_array_equal(read_array(path, key="labels"), ["rA", "lBB"])


def test_matlab_v5_file_with_several_variables(tmp_path):
    weights, _, _ = _small()
    scipy_io.savemat(tmp_path / "sc.mat", {"SC": weights, "FC": weights.T})
    np.testing.assert_array_equal(read_array(tmp_path / "sc.mat", key="FC"), weights.T)
    with pytest.raises(ConnectomeFileError, match=r"sc\.mat.*no variable 'X'"):
        read_array(tmp_path / "sc.mat", key="X")


def test_pickled_npy_is_refused_and_not_unpickled(tmp_path):
    path = tmp_path / "pickled.npy"
    np.save(path, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(ConnectomeFileError, match=r"pickled\.npy.*pickled.*never unpickled"):
        read_array(path)


def test_truncated_and_missing_files(tmp_path):
    weights, _, _ = _small()
    for extension in (".npy", ".npz", ".mat", ".h5"):
        path = save_array(weights, tmp_path / f"w{extension}")
        path.write_bytes(path.read_bytes()[: len(path.read_bytes()) // 2])
        with pytest.raises(ConnectomeFileError, match=rf"w\{extension}.*corrupt, truncated"):
            read_array(path)
    with pytest.raises(FileNotFoundError, match=r"nowhere\.npy.*does not exist"):
        read_array(tmp_path / "nowhere.npy")
    with pytest.raises(ValueError, match=r"'path' parameter.*'\.npy'.*w\.xls"):
        read_array(tmp_path / "w.xls")


def test_failed_write_leaves_nothing(tmp_path):
    with pytest.raises(ValueError, match="allow_pickle"):
        save_array(np.array([{"a": 1}], dtype=object), tmp_path / "objects.npy")
    assert list(tmp_path.iterdir()) == []


# --- edge lists ------------------------------------------------------------------------------


def test_sc2017_edge_list_is_the_aal90_matrix():
    path = resources.files("tvb_ngnmm.connectomes") / "data" / "sc2017.dat"
    weights = read_edge_list(str(path))
    assert weights.shape == (90, 90) and np.count_nonzero(weights) == 7936
    assert weights[0, 1] == pytest.approx(0.15271)
    np.testing.assert_array_equal(weights, read_aal90_weights())


@pytest.mark.parametrize("one_based", [False, True])
@pytest.mark.parametrize("extension", [".dat", ".csv"])
def test_edge_list_round_trip(tmp_path, one_based, extension):
    weights, _, _ = _small()
    path = save_edge_list(weights, tmp_path / f"edges{extension}", one_based=one_based)
    np.testing.assert_array_equal(read_edge_list(path, one_based=one_based), weights)


def test_symmetric_edge_list_and_bad_edges(tmp_path):
    path = tmp_path / "edges.txt"
    path.write_text("# undirected\n0 1 0.5\n1 2 2.0\n")
    expected = np.array([[0, 0.5, 0], [0.5, 0, 2.0], [0, 2.0, 0]])
    np.testing.assert_array_equal(read_edge_list(path, symmetric=True), expected)
    path.write_text("0 1 0.5\n0 1 0.7\n")
    with pytest.raises(ConnectomeFileError, match=r"edges\.txt.*more than once"):
        read_edge_list(path)
    path.write_text("3\n0 5 0.5\n")
    with pytest.raises(ConnectomeFileError, match=r"edges\.txt.*indices must lie in \[0, 2\]"):
        read_edge_list(path)
    path.write_text("0 1\n")
    with pytest.raises(ConnectomeFileError, match=r"edges\.txt.*edge 1 should be 'to from"):
        read_edge_list(path)


# --- whole connectomes -----------------------------------------------------------------------


@pytest.mark.parametrize("extension", [".zip", ".npz", ".mat", ".h5"])
def test_connectivity_round_trip(tmp_path, extension):
    conn = load_connectome("tvb96", conduction_speed=4.0)
    path = save_connectivity(conn, tmp_path / f"conn{extension}")
    back = read_connectivity(path, conduction_speed=4.0)
    _assert_same(back, conn)
    np.testing.assert_array_equal(back.cortical, conn.cortical)
    np.testing.assert_allclose(back.areas, conn.areas)
    assert float(back.speed[0]) == 4.0


@pytest.mark.parametrize("extension", [".npz", ".mat", ".h5"])
def test_coordinate_frame_round_trip(tmp_path, extension):
    conn = load_connectome("tvb66")  # ALS about the centroid: axes and origin both matter
    frame = conn.coordinate_frame
    assert frame.axes != "RAS" and any(frame.origin)
    back = read_connectivity(save_connectivity(conn, tmp_path / f"conn{extension}"))
    assert back.coordinate_frame.axes == frame.axes
    np.testing.assert_allclose(back.coordinate_frame.origin, frame.origin, rtol=0, atol=0)
    np.testing.assert_allclose(
        back.coordinate_frame.to_ras(back.centres), frame.to_ras(conn.centres)
    )


def test_bad_coordinate_frame_in_a_file(tmp_path):
    weights, _, _ = _small()
    path = tmp_path / "conn.npz"
    np.savez(path, weights=weights, coordinate_frame=np.array(["RAR"]))
    with pytest.raises(ConnectomeFileError, match=r"conn\.npz.*one of R/L, A/P and S/I.*'RAR'"):
        read_connectivity(path)


def test_pieces_from_separate_files(tmp_path):
    weights, centres, labels = _small()
    save_array(weights, tmp_path / "weights.csv")
    save_array(3 * weights, tmp_path / "lengths.npy")
    (tmp_path / "centres.txt").write_text(
        "".join(f"{lab} {x} {y} {z}\n" for lab, (x, y, z) in zip(labels, centres, strict=True))
    )
    conn = load_connectivity(
        tmp_path / "weights.csv", tmp_path / "lengths.npy", tmp_path / "centres.txt"
    )
    np.testing.assert_allclose(conn.weights, weights, rtol=1e-15)
    np.testing.assert_allclose(conn.tract_lengths, 3 * weights, rtol=1e-15)
    np.testing.assert_allclose(conn.centres, centres)
    np.testing.assert_array_equal(conn.region_labels, labels)
    np.testing.assert_array_equal(conn.hemispheres, [lab[0] == "r" for lab in labels])
    (tmp_path / "labels.txt").write_text("\n".join(labels) + "\n")
    np.testing.assert_array_equal(read_labels(tmp_path / "labels.txt"), labels)
    euclidean = load_connectivity(weights, centres=centres, region_labels=labels)
    assert euclidean.tract_lengths[0, 1] == pytest.approx(np.linalg.norm(centres[0] - centres[1]))


def test_bad_matrices_are_named(tmp_path):
    weights, _, labels = _small()
    save_array(weights[:, :4], tmp_path / "nonsquare.csv")
    with pytest.raises(ConnectomeFileError, match=r"'weights'.*square.*\(5, 4\).*nonsquare\.csv"):
        load_connectivity(tmp_path / "nonsquare.csv")
    save_array(np.where(weights > 0.5, np.nan, weights), tmp_path / "nan.npy")
    with pytest.raises(ConnectomeFileError, match=r"'weights'.*finite.*nan\.npy"):
        load_connectivity(tmp_path / "nan.npy")
    save_array(-weights - 1, tmp_path / "negative.npy")
    with pytest.raises(ConnectomeFileError, match=r"'weights'.*>= 0.*negative\.npy"):
        load_connectivity(tmp_path / "negative.npy")
    save_array(weights, tmp_path / "w.npy")
    save_array(weights[:4, :4], tmp_path / "short.npy")
    with pytest.raises(ConnectomeFileError, match=r"'tract_lengths'.*shape of the weights.*short"):
        load_connectivity(tmp_path / "w.npy", tmp_path / "short.npy")
    (tmp_path / "labels.txt").write_text("a\nb\n")
    with pytest.raises(ConnectomeFileError, match=r"one label per region \(5\).*2 labels.*labels"):
        load_connectivity(tmp_path / "w.npy", region_labels=tmp_path / "labels.txt")


def test_matlab_cell_array_of_labels(tmp_path):
    labels = np.empty((3, 1), dtype=object)
    labels[:, 0] = ["rA", "lA", "rB"]
    scipy_io.savemat(tmp_path / "labels.mat", {"labels": labels, "cells": {"a": 1}})
    np.testing.assert_array_equal(read_array(tmp_path / "labels.mat", key="labels"), labels[:, 0])
    with pytest.raises(ConnectomeFileError, match=r"labels\.mat.*'cells' is a cell or struct"):
        read_array(tmp_path / "labels.mat", key="cells")


def test_whole_connectome_from_a_matlab_v73_file(tmp_path):
    weights, centres, labels = _small()
    path = tmp_path / "connectome.mat"
    width = max(len(label) for label in labels)
    codes = np.array([[ord(c) for c in label.ljust(width)] for label in labels], dtype=np.uint16)
    with h5py.File(path, "w", userblock_size=512) as handle:
        handle.create_dataset("weights", data=weights.T)
        handle.create_dataset("tract_lengths", data=(10 * weights).T)
        handle.create_dataset("centres", data=centres.T)
        handle.create_dataset("region_labels", data=codes.T).attrs["MATLAB_class"] = b"char"
    conn = read_connectivity(path)
    np.testing.assert_array_equal(conn.weights, weights)
    np.testing.assert_array_equal(conn.tract_lengths, 10 * weights)
    np.testing.assert_array_equal(conn.centres, centres)
    np.testing.assert_array_equal(conn.region_labels, labels)


def test_written_files_get_the_usual_permissions(tmp_path):
    umask = os.umask(0o022)
    try:
        path = save_array(np.eye(2), tmp_path / "w.npy")
    finally:
        os.umask(umask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
