"""A file cannot exhaust memory: loaders size what a file asks for and refuse beyond a limit.

Every refusal is a ``ConnectomeFileError`` naming the file, the size asked for and the limit;
the limit is configurable per call, per session and by environment variable; normal files
still load under the default; directories and symbolic link loops are named as such.
"""

import bz2
import gzip
import os
import subprocess
import sys
import textwrap
import zipfile

import h5py
import numpy as np
import pytest
from scipy import io as scipy_io

from tvb_ngnmm.connectomes import (
    ConnectomeFileError,
    get_max_load_bytes,
    load_connectivity,
    load_connectome,
    make_connectivity,
    read_array,
    read_connectivity,
    read_edge_list,
    read_labels,
    read_tvb_zip,
    save_array,
    save_connectivity,
    set_max_load_bytes,
)
from tvb_ngnmm.connectomes._budget import DEFAULT_MAX_LOAD_BYTES, format_bytes, parse_bytes
from tvb_ngnmm.connectomes._checks import euclidean_distances
from tvb_ngnmm.connectomes.nifti import read_label_table, read_parcellation

nibabel = pytest.importorskip("nibabel")

LIMIT_HINT = r"over the memory limit of {limit}\. .*max_bytes=.*TVB_NGNMM_MAX_LOAD_BYTES"


def _refusal(name: str, asked: str, limit: str = "2 GB") -> str:
    """The pattern of a refusal: the file, the size asked for, the limit, how to raise it."""
    return rf"{name}'.*asks for about {asked}.*" + LIMIT_HINT.format(limit=limit)


# --- hostile files ---------------------------------------------------------------------------


def _edge_list_declaring(path, n_regions=20000):
    path.write_text(f"{n_regions}\n0 1 1.0\n1 0 1.0\n")
    return path


def _hdf5_bomb(path, shape=(30000, 30000)):
    """A few kB on disk: a gzip-chunked dataset never written, read back as zeros."""
    with h5py.File(path, "w") as handle:
        handle.create_dataset(
            "weights", shape=shape, dtype="f8", chunks=(1000, 1000), compression="gzip"
        )
    return path


def _npy_header(path, shape, descr="<f8"):
    with open(path, "wb") as handle:
        np.lib.format.write_array_header_1_0(
            handle, {"descr": descr, "fortran_order": False, "shape": shape}
        )
    return path


def _nifti_bomb(path):
    header = nibabel.Nifti1Header()
    header.set_data_shape((1200, 1200, 1200))
    header.set_data_dtype(np.int16)
    with gzip.open(path, "wb") as handle:
        handle.write(header.binaryblock + bytes(4 + 64))
    return path


def test_edge_list_declaring_20000_regions_is_refused_before_allocating(tmp_path):
    path = _edge_list_declaring(tmp_path / "edges.dat")
    assert path.stat().st_size == 22
    with pytest.raises(ConnectomeFileError, match=_refusal(r"edges\.dat", r"3\.2 GB")):
        read_edge_list(path)
    # a whole connectivity counts all its matrices: the edge list's, and seven more
    with pytest.raises(ConnectomeFileError, match=_refusal(r"edges\.dat", r"25\.6 GB")):
        load_connectivity(path, edge_list=True)


def test_edge_list_without_header_is_sized_from_its_largest_index(tmp_path):
    path = tmp_path / "edges.txt"
    path.write_text("0 19999 1.0\n")
    with pytest.raises(ConnectomeFileError, match=_refusal(r"edges\.txt", r"3\.2 GB")):
        read_edge_list(path)
    # a region count given by the caller is charged before the edges are parsed
    with pytest.raises(ConnectomeFileError, match=_refusal(r"edges\.txt", r"1\.28 MB", "1 MB")):
        read_edge_list(path, n_regions=400, max_bytes="1 MB")


