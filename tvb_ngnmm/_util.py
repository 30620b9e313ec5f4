"""Small helpers the whole package shares: argument checks, atomic writes, optional matplotlib.

The checks raise MNE-style errors naming the parameter, the allowed values and what was given:
``Invalid value for the 'normalize' parameter. Allowed values are 'none', 'rw', 'sym', but got
'row' instead.``
"""

from __future__ import annotations

import numbers
import os
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

__all__ = [
    "check_choice",
    "check_seed",
    "check_values",
    "describe_bad",
    "format_choices",
    "pyplot",
    "write_atomically",
]


def format_choices(allowed: Sequence[str]) -> str:
    """``('a', 'b')`` -> ``"'a', 'b'"``, for error messages."""
    return ", ".join(repr(choice) for choice in allowed)


def check_choice(name: str, value: object, allowed: Sequence[str], owner: str = "") -> str:
    """Return ``value`` if it is one of ``allowed``, else raise a ``ValueError`` naming ``name``.

    Parameters
    ----------
    name : str
        The parameter's name, as the message names it.
    value : object
        What was given.
    allowed : sequence of str
        The allowed values.
    owner : str, optional
        What the parameter belongs to (a class or function name), named in the message.

    Returns
    -------
    str
        ``value``.
    """
    if not isinstance(value, str) or value not in allowed:
        where = f" of {owner}" if owner else ""
        raise ValueError(
            f"Invalid value for the {name!r} parameter{where}. Allowed values are "
            f"{format_choices(allowed)}, but got {value!r} instead."
        )
    return value


def describe_bad(values: np.ndarray, bad: np.ndarray) -> str:
    """The first bad value with its index, and how many there are, e.g. ``'nan at (1, 2)'``."""
    values = np.asarray(values)
    if values.size == 1:
        return repr(float(values.ravel()[0]))
    index = tuple(int(i) for i in np.argwhere(bad)[0])
    first = f"{float(values[index])!r} at index {index[0] if len(index) == 1 else index}"
    n_bad = int(np.count_nonzero(bad))
    return first if n_bad == 1 else f"{first} ({n_bad} of {values.size} values)"


def check_values(values, what: str, allowed: str = "finite numbers", ok=None) -> None:
    """Raise ``ValueError`` naming ``what`` unless every value is finite (and ``ok``).

    Parameters
    ----------
    values : array_like
        The values to check.
    what : str
        What they are, as the message names it (e.g. ``"the 'a' parameter"``).
    allowed : str
        What is allowed, as the message says it.
    ok : callable, optional
        ``ok(values)``: a boolean array, True where a finite value is also allowed.
    """
    values = np.asarray(values, dtype=float)
    good = np.isfinite(values)
    if ok is not None:
        with np.errstate(invalid="ignore"):
            good &= ok(values)
    if not good.all():
        raise ValueError(
            f"Invalid value for {what}. Allowed values are {allowed}, but got "
            f"{describe_bad(values, ~good)} instead."
        )


def write_atomically(path: str | os.PathLike, write: Callable[[Path], None]) -> Path:
    """Call ``write(temporary_path)`` then rename the file to ``path``; nothing half-written.

    The temporary file sits in the target's folder (same file system) and ends with the target's
    name (``.<random>.part-<name>``), so writers that read the format from the ending (NIfTI,
    netCDF, MNE's FIF, matplotlib) accept it. It is created exclusively with the usual permissions
    (the umask applies) and removed if ``write`` fails.
    """
    target = Path(path)
    temporary = target.parent / f".{uuid.uuid4().hex}.part-{target.name}"
    with open(temporary, "x"):
        pass
    try:
        write(temporary)
        os.replace(temporary, target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return target


def pyplot(what: str = "Plotting"):
    """``matplotlib.pyplot``, or an ``ImportError`` saying that ``what`` needs the plot extra."""
    try:
        # deferred: optional extra 'plot'
        import matplotlib.pyplot as plt  # noqa: PLC0415
    except ImportError as error:  # pragma: no cover - depends on the environment
        raise ImportError(f"{what} needs matplotlib: pip install 'tvb-ngnmm[plot]'.") from error
    return plt


class UndefinedMeasureWarning(RuntimeWarning):
    """A measure is undefined for some regions (e.g. a constant signal) and is NaN there.

    Parameters
    ----------
    message : str
        The warning's message.
    regions : tuple of int
        Column indices of the regions whose entries are NaN (``(0,)`` for a single 1-D signal);
        empty when the reason is not tied to regions (e.g. a flat spectrum). Kept as the
        attribute ``regions``.
    """

    def __init__(self, message: str, regions: tuple[int, ...] = ()) -> None:
        super().__init__(message)
        self.regions = tuple(int(r) for r in regions)


def check_seed(seed, allow_generator: bool = True, name: str = "seed") -> None:
    """``seed``: None, a non-negative integer, or (where allowed) a ``numpy.random.Generator``;
    ``name`` is the parameter the error names."""
    if seed is None or (allow_generator and isinstance(seed, np.random.Generator)):
        return
    if isinstance(seed, numbers.Integral) and not isinstance(seed, bool) and seed >= 0:
        return
    allowed = "None, a non-negative integer" + (" or a numpy.random.Generator" * allow_generator)
    raise ValueError(
        f"Invalid value for the {name!r} parameter. Allowed values are {allowed}, but got "
        f"{seed!r} instead."
    )
