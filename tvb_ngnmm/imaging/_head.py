r"""Geometry for the region forward: connectome frames to MNE's head frame, and head models.

The chain that takes a region centre ``x`` (mm, in the connectome's recorded frame) to MNE's head
frame (m), written as 4 × 4 affine maps applied right to left::

    head = T_mri→head · S(10⁻³) · T_mni · M_ras · (x − origin)

- ``M_ras`` and ``origin`` come from the connectome's ``coordinate_frame`` (axis codes such as
  ``'ALS'`` and the native coordinates of its origin; see
  :class:`tvb_ngnmm.connectomes.CoordinateFrame`): RAS axes about the recorded origin, mm.
- ``T_mni`` (``to_mni``) takes that RAS frame to MNI space: the identity for connectomes whose
  centres are MNI coordinates (AAL90, tvb96), a translation for frames centred elsewhere (tvb76's
  origin is the centroid of its cortical surface; :data:`TVB76_TO_MNI_MM`).
- MNI space is taken as fsaverage's surface RAS (MNE's ``'mri'`` frame for ``fsaverage``). The
  two differ by fsaverage's talairach transform (MNI305; a few mm at most, fsaverage *is* the
  MNI305 average), which is neglected at the scale of one dipole per region.
- ``S(10⁻³)``: mm → m.
- ``T_mri→head``: the inverse of the ``head → mri`` transform that ships with MNE as
  ``mne/data/fsaverage/fsaverage-trans.fif`` (the one ``trans='fsaverage'`` names), which places
  fsaverage in the head frame of the fiducials in ``fsaverage-fiducials.fif`` — the frame MNE's
  standard montages are expressed in.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

#: Translation (mm) from tvb76's RAS frame (about its recorded origin, the centroid of tvb-data's
#: ``cortex_16384`` surface) to MNI space. Two independent estimates agree within 2 mm (a test
#: recomputes both): the difference between the centroids of AAL90's (MNI) and tvb76's region
#: centres, (1.9, −19.5, 15.7) mm, and the shift that centres the bounding box of tvb76's cortical
#: surface in that of fsaverage's inner skull (left–right and front–back gaps equal; the top gap
#: equal to the mean side gap, 4 mm), (−0.6, −18.8, 16.0) mm.
TVB76_TO_MNI_MM = (1.0, -19.0, 16.0)


def import_mne():
    """Import MNE-Python or raise an ImportError naming the extra to install."""
    try:
        import mne  # deferred: optional extra 'mne'  # noqa: PLC0415
    except ImportError as err:  # pragma: no cover - the test extra installs mne
        raise ImportError(
            "Forward models and MNE export need MNE-Python: pip install 'tvb-ngnmm[mne]'."
        ) from err
    return mne


def fsaverage_directory() -> Path:
    """The folder of fsaverage files that ships inside the MNE package (no download)."""
    mne = import_mne()
    return Path(mne.__file__).parent / "data" / "fsaverage"


def read_trans(trans):
    """The ``head → mri`` transform: ``'fsaverage'`` (shipped with MNE), a file or a Transform."""
    mne = import_mne()
    if isinstance(trans, str) and trans == "fsaverage":
        trans = fsaverage_directory() / "fsaverage-trans.fif"
    if isinstance(trans, mne.transforms.Transform):
        head_mri = trans
    elif isinstance(trans, str | Path):
        head_mri = mne.read_trans(trans)
    else:
        raise TypeError(
            "Invalid type for the 'trans' parameter. Allowed are 'fsaverage', a path to a "
            f"-trans.fif file or an mne.transforms.Transform, but got {type(trans).__name__} "
            "instead."
        )
    if head_mri["from"] != mne.io.constants.FIFF.FIFFV_COORD_HEAD:
        head_mri = mne.transforms.invert_transform(head_mri)
    return head_mri


def _translation(vector) -> np.ndarray:
    affine = np.eye(4)
    affine[:3, 3] = vector
    return affine


def to_mni_affine(to_mni) -> np.ndarray:
    """``to_mni`` (None, a translation (3,) in mm or a 4 × 4 affine in mm) as a 4 × 4 affine."""
    if to_mni is None:
        return np.eye(4)
    array = np.asarray(to_mni, dtype=float)
    if array.shape == (3,):
        array = _translation(array)
    if array.shape != (4, 4) or not np.all(np.isfinite(array)):
        raise ValueError(
            "Invalid value for the 'to_mni' parameter. Allowed are None, a finite translation "
            f"of shape (3,) in mm or a finite 4 x 4 affine in mm, but got shape {array.shape} "
            f"instead{'' if np.all(np.isfinite(array)) else ' with non-finite entries'}."
        )
    return array


def frame_to_ras_affine(coordinate_frame) -> np.ndarray:
    """4 × 4 affine from a :class:`CoordinateFrame`'s native mm to RAS about its origin (mm)."""
    affine = np.eye(4)
    affine[:3, :3] = coordinate_frame.to_ras_matrix()
    return affine @ _translation(-np.asarray(coordinate_frame.origin, dtype=float))


