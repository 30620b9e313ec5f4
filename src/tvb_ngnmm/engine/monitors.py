r"""TVB's monitors, fed chunk by chunk with the observed states of every step.

Each monitor consumes the chunk's observed variables ``obs`` (n_steps, n_obs, n_node, B) with
the step numbers ``steps`` and returns the samples of that chunk, so that memory depends on the
chunk and the monitor's own buffers, not on the simulated length. Outputs reproduce TVB's:

- ``Raw``: every step, time ``step * dt``; ``SubSample``: steps that are multiples of
  ``istep``, time ``step * dt``;
- ``TemporalAverage``: the mean over the ``istep`` steps ending at each multiple of ``istep``,
  time ``(step - istep / 2) * dt``;
- ``Bold``: a temporal average over TVB's interim period (4 ms) written into a ring of
  ``hrf_length / 4 ms`` samples, convolved at each multiple of ``istep`` with TVB's HRF kernel
  (the same roll and dot as ``tvb.simulator.monitors.Bold.sample``), time ``step * dt``.

The monitors start from the TVB monitor's own buffers (``_stock``), as a continued TVB run
would. The B axis (batch members) takes the place of TVB's mode axis.
"""

from __future__ import annotations

import numpy as np
from tvb.datatypes import equations as tvb_equations
from tvb.simulator import monitors as tvb_monitors

from .errors import unsupported

SUPPORTED = ("Raw", "SubSample", "TemporalAverage", "Bold")


def _stock_rows(stock: np.ndarray, first: int, last: int, istep: int, batch: int) -> np.ndarray:
    """TVB stock rows of steps ``first..last`` (chronological), broadcast to ``batch``."""
    steps = np.arange(first, last + 1)
    rows = stock[(steps % istep) - 1]
    return np.array(np.broadcast_to(rows, rows.shape[:-1] + (batch,)), dtype=float)


def _select(obs: np.ndarray, voi: np.ndarray) -> np.ndarray:
    """``obs[:, voi]``, without a copy when ``voi`` takes every observed variable in order."""
    if len(voi) == obs.shape[1] and np.array_equal(voi, np.arange(len(voi))):
        return obs
    return obs[:, voi]


class BlockAverage:
    """Means over the blocks of ``istep`` steps ending at multiples of ``istep``."""

    def __init__(self, istep: int, stock: np.ndarray, current_step: int, batch: int):
        self.istep = istep
        self.boundary = current_step - current_step % istep
        self.pending = _stock_rows(stock, self.boundary + 1, current_step, istep, batch)

    def consume(self, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Steps (the block ends) and means of the blocks completed by ``values``."""
        # Only the rows of the block begun in an earlier chunk are copied; the rest are
        # averaged in place.
        head = np.zeros((0,) + values.shape[1:])
        if len(self.pending):
            need = self.istep - len(self.pending)
            if len(values) < need:
                self.pending = np.concatenate([self.pending, values])
                return np.zeros(0, dtype=np.int64), head
            block = np.concatenate([self.pending, values[:need]])
            head = block.reshape((1,) + block.shape).mean(axis=1)
            values = values[need:]
        n_out = len(values) // self.istep
        used = n_out * self.istep
        means = values[:used].reshape((n_out, self.istep) + values.shape[1:]).mean(axis=1)
        if len(head):
            means = np.concatenate([head, means])
        self.pending = values[used:].copy()
        ends = self.boundary + self.istep * np.arange(1, len(means) + 1)
        self.boundary += self.istep * len(means)
        return ends, means


class RawMonitor:
    """``Raw`` (every step) and ``SubSample`` (every ``istep`` steps)."""

    def __init__(self, monitor, voi: np.ndarray, dt: float, istep: int):
        self.voi, self.dt, self.istep = voi, dt, istep

    def consume(self, steps: np.ndarray, obs: np.ndarray):
        """Times and data of this chunk."""
        keep = slice(None) if self.istep == 1 else steps % self.istep == 0
        return steps[keep] * self.dt, _select(obs[keep], self.voi)


class TemporalAverageMonitor:
    """TVB's ``TemporalAverage``."""

    def __init__(self, monitor, voi, dt, current_step, batch):
        self.voi, self.dt = voi, dt
        self.average = BlockAverage(monitor.istep, monitor._stock, current_step, batch)

    def consume(self, steps, obs):
        """Times and data of this chunk."""
        ends, means = self.average.consume(_select(obs, self.voi))
        return (ends - self.average.istep / 2.0) * self.dt, means


class BoldMonitor:
    """TVB's ``Bold``: interim temporal average, ring of samples, HRF convolution."""

    def __init__(self, monitor, voi, dt, current_step, batch):
        self.voi, self.dt, self.istep = voi, dt, monitor.istep
        self.interim = BlockAverage(
            monitor._interim_istep, monitor._interim_stock, current_step, batch
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
            self.stock[((end // self.interim.istep % n_stock) - 1)] = mean

    def _bold(self, step: int) -> np.ndarray:
        shift = (step // self.interim.istep % self.stock.shape[0]) - 1
        hrf = np.roll(self.hrf, shift, axis=1)
        bold = np.dot(hrf, self.stock.transpose((1, 2, 0, 3)))
        if self.k1_V0 is not None:
            bold = (bold - 1.0) * self.k1_V0
        return bold.reshape(self.stock.shape[1:])

    def consume(self, steps, obs):
        """Times and data of this chunk."""
        ends, means = self.interim.consume(_select(obs, self.voi))
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


def check_supported(sim) -> None:
    """Raise :class:`.errors.UnsupportedSimulationError` for a monitor the engine cannot run."""
    for monitor in sim.monitors:
        if type(monitor) not in tuple(getattr(tvb_monitors, name) for name in SUPPORTED):
            raise unsupported("monitor", type(monitor).__name__, SUPPORTED)


def make_monitors(sim, spec, batch: int = 1) -> list:
    """Engine monitors for the simulator's monitors (TVB's order)."""
    check_supported(sim)
    out = []
    for monitor in sim.monitors:
        kind = type(monitor)
        voi = np.asarray(monitor.voi, dtype=np.int64)
        if kind is tvb_monitors.Raw:
            out.append(RawMonitor(monitor, voi, spec.dt, 1))
        elif kind is tvb_monitors.SubSample:
            out.append(RawMonitor(monitor, voi, spec.dt, int(monitor.istep)))
        elif kind is tvb_monitors.TemporalAverage:
            out.append(TemporalAverageMonitor(monitor, voi, spec.dt, spec.current_step, batch))
        elif kind is tvb_monitors.Bold:
            out.append(BoldMonitor(monitor, voi, spec.dt, spec.current_step, batch))
        else:
            raise unsupported("monitor", kind.__name__, SUPPORTED)
    return out
