"""The AAL90 structural connectome of Deco et al. (2017), as used by Delicado et al. (2025)."""

from __future__ import annotations

from importlib import resources

import numpy as np
from tvb.datatypes.connectivity import Connectivity

from .._util import check_choice
from ._checks import euclidean_distances
from .frames import CoordinateFrame

N_REGIONS = 90
FRAME = CoordinateFrame("RAS", (0.0, 0.0, 0.0), "MNI")
_NORMALIZE = ("none", "row")


def _data_file(name: str):
    return resources.files("tvb_ngnmm.connectomes") / "data" / name


def read_aal90_weights() -> np.ndarray:
    """The raw AAL90 weights, ``W[i, j]`` from region ``j`` to region ``i`` (not symmetric)."""
    with _data_file("sc2017.dat").open() as handle:
        n = int(handle.readline())
        edges = np.loadtxt(handle, ndmin=2)
    rows, cols = edges[:, 0].astype(int), edges[:, 1].astype(int)
    weights = np.zeros((n, n))
    weights[rows, cols] = edges[:, 2]
    return weights


def read_aal90_regions() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Labels, MNI centres (mm), lobes and hemispheres ('L'/'R') of the 90 AAL regions."""
    labels, centres, lobes, hemispheres = [], [], [], []
    with _data_file("aal.dat").open() as handle:
        for line in handle:
            if line.startswith("#") or not line.strip():
                continue
            fields = line.split()
            labels.append(fields[1])
            centres.append([float(x) for x in fields[2:5]])
            lobes.append(fields[5])
            hemispheres.append(fields[6])
    return np.array(labels), np.array(centres), np.array(lobes), np.array(hemispheres)


def load_aal90(
    normalize: str = "row", conduction_speed: float = 5.0, tract_lengths: bool = True
) -> Connectivity:
    """Load the AAL90 connectome as a configured TVB ``Connectivity``.

    Parameters
    ----------
    normalize : {'row', 'none'}
        ``'row'`` divides each row by its sum (``W / W.sum(axis=1)``), as Delicado et al. (2025)
        do; ``'none'`` keeps the raw weights.
    conduction_speed : float
        Conduction speed in mm/ms, stored on the ``Connectivity`` (``speed``).
    tract_lengths : bool
        If True, tract lengths are the Euclidean distances between the MNI centres (mm), a common
        stand-in since the data set has none; if False they are zero (no delays).

    Returns
    -------
    tvb.datatypes.connectivity.Connectivity
        Configured, with region labels, MNI centres (mm; x left–right, y posterior–anterior,
        z inferior–superior; recorded as ``coordinate_frame``), ``hemispheres`` (True for
        right) and weights ``W[to, from]``.
    """
    check_choice("normalize", normalize, _NORMALIZE)
    if not (np.isfinite(conduction_speed) and conduction_speed > 0):
        raise ValueError(
            "Invalid value for the 'conduction_speed' parameter. Allowed values are > 0 mm/ms "
            f"(finite), but got {conduction_speed!r} instead."
        )
    weights = read_aal90_weights()
    if normalize == "row":
        weights = weights / weights.sum(axis=1, keepdims=True)
    labels, centres, _, hemispheres = read_aal90_regions()
    if tract_lengths:
        lengths = euclidean_distances(centres)
    else:
        lengths = np.zeros_like(weights)
    conn = Connectivity(
        weights=weights,
        tract_lengths=lengths,
        region_labels=labels,
        centres=centres,
        hemispheres=hemispheres == "R",
        speed=np.array([float(conduction_speed)]),
    )
    conn.configure()
    conn.coordinate_frame = FRAME
    return conn
