"""The labelled zarr store of a sweep: one slot per point, written as results arrive.

Layout (xarray on zarr, format 2): dimension ``point`` (the design's order), one coordinate
per swept parameter (``(point,)`` or ``(point, region)``, units in its attributes), ``region``
labels, a ``done`` flag per point, the blow-up record (``blown_up``, ``blow_up_time`` in ms,
``blow_up_region_index``) and one variable per measure, created when the first result that has
it arrives (unwritten slots read NaN). The attributes hold the simulator's configuration (as
JSON), the units, the seeds (``history_seed``, ``noise_seed``, ``seed``) and four fingerprints
(SHA-256): of the simulator, of the design, of the run settings (measures, length, raw output,
seed) and of where every run starts (``history_seed`` and the initial history, state and noise
stream).

Safety. One process writes (the client); each chunk file is replaced atomically by zarr's local
store (written to a temporary file, then renamed), and a point's ``done`` flag is written after
its results. A point is thus either done with its results on disk, or not done (and computed
again on resume, into the same slot): a killed worker or client loses nothing and duplicates
nothing. The store itself is created in a temporary directory and renamed into place.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import uuid
from pathlib import Path

import numpy as np

SKIPPED = {"gid", "title", "tags"}


def describe(obj, depth: int = 0):
    """A JSON-able description of a TVB object's declared attributes (big arrays hashed)."""
    if isinstance(obj, list | tuple):
        return [describe(o, depth + 1) for o in obj]
    attrs = getattr(type(obj), "declarative_attrs", None)
    if attrs is None or depth > 4:
        return _value(obj)
    out = {"class": type(obj).__name__}
    for name in attrs:
        if name not in SKIPPED:
            out[name] = describe(getattr(obj, name, None), depth + 1)
    return out


def _value(value):
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        if value.dtype.kind not in "biuf":
            value = np.array([str(v) for v in value.ravel()])
            digest = hashlib.sha256("\x00".join(value).encode()).hexdigest()
        elif value.size <= 16:
            return value.tolist()
        else:
            digest = hashlib.sha256(np.ascontiguousarray(value).tobytes()).hexdigest()
        return {"shape": list(value.shape), "sha256": digest}
    return type(value).__name__


def simulator_description(sim) -> dict:
    """The configuration of a simulator that a sweep's results depend on.

    Where its runs start (the initial history ``configure()`` draws at random, the current
    state, the noise stream's state) is not part of it: a sweep fingerprints that apart
    (``fingerprint_initial_state``), so that a store can say which of the two differs.
    """
    # deferred: TVB's simulator imports all of TVB's model families (1.3 s)
    from tvb.simulator.simulator import Simulator  # noqa: PLC0415

    return {name: describe(getattr(sim, name, None)) for name in Simulator.declarative_attrs
            if name not in SKIPPED}  # fmt: skip


def digest(obj) -> str:
    """SHA-256 of a JSON-able object."""
    return hashlib.sha256(json.dumps(obj, sort_keys=True, default=str).encode()).hexdigest()


def _bad_store(path, reason: str) -> ValueError:
    return ValueError(
        f"Invalid value for the 'store' parameter. Allowed are a new path or the store of a "
        f"sweep with the same simulator, design and settings (to resume it), but got {str(path)!r}"
        f" instead: {reason}. Use another path, or delete the store to start again."
    )


