"""TVB's connectivity zip format, read in memory and written atomically.

A TVB connectivity zip holds text members, each optionally bz2-compressed and optionally
inside one folder: ``weights.txt`` and ``tract_lengths.txt`` (``n × n``), ``centres.txt``
(``label x y z`` per line, mm), and optionally ``cortical.txt``, ``hemispheres.txt`` (0/1 per
region), ``areas.txt`` (mm²) and ``average_orientations.txt`` (``n × 3``). TVB's own reader
(``Connectivity.from_file``) copies bz2 members to temporary files; this one reads every member
in memory, and refuses archives whose member names would land outside their folder.

Reading stays within the memory limit (2 GB unless raised; see ``max_bytes``): each member's
declared uncompressed size is charged before it is decompressed, bz2 members are decompressed
no further than the limit, text tables are sized (lines × columns) before they are parsed, and
the ``n × n`` matrices of the configured ``Connectivity`` are charged before it is built.
"""

from __future__ import annotations

import bz2
import io
import os
import warnings
import zipfile
from pathlib import Path, PurePosixPath

import numpy as np
from tvb.datatypes.connectivity import Connectivity

from .._util import write_atomically
from ._budget import LoadBudget, format_bytes, no_memory_error, open_zip
from ._checks import (
    ConnectomeFileError,
    check_file,
    file_error,
    make_connectivity,
)
from ._text import lines_bytes, read_table, scan_bytes

_FIELDS = {
    "weights": "weights",
    "tract_lengths": "tract_lengths",
    "centres": "centres",
    "centers": "centres",
    "average_orientations": "orientations",
    "orientations": "orientations",
    "cortical": "cortical",
    "hemispheres": "hemispheres",
    "areas": "areas",
}


def check_member_names(archive: zipfile.ZipFile, path: object) -> None:
    """Refuse an archive with a member that is absolute or climbs out of its folder (``..``)."""
    for name in archive.namelist():
        parts = PurePosixPath(name.replace("\\", "/")).parts
        if name.startswith(("/", "\\")) or ".." in parts or (parts and ":" in parts[0]):
            raise file_error(
                path,
                f"the zip member {name!r} would land outside the target folder (absolute path or "
                "'..'); the archive is refused.",
            )


def _member_field(name: str) -> str | None:
    base = PurePosixPath(name).name
    if name.startswith("__MACOSX") or base.startswith("."):
        return None
    for extension in (".txt.bz2", ".bz2", ".txt"):
        if base.endswith(extension):
            return _FIELDS.get(base[: -len(extension)])
    return None


def _read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, budget: LoadBudget) -> bytes:
    """A member's bytes (bz2 undone): at most its declared size, and no more than the limit."""
    budget.charge(
        2 * info.file_size,
        f"member {info.filename!r}: {format_bytes(info.file_size)} declared uncompressed, "
        "held twice while read",
    )
    try:
        data = archive.read(info)  # zipfile yields no more than the declared size
        if not info.filename.endswith(".bz2"):
            return data
        room = budget.limit - budget.charged
        decompressor = bz2.BZ2Decompressor()
        text = decompressor.decompress(data, max_length=room + 1)
    except MemoryError:
        raise
    except Exception as err:  # zipfile, zlib and bz2 raise many types on damaged bytes
        raise file_error(
            budget.source, f"member {info.filename!r} is corrupt or truncated ({err})."
        ) from err
    if len(text) > room:
        budget.charge(len(text), f"member {info.filename!r}, bz2 text beyond {format_bytes(room)}")
    if not decompressor.eof:
        raise file_error(budget.source, f"member {info.filename!r} is corrupt or truncated.")
    budget.charge(len(text), f"member {info.filename!r}, bz2-decompressed")
    return text


def _parse_numbers(text: bytes, member: str, budget: LoadBudget) -> np.ndarray:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # e.g. a member holding only comments
            return read_table(text, None, budget, f"member {member!r}")
    except ConnectomeFileError:
        raise
    except (ValueError, UserWarning) as err:
        raise file_error(
            budget.source, f"member {member!r} is not a numeric table ({err})."
        ) from err


def _parse_centres(text: bytes, budget: LoadBudget) -> tuple[np.ndarray, np.ndarray]:
    lines = text.count(b"\n") + 1
    budget.charge(lines_bytes(len(text), lines), f"the centres member, {lines} lines")
    try:
        decoded = text.decode("utf-8")
    except UnicodeDecodeError as err:
        raise file_error(budget.source, f"the centres member is not UTF-8 text ({err}).") from err
    labels, xyz = [], []
    for number, line in enumerate(decoded.splitlines(), start=1):
        fields = line.split()
        if not fields:
            continue
        try:
            xyz.append([float(value) for value in fields[1:4]])
        except ValueError:
            xyz.append([])
        if len(fields) < 4 or len(xyz[-1]) != 3:
            raise file_error(
                budget.source,
                f"centres line {number} should be 'label x y z', but got {line.strip()!r}.",
            )
        labels.append(fields[0])
    return np.array(labels, dtype=str), np.array(xyz, dtype=float).reshape(-1, 3)


