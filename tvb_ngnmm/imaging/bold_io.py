"""BOLD out: per-region time series to a 4-D NIfTI image or to labelled netCDF (xarray).

Both take what ``sim.run()`` (or ``NumbaBackend().run_sim``) returns for a
:class:`~tvb_ngnmm.monitors.BalloonWindkesselBold`: sample times in ms and data shaped
``(n_time, 1, n_region, 1)`` (or ``(n_time, n_region)``), in percent signal change.
"""

from __future__ import annotations

import os

import numpy as np
import xarray as xr

from .._util import write_atomically
from ..connectomes import region_values_to_nifti
from ..monitors.balloon_windkessel import FRISTON_2003, BalloonWindkesselBold

__all__ = ["bold_to_dataset", "bold_to_netcdf", "bold_to_nifti"]


def _region_series(times, data) -> tuple[np.ndarray, np.ndarray]:
    """Times (ms, 1-D) and data ``(n_time, n_region)``, checked."""
    times = np.asarray(times, dtype=float)
    data = np.asarray(data, dtype=float)
    if data.ndim == 4 and data.shape[1] == 1 and data.shape[3] == 1:
        data = data[:, 0, :, 0]
    if data.ndim != 2 or times.shape != (len(data),):
        raise ValueError(
            "Invalid value for the 'data' parameter. Allowed are arrays of shape (n_time, 1, "
            "n_region, 1) or (n_time, n_region) with one time per row, but got shape "
            f"{data.shape} for {times.size} times instead."
        )
    if not np.all(np.isfinite(times)) or np.any(np.diff(times) <= 0):
        raise ValueError(
            "Invalid value for the 'times' parameter. Allowed are finite, increasing sample "
            f"times (ms), but got {times[:5].tolist()}{' ...' if len(times) > 5 else ''} instead."
        )
    return times, data


def _check_output_path(path) -> None:
    """Raise for a path that names a folder or lies in a folder that does not exist (the
    atomic write would fail naming its temporary file)."""
    folder = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(path) or not os.path.isdir(folder):
        what = "a folder" if os.path.isdir(path) else f"in a folder that does not exist ({folder})"
        raise ValueError(
            "Invalid value for the 'path' parameter. Allowed is a file in an existing folder, "
            f"but got {os.fspath(path)!r}, {what}, instead."
        )


def _region_labels(region_labels, n_region: int) -> list[str]:
    if isinstance(region_labels, str) or not hasattr(region_labels, "__len__"):
        raise ValueError(
            "Invalid value for the 'region_labels' parameter. Allowed is a sequence of one "
            f"label per region ({n_region}), but got {region_labels!r} instead."
        )
    labels = [str(label) for label in region_labels]
    if len(labels) != n_region:
        raise ValueError(
            "Invalid value for the 'region_labels' parameter. Allowed is one label per region "
            f"({n_region}), but got {len(labels)} instead."
        )
    repeated = sorted({label for label in labels if labels.count(label) > 1})
    if repeated:
        raise ValueError(
            "Invalid value for the 'region_labels' parameter. Allowed are distinct labels, but "
            f"got {', '.join(repr(r) for r in repeated[:5])} more than once instead."
        )
    return labels


def _repetition_time(times: np.ndarray, period: float | None) -> float:
    """The TR (ms): the (uniform) spacing of ``times``; ``period`` where there is a single
    time, and otherwise only if it equals that spacing."""
    if period is not None and not (np.isfinite(period) and period > 0):
        raise ValueError(
            "Invalid value for the 'period' parameter. Allowed values are finite numbers "
            f"> 0 (ms), but got {period!r} instead."
        )
    steps = np.diff(times)
    if period is not None and len(steps) == 0:
        return float(period)
    if len(steps) == 0 or not np.allclose(steps, steps[0], rtol=1e-9, atol=0) or steps[0] <= 0:
        raise ValueError(
            "Invalid value for the 'times' parameter. Allowed are at least two increasing, "
            "evenly spaced times (ms), or one time and 'period', but got "
            f"{times[:5].tolist()}{' ...' if len(times) > 5 else ''} instead."
        )
    if period is not None and not np.isclose(period, steps[0], rtol=1e-6, atol=0):
        raise ValueError(
            "Invalid value for the 'period' parameter. Allowed is the spacing of the sample "
            f"times, {steps[0]:g} ms (the image's TR), or None, but got {period:g} ms instead."
        )
    return float(steps[0])


def _check_finite(times: np.ndarray, values: np.ndarray) -> None:
    """Raise, naming the first non-finite value's time and region, if there is one."""
    bad = ~np.isfinite(values)
    if bad.any():
        row, region = np.argwhere(bad)[0]
        raise ValueError(
            "Invalid value for the 'data' parameter. Allowed are finite values (a NIfTI image "
            f"of BOLD), but got {values[row, region]} at t = {times[row]:g} ms in region "
            f"{region} ({int(bad.sum())} non-finite values in all) instead."
        )


def _check_nifti_path(path) -> None:
    name = os.fspath(path)
    if not name.endswith((".nii", ".nii.gz")):
        raise ValueError(
            "Invalid value for the 'path' parameter. Allowed are paths ending in '.nii' or "
            f"'.nii.gz' (a single-file NIfTI image), but got {name!r} instead."
        )


