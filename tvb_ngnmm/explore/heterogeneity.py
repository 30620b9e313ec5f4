"""Regional heterogeneity: a model parameter as ``base + Σ_k c_k · map_k`` over regional maps.

A sweep or a fit given ``maps={'I_e': {'myelin': m, 'gradient': g}}`` takes the swept names
``'I_e.base'``, ``'I_e.myelin'`` and ``'I_e.gradient'``: at each point the parameter ``I_e`` of
region ``i`` is ``base + c_myelin · m[i] + c_gradient · g[i]``, and that per-region array is
what the engine runs (checked against the parameter's domain as any swept value). A
coefficient not swept is 0; a base not swept is the simulator's own value of the parameter
(one or one per region). The maps are checked before anything runs: one finite value per
region of the simulator's connectivity, named by identifiers other than ``'base'``.
"""

from __future__ import annotations

import numpy as np

from ..engine.batch import NOT_SWEPT
from .design import Design

#: The swept name suffix of a heterogeneous parameter's base value.
BASE = "base"


def _bad(allowed: str, given) -> ValueError:
    return ValueError(
        f"Invalid value for the 'maps' parameter. Allowed {allowed}, but got {given} instead."
    )


def checked_maps(spec, maps) -> dict:
    """``{parameter: {map name: (n_region,) float array}}``, checked against ``spec``.

    Parameters
    ----------
    spec : tvb_ngnmm.engine.spec.SimulationSpec
        The simulator as the engine read it (its parameters and number of regions).
    maps : dict or None
        ``{parameter: {map name: array of one value per region}}``; None is no map.

    Returns
    -------
    dict
        The maps as float arrays (copies), in the order given.

    Raises
    ------
    ValueError
        A parameter that is not a model parameter, a map name that is not an identifier (or is
        ``'base'``), a map of another length or with values that are not finite.
    """
    if maps is None:
        return {}
    if not isinstance(maps, dict):
        raise _bad("is None or a dict {parameter: {map name: array}}", repr(maps))
    allowed = [n for n in spec.parameter_names if n not in NOT_SWEPT]
    checked = {}
    for parameter, named in maps.items():
        if parameter not in allowed:
            raise _bad(f"parameters are the model's {allowed}", repr(parameter))
        if not isinstance(named, dict) or not named:
            raise _bad(f"for {parameter!r} is a dict of one or more {{map name: array}}",
                       repr(named))  # fmt: skip
        checked[parameter] = {}
        for name, values in named.items():
            if not isinstance(name, str) or not name.isidentifier() or name == BASE:
                raise _bad(f"map names of {parameter!r} are identifiers other than {BASE!r}",
                           repr(name))  # fmt: skip
            checked[parameter][name] = _checked_map(spec, parameter, name, values)
    return checked


def _checked_map(spec, parameter: str, name: str, values) -> np.ndarray:
    try:
        array = np.array(values, dtype=float)
    except (TypeError, ValueError):
        raise _bad(f"for the map {parameter}.{name} is an array of numbers",
                   repr(values)) from None  # fmt: skip
    if array.shape != (spec.n_node,):
        raise _bad(f"for the map {parameter}.{name} is one value per region (shape "
                   f"({spec.n_node},))", f"shape {array.shape}")  # fmt: skip
    bad = np.flatnonzero(~np.isfinite(array))
    if bad.size:
        raise _bad(f"for the map {parameter}.{name} are finite numbers",
                   f"{float(array[bad[0]])!r} at region {int(bad[0])}")  # fmt: skip
    return array


def swept_names(maps: dict) -> dict:
    """``{swept name: (parameter, map name or 'base')}`` of the checked ``maps``."""
    names = {}
    for parameter, named in maps.items():
        names[f"{parameter}.{BASE}"] = (parameter, BASE)
        names.update({f"{parameter}.{name}": (parameter, name) for name in named})
    return names


