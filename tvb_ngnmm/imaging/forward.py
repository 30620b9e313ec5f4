r"""A forward model with one current dipole per region of a connectome, built with MNE-Python.

:func:`region_forward` places one dipole at each region centre, converts the centres from the
connectome's recorded coordinate frame to MNE's head frame (the chain is written out in
:mod:`tvb_ngnmm.imaging._head`), and computes the gain of every EEG, MEG and sEEG channel:

- EEG and MEG through :func:`mne.make_forward_solution`, with a three-shell sphere fitted to the
  EEG positions (``head_model='sphere'``) or a BEM solution the user gives (three layers for EEG;
  one layer, the inner skull, is enough for MEG);
- sEEG (contacts inside the brain, which MNE's forward does not model) through the potential of
  a dipole in an infinite homogeneous conductor, ``V = p·(r − r₀) / (4π σ |r − r₀|³)`` with the
  brain's conductivity σ = 0.33 S/m (``BRAIN_CONDUCTIVITY``); no MNE forward is involved.

MNE drops sources outside the inner sphere or inner skull without an error. Here every region is
kept: regions outside raise an error naming them, unless ``outside='shrink'`` moves them along
the line to the head model's centre to ``margin`` mm inside it (with a warning naming them).

The gain per unit of neural activity is the gain per dipole moment (V/(A·m), T/(A·m)) times
``dipole_moment``, the effective dipole moment of a region per unit of the simulated variable.
The default, 10 nA·m, is the typical strength of an equivalent current dipole of an evoked
response (Hämäläinen et al. 1993, Rev Mod Phys 65:413–497, Sec. IV). It assumes the monitored
variable varies by about one unit between rest and a synchronous response, and that a region
acts as one dipole (no cancellation within it). To scale by cortical area instead, give one value
per region, e.g. ``0.5e-9 * area_mm2`` from the current dipole moment density of 0.16–0.77
nA·m/mm² measured across cortical structures and species (Murakami & Okada 2015, NeuroImage
111:49–58).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .._util import check_choice
from ._head import (
    TVB76_TO_MNI_MM,
    HeadModelGeometry,
    apply_affine,
    connectome_to_head,
    import_mne,
    read_trans,
)
from .sensors import UNITS, name_list, sensor_info

__all__ = [
    "BRAIN_CONDUCTIVITY",
    "DIPOLE_MOMENT",
    "TVB76_TO_MNI_MM",
    "RegionForward",
    "homogeneous_dipole_gain",
    "region_forward",
]

#: Default effective dipole moment of a region per unit of activity (A·m): 10 nA·m.
DIPOLE_MOMENT = 10e-9
#: Conductivity of brain tissue (S/m) for the sEEG gain.
BRAIN_CONDUCTIVITY = 0.33


@dataclass(frozen=True, eq=False)
class RegionForward:
    """The gain from region activity to sensors, and what it was built from.

    Parameters
    ----------
    gain : ndarray, shape (n_channels, n_regions) or (n_channels, 3 n_regions)
        V (EEG, sEEG), T (magnetometers) or T/m (gradiometers) per unit of region activity:
        ``gain_per_dipole_moment`` times ``dipole_moment``. Free orientation: three columns per
        region, the x, y, z dipoles of MNE's head frame. EEG potentials are against infinity
        (no reference applied).
    gain_per_dipole_moment : ndarray
        The same per A·m of dipole moment.
    ch_names, ch_types, units : tuple of str
    info : mne.Info
        The channels, their positions (montage) and coil definitions.
    region_labels : tuple of str
    positions : ndarray, shape (n_regions, 3)
        Dipole positions in MNE's head frame (m), after any move inside the head model.
    orientations : ndarray, shape (n_regions, 3), or None
        Unit dipole orientations in the head frame; None for free orientation.
    dipole_moment : ndarray, shape (n_regions,)
        A·m per unit of activity.
    connectome_to_head : ndarray, shape (4, 4)
        Affine from the connectome's native coordinates (mm) to the head frame (m).
    head_mri_t : mne.transforms.Transform
        The head → MRI (fsaverage surface RAS) transform used.
    head_model : mne.bem.ConductorModel or None
        None when there are only sEEG channels.
    forward : mne.Forward or None
        MNE's free-orientation forward for the EEG and MEG channels (its source space carries the
        orientations as normals). For a sphere it is computed with the sources given in head
        coordinates and an identity transform, so MNE's inside-the-sphere check compares the
        sources and the sphere in one frame (MNE compares the sources in MRI coordinates with a
        sphere centre in head coordinates; cf. mne-tools/mne-python#13370).
    moved_regions : tuple of str
        Regions moved inside the head model by ``outside='shrink'``.
    """

    gain: np.ndarray
    gain_per_dipole_moment: np.ndarray
    ch_names: tuple[str, ...]
    ch_types: tuple[str, ...]
    units: tuple[str, ...]
    info: object
    region_labels: tuple[str, ...]
    positions: np.ndarray
    orientations: np.ndarray | None
    dipole_moment: np.ndarray
    connectome_to_head: np.ndarray
    head_mri_t: object
    head_model: object
    forward: object
    moved_regions: tuple[str, ...] = ()

    @property
    def free_orientation(self) -> bool:
        """Whether each region has three columns (x, y, z dipoles)."""
        return self.orientations is None


def region_forward(
    connectivity,
    sensors,
    *,
    orientations: str | np.ndarray = "free",
    head_model="sphere",
    trans="fsaverage",
    to_mni=None,
    dipole_moment: float | np.ndarray = DIPOLE_MOMENT,
    outside: str = "raise",
    margin: float = 5.0,
) -> RegionForward:
    """Gain matrix from one dipole per region to EEG, MEG and sEEG sensors.

    Parameters
    ----------
    connectivity : tvb.datatypes.connectivity.Connectivity
        With ``centres`` (mm) and a ``coordinate_frame`` (as the loaders of
        :mod:`tvb_ngnmm.connectomes` record it).
    sensors : mne.Info, mne.channels.DigMontage or str
        Channels with positions in MNE's head frame: an Info (EEG, MEG with coil definitions,
        sEEG), a montage (EEG), or the name of a standard montage (e.g. ``'fsaverage_1020'``,
        ``'biosemi64'``). :func:`connectome_sensors` places sensors given in the connectome's
        frame.
    orientations : 'free', 'normal' or array, shape (n_regions, 3)
        ``'free'``: three orthogonal dipoles per region. ``'normal'``: the connectome's
        ``orientations``. An array: directions in the connectome's native frame.
    head_model : 'sphere', mne.bem.ConductorModel or path
        ``'sphere'`` fits a three-shell sphere to the EEG positions (or the digitised points of
        an MEG Info); else a sphere or BEM solution (``-sol.fif``). EEG needs three BEM layers.
    trans : 'fsaverage', path or mne.transforms.Transform
        Head ↔ MRI transform; ``'fsaverage'`` is the one that ships with MNE.
    to_mni : None, array (3,) or (4, 4)
        From the connectome's RAS frame about its recorded origin to MNI space (mm); None takes
        that frame as MNI (right for AAL90 and tvb96; warned when the frame is not recorded as
        MNI). For tvb76 use :data:`tvb_ngnmm.imaging.TVB76_TO_MNI_MM`.
    dipole_moment : float or array, shape (n_regions,)
        A·m per unit of region activity (see the module's notes); default 10 nA·m.
    outside : {'raise', 'shrink'}
        What to do with regions outside the inner sphere or inner skull.
    margin : float
        mm inside the head model to which ``'shrink'`` moves those regions.

    Returns
    -------
    RegionForward
        The forward solution with its gain per region, sensors and frames.
    """
    import_mne()
    check_choice("outside", outside, ("raise", "shrink"))
    frame = _coordinate_frame(connectivity, to_mni)
    head_mri_t = read_trans(trans)
    affine = connectome_to_head(frame, head_mri_t, to_mni)
    labels = tuple(str(label) for label in connectivity.region_labels)
    centres = _region_array(connectivity.centres, "centres", len(labels))
    _check_distinct_centres(centres, labels)
    positions = apply_affine(affine, centres)
    normals = _orientations(connectivity, orientations, affine, len(labels))
    moments = _dipole_moments(dipole_moment, len(labels))
    info = sensor_info(sensors)
    conductor = _conductor(head_model, info)
    positions, moved = _keep_inside(positions, labels, conductor, head_mri_t, outside, margin)
    free, forward = _free_gain(info, positions, normals, conductor, head_mri_t, labels)
    per_moment = free if normals is None else np.einsum("cnk,nk->cn", _by_region(free), normals)
    columns = np.repeat(moments, 3) if normals is None else moments
    ch_types = tuple(info.get_channel_types())
    return RegionForward(
        gain=per_moment * columns,
        gain_per_dipole_moment=per_moment,
        ch_names=tuple(info.ch_names),
        ch_types=ch_types,
        units=tuple(UNITS[t] for t in ch_types),
        info=info,
        region_labels=labels,
        positions=positions,
        orientations=normals,
        dipole_moment=moments,
        connectome_to_head=affine,
        head_mri_t=head_mri_t,
        head_model=conductor,
        forward=forward,
        moved_regions=moved,
    )


def _by_region(free: np.ndarray) -> np.ndarray:
    """(n_channels, 3 n) → (n_channels, n, 3)."""
    return free.reshape(free.shape[0], -1, 3)


def _coordinate_frame(connectivity, to_mni):
    frame = getattr(connectivity, "coordinate_frame", None)
    if frame is None or not hasattr(frame, "to_ras_matrix"):
        raise ValueError(
            "The connectivity has no 'coordinate_frame'. Allowed are connectivities from "
            "tvb_ngnmm.connectomes, or any with conn.coordinate_frame = CoordinateFrame('RAS', "
            f"origin) set, but got {type(frame).__name__} instead."
        )
    if to_mni is None and "MNI" not in frame.description:
        warnings.warn(
            f"The centres' frame {frame.axes!r} ({frame.description}) is not recorded as MNI; "
            "they are taken as MNI coordinates about the recorded origin. Pass to_mni (e.g. "
            "TVB76_TO_MNI_MM for tvb76, or (0, 0, 0) to accept) to say how they map to MNI.",
            UserWarning,
            stacklevel=3,
        )
    return frame


def _region_array(values, name: str, n_regions: int) -> np.ndarray:
    array = np.asarray(values, dtype=float)
    if array.shape != (n_regions, 3) or not np.all(np.isfinite(array)):
        raise ValueError(
            f"Invalid value for the {name!r} parameter. Allowed are finite values of shape "
            f"({n_regions}, 3), one row per region, but got shape {array.shape}"
            f"{'' if np.all(np.isfinite(array)) else ' with non-finite values'} instead."
        )
    return array


def _check_distinct_centres(centres: np.ndarray, labels: tuple[str, ...]) -> None:
    """Raise if every region has the same centre (no centres recorded: nothing to tell the
    regions apart); warn, naming how many, if some regions share their centre with others
    (their dipoles coincide: the same topography with free orientations, topographies that
    differ only by orientation with fixed ones)."""
    _, first, inverse, counts = np.unique(
        centres, axis=0, return_index=True, return_inverse=True, return_counts=True
    )
    n = len(labels)
    if n < 2 or counts.max() == 1:
        return
    if len(counts) == 1:
        raise ValueError(
            "Invalid value for the 'centres' of the connectivity. Allowed are region centres "
            f"that tell the regions apart, but got the same centre {tuple(centres[0].tolist())} "
            f"for all {n} regions instead (a connectome loaded without centres?): every region "
            "would have the same topography."
        )
    shared = counts[inverse.ravel()] > 1
    group = int(np.argmax(counts))
    example = [labels[i] for i in np.flatnonzero(inverse.ravel() == group)[:3]]
    warnings.warn(
        f"{int(shared.sum())} of {n} regions share their centre with other regions ({len(counts)} "
        f"distinct centres; e.g. {', '.join(repr(x) for x in example)} at "
        f"{tuple(float(v) for v in centres[first[group]])} mm): their dipoles coincide, so the "
        "sensors cannot tell them apart (identical topographies with free orientations).",
        UserWarning,
        stacklevel=3,
    )


def _orientations(connectivity, orientations, affine: np.ndarray, n_regions: int):
    """Unit orientations in the head frame, or None for free orientation."""
    if isinstance(orientations, str):
        check_choice("orientations", orientations, ("free", "normal"))
        if orientations == "free":
            return None
        orientations = getattr(connectivity, "orientations", None)
        if orientations is None or np.size(orientations) == 0:
            raise ValueError(
                "orientations='normal' needs the connectivity's 'orientations' (n_regions, 3), "
                "but it has none; use orientations='free' or give an array."
            )
    directions = _region_array(orientations, "orientations", n_regions) @ affine[:3, :3].T
    norms = np.linalg.norm(directions, axis=1)
    if np.any(norms == 0):
        raise ValueError(
            "Invalid value for the 'orientations' parameter. Allowed are non-zero directions, "
            f"but got zero vectors for regions {np.flatnonzero(norms == 0).tolist()}."
        )
    return directions / norms[:, None]


def _dipole_moments(dipole_moment, n_regions: int) -> np.ndarray:
    moments = np.asarray(dipole_moment, dtype=float)
    if moments.shape not in ((), (n_regions,)) or not np.all(np.isfinite(moments) & (moments > 0)):
        raise ValueError(
            "Invalid value for the 'dipole_moment' parameter. Allowed are finite values > 0 "
            f"(A·m per unit activity), one or one per region ({n_regions}), but got "
            f"{dipole_moment!r} instead."
        )
    return np.broadcast_to(moments, (n_regions,)).copy()


def _conductor(head_model, info):
    """The conductor model for the EEG and MEG channels; None if there are none."""
    mne = import_mne()
    types = set(info.get_channel_types())
    has_eeg, has_meg = "eeg" in types, bool(types & {"mag", "grad"})
    if not (has_eeg or has_meg):
        return None
    if isinstance(head_model, str) and head_model == "sphere":
        return _fitted_sphere(info, has_eeg)
    if isinstance(head_model, str | Path):
        if not Path(head_model).is_file():
            raise ValueError(
                "Invalid value for the 'head_model' parameter. Allowed are 'sphere', an "
                "mne.bem.ConductorModel or the path of a BEM solution (-sol.fif), but got "
                f"{str(head_model)!r} instead (no such file)."
            )
        head_model = mne.read_bem_solution(head_model, verbose=False)
    if not isinstance(head_model, mne.bem.ConductorModel):
        raise TypeError(
            "Invalid type for the 'head_model' parameter. Allowed are 'sphere', an "
            f"mne.bem.ConductorModel or a path, but got {type(head_model).__name__} instead."
        )
    if has_eeg and not head_model["is_sphere"] and len(head_model["surfs"]) != 3:
        raise ValueError(
            "EEG needs a three-layer BEM (inner skull, outer skull, scalp), but the head model "
            f"has {len(head_model['surfs'])} layer(s). Give a three-layer BEM solution, "
            "head_model='sphere', or MEG channels only."
        )
    return head_model


def _fitted_sphere(info, has_eeg: bool):
    """A three-shell sphere fitted to the EEG positions, or to an MEG Info's digitised points."""
    mne = import_mne()
    if has_eeg:
        eeg = mne.pick_info(info, mne.pick_types(info, eeg=True, exclude=()))
        positions = {ch["ch_name"]: ch["loc"][:3] for ch in eeg["chs"]}
        info = mne.create_info(list(positions), 1000.0, "eeg")
        info.set_montage(mne.channels.make_dig_montage(positions, coord_frame="head"))
    elif not info["dig"]:
        raise ValueError(
            "head_model='sphere' fits a sphere to EEG positions or digitised head points, but "
            "the sensors have neither. Give head_model=mne.make_sphere_model(r0=..., "
            "head_radius=None) for MEG."
        )
    return mne.make_sphere_model("auto", "auto", info, verbose=False)


def _keep_inside(positions, labels, conductor, head_mri_t, outside: str, margin: float,
                 noun: str = "regions", limit: int | None = None):  # fmt: skip
    """Positions with every source inside the head model, and the names of those moved
    (``noun``: what the sources are; ``limit``: how many of them the warning names, all by
    default)."""
    if conductor is None:
        return positions, ()
    geometry = HeadModelGeometry(conductor, head_mri_t)
    depth = geometry.depth(positions)
    out = np.flatnonzero(depth < 0)
    if out.size == 0:
        return positions, ()
    where = "inner sphere" if geometry.is_sphere else "inner skull"
    listed = [f"{labels[i]!r} ({-1e3 * depth[i]:.1f} mm)" for i in out]
    if outside == "raise":
        raise ValueError(
            f"{out.size} of {len(labels)} {noun} lie outside the {where} of the head model "
            f"(MNE would drop them silently): {name_list(listed, quote=False)}. Allowed are "
            f"{noun} inside it; pass outside='shrink' to move them to {margin} mm inside "
            "(a warning names them), or to_mni to register the connectome to MNI space."
        )
    moved = np.array(positions)
    moved[out] = geometry.move_inside(positions[out], margin * 1e-3)
    warnings.warn(
        f"{out.size} of {len(labels)} {noun} lay outside the {where} and were moved along the "
        f"line to its centre to {margin} mm inside it (distance outside given): "
        f"{name_list(listed, limit=limit or len(listed), quote=False)}.",
        UserWarning,
        stacklevel=3,
    )
    return moved, tuple(labels[i] for i in out)


def _free_gain(info, positions, normals, conductor, head_mri_t, labels):
    """Gain per A·m of the x, y, z dipoles at each position, rows in ``info``'s channel order."""
    mne = import_mne()
    gain = np.zeros((len(info.ch_names), 3 * len(positions)))
    forward = None
    meeg = mne.pick_types(info, meg=True, eeg=True, exclude=())
    if len(meeg):
        forward = _mne_forward(mne.pick_info(info, meeg), positions, normals, conductor, head_mri_t)
        kept = forward["src"][0]["vertno"]
        if len(kept) != len(positions):
            dropped = [labels[i] for i in np.setdiff1d(np.arange(len(positions)), kept)]
            raise RuntimeError(
                f"MNE dropped {len(dropped)} regions from the forward: {name_list(dropped)}."
            )
        rows = [forward["sol"]["row_names"].index(name) for name in np.array(info.ch_names)[meeg]]
        gain[meeg] = forward["sol"]["data"][rows]
    seeg = mne.pick_types(info, seeg=True, exclude=())
    if len(seeg):
        contacts = np.array([info["chs"][i]["loc"][:3] for i in seeg])
        gain[seeg] = homogeneous_dipole_gain(contacts, positions)
    return gain, forward


def _mne_forward(info, positions, normals, conductor, head_mri_t):
    """MNE's free-orientation forward for dipoles at ``positions`` (head frame, m)."""
    mne = import_mne()
    nn = np.tile([0.0, 0.0, 1.0], (len(positions), 1)) if normals is None else normals
    if conductor["is_sphere"]:
        # sources in head coordinates with an identity transform (see RegionForward.forward)
        trans, rr = mne.transforms.Transform("head", "mri"), positions
    else:
        trans = head_mri_t
        rr, nn = apply_affine(head_mri_t["trans"], positions), nn @ head_mri_t["trans"][:3, :3].T
    source = mne.setup_volume_source_space(pos=dict(rr=rr, nn=nn), verbose=False)
    forward = mne.make_forward_solution(info, trans, source, conductor, mindist=0.0, verbose=False)
    if not np.allclose(forward["source_nn"], np.tile(np.eye(3), (forward["nsource"], 1))):
        raise RuntimeError("MNE's free-orientation forward is not in head-frame x, y, z.")
    return forward


def homogeneous_dipole_gain(
    contacts: np.ndarray, positions: np.ndarray, conductivity: float = BRAIN_CONDUCTIVITY
) -> np.ndarray:
    """Potential (V per A·m) at ``contacts`` of x, y, z dipoles at ``positions`` (m).

    Infinite homogeneous conductor: ``V = p·(r − r₀) / (4π σ |r − r₀|³)``; shape
    (n_contacts, 3 n_positions).

    Parameters
    ----------
    contacts : numpy.ndarray, shape (n_contacts, 3)
        Contact positions (m).
    positions : numpy.ndarray, shape (n_positions, 3)
        Dipole positions (m).
    conductivity : float
        Conductivity σ of the medium (S/m).
    """
    offsets = contacts[:, None, :] - positions[None, :, :]
    distance = np.linalg.norm(offsets, axis=2)
    if np.any(distance < 1e-4):
        raise ValueError(
            "A contact lies within 0.1 mm of a region centre, where a dipole's potential is "
            "undefined; move the contact or the centre."
        )
    gain = offsets / (4 * np.pi * conductivity * distance[..., None] ** 3)
    return gain.reshape(len(contacts), -1)
