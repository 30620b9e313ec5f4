"""What a fit minimises, checked once against its simulator: :func:`check_fit` and
:class:`FitProblem`.

:func:`check_fit` reads the simulator (or takes a caller's reading of it) and checks every
setting of a fit before anything runs: the objective (against the simulator's monitors, and on a
trial of outputs shaped as theirs), the method and budget, the length of each run, the bounds
(names as a sweep takes them, corners within the model's domains), the optimiser's options, the
units and the noise realisations. A setting it refuses raises a :class:`FitSettingError` (a
``ValueError``) naming the parameter; :func:`~.fit.run_fit` takes the :class:`FitProblem` it
returns as it is.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field

import numpy as np

from .._util import check_choice
from ..engine.spec import SimulationSpec
from .design import points
from .heterogeneity import checked_maps, expanded, extreme_values, swept_names
from .objectives import AbstractObjective, _bad, objective_from_config
from .optimisers import METHODS, _checked_options
from .recipe import allowed_names, classify, default_unit
from .sweep import _check_design_values, checked_simulation_length, checked_spec
from .trial import check_objective

#: The design parameter of a fit's noise realisations.
NOISE_SEED = "integrator.noise.noise_seed"


class FitSettingError(ValueError):
    """A setting of a fit that :func:`check_fit` refuses; ``parameter`` names it (``'bounds'``,
    ``'method'``, ``'budget'``, ``'options'``, ``'objective'``, ``'realisations'``,
    ``'simulation_length'``, ``'units'``). Its message is the check's own.

    Parameters
    ----------
    parameter : str
        The setting refused, kept as the attribute ``parameter``.
    message : str
        The error message.
    """

    def __init__(self, parameter: str, message: str):
        super().__init__(message)
        self.parameter = parameter


@contextlib.contextmanager
def _setting(parameter: str):
    """Raise a plain ``ValueError`` of the block as a :class:`FitSettingError` of ``parameter``
    (the package's own subclasses, such as ``UnsupportedSimulationError``, pass as they are)."""
    try:
        yield
    except ValueError as err:
        if type(err) is not ValueError:
            raise
        raise FitSettingError(parameter, str(err)) from err


@dataclass(frozen=True)
class FitProblem:
    """What a fit minimises, checked against its simulator by :func:`check_fit`;
    :func:`~.fit.run_fit` takes it as it is.

    Parameters
    ----------
    spec : tvb_ngnmm.engine.spec.SimulationSpec
        The simulator as the engine read it (every generation's sweep takes it as it is).
    objective : AbstractObjective
        The loss, checked against the simulator's monitors and on a trial of its outputs.
    bounds : dict
        ``{name: (low, high)}`` as floats.
    method : str
        The optimiser.
    budget : int
        Most simulations run.
    options : dict
        The optimiser's options, defaults filled in.
    units : dict
        ``{name: unit}`` of the parameters.
    realisations : int
        Noise realisations per point.
    simulation_length : float
        Length of each run (ms).
    maps : dict
        Regional maps of heterogeneous parameters, checked
        (:func:`~.heterogeneity.checked_maps`); empty if none.
    """

    spec: SimulationSpec = field(repr=False)
    objective: AbstractObjective
    bounds: dict
    method: str
    budget: int
    options: dict
    units: dict
    realisations: int
    simulation_length: float
    maps: dict = field(default_factory=dict, repr=False)


def check_fit(sim, objective, bounds: dict, method: str = "cma", budget: int = 100,
              simulation_length: float | None = None, options: dict | None = None,
              units: dict | None = None, realisations: int = 1,
              spec: SimulationSpec | None = None, maps: dict | None = None,
              ) -> FitProblem:  # fmt: skip
    """Check a fit's settings against ``sim`` once, before anything runs.

    Parameters
    ----------
    sim : tvb.simulator.simulator.Simulator
        A configured simulator.
    objective, bounds, method, budget, simulation_length, options, units, realisations
        As for :func:`~.fit.fit` (``simulation_length`` in ms).
    spec : SimulationSpec, optional
        ``sim`` as the engine read it (:func:`~tvb_ngnmm.engine.spec.extract`), from a caller
        that read it already (the command line); default: read here.
    maps : dict, optional
        Regional heterogeneity, as for :func:`~.fit.fit`.

    Returns
    -------
    FitProblem
        The checked settings, which :func:`~.fit.run_fit` takes as they are.

    Raises
    ------
    FitSettingError
        A ``ValueError`` naming the parameter (also in its ``parameter``), what is allowed and
        what was given.
    UnsupportedSimulationError
        A simulator the fast engine cannot run.
    """
    spec = checked_spec(sim, spec)
    with _setting("objective"):
        objective = _checked_objective(objective)
    with _setting("method"):
        check_choice("method", method, METHODS)
    with _setting("budget"):
        budget = _checked_budget(budget)
    with _setting("simulation_length"):
        simulation_length = checked_simulation_length(sim, simulation_length)
    with _setting("maps"):
        maps = checked_maps(spec, maps)
    with _setting("bounds"):
        bounds = _checked_bounds(sim, spec, bounds, maps)
    with _setting("objective"):
        objective.check_simulator(sim, simulation_length)
    with _setting("options"):
        options = _checked_options(method, bounds, budget, options)
    with _setting("units"):
        units = _units(sim, bounds, units, maps)
    with _setting("realisations"):
        realisations = _checked_realisations(sim, realisations, bounds)
    with _setting("objective"):
        check_objective(spec, objective, simulation_length)
    return FitProblem(spec, objective, bounds, method, budget, options, units, realisations,
                      simulation_length, maps)  # fmt: skip


def _checked_realisations(sim, realisations, bounds: dict) -> int:
    """``realisations`` as an int >= 1; more than one needs noise whose seed is not fitted."""
    if (isinstance(realisations, bool) or not isinstance(realisations, int | np.integer)
            or realisations < 1):  # fmt: skip
        raise _bad("realisations", "are integers >= 1", repr(realisations))
    if realisations > 1 and getattr(sim.integrator, "noise", None) is None:
        raise _bad("realisations", "is 1 with a deterministic integrator (no noise to realise)",
                   f"{realisations} with {type(sim.integrator).__name__}")  # fmt: skip
    if realisations > 1 and NOISE_SEED in bounds:
        raise _bad("realisations", f"is 1 when {NOISE_SEED!r} is a fitted parameter",
                   repr(realisations))  # fmt: skip
    return int(realisations)


def _checked_objective(objective) -> AbstractObjective:
    if isinstance(objective, dict):
        return objective_from_config(objective)
    if not isinstance(objective, AbstractObjective):
        raise _bad("objective", "are objectives (FCCorrelation, FCDistance, FCDDistance, "
                   "SpectralPeak, their weighted sums) or a configuration dict",
                   repr(objective))  # fmt: skip
    return objective


def _checked_budget(budget) -> int:
    if isinstance(budget, bool) or not isinstance(budget, int | np.integer) or budget < 1:
        raise _bad("budget", "are integers >= 1 (simulations)", repr(budget))
    return int(budget)


def _checked_bounds(sim, spec, bounds, maps: dict) -> dict:
    """``{name: (low, high)}`` as floats; names checked as a sweep checks them (with the
    per-region extremes of heterogeneous parameters over the box)."""
    if not isinstance(bounds, dict) or not bounds:
        raise _bad("bounds", "is a dict {name: (low, high)} of one or more parameters",
                   repr(bounds))  # fmt: skip
    checked = {}
    for name, bound in bounds.items():
        try:
            low, high = (float(v) for v in bound)
        except (TypeError, ValueError):
            raise _bad("bounds", f"is a pair (low, high) of numbers for {name!r}",
                       repr(bound)) from None  # fmt: skip
        if not (np.isfinite(low) and np.isfinite(high) and low < high):
            raise _bad("bounds", f"is a pair (low, high) of finite numbers with low < high for "
                       f"{name!r}", repr(bound))  # fmt: skip
        checked[name] = (low, high)
    corners = points({name: list(pair) for name, pair in checked.items()})
    corners, _ = expanded(spec, maps, corners)
    regional = swept_names(maps)
    try:
        batch_names, _ = classify(sim, spec, list(corners.names))
    except ValueError:
        unknown = [n for n in checked if n not in regional and _unknown(sim, spec, n)]
        raise _bad("bounds", f"parameter names are {allowed_names(spec)}"
                   + (f" and {sorted(regional)}" if regional else ""),
                   repr(unknown[0])) from None  # fmt: skip
    extremes = extreme_values(spec, maps, checked)
    for parameter, (low, high) in extremes.items():
        corners.values[parameter] = np.stack([low, high])
    _check_design_values(sim, spec, corners, batch_names)
    return checked


def _unknown(sim, spec, name: str) -> bool:
    try:
        classify(sim, spec, [name])
    except ValueError:
        return True
    return False


def _units(sim, bounds: dict, units, maps: dict) -> dict:
    if units is not None and (
        not isinstance(units, dict)
        or set(units) - set(bounds)
        or not all(isinstance(u, str) for u in units.values())
    ):
        raise _bad("units", f"is None or a dict {{name: unit (str)}} of parameters among "
                   f"{list(bounds)}", repr(units))  # fmt: skip
    units = dict(units or {})
    regional = swept_names(maps)
    return {name: str(units.get(name, default_unit(sim, regional.get(name, (name,))[0])))
            for name in bounds}  # fmt: skip
