"""Random matrices, random bytes and damaged files: loaders raise only their documented errors.

Documented: ``ValueError`` for bad arrays and arguments, :class:`ConnectomeFileError` (a
``ValueError``) for any file that cannot be read. Anything else is a bug.
"""

import functools
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, arrays

from tvb_ngnmm.connectomes import (
    ConnectomeFileError,
    load_connectivity,
    make_connectivity,
    normalize,
    read_array,
    read_connectivity,
    read_edge_list,
    read_labels,
    read_tvb_zip,
    save_array,
    save_connectivity,
    save_edge_list,
    symmetrize,
    threshold,
)
from tvb_ngnmm.connectomes.nifti import read_label_table, read_parcellation

nibabel = pytest.importorskip("nibabel")

SETTINGS = settings(
    max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None
)
# Weights of any realistic magnitude, and the non-finite values.
FLOATS = st.floats(-1e12, 1e12, allow_subnormal=False) | st.sampled_from([np.nan, np.inf, -np.inf])
MATRICES = arrays(np.float64, array_shapes(min_dims=0, max_dims=3, max_side=5), elements=FLOATS)


@SETTINGS
@given(MATRICES, st.sampled_from(["none", "row", "column", "max", "total", "log"]))
def test_random_matrices_give_a_connectivity_or_a_value_error(matrix, how):
    try:
        conn = make_connectivity(matrix, tract_lengths=np.abs(np.nan_to_num(matrix)))
    except ValueError:
        pass
    else:
        assert np.all(np.isfinite(conn.weights)) and np.all(conn.weights >= 0)
    for step in (lambda w: normalize(w, how), symmetrize, lambda w: threshold(w, density=0.5)):
        try:
            result = step(matrix)
        except ValueError:
            continue
        assert np.all(np.isfinite(result))


@functools.cache
def _valid_files() -> dict[str, bytes]:
    with tempfile.TemporaryDirectory() as folder:
        return {path.name: path.read_bytes() for path in _write_valid_files(Path(folder))}


def _write_valid_files(folder: Path) -> list[Path]:
    rng = np.random.default_rng(0)
    weights = rng.uniform(0, 1, (4, 4))
    conn = make_connectivity(weights, centres=rng.uniform(-50, 50, (4, 3)))
    files = [save_array(weights, folder / f"w{e}") for e in (".npy", ".npz", ".mat", ".h5", ".csv")]
    files.append(save_edge_list(weights, folder / "edges.dat"))
    files += [save_connectivity(conn, folder / f"conn{e}") for e in (".zip", ".npz")]
    labels = np.zeros((4, 4, 4), np.int16)
    labels[:2, :2, :2] = 1
    labels[2:, 2:, 2:] = 2
    nibabel.save(nibabel.Nifti1Image(labels, np.eye(4)), folder / "atlas.nii.gz")
    (folder / "atlas.tsv").write_text("index\tname\n1\tLeft-A\n2\tRight-A\n")
    return [*files, folder / "atlas.nii.gz", folder / "atlas.tsv"]


def _read(path: Path) -> None:
    name = path.name
    if name.startswith("atlas"):
        read_label_table(path) if name.endswith(".tsv") else read_parcellation(path, {1: "a"})
    elif name == "edges.dat":
        read_edge_list(path)
        read_labels(path)
    elif name.startswith("conn"):
        read_connectivity(path) if name.endswith(".npz") else read_tvb_zip(path)
    else:
        load_connectivity(read_array(path))
        load_connectivity(path)


@SETTINGS
@given(st.data())
def test_damaged_files_raise_only_connectome_file_errors(data):
    with tempfile.TemporaryDirectory() as folder:
        name = data.draw(st.sampled_from(sorted(_valid_files())), label="file")
        path = Path(folder) / name
        content = bytearray(_valid_files()[name])
        damage = data.draw(st.sampled_from(["truncate", "flip", "random"]), label="damage")
        if damage == "truncate":
            content = content[: data.draw(st.integers(0, len(content)), label="length")]
        elif damage == "flip":
            for _ in range(data.draw(st.integers(1, 8), label="flips")):
                position = data.draw(st.integers(0, len(content) - 1))
                content[position] = data.draw(st.integers(0, 255))
        else:
            content = bytearray(data.draw(st.binary(max_size=300), label="bytes"))
        path.write_bytes(bytes(content))
        try:
            _read(path)
        except ConnectomeFileError:
            pass
        except ValueError as err:  # bad matrices read from a damaged but parseable file
            assert "parameter" in str(err), err
