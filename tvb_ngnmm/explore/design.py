"""Designs of a sweep: which parameter values to simulate, as a labelled table of points.

Three kinds, each a :class:`Design` of ``n_point`` rows (points) and one column per swept
parameter:

- :func:`grid` — every combination of the given values (the first parameter varies slowest);
- :func:`points` — an explicit list (per-region arrays allowed: one value per region);
- :func:`sobol` — a scrambled Sobol sample (``scipy.stats.qmc``) in ``[low, high)`` boxes.

A design knows nothing of the simulator; :func:`~tvb_ngnmm.explore.sweep` checks its names
against the simulator (model parameters, the coupling gain ``'a'``, ``'conduction_speed'``,
``'noise_amplitude'`` or a dotted path such as ``'coupling.b'``).
"""

from __future__ import annotations

import hashlib
import itertools
from dataclasses import dataclass, field

import numpy as np
from scipy.stats import qmc


def _bad(what: str, allowed: str, given) -> ValueError:
    return ValueError(
        f"Invalid value for the {what!r} parameter. Allowed {allowed}, but got {given!r} instead."
    )


@dataclass(frozen=True)
class Design:
    """Parameter values of the points of a sweep.

    Parameters
    ----------
    values : dict of str to ndarray
        ``{name: array}``, shape ``(n_point,)`` (one value per point) or ``(n_point, n_region)``.
    kind : str
        ``'grid'``, ``'points'`` or ``'sobol'``.
    units : dict of str to str
        Units of the parameters (stored as attributes with the results).
    shape : tuple of int, optional
        For a grid, the number of values of each parameter (row-major order of the points).
    """

    values: dict
    kind: str
    units: dict = field(default_factory=dict)
    shape: tuple | None = None

    @property
    def names(self) -> tuple:
        """The swept parameters, in order."""
        return tuple(self.values)

    @property
    def n_point(self) -> int:
        """Number of points."""
        return len(next(iter(self.values.values())))

    def fingerprint(self) -> str:
        """SHA-256 of the names, kinds and values (identifies the design of a store)."""
        digest = hashlib.sha256(self.kind.encode())
        for name, value in self.values.items():
            digest.update(name.encode())
            digest.update(np.ascontiguousarray(value, dtype=float).tobytes())
            digest.update(str(value.shape).encode())
        return digest.hexdigest()

    def point(self, k: int) -> dict:
        """The parameter values of point ``k``.

        Parameters
        ----------
        k : int
            The point's index.
        """
        return {name: value[k] for name, value in self.values.items()}


def _checked_values(name: str, value, what: str) -> np.ndarray:
    """``value`` as a finite float array, or an error naming ``name``."""
    if not isinstance(name, str) or not name:
        raise _bad(what, "are parameter names (non-empty strings)", name)
    try:
        arr = np.asarray(value, dtype=float)
        flags = [v for v in np.ravel(np.asarray(value, dtype=object))
                 if isinstance(v, bool | np.bool_)]  # fmt: skip
    except (TypeError, ValueError):
        raise _bad(what, f"values of {name!r} are numbers", value) from None
    if flags:  # True and False would be swept as 1.0 and 0.0
        raise _bad(what, f"values of {name!r} are numbers (not true or false)", value)
    if arr.size == 0:
        raise _bad(what, f"is one or more values of {name!r}", value)
    if not np.all(np.isfinite(arr)):
        raise _bad(what, f"are finite values of {name!r}", value)
    return arr


def grid(values: dict, units: dict | None = None) -> Design:
    """Every combination of the given values (the first parameter varies slowest).

    Parameters
    ----------
    values : dict
        ``{name: 1-D sequence of values}``, one or more parameters.
    units : dict, optional
        ``{name: unit}``.

    Returns
    -------
    Design
        Every combination of the values, one point each.
    """
    if not isinstance(values, dict) or not values:
        raise _bad("design", "is a dict {name: 1-D values} of one or more parameters", values)
    axes = {}
    for name, value in values.items():
        arr = _checked_values(name, value, "design")
        if arr.ndim != 1:
            raise _bad("design", f"are 1-D values of {name!r} for a grid", np.shape(value))
        axes[name] = arr
    rows = np.array(list(itertools.product(*axes.values())), dtype=float)
    table = {name: rows[:, k].copy() for k, name in enumerate(axes)}
    shape = tuple(len(a) for a in axes.values())
    return Design(table, "grid", dict(units or {}), shape)


