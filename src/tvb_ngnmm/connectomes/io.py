"""Matrices and labels from files: NumPy, MATLAB (v5 and v7.3), HDF5, text, CSV and edge lists.

Readers never unpickle (``np.load(..., allow_pickle=False)``); any file that cannot be parsed
raises :class:`ConnectomeFileError` naming the file and the problem. Writers write to a
temporary file in the target folder and rename it, so nothing is left half-written.

Extensions: ``.npy``, ``.npz``, ``.mat`` (v5 via SciPy; v7.3 is HDF5 and is read with h5py,
transposed back from MATLAB's column-major order), ``.h5``/``.hdf5``, ``.txt``/``.dat`` (white
space), ``.csv`` (comma), ``.tsv`` (tab).
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np

from ._checks import ConnectomeFileError, file_error, write_atomically

TEXT_DELIMITERS = {".txt": None, ".dat": None, ".csv": ",", ".tsv": "\t"}
MAX_REGIONS = 100_000
ARRAY_EXTENSIONS = (".npy", ".npz", ".mat", ".h5", ".hdf5", *TEXT_DELIMITERS)


def _extension(path: str | os.PathLike) -> str:
    extension = Path(path).suffix.lower()
    if extension not in ARRAY_EXTENSIONS:
        raise ValueError(
            f"Invalid value for the 'path' parameter. Allowed extensions are "
            f"{', '.join(repr(e) for e in ARRAY_EXTENSIONS)}, but got {str(path)!r} instead."
        )
    return extension


def _guarded(path: object, read: Callable[[], object]) -> object:
    """Run ``read``; any parsing failure or warning becomes a ``ConnectomeFileError``."""
    if not Path(path).is_file():
        raise FileNotFoundError(f"Connectome file '{path}' does not exist.")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            return read()
    except (ConnectomeFileError, FileNotFoundError):
        raise
    except Exception as err:  # third-party parsers raise many types on malformed bytes
        if "pickle" in str(err).lower():
            raise file_error(
                path, "it holds pickled Python objects; refused (files are never unpickled)."
            ) from err
        raise file_error(
            path, f"corrupt, truncated or not in the expected format ({err})."
        ) from err


def _pick(path: object, names: list[str], key: str | None) -> str:
    if key is not None:
        if key not in names:
            raise file_error(path, f"no variable {key!r}; it holds {names}.")
        return key
    if len(names) != 1:
        raise file_error(path, f"holds {len(names)} variables {names}; pass key= to choose one.")
    return names[0]


def _read_npz(path: Path, key: str | None) -> np.ndarray:
    with path.open("rb") as handle, np.load(handle, allow_pickle=False) as archive:
        return np.asarray(archive[_pick(path, list(archive.files), key)])


def _hdf5_names(handle: object) -> list[str]:
    import h5py

    names: list[str] = []

    def visit(name: str, item: object) -> None:
        if isinstance(item, h5py.Dataset) and not name.startswith("#"):
            names.append(name)

    handle.visititems(visit)
    return names


def list_variables(path: str | os.PathLike) -> list[str]:
    """Names of the arrays in a ``.npz``, ``.mat`` or HDF5 file (``[]`` for one-array formats)."""
    path = Path(path)
    extension = _extension(path)

    def read() -> list[str]:
        import h5py

        if extension == ".npz":
            with path.open("rb") as handle, np.load(handle, allow_pickle=False) as archive:
                return list(archive.files)
        if extension in (".h5", ".hdf5") or (extension == ".mat" and h5py.is_hdf5(path)):
            with h5py.File(path, "r") as handle:
                return _hdf5_names(handle)
        if extension == ".mat":
            from scipy import io as scipy_io

            return [name for name, _, _ in scipy_io.whosmat(path)]
        return []

    return list(_guarded(path, read))


def _read_hdf5(path: Path, key: str | None, transpose: bool = False) -> np.ndarray:
    import h5py

    with h5py.File(path, "r") as handle:
        dataset = handle[_pick(path, _hdf5_names(handle), key)]
        data, matlab_class = dataset[()], dataset.attrs.get("MATLAB_class", b"")
    if transpose and matlab_class in (b"char", "char"):  # MATLAB v7.3 char matrix: UTF-16 codes
        rows = np.atleast_2d(np.asarray(data, dtype=np.uint16).T)
        return np.array(["".join(map(chr, row)).rstrip(" \0") for row in rows])
    if isinstance(data, bytes) or (isinstance(data, np.ndarray) and data.dtype.kind in "SO"):
        data = np.char.decode(np.asarray(data, dtype=bytes), "utf-8")
    data = np.asarray(data)
    return data.T if transpose else data


def _read_mat(path: Path, key: str | None) -> np.ndarray:
    import h5py
    from scipy import io as scipy_io

    if h5py.is_hdf5(path):  # MATLAB v7.3
        return _read_hdf5(path, key, transpose=True)
    content = scipy_io.loadmat(path, squeeze_me=False, chars_as_strings=True)
    names = [name for name in content if not name.startswith("__")]
    value = np.asarray(content[_pick(path, names, key)])
    if value.dtype.kind not in "OV":  # not a cell array nor a struct
        return value
    cells = [np.ravel(cell) for cell in value.ravel()]
    if all(isinstance(c, np.ndarray) and c.dtype.kind == "U" and c.size == 1 for c in cells):
        return np.array([str(c[0]) for c in cells])  # a cell array of strings (labels)
    raise file_error(path, f"variable {key or names[0]!r} is a cell or struct, not an array.")


def _read_text(path: Path, extension: str) -> np.ndarray:
    if not path.read_text(encoding="utf-8").strip():
        raise file_error(path, "the file is empty.")
    return np.loadtxt(path, delimiter=TEXT_DELIMITERS[extension], comments="#", ndmin=2)


def read_array(path: str | os.PathLike, key: str | None = None) -> np.ndarray:
    """Read one numeric or text array from a file, by its extension.

    Parameters
    ----------
    path : path-like
        ``.npy``, ``.npz``, ``.mat`` (v5 or v7.3), ``.h5``/``.hdf5``, ``.txt``/``.dat``,
        ``.csv`` or ``.tsv`` (dense; see :func:`read_edge_list` for edge lists).
    key : str, optional
        The variable or dataset name in ``.npz``/``.mat``/HDF5 files holding several.

    Returns
    -------
    numpy.ndarray

    Raises
    ------
    FileNotFoundError
        If there is no such file.
    ConnectomeFileError
        If the file is corrupt, truncated, pickled, or ``key`` is missing or ambiguous.
    """
    path = Path(path)
    extension = _extension(path)

    def read() -> np.ndarray:
        if extension == ".npy":
            with path.open("rb") as handle:
                return np.load(handle, allow_pickle=False)
        if extension == ".npz":
            return _read_npz(path, key)
        if extension == ".mat":
            return _read_mat(path, key)
        if extension in (".h5", ".hdf5"):
            return _read_hdf5(path, key)
        return _read_text(path, extension)

    return np.asarray(_guarded(path, read))


def save_array(array: object, path: str | os.PathLike, key: str = "weights") -> Path:
    """Write an array (``.npy``, ``.npz``, ``.mat`` v5, ``.h5``, ``.txt``, ``.csv``, ``.tsv``).

    ``key`` names the variable in ``.npz``, ``.mat`` and HDF5 files. Atomic.
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
        from scipy import io as scipy_io

        scipy_io.savemat(temporary, arrays, do_compression=True)
    elif extension in (".h5", ".hdf5"):
        import h5py

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


