"""The arrays of one subject, read and checked: structure, BOLD series, region labels.

Every reader raises a ``ValueError`` naming the parameter and the file, what is allowed and what
was given. A TVB connectivity zip is read in memory by
:func:`tvb_ngnmm.connectomes.tvb_zip.read_tvb_members` (TVB's ``Connectivity.from_file`` copies
bz2 members to temporary files and matches members by substring; this reader writes nothing and
refuses members whose names climb out of the archive's folder).
"""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .._util import check_values
from ..connectomes import read_array
from ..connectomes.tvb_zip import read_tvb_members
from ._sources import Sources, existing_file, is_zip


def bad(kind: str, path: object, allowed: str, given: str) -> ValueError:
    """``Invalid value for the 'kind' parameter (file 'path'). Allowed values are ...``."""
    return ValueError(
        f"Invalid value for the {kind!r} parameter (file '{path}'). Allowed values are "
        f"{allowed}, but got {given} instead."
    )


def check_symmetric(matrix: np.ndarray, kind: str, path: object) -> None:
    close = np.isclose(matrix, matrix.T, rtol=1e-10, atol=1e-12)
    if not close.all():
        i, j = (int(k) for k in np.argwhere(~close)[0])
        raise bad(
            kind,
            path,
            "a symmetric matrix (or add 'symmetrize' to the 'weighting' parameter)",
            f"[{i}, {j}] = {float(matrix[i, j])!r} and [{j}, {i}] = {float(matrix[j, i])!r}",
        )


def check_matrix(matrix: object, kind: str, path: object, symmetric: bool) -> np.ndarray:
    """A square, finite, non-negative float64 matrix, symmetric unless ``symmetric`` is False."""
    matrix = np.asarray(matrix, dtype=float)
    if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1]:
        raise bad(kind, path, "a square matrix", f"shape {matrix.shape}")
    what = f"the {kind!r} parameter (file '{path}')"
    check_values(matrix, what, "finite numbers >= 0", ok=lambda values: values >= 0)
    if symmetric:
        check_symmetric(matrix, kind, path)
    return matrix


@dataclass
class Structure:
    """One subject's structural matrices as read, with the labels and centres a zip records."""

    weights: np.ndarray
    lengths: np.ndarray
    labels: tuple[str, ...] | None = None
    centres: np.ndarray | None = None


def read_structure(sources: Sources, keys: dict, symmetric: bool) -> Structure:
    """The weights and tract lengths (mm) of one subject, from two files or one TVB zip."""
    path = sources.weights
    if not is_zip(path):
        weights = check_matrix(read_array(path, keys.get("weights")), "weights", path, symmetric)
        lengths = read_array(sources.lengths, keys.get("lengths"))
        lengths = check_matrix(lengths, "lengths", sources.lengths, symmetric)
        return Structure(weights, lengths)
    fields = read_tvb_members(path)
    weights = check_matrix(fields["weights"], "weights", path, symmetric)
    where = f"{path}', member 'tract_lengths"
    lengths = check_matrix(fields["tract_lengths"], "weights", where, symmetric)
    n_region = weights.shape[0]
    labels = tuple(str(label) for label in fields["region_labels"])
    if len(labels) != n_region or lengths.shape != weights.shape:
        raise bad(
            "weights",
            path,
            f"a zip whose tract lengths and centres match its {n_region} regions",
            f"lengths of shape {lengths.shape} and {len(labels)} centres",
        )
    return Structure(weights, lengths, labels, np.asarray(fields["centres"], dtype=float))


