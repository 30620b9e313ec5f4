"""The fast engine's errors (defined in :mod:`tvb_ngnmm.errors`, below the monitors that raise
them too) and the message of a blow-up."""

from __future__ import annotations

import numpy as np

from ..errors import (  # noqa: F401  (re-exported: the engine's errors)
    SimulationBlowUpError,
    SimulationInterruptedWarning,
    UnsupportedSimulationError,
)

#: Largest magnitude of a state value: float32's largest (see :data:`.kernel.STATE_LIMIT`).
STATE_LIMIT = float(np.finfo(np.float32).max)


def unsupported(what: str, given: str, allowed: tuple[str, ...]) -> UnsupportedSimulationError:
    """An :class:`UnsupportedSimulationError` naming ``what``, the allowed values and ``given``."""
    names = ", ".join(repr(a) for a in allowed)
    return UnsupportedSimulationError(
        f"Invalid value for the {what!r} of the simulator: the fast engine supports {names}, "
        f"but got {given!r} instead."
    )


def _most_extreme(names, values) -> str:
    """``"'name' = value"`` of the value farthest from 1 in orders of magnitude."""
    values = np.asarray(values, dtype=float)
    with np.errstate(divide="ignore"):
        magnitude = np.where(values != 0.0, np.abs(np.log10(np.abs(values))), 0.0)
    k = int(np.argmax(magnitude))
    return f"{names[k]!r} = {values[k]:g}"


def blow_up_error(spec, status: np.ndarray, member: int = 0, params=None) -> SimulationBlowUpError:
    """The error for the blow-up recorded in ``status[:, member]``, with its likely cause.

    The inputs are all finite (:func:`.checks.check_settings` makes sure before the first step).
    A blow-up at the run's first step thus comes from values too large (or small) for one step:
    the message names the most extreme parameter or initial value of the region and does not
    suggest a smaller time step. A blow-up later, after the state grew over several steps, is
    the typical sign of a time step too large for the dynamics (or of unstable parameters).

    Parameters
    ----------
    params : numpy.ndarray, optional
        The member's parameters (n_parameter, n_node); default ``spec.params``.
    """
    step, region, var = (int(v) for v in status[:, member])
    time = step * spec.dt
    label, name = spec.labels[region], spec.state_variables[var]
    where = (
        f"state variable {name!r} of region {label!r} (index {region}) became non-finite (or "
        f"beyond {STATE_LIMIT:.3g} in magnitude, more than the float32 history holds) at "
        f"t = {time:g} ms (step {step})"
    )
    if step == spec.current_step + 1:
        params = spec.params if params is None else params
        names = (*spec.parameter_names, *(f"initial {v}" for v in spec.state_variables))
        values = np.concatenate([params[:, region], spec.state[:, region]])
        advice = (
            f"The simulation blew up at its first step: {where}, from finite inputs too large "
            f"for one step (the most extreme value of that region: "
            f"{_most_extreme(names, values)}). Check the parameters, the initial conditions "
            "and the coupling gain; a smaller time step is unlikely to help."
        )
    else:
        advice = (
            f"The simulation blew up: {where}, after growing over several steps. Reduce the "
            f"time step (dt = {spec.dt:g} ms) or check the parameters."
        )
    return SimulationBlowUpError(advice, time=time, region=label, state_variable=name)
