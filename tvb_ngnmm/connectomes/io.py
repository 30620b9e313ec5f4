"""Matrices and labels from files: NumPy, MATLAB (v5 and v7.3), HDF5, text, CSV and edge lists.

Readers never unpickle (``np.load(..., allow_pickle=False)``); any file that cannot be parsed
raises :class:`ConnectomeFileError` naming the file and the problem. Writers write to a
temporary file in the target folder and rename it, so nothing is left half-written.

Every reader sizes what a file will need before allocating it and refuses beyond a memory limit
(2 GB unless raised with ``max_bytes=``, :func:`~tvb_ngnmm.connectomes.set_max_load_bytes` or
the ``TVB_NGNMM_MAX_LOAD_BYTES`` environment variable; see :mod:`._budget`).

Extensions: ``.npy``, ``.npz``, ``.mat`` (v5 via SciPy; v7.3 is HDF5 and is read with h5py,
transposed back from MATLAB's column-major order), ``.h5``/``.hdf5``, ``.txt``/``.dat`` (white
space), ``.csv`` (comma), ``.tsv`` (tab).
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable
from pathlib import Path

import h5py
import numpy as np
from scipy import io as scipy_io

from .._util import write_atomically
from ._budget import LoadBudget, no_memory_error, open_zip
from ._checks import (
    ConnectomeFileError,
    check_file,
    file_error,
    pick_variable,
)
from ._hdf5 import hdf5_names, read_hdf5
from ._matlab import read_mat
from ._npy import npz_names, read_npy, read_npz_member
from ._text import lines_bytes, read_table, scan_file

TEXT_DELIMITERS = {".txt": None, ".dat": None, ".csv": ",", ".tsv": "\t"}
ARRAY_EXTENSIONS = (".npy", ".npz", ".mat", ".h5", ".hdf5", *TEXT_DELIMITERS)


def _extension(path: str | os.PathLike) -> str:
    extension = Path(path).suffix.lower()
    if extension not in ARRAY_EXTENSIONS:
        raise ValueError(
            f"Invalid value for the 'path' parameter. Allowed extensions are "
            f"{', '.join(repr(e) for e in ARRAY_EXTENSIONS)}, but got {str(path)!r} instead."
        )
    return extension


def guarded(path: str | os.PathLike, read: Callable[[Path], object]) -> object:
    """Check ``path`` names a file, run ``read(path)``; parsing failures and warnings become a
    ``ConnectomeFileError`` naming the file."""
    path = check_file(path)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            return read(path)
    except (ConnectomeFileError, FileNotFoundError, MemoryError):
        raise
    except PermissionError as err:
        raise file_error(path, f"permission denied ({err.strerror}).") from err
    except Exception as err:  # third-party parsers raise many types on malformed bytes
        raise file_error(
            path, f"corrupt, truncated or not in the expected format ({err})."
        ) from err


@no_memory_error
def list_variables(path: str | os.PathLike) -> list[str]:
    """Names of the arrays in a ``.npz``, ``.mat`` or HDF5 file (``[]`` for one-array formats)."""
    extension = _extension(path)

    def read(path: Path) -> list[str]:
        if extension == ".npz":
            with open_zip(path, LoadBudget(path)) as archive:
                return list(npz_names(archive))
        if extension in (".h5", ".hdf5") or (extension == ".mat" and h5py.is_hdf5(path)):
            with h5py.File(path, "r") as handle:
                return hdf5_names(handle)
        if extension == ".mat":
            return [name for name, _, _ in scipy_io.whosmat(path)]
        return []

    return list(guarded(path, read))


def read_npz(path: Path, key: str | None, budget: LoadBudget) -> np.ndarray:
    """One array of a ``.npz`` file, sized from its member's header before it is read."""
    with open_zip(path, budget) as archive:
        members = npz_names(archive)
        return read_npz_member(archive, members[pick_variable(path, list(members), key)], budget)


def read_array_within(path: str | os.PathLike, key: str | None, budget: LoadBudget) -> np.ndarray:
    """:func:`read_array` charging ``budget`` (shared by the pieces of one connectome)."""
    extension = _extension(path)

    def read(path: Path) -> np.ndarray:
        if extension == ".npy":
            return read_npy(path, budget)
        if extension == ".npz":
            return read_npz(path, key, budget)
        if extension == ".mat":
            return read_mat(path, key, budget)
        if extension in (".h5", ".hdf5"):
            return read_hdf5(path, key, budget)
        return read_table(path, TEXT_DELIMITERS[extension], budget, "the table")

    return np.asarray(guarded(path, read))


