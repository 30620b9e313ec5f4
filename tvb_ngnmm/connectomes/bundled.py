"""Connectomes by name: tvb-data's 66, 68, 76, 96 and 192-region bundles and AAL90.

The bundles do not share one coordinate frame. Each frame is recorded as three axis codes in
nibabel's convention (the letter names the direction in which the coordinate grows: ``'RAS'``
means x → right, y → anterior, z → superior) plus the native coordinates of the mid-sagittal
origin. They were read from the data: the left–right axis and its sign from the hemisphere
labels, the anterior and superior axes from frontal/occipital and superior/temporal regions.

========  ======  =====  ==============================================================
name      frame   hand   notes
========  ======  =====  ==============================================================
tvb66     ALS     right  all coordinates positive (image grid); origin = centroid
tvb68     PLS     left   Desikan–Killiany; coordinates positive; origin = centroid
tvb76     ALS     right  TVB's default; left–right on y (left at y > 0)
tvb96     RAS     right  MNI-like
tvb192    ARS     left   the 76 regions with their l/r prefixes swapped (same weights and
                         centres as tvb76's opposite side) plus 116 regions at one
                         placeholder centre (-10.46, 0.23, -63.13)
aal90     RAS     right  MNI (Deco et al. 2017); tract lengths = Euclidean stand-in
========  ======  =====  ==============================================================

Tract lengths are the bundle's own (mm); AAL90 has none and uses Euclidean distances between
centres. ``frame='RAS'`` re-expresses centres (and orientations) in RAS axes about the recorded
origin, so right-hemisphere regions have x > 0 in every bundle.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources

import numpy as np
from tvb.datatypes.connectivity import Connectivity

from .._util import check_choice
from . import aal90, preprocessing
from ._checks import make_connectivity
from .frames import CoordinateFrame
from .tvb_zip import read_tvb_members


@dataclass(frozen=True)
class Bundle:
    """A named connectome: its file, frame and notes."""

    name: str
    n_regions: int
    source: str
    frame: CoordinateFrame
    notes: str = ""


BUNDLES = {
    "tvb66": Bundle(
        "tvb66", 66, "connectivity_66.zip",
        CoordinateFrame("ALS", (111.92, 83.67, 53.31), "positive image-grid coordinates"),
        "Hagmann-type 66-region parcellation; no cortical flags or orientations.",
    ),
    "tvb68": Bundle(
        "tvb68", 68, "connectivity_68.zip",
        CoordinateFrame("PLS", (108.17, 107.27, 37.51), "positive image-grid coordinates"),
        "Desikan–Killiany cortical regions; frame is left-handed (image grid).",
    ),
    "tvb76": Bundle(
        "tvb76", 76, "connectivity_76.zip",
        CoordinateFrame("ALS", (0.0, 0.0, 0.0), "x anterior, y left, z superior"),
        "TVB's default connectivity; self-connections on 66 regions, with zero length.",
    ),
    "tvb96": Bundle(
        "tvb96", 96, "connectivity_96.zip",
        CoordinateFrame("RAS", (0.0, 0.0, 0.0), "MNI-like"),
        "Regional-map regions with _R/_L suffixes.",
    ),
    "tvb192": Bundle(
        "tvb192", 192, "connectivity_192.zip",
        CoordinateFrame("ARS", (0.0, 0.0, 0.0), "x anterior, y right, z superior (mirrored)"),
        "tvb76's regions with l/r prefixes swapped, plus 116 regions sharing one placeholder "
        "centre; hemisphere labels taken as given.",
    ),
    "aal90": Bundle(
        "aal90", 90, "tvb_ngnmm: connectomes/data/sc2017.dat + aal.dat", aal90.FRAME,
        "Deco et al. (2017); no tract lengths: Euclidean distances between centres stand in.",
    ),
}  # fmt: skip
FRAMES = ("native", "RAS")


def bundle_names() -> list[str]:
    """Names accepted by :func:`load_connectome`."""
    return list(BUNDLES)


def _pieces(bundle: Bundle) -> dict[str, object]:
    if bundle.name == "aal90":
        labels, centres, _, hemispheres = aal90.read_aal90_regions()
        return {
            "weights": aal90.read_aal90_weights(),
            "centres": centres,
            "region_labels": labels,
            "hemispheres": hemispheres == "R",
        }
    data = resources.files("tvb_data.connectivity") / bundle.source
    return read_tvb_members(data.read_bytes())


def load_connectome(
    name: str, normalize: str = "none", conduction_speed: float = 3.0, frame: str = "native"
) -> Connectivity:
    """Load a bundled connectome as a configured TVB ``Connectivity``.

    Parameters
    ----------
    name : {'tvb66', 'tvb68', 'tvb76', 'tvb96', 'tvb192', 'aal90'}
    normalize : {'none', 'row', 'column', 'max', 'total', 'log'}
        See :func:`tvb_ngnmm.connectomes.preprocessing.normalize`.
    conduction_speed : float
        In mm/ms.
    frame : {'native', 'RAS'}
        ``'native'`` keeps the bundle's centres as they are; ``'RAS'`` re-expresses them (and
        orientations) in RAS axes about the recorded origin.

    Returns
    -------
    tvb.datatypes.connectivity.Connectivity
        With region labels, centres (mm), tract lengths (mm), hemispheres (True = right), and
        the attributes ``coordinate_frame`` (:class:`CoordinateFrame`, RAS after
        ``frame='RAS'``) and ``title``.
    """
    check_choice("name", name, tuple(BUNDLES))
    check_choice("normalize", normalize, preprocessing.NORMALIZATIONS)
    check_choice("frame", frame, FRAMES)
    bundle = BUNDLES[name]
    pieces = _pieces(bundle)
    coordinate_frame = bundle.frame
    if frame == "RAS":
        pieces["centres"] = bundle.frame.to_ras(pieces["centres"])
        if np.size(pieces.get("orientations", [])):
            pieces["orientations"] = pieces["orientations"] @ bundle.frame.to_ras_matrix().T
        coordinate_frame = CoordinateFrame("RAS", (0.0, 0.0, 0.0), f"RAS from {bundle.frame.axes}")
    conn = make_connectivity(conduction_speed=conduction_speed, **pieces)
    conn.coordinate_frame = coordinate_frame
    conn.title = f"{name} ({bundle.source}); centres in {coordinate_frame.axes} frame"
    return preprocessing.normalize(conn, normalize) if normalize != "none" else conn
