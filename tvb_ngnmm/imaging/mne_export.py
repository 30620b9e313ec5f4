"""Sensor and region output of a simulation as MNE objects and files.

:func:`to_raw` turns what a sensor monitor returns — ``(time, data)`` from ``sim.run()`` or
``NumbaBackend().run_sim`` (data ``(n_time, n_voi, n_sensor, n_mode)``), or ``run_batch``'s
DataArray (dims ``member, time, state_variable, sensor``) — into an ``mne.io.RawArray``: channel
names, types and positions from a :class:`~tvb_ngnmm.imaging.RegionForward` (or an
``mne.Info``), data in SI units (V for EEG and sEEG, T for magnetometers, T/m for
gradiometers; the gain of a ``RegionForward`` already gives these), ``sfreq = 1000 / period``
with the period in ms, and ``first_samp = round(t₀ / period)`` so that ``raw.times +
raw.first_time`` are the monitor's times in s. :func:`to_source_estimate` gives region activity
as an ``mne.VolSourceEstimate`` on the forward's discrete source space (A·m),
:func:`surface_source_estimate` and :func:`apply_surface_forward` a surface simulation's vertex
activity as an ``mne.SourceEstimate`` and through MNE to sensors, :func:`save_fif`
writes FIF and :func:`sensor_dataset` / :func:`save_sensor_dataset` a labelled netCDF file, each
through a temporary file that is renamed.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import xarray as xr

from .._util import write_atomically
from ._head import import_mne
from .sensors import UNITS

#: File name endings MNE accepts for raw FIF files without a warning.
FIF_ENDINGS = ("raw.fif", "raw_sss.fif", "raw_tsss.fif", "_meg.fif", "_eeg.fif", "_ieeg.fif")


def to_raw(times, data, sensors, *, variable=0, member=None):
    """Sensor output as an ``mne.io.RawArray``.

    Parameters
    ----------
    times : array, shape (n_time,), or None
        Sample times (ms), evenly spaced. None takes the ``time`` coordinate of a DataArray.
    data : array or xarray.DataArray
        ``(n_time, n_voi, n_sensor, n_mode)`` as ``sim.run()`` returns, ``(n_time, n_sensor)``,
        or a DataArray with dims ``time`` and ``sensor`` (and ``state_variable``, ``member``).
        In SI units.
    sensors : RegionForward or mne.Info
        The channels, in the order of the data's sensor axis.
    variable : int or str
        Which variable of interest (index, or name for a DataArray).
    member : int, optional
        Which batch member (or TVB mode); needed when there is more than one.

    Returns
    -------
    mne.io.RawArray
        The recording as MNE's raw data, in SI units.
    """
    mne = import_mne()
    info = _info_of(sensors)
    times, matrix = sensor_matrix(times, data, info.ch_names, variable, member, "sensor")
    period, first_samp = sampling(times)
    info = info.copy()
    with info._unlock():  # sfreq is set once the monitor's period is known
        info["sfreq"] = 1000.0 / period
        info["lowpass"] = info["sfreq"] / 2.0
        info["highpass"] = 0.0
    return mne.io.RawArray(matrix.T, info, first_samp=first_samp, verbose=False)


def to_source_estimate(times, data, forward, *, variable=0, member=None):
    """Region activity as an ``mne.VolSourceEstimate`` on the forward's discrete source space.

    The values are dipole moments (A·m): activity times ``forward.dipole_moment``. With
    orientations (``orientations='normal'``) the moment points along each region's orientation,
    and ``mne.apply_forward(mne.convert_forward_solution(forward.forward, surf_ori=True,
    force_fixed=True), stc, info)`` gives the sensors; with free orientation the estimate holds
    the moment's size only.

    Parameters
    ----------
    times : array, shape (n_time,), or None
        Sample times (ms), evenly spaced. None takes the ``time`` coordinate of a DataArray.
    data : array or xarray.DataArray
        Region activity: ``(n_time, n_voi, n_region, n_mode)`` as ``sim.run()`` returns,
        ``(n_time, n_region)``, or a DataArray with dims ``time`` and ``region``; one column
        per region of the forward model.
    forward : RegionForward
        From :func:`~tvb_ngnmm.imaging.region_forward`, with EEG or MEG channels (an MNE
        source space).
    variable : int or str
        Which variable of interest (index, or name for a DataArray).
    member : int, optional
        Which batch member (or TVB mode); needed when there is more than one.
    """
    mne = import_mne()
    if getattr(forward, "forward", None) is None:
        raise ValueError(
            "Invalid value for the 'forward' parameter. Allowed is a RegionForward with EEG or "
            f"MEG channels (an MNE source space), but got {type(forward).__name__} without one."
        )
    labels = list(forward.region_labels)
    times, matrix = sensor_matrix(times, data, labels, variable, member, "region")
    period, first_samp = sampling(times)
    moments = matrix.T * forward.dipole_moment[:, None]
    vertices = [np.asarray(forward.forward["src"][0]["vertno"])]
    return mne.VolSourceEstimate(
        moments, vertices, tmin=first_samp * period / 1000.0, tstep=period / 1000.0,
        subject="fsaverage",
    )  # fmt: skip


def surface_source_estimate(times, data, forward, *, variable=0, member=None):
    """Vertex activity of a surface simulation as an ``mne.SourceEstimate`` (A·m).

    Parameters
    ----------
    times : array, shape (n_time,), or None
        Sample times (ms), evenly spaced. None takes the ``time`` coordinate of a DataArray.
    data : array or xarray.DataArray
        A vertex-level monitor's output (``Raw``, ``SubSample``, ``TemporalAverage``):
        ``(n_time, n_voi, n_vertex, n_mode)``, ``(n_time, n_vertex)`` or a DataArray with dims
        ``time`` and ``vertex``; one column per vertex of the forward's surface. A simulation
        whose connectivity has regions left off the surface has more nodes than vertices: pass
        its vertices only, ``data[:, :, :n_vertex]``.
    forward : SurfaceForward
        From :func:`~tvb_ngnmm.imaging.surface_forward`.
    variable : int or str
        Which variable of interest (index, or name for a DataArray).
    member : int, optional
        Which batch member (or TVB mode); needed when there is more than one.

    Returns
    -------
    mne.SourceEstimate
        Dipole moments (activity times ``forward.dipole_moment``) along the vertex normals, the
        left hemisphere's vertices then the right's, numbered by their position in their
        hemisphere's part of the TVB mesh (``forward.vertices``; see
        :mod:`tvb_ngnmm.imaging.surface_forward`).
    """
    mne = import_mne()
    order = getattr(forward, "order", None)
    if order is None or getattr(forward, "vertices", None) is None:
        raise TypeError(
            "Invalid type for the 'forward' parameter. Allowed is a SurfaceForward (from "
            f"surface_forward), but got {type(forward).__name__} instead."
        )
    n_vertex = len(order)
    _check_vertex_columns(data, n_vertex)
    labels = [f"vertex {i}" for i in range(n_vertex)]
    if hasattr(data, "dims") and "vertex" in data.coords:
        labels = [str(v) for v in data["vertex"].values]
    times, matrix = sensor_matrix(times, data, labels, variable, member, "vertex")
    period, first_samp = sampling(times)
    moments = matrix.T * forward.dipole_moment[:, None]
    return mne.SourceEstimate(
        moments[order], [np.asarray(v) for v in forward.vertices],
        tmin=first_samp * period / 1000.0, tstep=period / 1000.0,
    )  # fmt: skip


def _check_vertex_columns(data, n_vertex: int) -> None:
    """Raise unless ``data`` has one column per vertex (left-out regions' nodes named)."""
    if hasattr(data, "dims"):
        n_column = data.sizes.get("vertex")
    else:
        shape = np.shape(data)
        n_column = shape[2] if len(shape) == 4 else shape[1] if len(shape) == 2 else None
    if n_column is not None and n_column != n_vertex:
        hint = ""
        if n_column > n_vertex:
            hint = (
                f" (a simulation with regions left off the surface has their nodes after the "
                f"vertices: pass the vertices only, data[:, :, :{n_vertex}])"
            )
        raise ValueError(
            "Invalid shape for the 'data' parameter. Allowed is one column per vertex of the "
            f"forward's surface ({n_vertex}), but got {n_column} columns instead{hint}."
        )


def apply_surface_forward(times, data, forward, *, variable=0, member=None):
    """Sensor signals of a surface simulation's vertex activity through MNE.

    :func:`mne.apply_forward_raw` of :func:`surface_source_estimate` with the forward's
    fixed-orientation ``mne.Forward``; returns an ``mne.io.RawArray`` (SI units, EEG against
    infinity).

    Parameters
    ----------
    times : array, shape (n_time,), or None
        Sample times (ms), evenly spaced. None takes the ``time`` coordinate of a DataArray.
    data : array or xarray.DataArray
        A vertex-level monitor's output, as for :func:`surface_source_estimate`.
    forward : SurfaceForward
        From :func:`~tvb_ngnmm.imaging.surface_forward`.
    variable : int or str
        Which variable of interest (index, or name for a DataArray).
    member : int, optional
        Which batch member (or TVB mode); needed when there is more than one.
    """
    mne = import_mne()
    estimate = surface_source_estimate(times, data, forward, variable=variable, member=member)
    return mne.apply_forward_raw(forward.forward, estimate, forward.info, verbose=False)


def save_fif(raw, path) -> Path:
    """Write ``raw`` to ``path`` (a name MNE accepts, e.g. ``*_raw.fif``) atomically.

    Parameters
    ----------
    raw : mne.io.Raw
        The recording (e.g. from :func:`to_raw`).
    path : str or os.PathLike
        The file, with a FIF ending.
    """
    mne = import_mne()
    if not isinstance(raw, mne.io.BaseRaw):
        raise TypeError(
            "Invalid type for the 'raw' parameter. Allowed is an mne.io.Raw (e.g. from "
            f"to_raw), but got {type(raw).__name__} instead."
        )
    target = Path(path)
    if not target.name.endswith(FIF_ENDINGS):
        raise ValueError(
            "Invalid value for the 'path' parameter. Allowed are FIF names ending in "
            f"{', '.join(repr(e) for e in FIF_ENDINGS)}, but got {target.name!r} instead."
        )
    # the temporary file (created empty, exclusively) keeps the ending, so MNE accepts it
    return write_atomically(
        target,
        lambda temporary: raw.save(temporary, overwrite=True, split_size="2GB", verbose=False),
    )


def sensor_dataset(times, data, sensors, *, variable=0, member=None):
    """Sensor output as a labelled ``xarray.Dataset`` (time in ms, channel types, units, positions).

    The variable ``signal`` has dims ``(time, sensor)``; per-sensor coordinates ``ch_type``,
    ``units`` and ``x, y, z`` (m, MNE's head frame); attributes ``sfreq`` (Hz), ``period_ms``
    and ``first_samp``.

    Parameters
    ----------
    times : array, shape (n_time,), or None
        Sample times (ms), evenly spaced. None takes the ``time`` coordinate of a DataArray.
    data : array or xarray.DataArray
        ``(n_time, n_voi, n_sensor, n_mode)`` as ``sim.run()`` returns, ``(n_time, n_sensor)``,
        or a DataArray with dims ``time`` and ``sensor`` (and ``state_variable``, ``member``).
        In SI units.
    sensors : RegionForward or mne.Info
        The channels, in the order of the data's sensor axis.
    variable : int or str
        Which variable of interest (index, or name for a DataArray).
    member : int, optional
        Which batch member (or TVB mode); needed when there is more than one.
    """
    info = _info_of(sensors)
    times, matrix = sensor_matrix(times, data, info.ch_names, variable, member, "sensor")
    period, first_samp = sampling(times)
    types = info.get_channel_types()
    units = [UNITS.get(t, "") for t in types]
    xyz = np.array([ch["loc"][:3] for ch in info["chs"]])
    coords = {
        "time": ("time", times, {"units": "ms"}),
        "sensor": list(info.ch_names),
        "ch_type": ("sensor", types),
        "units": ("sensor", units),
        **{axis: ("sensor", xyz[:, k], {"units": "m", "frame": "head (MNE)"})
           for k, axis in enumerate("xyz")},
    }  # fmt: skip
    unit = units[0] if len(set(units)) == 1 else "per sensor, see the 'units' coordinate"
    signal = xr.DataArray(matrix, dims=("time", "sensor"), attrs={"units": unit})
    attrs = {"sfreq": 1000.0 / period, "period_ms": period, "first_samp": first_samp}
    return xr.Dataset({"signal": signal}, coords=coords, attrs=attrs)


def save_sensor_dataset(dataset, path) -> Path:
    """Write a :func:`sensor_dataset` to netCDF (HDF5) atomically.

    Parameters
    ----------
    dataset : xarray.Dataset
        From :func:`sensor_dataset`.
    path : str or os.PathLike
        The file.
    """
    if not isinstance(dataset, xr.Dataset):
        raise TypeError(
            "Invalid type for the 'dataset' parameter. Allowed is an xarray.Dataset (from "
            f"sensor_dataset), but got {type(dataset).__name__} instead."
        )
    return write_atomically(path, lambda p: dataset.to_netcdf(p, engine="h5netcdf"))


def _info_of(sensors):
    mne = import_mne()
    info = getattr(sensors, "info", sensors)
    if not isinstance(info, mne.Info):
        raise TypeError(
            "Invalid type for the 'sensors' parameter. Allowed are a RegionForward or an "
            f"mne.Info, but got {type(sensors).__name__} instead."
        )
    return info


def sampling(times: np.ndarray) -> tuple[float, int]:
    """The period (ms) of evenly spaced ``times`` (ms) and MNE's ``first_samp``.

    ``first_samp`` is ``times[0] / period``. Times half a period off that grid are the stamps of
    averaging monitors (the middle of each window): ``first_samp`` then counts window starts, so
    that MNE's sample times are the starts of the windows. Any other offset is rounded, with a
    warning.
    """
    if times.ndim != 1 or times.size < 2 or not np.all(np.isfinite(times)):
        raise ValueError(
            "Invalid value for the 'times' parameter. Allowed are at least two finite sample "
            f"times (ms), but got shape {times.shape} instead."
        )
    steps = np.diff(times)
    period = float(np.mean(steps))
    if period <= 0 or not np.allclose(steps, period, rtol=1e-6, atol=1e-9 * abs(period)):
        raise ValueError(
            "Invalid value for the 'times' parameter. Allowed are evenly spaced increasing "
            f"times, but got steps from {steps.min():g} to {steps.max():g} ms."
        )
    first_samp = int(round(times[0] / period))
    offset = times[0] - first_samp * period
    half = times[0] / period - np.floor(times[0] / period) - 0.5
    if abs(half) <= 1e-6:
        # Averaging monitors (TemporalAverage, EEG, MEG, iEEG, ForwardProjection) stamp each
        # sample at the middle of its window: sample k then stands for the window that starts
        # at k / sfreq.
        return period, int(np.floor(times[0] / period))
    if abs(offset) > 1e-6 * period:
        warnings.warn(
            f"The first time, {times[0]:g} ms, is {offset:g} ms off the grid of the period "
            f"({period:g} ms) that MNE's first_samp counts on; first_samp = {first_samp} "
            f"(t = {first_samp * period:g} ms).",
            UserWarning,
            stacklevel=3,
        )
    return period, first_samp


def sensor_matrix(times, data, labels, variable, member, space: str):
    """Times (ms) and a ``(n_time, len(labels))`` matrix from a monitor's output, checked."""
    if hasattr(data, "dims"):
        times, matrix = _from_data_array(times, data, labels, variable, member, space)
    else:
        matrix = _from_array(np.asarray(data, dtype=float), variable, member)
    times = np.asarray(times, dtype=float)
    if matrix.shape != (times.shape[0], len(labels)):
        raise ValueError(
            f"Invalid shape for the 'data' parameter. Allowed is one row per time ({len(times)})"
            f" and one column per {space} ({len(labels)}), but got {matrix.shape} instead."
        )
    bad = ~np.isfinite(matrix)
    if bad.any():
        t, k = np.argwhere(bad)[0]
        raise ValueError(
            f"The data have {int(bad.sum())} non-finite values (first at t = {times[t]:g} ms, "
            f"{space} {labels[k]!r}); allowed are finite values only."
        )
    return times, matrix


def _from_array(array: np.ndarray, variable, member) -> np.ndarray:
    if array.ndim == 2:
        return array
    if array.ndim != 4:
        raise ValueError(
            "Invalid shape for the 'data' parameter. Allowed are (n_time, n_voi, n_space, "
            f"n_mode) as sim.run() returns, or (n_time, n_space), but got {array.shape} instead."
        )
    return array[:, _index("variable", variable, array.shape[1]), :, _member(member, array)]


def _member(member, array) -> int:
    if member is None and array.shape[-1] != 1:
        raise ValueError(
            f"The data hold {array.shape[-1]} members (or modes); allowed is one, or pass "
            "member=<index>."
        )
    return _index("member", 0 if member is None else member, array.shape[-1])


def _index(name: str, value, size: int) -> int:
    if not isinstance(value, int | np.integer) or not -size <= value < size:
        raise ValueError(
            f"Invalid value for the {name!r} parameter. Allowed are integers from 0 to "
            f"{size - 1}, but got {value!r} instead."
        )
    return int(value)


def _from_data_array(times, data, labels, variable, member, space: str):
    if "time" not in data.dims or space not in data.dims:
        raise ValueError(
            f"Invalid value for the 'data' parameter. Allowed are DataArrays with dims 'time' "
            f"and {space!r}, but got dims {data.dims} instead."
        )
    if "state_variable" in data.dims:
        names = [str(v) for v in data["state_variable"].values]
        position = names.index(variable) if variable in names else variable
        data = data.isel(state_variable=_index("variable", position, len(names)))
    if "member" in data.dims:
        size = data.sizes["member"]
        if member is None and size != 1:
            raise ValueError(
                f"The data hold {size} members; allowed is one, or pass member=<index>."
            )
        data = data.isel(member=_index("member", 0 if member is None else member, size))
    if space in data.coords:
        given = [str(v) for v in data[space].values]
        if given != [str(v) for v in labels]:
            raise ValueError(
                f"The data's {space} labels do not match the channels: allowed are "
                f"{list(labels)[:5]}... ({len(labels)}), but got {given[:5]}... ({len(given)})."
            )
    times = data["time"].values if times is None else times
    return times, np.asarray(data.transpose("time", space).values, dtype=float)
