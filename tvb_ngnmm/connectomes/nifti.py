"""Parcellations in NIfTI images (nibabel): regions in, region values back out as images.

A label image (integers, 0 = background) and a label table (FreeSurfer LUT, CSV or TSV)
give each region its name, its centre in world millimetres (mean of its voxels mapped through
the image's affine), its volume (mm³) and the Euclidean distances between centres. A vector of
region values (a rate in Hz, a mode of an analysis) goes back onto the parcellation's grid as an
image with the same affine, written atomically. Needs the ``nibabel`` extra.

An image's header declares its shape and data type; what reading and labelling it needs (about
``2 × itemsize + 16`` bytes a voxel, 8 more if the header scales values) is checked against the
memory limit (2 GB unless raised; see ``max_bytes``) before its data are read.
"""

from __future__ import annotations

import csv
import io
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tvb.datatypes.connectivity import Connectivity

from .._util import write_atomically
from ._budget import LoadBudget, array_bytes, no_memory_error
from ._checks import (
    ConnectomeFileError,
    check_file,
    euclidean_distances,
    file_error,
    make_connectivity,
)
from .io import read_lines

MAX_LABEL = 10_000_000
_INDEX_COLUMNS = ("index", "label", "id", "value", "no.", "#no.", "label_value")
_NAME_COLUMNS = ("name", "label_name", "region", "structure", "labelname", "label_name")


def _nibabel():
    try:
        # deferred: optional extra 'nibabel'
        import nibabel  # noqa: PLC0415
    except ImportError as err:  # pragma: no cover - depends on the environment
        raise ImportError("NIfTI support needs nibabel: pip install 'tvb-ngnmm[nibabel]'.") from err
    return nibabel


@dataclass(frozen=True)
class Parcellation:
    """Regions of a label image.

    Parameters
    ----------
    label_values : numpy.ndarray of int, shape (n_regions,)
        The image values of the regions, in region order.
    names : numpy.ndarray of str, shape (n_regions,)
    centres : numpy.ndarray, shape (n_regions, 3)
        Mean voxel position of each region in world coordinates (mm), the affine's frame
        (RAS+ for NIfTI).
    volumes : numpy.ndarray, shape (n_regions,)
        In mm³.
    affine : numpy.ndarray, shape (4, 4)
        Voxel → world (mm).
    shape : tuple of int
        The image grid.
    labels : numpy.ndarray of int
        The label image itself.
    """

    label_values: np.ndarray
    names: np.ndarray
    centres: np.ndarray
    volumes: np.ndarray
    affine: np.ndarray
    shape: tuple[int, ...]
    labels: np.ndarray

    @property
    def distances(self) -> np.ndarray:
        """Euclidean distances between region centres (mm), ``(n_regions, n_regions)``."""
        return euclidean_distances(self.centres)


@no_memory_error
def read_label_table(
    path: str | os.PathLike, *, max_bytes: int | str | None = None
) -> dict[int, str]:
    """Read a label table: ``{label value: region name}``.

    Parameters
    ----------
    path : path-like
        A FreeSurfer colour LUT (``index name R G B A`` per line, ``#`` comments; any
        extension but ``.csv``/``.tsv``), or a ``.csv``/``.tsv`` table with a header naming an
        index column (``index``, ``label``, ``id``, ``value``) and a name column (``name``,
        ``label_name``, ``region``), or without a header (index, name).
    max_bytes : int or str, optional
        Memory limit (see :func:`~tvb_ngnmm.connectomes.read_array`).

    Raises
    ------
    ConnectomeFileError
        If a row has no integer index or name, an index repeats, or the table is empty.
    """
    path = Path(path)
    text = "\n".join(read_lines(path, max_bytes=max_bytes))
    delimiter = {".csv": ",", ".tsv": "\t"}.get(path.suffix.lower())
    if delimiter is None:
        rows = [line.split("#")[0].split() for line in text.splitlines()]
    else:
        rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    rows = [[field.strip() for field in row] for row in rows if any(f.strip() for f in row)]
    if rows and delimiter is not None and not _is_int(rows[0][0]):
        header = [field.lower() for field in rows[0]]
        index_column = next((header.index(c) for c in _INDEX_COLUMNS if c in header), 0)
        name_column = next((header.index(c) for c in _NAME_COLUMNS if c in header), 1)
        rows = [[row[index_column], row[name_column]] for row in rows[1:] if len(row) > 1]
    return _table(path, rows)


def _is_int(text: str) -> bool:
    try:
        int(text)
    except ValueError:
        return False
    return True


