"""A dataset of subjects from files a user points at.

Per subject, three files: a structural matrix (weights, e.g. streamline counts), tract lengths
(mm) and a resting-state BOLD series, in any format :func:`tvb_ngnmm.connectomes.read_array`
reads (``.npy``, ``.npz``, ``.mat``, ``.h5``, ``.csv``, ``.tsv``, ``.txt``). Each kind is given
as a pattern with one ``{subject}`` placeholder (``"data/{subject}/sc.npy"``) or as a table
``{subject: path}``. :func:`read_dataset` reads and checks everything before returning a
:class:`Dataset`, which gives the FCs, the group averages and the baselines a fit is judged
against.

Examples
--------
>>> from tvb_ngnmm.datasets import read_dataset
>>> data = read_dataset("data/{subject}/sc.csv", "data/{subject}/len.csv",
...                     "data/{subject}/bold.npy", repetition_time=2000.0,
...                     weighting=("symmetrize", "zero_diagonal", "sqrt", "unit_eigenvalue"))
>>> data.subjects, data.group_fc().shape, data.baselines()
"""

from __future__ import annotations

import glob
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from .._util import check_choice, check_values, format_choices
from ..analysis import functional_connectivity, functional_connectivity_dynamics
from ..connectomes import (
    make_connectivity,
    normalize,
    read_array,
    remove_self_connections,
    symmetrize,
)
from ._subject import check_repetition_time, fisher_z_mean
from .baselines import baselines as _baselines

KINDS = ("weights", "lengths", "bold")
#: The named weighting steps, applied in the order given (the scaling ones to the weights only).
WEIGHTING_STEPS = ("symmetrize", "zero_diagonal", "log1p", "sqrt", "unit_eigenvalue", "row", "max")
DEFAULT_WEIGHTING = ("symmetrize", "zero_diagonal")
BOLD_LAYOUTS = ("auto", "time_region", "region_time")
PLACEHOLDER = "{subject}"


def _bad(kind: str, path: object, allowed: str, given: str) -> ValueError:
    return ValueError(
        f"Invalid value for the {kind!r} parameter (file '{path}'). Allowed values are "
        f"{allowed}, but got {given} instead."
    )


def _find(kind: str, pattern: object) -> dict[str, Path]:
    """``{subject: path}`` from a table or from the files matching a ``{subject}`` pattern."""
    if isinstance(pattern, Mapping):
        return {str(name): Path(path) for name, path in pattern.items()}
    text = os.fspath(pattern) if isinstance(pattern, str | os.PathLike) else None
    if text is None or text.count(PLACEHOLDER) != 1:
        raise ValueError(
            f"Invalid value for the {kind!r} parameter. Allowed values are a path pattern with "
            f"exactly one '{PLACEHOLDER}' or a dict {{subject: path}}, but got {pattern!r} "
            "instead."
        )
    before, after = text.split(PLACEHOLDER)
    matcher = re.compile(re.escape(before) + r"(?P<subject>[^/\\]+)" + re.escape(after))
    found = {}
    for path in glob.glob(glob.escape(before) + "*" + glob.escape(after)):
        match = matcher.fullmatch(path)
        if match:
            found[match["subject"]] = Path(path)
    return found


def _subject_files(patterns: dict[str, object], subjects: Sequence[str] | None) -> dict:
    """``{subject: {kind: path}}``; every subject has every kind, else a ``ValueError``."""
    if isinstance(subjects, str):
        raise ValueError(
            "Invalid value for the 'subjects' parameter. Allowed values are a sequence of "
            f"subject names, but got the string {subjects!r} instead."
        )
    found = {kind: _find(kind, pattern) for kind, pattern in patterns.items()}
    names = sorted(found["weights"]) if subjects is None else [str(s) for s in subjects]
    if not names:
        raise ValueError(
            "Invalid value for the 'weights' parameter. Allowed values are a pattern or table "
            f"naming at least one file, but got {patterns['weights']!r} (no file) instead."
        )
    for name in names:
        for kind in KINDS:
            if name not in found[kind]:
                raise ValueError(
                    f"Invalid value for the {kind!r} parameter. Allowed values are a pattern or "
                    f"table with a file for every subject, but got none for subject {name!r} "
                    f"({patterns[kind]!r}) instead."
                )
    return {name: {kind: found[kind][name] for kind in KINDS} for name in names}