@no_memory_error
def read_array(
    path: str | os.PathLike, key: str | None = None, *, max_bytes: int | str | None = None
) -> np.ndarray:
    """Read one numeric or text array from a file, by its extension.

    Parameters
    ----------
    path : path-like
        ``.npy``, ``.npz``, ``.mat`` (v5 or v7.3), ``.h5``/``.hdf5``, ``.txt``/``.dat``,
        ``.csv`` or ``.tsv`` (dense; see :func:`~tvb_ngnmm.connectomes.read_edge_list` for edge
        lists).
    key : str, optional
        The variable or dataset name in ``.npz``/``.mat``/HDF5 files holding several.
    max_bytes : int or str, optional
        Memory limit of this call, in bytes or as ``'8 GB'``; default: the session's
        (:func:`~tvb_ngnmm.connectomes.set_max_load_bytes`), else the environment variable
        ``TVB_NGNMM_MAX_LOAD_BYTES``, else 2 GB. Checked against the sizes the file declares
        before anything is allocated.

    Returns
    -------
    numpy.ndarray
        The array read.

    Raises
    ------
    FileNotFoundError
        If there is no such file.
    ConnectomeFileError
        If the path is a directory or a symbolic link loop; if the file is corrupt, truncated,
        pickled, or ``key`` is missing or ambiguous; or if the array it declares is larger than
        the memory limit (the message gives both sizes).
    """
    return read_array_within(path, key, LoadBudget(path, max_bytes))


def save_array(array: object, path: str | os.PathLike, key: str = "weights") -> Path:
    """Write an array (``.npy``, ``.npz``, ``.mat`` v5, ``.h5``, ``.txt``, ``.csv``, ``.tsv``).

    ``key`` names the variable in ``.npz``, ``.mat`` and HDF5 files. Atomic.

    Parameters
    ----------
    array : array_like
        The array.
    path : str or os.PathLike
        The file; its extension chooses the format.
    key : str
        The variable's name in ``.npz``, ``.mat`` and HDF5 files.
    """
    return save_arrays({key: np.asarray(array)}, path)


def save_arrays(arrays: dict[str, np.ndarray], path: str | os.PathLike) -> Path:
    """Write named arrays to one ``.npz``, ``.mat`` (v5) or HDF5 file (one array for others)."""
    extension = _extension(path)
    if len(arrays) != 1 and extension in (".npy", *TEXT_DELIMITERS):
        raise ValueError(
            f"Invalid value for the 'path' parameter: {extension!r} holds one array, but got "
            f"{len(arrays)} arrays ({list(arrays)}); use '.npz', '.mat' or '.h5'."
        )
    return write_atomically(path, lambda temporary: _write(arrays, temporary, extension))


def _write(arrays: dict[str, np.ndarray], temporary: Path, extension: str) -> None:
    if extension == ".npy":
        np.save(temporary, next(iter(arrays.values())), allow_pickle=False)
    elif extension == ".npz":
        with temporary.open("wb") as handle:
            np.savez(handle, **arrays)
    elif extension == ".mat":
        scipy_io.savemat(temporary, arrays, do_compression=True)
    elif extension in (".h5", ".hdf5"):
        with h5py.File(temporary, "w") as handle:
            for name, value in arrays.items():
                if value.dtype.kind == "U":
                    value = np.char.encode(value, "utf-8")
                handle.create_dataset(name, data=value)
    else:
        value = next(iter(arrays.values()))
        delimiter = TEXT_DELIMITERS[extension] or " "
        fmt = "%s" if value.dtype.kind == "U" else "%.18e"
        np.savetxt(temporary, np.atleast_1d(value), delimiter=delimiter, fmt=fmt)


def read_lines_within(path: str | os.PathLike, budget: LoadBudget) -> list[str]:
    """:func:`read_lines` charging ``budget``."""

    def read(path: Path) -> list[str]:
        lines, _ = scan_file(path)
        budget.charge(lines_bytes(path.stat().st_size, lines), f"its text ({lines} lines)")
        return path.read_text(encoding="utf-8").splitlines()

    return list(guarded(path, read))


@no_memory_error
def read_lines(path: str | os.PathLike, *, max_bytes: int | str | None = None) -> list[str]:
    """The lines of a UTF-8 text file; a ``ConnectomeFileError`` if it is not text.

    ``max_bytes``: the memory limit (see :func:`read_array`); text costs about nine times its
    size in bytes as a list of Python strings.
    """
    return read_lines_within(path, LoadBudget(path, max_bytes))


@no_memory_error
def read_labels(path: str | os.PathLike, *, max_bytes: int | str | None = None) -> np.ndarray:
    """Region labels, one per line (``.txt``), or the first column of a centres file.

    A line ``label x y z`` gives ``label``; blank lines and ``#`` comments are skipped.
    ``max_bytes``: the memory limit (see :func:`read_lines`).

    Parameters
    ----------
    path : str or os.PathLike
        The file.
    max_bytes : int or str, optional
        Memory limit (bytes, or a string such as ``'2 GB'``).
    """
    lines = read_lines(path, max_bytes=max_bytes)
    labels = [line.split("#")[0].replace(",", " ").split() for line in lines]
    return np.array([fields[0] for fields in labels if fields], dtype=str)
