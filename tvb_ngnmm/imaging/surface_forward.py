r"""A forward model with one current dipole per vertex of a cortical surface, built with MNE.

:func:`surface_forward` places a dipole at each vertex of a TVB cortex (``sim.surface``), oriented
along the vertex normal (fixed orientation), takes the vertices and normals from the
connectome's recorded frame to MNE's head frame by the chain of :mod:`._head` (the cortex must be
in the connectome's frame, as tvb-data's ``cortex_16384`` is in tvb76's), and computes the gain of
every EEG and MEG channel with :func:`mne.make_forward_solution` on a source space of two
hemispheres built from the vertices and normals (a three-shell sphere fitted to the EEG
positions, or the BEM solution given, as :func:`~tvb_ngnmm.imaging.region_forward`).

Two routes from a surface simulation to sensors, which agree (``tests/test_imaging_surface.py``):

- in the simulation: ``ForwardProjection(gain=forward.gain, ...)`` (or
  ``ForwardProjection.from_forward(forward)``), one column per vertex, run by stock ``sim.run()``
  or the engine, then :func:`~tvb_ngnmm.imaging.to_raw`;
- after it, with MNE: the vertex-level output (``Raw``, ``TemporalAverage``) as a
  :class:`mne.SourceEstimate` (:func:`surface_source_estimate`) and
  :func:`mne.apply_forward_raw` (:func:`apply_surface_forward`).

Hemispheres: an ``mne.SourceEstimate`` holds the left hemisphere's vertices, then the right's.
A vertex's hemisphere is its region's (the surface's region mapping): the connectivity's
``hemispheres`` (True: right) when it records them, else the region labels' prefixes or
suffixes (``rA1``/``lA1``, ``..._R``/``..._L``), else the ``hemispheres`` given. The vertex
numbers of each hemisphere are positions in that hemisphere's part of the TVB mesh (its
vertices in the mesh's order), not FreeSurfer's: the estimate goes with this forward's source
space, not with a FreeSurfer subject's surfaces (no fsaverage plots).

Dipole moments: per vertex and unit of the simulated variable, ``dipole_moment_density``
(A·m/mm², default 0.5 nA·m/mm², within the 0.16–0.77 nA·m/mm² measured across cortical
structures and species by Murakami & Okada 2015, NeuroImage 111:49–58) times the vertex's area
(a third of the areas of its triangles, mm²), or the ``dipole_moment`` given per vertex.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._util import check_values
from ..connectomes import hemispheres_from_labels
from ..engine.surface_checks import check_normals
from ._head import apply_affine, connectome_to_head, import_mne, read_trans
from .forward import _conductor, _coordinate_frame, _keep_inside
from .sensors import UNITS, sensor_info

__all__ = ["DIPOLE_MOMENT_DENSITY", "SurfaceForward", "surface_forward", "vertex_hemispheres"]

#: Default current dipole moment density (A·m per mm² of cortex per unit of activity).
DIPOLE_MOMENT_DENSITY = 0.5e-9


@dataclass(frozen=True, eq=False)
class SurfaceForward:
    """The gain from vertex activity to sensors, and what it was built from.

    Parameters
    ----------
    gain : ndarray, shape (n_channels, n_vertex)
        V (EEG), T (magnetometers) or T/m (gradiometers) per unit of each vertex's activity,
        columns in the mesh's vertex order (``gain_per_dipole_moment * dipole_moment``). EEG
        against infinity (no reference).
    gain_per_dipole_moment : ndarray, shape (n_channels, n_vertex)
        The same per A·m along the vertex normal.
    ch_names, ch_types, units : tuple of str
    info : mne.Info
    positions, orientations : ndarray, shape (n_vertex, 3)
        Dipole positions (m) and unit normals in MNE's head frame.
    dipole_moment : ndarray, shape (n_vertex,)
        A·m per unit of activity.
    right_hemisphere : ndarray of bool, shape (n_vertex,)
    vertices : list of two int arrays
        The source estimate's vertex numbers: positions in the left and the right hemisphere.
    order : ndarray of int, shape (n_vertex,)
        Mesh vertex of each source, left hemisphere's then right's (MNE's order).
    forward : mne.Forward
        MNE's fixed-orientation forward on the two-hemisphere source space (sources in
        ``order``), for :func:`mne.apply_forward_raw`.
    connectome_to_head : ndarray, shape (4, 4)
    head_mri_t, head_model
    moved_vertices : tuple of int
        Vertices moved inside the head model by ``outside='shrink'``.
    """

    gain: np.ndarray
    gain_per_dipole_moment: np.ndarray
    ch_names: tuple[str, ...]
    ch_types: tuple[str, ...]
    units: tuple[str, ...]
    info: object
    positions: np.ndarray
    orientations: np.ndarray
    dipole_moment: np.ndarray
    right_hemisphere: np.ndarray
    vertices: list
    order: np.ndarray
    forward: object
    connectome_to_head: np.ndarray
    head_mri_t: object
    head_model: object
    moved_vertices: tuple[int, ...] = ()

    free_orientation = False

    @property
    def n_vertex(self) -> int:
        """Number of vertices (sources)."""
        return len(self.order)


def surface_forward(
    surface,
    sensors,
    *,
    connectivity=None,
    hemispheres=None,
    head_model="sphere",
    trans="fsaverage",
    to_mni=None,
    dipole_moment=None,
    dipole_moment_density: float = DIPOLE_MOMENT_DENSITY,
    outside: str = "raise",
    margin: float = 5.0,
) -> SurfaceForward:
    """Gain matrix from one dipole per vertex, along the vertex normals, to EEG and MEG sensors.

    Parameters
    ----------
    surface : tvb.datatypes.cortex.Cortex
        The cortex of a surface simulation (``sim.surface``): vertices (mm, in the connectome's
        frame), vertex normals, triangles and region mapping.
    sensors : mne.Info, mne.channels.DigMontage or str
        EEG and MEG channels in MNE's head frame (as for :func:`region_forward`).
    connectivity : Connectivity, optional
        Its ``coordinate_frame`` and region labels (default: the region mapping's).
    hemispheres : array of bool, shape (n_region,), optional
        True for right-hemisphere regions, when the connectivity does not say.
    head_model, trans, to_mni
        As for :func:`region_forward` (``to_mni=TVB76_TO_MNI_MM`` for tvb76's cortex).
    dipole_moment : float or array, shape (n_vertex,), optional
        A·m per unit of activity; default ``dipole_moment_density`` times each vertex's area.
    dipole_moment_density : float
        A·m per mm² per unit of activity (default 0.5 nA·m/mm²).
    outside, margin
        As for :func:`region_forward`: what to do with vertices outside the head model's inner
        surface, and how far inside it (mm) to move them.

    Returns
    -------
    SurfaceForward
        The gain (sensors × vertices, per unit of activity), the dipoles' positions,
        orientations and moments, the hemispheres and MNE's forward solution.
    """
    mne = import_mne()
    mesh = _mesh(surface)
    connectivity = connectivity or surface.region_mapping_data.connectivity
    right = vertex_hemispheres(mesh["mapping"], connectivity, hemispheres)
    frame = _coordinate_frame(connectivity, to_mni)
    head_mri_t = read_trans(trans)
    affine = connectome_to_head(frame, head_mri_t, to_mni)
    positions = apply_affine(affine, mesh["vertices"])
    normals = mesh["normals"] @ affine[:3, :3].T
    normals /= np.linalg.norm(normals, axis=1)[:, None]
    moments = _moments(dipole_moment, dipole_moment_density, mesh)
    info = sensor_info(sensors)
    if len(mne.pick_types(info, meg=True, eeg=True, exclude=())) != len(info.ch_names):
        raise ValueError(
            "Invalid value for the 'sensors' parameter of surface_forward. Allowed are EEG and "
            f"MEG channels, but got {sorted(set(info.get_channel_types()))} (for sEEG use "
            "homogeneous_dipole_gain with the vertices)."
        )
    conductor = _conductor(head_model, info)
    labels = [f"vertex {i}" for i in range(len(positions))]
    positions, moved = _keep_inside(positions, labels, conductor, head_mri_t, outside, margin,
                                    noun="vertices", limit=10)  # fmt: skip
    order = np.r_[np.flatnonzero(~right), np.flatnonzero(right)]
    forward = _fixed_forward(info, positions, normals, right, conductor, head_mri_t)
    rows = [forward["sol"]["row_names"].index(name) for name in info.ch_names]
    per_moment = np.empty((len(rows), len(order)))
    per_moment[:, order] = forward["sol"]["data"][rows]
    ch_types = tuple(info.get_channel_types())
    return SurfaceForward(
        gain=per_moment * moments, gain_per_dipole_moment=per_moment,
        ch_names=tuple(info.ch_names), ch_types=ch_types,
        units=tuple(UNITS[t] for t in ch_types), info=info, positions=positions,
        orientations=normals, dipole_moment=moments, right_hemisphere=right,
        vertices=[np.arange(np.sum(~right)), np.arange(np.sum(right))], order=order,
        forward=forward, connectome_to_head=affine, head_mri_t=head_mri_t,
        head_model=conductor, moved_vertices=tuple(int(label.split()[1]) for label in moved),
    )  # fmt: skip


def _mesh(surface) -> dict:
    """Vertices, unit normals, triangles and region mapping of a TVB cortex, checked."""
    mapped = getattr(surface, "region_mapping_data", None)
    mesh = None if mapped is None else getattr(mapped, "surface", None)
    if mesh is None:
        raise TypeError(
            "Invalid type for the 'surface' parameter of surface_forward. Allowed is a TVB "
            "Cortex with a region mapping and its surface (a simulator's 'surface'), but got "
            f"{type(surface).__name__} instead."
        )
    vertices = np.asarray(mesh.vertices, dtype=float)
    normals = check_normals(mesh, "surface_forward's dipoles (along the vertex normals)")
    mapping = np.asarray(mapped.array_data, dtype=np.int64)
    if mapping.shape != (len(vertices),):
        raise ValueError(
            "Invalid value for the 'region_mapping' of the 'surface' parameter of "
            f"surface_forward. Allowed is one region per vertex ({len(vertices)}), but got "
            f"{mapping.size} instead."
        )
    triangles = np.asarray(mesh.triangles, dtype=np.int64)
    return dict(vertices=vertices, normals=normals, triangles=triangles,
                mapping=mapping)  # fmt: skip


def vertex_hemispheres(mapping: np.ndarray, connectivity, hemispheres=None) -> np.ndarray:
    """True for each vertex of the right hemisphere: its region's side (see the module)."""
    labels = np.asarray(connectivity.region_labels)
    n_region = len(labels)
    given = hemispheres
    if given is None:
        recorded = getattr(connectivity, "hemispheres", None)
        given = recorded if recorded is not None and np.size(recorded) == n_region else None
    if given is None:
        given = hemispheres_from_labels(labels)
    if given is None or np.shape(given) != (n_region,):
        got = "none" if given is None else f"shape {np.shape(given)}"
        raise ValueError(
            "Invalid value for the 'hemispheres' parameter of surface_forward. Allowed is one "
            f"bool per region ({n_region}, True: right), needed because the connectivity records "
            f"no hemispheres and its labels ({', '.join(labels[:3])}, ...) do not say, but got "
            f"{got} instead."
        )
    right = np.asarray(given, dtype=bool)[mapping]
    if right.all() or not right.any():
        raise ValueError(
            "Invalid value for the 'hemispheres' parameter of surface_forward. Allowed are "
            "vertices in both hemispheres (an mne.SourceEstimate has two), but got all "
            f"{len(right)} vertices in the {'right' if right.all() else 'left'} one."
        )
    return right


def _moments(dipole_moment, density: float, mesh: dict) -> np.ndarray:
    """A·m per unit of activity of each vertex."""
    n_vertex = len(mesh["vertices"])
    if dipole_moment is None:
        check_values(density, "the 'dipole_moment_density' parameter of surface_forward",
                     "finite numbers > 0 (A·m/mm²)", lambda x: x > 0)  # fmt: skip
        return density * vertex_areas(mesh["vertices"], mesh["triangles"])
    moments = np.asarray(dipole_moment, dtype=float)
    if moments.shape not in ((), (n_vertex,)):
        raise ValueError(
            "Invalid value for the 'dipole_moment' parameter of surface_forward. Allowed is "
            f"one value or one per vertex ({n_vertex}), but got shape {moments.shape} instead."
        )
    check_values(moments, "the 'dipole_moment' parameter of surface_forward",
                 "finite numbers > 0 (A·m per unit of activity)", lambda x: x > 0)  # fmt: skip
    return np.broadcast_to(moments, (n_vertex,)).copy()


def vertex_areas(vertices: np.ndarray, triangles: np.ndarray) -> np.ndarray:
    """A third of the area of each vertex's triangles (units of ``vertices`` squared)."""
    a, b, c = (vertices[triangles[:, k]] for k in range(3))
    third = np.linalg.norm(np.cross(b - a, c - a), axis=1) / 6.0
    return np.bincount(triangles.ravel(), np.repeat(third, 3), minlength=len(vertices))


def _hemisphere_space(mne, rr: np.ndarray, nn: np.ndarray, right: bool) -> dict:
    """One hemisphere of a surface source space: every point a source, no triangles."""
    FIFF = mne.io.constants.FIFF
    space = dict(mne.setup_volume_source_space(pos=dict(rr=rr, nn=nn), verbose=False)[0])
    for key in ("shape", "mri_width", "mri_height", "mri_depth", "mri_volume_name",
                "interpolator", "vol_dims", "neighbor_vert", "src_mri_t", "vox_mri_t",
                "mri_ras_t", "seg_name"):  # fmt: skip
        space.pop(key, None)
    space.update(
        type="surf", id=FIFF.FIFFV_MNE_SURF_RIGHT_HEMI if right else FIFF.FIFFV_MNE_SURF_LEFT_HEMI,
        np=len(rr), nuse=len(rr), inuse=np.ones(len(rr), dtype=np.int64),
        vertno=np.arange(len(rr)), ntri=0, tris=None, nuse_tri=0, use_tris=None,
    )  # fmt: skip
    return space


def _fixed_forward(info, positions, normals, right, conductor, head_mri_t):
    """MNE's fixed-orientation forward (along ``normals``): the left hemisphere's vertices
    (``right`` false), then the right's."""
    mne = import_mne()
    if conductor["is_sphere"]:  # sources in head coordinates, identity transform (forward.py)
        trans, rr, nn = mne.transforms.Transform("head", "mri"), positions, normals
    else:
        trans, rotation = head_mri_t, head_mri_t["trans"][:3, :3]
        rr, nn = apply_affine(head_mri_t["trans"], positions), normals @ rotation.T
    source = mne.SourceSpaces([
        _hemisphere_space(mne, rr[~right], nn[~right], right=False),
        _hemisphere_space(mne, rr[right], nn[right], right=True),
    ])  # fmt: skip
    forward = mne.make_forward_solution(info, trans, source, conductor, mindist=0.0, verbose=False)
    if forward["nsource"] != len(positions):
        raise RuntimeError(
            f"MNE dropped {len(positions) - forward['nsource']} vertices from the forward."
        )
    return mne.convert_forward_solution(forward, surf_ori=True, force_fixed=True, verbose=False)