def test_small_compressed_hdf5_declaring_a_huge_dataset_is_refused(tmp_path):
    path = _hdf5_bomb(tmp_path / "bomb.h5")
    assert path.stat().st_size < 20_000
    with pytest.raises(ConnectomeFileError, match=_refusal(r"bomb\.h5", r"7\.2\d* GB")):
        read_array(path)
    with pytest.raises(ConnectomeFileError, match=_refusal(r"bomb\.h5", r"7\.2\d* GB")):
        read_connectivity(path)
    matlab = _hdf5_bomb(tmp_path / "bomb.mat")  # MATLAB v7.3 is HDF5
    with pytest.raises(ConnectomeFileError, match=_refusal(r"bomb\.mat", r"7\.2\d* GB")):
        read_array(matlab)


def test_npy_header_declaring_a_huge_shape_is_refused_without_reading(tmp_path):
    path = _npy_header(tmp_path / "huge.npy", (100000, 100000))
    with pytest.raises(ConnectomeFileError, match=_refusal(r"huge\.npy", "80 GB")):
        read_array(path)
    # within a raised limit, the missing data are found before anything is allocated
    with pytest.raises(ConnectomeFileError, match=r"huge\.npy.*declares 80 GB.*only 0 bytes"):
        read_array(path, max_bytes="100 GB")


def test_random_bytes_are_corrupt_and_real_pickles_are_named(tmp_path):
    rng = np.random.default_rng(0)
    noise = tmp_path / "noise.npy"
    noise.write_bytes(rng.bytes(200))
    with pytest.raises(ConnectomeFileError, match=r"noise\.npy.*not a valid \.npy file") as info:
        read_array(noise)
    assert "pickle" not in str(info.value)
    noise_npz = tmp_path / "noise.npz"
    noise_npz.write_bytes(rng.bytes(200))
    with pytest.raises(ConnectomeFileError, match=r"noise\.npz.*corrupt") as info:
        read_array(noise_npz)
    assert "pickle" not in str(info.value)
    member = tmp_path / "member.npz"
    with zipfile.ZipFile(member, "w") as archive:
        archive.writestr("weights.npy", rng.bytes(200))
    with pytest.raises(ConnectomeFileError, match=r"'weights\.npy': not a valid \.npy file"):
        read_array(member)
    pickled = tmp_path / "pickled.npz"
    np.savez(pickled, weights=np.array([{"a": 1}], dtype=object))
    with pytest.raises(ConnectomeFileError, match=r"pickled\.npz.*pickled.*never unpickled"):
        read_array(pickled)


def test_npz_zip_bomb_is_refused_from_its_declared_sizes(tmp_path):
    path = tmp_path / "bomb.npz"
    np.savez_compressed(path, weights=np.zeros((1000, 1000)))  # 8 MB in about 8 kB
    assert path.stat().st_size < 100_000
    with pytest.raises(ConnectomeFileError, match=_refusal(r"bomb\.npz", "8 MB", "1 MB")):
        read_array(path, max_bytes="1 MB")
    np.testing.assert_array_equal(read_array(path), np.zeros((1000, 1000)))


def test_npz_member_whose_header_outgrows_its_declared_size_is_corrupt(tmp_path):
    path = tmp_path / "liar.npz"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        with archive.open("weights.npy", "w") as member:
            np.lib.format.write_array_header_1_0(
                member, {"descr": "<f8", "fortran_order": False, "shape": (20000, 20000)}
            )
            member.write(bytes(64))
    with pytest.raises(ConnectomeFileError, match=_refusal(r"liar\.npz", r"3\.2 GB")):
        read_array(path)
    with pytest.raises(ConnectomeFileError, match=r"liar\.npz.*declares 3\.2 GB.*only 64 bytes"):
        read_array(path, max_bytes="4 GB")


def test_npz_member_decompressing_beyond_its_declared_size_is_cut_there(tmp_path):
    path = tmp_path / "bomb.npz"
    np.savez_compressed(path, weights=np.zeros((1000, 1000)))
    content = bytearray(path.read_bytes())
    for signature, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):  # uncompressed sizes
        start = content.index(signature) + offset
        content[start : start + 4] = (1000).to_bytes(4, "little")
    path.write_bytes(bytes(content))
    # zipfile yields no more than the declared 1000 bytes, whose checksum then fails
    with pytest.raises(ConnectomeFileError, match=r"bomb\.npz.*corrupt, truncated.*CRC"):
        read_array(path)


