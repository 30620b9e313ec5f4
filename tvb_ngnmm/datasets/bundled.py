"""The datasets shipped with the package, by name (for scripts and the command line)."""

from __future__ import annotations

from collections.abc import Sequence

from .._util import check_choice
from . import gw
from ._dataset import Dataset

#: The names :func:`load` knows.
BUNDLED = ("gw",)


def load(
    name: str,
    repetition_time: float,
    *,
    weighting: Sequence[str] | None = None,
    subjects: Sequence[str] | None = None,
) -> Dataset:
    """A dataset shipped with the package, as a :class:`~tvb_ngnmm.datasets.Dataset`.

    Parameters
    ----------
    name : str
        One of :data:`BUNDLED`: ``'gw'`` (:func:`tvb_ngnmm.datasets.gw.dataset`: five subjects,
        AAL2, 94 regions).
    repetition_time : float
        The BOLD sampling interval in ms (the bundled files do not record it).
    weighting : sequence of str, optional
        Named weighting steps; default the dataset's own (for ``'gw'``, √ counts scaled to a
        largest eigenvalue of 1).
    subjects : sequence of str, optional
        Some of the dataset's subjects; default all.

    Returns
    -------
    Dataset
        The bundled dataset, read and checked.

    Raises
    ------
    ValueError
        Naming ``name`` and the known names, if it is not one of them.
    """
    check_choice("name", name, BUNDLED)
    options = {"weighting": weighting, "subjects": subjects}
    return gw.dataset(repetition_time, **{k: v for k, v in options.items() if v is not None})
