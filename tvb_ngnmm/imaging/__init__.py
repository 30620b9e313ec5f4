"""Imaging: head models, forward models, sensors, and simulated signals out to MNE and files.

What the monitors record (:mod:`tvb_ngnmm.monitors`) meets MNE-Python, nibabel and netCDF here;
the engine needs none of it. One module per concern:

- :mod:`._head`: the chain of transforms from a connectome's recorded frame to MNE's head frame,
  and where a head model's sources must lie;
- :mod:`.sensors`: EEG, MEG and sEEG channels as an ``mne.Info`` (standard montages, tvb-data's
  sensor files, positions given in a connectome's frame);
- :mod:`.forward`: :func:`region_forward`, one dipole per region and its gain to every channel
  (a :class:`RegionForward`, which ``ForwardProjection.from_forward`` takes);
- :mod:`.surface_forward`: :func:`surface_forward`, one dipole per vertex of a cortical surface
  along its normal (a :class:`SurfaceForward`);
- :mod:`.mne_export`: sensor and region output as ``mne.io.RawArray``, ``mne.VolSourceEstimate``,
  FIF and labelled netCDF;
- :mod:`.bold_io`: BOLD per region as a 4-D NIfTI image or labelled netCDF.

MNE-Python (extra ``mne``) and nibabel (extra ``nibabel``) are imported only by the functions
that use them.
"""

from ._head import TVB76_TO_MNI_MM, fsaverage_directory
from .bold_io import bold_to_dataset, bold_to_netcdf, bold_to_nifti
from .forward import (
    BRAIN_CONDUCTIVITY,
    DIPOLE_MOMENT,
    RegionForward,
    homogeneous_dipole_gain,
    region_forward,
)
from .mne_export import (
    apply_surface_forward,
    save_fif,
    save_sensor_dataset,
    sensor_dataset,
    surface_source_estimate,
    to_raw,
    to_source_estimate,
)
from .sensors import TVB_SENSORS, connectome_sensors, read_tvb_sensors, sensor_info
from .surface_forward import DIPOLE_MOMENT_DENSITY, SurfaceForward, surface_forward

__all__ = [
    "BRAIN_CONDUCTIVITY",
    "DIPOLE_MOMENT",
    "DIPOLE_MOMENT_DENSITY",
    "TVB76_TO_MNI_MM",
    "TVB_SENSORS",
    "RegionForward",
    "SurfaceForward",
    "apply_surface_forward",
    "bold_to_dataset",
    "bold_to_netcdf",
    "bold_to_nifti",
    "connectome_sensors",
    "fsaverage_directory",
    "homogeneous_dipole_gain",
    "read_tvb_sensors",
    "region_forward",
    "save_fif",
    "save_sensor_dataset",
    "sensor_dataset",
    "sensor_info",
    "surface_forward",
    "surface_source_estimate",
    "to_raw",
    "to_source_estimate",
]