def _tvb_zip(path, weights_text: bytes, name="weights.txt"):
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(name, weights_text)
        archive.writestr("tract_lengths.txt", "0 1\n1 0\n")
        archive.writestr("centres.txt", "rA 0 0 0\nlA 1 1 1\n")
    return path


def test_tvb_zip_member_larger_than_the_limit_is_refused(tmp_path):
    row = b"0 " * 1000 + b"\n"
    path = _tvb_zip(tmp_path / "big.zip", row * 1000)  # 2 MB of text in a few kB
    with pytest.raises(ConnectomeFileError, match=_refusal(r"big\.zip", "4 MB", "1 MB")):
        read_tvb_zip(path, max_bytes="1 MB")
    # within the member limit, the 1000 regions it makes are refused before parsing
    with pytest.raises(ConnectomeFileError, match=_refusal(r"big\.zip", "56 MB", "20 MB")):
        read_tvb_zip(path, max_bytes="20 MB")
    with pytest.raises(ConnectomeFileError, match=r"big\.zip.*asks for about 56 MB"):
        read_connectivity(path, max_bytes="20 MB")


def test_tvb_zip_bz2_member_is_decompressed_no_further_than_the_limit(tmp_path):
    text = bz2.compress(b"0 " * 1_500_000)  # 3 MB of text in a few hundred bytes
    path = _tvb_zip(tmp_path / "bz.zip", text, "weights.txt.bz2")
    with pytest.raises(ConnectomeFileError, match=r"bz\.zip.*weights\.txt\.bz2.*bz2 text beyond"):
        read_tvb_zip(path, max_bytes="1 MB")


def test_nifti_header_declaring_a_huge_image_is_refused(tmp_path):
    path = _nifti_bomb(tmp_path / "bomb.nii.gz")
    with pytest.raises(ConnectomeFileError, match=_refusal(r"bomb\.nii\.gz", r"34\.6 GB")):
        read_parcellation(path, {1: "a"})


def test_matlab_v5_variables_are_sized_before_reading(tmp_path):
    path = tmp_path / "sc.mat"
    scipy_io.savemat(path, {"SC": np.zeros((1000, 1000))}, do_compression=True)
    with pytest.raises(ConnectomeFileError, match=_refusal(r"sc\.mat", "16 MB", "10 MB")):
        read_array(path, max_bytes="10 MB")
    cells = np.empty((1, 1), dtype=object)
    cells[0, 0] = np.zeros((1000, 1000))
    scipy_io.savemat(tmp_path / "cells.mat", {"cells": cells}, do_compression=True)
    with pytest.raises(ConnectomeFileError, match=r"cells\.mat.*variable 'cells'.*class cell"):
        read_array(tmp_path / "cells.mat", max_bytes="50 MB")


def test_text_matrix_is_sized_from_its_lines_and_columns(tmp_path):
    path = save_array(np.ones((300, 300)), tmp_path / "w.csv")
    with pytest.raises(ConnectomeFileError, match=_refusal(r"w\.csv", "720 kB", "500 kB")) as info:
        read_array(path, max_bytes="500 kB")
    assert "300 lines × 300 columns of float64" in str(info.value)
    assert read_array(path, max_bytes="1 MB").shape == (300, 300)


def test_zip_listing_many_members_is_refused_from_its_directory(tmp_path):
    path = tmp_path / "many.npz"
    with zipfile.ZipFile(path, "w") as archive:
        for i in range(5000):
            archive.writestr(f"m{i}.npy", b"")
    with pytest.raises(ConnectomeFileError, match=r"many\.npz.*zip directory of 5000 members"):
        read_array(path, key="m0", max_bytes="1 MB")


def test_no_raw_memory_error_escapes(tmp_path, monkeypatch):
    from tvb_ngnmm.connectomes import _npy

    def exhausted(*args, **kwargs):
        raise MemoryError

    path = save_array(np.ones((3, 3)), tmp_path / "w.npy")
    monkeypatch.setattr(_npy.np, "load", exhausted)
    with pytest.raises(ConnectomeFileError, match=r"w\.npy.*ran out of memory.*limit of 2 GB"):
        read_array(path)
    with pytest.raises(ConnectomeFileError, match=r"w\.npy.*ran out of memory"):
        load_connectivity(path)