def _check_weighting(weighting: object) -> tuple[str, ...]:
    if isinstance(weighting, str) or not isinstance(weighting, Sequence):
        raise ValueError(
            "Invalid value for the 'weighting' parameter. Allowed values are a tuple of steps "
            f"among {format_choices(WEIGHTING_STEPS)}, but got {weighting!r} instead."
        )
    return tuple(check_choice("weighting", step, WEIGHTING_STEPS) for step in weighting)


def _check_symmetric(matrix: np.ndarray, kind: str, path: Path) -> None:
    close = np.isclose(matrix, matrix.T, rtol=1e-10, atol=1e-12)
    if not close.all():
        i, j = (int(k) for k in np.argwhere(~close)[0])
        raise _bad(
            kind,
            path,
            "a symmetric matrix (or add 'symmetrize' to the 'weighting' parameter)",
            f"[{i}, {j}] = {float(matrix[i, j])!r} and [{j}, {i}] = {float(matrix[j, i])!r}",
        )


def _read_matrix(kind: str, path: Path, key: str | None, symmetric: bool) -> np.ndarray:
    """A square, finite, non-negative float64 matrix, symmetric unless ``symmetric`` is False."""
    matrix = np.asarray(read_array(path, key), dtype=float)
    if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1]:
        raise _bad(kind, path, "a square matrix", f"shape {matrix.shape}")
    what = f"the {kind!r} parameter (file '{path}')"
    check_values(matrix, what, "finite numbers >= 0", ok=lambda values: values >= 0)
    if symmetric:
        _check_symmetric(matrix, kind, path)
    return matrix


def _unit_eigenvalue(weights: np.ndarray, path: Path) -> np.ndarray:
    _check_symmetric(weights, "weights", path)
    top = np.linalg.eigvalsh(weights).max()
    if not top > 0:
        raise _bad("weights", path, "a matrix with a positive eigenvalue", f"largest {top!r}")
    return weights / top


def apply_weighting(weights: np.ndarray, steps: Sequence[str], path: object = None) -> np.ndarray:
    """Apply named weighting steps to a structural matrix, in order.

    Parameters
    ----------
    weights : ndarray, shape (n_region, n_region)
        Finite, non-negative weights (any unit).
    steps : sequence of str
        Among :data:`WEIGHTING_STEPS`: ``'symmetrize'`` (``(W + Wᵀ) / 2``), ``'zero_diagonal'``,
        ``'log1p'`` (``log(1 + W)``), ``'sqrt'`` (``√W``), ``'unit_eigenvalue'`` (``W`` over its
        largest eigenvalue; ``W`` must be symmetric by then), ``'row'`` (each row sums to 1),
        ``'max'`` (``W / max W``).
    path : path-like, optional
        The file the weights come from, named in errors.

    Returns
    -------
    ndarray
        The weighted matrix (a new array).
    """
    steps = _check_weighting(steps)
    operations = {
        "symmetrize": symmetrize,
        "zero_diagonal": remove_self_connections,
        "log1p": np.log1p,
        "sqrt": np.sqrt,
        "unit_eigenvalue": lambda w: _unit_eigenvalue(w, path),
        "row": lambda w: normalize(w, "row"),
        "max": lambda w: normalize(w, "max"),
    }
    weights = np.array(weights, dtype=float)
    for step in steps:
        weights = np.asarray(operations[step](weights), dtype=float)
    return weights


