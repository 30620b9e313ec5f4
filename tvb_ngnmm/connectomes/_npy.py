"""NumPy ``.npy`` and ``.npz`` files, read header first: the budget is checked before the data.

A ``.npy`` header declares the shape and dtype; its size is charged to the budget and compared
with the bytes the file (or the ``.npz`` member, by its declared uncompressed size) really holds,
before anything is allocated. ``.npz`` members are decompressed in bounded chunks by ``zipfile``,
which never yields more than a member's declared size. Object arrays (pickles) are refused and
never unpickled; bytes that are not a ``.npy`` header are called corrupt.
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import IO

import numpy as np
from numpy.lib import format as npy_format

from ._budget import LoadBudget, array_bytes, format_bytes
from ._checks import file_error


def _header(stream: IO[bytes], source: object, where: str) -> tuple[tuple, np.dtype, int]:
    """Shape, dtype and header length of the ``.npy`` data at the start of ``stream``."""
    try:
        version = npy_format.read_magic(stream)
    except ValueError as err:
        raise file_error(
            source, f"{where}not a valid .npy file (it does not start with the .npy magic string)."
        ) from err
    try:
        if version == (1, 0):
            shape, _, dtype = npy_format.read_array_header_1_0(stream)
        elif version == (2, 0):
            shape, _, dtype = npy_format.read_array_header_2_0(stream)
        else:  # 3.0 (UTF-8 field names) has no public reader
            shape, _, dtype = npy_format._read_array_header(stream, version)
    except Exception as err:  # ValueError, SyntaxError, UnicodeDecodeError on damaged headers
        raise file_error(source, f"{where}not a valid .npy file (bad header: {err}).") from err
    if dtype.hasobject:
        raise file_error(
            source,
            f"{where}it holds pickled Python objects (dtype {dtype}); refused (files are never "
            "unpickled).",
        )
    return tuple(shape), dtype, stream.tell()


def _charge(budget: LoadBudget, shape: tuple, dtype: np.dtype, available: int, what: str) -> None:
    """Charge the declared array, then check the file holds that many bytes."""
    size = array_bytes(shape, dtype.itemsize)
    budget.charge(size, f"{what} of shape {shape}, {dtype}")
    if size > available:
        raise file_error(
            budget.source,
            f"corrupt, truncated or not in the expected format: {what} declares "
            f"{format_bytes(size)} of data (shape {shape}, dtype {dtype}), but only "
            f"{format_bytes(available)} follow its header.",
        )


def read_npy(path: Path, budget: LoadBudget) -> np.ndarray:
    """The array of a ``.npy`` file, within ``budget``."""
    with path.open("rb") as handle:
        shape, dtype, offset = _header(handle, path, "")
        available = path.stat().st_size - offset
        _charge(budget, shape, dtype, available, "the array")
        handle.seek(0)
        return np.load(handle, allow_pickle=False)


def npz_names(archive: zipfile.ZipFile) -> dict[str, zipfile.ZipInfo]:
    """``{key: member}`` as ``np.load`` names them (``weights.npy`` -> ``weights``)."""
    return {
        info.filename[:-4] if info.filename.endswith(".npy") else info.filename: info
        for info in archive.infolist()
        if not info.is_dir()
    }


def read_npz_member(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, budget: LoadBudget
) -> np.ndarray:
    """The array of one ``.npz`` member, within ``budget``."""
    where = f"member {info.filename!r}: "
    budget.check(info.file_size, f"member {info.filename!r}, by its declared uncompressed size")
    with archive.open(info) as member:
        shape, dtype, offset = _header(member, budget.source, where)
    _charge(budget, shape, dtype, info.file_size - offset, f"member {info.filename!r}")
    with archive.open(info) as member:
        return npy_format.read_array(member, allow_pickle=False)
