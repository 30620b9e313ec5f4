"""Text tables and lines, sized before they are parsed.

A text matrix holds at most ``lines × fields of its first data line`` numbers (every row must
have as many), so counting newlines in bounded chunks gives its float64 size before
``numpy.loadtxt`` runs; tables are parsed from bytes (``io.BytesIO``), never from a
``StringIO`` that would hold four bytes a character.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np

from ._budget import LoadBudget
from ._checks import file_error

CHUNK_BYTES = 1 << 20
LINE_LIMIT = 1 << 26  # a first data line longer than this is sized by the file's length
LINE_BYTES = 128  # Python's own cost of one line as a str in a list, roughly


def _has_data(line: bytes) -> bool:
    return bool(line.split(b"#")[0].strip())


def scan_file(path: Path) -> tuple[int, bytes | None]:
    """The number of lines of a file and its first line with data (None if it has none)."""
    lines, first, last = 0, None, b"\n"
    with path.open("rb") as handle:
        while first is None and (line := handle.readline(LINE_LIMIT)):
            lines, last = lines + line.endswith(b"\n"), line[-1:]
            first = line if _has_data(line) else None
        while chunk := handle.read(CHUNK_BYTES):
            lines, last = lines + chunk.count(b"\n"), chunk[-1:]
    return lines + (last != b"\n"), first


def scan_bytes(data: bytes) -> tuple[int, bytes | None]:
    """As :func:`scan_file`, for text in memory."""
    lines = data.count(b"\n") + (not data.endswith(b"\n"))
    start = 0
    while start < len(data):
        end = data.find(b"\n", start, start + LINE_LIMIT)
        end = min(len(data), start + LINE_LIMIT) if end < 0 else end + 1
        if _has_data(data[start:end]):
            return lines, data[start:end]
        start = end
    return lines, None


def table_bytes(lines: int, first: bytes, size: int, delimiter: str | None) -> tuple[int, str]:
    """Float64 bytes of a text table, lines × fields of the first line (else 4 × size), and
    how they were counted."""
    if len(first) >= LINE_LIMIT and not first.endswith(b"\n"):
        return 4 * (size + 1), f"up to one float64 every two of its {size} bytes"
    content = first.split(b"#")[0]
    fields = len(content.split() if delimiter is None else content.split(delimiter.encode()))
    return lines * fields * 8, f"{lines} lines × {fields} columns of float64"


def read_table(
    source: Path | bytes, delimiter: str | None, budget: LoadBudget, what: str
) -> np.ndarray:
    """A 2-D float64 array from a text table (a file, or bytes of a zip member)."""
    in_memory = isinstance(source, bytes)
    lines, first = scan_bytes(source) if in_memory else scan_file(source)
    if first is None:
        raise file_error(budget.source, f"{what} holds no numbers (it is empty or only comments).")
    size, counted = table_bytes(
        lines, first, len(source) if in_memory else source.stat().st_size, delimiter
    )
    budget.charge(size, f"{what}: {counted}")
    text = io.BytesIO(source) if in_memory else source
    return np.loadtxt(text, dtype=float, delimiter=delimiter, comments="#", ndmin=2)


def lines_bytes(size: int, lines: int) -> int:
    """What reading ``size`` bytes of text as a list of ``lines`` str costs, roughly."""
    return 9 * size + LINE_BYTES * lines  # bytes, str (up to 4 a char), and the lines' copies