# --- the limit -------------------------------------------------------------------------------


def test_the_limit_is_configurable_per_call_per_session_and_by_environment(tmp_path, monkeypatch):
    monkeypatch.delenv("TVB_NGNMM_MAX_LOAD_BYTES", raising=False)
    path = save_array(np.ones((100, 100)), tmp_path / "w.npy")  # 80 kB
    assert get_max_load_bytes() == DEFAULT_MAX_LOAD_BYTES == 2_000_000_000
    with pytest.raises(ConnectomeFileError, match=_refusal(r"w\.npy", "80 kB", "10 kB")):
        read_array(path, max_bytes=10_000)
    assert read_array(path, max_bytes="100 kB").shape == (100, 100)
    monkeypatch.setenv("TVB_NGNMM_MAX_LOAD_BYTES", "10kB")
    with pytest.raises(ConnectomeFileError, match=_refusal(r"w\.npy", "80 kB", "10 kB")):
        read_array(path)
    previous = set_max_load_bytes("1 MiB")  # the session's limit comes before the environment
    try:
        assert previous is None and get_max_load_bytes() == 2**20
        assert read_array(path).shape == (100, 100)
        with pytest.raises(ConnectomeFileError, match=_refusal(r"w\.npy", "80 kB", "50 kB")):
            read_array(path, max_bytes="50 kB")  # the call's limit comes first
    finally:
        set_max_load_bytes(previous)
    monkeypatch.setenv("TVB_NGNMM_MAX_LOAD_BYTES", "lots")
    with pytest.raises(ValueError, match=r"'TVB_NGNMM_MAX_LOAD_BYTES' parameter.*got 'lots'"):
        read_array(path)


@pytest.mark.parametrize(
    ("value", "expected"),
    [(1000, 1000), ("4 GB", 4 * 10**9), ("500MiB", 500 * 2**20), ("1e9", 10**9), ("2_000", 2000)],
)
def test_sizes_are_parsed(value, expected):
    assert parse_bytes(value) == expected


@pytest.mark.parametrize("value", [0, -5, "many", "3 parsecs", True, 1.5, float("inf")])
def test_bad_sizes_are_named(value):
    with pytest.raises(ValueError, match=r"'max_bytes' parameter.*positive number of bytes"):
        parse_bytes(value)


def test_sizes_are_printed_in_decimal_units():
    assert [format_bytes(n) for n in (512, 80_000, 3_200_000_000, 7_200_000_000)] == [
        "512 bytes",
        "80 kB",
        "3.2 GB",
        "7.2 GB",
    ]


def test_normal_connectomes_load_under_the_default_limit(tmp_path):
    conn = load_connectome("tvb76")
    for extension in (".zip", ".npz", ".mat", ".h5"):
        path = save_connectivity(conn, tmp_path / f"tvb76{extension}")
        np.testing.assert_allclose(read_connectivity(path).weights, conn.weights)
    assert load_connectome("aal90").weights.shape == (90, 90)
    path = save_array(conn.weights, tmp_path / "w.npy")
    assert load_connectivity(path, centres=conn.centres).weights.shape == (76, 76)
    # and a small limit refuses the same connectome, naming the connectivity's matrices
    with pytest.raises(ConnectomeFileError, match=r"tvb76\.npz.*a connectivity of 76 regions"):
        read_connectivity(tmp_path / "tvb76.npz", max_bytes="300 kB")


# --- paths -----------------------------------------------------------------------------------


LOADERS = {
    "read_array": lambda p: read_array(p / "x.npy"),
    "read_edge_list": lambda p: read_edge_list(p / "x.dat"),
    "read_labels": lambda p: read_labels(p / "x.txt"),
    "read_connectivity": lambda p: read_connectivity(p / "x.npz"),
    "read_connectivity_zip": lambda p: read_connectivity(p / "x.zip"),
    "read_tvb_zip": lambda p: read_tvb_zip(p / "x.zip"),
    "load_connectivity": lambda p: load_connectivity(p / "x.npy"),
    "read_parcellation": lambda p: read_parcellation(p / "x.nii.gz", {1: "a"}),
    "read_label_table": lambda p: read_label_table(p / "x.tsv"),
}
NAMES = ("x.npy", "x.dat", "x.txt", "x.npz", "x.zip", "x.nii.gz", "x.tsv")


