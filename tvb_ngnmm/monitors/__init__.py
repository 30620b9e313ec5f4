"""Monitors: what a simulation records, in stock ``sim.run()`` and in the fast engine alike.

One monitor per file. Each TVB monitor the engine runs has an engine monitor registered for its
class (:func:`register_engine_monitor`, the contract in :mod:`._base`): TVB's ``Raw``,
``SubSample``, ``TemporalAverage``, ``SpatialAverage`` and ``Bold`` (HRF convolution); TVB's
``EEG``, ``MEG`` and ``iEEG`` and ``ForwardProjection`` (:mod:`.projection`). In region and
surface simulations alike (in a surface simulation the nodes are the cortical vertices and the
regions left off the surface).

Head models, forward models, sensors and export to MNE, NIfTI and netCDF are in
:mod:`tvb_ngnmm.imaging`.
"""

from . import hrf_bold, raw, spatial_average, temporal_average  # noqa: F401  (register the engine monitors)
from ._base import (
    AbstractEngineMonitor,
    engine_monitor_class,
    engine_monitor_classes,
    engine_monitor_names,
    node_space,
    register_engine_monitor,
)
from .balloon_windkessel import BalloonWindkesselBold
from .projection import ForwardProjection  # also registers TVB's EEG, MEG and iEEG

__all__ = [
    "AbstractEngineMonitor",
    "BalloonWindkesselBold",
    "ForwardProjection",
    "engine_monitor_class",
    "engine_monitor_classes",
    "engine_monitor_names",
    "node_space",
    "register_engine_monitor",
]
