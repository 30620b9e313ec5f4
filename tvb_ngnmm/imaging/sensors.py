"""Sensors for the region forward: MNE Infos from montages, tvb-data files and connectome frames.

Every function returns channels with positions in MNE's head frame (m), checked: a channel
without a position is an error that names it.
"""

from __future__ import annotations

from importlib import resources

import numpy as np

from .._util import check_choice
from ._head import apply_affine, connectome_to_head, import_mne, read_trans

#: SI unit of each channel type's signal.
UNITS = {"eeg": "V", "seeg": "V", "mag": "T", "grad": "T/m"}
#: Sensor files of tvb-data that :func:`read_tvb_sensors` reads.
TVB_SENSORS = ("eeg_brainstorm_65", "seeg_588", "meg_brainstorm_276")


def name_list(names, limit: int = 12, quote: bool = True) -> str:
    """``names`` as text for an error message, the first ``limit`` of them."""
    shown = ", ".join(repr(n) if quote else str(n) for n in names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


def sensor_info(sensors):
    """The EEG, MEG and sEEG channels of ``sensors`` as an Info, positions checked.

    Parameters
    ----------
    sensors : mne.Info or mne.channels.DigMontage or str
        The channels: an Info, a montage, or the name of one of MNE's standard montages.
    """
    mne = import_mne()
    if isinstance(sensors, str):
        sensors = mne.channels.make_standard_montage(sensors)
    if isinstance(sensors, mne.channels.DigMontage):
        info = mne.create_info(sensors.ch_names, 1000.0, "eeg")
        info.set_montage(sensors, verbose=False)
    elif isinstance(sensors, mne.Info):
        info = sensors.copy()
    else:
        raise TypeError(
            "Invalid type for the 'sensors' parameter. Allowed are mne.Info, "
            f"mne.channels.DigMontage or a montage name, but got {type(sensors).__name__} instead."
        )
    picks = mne.pick_types(info, meg=True, eeg=True, seeg=True, exclude=())
    if len(picks) == 0:
        raise ValueError(
            "The sensors have no EEG, MEG or sEEG channels; allowed channel types are 'eeg', "
            f"'mag', 'grad' and 'seeg', but got {sorted(set(info.get_channel_types()))}."
        )
    info = mne.pick_info(info, picks)
    locations = np.array([ch["loc"][:3] for ch in info["chs"]])
    missing = ~np.all(np.isfinite(locations), axis=1) | np.all(locations == 0, axis=1)
    if missing.any():
        names = [info.ch_names[i] for i in np.flatnonzero(missing)]
        raise ValueError(
            f"The montage has no position for {len(names)} of {len(missing)} channels: "
            f"{name_list(names)}. Allowed are channels with finite positions in the head "
            "frame; set a montage that covers them (info.set_montage) or drop them."
        )
    return info


def read_tvb_sensors(name: str) -> tuple[list[str], np.ndarray]:
    """Channel names and positions (mm) of a tvb-data sensor file.

    Parameters
    ----------
    name : {'eeg_brainstorm_65', 'seeg_588', 'meg_brainstorm_276'}
        ``seeg_588`` lies in tvb76's native frame. ``eeg_brainstorm_65`` does not: its axes are
        tvb76's (ALS) but its origin sits about (13, 0, 61) mm from tvb76's (the shift that best
        puts its electrodes on tvb-data's ``scalp_1082`` surface, which shares tvb76's frame).

    Returns
    -------
    names : list of str
        The sensors' names, in the file's order.
    positions : ndarray, shape (n, 3)
        mm; the MEG file's orientation columns are not returned.
    """
    check_choice("name", name, TVB_SENSORS)
    text = (resources.files("tvb_data.sensors") / f"{name}.txt").read_text()
    rows = [line.split() for line in text.splitlines() if line.strip()]
    names = [row[0] for row in rows]
    return names, np.array([[float(v) for v in row[1:4]] for row in rows])


def connectome_sensors(
    names, positions, connectivity, *, ch_type: str = "seeg", trans="fsaverage", to_mni=None
):
    """An Info of EEG or sEEG channels at ``positions`` given in the connectome's frame (mm).

    The positions go through the same transform as the region centres in
    :func:`region_forward` (same ``trans`` and ``to_mni``).

    Parameters
    ----------
    names : sequence of str
        The channels' names.
    positions : array_like, shape (n_channels, 3)
        The channels' positions in the connectome's frame (mm).
    connectivity : Connectivity
        The connectome whose frame the positions are in.
    ch_type : {'seeg', 'eeg'}
        The channels' type.
    trans : 'fsaverage', path or mne.transforms.Transform
        Head ↔ MRI transform, as for :func:`region_forward`.
    to_mni : None, array (3,) or (4, 4)
        From the connectome's RAS frame to MNI space (mm), as for :func:`region_forward`.
    """
    mne = import_mne()
    check_choice("ch_type", ch_type, ("eeg", "seeg"))
    names = [str(n) for n in names]
    positions = np.asarray(positions, dtype=float)
    if positions.shape != (len(names), 3) or not np.all(np.isfinite(positions)):
        raise ValueError(
            "Invalid value for the 'positions' parameter. Allowed are finite values of shape "
            f"({len(names)}, 3), one row per name, but got shape {positions.shape} instead."
        )
    affine = connectome_to_head(connectivity.coordinate_frame, read_trans(trans), to_mni)
    head = apply_affine(affine, positions)
    info = mne.create_info(names, 1000.0, ch_type)
    montage = mne.channels.make_dig_montage(dict(zip(names, head, strict=True)), coord_frame="head")
    info.set_montage(montage)
    return info