def regional_values(spec, maps: dict, values: dict, n_point: int | None = None) -> dict:
    """``{parameter: (n_point, n_region) array}``: ``base + Σ_k c_k · map_k`` per point.

    Parameters
    ----------
    spec : tvb_ngnmm.engine.spec.SimulationSpec
        The simulator as the engine read it (the default base of each parameter).
    maps : dict
        Checked maps (:func:`checked_maps`).
    values : dict
        ``{swept name: value or (n_point,) array}`` (other names are ignored); a missing
        coefficient is 0, a missing base the simulator's value of the parameter.
    n_point : int, optional
        Number of points (default: the length of the longest value, at least 1).

    Returns
    -------
    dict
        The per-region values of each heterogeneous parameter, shape ``(n_point, n_region)``.
    """
    if n_point is None:
        n_point = max([np.size(v) for v in values.values()] or [1])
    out = {}
    for parameter, named in maps.items():
        base = values.get(f"{parameter}.{BASE}")
        if base is None:
            default = spec.params[spec.parameter_names.index(parameter)]
            total = np.repeat(np.asarray(default, dtype=float)[np.newaxis], n_point, axis=0)
        else:
            total = np.repeat(np.reshape(np.asarray(base, dtype=float), (-1, 1)), spec.n_node,
                              axis=1) * np.ones((n_point, 1))  # fmt: skip
        for name, array in named.items():
            coefficient = values.get(f"{parameter}.{name}")
            if coefficient is not None:
                total = total + np.reshape(np.asarray(coefficient, dtype=float), (-1, 1)) * array
        out[parameter] = total
    return out


def expanded(spec, maps: dict, design: Design) -> tuple[Design, Design]:
    """(the design the engine runs, the design a store records) of a design over ``maps``.

    The first has each heterogeneous parameter's per-region values in place of its swept
    coefficients; the second has both (the coefficients, and the per-region values as a
    ``(point, region)`` coordinate). Without maps both are ``design``.

    Raises
    ------
    ValueError
        A heterogeneous parameter swept also by its own name, or a coefficient of a map not
        given.
    """
    if not maps:
        return design, design
    names = swept_names(maps)
    for name in design.names:
        parameter, _, suffix = name.rpartition(".")
        if name in maps:
            allowed = sorted(k for k in names if names[k][0] == name)
            raise ValueError(
                f"Invalid value for the 'design' parameter. Allowed for the heterogeneous "
                f"parameter {name!r} are its names {allowed}, but got {name!r} itself."
            )
        if parameter in maps and name not in names:
            allowed = sorted(k for k in names if names[k][0] == parameter)
            raise ValueError(
                f"Invalid value for the 'design' parameter. Allowed names of the heterogeneous "
                f"parameter {parameter!r} are {allowed}, but got {name!r} instead (no map "
                f"{suffix!r})."
            )
    coefficients = {k: v for k, v in design.values.items() if k in names}
    regional = regional_values(spec, maps, coefficients, design.n_point)
    plain = {k: v for k, v in design.values.items() if k not in names}
    units = {k: v for k, v in design.units.items() if k not in names}
    run = Design({**plain, **regional}, design.kind, units, design.shape)
    recorded = Design({**design.values, **regional}, design.kind, dict(design.units),
                      design.shape)  # fmt: skip
    return run, recorded


def extreme_values(spec, maps: dict, bounds: dict) -> dict:
    """``{parameter: (lowest, highest)}`` per region over the box ``bounds`` of the swept
    names (each value is linear in the coefficients: its extremes are at corners of the box)."""
    out = {}
    for parameter, named in maps.items():
        default = np.asarray(spec.params[spec.parameter_names.index(parameter)], dtype=float)
        base = bounds.get(f"{parameter}.{BASE}")
        low = default.copy() if base is None else np.full(spec.n_node, float(base[0]))
        high = default.copy() if base is None else np.full(spec.n_node, float(base[1]))
        for name, array in named.items():
            bound = bounds.get(f"{parameter}.{name}")
            if bound is not None:
                ends = float(bound[0]) * array, float(bound[1]) * array
                low, high = low + np.minimum(*ends), high + np.maximum(*ends)
        out[parameter] = (low, high)
    return out