@pytest.mark.parametrize("loader", sorted(LOADERS))
def test_directories_and_symlink_loops_are_named_as_such(tmp_path, loader):
    folders = tmp_path / "folders"
    loops = tmp_path / "loops"
    broken = tmp_path / "broken"
    for folder in (folders, loops, broken):
        folder.mkdir()
    for name in NAMES:
        (folders / name).mkdir()
        os.symlink(loops / f"{name}.other", loops / name)
        os.symlink(loops / name, loops / f"{name}.other")
        os.symlink(broken / "nowhere", broken / name)
    with pytest.raises(ConnectomeFileError, match=r"folders/x\..*it is a directory, not a file"):
        LOADERS[loader](folders)
    with pytest.raises(ConnectomeFileError, match=r"loops/x\..*a symbolic link loop"):
        LOADERS[loader](loops)
    with pytest.raises(FileNotFoundError, match=r"broken/x\..*broken symbolic link"):
        LOADERS[loader](broken)
    with pytest.raises(FileNotFoundError, match=r"x\..*does not exist"):
        LOADERS[loader](tmp_path / "missing")


def test_devices_are_not_read(tmp_path):
    os.symlink("/dev/zero", tmp_path / "zero.txt")
    with pytest.raises(ConnectomeFileError, match=r"zero\.txt.*not a regular file"):
        read_labels(tmp_path / "zero.txt")


# --- distances and peak memory ---------------------------------------------------------------


def test_euclidean_distances_are_exact_symmetric_and_agree_with_the_formula():
    centres = np.random.default_rng(1).normal(0, 50, (200, 3))
    distances = euclidean_distances(centres)
    expected = np.sqrt(((centres[:, None, :] - centres[None, :, :]) ** 2).sum(axis=-1))
    np.testing.assert_allclose(distances, expected, rtol=1e-13, atol=1e-12)
    np.testing.assert_array_equal(distances, distances.T)
    np.testing.assert_array_equal(np.diag(distances), 0.0)
    conn = make_connectivity(np.ones((200, 200)), centres=centres)
    np.testing.assert_array_equal(conn.tract_lengths, distances)


def test_hostile_files_keep_peak_memory_bounded(tmp_path):
    """In a fresh process: every hostile load refused, n = 5000 distances, peak RSS < 1 GB."""
    _edge_list_declaring(tmp_path / "edges.dat")
    _hdf5_bomb(tmp_path / "bomb.h5")
    _npy_header(tmp_path / "huge.npy", (100000, 100000))
    _nifti_bomb(tmp_path / "bomb.nii.gz")
    script = textwrap.dedent(
        f"""
        from pathlib import Path
        import numpy as np
        from tvb_ngnmm.connectomes import (
            ConnectomeFileError, load_connectivity, read_array, read_parcellation
        )
        from tvb_ngnmm.connectomes._checks import euclidean_distances

        folder = Path({str(tmp_path)!r})
        loads = [
            lambda: load_connectivity(folder / "edges.dat", edge_list=True),
            lambda: read_array(folder / "bomb.h5"),
            lambda: read_array(folder / "huge.npy"),
            lambda: read_parcellation(folder / "bomb.nii.gz", {{1: "a"}}),
        ]
        for load in loads:
            try:
                load()
            except ConnectomeFileError:
                pass
            else:
                raise SystemExit("a hostile file was loaded")
        euclidean_distances(np.random.default_rng(0).normal(size=(5000, 3)))
        # VmHWM, the peak resident set of this process's own memory (ru_maxrss would carry
        # over the peak of the parent it was forked from, across exec, on Linux).
        status = Path("/proc/self/status").read_text()
        print(next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM")))
        """
    )
    run = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=300
    )
    peak_megabytes = int(run.stdout.split()[-1]) / 1024  # VmHWM is in kB
    assert peak_megabytes < 1000, run.stdout
