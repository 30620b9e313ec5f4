"""The memory budget of the file loaders: a file cannot ask for more than the limit.

Before allocating, every loader estimates what a file will need from what the file declares
(the region count of an edge list, the shape and dtype in a ``.npy`` header, an HDF5 dataset or
a MATLAB variable, the uncompressed size of a zip member, the shape of a NIfTI image), adds what
it has already charged, and refuses beyond the limit with a :class:`ConnectomeFileError` naming
the file, the size asked for and the limit. Compressed content is read in bounded chunks, so a
member that decompresses beyond its declared size is never held whole.

The limit, in bytes (default 2 GB, ``DEFAULT_MAX_LOAD_BYTES``), is chosen in this order:

1. ``max_bytes=`` of the loader called (``read_array``, ``read_connectivity``, ...);
2. :func:`set_max_load_bytes` (for the whole session);
3. the environment variable ``TVB_NGNMM_MAX_LOAD_BYTES``;
4. the default.

Each accepts an integer number of bytes or a size such as ``'4 GB'`` or ``'500 MiB'``. The
estimates count the arrays a loader builds (a whole connectome counts its ``n × n`` matrices),
not Python's own overhead, so the process may use somewhat more than the limit.
"""

from __future__ import annotations

import functools
import math
import os
import re
import zipfile
from collections.abc import Callable
from typing import TypeVar

import numpy as np

from ._checks import ConnectomeFileError, file_error

DEFAULT_MAX_LOAD_BYTES = 2_000_000_000
ENVIRONMENT_VARIABLE = "TVB_NGNMM_MAX_LOAD_BYTES"
CONNECTIVITY_MATRICES = 7  # n × n float64 arrays at the peak of building a Connectivity
_UNITS = {
    "": 1,
    "b": 1,
    "kb": 10**3,
    "mb": 10**6,
    "gb": 10**9,
    "tb": 10**12,
    "kib": 2**10,
    "mib": 2**20,
    "gib": 2**30,
    "tib": 2**40,
}
_SIZE = re.compile(r"^\s*([0-9]+(?:\.[0-9]*)?)\s*([a-zA-Z]*)\s*$")
_session_limit: int | None = None


def parse_bytes(value: object, name: str = "max_bytes") -> int:
    """A size in bytes from an integer or a string such as ``'4 GB'``, ``'500MiB'``, ``'1e9'``.

    Raises a ``ValueError`` naming ``name`` unless the size is a positive number of bytes.
    """
    size: float | None = None
    if isinstance(value, int | np.integer) and not isinstance(value, bool):
        size = float(value)
    elif isinstance(value, float) and value.is_integer():
        size = value
    elif isinstance(value, str):
        match = _SIZE.match(value.replace("_", ""))
        if match is None:
            try:
                size = float(value)
            except ValueError:
                size = None
        elif match.group(2).lower() in _UNITS:
            size = float(match.group(1)) * _UNITS[match.group(2).lower()]
    if size is None or not math.isfinite(size) or size < 1:
        raise ValueError(
            f"Invalid value for the {name!r} parameter. Allowed values are a positive number of "
            "bytes (an integer, or a string such as '4 GB' or '500 MiB'), but got "
            f"{value!r} instead."
        )
    return int(size)


def format_bytes(size: int) -> str:
    """``3_200_000_000`` -> ``'3.2 GB'`` (decimal units, as disks and ``ls -h --si`` count)."""
    for unit, scale in (("TB", 10**12), ("GB", 10**9), ("MB", 10**6), ("kB", 10**3)):
        if size >= scale:
            return f"{size / scale:.3g} {unit}"
    return f"{size} bytes"


def set_max_load_bytes(max_bytes: int | str | None) -> int | None:
    """Set the memory limit of every loader for this session; None goes back to the default.

    Parameters
    ----------
    max_bytes : int, str or None
        Bytes, or a size such as ``'8 GB'``. None: the environment variable
        ``TVB_NGNMM_MAX_LOAD_BYTES`` if set, else ``DEFAULT_MAX_LOAD_BYTES`` (2 GB).

    Returns
    -------
    int or None
        The previous session limit (None if there was none), to restore it later.
    """
    global _session_limit
    previous = _session_limit
    _session_limit = None if max_bytes is None else parse_bytes(max_bytes)
    return previous