def _table(path: Path, rows: list[list[str]]) -> dict[int, str]:
    table: dict[int, str] = {}
    for number, row in enumerate(rows, start=1):
        if len(row) < 2 or not _is_int(row[0]) or not row[1]:
            raise file_error(path, f"row {number} should be 'index name ...', but got {row}.")
        if int(row[0]) in table:
            raise file_error(path, f"label {int(row[0])} appears more than once.")
        table[int(row[0])] = row[1]
    if not table:
        raise file_error(path, "the label table is empty.")
    return table


def _load_image(image: object, budget: LoadBudget) -> tuple[np.ndarray, np.ndarray, str]:
    """The label array, affine and name of an image (a path or a nibabel image), sized first."""
    nibabel = _nibabel()
    where = "<in-memory image>"
    if isinstance(image, str | os.PathLike):
        where = str(check_file(image, "Label image"))
        try:
            image = nibabel.load(image)
        except Exception as err:  # nibabel raises many types on malformed files
            raise file_error(where, f"not a readable NIfTI image ({err}).") from err
    budget.charge(
        _image_bytes(image),
        f"an image of shape {image.shape}, {image.get_data_dtype()}, labelled as int64",
    )
    try:
        data = np.asanyarray(image.dataobj)
    except MemoryError:
        raise
    except Exception as err:
        raise file_error(where, f"not a readable NIfTI image ({err}).") from err
    return _label_array(data, where), np.asarray(image.affine, dtype=float), where


def _image_bytes(image: object) -> int:
    """Raw data (twice: gzip reads into a buffer), scaled copy, int64 labels, one coordinate."""
    itemsize = image.get_data_dtype().itemsize
    proxy = image.dataobj
    slope, inter = getattr(proxy, "slope", 1.0), getattr(proxy, "inter", 0.0)
    scaled = (np.isfinite(slope) and slope != 1) or (np.isfinite(inter) and inter != 0)
    return array_bytes(image.shape, 2 * itemsize + 8 * scaled + 16)


def _label_array(data: np.ndarray, where: str) -> np.ndarray:
    if data.ndim != 3:
        raise file_error(where, f"a label image must be 3-D, but has shape {data.shape}.")
    if data.dtype.kind not in "iub":
        if not np.all(np.isfinite(data)) or np.any(data != np.round(data)):
            raise file_error(where, "label values must be non-negative integers (0 = background).")
    if data.size and data.min() < 0:
        raise file_error(where, "label values must be non-negative integers (0 = background).")
    if data.size and data.max() > MAX_LABEL:
        raise file_error(where, f"label values must be <= {MAX_LABEL}, got {data.max():g}.")
    return np.array(data, dtype=np.int64)  # a copy: never a view of a memory-mapped file


@no_memory_error
def read_parcellation(
    image: str | os.PathLike | object,
    table: str | os.PathLike | dict[int, str],
    regions: list[int] | None = None,
    *,
    max_bytes: int | str | None = None,
) -> Parcellation:
    """Regions of a label image: names, centres (world mm), volumes (mm³).

    Parameters
    ----------
    image : path-like or nibabel image
        3-D integer labels, 0 = background.
    table : path-like or dict
        Label table (see :func:`read_label_table`) or ``{value: name}``. Every non-zero value in
        the image must be in it; table rows absent from the image are ignored.
    regions : list of int, optional
        The label values to keep, in this order (e.g. to match a weights matrix); default: the
        values present in the image, ascending.
    max_bytes : int or str, optional
        Memory limit (see :func:`~tvb_ngnmm.connectomes.read_array`), checked against the
        image's declared shape and data type before its data are read.

    Raises
    ------
    FileNotFoundError
        If there is no such image file.
    ConnectomeFileError
        If the image is unreadable, not 3-D integers, larger than the memory limit, has labels
        missing from the table, or a requested region is absent.
    """
    source = image if isinstance(image, str | os.PathLike) else "<in-memory image>"
    labels, affine, where = _load_image(image, LoadBudget(source, max_bytes))
    names = table if isinstance(table, dict) else read_label_table(table, max_bytes=max_bytes)
    present = np.flatnonzero(np.bincount(labels.ravel())[1:]) + 1
    if present.size == 0:
        raise file_error(where, "the image has no labelled region (all voxels are 0).")
    missing = sorted(set(present.tolist()) - set(names))
    if missing:
        raise file_error(where, f"labels {missing[:10]} are not in the label table {table!r}.")
    values = present if regions is None else np.asarray(regions, dtype=np.int64)
    absent = sorted(set(values.tolist()) - set(present.tolist()))
    if absent:
        raise file_error(where, f"requested regions {absent[:10]} have no voxels in the image.")
    centres, volumes = _centres_and_volumes(labels, values, affine)
    return Parcellation(
        label_values=values,
        names=np.array([names[int(v)] for v in values], dtype=str),
        centres=centres,
        volumes=volumes,
        affine=affine,
        shape=labels.shape,
        labels=labels,
    )


