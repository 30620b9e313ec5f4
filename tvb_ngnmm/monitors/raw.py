"""TVB's ``Raw`` (every step) and ``SubSample`` (every ``istep`` steps) in the engine.

Both sample the state at the end of a step, at time ``step * dt``, as TVB does.
"""

from __future__ import annotations

import numpy as np
from tvb.simulator import monitors as tvb_monitors

from ._base import AbstractEngineMonitor, register_engine_monitor, select


@register_engine_monitor(tvb_monitors.Raw, tvb_monitors.SubSample)
class EngineRaw(AbstractEngineMonitor):
    """The observed variables at every ``istep``-th step (``istep = 1`` for ``Raw``)."""

    def __init__(self, monitor, spec, batch):
        super().__init__(monitor, spec, batch)
        self.istep = 1 if type(monitor) is tvb_monitors.Raw else int(monitor.istep)

    def consume(self, steps: np.ndarray, obs: np.ndarray):
        keep = slice(None) if self.istep == 1 else steps % self.istep == 0
        return steps[keep] * self.dt, select(obs[keep], self.voi)