def _bold_series(path: Path, key: str | None, n_region: int, layout: str) -> np.ndarray:
    """The BOLD series as ``(time, region)``, checked against ``n_region``."""
    series = np.asarray(read_array(path, key), dtype=float)
    if series.ndim != 2:
        raise _bad("bold", path, "a 2-D series (time, region)", f"shape {series.shape}")
    if layout == "auto":
        if series.shape == (n_region, n_region):
            raise _bad(
                "bold",
                path,
                "a series whose layout the region count decides (else give bold_layout="
                "'time_region' or 'region_time')",
                f"shape {series.shape} with {n_region} regions (ambiguous)",
            )
        layout = "region_time" if series.shape[0] == n_region else "time_region"
    if layout == "region_time":
        series = series.T
    if series.shape[1] != n_region:
        raise _bad(
            "bold",
            path,
            f"a series over the matrices' {n_region} regions",
            f"shape {series.shape} as (time, region)",
        )
    if series.shape[0] < 2:
        raise _bad("bold", path, "at least 2 samples", f"{series.shape[0]} sample(s)")
    check_values(series, f"the 'bold' parameter (file '{path}')")
    return series


@dataclass(frozen=True)
class Dataset:
    """Subjects' structure and BOLD series, read and checked by :func:`read_dataset`.

    Attributes
    ----------
    subjects : tuple of str
        The subjects' names, in the order of the dataset.
    weights, lengths : dict of str to ndarray
        Per subject, ``(n_region, n_region)``: the weights after the weighting steps, the tract
        lengths in mm (symmetrised and with a zero diagonal where the weighting says so).
    structure : dict of str to ndarray
        Per subject, the weights as read after the structural steps only (``'symmetrize'``,
        ``'zero_diagonal'``): what the group averages before its own weighting.
    bold : dict of str to ndarray
        Per subject, the BOLD series ``(n_time, n_region)`` as stored (any unit).
    repetition_time : float
        The BOLD sampling interval, in ms.
    weighting : tuple of str
        The weighting steps applied (:func:`apply_weighting`).
    files : dict of str to dict of str to Path
        Per subject, the file read for each kind (``'weights'``, ``'lengths'``, ``'bold'``).
    """

    subjects: tuple[str, ...]
    weights: dict[str, np.ndarray]
    lengths: dict[str, np.ndarray]
    bold: dict[str, np.ndarray]
    repetition_time: float
    weighting: tuple[str, ...]
    files: dict[str, dict[str, Path]]
    structure: dict[str, np.ndarray]

    @property
    def n_regions(self) -> int:
        """The number of regions (the same for every subject)."""
        return self.weights[self.subjects[0]].shape[0]

    def _subject(self, subject: str) -> str:
        return check_choice("subject", subject, self.subjects)

    def fc(self, subject: str) -> np.ndarray:
        """One subject's FC: Pearson r of its regions' BOLD series, ``(n_region, n_region)``."""
        return functional_connectivity(self.bold[self._subject(subject)])

    def fcd(self, subject: str, window_ms: float, step_ms: float) -> tuple[np.ndarray, np.ndarray]:
        """One subject's FCD (:func:`tvb_ngnmm.analysis.functional_connectivity_dynamics`).

        Parameters
        ----------
        subject : str
            One of :attr:`subjects`.
        window_ms, step_ms : float
            Sliding window length and shift in ms (the series is sampled every
            :attr:`repetition_time` ms; a window needs 3 samples up to the whole series).

        Returns
        -------
        fcd : ndarray, shape (n_window, n_window)
        window_centres : ndarray, shape (n_window,)
            In ms from the first volume.
        """
        series = self.bold[self._subject(subject)]
        try:
            return functional_connectivity_dynamics(
                series, self.repetition_time, window_ms, step_ms
            )
        except ValueError as err:
            where = f"subject {subject!r}, file '{self.files[subject]['bold']}'"
            raise ValueError(f"{err} ({where})") from err

    def connectivity(self, subject: str | None = None, conduction_speed: float = 3.0):
        """A configured TVB ``Connectivity``: one subject's, or the group's (None).

        Weights :attr:`weights` (or :meth:`group_weights`), tract lengths :attr:`lengths` (or
        :meth:`group_lengths`, mm), ``conduction_speed`` in mm/ms; labels ``node_000``, ...,
        centres zeros (the files do not record them).
        """
        if subject is None:
            weights, lengths, title = self.group_weights(), self.group_lengths(), "group"
        else:
            name = self._subject(subject)
            weights, lengths, title = self.weights[name], self.lengths[name], name
        conn = make_connectivity(weights, lengths, conduction_speed=conduction_speed)
        conn.title = title
        return conn

    def group_weights(self) -> np.ndarray:
        """The group's weights, ``(n_region, n_region)``: the weighting steps applied to the
        subjects' mean :attr:`structure` (a consensus first, then scaled, as one subject is)."""
        mean = np.mean([self.structure[name] for name in self.subjects], axis=0)
        return apply_weighting(mean, self.weighting, "the group's mean weights")

    def subset(self, subjects: Sequence[str]) -> Dataset:
        """The dataset of some of its subjects (a training or a held-out group), in the order
        given; at least one, each once.

        Raises
        ------
        ValueError
            Naming ``subjects``: an unknown or repeated subject, or none.
        """
        if isinstance(subjects, str) or not isinstance(subjects, Sequence) or not subjects:
            raise ValueError(
                "Invalid value for the 'subjects' parameter. Allowed values are a non-empty "
                f"sequence of subject names among {format_choices(self.subjects)}, but got "
                f"{subjects!r} instead."
            )
        names = tuple(check_choice("subjects", str(name), self.subjects) for name in subjects)
        if len(set(names)) != len(names):
            raise ValueError(
                "Invalid value for the 'subjects' parameter. Allowed values are subject names "
                f"each given once, but got {list(names)!r} instead."
            )

        def pick(table: dict) -> dict:
            return {name: table[name] for name in names}

        return replace(
            self,
            subjects=names,
            weights=pick(self.weights),
            lengths=pick(self.lengths),
            bold=pick(self.bold),
            files=pick(self.files),
            structure=pick(self.structure),
        )

    def group_lengths(self) -> np.ndarray:
        """The subjects' mean tract lengths in mm (0 where a subject has none counts as 0)."""
        return np.mean([self.lengths[name] for name in self.subjects], axis=0)

    def group_fc(self) -> np.ndarray:
        """The group's FC: ``tanh`` of the subjects' mean ``arctanh`` FC; diagonal 1."""
        return fisher_z_mean([self.fc(name) for name in self.subjects])

    def baselines(self):
        """The structural floor and the noise ceiling of the subjects' FC.

        :func:`tvb_ngnmm.datasets.baselines.baselines` with :meth:`group_weights` (which must be
        symmetric: keep ``'symmetrize'`` in the weighting) and each subject's :meth:`fc`; at
        least 2 subjects.

        Returns
        -------
        xarray.Dataset
            Dim ``subject``; Pearson r (dimensionless), see that function.
        """
        fcs = [self.fc(name) for name in self.subjects]
        return _baselines(self.group_weights(), fcs, names=self.subjects)