def bold_to_nifti(times, data, parcellation, path: str | os.PathLike | None = None,
                  period: float | None = None):  # fmt: skip
    """Paint BOLD per region onto a parcellation as a 4-D NIfTI image (TR in the header).

    Parameters
    ----------
    times : array_like, shape (n_time,)
        Sample times (ms), as ``sim.run()`` returns them.
    data : array_like, shape (n_time, 1, n_region, 1) or (n_time, n_region)
        BOLD (percent signal change), regions in the parcellation's region order.
    parcellation : tvb_ngnmm.connectomes.nifti.Parcellation
    path : path-like, optional
        Where to save, atomically: a name ending in ``.nii`` or ``.nii.gz`` (others refused).
    period : float, optional
        The TR (ms): needed only for a single sample; with more, the spacing of ``times`` is
        the TR and a different ``period`` is refused.

    Returns
    -------
    nibabel.Nifti1Image
        Float32, the parcellation's affine, 0 outside regions; ``pixdim[4]`` = TR in seconds,
        ``toffset`` = first sample time in seconds, units mm and s.
    """
    times, values = _region_series(times, data)
    repetition_time = _repetition_time(times, period) / 1000.0
    _check_finite(times, values)
    if path is not None:
        _check_nifti_path(path)
        _check_output_path(path)
    image = region_values_to_nifti(values.T, parcellation)  # 4-D: (x, y, z, time)
    header = image.header
    header.set_zooms(header.get_zooms()[:3] + (repetition_time,))
    header.set_xyzt_units("mm", "sec")
    header["toffset"] = times[0] / 1000.0 if len(times) else 0.0
    header["descrip"] = b"BOLD, percent signal change"
    if path is not None:
        import nibabel  # deferred: optional extra 'nibabel'  # noqa: PLC0415

        write_atomically(path, lambda temporary: nibabel.save(image, temporary))
    return image


def _convention_attributes(monitor) -> dict:
    """The monitor's settings and constants as netCDF attributes (numbers and strings)."""
    consts = monitor.constants()
    k1, k2, k3 = consts.coefficients(monitor.coefficients)
    return {
        "monitor": "BalloonWindkesselBold",
        "signal_variable": str(getattr(monitor, "resolved_variable", monitor.variable)),
        "gain": float(monitor.gain),
        "baseline": float(monitor.baseline),
        "field_strength": str(monitor.field_strength),
        "coefficients": str(monitor.coefficients),
        "hemodynamic_step_ms": float(getattr(monitor, "hemodynamic_dt", monitor.hemodynamic_step)),
        "repetition_time_ms": float(monitor.period),
        "kappa_per_s": FRISTON_2003.kappa,
        "gamma_per_s": FRISTON_2003.gamma,
        "tau_s": FRISTON_2003.tau,
        "alpha": FRISTON_2003.alpha,
        "echo_time_s": consts.echo_time,
        "resting_oxygen_extraction": consts.resting_oxygen_extraction,
        "resting_venous_volume": consts.resting_venous_volume,
        "frequency_offset_per_s": consts.frequency_offset,
        "relaxation_slope_per_s": consts.relaxation_slope,
        "signal_ratio": consts.signal_ratio,
        "k1": k1,
        "k2": k2,
        "k3": k3,
        "constants_source": consts.source,
        "convention": "Balloon-Windkessel, Friston et al. 2003 (NeuroImage 19:1273) "
        "hemodynamics; Stephan et al. 2007 (NeuroImage 38:387) BOLD signal equation",
    }


def bold_to_dataset(times, data, region_labels, monitor=None):
    """BOLD as a labelled ``xarray.Dataset`` (variable ``'BOLD'``, dims ``(time, region)``).

    Parameters
    ----------
    times : array_like, shape (n_time,)
        Sample times (ms); stored in **seconds** (coordinate ``time``, ``units='s'``).
    data : array_like, shape (n_time, 1, n_region, 1) or (n_time, n_region)
        BOLD (percent signal change).
    region_labels : sequence of str
        One per region (e.g. ``sim.connectivity.region_labels``).
    monitor : BalloonWindkesselBold, optional
        Its settings and constants (field strength, coefficients, k₁..k₃, κ, γ, τ, α, ...)
        are stored as attributes.
    """
    times, values = _region_series(times, data)
    labels = _region_labels(region_labels, values.shape[1])
    if monitor is not None and not isinstance(monitor, BalloonWindkesselBold):
        raise ValueError(
            "Invalid value for the 'monitor' parameter. Allowed are None or the "
            f"BalloonWindkesselBold that recorded the data, but got {type(monitor).__name__} "
            "instead."
        )
    bold = xr.DataArray(
        values,
        dims=("time", "region"),
        coords={
            "time": ("time", times / 1000.0, {"units": "s", "long_name": "sample time"}),
            "region": ("region", labels),
        },
        attrs={"units": "percent signal change", "long_name": "BOLD"},
    )
    attrs = {"title": "BOLD per region"}
    if monitor is not None:
        attrs.update(_convention_attributes(monitor))
    return xr.Dataset({"BOLD": bold}, attrs=attrs)


def bold_to_netcdf(path: str | os.PathLike, times, data, region_labels, monitor=None):
    """Write :func:`bold_to_dataset` to netCDF-4 (h5netcdf), atomically; return the dataset.

    Parameters
    ----------
    path : str or os.PathLike
        The file.
    times : array_like, shape (n_time,)
        Sample times (ms), as for :func:`bold_to_dataset`.
    data : array_like, shape (n_time, 1, n_region, 1) or (n_time, n_region)
        BOLD (percent signal change).
    region_labels : sequence of str
        One per region.
    monitor : BalloonWindkesselBold, optional
        The monitor that recorded the data; its settings are stored as attributes.
    """
    _check_output_path(path)
    dataset = bold_to_dataset(times, data, region_labels, monitor)
    write_atomically(path, lambda temporary: dataset.to_netcdf(temporary, engine="h5netcdf"))
    return dataset
