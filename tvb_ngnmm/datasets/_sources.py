"""Where a dataset's files are: path patterns, dicts, or a table of paths (CSV/TSV).

Each subject has a structure file (``weights``; a TVB connectivity zip holds the tract lengths
too, else a ``lengths`` file) and one BOLD file per session. :func:`locate` gathers them as a
:class:`Sources` per subject, from patterns (``"data/{subject}/ses-{session}/bold.npy"``), dicts
(``{subject: path}``, for BOLD also ``{subject: {session: path}}``) or a table whose rows are
``subject, weights, lengths, bold[, session][, repetition_time]``. Nothing is read here but the
table: the arrays are read by :mod:`.readers`.
"""

from __future__ import annotations

import csv
import glob
import math
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .._util import format_choices

KINDS = ("weights", "lengths", "bold")
SUBJECT, SESSION = "{subject}", "{session}"
#: The name of the only session of a subject whose files name none.
DEFAULT_SESSION = "1"
TABLE_COLUMNS = ("subject", "weights", "lengths", "bold", "session", "repetition_time")
TABLE_REQUIRED = ("subject", "weights", "bold")
TABLE_DELIMITERS = {".csv": ",", ".tsv": "\t"}


@dataclass
class Sources:
    """One subject's files: structure (a TVB zip leaves ``lengths`` None) and BOLD per session."""

    weights: Path
    lengths: Path | None
    bold: dict[str, Path] = field(default_factory=dict)


def is_zip(path: Path) -> bool:
    """Whether ``path`` names a TVB connectivity zip (by its extension)."""
    return Path(path).suffix.lower() == ".zip"


def existing_file(path: Path, parameter: str, what: str) -> Path:
    """``path`` if it names a regular file; else ``FileNotFoundError`` or ``ValueError``."""
    if not path.exists():
        raise FileNotFoundError(f"{what} '{path}' does not exist.")
    if not path.is_file():
        raise ValueError(
            f"Invalid value for the {parameter!r} parameter. Allowed values are the path of a "
            f"file, but got '{path}' (not a regular file) instead."
        )
    return path


def session_key(name: str) -> list:
    """Sort key putting ``'2'`` before ``'10'`` (numbers within names compared as numbers)."""
    return [
        (0, int(part), "") if part.isdigit() else (1, 0, part) for part in re.split(r"(\d+)", name)
    ]


def _bad_pattern(kind: str, pattern: object, sessions: bool) -> ValueError:
    session = f" and at most one '{SESSION}'" if sessions else f" (no '{SESSION}')"
    table = "{subject: path} or {subject: {session: path}}" if sessions else "{subject: path}"
    return ValueError(
        f"Invalid value for the {kind!r} parameter. Allowed values are a path pattern with "
        f"exactly one '{SUBJECT}'{session}, or a dict {table}, but got {pattern!r} instead."
    )


def _glob_pattern(kind: str, pattern: object, sessions: bool) -> dict[tuple[str, str], Path]:
    """``{(subject, session): path}`` of the files matching a pattern (session '' if none)."""
    text = os.fspath(pattern) if isinstance(pattern, str | os.PathLike) else None
    if text is None or text.count(SUBJECT) != 1 or text.count(SESSION) > int(sessions):
        raise _bad_pattern(kind, pattern, sessions)
    regex, wildcard = "", ""
    for part in re.split(r"(\{subject\}|\{session\})", text):
        if part in (SUBJECT, SESSION):
            regex += rf"(?P<{part[1:-1]}>[^/\\]+)"
            wildcard += "*"
        else:
            regex += re.escape(part)
            wildcard += glob.escape(part)
    matcher = re.compile(regex)
    found = {}
    for path in glob.glob(wildcard):
        match = matcher.fullmatch(path)
        if match:
            session = match.groupdict().get("session") or ""
            found[match["subject"], session] = Path(path)
    return found


def _find(kind: str, pattern: object) -> dict[str, dict[str, Path]]:
    """``{subject: {session: path}}`` from a dict or a pattern (session '' where none is named)."""
    sessions = kind == "bold"
    if isinstance(pattern, Mapping):
        found: dict[str, dict[str, Path]] = {}
        for name, value in pattern.items():
            if isinstance(value, Mapping) and sessions:
                found[str(name)] = {str(s): Path(path) for s, path in value.items()}
            elif isinstance(value, str | os.PathLike):
                found[str(name)] = {"": Path(value)}
            else:
                raise _bad_pattern(kind, pattern, sessions)
        return found
    found = {}
    for (name, session), path in _glob_pattern(kind, pattern, sessions).items():
        found.setdefault(name, {})[session] = path
    return found