class SweepStore:
    """A sweep's zarr store on local disk (see the module's docstring).

    Parameters
    ----------
    path : str or os.PathLike
        The store's folder.
    """

    def __init__(self, path):
        self.path = Path(path)
        self._arrays = None  # {name: zarr array} of the writes, opened once

    @staticmethod
    def check_path(path) -> None:
        """Refuse a path that cannot be a store (a file), before anything runs.

        Parameters
        ----------
        path : str or os.PathLike
            The store's folder.
        """
        if Path(path).exists() and not Path(path).is_dir():
            raise _bad_store(path, "it is a file (a store is a folder)")

    @classmethod
    def open(cls, path, template, fingerprints: dict) -> SweepStore:
        """Open the store at ``path``, checking its fingerprints, or create it from ``template``.

        Parameters
        ----------
        path : str or Path
        template : xarray.Dataset
            Coordinates, ``done`` and the blow-up record of a new store.
        fingerprints : dict
            ``{'simulator': sha, 'design': sha, 'run': sha, 'initial_state': sha}``.
        """
        cls.check_path(path)
        store = cls(path)
        if store.path.exists():
            store._check(fingerprints)
            return store
        attrs = {f"fingerprint_{k}": v for k, v in fingerprints.items()}
        temporary = store.path.with_name(f".{store.path.name}.{uuid.uuid4().hex}.partial")
        try:
            template.assign_attrs(attrs).to_zarr(temporary, mode="w", consolidated=False,
                                                 zarr_format=2)  # fmt: skip
            os.rename(temporary, store.path)
        finally:
            shutil.rmtree(temporary, ignore_errors=True)
        return store

    def _check(self, fingerprints: dict) -> None:
        # deferred: optional extra 'explore'
        import zarr  # noqa: PLC0415

        try:
            attrs = dict(zarr.open_group(self.path, mode="r", zarr_format=2).attrs)
        except Exception as err:  # noqa: BLE001 - any failure means it is not a sweep's store
            raise _bad_store(self.path, f"it is not a zarr store ({err})") from None
        if "fingerprint_design" not in attrs:
            raise _bad_store(self.path, "it is not the store of a sweep")
        labels = {"simulator": "simulator configuration", "design": "design",
                  "run": "set of measures, simulation length, raw output or seed",
                  "initial_state": "initial history, state or noise stream (the simulator's "
                  "own, configured again, or another history_seed; pass the same history_seed "
                  "to resume a sweep of a simulator configured again)"}  # fmt: skip
        for key, value in fingerprints.items():
            if attrs.get(f"fingerprint_{key}") != value:
                raise _bad_store(self.path, f"it was written with a different {labels[key]}")

    def _group(self, mode: str = "r+"):
        # deferred: optional extra 'explore'
        import zarr  # noqa: PLC0415

        return zarr.open_group(self.path, mode=mode, zarr_format=2)

    def done(self) -> np.ndarray:
        """The ``done`` flag of every point."""
        return np.asarray(self._group("r")["done"][:], dtype=bool)

    def _create(self, variables: dict, n_point: int, chunk: int, coords: dict) -> None:
        """Add the variables ``{name: (dims, shape, attrs)}`` (all NaN), unwritten."""
        # deferred: optional extra 'explore'
        import dask.array as da  # noqa: PLC0415

        # deferred: xarray imports pandas (0.5 s); only the labelled outputs need it
        import xarray as xr  # noqa: PLC0415

        data = {
            name: (
                ("point", *dims),
                da.full((n_point, *shape), np.nan, chunks=(chunk, *shape)),
                attrs,
            )  # fmt: skip
            for name, (dims, shape, attrs) in variables.items()
        }
        attrs = dict(self._group("r").attrs)  # appending variables rewrites the attributes
        xr.Dataset(data, coords=coords, attrs=attrs).to_zarr(self.path, mode="a", compute=False,
                                                consolidated=False, zarr_format=2)  # fmt: skip

    def write(self, result: dict, n_point: int, chunk: int) -> None:
        """Write one task's points: its measures and raw output, then the blow-ups, then done.

        Parameters
        ----------
        result : dict
            A task's result: its ``points`` (indices), measure ``values`` and blow-ups.
        n_point : int
            Number of points of the sweep (the arrays' length, when a measure is first written).
        chunk : int
            Chunk length along ``point`` of arrays created by this write.
        """
        if self._arrays is None or not set(result["values"]) <= set(self._arrays):
            group = self._group()
            missing = {name: v[:3] for name, v in result["values"].items() if name not in group}
            if missing:
                self._create(missing, n_point, chunk, result.get("coords", {}))
                group = self._group()
            # Opened once: the metadata of a group and its arrays cost as much as the writes
            # (this process is the store's only writer, so they do not change under it).
            self._arrays = dict(group.arrays())
        arrays = self._arrays
        points = np.asarray(result["points"])
        for name, (_, _, _, values) in result["values"].items():
            array = arrays[name]
            array.oindex[(points,) + (slice(None),) * (array.ndim - 1)] = values
        arrays["blown_up"].oindex[points] = result["blown_up"]
        arrays["blow_up_time"].oindex[points] = result["blow_up_time"]
        arrays["blow_up_region_index"].oindex[points] = result["blow_up_region_index"]
        arrays["done"].oindex[points] = True

    def load(self):
        """The store as an ``xarray.Dataset`` in memory, blow-up regions as labels."""
        # deferred: xarray imports pandas (0.5 s); only the labelled outputs need it
        import xarray as xr  # noqa: PLC0415

        with xr.open_zarr(self.path, consolidated=False, zarr_format=2) as stored:
            ds = stored.load()
        index = ds["blow_up_region_index"].values
        labels = np.asarray(ds["region"].values, dtype=object)[np.maximum(index, 0)]
        ds["blow_up_region"] = ("point", np.where(index >= 0, labels, "").astype(str))
        return ds.drop_vars("blow_up_region_index")