def connectome_to_head(coordinate_frame, head_mri_t, to_mni=None) -> np.ndarray:
    """4 × 4 affine from the connectome's native coordinates (mm) to MNE's head frame (m)."""
    mne = import_mne()
    mri_head = mne.transforms.invert_transform(head_mri_t)["trans"]
    scale = np.diag([1e-3, 1e-3, 1e-3, 1.0])
    return mri_head @ scale @ to_mni_affine(to_mni) @ frame_to_ras_affine(coordinate_frame)


def apply_affine(affine: np.ndarray, points: np.ndarray) -> np.ndarray:
    """``points`` (n, 3) through a 4 × 4 affine."""
    return np.asarray(points, dtype=float) @ affine[:3, :3].T + affine[:3, 3]


def _solid_angles(points: np.ndarray, rr: np.ndarray, tris: np.ndarray) -> np.ndarray:
    """Total solid angle the closed surface subtends at each point (4π inside, 0 outside).

    Van Oosterom & Strackee (1983), IEEE Trans Biomed Eng 30:125, per triangle, summed.
    """
    total = np.empty(len(points))
    for i, point in enumerate(points):
        a, b, c = (rr[tris[:, k]] - point for k in range(3))
        la, lb, lc = (np.linalg.norm(v, axis=1) for v in (a, b, c))
        numerator = np.einsum("ij,ij->i", a, np.cross(b, c))
        denominator = (
            la * lb * lc
            + np.einsum("ij,ij->i", a, b) * lc
            + np.einsum("ij,ij->i", a, c) * lb
            + np.einsum("ij,ij->i", b, c) * la
        )
        total[i] = 2.0 * np.arctan2(numerator, denominator).sum()
    return np.abs(total)


class HeadModelGeometry:
    """Where the sources must lie for a head model: inside the inner sphere or inner skull.

    All positions in MNE's head frame (m).
    """

    def __init__(self, conductor, head_mri_t):
        mne = import_mne()
        self.is_sphere = bool(conductor["is_sphere"])
        if self.is_sphere:
            self.centre = np.asarray(conductor["r0"], dtype=float)
            layers = conductor["layers"]
            self.radius = float(layers[0]["rad"]) if len(layers) else np.inf
            return
        brain = mne.io.constants.FIFF.FIFFV_BEM_SURF_ID_BRAIN
        surfaces = conductor["surfs"]
        surface = next((s for s in surfaces if s["id"] == brain), surfaces[0])
        mri_head = mne.transforms.invert_transform(head_mri_t)["trans"]
        self.rr = apply_affine(mri_head, surface["rr"])
        self.tris = np.asarray(surface["tris"])
        self.centre = self.rr.mean(axis=0)

    def depth(self, points: np.ndarray) -> np.ndarray:
        """Distance (m) inside the surface: positive inside, negative outside."""
        if self.is_sphere:
            return self.radius - np.linalg.norm(points - self.centre, axis=1)
        distance = np.min(np.linalg.norm(points[:, None] - self.rr[None], axis=2), axis=1)
        inside = _solid_angles(points, self.rr, self.tris) > 2.0 * np.pi
        return np.where(inside, distance, -distance)

    def move_inside(self, points: np.ndarray, margin: float) -> np.ndarray:
        """Each point moved along the line to the model's centre until ``margin`` (m) inside."""
        moved = np.array(points, dtype=float)
        for i, point in enumerate(moved):
            if self.depth(point[None])[0] >= margin:
                continue
            low, high = 0.0, 1.0  # fraction of the way from the centre to the point
            for _ in range(40):
                middle = 0.5 * (low + high)
                trial = self.centre + middle * (point - self.centre)
                inside = self.depth(trial[None])[0] >= margin
                low, high = (middle, high) if inside else (low, middle)
            moved[i] = self.centre + low * (point - self.centre)
        return moved
