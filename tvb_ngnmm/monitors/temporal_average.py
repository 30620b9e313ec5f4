"""TVB's ``TemporalAverage`` in the engine.

The mean over the ``istep`` steps ending at each multiple of ``istep``, at time
``(step - istep / 2) * dt``, continuing the block TVB's monitor had begun (its ``_stock``), and
leaving the block under way there.
"""

from __future__ import annotations

from tvb.simulator import monitors as tvb_monitors

from ._base import AbstractEngineMonitor, BlockAverage, register_engine_monitor, select


@register_engine_monitor(tvb_monitors.TemporalAverage)
class EngineTemporalAverage(AbstractEngineMonitor):
    """Block means of the observed variables."""

    def __init__(self, monitor, spec, batch):
        super().__init__(monitor, spec, batch)
        self.block_average = BlockAverage(monitor.istep, monitor._stock, spec.current_step, batch)

    def consume(self, steps, obs):
        return self.consume_means(steps, *self.block_average.consume(select(obs, self.voi)))

    def consume_means(self, steps, ends, means):
        return (ends - self.block_average.istep / 2.0) * self.dt, means

    def update_tvb_monitor(self):
        self.block_average.store_stock(self.monitor._stock)
