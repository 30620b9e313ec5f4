"""A dataset of subjects from files a user points at.

Per subject: a structural matrix (weights, e.g. streamline counts) and tract lengths (mm), or
one TVB connectivity zip holding both (with region labels and centres), and one resting-state
BOLD series per session, in any format :func:`tvb_ngnmm.connectomes.read_array` reads
(``.npy``, ``.npz``, ``.mat``, ``.h5``, ``.csv``, ``.tsv``, ``.txt``). The files are given

- as one pattern per kind with a ``{subject}`` placeholder (``"data/{subject}/sc.npy"``; the BOLD
  pattern may also hold ``{session}``: ``"data/{subject}/ses-{session}/bold.npy"``), or a dict
  ``{subject: path}`` (for BOLD also ``{subject: {session: path}}``);
- or as a table (``.csv``/``.tsv``) with columns ``subject``, ``weights``, ``lengths``, ``bold``
  and optionally ``session`` and ``repetition_time`` (ms), one row per subject and session,
  paths relative to the table's folder.

:func:`read_dataset` reads and checks everything before returning a :class:`Dataset`, which
gives the FCs, the group averages and the baselines a fit is judged against.

Examples
--------
>>> from tvb_ngnmm.datasets import read_dataset
>>> data = read_dataset("data/{subject}/sc.csv", "data/{subject}/len.csv",
...                     "data/{subject}/bold.npy", repetition_time=2000.0,
...                     weighting=("symmetrize", "zero_diagonal", "sqrt", "unit_eigenvalue"))
>>> data = read_dataset(table="data/subjects.csv")   # with a repetition_time column
>>> data.subjects, data.group_fc().shape, data.baselines()
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from .._util import check_choice
from ._dataset import Dataset
from ._sources import KINDS, Sources, from_patterns, from_table
from ._subject import check_repetition_time
from .readers import (
    Structure,
    bad,
    bold_series,
    check_labels,
    check_min_volumes,
    check_same_labels,
    read_labels,
    read_structure,
)
from .weighting import (
    DEFAULT_WEIGHTING,
    STRUCTURAL_STEPS,
    WEIGHTING_STEPS,
    apply_weighting,
    check_weighting,
)

__all__ = ["WEIGHTING_STEPS", "Dataset", "apply_weighting", "read_dataset"]

BOLD_LAYOUTS = ("auto", "time_region", "region_time")


def _check_required_repetition_time(repetition_time: object, note: str = "") -> float:
    if repetition_time is None:
        raise ValueError(
            "Invalid value for the 'repetition_time' parameter. Allowed values are a number of "
            f"ms > 0 (the files do not record it{note}), but got None instead."
        )
    return check_repetition_time(repetition_time)


def _table_repetition_time(given: object, recorded: float | None, table: object) -> float:
    """The TR of a table's dataset: the argument, the table's column, or both if they agree."""
    if recorded is None:
        return _check_required_repetition_time(
            given, f"; the table '{table}' has no column 'repetition_time'"
        )
    if given is not None and check_repetition_time(given) != recorded:
        raise ValueError(
            "Invalid value for the 'repetition_time' parameter. Allowed values are None or the "
            f"table's {recorded!r} ms ('{table}'), but got {given!r} instead."
        )
    return recorded


def _check_same_size(first: tuple[str, Path, tuple], kind: str, path: Path, shape: tuple) -> None:
    name, first_path, first_shape = first
    if shape != first_shape:
        raise bad(
            kind,
            path,
            f"matrices of one size across subjects ({first_shape} in '{first_path}', subject "
            f"{name!r})",
            f"shape {shape}",
        )


def _read_structures(sources: dict[str, Sources], keys: dict, steps: tuple) -> dict:
    """Each subject's :class:`Structure`, of one size across subjects."""
    symmetric = "symmetrize" not in steps
    structures, first = {}, None
    for name, files in sources.items():
        structure = read_structure(files, keys, symmetric)
        first = first or (name, files.weights, structure.weights.shape)
        _check_same_size(first, "weights", files.weights, structure.weights.shape)
        if files.lengths is not None:
            _check_same_size(first, "lengths", files.lengths, structure.lengths.shape)
        structures[name] = structure
    return structures


def _region_labels(
    labels: object, sources: dict[str, Sources], structures: dict[str, Structure]
) -> tuple[str, ...] | None:
    """The labels given or the zips' (the same in every zip and as given), else None."""
    n_region = next(iter(structures.values())).weights.shape[0]
    reference, source = None, None
    if labels is not None:
        reference, source = read_labels(labels)
        reference = check_labels(reference, source, n_region)
    for name, structure in structures.items():
        if structure.labels is None:
            continue
        where = f"'{sources[name].weights}' (subject {name!r})"
        if reference is None:
            source = where
            zip_source = f"the 'weights' parameter (file {where})"
            reference = check_labels(structure.labels, zip_source, n_region)
        else:
            check_same_labels(structure.labels, sources[name].weights, reference, source)
    return reference


def _check_options(weighting, bold_layout, keys, min_volumes) -> tuple:
    steps = check_weighting(weighting)
    check_choice("bold_layout", bold_layout, BOLD_LAYOUTS)
    keys = dict(keys or {})
    for kind in keys:
        check_choice("keys", kind, KINDS)
    return steps, keys, check_min_volumes(min_volumes)