def points(rows, units: dict | None = None) -> Design:
    """An explicit list of points.

    Parameters
    ----------
    rows : list of dict, or dict of sequences
        ``[{name: value, ...}, ...]`` with the same names in every point, or ``{name: values}``
        with the same number of values each. A value is a number or a per-region array.
    units : dict, optional
        ``{name: unit}``.

    Returns
    -------
    Design
        The points as given, one per row.
    """
    if isinstance(rows, dict):
        columns = rows
    elif isinstance(rows, list | tuple) and rows and all(isinstance(r, dict) for r in rows):
        names = list(rows[0])
        for k, row in enumerate(rows):
            if list(row) != names:
                raise _bad("design", f"are points with the names {names} (point 0)",
                           f"{list(row)} at point {k}")  # fmt: skip
        columns = {name: [row[name] for row in rows] for name in names}
    else:
        raise _bad("design", "is a non-empty list of {name: value} dicts", rows)
    if not columns:
        raise _bad("design", "are one or more parameters", rows)
    table = {}
    for name, value in columns.items():
        table[name] = _checked_values(name, value, "design")
        if table[name].ndim not in (1, 2):
            raise _bad("design", f"values of {name!r} are numbers or 1-D per-region arrays",
                       f"values of shape {table[name].shape}")  # fmt: skip
    sizes = {name: len(v) for name, v in table.items()}
    if len(set(sizes.values())) != 1:
        raise _bad("design", "are the same number of values for each parameter", sizes)
    return Design(table, "points", dict(units or {}))


def sobol(bounds: dict, n_point: int, seed: int = 0, units: dict | None = None) -> Design:
    """A scrambled Sobol sample of ``n_point`` points in ``[low, high)`` boxes.

    The points are the first ``n_point`` of a sequence of ``2**m >= n_point`` points
    (``scipy.stats.qmc.Sobol(...).random_base2(m)``); the balance properties of Sobol
    sequences hold exactly when ``n_point`` is a power of 2.

    Parameters
    ----------
    bounds : dict
        ``{name: (low, high)}`` with ``low < high``.
    n_point : int
        Number of points, >= 1.
    seed : int
        Seed of the scrambling.
    units : dict, optional
        ``{name: unit}``.

    Returns
    -------
    Design
        The scrambled Sobol points within the bounds.
    """
    if not isinstance(bounds, dict) or not bounds:
        raise _bad("bounds", "is a dict {name: (low, high)} of one or more parameters", bounds)
    lows, highs = [], []
    for name, bound in bounds.items():
        arr = _checked_values(name, bound, "bounds")
        if arr.shape != (2,) or not arr[0] < arr[1]:
            raise _bad("bounds", f"is a pair (low, high) with low < high for {name!r}", bound)
        lows.append(arr[0])
        highs.append(arr[1])
    if isinstance(n_point, bool) or not isinstance(n_point, int | np.integer) or n_point < 1:
        raise _bad("n_point", "are integers >= 1", n_point)
    sampler = qmc.Sobol(d=len(bounds), scramble=True, seed=np.random.default_rng(seed))
    unit = sampler.random_base2(int(np.ceil(np.log2(n_point))))[:n_point]
    sample = qmc.scale(unit, lows, highs)
    table = {name: sample[:, k].copy() for k, name in enumerate(bounds)}
    return Design(table, "sobol", dict(units or {}))


def as_design(design) -> Design:
    """A :class:`Design` from a design, a ``{name: values}`` dict (a grid) or a list of points."""
    if isinstance(design, Design):
        return design
    if isinstance(design, dict):
        return grid(design)
    if isinstance(design, list | tuple):
        return points(list(design))
    raise _bad("design", "is a Design (grid, points, sobol), a {name: values} dict or a list "
               "of {name: value} dicts", design)  # fmt: skip
