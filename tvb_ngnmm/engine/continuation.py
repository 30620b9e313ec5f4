r"""Leaving a simulator as ``sim.run()`` leaves it, so that the next run continues.

TVB's ``Simulator.__call__`` advances, besides the outputs it yields: ``current_state`` (the
state after the last step), ``current_step`` (by the steps run), the history buffer (slot
``s mod H`` holds the coupling variables of step ``s``, float32), the integrator's noise stream
(``n_var * n_node`` normals per step), each monitor's own state (``TemporalAverage``'s stock of
the block under way, ``Bold``'s interim stock and ring, the projections' running sums and
observation noise streams, the Balloon–Windkessel state) and ``simulation_length``, ``calls``.
:func:`advance_simulator` sets all of these from a finished engine run, so that a later
``sim.run()`` or engine run, in any order, gives what stock ``sim.run()`` calls alone would.
A stimulus restarts its temporal pattern at each call, in TVB as in the engine.
:func:`unchanged` puts all of this back after a block, for a run that should not advance the
simulator (e.g. the engine and stock TVB compared from the same start).
"""

from __future__ import annotations

import contextlib
import copy

import numpy as np

from .noise import NoiseSource
from .runner import RunState, history_after
from .spec import SimulationSpec


def advance_simulator(sim, spec: SimulationSpec, state: RunState, noise: NoiseSource,
                      monitors: list, n_steps: int, simulation_length=None) -> None:  # fmt: skip
    """Advance ``sim`` by the ``n_steps`` steps of a finished run of batch member 0.

    Parameters
    ----------
    sim : tvb.simulator.simulator.Simulator
        The simulator the run was read from (:func:`.spec.extract`).
    spec, state, noise, monitors
        The run's spec, its state after the run (from ``initial_state(...,
        keep_history=True)``), its noise source and its engine monitors.
    n_steps : int
        Steps the run made (all it was asked for).
    simulation_length : float, optional
        The length (ms) the run was asked for, recorded as ``sim.run`` records it.
    """
    history = history_after(spec, state)  # (n_cvar, n_node, H) float32
    sim.history.buffer[..., 0] = history.transpose(2, 0, 1)
    sim.current_state = state.x[..., :1].copy()
    sim.current_step = int(spec.current_step) + int(n_steps)
    if noise.stream is not None:  # the simulator's own stream, replayed: where TVB leaves it
        sim.integrator.noise.random_stream.set_state(noise.stream.get_state())
    for monitor in monitors:
        monitor.update_tvb_monitor()
    if simulation_length is not None:
        sim.simulation_length = float(simulation_length)
    sim.calls = int(getattr(sim, "calls", 0)) + 1


#: The monitors' own state between steps, by attribute (TVB's ``TemporalAverage``, ``Bold``,
#: projections; :class:`~tvb_ngnmm.monitors.ForwardProjection`, ``BalloonWindkesselBold``).
MONITOR_STATE = ("_stock", "_interim_stock", "_state", "_sum", "hemodynamic_state", "drive_sum")


#: A coloured noise's state between steps, by attribute (TVB's ``Noise`` with ``ntau > 0``).
NOISE_STATE = ("dt", "_E", "_sqrt_1_E2", "_eta", "_h", "_dt_sqrt_lambda")


def _noises(sim) -> list:
    """The noises a run draws: the integrator's, the monitors' ``obsnoise``."""
    noises = [getattr(sim.integrator, "noise", None)]
    noises += [getattr(monitor, "obsnoise", None) for monitor in sim.monitors]
    return [n for n in noises if getattr(n, "random_stream", None) is not None]


def _streams(sim) -> list:
    """The random streams a run draws (:func:`_noises`)."""
    return [n.random_stream for n in _noises(sim)]


def _save(sim) -> dict:
    monitors = [
        {name: np.copy(vars(m)[name]) for name in MONITOR_STATE if name in vars(m)}
        for m in sim.monitors
    ]
    return {
        "current_step": sim.current_step,
        "current_state": np.copy(sim.current_state),
        "buffer": np.copy(sim.history.buffer),
        "streams": [stream.get_state(legacy=False) for stream in _streams(sim)],
        "noises": [
            {name: copy.deepcopy(vars(n)[name]) for name in NOISE_STATE if name in vars(n)}
            for n in _noises(sim)
        ],  # fmt: skip
        "monitors": monitors,
        "simulation_length": sim.simulation_length,
        "calls": getattr(sim, "calls", 0),
    }


@contextlib.contextmanager
def unchanged(sim):
    """A block after which ``sim`` is where it was: its step, state, history, noise streams
    and monitors' state put back (in place, as runs advance them), whatever ran on it.

    Parameters
    ----------
    sim : tvb.simulator.simulator.Simulator
        The configured simulator.

    Examples
    --------
    >>> with unchanged(sim):  # doctest: +SKIP
    ...     fast = NumbaBackend().run_sim(sim)
    >>> stock = sim.run()  # doctest: +SKIP  (the same simulation, from the same start)
    """
    saved = _save(sim)
    try:
        yield sim
    finally:
        sim.current_step = saved["current_step"]
        sim.current_state = saved["current_state"]
        sim.history.buffer[...] = saved["buffer"]
        for stream, state in zip(_streams(sim), saved["streams"], strict=True):
            stream.set_state(state)
        for noise, state in zip(_noises(sim), saved["noises"], strict=True):
            for name, value in state.items():
                setattr(noise, name, copy.deepcopy(value))
        for monitor, state in zip(sim.monitors, saved["monitors"], strict=True):
            for name, value in state.items():
                getattr(monitor, name)[...] = value
        sim.simulation_length = saved["simulation_length"]
        sim.calls = saved["calls"]
