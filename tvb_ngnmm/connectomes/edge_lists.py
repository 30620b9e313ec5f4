"""Edge lists ``to from weight`` (one edge a line) to and from dense ``W[to, from]`` matrices.

A first line holding a single integer gives the number of regions (as in ``sc2017.dat``). The
dense matrix it declares (``n² × 8`` bytes, times the matrices built from it) is charged to the
memory budget as soon as that line is read, before any edge; the edges are counted first (one
a line) and held as compact arrays, not Python objects.
"""

from __future__ import annotations

import os
from array import array
from pathlib import Path

import numpy as np

from .._util import write_atomically
from ._budget import LoadBudget, array_bytes, no_memory_error
from ._checks import file_error
from ._text import LINE_LIMIT, scan_file
from .io import TEXT_DELIMITERS, _extension, guarded

MAX_REGIONS = 100_000
EDGE_BYTES = 48  # per line: its three numbers, and the sort that finds repeated edges


@no_memory_error
def read_edge_list(
    path: str | os.PathLike,
    n_regions: int | None = None,
    one_based: bool = False,
    symmetric: bool = False,
    *,
    max_bytes: int | str | None = None,
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
    max_bytes : int or str, optional
        Memory limit (see :func:`~tvb_ngnmm.connectomes.read_array`); the dense matrix needs
        ``n_regions² × 8`` bytes, the edges 48 bytes a line.

    Returns
    -------
    numpy.ndarray, shape (n_regions, n_regions)
        The weight matrix (zero where the list has no edge).

    Raises
    ------
    ConnectomeFileError
        For lines that are not ``i j w``, indices out of range, repeated edges, a corrupt file,
        or a matrix larger than the memory limit (the message gives both sizes).
    """
    budget = LoadBudget(path, max_bytes)
    return read_edge_list_within(path, n_regions, one_based, symmetric, budget)


def read_edge_list_within(
    path: str | os.PathLike,
    n_regions: int | None,
    one_based: bool,
    symmetric: bool,
    budget: LoadBudget,
    matrices: int = 1,
) -> np.ndarray:
    """:func:`read_edge_list` charging ``budget`` for ``matrices`` dense ``n × n`` matrices."""
    delimiter = TEXT_DELIMITERS[_extension(path)]

    def read(path: Path) -> np.ndarray:
        lines, _ = scan_file(path)
        budget.charge(EDGE_BYTES * lines, f"its edges ({lines} lines)")
        if n_regions is not None:
            _charge_matrices(path, int(n_regions), budget, matrices)
        edges, declared = _parse(path, delimiter, n_regions, budget, matrices)
        return _dense(path, edges, declared, one_based, symmetric, budget, matrices)

    return guarded(path, read)


def _parse(
    path: Path, delimiter: str | None, n_regions: int | None, budget: LoadBudget, matrices: int
) -> tuple[tuple[array, array, array], int | None]:
    """The edges as three compact arrays, and the number of regions the file declares."""
    to, source, weight = array("q"), array("q"), array("d")
    number, header = 0, n_regions is None
    with path.open(encoding="utf-8") as handle:
        while line := handle.readline(LINE_LIMIT):
            if len(line) >= LINE_LIMIT:
                raise file_error(path, f"a line is longer than {LINE_LIMIT} characters.")
            text = line.split("#")[0]
            fields = (text.replace(",", " ") if delimiter == "," else text).split()
            if not fields:
                continue
            if header and len(fields) == 1:
                n_regions = _edge_int(path, fields[0], 1, "the number of regions")
                _charge_matrices(path, n_regions, budget, matrices)
                header = False
                continue
            header = False
            number += 1
            if len(fields) != 3:
                raise file_error(path, f"edge {number} should be 'to from weight', got {fields}.")
            try:
                to.append(int(fields[0]))
                source.append(int(fields[1]))
                weight.append(float(fields[2]))
            except (ValueError, OverflowError) as err:
                raise file_error(path, f"edge {number} is not 'int int number': {fields}.") from err
    return (to, source, weight), n_regions


def _edge_int(path: object, text: str, line: int, what: str) -> int:
    try:
        return int(text)
    except ValueError as err:
        raise file_error(path, f"line {line} should be {what}, got {text!r}.") from err


def _charge_matrices(path: object, n: int, budget: LoadBudget, matrices: int) -> None:
    if not 0 < n <= MAX_REGIONS:
        raise file_error(path, f"the number of regions must lie in [1, {MAX_REGIONS}], got {n}.")
    what = "a dense matrix" if matrices == 1 else f"{matrices} dense matrices"
    budget.charge(array_bytes((n, n), 8) * matrices, f"{what} of {n} × {n} float64")


def _dense(
    path: Path,
    edges: tuple[array, array, array],
    n_regions: int | None,
    one_based: bool,
    symmetric: bool,
    budget: LoadBudget,
    matrices: int,
) -> np.ndarray:
    to, source, weight = (np.frombuffer(values, dtype=values.typecode) for values in edges)
    if not to.size:
        raise file_error(path, "it holds no edges.")
    to, source = to - int(one_based), source - int(one_based)
    low, high = int(min(to.min(), source.min())), int(max(to.max(), source.max()))
    n = high + 1 if n_regions is None else int(n_regions)
    if n_regions is None:  # else charged when the file or the caller gave it
        _charge_matrices(path, n, budget, matrices)
    if low < 0 or high >= n:
        raise file_error(
            path,
            f"region indices must lie in [{int(one_based)}, {n - 1 + int(one_based)}] for {n} "
            f"regions, but range over [{low + one_based}, {high + one_based}].",
        )
    pairs = (np.minimum(to, source), np.maximum(to, source)) if symmetric else (to, source)
    keys = np.sort(pairs[0] * n + pairs[1])
    if np.any(keys[1:] == keys[:-1]):
        raise file_error(path, "some edges appear more than once.")
    weights = np.zeros((n, n))
    weights[to, source] = weight
    if symmetric:
        weights[source, to] = weight
    return weights


def save_edge_list(
    weights: object, path: str | os.PathLike, one_based: bool = False, header: bool = True
) -> Path:
    """Write the non-zero entries of ``W[to, from]`` as ``to from weight`` lines (atomic).

    With ``header``, the first line is the number of regions (as in ``sc2017.dat``).

    Parameters
    ----------
    weights : array_like
        The weights ``W[to, from]``.
    path : str or os.PathLike
        The file.
    one_based : bool
        Whether region numbers start at 1 (else 0).
    header : bool
        Whether the first line is the number of regions.
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
