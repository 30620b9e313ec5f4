r"""Checks of a run's settings before the engine takes its first step.

:func:`check_settings` is the one place where a simulator's settings are checked before the
engine takes a step (:func:`.spec.extract` calls it, so ``run_sim`` and ``run_batch`` both do).
Each failure is a ``ValueError`` naming the object, what is allowed and what was given:

- the time step: finite and positive;
- the monitors: variables of interest that index the model's, configured with the
  integrator's current ``dt`` and ``period`` (not changed
  since ``sim.configure()``), and ``period >= dt``. Stock TVB samples every
  ``round(period / dt)`` steps: a period below ``dt / 2`` gives zero steps and a
  ``ZeroDivisionError`` at the first sample, one in ``[dt / 2, dt)`` silently samples every
  step. A period that is not a whole number of steps runs as in TVB (every
  ``round(period / dt)`` steps; TVB's ``EEG``, ``MEG`` and ``iEEG`` every ``int(period / dt)``
  steps) with a ``RuntimeWarning`` giving the period actually used;
- the model parameters: the engine runs with the model's current values, so values changed after
  ``sim.configure()`` are checked again, with the same check ``configure()`` makes (the model's
  ``check_parameter``); TVB's own models are checked to be finite, and warned about outside the
  domains TVB declares on their traits (:mod:`tvb_ngnmm.models._domains`);
- non-finite values: connectivity weights, tract lengths (also >= 0) and conduction speed
  (also > 0), coupling gains ``a`` (one or one per region), offsets and effective weights, noise
  amplitudes ``nsig`` (also >= 0), initial conditions and history, the stimulus's spatial
  pattern (also: one weight per region) and the parameters of its temporal equation (its values
  are checked chunk by chunk, before the steps that use them, :func:`check_stimulus_values`);
- the ``seed`` argument (:func:`check_seed`).
"""

from __future__ import annotations

import math
import warnings

import numpy as np
from tvb.simulator import monitors as tvb_monitors
from tvb.simulator.backend.ref import ReferenceBackend

from .._util import check_seed, check_values  # noqa: F401 (check_seed: re-exported)
from ..coupling import MultiCoupling
from ..models import AbstractNextGenModel, warn_outside_tvb_domain
from ..monitors.projection import check_variables_of_interest
from .equations import parameter_value


def n_steps_for(sim, simulation_length: float | None) -> int:
    """Number of steps ``sim.run(simulation_length=T)`` takes: ``ceil(T / dt)``."""
    length = sim.simulation_length if simulation_length is None else simulation_length
    length = float(length)
    if not math.isfinite(length) or length < 0:
        raise ValueError(
            "Invalid value for the 'simulation_length' parameter. Allowed values are finite "
            f"non-negative lengths (ms), but got {length!r} instead."
        )
    return int(math.ceil(length / sim.integrator.dt))


def _check_time_step(dt: float) -> None:
    if not (math.isfinite(dt) and dt > 0.0):
        raise ValueError(
            "Invalid value for the 'dt' parameter of the integrator. Allowed values are finite "
            f"numbers > 0 (ms), but got {dt!r} instead."
        )


def _check_monitors(sim, dt: float) -> None:
    for monitor in sim.monitors:
        name = type(monitor).__name__
        check_variables_of_interest(monitor, sim.model)
        if not math.isclose(float(monitor.dt), dt, rel_tol=1e-12):
            raise ValueError(
                f"Invalid value for the 'dt' parameter of the integrator: the {name} monitor was "
                f"configured with dt = {float(monitor.dt):g} ms, but got {dt:g} ms now. Call "
                "sim.configure() again after changing dt."
            )
        if type(monitor) is tvb_monitors.Raw:
            continue  # TVB sets its period to dt
        period = float(monitor.period)
        if not period >= dt * (1.0 - 1e-9):
            raise ValueError(
                f"Invalid value for the 'period' parameter of the {name} monitor. Allowed values "
                f"are >= dt = {dt:g} ms, but got {period:g} instead."
            )
        steps = period / dt
        if ReferenceBackend.iround(steps) != int(monitor.istep):  # TVB's rounding
            raise ValueError(
                f"Invalid value for the 'period' parameter of the {name} monitor: it was "
                f"configured for {int(monitor.istep) * dt:g} ms, but got {period:g} ms now. Call "
                "sim.configure() again after changing the period."
            )
        # TVB's EEG, MEG and iEEG sample every int(period / dt) steps (truncated), not istep
        used = int(getattr(monitor, "_period_in_steps", monitor.istep))
        if abs(steps - round(steps)) > 1e-6 * steps or used != int(monitor.istep):
            warnings.warn(
                f"The 'period' of the {name} monitor ({period:g} ms) is not a multiple of dt = "
                f"{dt:g} ms: as in TVB, it samples every {used} steps, i.e. every "
                f"{used * dt:g} ms.",
                RuntimeWarning,
                stacklevel=5,
            )