def _read_field(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, field: str, budget: LoadBudget
) -> dict[str, np.ndarray]:
    """The field(s) of one member; its text is charged only while it is parsed."""
    before = budget.charged
    text = _read_member(archive, info, budget)
    held = budget.charged - before
    try:
        if field == "centres":
            labels, centres = _parse_centres(text, budget)
            return {"region_labels": labels, "centres": centres}
        if field == "weights":  # refuse a connectivity too large before parsing its weights
            first = scan_bytes(text)[1]
            budget.charge_connectivity(len(first.split(b"#")[0].split()) if first else 0)
        return {field: _parse_numbers(text, info.filename, budget)}
    finally:
        budget.release(held)


@no_memory_error
def read_tvb_members(
    source: str | os.PathLike | bytes, *, max_bytes: int | str | None = None
) -> dict[str, object]:
    """The fields of a TVB connectivity zip (``weights``, ``centres``, ...) as arrays.

    ``max_bytes``: the memory limit (see :func:`read_tvb_zip`), which also counts the
    connectivity the fields will make.
    """
    path = "<bytes>" if isinstance(source, bytes) else source
    return _read_members(source, LoadBudget(path, max_bytes))


def _read_members(source: str | os.PathLike | bytes, budget: LoadBudget) -> dict[str, object]:
    path = budget.source
    file = io.BytesIO(source) if isinstance(source, bytes) else check_file(source)
    try:
        archive = open_zip(file, budget)
    except (ConnectomeFileError, MemoryError):
        raise
    except Exception as err:  # zipfile raises many types on damaged bytes
        raise file_error(path, f"not a readable zip archive ({err}).") from err
    with archive:
        check_member_names(archive, path)
        fields: dict[str, object] = {}
        for info in archive.infolist():
            field = _member_field(info.filename)
            if field is None or field in fields:
                continue
            fields.update(_read_field(archive, info, field, budget))
    missing = {"weights", "tract_lengths", "centres"} - set(fields)
    if missing:
        raise file_error(path, f"no {', '.join(sorted(missing))} member(s) in the archive.")
    for field in ("cortical", "hemispheres", "areas"):
        if field in fields:
            fields[field] = np.ravel(fields[field])
    return fields


@no_memory_error
def read_tvb_zip(
    source: str | os.PathLike | bytes,
    conduction_speed: float = 3.0,
    *,
    max_bytes: int | str | None = None,
) -> Connectivity:
    """Read a TVB connectivity zip into a configured ``Connectivity``.

    Parameters
    ----------
    source : path or bytes
        The zip file (or its content).
    conduction_speed : float
        In mm/ms (the format does not store one).
    max_bytes : int or str, optional
        Memory limit (see :func:`~tvb_ngnmm.connectomes.read_array`) for the decompressed
        members, the parsed tables and the connectivity built from them.

    Returns
    -------
    tvb.datatypes.connectivity.Connectivity
        The configured connectivity read from the archive.

    Raises
    ------
    ConnectomeFileError
        If the path is a directory, the archive is corrupt, truncated, misses a member, has
        members escaping its folder, its arrays do not fit together, or it needs more memory
        than the limit.
    """
    budget = LoadBudget("<bytes>" if isinstance(source, bytes) else source, max_bytes)
    fields = _read_members(source, budget)
    try:
        return make_connectivity(conduction_speed=conduction_speed, **fields)
    except ValueError as err:
        raise file_error(budget.source, str(err)) from err


def _matrix_text(array: np.ndarray, fmt: str = "%.18e") -> str:
    buffer = io.StringIO()
    np.savetxt(buffer, np.atleast_1d(array), fmt=fmt)
    return buffer.getvalue()


def write_tvb_zip(connectivity: Connectivity, path: str | os.PathLike) -> Path:
    """Write ``connectivity`` as a TVB connectivity zip (readable by ``Connectivity.from_file``).

    Members: ``weights.txt``, ``tract_lengths.txt``, ``centres.txt`` and, where present,
    ``hemispheres.txt``, ``cortical.txt``, ``areas.txt``, ``average_orientations.txt``.
    Written to a temporary file renamed to ``path``.

    Parameters
    ----------
    connectivity : Connectivity
        The connectivity.
    path : str or os.PathLike
        The zip file.
    """
    conn = connectivity
    centres = "".join(
        f"{label} {x:.9g} {y:.9g} {z:.9g}\n"
        for label, (x, y, z) in zip(conn.region_labels, conn.centres, strict=True)
    )
    members = {
        "weights.txt": _matrix_text(conn.weights),
        "tract_lengths.txt": _matrix_text(conn.tract_lengths),
        "centres.txt": centres,
    }
    for name, value, fmt in (
        ("hemispheres.txt", conn.hemispheres, "%d"),
        ("cortical.txt", conn.cortical, "%d"),
        ("areas.txt", conn.areas, "%.18e"),
        ("average_orientations.txt", conn.orientations, "%.18e"),
    ):
        if value is not None and np.size(value):
            members[name] = _matrix_text(np.asarray(value, dtype=float), fmt)

    def write(temporary: Path) -> None:
        with zipfile.ZipFile(temporary, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for name, text in members.items():
                archive.writestr(name, text)

    return write_atomically(path, write)
