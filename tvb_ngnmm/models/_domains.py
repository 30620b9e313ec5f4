"""The parameter domains TVB declares on its own models' traits, checked with a warning.

TVB's models declare a domain on each parameter (``NArray(domain=Range(lo, hi, step))``), the
range its GUI explores, but neither TVB nor its ``configure()`` enforces it. The plugin's models
raise for a value outside their domains (:class:`._base.AbstractNextGenModel`); for TVB's, a
value outside the declared domain runs, as in TVB, with a ``RuntimeWarning`` naming the
parameter, the domain and the value (JansenRit with ``a = -5`` grows without bound). Some of
TVB's defaults lie outside their own declared domain (``CoombesByrne.eta = 20`` in [-10, 10]):
the domain checked is the declared one widened to include the default.
"""

from __future__ import annotations

import warnings

import numpy as np


def tvb_domain(model, name: str) -> tuple[float, float] | None:
    """``(lo, hi)`` of the domain TVB declares for parameter ``name`` of ``model``, widened to
    include the parameter's default, or None where none is declared.

    Parameters
    ----------
    model : tvb.simulator.models.Model
        The model instance (or class).
    name : str
        The parameter's name.
    """
    trait = getattr(type(model), name, None)
    domain = getattr(trait, "domain", None)
    if domain is None or getattr(domain, "lo", None) is None:
        return None
    lo, hi = float(domain.lo), float(domain.hi)
    default = getattr(trait, "default", None)
    try:
        default = np.asarray(default, dtype=float)
    except (TypeError, ValueError):
        default = np.zeros(0)
    if default.size and np.all(np.isfinite(default)):
        lo, hi = min(lo, float(default.min())), max(hi, float(default.max()))
    return lo, hi


def warn_outside_tvb_domain(model, name: str, value, context: str = "") -> None:
    """Warn if ``value`` of parameter ``name`` of TVB's ``model`` lies outside :func:`tvb_domain`.

    ``context`` follows the model's name in the message, e.g. ``" (swept values)"``. Non-finite
    values are left to the checks that reject them.

    Parameters
    ----------
    model : tvb.simulator.models.Model
        The model instance (or class).
    name : str
        The parameter's name.
    value : float or array_like
        The value(s) to check.
    context : str
        Text added after the model's name in the message.
    """
    bounds = tvb_domain(model, name)
    if bounds is None:
        return
    lo, hi = bounds
    values = np.asarray(value, dtype=float)
    outside = np.isfinite(values) & ((values < lo) | (values > hi))
    if not outside.any():
        return
    bad = values[outside]
    given = (
        repr(float(bad[0]))
        if bad.size == 1
        else f"{bad.size} values ({bad.min():g} to {bad.max():g})"
    )
    warnings.warn(
        f"The {name!r} parameter of {type(model).__name__}{context} is outside the domain TVB "
        f"declares for it, [{lo:g}, {hi:g}], got {given}: it runs, as in TVB, but the model may "
        "leave the regime its equations describe (or grow without bound).",
        RuntimeWarning,
        stacklevel=6,  # the caller of run_sim / run_batch
    )