def read_lines(path: str | os.PathLike) -> list[str]:
    """The lines of a UTF-8 text file; a ``ConnectomeFileError`` if it is not text."""
    path = Path(path)
    return list(_guarded(path, lambda: path.read_text(encoding="utf-8").splitlines()))


def read_edge_list(
    path: str | os.PathLike,
    n_regions: int | None = None,
    one_based: bool = False,
    symmetric: bool = False,
) -> np.ndarray:
    """Read an edge list ``to from weight`` (one edge a line) into a dense ``W[to, from]``.

    Parameters
    ----------
    path : path-like
        Text (``.txt``/``.dat`` white space, ``.csv``, ``.tsv``). Lines starting with ``#`` are
        comments. A first line holding a single integer gives the number of regions (as in
        ``sc2017.dat``).
    n_regions : int, optional
        Number of regions, if the file does not say; else ``1 + largest index``.
    one_based : bool
        Whether region indices start at 1.
    symmetric : bool
        Also set ``W[from, to]`` (undirected edge lists).

    Returns
    -------
    numpy.ndarray, shape (n_regions, n_regions)

    Raises
    ------
    ConnectomeFileError
        For lines that are not ``i j w``, indices out of range, repeated edges, or a corrupt file.
    """
    path = Path(path)
    delimiter = TEXT_DELIMITERS[_extension(path)]
    lines = read_lines(path)
    rows = [
        line.split("#")[0].replace(",", " ") if delimiter == "," else line.split("#")[0]
        for line in lines
    ]
    rows = [row.split() for row in rows if row.strip()]
    if rows and len(rows[0]) == 1 and n_regions is None:
        n_regions = _edge_int(path, rows[0][0], 1, "the number of regions")
        rows = rows[1:]
    edges = []
    for number, fields in enumerate(rows, start=1):
        if len(fields) != 3:
            raise file_error(path, f"edge {number} should be 'to from weight', got {fields}.")
        try:
            edges.append((int(fields[0]), int(fields[1]), float(fields[2])))
        except ValueError as err:
            raise file_error(path, f"edge {number} is not 'int int number': {fields}.") from err
    return _dense(path, edges, n_regions, one_based, symmetric)


