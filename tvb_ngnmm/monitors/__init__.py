"""Monitors: what a simulation records, in stock ``sim.run()`` and in the fast engine alike.

One monitor per file. Each TVB monitor the engine runs has an engine monitor registered for its
class (:func:`register_engine_monitor`, the contract in :mod:`._base`): TVB's ``Raw``,
``SubSample``, ``TemporalAverage`` and ``Bold`` (HRF convolution); TVB's ``EEG``, ``MEG``
and ``iEEG`` and the region-level ``ForwardProjection`` (:mod:`.projection`).
"""

from . import hrf_bold, raw, temporal_average  # noqa: F401  (register the engine monitors)
from ._base import (
    AbstractEngineMonitor,
    engine_monitor_class,
    engine_monitor_classes,
    engine_monitor_names,
    register_engine_monitor,
)
from .balloon_windkessel import BalloonWindkesselBold
from .bold_io import bold_to_dataset, bold_to_netcdf, bold_to_nifti
from .forward import RegionForward, region_forward  # mne imported when called
from .mne_export import save_fif, save_sensor_dataset, sensor_dataset, to_raw, to_source_estimate
from .projection import ForwardProjection  # also registers TVB's EEG, MEG and iEEG

__all__ = [
    "AbstractEngineMonitor",
    "BalloonWindkesselBold",
    "ForwardProjection",
    "RegionForward",
    "bold_to_dataset",
    "bold_to_netcdf",
    "bold_to_nifti",
    "engine_monitor_class",
    "engine_monitor_classes",
    "engine_monitor_names",
    "region_forward",
    "register_engine_monitor",
    "save_fif",
    "save_sensor_dataset",
    "sensor_dataset",
    "to_raw",
    "to_source_estimate",
]
