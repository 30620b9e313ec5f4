"""The engine's monitors: the engine monitor registered for each of the simulator's monitors.

The monitors themselves, and the contract they follow, live in :mod:`tvb_ngnmm.monitors`.
"""

from __future__ import annotations

from .. import monitors as _monitors
from .errors import unsupported
from .support import monitor_names


def check_supported(sim) -> None:
    """Raise :class:`.errors.UnsupportedSimulationError` for a monitor the engine cannot run."""
    for monitor in sim.monitors:
        if _monitors.engine_monitor_class(monitor) is None:
            raise unsupported("monitor", type(monitor).__name__, monitor_names())


def make_monitors(sim, spec, batch: int = 1) -> list:
    """Engine monitors for the simulator's monitors (TVB's order)."""
    check_supported(sim)
    return [_monitors.engine_monitor_class(m)(m, spec, batch) for m in sim.monitors]
