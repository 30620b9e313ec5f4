"""TVB's connectivity zip format, read in memory and written atomically.

A TVB connectivity zip holds text members, each optionally bz2-compressed and optionally
inside one folder: ``weights.txt`` and ``tract_lengths.txt`` (``n × n``), ``centres.txt``
(``label x y z`` per line, mm), and optionally ``cortical.txt``, ``hemispheres.txt`` (0/1 per
region), ``areas.txt`` (mm²) and ``average_orientations.txt`` (``n × 3``). TVB's own reader
(``Connectivity.from_file``) copies bz2 members to temporary files; this one reads every member
in memory, and refuses archives whose member names would land outside their folder.
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

from ._checks import file_error, make_connectivity, write_atomically

MAX_MEMBER_BYTES = 256 * 1024**2  # a 10,000-region text matrix is ~250 MB
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


def _read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, path: object) -> str:
    if info.file_size > MAX_MEMBER_BYTES:
        raise file_error(path, f"member {info.filename!r} is larger than {MAX_MEMBER_BYTES} bytes.")
    try:
        data = archive.read(info)
        if info.filename.endswith(".bz2"):
            decompressor = bz2.BZ2Decompressor()
            data = decompressor.decompress(data, max_length=MAX_MEMBER_BYTES)
            if not decompressor.eof:
                raise ValueError("bz2 stream truncated or too large")
        return data.decode("utf-8")
    except Exception as err:  # zipfile, zlib and bz2 raise many types on damaged bytes
        raise file_error(
            path, f"member {info.filename!r} is corrupt or truncated ({err})."
        ) from err


def _parse_numbers(text: str, member: str, path: object) -> np.ndarray:
    if not text.strip():
        raise file_error(path, f"member {member!r} is empty.")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # e.g. a member holding only comments
            return np.loadtxt(io.StringIO(text), dtype=float, ndmin=2)
    except (ValueError, UserWarning) as err:
        raise file_error(path, f"member {member!r} is not a numeric table ({err}).") from err


def _parse_centres(text: str, path: object) -> tuple[np.ndarray, np.ndarray]:
    labels, xyz = [], []
    for number, line in enumerate(text.splitlines(), start=1):
        fields = line.split()
        if not fields:
            continue
        try:
            xyz.append([float(value) for value in fields[1:4]])
        except ValueError:
            xyz.append([])
        if len(fields) < 4 or len(xyz[-1]) != 3:
            raise file_error(
                path, f"centres line {number} should be 'label x y z', but got {line.strip()!r}."
            )
        labels.append(fields[0])
    return np.array(labels, dtype=str), np.array(xyz, dtype=float).reshape(-1, 3)


def read_tvb_members(source: str | os.PathLike | bytes) -> dict[str, object]:
    """The fields of a TVB connectivity zip (``weights``, ``centres``, ...) as arrays."""
    path = "<bytes>" if isinstance(source, bytes) else source
    try:
        archive = zipfile.ZipFile(io.BytesIO(source) if isinstance(source, bytes) else source)
    except FileNotFoundError:
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
            text = _read_member(archive, info, path)
            if field == "centres":
                fields["region_labels"], fields["centres"] = _parse_centres(text, path)
            else:
                fields[field] = _parse_numbers(text, info.filename, path)
    missing = {"weights", "tract_lengths", "centres"} - set(fields)
    if missing:
        raise file_error(path, f"no {', '.join(sorted(missing))} member(s) in the archive.")
    for field in ("cortical", "hemispheres", "areas"):
        if field in fields:
            fields[field] = np.ravel(fields[field])
    return fields


def read_tvb_zip(source: str | os.PathLike | bytes, conduction_speed: float = 3.0) -> Connectivity:
    """Read a TVB connectivity zip into a configured ``Connectivity``.

    Parameters
    ----------
    source : path or bytes
        The zip file (or its content).
    conduction_speed : float
        In mm/ms (the format does not store one).

    Returns
    -------
    tvb.datatypes.connectivity.Connectivity

    Raises
    ------
    ConnectomeFileError
        If the archive is corrupt, truncated, misses a member, has members escaping its folder,
        or its arrays do not fit together.
    """
    fields = read_tvb_members(source)
    try:
        return make_connectivity(conduction_speed=conduction_speed, **fields)
    except ValueError as err:
        raise file_error("<bytes>" if isinstance(source, bytes) else source, str(err)) from err


def _matrix_text(array: np.ndarray, fmt: str = "%.18e") -> str:
    buffer = io.StringIO()
    np.savetxt(buffer, np.atleast_1d(array), fmt=fmt)
    return buffer.getvalue()


def write_tvb_zip(connectivity: Connectivity, path: str | os.PathLike) -> Path:
    """Write ``connectivity`` as a TVB connectivity zip (readable by ``Connectivity.from_file``).

    Members: ``weights.txt``, ``tract_lengths.txt``, ``centres.txt`` and, where present,
    ``hemispheres.txt``, ``cortical.txt``, ``areas.txt``, ``average_orientations.txt``.
    Written to a temporary file renamed to ``path``.
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