def _centres_and_volumes(
    labels: np.ndarray, values: np.ndarray, affine: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Mean voxel position of each region through the affine (mm), and volumes (mm³).

    One axis's voxel coordinates at a time (8 bytes a voxel), not ``np.indices`` (24).
    """
    flat = labels.ravel()
    size = int(max(flat.max(), values.max())) + 1
    counts = np.bincount(flat, minlength=size).astype(float)
    sums = []
    for axis, extent in enumerate(labels.shape):
        along = np.arange(extent, dtype=float).reshape([-1 if a == axis else 1 for a in range(3)])
        coordinates = np.broadcast_to(along, labels.shape).ravel()
        sums.append(np.bincount(flat, weights=coordinates, minlength=size))
        del coordinates
    voxel_sums = np.stack(sums, axis=1)
    mean_voxel = voxel_sums[values] / counts[values, None]
    centres = mean_voxel @ affine[:3, :3].T + affine[:3, 3]
    volumes = counts[values] * abs(np.linalg.det(affine[:3, :3]))
    return centres, volumes


def connectivity_from_parcellation(
    image: str | os.PathLike | object,
    table: str | os.PathLike | dict[int, str],
    weights: np.ndarray,
    regions: list[int] | None = None,
    tract_lengths: np.ndarray | None = None,
    conduction_speed: float = 3.0,
    *,
    max_bytes: int | str | None = None,
) -> Connectivity:
    """A ``Connectivity`` whose regions are those of a parcellation, with ``weights`` of them.

    Centres are the regions' world centres (mm); tract lengths, if not given, the Euclidean
    distances between them (a stand-in); labels the table's names. ``weights`` must have one
    row and column per region in ``regions`` order (default: ascending label values).
    ``max_bytes``: the memory limit of reading the image (see :func:`read_parcellation`).

    Parameters
    ----------
    image : str or os.PathLike or nibabel image
        The label image (NIfTI), or its path.
    table : str or os.PathLike or dict
        The lookup table of region names: a file, or ``{label value: name}``.
    weights : numpy.ndarray, shape (n_regions, n_regions)
        Connection weights ``W[to, from]`` between the regions.
    regions : list of int, optional
        Label values of the regions, in the order of ``weights``' rows (default: ascending).
    tract_lengths : numpy.ndarray, shape (n_regions, n_regions), optional
        Tract lengths (mm); default the distances between the regions' centres.
    conduction_speed : float
        Conduction speed (mm/ms).
    max_bytes : int or str, optional
        Memory limit of reading the image (bytes, or a string such as ``'2 GB'``).
    """
    parcellation = read_parcellation(image, table, regions, max_bytes=max_bytes)
    n = len(parcellation.label_values)
    if np.shape(weights) != (n, n):
        raise ConnectomeFileError(
            f"Invalid shape for the 'weights' parameter. The parcellation has {n} regions, so "
            f"({n}, {n}) is needed, but got shape {np.shape(weights)} instead."
        )
    return make_connectivity(
        weights,
        tract_lengths=tract_lengths,
        centres=parcellation.centres,
        region_labels=parcellation.names,
        conduction_speed=conduction_speed,
    )


def region_values_to_nifti(
    values: np.ndarray, parcellation: Parcellation, path: str | os.PathLike | None = None
) -> object:
    """Paint region values onto the parcellation's grid as a NIfTI image (0 outside regions).

    Parameters
    ----------
    values : array_like, shape (n_regions,) or (n_regions, n_time)
        One value (or time series) per region, in the parcellation's region order; units as
        given (say which in the file name: e.g. rates in Hz).
    parcellation : Parcellation
    path : path-like, optional
        Where to save (``.nii`` or ``.nii.gz``), atomically.

    Returns
    -------
    nibabel.Nifti1Image
        Float32, with the parcellation's affine; 4-D for time series.
    """
    nibabel = _nibabel()
    array = np.asarray(values, dtype=float)
    n = len(parcellation.label_values)
    if array.shape[:1] != (n,) or array.ndim > 2 or not np.all(np.isfinite(array)):
        raise ValueError(
            "Invalid value for the 'values' parameter. Allowed is a finite array of shape "
            f"({n},) or ({n}, n_time), but got shape {array.shape} instead."
        )
    lookup = np.zeros((int(parcellation.labels.max()) + 1,) + array.shape[1:], dtype=np.float32)
    lookup[parcellation.label_values] = array
    lookup[0] = 0.0
    image = nibabel.Nifti1Image(lookup[parcellation.labels], parcellation.affine)
    image.set_qform(parcellation.affine, code=1)
    image.set_sform(parcellation.affine, code=1)
    if path is not None:
        write_atomically(path, lambda temporary: nibabel.save(image, temporary))
    return image
