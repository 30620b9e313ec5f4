"""TVB's ``TemporalAverage`` in the engine.

The mean over the ``istep`` steps ending at each multiple of ``istep``, at time
``(step - istep / 2) * dt``, continuing the block TVB's monitor had begun (its ``_stock``).
"""

from __future__ import annotations

from tvb.simulator import monitors as tvb_monitors

from ._base import AbstractEngineMonitor, BlockAverage, register_engine_monitor, select


@register_engine_monitor(tvb_monitors.TemporalAverage)
class EngineTemporalAverage(AbstractEngineMonitor):
    """Block means of the observed variables."""

    def __init__(self, monitor, spec, batch):
        super().__init__(monitor, spec, batch)
        self.average = BlockAverage(monitor.istep, monitor._stock, spec.current_step, batch)

    def consume(self, steps, obs):
        ends, means = self.average.consume(select(obs, self.voi))
        return (ends - self.average.istep / 2.0) * self.dt, means