def _check_required_repetition_time(repetition_time: object) -> float:
    if repetition_time is None:
        raise ValueError(
            "Invalid value for the 'repetition_time' parameter. Allowed values are a number of "
            "ms > 0 (the files do not record it), but got None instead."
        )
    return check_repetition_time(repetition_time)


def _check_same_size(first: tuple[str, Path, tuple], kind: str, path: Path, shape: tuple) -> None:
    name, first_path, first_shape = first
    if shape != first_shape:
        raise _bad(
            kind,
            path,
            f"matrices of one size across subjects ({first_shape} in '{first_path}', subject "
            f"{name!r})",
            f"shape {shape}",
        )


def read_dataset(
    weights: str | os.PathLike | Mapping,
    lengths: str | os.PathLike | Mapping,
    bold: str | os.PathLike | Mapping,
    repetition_time: float | None = None,
    *,
    subjects: Sequence[str] | None = None,
    weighting: Sequence[str] = DEFAULT_WEIGHTING,
    bold_layout: str = "auto",
    keys: Mapping[str, str] | None = None,
) -> Dataset:
    """Read and check a dataset of subjects from files.

    Parameters
    ----------
    weights, lengths, bold : str, path-like or dict
        Each a path pattern with one ``{subject}`` placeholder (``"data/{subject}/sc.npy"``;
        the placeholder matches within one folder name or file name) or a dict
        ``{subject: path}``. ``weights``: square, finite, non-negative structural matrices (any
        unit); ``lengths``: tract lengths in mm, the same shape; ``bold``: BOLD series
        ``(time, region)`` or ``(region, time)`` (see ``bold_layout``), at least 2 samples.
    repetition_time : float
        The BOLD sampling interval in ms (required: the files do not record it).
    subjects : sequence of str, optional
        The subjects to read; default: all those found for ``weights``, sorted by name.
    weighting : sequence of str
        Named steps applied to each subject's weights, in order (:func:`apply_weighting`):
        default ``('symmetrize', 'zero_diagonal')``. ``'symmetrize'`` and ``'zero_diagonal'``
        also apply to the lengths. Without ``'symmetrize'``, asymmetric matrices are refused.
    bold_layout : {'auto', 'time_region', 'region_time'}
        ``'auto'``: the axis whose length is the matrices' region count is the region axis; a
        square series is refused as ambiguous.
    keys : dict of str to str, optional
        The variable holding each kind (``{'weights': 'sc', 'bold': 'tc'}``) in ``.npz``,
        ``.mat`` or HDF5 files holding several.

    Returns
    -------
    Dataset

    Raises
    ------
    ValueError
        Naming the parameter and the file, what is allowed and what was given: a subject
        without one of the files, matrices of different sizes across subjects, asymmetric (without
        ``'symmetrize'``), negative or non-finite matrices, a BOLD series over another number of
        regions or with fewer than 2 samples, an unknown weighting step, a missing
        ``repetition_time``.
    """
    repetition_time = _check_required_repetition_time(repetition_time)
    steps = _check_weighting(weighting)
    check_choice("bold_layout", bold_layout, BOLD_LAYOUTS)
    keys = dict(keys or {})
    for kind in keys:
        check_choice("keys", kind, KINDS)
    files = _subject_files({"weights": weights, "lengths": lengths, "bold": bold}, subjects)
    symmetric = "symmetrize" not in steps
    structure_steps = [step for step in steps if step in ("symmetrize", "zero_diagonal")]
    read: dict[str, dict[str, np.ndarray]] = {kind: {} for kind in (*KINDS, "structure")}
    first = None
    for name, paths in files.items():
        matrix = _read_matrix("weights", paths["weights"], keys.get("weights"), symmetric)
        first = first or (name, paths["weights"], matrix.shape)
        _check_same_size(first, "weights", paths["weights"], matrix.shape)
        length = _read_matrix("lengths", paths["lengths"], keys.get("lengths"), symmetric)
        _check_same_size(first, "lengths", paths["lengths"], length.shape)
        read["weights"][name] = apply_weighting(matrix, steps, paths["weights"])
        read["structure"][name] = apply_weighting(matrix, structure_steps, paths["weights"])
        read["lengths"][name] = apply_weighting(length, structure_steps, paths["lengths"])
        read["bold"][name] = _bold_series(
            paths["bold"], keys.get("bold"), matrix.shape[0], bold_layout
        )
    return Dataset(
        subjects=tuple(files),
        weights=read["weights"],
        lengths=read["lengths"],
        bold=read["bold"],
        repetition_time=repetition_time,
        weighting=steps,
        files=files,
        structure=read["structure"],
    )
