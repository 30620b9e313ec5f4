"""TVB's ``Bold`` (convolution with a haemodynamic response function) in the engine.

A temporal average over TVB's interim period (4 ms) is written into a ring of
``hrf_length / 4 ms`` samples and convolved, at each multiple of ``istep``, with TVB's HRF kernel
(the same roll and dot as ``tvb.simulator.monitors.Bold.sample``), at time ``step * dt``. For the
nonlinear Balloon–Windkessel model see :mod:`.balloon_windkessel`.
"""

from __future__ import annotations

import numpy as np
from tvb.datatypes import equations as tvb_equations
from tvb.simulator import monitors as tvb_monitors

from ._base import AbstractEngineMonitor, BlockAverage, register_engine_monitor, select


@register_engine_monitor(tvb_monitors.Bold)
class EngineHrfBold(AbstractEngineMonitor):
    """Interim temporal average, ring of samples, HRF convolution."""

    def __init__(self, monitor, spec, batch):
        super().__init__(monitor, spec, batch)
        self.istep = int(monitor.istep)
        self.block_average = BlockAverage(
            monitor._interim_istep, monitor._interim_stock, spec.current_step, batch
        )
        stock = np.asarray(monitor._stock, dtype=float)
        self.stock = np.array(np.broadcast_to(stock, stock.shape[:-1] + (batch,)))
        self.hrf = monitor.hemodynamic_response_function
        kernel = monitor.hrf_kernel
        self.k1_V0 = None
        if isinstance(kernel, tvb_equations.FirstOrderVolterra):
            self.k1_V0 = kernel.parameters["k_1"] * kernel.parameters["V_0"]

    def _store(self, ends: np.ndarray, means: np.ndarray) -> None:
        n_stock = self.stock.shape[0]
        for end, mean in zip(ends, means, strict=True):
            self.stock[((end // self.block_average.istep % n_stock) - 1)] = mean

    def _bold(self, step: int) -> np.ndarray:
        shift = (step // self.block_average.istep % self.stock.shape[0]) - 1
        hrf = np.roll(self.hrf, shift, axis=1)
        bold = np.dot(hrf, self.stock.transpose((1, 2, 0, 3)))
        if self.k1_V0 is not None:
            bold = (bold - 1.0) * self.k1_V0
        return bold.reshape(self.stock.shape[1:])

    def consume(self, steps, obs):
        return self.consume_means(steps, *self.block_average.consume(select(obs, self.voi)))

    def consume_means(self, steps, ends, means):
        outputs = steps[steps % self.istep == 0]
        data = []
        done = 0
        for step in outputs:
            upto = int(np.searchsorted(ends, step, side="right"))
            self._store(ends[done:upto], means[done:upto])
            done = upto
            data.append(self._bold(int(step)))
        self._store(ends[done:], means[done:])
        shape = (0,) + self.stock.shape[1:]
        return outputs * self.dt, np.array(data) if data else np.zeros(shape)

    def update_tvb_monitor(self):
        self.block_average.store_stock(self.monitor._interim_stock)
        self.monitor._stock[:] = self.stock[..., :1]
