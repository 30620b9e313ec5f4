"""Validation of connectome pieces and assembly into a configured TVB ``Connectivity``."""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

import numpy as np
from scipy.spatial.distance import cdist
from tvb.datatypes.connectivity import Connectivity

from ..coupling import check_weights


class ConnectomeFileError(ValueError):
    """A connectome file that cannot be read: missing pieces, corrupt, truncated or unsafe.

    The message names the file and what is wrong with it. A subclass of ``ValueError``.
    """


def file_error(path: object, problem: str) -> ConnectomeFileError:
    """A :class:`ConnectomeFileError` whose message starts with the file's name."""
    return ConnectomeFileError(f"Cannot read connectome file '{path}': {problem}")


def check_file(path: str | os.PathLike, what: str = "Connectome file") -> Path:
    """``path`` as a ``Path`` if it names a regular file; else say what it is.

    Every loader that takes a path checks it here. A missing file or a broken symbolic link
    raises ``FileNotFoundError``; a directory, a symbolic link loop, a device, a pipe or a
    socket raise :class:`ConnectomeFileError` saying so.
    """
    path = Path(path)
    try:
        status = path.stat()
    except OSError as err:
        if err.errno == errno.ELOOP:
            raise file_error(path, "it is a symbolic link loop, not a file.") from err
        if err.errno in (errno.ENOENT, errno.ENOTDIR):
            if path.is_symlink():
                raise FileNotFoundError(
                    f"{what} '{path}' is a broken symbolic link (to '{os.readlink(path)}')."
                ) from err
            raise FileNotFoundError(f"{what} '{path}' does not exist.") from err
        raise file_error(path, f"it cannot be examined ({err.strerror}).") from err
    if stat.S_ISDIR(status.st_mode):
        raise file_error(path, "it is a directory, not a file.")
    if not stat.S_ISREG(status.st_mode):
        raise file_error(path, "it is not a regular file (a device, a pipe or a socket).")
    return path


def pick_variable(path: object, names: list[str], key: str | None) -> str:
    """``key`` if the file holds it; else the file's only variable; else an error naming both."""
    if key is not None:
        if key not in names:
            raise file_error(path, f"no variable {key!r}; it holds {names}.")
        return key
    if len(names) != 1:
        raise file_error(path, f"holds {len(names)} variables {names}; pass key= to choose one.")
    return names[0]


def check_matrix(matrix: object, name: str, source: object = None) -> np.ndarray:
    """A square, finite, non-negative float64 matrix, or a ``ValueError`` naming ``name``.

    ``source`` (a file name), if given, is added to the message.

    Parameters
    ----------
    matrix : array_like
        The matrix to check.
    name : str
        The parameter or quantity the message names.
    source : str or os.PathLike, optional
        The file the matrix was read from.
    """
    try:
        return check_weights(matrix, non_negative=True, name=name)
    except ValueError as err:
        if source is None:
            raise
        raise file_error(source, str(err)) from err


def check_same_shape(reference: np.ndarray, other: np.ndarray, name: str) -> None:
    """Raise a ``ValueError`` if ``other`` is not shaped like the weights."""
    if other.shape != reference.shape:
        raise ValueError(
            f"Invalid shape for the {name!r} parameter. Allowed is the shape of the weights "
            f"{reference.shape}, but got shape {other.shape} instead."
        )


def check_centres(centres: object, n_regions: int) -> np.ndarray:
    """Region centres as an ``(n_regions, 3)`` finite float64 array."""
    array = np.asarray(centres, dtype=float)
    if array.shape != (n_regions, 3):
        raise ValueError(
            "Invalid shape for the 'centres' parameter. Allowed is (n_regions, 3) = "
            f"({n_regions}, 3), but got shape {array.shape} instead."
        )
    if not np.all(np.isfinite(array)):
        raise ValueError(
            "Invalid value for the 'centres' parameter. Allowed values are finite numbers (mm), "
            "but got non-finite coordinates instead."
        )
    return array


def check_labels(labels: object, n_regions: int) -> np.ndarray:
    """Region labels as ``n_regions`` strings."""
    array = np.asarray(labels).astype(str).ravel()
    if array.size != n_regions:
        raise ValueError(
            f"Invalid value for the 'region_labels' parameter. Allowed is one label per region "
            f"({n_regions}), but got {array.size} labels instead."
        )
    return array


def euclidean_distances(centres: np.ndarray) -> np.ndarray:
    """Euclidean distances between region centres, ``(n, n)``, in the centres' unit (mm).

    Computed pair by pair (``scipy.spatial.distance.cdist``): no ``n × n × 3`` temporary; exactly
    symmetric with a zero diagonal.
    """
    centres = np.asarray(centres, dtype=float)
    return cdist(centres, centres)