def get_max_load_bytes(max_bytes: int | str | None = None) -> int:
    """The limit in bytes: ``max_bytes``, else the session's, else the environment's, else 2 GB.

    Parameters
    ----------
    max_bytes : int or str, optional
        A limit (bytes, or a string such as ``'2 GB'``) that takes precedence.
    """
    if max_bytes is not None:
        return parse_bytes(max_bytes)
    if _session_limit is not None:
        return _session_limit
    if os.environ.get(ENVIRONMENT_VARIABLE, "").strip():
        return parse_bytes(os.environ[ENVIRONMENT_VARIABLE], ENVIRONMENT_VARIABLE)
    return DEFAULT_MAX_LOAD_BYTES


def array_bytes(shape: tuple[int, ...], itemsize: int) -> int:
    """Bytes of an array of ``shape`` (Python integers: no overflow for absurd shapes)."""
    return math.prod(int(extent) for extent in shape) * int(itemsize)


class LoadBudget:
    """What one loader call has charged against the limit, for one file.

    Parameters
    ----------
    source : path-like or str
        The file, named in the error.
    max_bytes : int, str or None
        See :func:`get_max_load_bytes`.
    """

    def __init__(self, source: object, max_bytes: int | str | None = None) -> None:
        self.source = source
        self.limit = get_max_load_bytes(max_bytes)
        self.charged = 0

    def check(self, size: int, what: str) -> None:
        """Refuse if ``size`` more bytes for ``what`` would pass the limit (nothing charged)."""
        if self.charged + size > self.limit:
            held = (
                f" on top of {format_bytes(self.charged)} already counted" if self.charged else ""
            )
            raise ConnectomeFileError(
                f"Cannot read connectome file '{self.source}': it asks for about "
                f"{format_bytes(size)} ({what}){held}, over the memory limit of "
                f"{format_bytes(self.limit)}. If the file is trusted, raise the limit with "
                f"max_bytes=, tvb_ngnmm.connectomes.set_max_load_bytes() or the "
                f"{ENVIRONMENT_VARIABLE} environment variable."
            )

    def charge(self, size: int, what: str) -> None:
        """Count ``size`` bytes for ``what`` (kept until the call ends); refuse beyond the limit."""
        self.check(size, what)
        self.charged += size

    def release(self, size: int) -> None:
        """Give back ``size`` bytes charged for a temporary that is gone."""
        self.charged -= size

    def charge_connectivity(self, n_regions: int) -> None:
        """Count the ``n × n`` matrices of a configured ``Connectivity`` of ``n_regions``."""
        self.charge(
            array_bytes((n_regions, n_regions), 8) * CONNECTIVITY_MATRICES,
            f"a connectivity of {n_regions} regions: {CONNECTIVITY_MATRICES} matrices of "
            f"{n_regions} × {n_regions} float64",
        )


ZIP_ENTRY_BYTES = 16  # Python's ZipInfo per byte of a zip's central directory, roughly


def open_zip(file: object, budget: LoadBudget) -> zipfile.ZipFile:
    """A ``ZipFile`` on ``file`` (a path or a binary stream), its directory charged first.

    ``zipfile`` builds one object per member on opening; a tiny archive listing millions of
    members is refused from the size of its central directory before that happens.
    """
    if isinstance(file, str | os.PathLike):
        with open(file, "rb") as handle:
            _charge_directory(handle, budget)
    else:
        _charge_directory(file, budget)
        file.seek(0)
    return zipfile.ZipFile(file)


def _charge_directory(handle: object, budget: LoadBudget) -> None:
    end = zipfile._EndRecData(handle)  # the end record: directory size and entries (private)
    if end is not None:
        budget.charge(
            end[zipfile._ECD_SIZE] * ZIP_ENTRY_BYTES,
            f"the zip directory of {end[zipfile._ECD_ENTRIES_TOTAL]} members",
        )


Loader = TypeVar("Loader", bound=Callable)


def no_memory_error(loader: Loader) -> Loader:
    """Turn a ``MemoryError`` inside ``loader`` into a ``ConnectomeFileError`` naming the file.

    The last line of defence, for what the estimates miss: the file is the first argument.
    """

    @functools.wraps(loader)
    def guarded(*args, **kwargs):
        try:
            return loader(*args, **kwargs)
        except MemoryError as err:
            source = args[0] if args and isinstance(args[0], str | os.PathLike) else "<data>"
            raise file_error(
                source,
                "the system ran out of memory while reading it (MemoryError), within the "
                f"memory limit of {format_bytes(get_max_load_bytes(kwargs.get('max_bytes')))}; "
                "lower the limit (max_bytes=) to refuse such files early, or free memory.",
            ) from err

    return guarded
