r"""``NumbaBackend``: run a configured TVB ``Simulator`` with the fast engine.

>>> from tvb_ngnmm.backend import NumbaBackend
>>> (t, y), = NumbaBackend().run_sim(sim, simulation_length=1000.0)  # doctest: +SKIP

``run_sim`` returns what ``sim.run(simulation_length=T)`` returns: a list with one ``(time,
data)`` pair per monitor, ``data`` shaped ``(n_time, n_voi, n_node, n_mode)``, with the same
times. Like ``sim.run``, it continues the simulation: it starts from the simulator's current
state, history and monitors, and leaves them (and the noise stream it replays) where
``sim.run`` would, so that ``run_sim`` and ``sim.run`` calls in any order give what
``sim.run`` calls alone would (:mod:`tvb_ngnmm.engine.continuation`). See
:mod:`tvb_ngnmm.engine` for what is supported and how it agrees with TVB.
"""

from __future__ import annotations

import numpy as np

from .engine.checks import check_seed, n_steps_for
from .engine.continuation import advance_simulator
from .engine.errors import blow_up_error
from .engine.noise import NoiseSource
from .engine.runner import concatenate, initial_state, simulate
from .engine.spec import checked_spec

__all__ = ["NumbaBackend"]


class NumbaBackend:
    """Runs configured TVB simulators with the fast engine, as ``sim.run()`` would.

    What it runs (models, couplings, monitors, integrators) is what
    :func:`tvb_ngnmm.engine.support_matrix` returns, read from the registries; anything else
    raises :class:`~tvb_ngnmm.engine.errors.UnsupportedSimulationError` naming what is allowed.

    Parameters
    ----------
    chunk_steps : int, optional
        Steps per chunk (memory of the chunk buffers grows with it); default chosen from the
        network size.
    progress : bool, optional
        Show a progress bar over chunks (default: for long runs).
    """

    def __init__(self, chunk_steps: int | None = None, progress: bool | None = None):
        self.chunk_steps = chunk_steps
        self.progress = progress

    def run_sim(self, sim, simulation_length: float | None = None, seed=None, *, spec=None) -> list:
        """Run ``sim`` for ``simulation_length`` ms; return ``sim.run()``'s list of (time, data).

        After a complete run the simulator is advanced as by ``sim.run()`` (``current_step``,
        ``current_state``, history, monitors' state, ``simulation_length``). After an error,
        or a run cut short by Ctrl-C (a warning; what was computed is returned), it is left
        as it was.

        Parameters
        ----------
        sim : tvb.simulator.simulator.Simulator
            A configured simulator.
        simulation_length : float, optional
            Length (ms); default ``sim.simulation_length``.
        seed : int or numpy.random.Generator, optional
            Noise source for stochastic integrators: None draws the simulator's own noise
            stream (same draws as ``sim.run()``, and the stream left where ``sim.run()``
            leaves it), an int a faster independent generator seeded anew at each call (two
            calls with the same int draw the same noise), a Generator its own stream, which
            goes on from call to call. With a seed the run still continues the state, history
            and monitors, but the simulator's noise stream is not drawn and stays where it was.
        spec : tvb_ngnmm.engine.spec.SimulationSpec, optional
            ``sim`` as :func:`tvb_ngnmm.engine.spec.extract` has just read and checked it (the
            command line reads it once), taken as it is: it must be this simulator's reading
            at its current step, not run from before
            (:func:`~tvb_ngnmm.engine.spec.checked_spec`). None: ``sim`` is read here.

        Raises
        ------
        UnsupportedSimulationError
            A component the engine cannot run, or a simulator that is not configured.
        ValueError
            Settings checked before the first step (:mod:`tvb_ngnmm.engine.checks`): non-finite
            inputs, a monitor period below ``dt``, parameters set to invalid values after
            ``configure()``, a bad ``seed``.
        SimulationBlowUpError
            The state became non-finite (or beyond 3.4e38 in magnitude), or the output of a
            monitor with a state of its own (BOLD); names the time (ms), region and variable.
        """
        check_seed(seed)
        spec = checked_spec(sim, spec)
        n_steps = n_steps_for(sim, simulation_length)
        params = spec.params[..., np.newaxis]
        gain = spec.coupling.gain[..., np.newaxis]
        state = initial_state(spec, params, gain, keep_history=True)
        noise = NoiseSource(sim, spec.stochastic, seed)

        def stop_on_blow_up(run_state, done):
            return bool(run_state.status[0, 0] >= 0) or _monitor_blown_up(spec.monitors)

        spec.ran = True  # its monitors now hold this run's state
        outputs, done = simulate(
            spec, state, spec.monitors, n_steps, noise, self.chunk_steps, self.progress,
            on_chunk=stop_on_blow_up,
        )  # fmt: skip
        if state.status[0, 0] >= 0:
            raise blow_up_error(spec, state.status)
        if _monitor_blown_up(spec.monitors):
            raise _monitor_blown_up(spec.monitors).blow_up_error(0)
        if done == n_steps:
            advance_simulator(sim, spec, state, noise, spec.monitors, n_steps, simulation_length)
        results = []
        for (times, data), monitor in zip(outputs, spec.monitors, strict=True):
            results.append(concatenate(times, data, (*monitor.sample_shape, 1)))
        return results


def _monitor_blown_up(monitors):
    """The first monitor whose own state became non-finite (``blow_up``), or None."""
    for monitor in monitors:
        if monitor.blow_up is not None and monitor.blow_up[0, 0] >= 0:
            return monitor
    return None
