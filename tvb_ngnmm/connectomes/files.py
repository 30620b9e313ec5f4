"""Whole connectomes from and to files: one file per connectome, or one file per piece.

One file: a TVB zip, or a ``.npz`` / ``.mat`` / HDF5 file holding the arrays ``weights`` and
optionally ``tract_lengths`` (mm), ``centres`` (mm), ``region_labels``, ``hemispheres``,
``cortical``, ``areas`` (mm²), ``orientations`` and ``speed`` (mm/ms), and the frame of the
centres (``coordinate_frame``: three axis codes such as ``'RAS'``, with
``coordinate_frame_origin``, mm) when the connectivity has one (see
:class:`~tvb_ngnmm.connectomes.CoordinateFrame`).
Pieces: weights, tract lengths, centres and labels each from its own file (or array).

Each file is read within the memory limit (2 GB unless raised; see ``max_bytes``), which counts
the arrays it holds and, for the file giving the weights, the ``n × n`` matrices of the
configured ``Connectivity`` built from them (seven float64 matrices at the peak).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from tvb.datatypes.connectivity import Connectivity

from ._budget import CONNECTIVITY_MATRICES, LoadBudget, no_memory_error
from ._checks import ConnectomeFileError, file_error, make_connectivity
from .edge_lists import read_edge_list_within
from .frames import CoordinateFrame
from .io import list_variables, read_array_within, read_labels, read_lines_within, save_arrays
from .tvb_zip import read_tvb_zip, write_tvb_zip

FIELDS = (
    "weights",
    "tract_lengths",
    "centres",
    "region_labels",
    "hemispheres",
    "cortical",
    "areas",
    "orientations",
    "speed",
)
CONNECTOME_EXTENSIONS = (".zip", ".npz", ".mat", ".h5", ".hdf5")


def _connectome_extension(path: str | os.PathLike) -> str:
    extension = Path(path).suffix.lower()
    if extension not in CONNECTOME_EXTENSIONS:
        raise ValueError(
            "Invalid value for the 'path' parameter. Allowed extensions are "
            f"{', '.join(repr(e) for e in CONNECTOME_EXTENSIONS)}, but got {str(path)!r} instead."
        )
    return extension


@no_memory_error
def read_connectivity(
    path: str | os.PathLike, conduction_speed: float = 3.0, *, max_bytes: int | str | None = None
) -> Connectivity:
    """Read a whole connectome from one file into a configured TVB ``Connectivity``.

    Parameters
    ----------
    path : path-like
        ``.zip`` (TVB format), ``.npz``, ``.mat`` (v5 or v7.3) or ``.h5``/``.hdf5`` with the
        named arrays of this module's docstring; ``weights`` is required.
    conduction_speed : float
        In mm/ms, unless the file holds ``speed``.
    max_bytes : int or str, optional
        Memory limit (see :func:`~tvb_ngnmm.connectomes.read_array`) for the file's arrays and
        the connectivity built from them.

    Returns
    -------
    tvb.datatypes.connectivity.Connectivity
        The configured connectivity read from the file.

    Raises
    ------
    FileNotFoundError
        If there is no such file.
    ConnectomeFileError
        If the path is a directory, the file is corrupt, lacks ``weights``, its arrays do not
        fit together, or they need more memory than the limit.
    """
    if _connectome_extension(path) == ".zip":
        return read_tvb_zip(path, conduction_speed=conduction_speed, max_bytes=max_bytes)
    budget = LoadBudget(path, max_bytes)
    names = set(list_variables(path))
    if "weights" not in names:
        raise file_error(path, f"no 'weights' array; it holds {sorted(names)}.")
    pieces = {"weights": read_array_within(path, "weights", budget)}
    budget.charge_connectivity(_n_regions(pieces["weights"]))  # before the other n × n arrays
    pieces.update(
        {name: read_array_within(path, name, budget) for name in FIELDS[1:] if name in names}
    )
    speed = pieces.pop("speed", conduction_speed)
    for name in ("region_labels", "hemispheres", "cortical", "areas"):
        if name in pieces:
            pieces[name] = np.ravel(pieces[name])
    if "region_labels" in pieces:
        pieces["region_labels"] = np.char.strip(pieces["region_labels"].astype(str))
    try:
        conn = make_connectivity(conduction_speed=float(np.ravel(speed)[0]), **pieces)
    except (ValueError, IndexError) as err:
        raise file_error(path, str(err)) from err
    if "coordinate_frame" in names:
        conn.coordinate_frame = _read_frame(path, names, budget)
    return conn


def _read_frame(path, names: set, budget: LoadBudget) -> CoordinateFrame:
    """The ``coordinate_frame`` (and ``coordinate_frame_origin``) arrays of a file, checked."""
    axes = str(np.ravel(read_array_within(path, "coordinate_frame", budget))[0]).strip().upper()
    origin = np.zeros(3)
    if "coordinate_frame_origin" in names:
        origin = np.ravel(read_array_within(path, "coordinate_frame_origin", budget))
        origin = origin.astype(float)
    groups = sorted("RLAPSI".index(code) // 2 for code in axes if code in "RLAPSI")
    if len(axes) != 3 or groups != [0, 1, 2] or origin.shape != (3,):
        raise file_error(
            path,
            "'coordinate_frame' must be three axis codes, one of R/L, A/P and S/I (e.g. 'RAS'), "
            f"with a 3-value origin; got {axes!r} and an origin of {origin.size} values.",
        )
    return CoordinateFrame(axes, tuple(float(v) for v in origin), f"read from {Path(path).name}")


@no_memory_error
def load_connectivity(
    weights: str | os.PathLike | np.ndarray,
    tract_lengths: str | os.PathLike | np.ndarray | None = None,
    centres: str | os.PathLike | np.ndarray | None = None,
    region_labels: str | os.PathLike | np.ndarray | list | None = None,
    conduction_speed: float = 3.0,
    edge_list: bool = False,
    key: str | None = None,
    *,
    max_bytes: int | str | None = None,
) -> Connectivity:
    """Assemble a ``Connectivity`` from pieces, each a file or an array.

    Parameters
    ----------
    weights : path-like or array_like
        ``W[to, from]``: a dense matrix file (see :func:`~tvb_ngnmm.connectomes.io.read_array`)
        or, with ``edge_list=True``, an edge list ``to from weight`` (0-based).
    tract_lengths : path-like or array_like, optional
        In mm; Euclidean distances between the centres if None (a stand-in).
    centres : path-like or array_like, optional
        ``(n, 3)`` in mm, or a text file of ``label x y z`` lines (which also gives labels).
    region_labels : path-like or sequence of str, optional
        One per region; a text file has one per line.
    conduction_speed : float
        In mm/ms.
    edge_list : bool
        Whether ``weights`` is an edge list.
    key : str, optional
        Variable name inside multi-array weight files.
    max_bytes : int or str, optional
        Memory limit of each file (see :func:`~tvb_ngnmm.connectomes.read_array`); the weights
        file is also charged the connectivity built from it.

    Returns
    -------
    tvb.datatypes.connectivity.Connectivity
        The configured connectivity.

    Raises
    ------
    ConnectomeFileError
        If a file cannot be read, needs more memory than the limit, or the pieces do not fit
        together (the message names the file).
    """
    pieces = {"weights": _weights(weights, edge_list, key, max_bytes)}
    if tract_lengths is not None:
        pieces["tract_lengths"] = (
            read_array_within(tract_lengths, None, LoadBudget(tract_lengths, max_bytes))
            if _is_path(tract_lengths)
            else tract_lengths
        )
    if centres is not None:
        pieces.update(_centres(centres, max_bytes))
    if _is_path(region_labels):
        pieces["region_labels"] = read_labels(region_labels, max_bytes=max_bytes)
    elif region_labels is not None:
        pieces["region_labels"] = region_labels
    try:
        return make_connectivity(conduction_speed=conduction_speed, **pieces)
    except ValueError as err:
        sources = (weights, tract_lengths, centres, region_labels)
        files = [str(value) for value in sources if _is_path(value)]
        raise ConnectomeFileError(f"{err} (files: {', '.join(files) or 'none'})") from err


def _is_path(value: object) -> bool:
    return isinstance(value, str | os.PathLike)


def _weights(weights: object, edge_list: bool, key: str | None, max_bytes) -> object:
    """Weights from a file (charged with the connectivity built from them), or as given."""
    if not _is_path(weights):
        return weights
    budget = LoadBudget(weights, max_bytes)
    if edge_list:  # the matrices are charged as soon as the file declares its regions
        return read_edge_list_within(
            weights,
            n_regions=None,
            one_based=False,
            symmetric=False,
            budget=budget,
            matrices=1 + CONNECTIVITY_MATRICES,
        )
    array = read_array_within(weights, key, budget)
    budget.charge_connectivity(_n_regions(array))
    return array


def _n_regions(weights: np.ndarray) -> int:
    """The regions a weights array would give (its first axis), for the memory budget."""
    return int(np.shape(weights)[0]) if np.ndim(weights) else 1


def _centres(centres: str | os.PathLike | np.ndarray, max_bytes) -> dict[str, np.ndarray]:
    if not _is_path(centres):
        return {"centres": np.asarray(centres, dtype=float)}
    path = Path(centres)
    budget = LoadBudget(path, max_bytes)
    if path.suffix.lower() in (".txt", ".dat", ".csv", ".tsv"):
        lines = read_lines_within(path, budget)
        rows = [line.split("#")[0].replace(",", " ").split() for line in lines]
        rows = [row for row in rows if row]
        if rows and len(rows[0]) == 4:
            try:
                xyz = np.array([[float(v) for v in row[1:]] for row in rows])
            except ValueError as err:
                raise file_error(path, f"centres should be 'label x y z' lines ({err}).") from err
            return {"centres": xyz, "region_labels": np.array([row[0] for row in rows])}
    return {"centres": read_array_within(path, None, budget)}


def save_connectivity(connectivity: Connectivity, path: str | os.PathLike) -> Path:
    """Write a ``Connectivity`` to one file: ``.zip`` (TVB), ``.npz``, ``.mat`` (v5), ``.h5``.

    The arrays are named as in this module's docstring; the write is atomic.

    Parameters
    ----------
    connectivity : Connectivity
        The connectivity.
    path : str or os.PathLike
        The file; its extension chooses the format.
    """
    if _connectome_extension(path) == ".zip":
        return write_tvb_zip(connectivity, path)
    arrays = {
        "weights": connectivity.weights,
        "tract_lengths": connectivity.tract_lengths,
        "centres": connectivity.centres,
        "region_labels": np.asarray(connectivity.region_labels, dtype=str),
        "speed": np.atleast_1d(np.asarray(connectivity.speed, dtype=float)),
    }
    for name in ("hemispheres", "cortical", "areas", "orientations"):
        value = getattr(connectivity, name)
        if value is not None and np.size(value):
            arrays[name] = np.asarray(
                value, dtype=float if name in ("areas", "orientations") else np.int8
            )
    frame = getattr(connectivity, "coordinate_frame", None)
    if isinstance(frame, CoordinateFrame):
        arrays["coordinate_frame"] = np.array([frame.axes])
        arrays["coordinate_frame_origin"] = np.asarray(frame.origin, dtype=float)
    return save_arrays(arrays, path)