def _edge_int(path: object, text: str, line: int, what: str) -> int:
    try:
        return int(text)
    except ValueError as err:
        raise file_error(path, f"line {line} should be {what}, got {text!r}.") from err


def _dense(
    path: object, edges: list, n_regions: int | None, one_based: bool, symmetric: bool
) -> np.ndarray:
    if not edges:
        raise file_error(path, "it holds no edges.")
    table = np.array(edges, dtype=float)
    index = table[:, :2].astype(np.int64) - int(one_based)
    n = int(index.max()) + 1 if n_regions is None else int(n_regions)
    if not 0 < n <= MAX_REGIONS:
        raise file_error(path, f"the number of regions must lie in [1, {MAX_REGIONS}], got {n}.")
    if index.min() < 0 or index.max() >= n:
        first, last = int(index.min()) + one_based, int(index.max()) + one_based
        raise file_error(
            path,
            f"region indices must lie in [{int(one_based)}, {n - 1 + int(one_based)}] for {n} "
            f"regions, but range over [{first}, {last}].",
        )
    keys = np.sort(index, axis=1) if symmetric else index
    if len(np.unique(keys, axis=0)) != len(keys):
        raise file_error(path, "some edges appear more than once.")
    weights = np.zeros((n, n))
    weights[index[:, 0], index[:, 1]] = table[:, 2]
    if symmetric:
        weights[index[:, 1], index[:, 0]] = table[:, 2]
    return weights


def save_edge_list(
    weights: object, path: str | os.PathLike, one_based: bool = False, header: bool = True
) -> Path:
    """Write the non-zero entries of ``W[to, from]`` as ``to from weight`` lines (atomic).

    With ``header``, the first line is the number of regions (as in ``sc2017.dat``).
    """
    w = np.asarray(weights, dtype=float)
    delimiter = TEXT_DELIMITERS[_extension(path)] or " "
    to, source = np.nonzero(w)
    lines = [str(w.shape[0])] if header else []
    lines += [
        f"{i + one_based}{delimiter}{j + one_based}{delimiter}{float(w[i, j])!r}"
        for i, j in zip(to, source, strict=True)
    ]
    text = "\n".join(lines) + "\n"
    return write_atomically(path, lambda temporary: temporary.write_text(text, encoding="utf-8"))


def read_labels(path: str | os.PathLike) -> np.ndarray:
    """Region labels, one per line (``.txt``), or the first column of a centres file.

    A line ``label x y z`` gives ``label``; blank lines and ``#`` comments are skipped.
    """
    lines = read_lines(path)
    labels = [line.split("#")[0].replace(",", " ").split() for line in lines]
    return np.array([fields[0] for fields in labels if fields], dtype=str)
