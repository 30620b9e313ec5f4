"""Checks of a sweep's measures and a fit's objective before any simulation runs.

Two steps. First the options of the registry's measures (:data:`~.reduce.MEASURES`) against the
simulator: their names, the ``monitor`` index, the ``variable`` among that monitor's variables,
a BOLD monitor where the measure needs one. Then a trial: every measure (or the objective) is
applied to synthetic outputs shaped as the simulator's monitors give them (the same names,
variables, regions, sampling period and length; random walks from a seeded generator), so that a
measure that raises, or returns what a store cannot hold, is refused before the first point runs
instead of after every point and its retries. Outputs longer than :data:`TRIAL_VALUES` values
are cut short; a ``ValueError`` of a measure on a cut output is then left to the real run (it
may come from the length).
"""

from __future__ import annotations

import inspect
import warnings

import numpy as np

from .objectives import evaluate_objective
from .reduce import MEASURES, reduce_member

#: Most values of the synthetic outputs (32 MB of float64).
TRIAL_VALUES = 2**22


def _bad(allowed: str, given: str, what: str = "measures") -> ValueError:
    return ValueError(
        f"Invalid value for the {what!r} parameter. Allowed {allowed}, but got {given} instead."
    )


def trial_outputs(spec, simulation_length: float) -> tuple[list, bool]:
    """(outputs as a sweep's measures receive them, with random data; whether they were cut)."""
    # deferred: xarray imports pandas (0.5 s); only the labelled outputs need it
    import xarray as xr  # noqa: PLC0415

    rng = np.random.default_rng(0)
    periods = [float(getattr(m.monitor, "period", spec.dt)) for m in spec.monitors]
    lengths = [max(2, int(round(simulation_length / p))) for p in periods]
    per_sample = [len(m.variable_names) * len(m.space_labels) for m in spec.monitors]
    total = sum(n * k for n, k in zip(lengths, per_sample, strict=True))
    cut = total > TRIAL_VALUES
    outputs = []
    for monitor, period, n, k in zip(spec.monitors, periods, lengths, per_sample, strict=True):
        if cut:
            n = max(2, min(n, TRIAL_VALUES // (k * len(periods))))
        shape = (n, len(monitor.variable_names), len(monitor.space_labels))
        data = 1.0 + 0.05 * rng.standard_normal(shape).cumsum(axis=0)
        coords = {"time": period * np.arange(1, n + 1),
                  "state_variable": list(monitor.variable_names),
                  monitor.space: list(monitor.space_labels)}  # fmt: skip
        outputs.append(xr.DataArray(data, dims=("time", "state_variable", monitor.space),
                                    coords=coords, name=type(monitor.monitor).__name__,
                                    attrs={"units_time": "ms"}))  # fmt: skip
    return outputs, cut


def _chosen_monitor(spec, name: str, options: dict):
    """The engine monitor a registry measure reads with ``options``."""
    names = [type(m.monitor).__name__ for m in spec.monitors]
    monitor = options.get("monitor")
    if monitor is not None:
        if (
            isinstance(monitor, bool)
            or not isinstance(monitor, int | np.integer)
            or not (0 <= monitor < len(names))
        ):
            raise _bad(f"values of the option 'monitor' of {name!r} are None or the index of "
                       f"one of the simulator's monitors (0..{len(names) - 1}: {names})",
                       repr(monitor))  # fmt: skip
        return spec.monitors[int(monitor)]
    bold = name == "bold_fc" or bool(options.get("bold", False))
    found = [m for m, label in zip(spec.monitors, names, strict=True)
             if ("bold" in label.lower()) == bold]  # fmt: skip
    if not found:
        kind = "a BOLD monitor" if bold else "a monitor other than BOLD"
        raise _bad(f"is {name!r} with a simulator that has {kind}",
                   f"{name!r} with the monitors {names}")  # fmt: skip
    return found[0]


def check_options(spec, measures: list) -> None:
    """The options of the registry's measures, checked against the simulator's monitors."""
    for name, function, options in measures:
        if MEASURES.get(name) is not function:
            continue
        accepted = [p for p in inspect.signature(function).parameters if p != "outputs"]
        unknown = [key for key in options if key not in accepted]
        if unknown:
            raise _bad(f"options of {name!r} are {accepted}", repr(unknown[0]))
        if "bold" in options and not isinstance(options["bold"], bool):
            raise _bad(f"values of the option 'bold' of {name!r} are True or False",
                       repr(options["bold"]))  # fmt: skip
        monitor = _chosen_monitor(spec, name, options)
        variable = options.get("variable")
        if variable is not None and variable not in monitor.variable_names:
            label = f"{type(monitor.monitor).__name__} monitor {list(monitor.variable_names)}"
            raise _bad(f"values of the option 'variable' of {name!r} are the variables of the "
                       f"{label}", repr(variable))  # fmt: skip


def _describe(outputs) -> str:
    return ", ".join(f"{o.name} {dict(o.sizes)}" for o in outputs)


def check_measures(spec, measures: list, simulation_length: float, reserved=()) -> None:
    """Refuse, before any simulation, measures that cannot apply to the simulator's outputs.

    Parameters
    ----------
    spec : tvb_ngnmm.engine.spec.SimulationSpec
        The simulator as the engine read it (its monitors).
    measures : list
        ``[(name, function, options)]`` (:func:`~.reduce.as_measures`).
    simulation_length : float
        Length of each run (ms).
    reserved : collection of str
        Names the measures' results must not take (the store's own variables, the design's
        parameters).

    Raises
    ------
    ValueError
        Naming the measure, what is allowed and what was given.
    """
    check_options(spec, measures)
    outputs, cut = trial_outputs(spec, simulation_length)
    names: dict = {}
    for measure in measures:
        values = _tried(lambda m=measure: reduce_member(outputs, [m]), outputs, cut,
                        "measures", f"the measure {measure[0]!r}")  # fmt: skip
        if values is None:
            continue
        for key in values:
            if key in reserved or key in names:
                taken = "the store's" if key in reserved else f"the measure {names[key]!r}'s"
                raise _bad(f"are measures whose results are not named as {taken} (rename "
                           "the function or its results)",
                           f"the measure {measure[0]!r} giving {key!r}")  # fmt: skip
            names[key] = measure[0]


def check_objective(spec, objective, simulation_length: float) -> None:
    """Refuse, before any simulation, an objective that raises on outputs shaped as the
    simulator's monitors' or breaks the objectives' contract
    (:func:`~.objectives.evaluate_objective`)."""
    outputs, cut = trial_outputs(spec, simulation_length)
    _tried(lambda: evaluate_objective(outputs, objective), outputs, cut, "objective",
           repr(objective))  # fmt: skip


def _tried(call, outputs, cut: bool, parameter: str, what: str):
    """``call()``'s result on the trial ``outputs``, warnings silenced; None when it raised a
    ``ValueError`` on outputs ``cut`` short (left to the real run, in case the length caused
    it). Any other failure of a user's function is a ``ValueError`` naming ``parameter`` and
    ``what`` raised; the package's own refusals of ``parameter`` pass as they are."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return call()
    except Exception as err:  # noqa: BLE001 - any failure of a user's function
        if str(err).startswith(f"Invalid value for the {parameter!r} parameter"):
            raise
        if cut and isinstance(err, ValueError):
            return None
        raise ValueError(
            f"Invalid value for the {parameter!r} parameter: {what} raised "
            f"{type(err).__name__}: {err} (tried before any simulation on outputs shaped as the "
            f"simulator's monitors', {_describe(outputs)})."
        ) from err