def _check_model(model, names: tuple[str, ...]) -> None:
    owner = type(model).__name__
    if names[:1] == ("group",) and hasattr(model, "group_parameters"):  # a MixedModel
        for group, part in model.models.items():
            prefix = f"{group}."
            _check_model(part, tuple(n[len(prefix) :] for n in names if n.startswith(prefix)))
        return
    if isinstance(model, AbstractNextGenModel):
        for name in model.parameter_domains:  # configure() checked them: changed since
            model.check_parameter(name, getattr(model, name), " (changed after configure())")
    for name in names:  # as set (TVB's configure() spreads them over the regions)
        check_values(parameter_value(model, name), f"the {name!r} parameter of {owner}")
        if not isinstance(model, AbstractNextGenModel):
            warn_outside_tvb_domain(model, name, parameter_value(model, name))


def _check_connectivity(conn) -> None:
    check_values(conn.weights, "the 'weights' of the connectivity")
    check_values(conn.tract_lengths, "the 'tract_lengths' of the connectivity",
                 "finite numbers >= 0 (mm)", lambda v: v >= 0.0)  # fmt: skip
    check_values(conn.speed, "the 'speed' of the connectivity", "finite numbers > 0 (mm/ms)",
                 lambda v: v > 0.0)  # fmt: skip


def _check_coupling(sim, terms) -> None:
    coupling = sim.coupling
    parts = list(coupling.couplings) if isinstance(coupling, MultiCoupling) else [coupling]
    for c in range(terms.gain.shape[0]):
        part = parts[c % len(parts)]
        owner = type(part).__name__
        if hasattr(part, "a"):  # PreSigmoidal has none (its parameters: engine.coupling)
            check_values(part.a, f"the 'a' parameter (coupling gain) of {owner}")
        if hasattr(part, "b"):
            check_values(part.b, f"the 'b' parameter of {owner}")
        check_values(terms.weights[c], f"the effective weights of {owner}")
        check_values(terms.kappa[c], f"the self-weights of {owner}")


def _check_noise(integrator, stochastic: bool) -> None:
    if stochastic:
        check_values(integrator.noise.nsig, "the 'nsig' parameter of the Additive noise",
                     "finite numbers >= 0", lambda v: v >= 0.0)  # fmt: skip


def _check_initial_conditions(spec) -> None:
    check_values(spec.state, "the initial conditions (the simulator's current state, "
                 "state variable, region)")  # fmt: skip
    check_values(spec.history, "the initial history (sim.history: coupling variable, region, "
                 "slot)")  # fmt: skip


def _check_stimulus(stimulus, n_node: int, n_region: int | None = None) -> None:
    """A region stimulus has one weight per node (on a surface: per region of the
    connectivity, which TVB maps to the nodes); a surface stimulus one value per node."""
    if stimulus is None:
        return
    weight = getattr(stimulus, "weight", None)
    pattern = np.shape(stimulus.spatial_pattern)
    weights = {(n_node,)} if n_region is None else {(n_node,), (n_region,)}
    if pattern != (n_node, 1) or (weight is not None and np.shape(weight) not in weights):
        given = np.shape(weight) if weight is not None else pattern
        what = "one weight per region" if n_region is None else (
            f"one weight per region ({n_region},) or per node ({n_node},) of the surface, and "
            "a surface stimulus with a value for every node (vertices and non-cortical regions)"
        )  # fmt: skip
        raise ValueError(
            f"Invalid value for the 'weight' parameter of the stimulus "
            f"({type(stimulus).__name__}). Allowed is {what}, shape ({n_node},), but got shape "
            f"{given} instead."
        )
    check_values(stimulus.spatial_pattern, "the 'spatial_pattern' (region weights) of the stimulus")
    temporal = stimulus.temporal
    for name, value in dict(getattr(temporal, "parameters", {}) or {}).items():
        check_values(value, f"the {name!r} parameter of the stimulus's {type(temporal).__name__}")


def check_stimulus_values(values: np.ndarray, times: np.ndarray) -> None:
    """Raise ``ValueError`` if the stimulus ``(n_steps, ...)`` at ``times`` is not finite."""
    finite = np.isfinite(values)
    if not finite.all():
        step = int(np.argwhere(~finite)[0, 0])
        raise ValueError(
            "Invalid value for the stimulus. Allowed values are finite numbers, but got "
            f"{float(values[step][~finite[step]][0])!r} at t = {times[step]:g} ms of its temporal "
            "pattern instead (before that step was taken)."
        )


def check_settings(sim, spec) -> None:
    """Check everything the run reads before its first step (see the module's docstring)."""
    _check_time_step(spec.dt)
    _check_monitors(sim, spec.dt)
    _check_model(sim.model, spec.parameter_names)
    _check_connectivity(sim.connectivity)
    _check_coupling(sim, spec.coupling)
    _check_noise(sim.integrator, spec.stochastic)
    _check_initial_conditions(spec)
    n_region = None if spec.surface is None else spec.surface.n_region
    _check_stimulus(spec.stimulus, spec.state.shape[1], n_region)
