"""MATLAB ``.mat`` files: v7.3 through HDF5, v4 and v5 through SciPy, charged to the budget first.

For v5 files the size of a variable is known before reading it: ``scipy.io.whosmat`` gives its
shape and class, and the tag of its (possibly zlib-compressed) data element gives its
uncompressed byte count; only the chosen variable is then read.
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import h5py
import numpy as np
from scipy import io as scipy_io

from ._budget import LoadBudget, array_bytes
from ._checks import file_error, pick_variable
from ._hdf5 import read_hdf5

_CLASS_BYTES = {
    "double": 8,
    "single": 4,
    "int8": 1,
    "uint8": 1,
    "int16": 2,
    "uint16": 2,
    "int32": 4,
    "uint32": 4,
    "int64": 8,
    "uint64": 8,
    "logical": 1,
    "char": 4,  # read as str (UCS-4)
}
_COMPRESSED, _HEADER_BYTES = 15, 128


def element_sizes(path: Path) -> list[int] | None:
    """Uncompressed bytes of each top-level element of a MAT v5 file, from their tags.

    None if the file is not v5 (no ``IM``/``MI`` endian mark at byte 126).
    """
    with path.open("rb") as handle:
        header = handle.read(_HEADER_BYTES)
        if len(header) < _HEADER_BYTES or header[126:128] not in (b"IM", b"MI"):
            return None
        order = "<" if header[126:128] == b"IM" else ">"
        end, position, sizes = path.stat().st_size, _HEADER_BYTES, []
        while position + 8 <= end:
            handle.seek(position)
            data_type, size = struct.unpack(order + "II", handle.read(8))
            if data_type == _COMPRESSED:  # the inner miMATRIX tag gives the uncompressed size
                inner = zlib.decompressobj().decompress(handle.read(min(size, 4096)), 8)
                if len(inner) < 8:
                    return None
                sizes.append(8 + struct.unpack(order + "II", inner)[1])
            else:
                sizes.append(8 + size)
            position += 8 + size
    return sizes


def _variable_bytes(shape: tuple, matlab_class: str, stored: int) -> int:
    """The stored bytes plus the array they become (cells and structs: eight times stored)."""
    if matlab_class in _CLASS_BYTES:
        return stored + array_bytes(shape, _CLASS_BYTES[matlab_class])
    return stored * 9


def read_mat(path: Path, key: str | None, budget: LoadBudget) -> np.ndarray:
    """One variable of a ``.mat`` file: a numeric array, or str for char and cell-of-str."""
    if h5py.is_hdf5(path):  # MATLAB v7.3
        return read_hdf5(path, key, budget, transpose=True)
    variables = scipy_io.whosmat(path)
    name = pick_variable(path, [v[0] for v in variables if not v[0].startswith("__")], key)
    index = [v[0] for v in variables].index(name)
    sizes = element_sizes(path)
    stored = sizes[index] if sizes and len(sizes) == len(variables) else path.stat().st_size
    _, shape, matlab_class = variables[index]
    budget.charge(
        _variable_bytes(shape, matlab_class, stored),
        f"the variable {name!r} of shape {shape}, class {matlab_class}",
    )
    content = scipy_io.loadmat(path, squeeze_me=False, chars_as_strings=True, variable_names=[name])
    value = np.asarray(content[name])
    if value.dtype.kind not in "OV":  # not a cell array nor a struct
        return value
    cells = [np.ravel(cell) for cell in value.ravel()]
    if all(isinstance(c, np.ndarray) and c.dtype.kind == "U" and c.size == 1 for c in cells):
        return np.array([str(c[0]) for c in cells])  # a cell array of strings (labels)
    raise file_error(path, f"variable {name!r} is a cell or struct, not an array.")