def _missing(kind: str, name: str, given: object, note: str = "") -> ValueError:
    return ValueError(
        f"Invalid value for the {kind!r} parameter. Allowed values are a pattern or table with "
        f"a file for every subject{note}, but got none for subject {name!r} ({given!r}) instead."
    )


def _subject_names(subjects: object, found: Sequence[str], given: object) -> list[str]:
    if isinstance(subjects, str):
        raise ValueError(
            "Invalid value for the 'subjects' parameter. Allowed values are a sequence of "
            f"subject names, but got the string {subjects!r} instead."
        )
    names = sorted(found) if subjects is None else [str(s) for s in subjects]
    if not names:
        raise ValueError(
            "Invalid value for the 'weights' parameter. Allowed values are a pattern or table "
            f"naming at least one file, but got {given!r} (no file) instead."
        )
    return names


def _name_sessions(bold: dict[str, Path]) -> dict[str, Path]:
    """Sessions in name order; a file naming no session is session :data:`DEFAULT_SESSION`."""
    if set(bold) == {""}:
        return {DEFAULT_SESSION: bold[""]}
    return {name: bold[name] for name in sorted(bold, key=session_key)}


def from_patterns(
    weights: object, lengths: object, bold: object, subjects: object
) -> dict[str, Sources]:
    """``{subject: Sources}`` from one pattern or dict per kind; every subject has every kind.

    ``lengths`` may be None where every subject's weights are TVB connectivity zips.
    """
    given = {"weights": weights, "lengths": lengths, "bold": bold}
    for kind in ("weights", "bold"):
        if given[kind] is None:
            raise _bad_pattern(kind, None, kind == "bold")
    found = {kind: _find(kind, value) for kind, value in given.items() if value is not None}
    names = _subject_names(subjects, list(found["weights"]), weights)
    sources = {}
    for name in names:
        for kind in found:
            if name not in found[kind]:
                raise _missing(kind, name, given[kind])
        weights_path = found["weights"][name][""]
        length = found["lengths"].get(name, {}).get("") if lengths is not None else None
        check_structure_pair(name, weights_path, length, lengths)
        sources[name] = Sources(weights_path, length, _name_sessions(found["bold"][name]))
    return sources


def check_structure_pair(name: str, weights: Path, lengths: Path | None, given: object) -> None:
    """A lengths file exactly where the weights are not a TVB zip (which holds the lengths)."""
    if lengths is None and not is_zip(weights):
        raise _missing(
            "lengths",
            name,
            given,
            f" (None only where the weights are TVB zips; '{weights}' is not)",
        )
    if lengths is not None and is_zip(weights):
        raise ValueError(
            f"Invalid value for the 'lengths' parameter (file '{lengths}'). Allowed values are "
            f"None where the weights are a TVB connectivity zip holding the tract lengths "
            f"('{weights}', subject {name!r}), but got a file instead."
        )


# -- a table of paths ---------------------------------------------------------------------------


def _table_error(table: Path, line: int | None, column: str | None, allowed: str, given: str):
    where = f"file '{table}'"
    where += f", line {line}" if line is not None else ""
    where += f", column {column!r}" if column is not None else ""
    return ValueError(
        f"Invalid value for the 'table' parameter ({where}). Allowed values are {allowed}, "
        f"but got {given} instead."
    )


def _table_rows(table: Path) -> list[tuple[int, dict[str, str]]]:
    """``[(line, {column: cell})]``: the table's rows, cells stripped, every cell present."""
    delimiter = TABLE_DELIMITERS.get(table.suffix.lower())
    if delimiter is None:
        raise _table_error(
            table,
            None,
            None,
            f"a table of extension {format_choices(TABLE_DELIMITERS)}",
            repr(table.suffix),
        )
    with open(existing_file(table, "table", "Table"), encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle, delimiter=delimiter)
        columns = [name.strip() for name in reader.fieldnames or []]
        _check_columns(table, columns)
        reader.fieldnames = columns
        rows = []
        for row in reader:
            line = reader.line_num
            if None in row:
                given = f"{len(columns) + len(row[None])} cells for {len(columns)} columns"
                raise _table_error(table, line, None, "one cell per column", given)
            for column, cell in row.items():
                if column != "lengths" and not (cell or "").strip():
                    raise _table_error(table, line, column, "a cell in every row", "an empty cell")
            rows.append((line, {column: (cell or "").strip() for column, cell in row.items()}))
    if not rows:
        raise _table_error(table, None, None, "at least one row below the header", "none")
    return rows