def hemispheres_from_labels(labels: np.ndarray, rule: str = "auto") -> np.ndarray | None:
    """True (right) / False (left) from label prefixes or suffixes, None if they do not say.

    ``rule='prefix'``: ``r``/``l`` followed by an upper-case letter, ``_``, ``-`` or ``.``
    (``rA1``, ``l_insula``), or ``Right``/``Left``. ``rule='suffix'``: ``.R``/``_R``/``-R``
    (and ``L``), or ``right``/``left``. ``'auto'`` tries prefixes, then suffixes; a rule applies
    only if it recognises every label.

    Parameters
    ----------
    labels : numpy.ndarray of str
        The region labels.
    rule : {'auto', 'prefix', 'suffix'}
        Where the hemisphere is read from.
    """
    rules = {"prefix": (_prefix_side,), "suffix": (_suffix_side,)}
    for side_of in rules.get(rule, (_prefix_side, _suffix_side)):
        sides = [side_of(str(label)) for label in labels]
        if sides and None not in sides:
            return np.array(sides, dtype=bool)
    return None


def _prefix_side(label: str) -> bool | None:
    lowered = label.lower()
    if lowered.startswith(("right", "left")):
        return lowered.startswith("right")
    if len(label) >= 2 and label[0] in "rlRL" and (label[1].isupper() or label[1] in "._-"):
        return label[0] in "rR"
    return None


def _suffix_side(label: str) -> bool | None:
    lowered = label.lower()
    if lowered.endswith(("right", "left")):
        return lowered.endswith("right")
    if len(label) >= 2 and label[-2] in "._-" and label[-1] in "RrLl":
        return label[-1] in "Rr"
    return None


def make_connectivity(
    weights: object,
    tract_lengths: object = None,
    centres: object = None,
    region_labels: object = None,
    hemispheres: object = None,
    conduction_speed: float = 3.0,
    **optional: object,
) -> Connectivity:
    """Validate the pieces of a connectome and return a configured TVB ``Connectivity``.

    Parameters
    ----------
    weights : array_like, shape (n, n)
        ``W[to, from]``, finite and non-negative.
    tract_lengths : array_like, shape (n, n), optional
        In mm. If None: Euclidean distances between ``centres`` (a stand-in), or zeros without
        centres.
    centres : array_like, shape (n, 3), optional
        Region centres in mm; zeros if None.
    region_labels : sequence of str, optional
        One per region; ``node_000``, ... if None.
    hemispheres : array_like of bool, optional
        True for the right hemisphere; if None, derived from the labels where they say (else
        TVB's ``configure`` guesses from the labels' first letters).
    conduction_speed : float
        In mm/ms.
    **optional
        ``cortical``, ``areas`` (mm²), ``orientations``: stored if given.

    Returns
    -------
    tvb.datatypes.connectivity.Connectivity
        Configured.
    """
    w = check_matrix(weights, "weights")
    n = w.shape[0]
    if n < 1:
        raise ValueError("Invalid shape for the 'weights' parameter: it has no regions.")
    xyz = np.zeros((n, 3)) if centres is None else check_centres(centres, n)
    if tract_lengths is None:
        lengths = euclidean_distances(xyz)
    else:
        lengths = check_matrix(tract_lengths, "tract_lengths")
        check_same_shape(w, lengths, "tract_lengths")
    labels = (
        np.array([f"node_{i:03d}" for i in range(n)])
        if region_labels is None
        else check_labels(region_labels, n)
    )
    speed = float(conduction_speed)
    if not (np.isfinite(speed) and speed > 0):
        raise ValueError(
            "Invalid value for the 'conduction_speed' parameter. Allowed values are > 0 mm/ms "
            f"(finite), but got {conduction_speed!r} instead."
        )
    conn = Connectivity(
        weights=w, tract_lengths=lengths, centres=xyz, region_labels=labels, speed=np.array([speed])
    )
    sides = hemispheres_from_labels(labels) if hemispheres is None else hemispheres
    if sides is not None:
        conn.hemispheres = _check_vector(sides, n, "hemispheres", bool)
    for key, value in optional.items():
        if value is not None and np.size(value):
            dtype = bool if key == "cortical" else float
            setattr(conn, key, _check_vector(value, n, key, dtype, rows=key == "orientations"))
    conn.configure()
    return conn


def _check_vector(value: object, n: int, name: str, dtype: type, rows: bool = False) -> np.ndarray:
    array = np.asarray(value).astype(dtype)
    if array.shape[:1] != (n,) or (not rows and array.ndim != 1):
        raise ValueError(
            f"Invalid shape for the {name!r} parameter. Allowed is one value per region ({n}), "
            f"but got shape {array.shape} instead."
        )
    return array
