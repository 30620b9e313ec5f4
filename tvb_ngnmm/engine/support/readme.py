"""The README's tables of what the engine supports, written from the support matrix.

Each table sits between a marker pair naming it (``<!-- support-matrix:monitors -->`` ...
``<!-- /support-matrix:monitors -->``; the names are those of :data:`TABLES`).
:func:`update_readme` rewrites every marked table; the columns named *kept* in :data:`TABLES`
(measured agreement with stock TVB, notes) are the README's own, carried over row by row by the
name in the row's first cell (empty for a row the README does not have yet).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from ..._util import check_choice
from . import ModelSupport, SupportMatrix, support_matrix


def _code(names) -> str:
    return f"`{', '.join(names)}`" if names else ""


def _family(module: str) -> str:
    return module.rpartition(".")[2]


def _coupling_variables(row: ModelSupport) -> str:
    counts = row.cvar_counts
    if counts == (len(row.coupling_variables),):
        return _code(row.coupling_variables)
    return f"{_code(row.coupling_variables)} ({' or '.join(map(str, counts))} coupling variables)"


def _engine_form(row: ModelSupport) -> str:
    return "runs" if row.engine_form == "equations" else "runs (its `state_variable_dfuns`)"


def _model_rows(matrix: SupportMatrix, package: str) -> list[tuple[str, ...]]:
    rows = [
        (m.module, m.name, _code(m.state_variables), _coupling_variables(m), _engine_form(m))
        for m in matrix.models
        if m.module.startswith(package)
    ]
    rows += [
        (r.module, r.name, _code(r.state_variables), "", f"refused: {r.reason}")
        for r in matrix.refused_models
        if r.module.startswith(package)
    ]
    return [(f"`{name}`", f"`{_family(module)}`", *rest) for module, name, *rest in sorted(rows)]


def _coupling_table_rows(matrix: SupportMatrix) -> list[tuple[str, ...]]:
    return [
        (
            f"`{c.name}`",
            f"`{c.module}`",
            "linear" if c.linear else "nonlinear `pre`/`post`",
            _code(c.parameters),
            "yes" if c.gain else "no",
        )
        for c in matrix.couplings
        if c.module.startswith(("tvb.", "tvb_ngnmm."))
    ]


def _monitor_rows(matrix: SupportMatrix) -> list[tuple[str, ...]]:
    return [
        (f"`{m.name}`", f"`{m.module}`", f"`{m.engine_monitor}`", f"{m.space}s")
        for m in matrix.monitors
        if m.module.startswith(("tvb.", "tvb_ngnmm."))
    ]


def _integrator_rows(matrix: SupportMatrix) -> list[tuple[str, ...]]:
    return [
        (f"`{i.name}`", i.scheme, "TVB's `Additive` (white)" if i.stochastic else "none")
        for i in matrix.integrators
    ]


@dataclass(frozen=True)
class Table:
    """A README table: its columns from the matrix, ``rows`` giving their cells, and the
    ``kept`` columns after them, which the README keeps row by row."""

    columns: tuple[str, ...]
    rows: Callable[[SupportMatrix], list[tuple[str, ...]]]
    kept: tuple[str, ...] = ()


_MODEL_COLUMNS = ("State variables", "Coupling variables", "Engine")

#: The README's tables, by the name in their markers.
TABLES: dict[str, Table] = {
    "models": Table(
        ("Model", "Module (`tvb_ngnmm.models.`)", *_MODEL_COLUMNS),
        lambda m: _model_rows(m, "tvb_ngnmm."),
    ),
    "tvb-models": Table(
        ("TVB model", "Module (`tvb.simulator.models.`)", *_MODEL_COLUMNS),
        lambda m: _model_rows(m, "tvb."),
        kept=("Typical coupling", "Deterministic", "Stochastic", "Notes"),
    ),
    "couplings": Table(
        ("Coupling", "Module", "Form", "Parameters", "Gain `a`"),
        _coupling_table_rows,
        kept=("Notes",),
    ),
    "monitors": Table(("Monitor", "Module", "Engine monitor", "Output"), _monitor_rows),
    "integrators": Table(("Integrator", "Scheme", "Noise"), _integrator_rows),
}


def _cells(line: str) -> list[str]:
    """The cells of a Markdown table row (``\\|`` is a pipe inside a cell)."""
    return [cell.strip() for cell in re.split(r"(?<!\\)\|", line.strip().strip("|"))]


def _kept_cells(table: Table, old: str) -> dict[str, dict[str, str]]:
    """``{first cell: {kept column: cell}}`` of the table ``old`` (Markdown)."""
    lines = [line for line in old.splitlines() if line.strip().startswith("|")]
    if len(lines) < 2:
        return {}
    header = _cells(lines[0])
    return {
        cells[0]: {
            column: cells[header.index(column)] if column in header else "" for column in table.kept
        }
        for cells in map(_cells, lines[2:])
    }


def markdown_table(name: str, matrix: SupportMatrix | None = None, old: str = "") -> str:
    """The README table ``name`` (one of :data:`TABLES`) in Markdown, ending with a newline.

    Parameters
    ----------
    name : str
        The table's name.
    matrix : SupportMatrix, optional
        Default: :func:`support_matrix`.
    old : str
        The table as the README has it: its kept columns are carried over row by row (empty for
        a row it does not have).
    """
    table = TABLES[check_choice("name", name, tuple(TABLES))]
    matrix = support_matrix() if matrix is None else matrix
    kept = _kept_cells(table, old)
    columns = (*table.columns, *table.kept)
    lines = ["| " + " | ".join(columns) + " |", "|" + " --- |" * len(columns)]
    for row in table.rows(matrix):
        extra = kept.get(row[0], {})
        cells = (*row, *(extra.get(column, "") for column in table.kept))
        lines.append("|" + "|".join(f" {cell} " if cell else " " for cell in cells) + "|")
    return "\n".join(lines) + "\n"


_MARKED = re.compile(
    r"(<!-- support-matrix:([\w-]+) -->\n)(.*?)(<!-- /support-matrix:\2 -->)", re.DOTALL
)


def marked_tables(text: str) -> tuple[str, ...]:
    """Names of the tables marked in ``text`` (a README), in order."""
    return tuple(match.group(2) for match in _MARKED.finditer(text))


def update_readme(text: str, matrix: SupportMatrix | None = None) -> str:
    """``text`` (a README) with every marked table rewritten from the support matrix.

    Raises
    ------
    ValueError
        If a marker names a table that :data:`TABLES` does not have.
    """
    matrix = support_matrix() if matrix is None else matrix

    def rewrite(match: re.Match) -> str:
        opening, name, old, closing = match.groups()
        table = markdown_table(name, matrix, old)
        return f"{opening}{table}\n{closing}"  # a blank line ends the table

    return _MARKED.sub(rewrite, text)
