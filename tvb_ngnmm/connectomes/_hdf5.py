"""HDF5 datasets (``.h5``, ``.hdf5`` and MATLAB v7.3 ``.mat``), charged to the budget first.

A dataset's shape and dtype (and its chunk shape, which HDF5 decompresses whole) give its size
before any byte is read, so a small compressed file declaring a huge dataset is refused.
"""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np

from ._budget import LoadBudget, array_bytes
from ._checks import pick_variable

STRING_BYTES = 256  # a rough bound per variable-length string


def hdf5_names(handle: object) -> list[str]:
    """The dataset paths of an open HDF5 file (MATLAB's ``#refs#`` group left out)."""
    names: list[str] = []

    def visit(name: str, item: object) -> None:
        if isinstance(item, h5py.Dataset) and not name.startswith("#"):
            names.append(name)

    handle.visititems(visit)
    return names


def dataset_bytes(dataset: object, matlab_char: bool = False) -> int:
    """What reading ``dataset`` allocates: data, one chunk, and decoded text (4 bytes a char)."""
    dtype = dataset.dtype
    if dtype.kind == "O":  # variable-length strings
        size = array_bytes(dataset.shape, STRING_BYTES)
    elif dtype.kind == "S" or matlab_char:  # bytes, decoded to str (UCS-4)
        size = array_bytes(dataset.shape, dtype.itemsize) * 5
    else:
        size = array_bytes(dataset.shape, dtype.itemsize)
    if dataset.chunks is not None:
        size += array_bytes(dataset.chunks, dtype.itemsize)
    return size


def read_hdf5(path: Path, key: str | None, budget: LoadBudget, transpose: bool = False):
    """One dataset as an array (text decoded), transposed back from MATLAB's order if asked."""
    with h5py.File(path, "r") as handle:
        name = pick_variable(path, hdf5_names(handle), key)
        dataset = handle[name]
        matlab_class = dataset.attrs.get("MATLAB_class", b"")
        is_char = transpose and matlab_class in (b"char", "char")
        budget.charge(
            dataset_bytes(dataset, is_char),
            f"the dataset {name!r} of shape {dataset.shape}, {dataset.dtype}",
        )
        data = dataset[()]
    if is_char:  # MATLAB v7.3 char matrix: UTF-16 codes
        rows = np.atleast_2d(np.asarray(data, dtype=np.uint16).T)
        return np.array(["".join(map(chr, row)).rstrip(" \0") for row in rows])
    if isinstance(data, bytes) or (isinstance(data, np.ndarray) and data.dtype.kind in "SO"):
        data = np.char.decode(np.asarray(data, dtype=bytes), "utf-8")
    data = np.asarray(data)
    return data.T if transpose else data
