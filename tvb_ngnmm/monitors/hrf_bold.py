"""TVB's ``Bold`` (convolution with a haemodynamic response function) in the engine.

A temporal average over TVB's interim period (4 ms) is written into a ring of
``hrf_length / 4 ms`` samples and convolved, at each multiple of ``istep``, with TVB's HRF kernel
(the same roll and dot as ``tvb.simulator.monitors.Bold.sample``), at time ``step * dt``. For the
nonlinear Balloon–Windkessel model see :mod:`.balloon_windkessel`.

On a surface the ring holds ``hrf_length / 4 ms`` samples of every node: 5000 × 16384 float64
(655 MB) per variable for ``cortex_16384`` at TVB's default 20 s, kept by TVB's monitor and
again by the engine's. TVB's ``BoldRegionROI`` (the region means of the vertices' BOLD) runs
in the engine on the regions' means instead (the convolution is linear, so the mean commutes
with it): a ring of 5000 × the regions, and TVB's vertex-level ring is written back, each
vertex given its region's mean, only when a run ends (from which ``BoldRegionROI``'s output,
which reads region means only, continues unchanged).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse
from tvb.datatypes import equations as tvb_equations
from tvb.simulator import monitors as tvb_monitors

from ._base import AbstractEngineMonitor, BlockAverage, register_engine_monitor, select
from .spatial_average import nodes_first_product


@register_engine_monitor(tvb_monitors.Bold)
class EngineHrfBold(AbstractEngineMonitor):
    """Interim temporal average, ring of samples, HRF convolution."""

    def __init__(self, monitor, spec, batch):
        super().__init__(monitor, spec, batch)
        self.istep = int(monitor.istep)
        self.block_average = BlockAverage(
            monitor._interim_istep, monitor._interim_stock, spec.current_step, batch
        )
        stock = self._reduce(np.asarray(monitor._stock, dtype=float)[..., :1])
        self.stock = np.array(np.broadcast_to(stock, stock.shape[:-1] + (batch,)))
        self.hrf = monitor.hemodynamic_response_function
        kernel = monitor.hrf_kernel
        self.k1_V0 = None
        if isinstance(kernel, tvb_equations.FirstOrderVolterra):
            self.k1_V0 = kernel.parameters["k_1"] * kernel.parameters["V_0"]

    def _reduce(self, means: np.ndarray) -> np.ndarray:
        """The values ``(n, n_voi, n_node, B)`` the ring keeps: all of them here."""
        return means

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
        means = self._reduce(means)
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


@register_engine_monitor(tvb_monitors.BoldRegionROI)
class EngineBoldRegionROI(EngineHrfBold):
    """TVB's ``BoldRegionROI`` (surface simulations): the HRF ``Bold`` of the regions' means."""

    def __init__(self, monitor, spec, batch):
        if getattr(spec, "surface", None) is None:
            raise ValueError(
                "Invalid value for the 'surface' of the simulator for the BoldRegionROI monitor. "
                "Allowed are surface simulations (it averages the vertices of each region), but "
                "got a region simulation (use Bold)."
            )
        voi = np.asarray(monitor.voi)
        if not np.array_equal(voi, np.arange(len(voi))):
            raise ValueError(
                "Invalid value for the 'variables_of_interest' parameter of the BoldRegionROI "
                "monitor. Allowed are the first variables of interest in order (TVB's "
                "BoldRegionROI indexes its BOLD by them a second time), but got "
                f"{voi.tolist()} instead."
            )
        self.mapping = np.asarray(monitor.region_mapping, dtype=np.int64)
        n_region = int(monitor.no_regions)
        counts = np.bincount(self.mapping, minlength=n_region).astype(float)
        self.region_mean = scipy.sparse.csr_matrix(
            (1.0 / counts[self.mapping], (self.mapping, np.arange(self.mapping.size))),
            shape=(n_region, self.mapping.size),
        )
        super().__init__(monitor, spec, batch)
        self.space, self.space_labels = "region", tuple(spec.surface.region_labels)

    def _reduce(self, means: np.ndarray) -> np.ndarray:
        """The regions' means of ``means`` (n, n_voi, n_node, B)."""
        return nodes_first_product(self.region_mean, means)

    def update_tvb_monitor(self):
        """TVB's interim block per node, and its vertex-level ring with each node at its region's
        mean (in slices: no copy of the whole ring)."""
        self.block_average.store_stock(self.monitor._interim_stock)
        target = self.monitor._stock
        for start in range(0, target.shape[0], 64):
            rows = self.stock[start : start + 64, :, :, :1]
            target[start : start + 64] = rows[:, :, self.mapping]
