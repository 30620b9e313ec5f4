r"""``NumbaBackend``: run a configured TVB ``Simulator`` with the fast engine.

>>> from tvb_ngnmm.backend import NumbaBackend
>>> (t, y), = NumbaBackend().run_sim(sim, simulation_length=1000.0)  # doctest: +SKIP

``run_sim`` returns what ``sim.run(simulation_length=T)`` returns: a list with one ``(time,
data)`` pair per monitor, ``data`` shaped ``(n_time, n_voi, n_node, n_mode)``, with the same
times. The run starts from the simulator's current state and history (``sim.current_state``,
``sim.history``) and does not modify the simulator: calling it twice gives the same result
(``sim.run`` would continue the simulation instead). See :mod:`tvb_ngnmm.engine` for what is
supported and how it agrees with TVB.
"""

from __future__ import annotations

import numpy as np

from .engine.checks import check_seed, n_steps_for
from .engine.errors import blow_up_error
from .engine.noise import NoiseSource
from .engine.runner import concatenate, initial_state, simulate
from .engine.spec import extract

__all__ = ["NumbaBackend"]


class NumbaBackend:
    """Runs TVB simulators of ``NextGenEI``, ``MPRSynaptic`` and TVB's ``MontbrioPazoRoxin``.

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

    def run_sim(self, sim, simulation_length: float | None = None, seed=None) -> list:
        """Run ``sim`` for ``simulation_length`` ms; return ``sim.run()``'s list of (time, data).

        Parameters
        ----------
        sim : tvb.simulator.simulator.Simulator
            A configured simulator.
        simulation_length : float, optional
            Length (ms); default ``sim.simulation_length``.
        seed : int or numpy.random.Generator, optional
            Noise source for stochastic integrators: None uses a copy of the simulator's own
            noise stream (same draws as ``sim.run()``), an int a faster independent generator.

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
        spec = extract(sim)
        n_steps = n_steps_for(sim, simulation_length)
        params = spec.params[..., np.newaxis]
        gain = spec.coupling.gain[..., np.newaxis]
        state = initial_state(spec, params, gain)
        noise = NoiseSource(sim, spec.stochastic, seed)

        def stop_on_blow_up(run_state, done):
            return bool(run_state.status[0, 0] >= 0) or _monitor_blown_up(spec.monitors)

        outputs, _ = simulate(
            spec, state, spec.monitors, n_steps, noise, self.chunk_steps, self.progress,
            on_chunk=stop_on_blow_up,
        )  # fmt: skip
        if state.status[0, 0] >= 0:
            raise blow_up_error(spec, state.status)
        if _monitor_blown_up(spec.monitors):
            raise _monitor_blown_up(spec.monitors).blow_up_error(0)
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