def bold_series(
    path: Path, key: str | None, n_region: int, layout: str, min_volumes: int
) -> np.ndarray:
    """The BOLD series as ``(time, region)``, checked against ``n_region`` and ``min_volumes``."""
    series = np.asarray(read_array(path, key), dtype=float)
    if series.ndim != 2:
        raise bad("bold", path, "a 2-D series (time, region)", f"shape {series.shape}")
    if layout == "auto":
        if series.shape == (n_region, n_region):
            raise bad(
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
        raise bad(
            "bold",
            path,
            f"a series over the matrices' {n_region} regions",
            f"shape {series.shape} as (time, region)",
        )
    if series.shape[0] < min_volumes:
        raise bad(
            "bold",
            path,
            f"at least {min_volumes} samples (volumes; see 'min_volumes')",
            f"{series.shape[0]} sample(s)",
        )
    check_values(series, f"the 'bold' parameter (file '{path}')")
    return series


def check_min_volumes(min_volumes: object) -> int:
    """``min_volumes`` as an int >= 2 (a correlation needs 2 samples)."""
    integer = isinstance(min_volumes, int | np.integer) and not isinstance(min_volumes, bool)
    if not integer or min_volumes < 2:
        raise ValueError(
            "Invalid value for the 'min_volumes' parameter. Allowed values are an integer >= 2, "
            f"but got {min_volumes!r} instead."
        )
    return int(min_volumes)


def _labels_file(path: Path) -> list[str]:
    """One label per line (a .csv/.tsv line holds one cell); blank lines skipped."""
    with open(
        existing_file(path, "labels", "Labels file"), encoding="utf-8-sig", newline=""
    ) as handle:
        text = handle.read()
    delimiter = {".csv": ",", ".tsv": "\t"}.get(path.suffix.lower())
    if delimiter is None:
        return [line.strip() for line in text.splitlines() if line.strip()]
    labels = []
    for number, cells in enumerate(csv.reader(text.splitlines(), delimiter=delimiter), 1):
        if len([cell for cell in cells if cell.strip()]) > 1:
            raise bad("labels", path, "one label per line", f"{len(cells)} cells at line {number}")
        if cells and cells[0].strip():
            labels.append(cells[0].strip())
    return labels


def read_labels(labels: object) -> tuple[tuple[str, ...], str]:
    """Region labels from a sequence or a file, and where they come from (for messages)."""
    if isinstance(labels, str | os.PathLike):
        path = Path(labels)
        return tuple(_labels_file(path)), f"the 'labels' file '{path}'"
    if isinstance(labels, np.ndarray):
        labels = labels.tolist()
    if not isinstance(labels, list | tuple) or not all(isinstance(x, str) for x in labels):
        raise ValueError(
            "Invalid value for the 'labels' parameter. Allowed values are a sequence of region "
            f"names (str) or the path of a file of one per line, but got {labels!r} instead."
        )
    return tuple(label.strip() for label in labels), "the 'labels' parameter"


def check_labels(labels: tuple[str, ...], source: str, n_region: int) -> tuple[str, ...]:
    """One distinct, non-empty label per region, or a ``ValueError`` naming ``source``."""
    allowed = f"{n_region} distinct, non-empty region labels (one per region)"
    if len(labels) != n_region:
        given = f"{len(labels)} labels"
    elif "" in labels:
        given = f"an empty label at position {labels.index('')}"
    elif len(set(labels)) != n_region:
        repeated = next(label for label in labels if labels.count(label) > 1)
        given = f"{repeated!r} twice or more"
    else:
        return labels
    raise ValueError(
        f"Invalid value for {source}. Allowed values are {allowed}, but got {given} instead."
    )


def check_same_labels(
    labels: tuple[str, ...], path: Path, reference: tuple[str, ...], source: str
) -> None:
    """Refuse a zip whose labels differ from ``reference`` (other names or another order)."""
    if labels == reference:
        return
    position = next(k for k, (a, b) in enumerate(zip(labels, reference, strict=True)) if a != b)
    order = "region order" if sorted(labels) == sorted(reference) else "region labels"
    raise bad(
        "weights",
        path,
        f"the {order} of {source}",
        f"{labels[position]!r} at position {position} where {source} has {reference[position]!r}",
    )