def _locate(weights, lengths, bold, repetition_time, table, subjects) -> tuple:
    """``({subject: Sources}, repetition_time)`` from the patterns or from the table."""
    if table is None:
        repetition_time = _check_required_repetition_time(repetition_time)
        return from_patterns(weights, lengths, bold, subjects), repetition_time
    patterns = {"weights": weights, "lengths": lengths, "bold": bold}
    for kind, value in patterns.items():
        if value is not None:
            raise ValueError(
                f"Invalid value for the {kind!r} parameter. Allowed values are None when a "
                f"'table' gives the files ('{table}'), but got {value!r} instead."
            )
    sources, recorded = from_table(table, subjects)
    return sources, _table_repetition_time(repetition_time, recorded, table)


def read_dataset(
    weights: str | os.PathLike | Mapping | None = None,
    lengths: str | os.PathLike | Mapping | None = None,
    bold: str | os.PathLike | Mapping | None = None,
    repetition_time: float | None = None,
    *,
    table: str | os.PathLike | None = None,
    subjects: Sequence[str] | None = None,
    weighting: Sequence[str] = DEFAULT_WEIGHTING,
    bold_layout: str = "auto",
    keys: Mapping[str, str] | None = None,
    labels: Sequence[str] | str | os.PathLike | None = None,
    min_volumes: int = 2,
) -> Dataset:
    """Read and check a dataset of subjects from files.

    Parameters
    ----------
    weights, lengths, bold : str, path-like or dict, optional
        Each a path pattern with one ``{subject}`` placeholder (``"data/{subject}/sc.npy"``;
        the placeholder matches within one folder name or file name) or a dict
        ``{subject: path}``; None with ``table``. ``weights``: square, finite, non-negative
        structural matrices (any unit), or TVB connectivity zips (``.zip``: weights, tract
        lengths, region labels and centres; then ``lengths`` is None); ``lengths``: tract
        lengths in mm, the same shape; ``bold``: BOLD series ``(time, region)`` or
        ``(region, time)`` (see ``bold_layout``). The ``bold`` pattern may hold one
        ``{session}`` placeholder (``"data/{subject}/ses-{session}/bold.npy"``), its dict
        ``{subject: {session: path}}``.
    repetition_time : float, optional
        The BOLD sampling interval in ms, one for the dataset. Required unless the table has a
        ``repetition_time`` column (then, if given, equal to it): the other files do not
        record it.
    table : str or path-like, optional
        A ``.csv`` or ``.tsv`` table of paths instead of the patterns: columns ``subject``,
        ``weights``, ``bold``, ``lengths`` (empty where ``weights`` is a TVB zip; the column
        may be left out if every ``weights`` is), optionally ``session`` and
        ``repetition_time`` (ms; one value throughout). One row per subject and session, a
        subject's rows naming the same structure files; relative paths resolve against the
        table's folder.
    subjects : sequence of str, optional
        The subjects to read; default: all those found for ``weights`` (sorted by name), or the
        table's (in the order of their first rows).
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
    labels : sequence of str, str or path-like, optional
        The region labels, one per region and distinct, or a text file of one per line (a
        ``.csv``/``.tsv`` line holds one cell). TVB zips' labels must equal them, and each
        other's, in the same order. Default: the zips' labels, else ``node_000``, ...
    min_volumes : int
        The fewest BOLD volumes a session may have (at least 2).

    Returns
    -------
    Dataset
        Sessions named by the ``{session}`` placeholder or the table, ordered by name
        (numbers within names compared as numbers) or by row; ``'1'`` where none is named.

    Raises
    ------
    ValueError
        Naming the parameter and the file (for a table its line and column), what is allowed
        and what was given: a subject without one of the files, matrices of different sizes
        across subjects, zips with other region labels or another region order than the first
        (or than ``labels``), asymmetric (without ``'symmetrize'``), negative or non-finite
        matrices, a BOLD series over another number of regions, with fewer than
        ``min_volumes`` samples or non-finite values, an unknown weighting step, a missing
        ``repetition_time``; in a table, an unknown column, an empty cell, a repeated
        ``(subject, session)`` row, rows of one subject naming other structure files, or
        repetition times that disagree.
    """
    steps, keys, min_volumes = _check_options(weighting, bold_layout, keys, min_volumes)
    sources, repetition_time = _locate(weights, lengths, bold, repetition_time, table, subjects)
    structures = _read_structures(sources, keys, steps)
    region_labels = _region_labels(labels, sources, structures)
    read: dict[str, dict] = {kind: {} for kind in ("weights", "lengths", "structure", "files")}
    session_bold, session_files = {}, {}
    for name, files in sources.items():
        structure = structures[name]
        read["weights"][name] = apply_weighting(structure.weights, steps, files.weights)
        structural = [step for step in steps if step in STRUCTURAL_STEPS]
        read["structure"][name] = apply_weighting(structure.weights, structural, files.weights)
        read["lengths"][name] = apply_weighting(structure.lengths, structural, files.weights)
        for session, path in files.bold.items():
            session_bold[name, session] = bold_series(
                path, keys.get("bold"), structure.weights.shape[0], bold_layout, min_volumes
            )
            session_files[name, session] = path
        first = next(iter(files.bold))
        read["files"][name] = {
            "weights": files.weights,
            "lengths": files.lengths or files.weights,
            "bold": files.bold[first],
        }
    return Dataset(
        subjects=tuple(sources),
        weights=read["weights"],
        lengths=read["lengths"],
        bold={name: session_bold[name, next(iter(sources[name].bold))] for name in sources},
        repetition_time=repetition_time,
        weighting=steps,
        files=read["files"],
        structure=read["structure"],
        labels=region_labels,
        sessions={name: tuple(files.bold) for name, files in sources.items()},
        session_bold=session_bold,
        session_files=session_files,
        centres={name: s.centres for name, s in structures.items() if s.centres is not None},
    )