def _check_columns(table: Path, columns: list[str]) -> None:
    allowed = f"the columns {format_choices(TABLE_COLUMNS)}"
    for column in columns:
        if column not in TABLE_COLUMNS:
            raise _table_error(table, 1, column, allowed, f"the unknown column {column!r}")
    for column in TABLE_REQUIRED:
        if column not in columns:
            raise _table_error(
                table,
                1,
                None,
                f"{allowed}, with {format_choices(TABLE_REQUIRED)}",
                f"no column {column!r} (columns {columns})",
            )
    repeated = sorted({column for column in columns if columns.count(column) > 1})
    if repeated:
        raise _table_error(table, 1, repeated[0], "each column once", "it twice or more")


def _table_repetition_time(table: Path, line: int, cell: str) -> float:
    try:
        value = float(cell)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value > 0):
        raise _table_error(table, line, "repetition_time", "a number of ms > 0", repr(cell))
    return value


def _resolve(table: Path, cell: str) -> Path:
    path = Path(cell).expanduser()
    return path if path.is_absolute() else table.parent / path


def _add_row(table: Path, line: int, row: dict, sources: dict, first_line: dict) -> None:
    """Add one row to ``sources``; a subject's rows must agree on its structure files."""
    name, session = row["subject"], row.get("session", "")
    weights = _resolve(table, row["weights"])
    lengths = _resolve(table, row["lengths"]) if row.get("lengths") else None
    if lengths is None and not is_zip(weights):
        raise _table_error(
            table,
            line,
            "lengths",
            "a cell in every row whose weights are not a TVB connectivity zip",
            "an empty cell",
        )
    if lengths is not None and is_zip(weights):
        raise _table_error(
            table,
            line,
            "lengths",
            "an empty cell where the weights are a TVB zip (it holds the tract lengths)",
            repr(row["lengths"]),
        )
    if name not in sources:
        sources[name] = Sources(weights, lengths)
        first_line[name] = line
    for column, value in (("weights", weights), ("lengths", lengths)):
        earlier = getattr(sources[name], column)
        if value != earlier:
            raise _table_error(
                table,
                line,
                column,
                f"the file of subject {name!r}'s line {first_line[name]} ('{earlier}')",
                f"'{value}'",
            )
    if session in sources[name].bold:
        what = f"(subject, session) = ({name!r}, {session!r})" if session else f"subject {name!r}"
        raise _table_error(
            table,
            line,
            "session" if session else "subject",
            "one row per subject and session",
            f"a second row for {what}",
        )
    sources[name].bold[session] = _resolve(table, row["bold"])


def from_table(table: object, subjects: object) -> tuple[dict[str, Sources], float | None]:
    """``{subject: Sources}`` from a CSV/TSV table of paths, and its repetition time (ms) if it
    has the column (one value for the whole table)."""
    if not isinstance(table, str | os.PathLike):
        raise ValueError(
            "Invalid value for the 'table' parameter. Allowed values are the path of a .csv or "
            f".tsv file, but got {table!r} instead."
        )
    table = Path(table)
    sources: dict[str, Sources] = {}
    first_line: dict[str, int] = {}
    repetition_time = None
    for line, row in _table_rows(table):
        _add_row(table, line, row, sources, first_line)
        if "repetition_time" in row:
            value = _table_repetition_time(table, line, row["repetition_time"])
            if repetition_time is None:
                repetition_time, tr_line = value, line
            elif value != repetition_time:
                raise _table_error(
                    table,
                    line,
                    "repetition_time",
                    f"one repetition time for "
                    f"the dataset ({repetition_time!r} ms at line {tr_line})",
                    repr(value),
                )
    names = list(sources) if subjects is None else _subject_names(subjects, [], table)
    for name in names:
        if name not in sources:
            raise ValueError(
                f"Invalid value for the 'subjects' parameter. Allowed values are subjects of the "
                f"table '{table}' ({format_choices(sorted(sources))}), but got {name!r} instead."
            )
        sources[name].bold = _name_sessions(sources[name].bold)
    return {name: sources[name] for name in names}, repetition_time
