"""The baselines a fit to functional connectivity is judged against, for any dataset.

A model's simulated FC is worth reporting only beside what the data give without a model:

- the **structural floor**: Pearson r between the structural matrix and the FC
  (:func:`structure_fc_correlation`, on the weights or on their logarithm);
- the **noise ceiling**: how well one subject's FC is predicted by the other subjects' mean FC
  (:func:`inter_subject_similarity`, leave one subject out), and, where a subject was scanned
  twice, how well one session's FC predicts the other's (:func:`retest_similarity`).

Every correlation is taken over the upper triangle (``i < j``, the diagonal excluded) of symmetric
matrices. The functions take plain arrays, so that they serve any dataset;
:func:`tvb_ngnmm.datasets.gw.baselines` applies :func:`baselines` to the bundled subjects.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np

from .._util import UndefinedMeasureWarning, check_choice, check_values
from ..connectomes import check_matrix
from ..coupling import check_weights
from ._subject import fisher_z_mean

TRANSFORMS = ("none", "log")


def _check_symmetric(matrix: np.ndarray, name: str) -> None:
    close = np.isclose(matrix, matrix.T, rtol=1e-10, atol=1e-12)
    if not close.all():
        i, j = (int(k) for k in np.argwhere(~close)[0])
        raise ValueError(
            f"Invalid value for the {name!r} parameter. Allowed values are a symmetric matrix "
            f"(symmetrise it first, e.g. tvb_ngnmm.connectomes.symmetrize), but got "
            f"[{i}, {j}] = {matrix[i, j]!r} and [{j}, {i}] = {matrix[j, i]!r} instead."
        )


def _check_fc(fc: object, name: str = "fc") -> np.ndarray:
    """A symmetric, square matrix of correlations in [-1, 1] as float64."""
    matrix = check_weights(fc, non_negative=False, name=name)
    check_values(
        matrix,
        f"the {name!r} parameter",
        "correlations in [-1, 1]",
        ok=lambda values: np.abs(values) <= 1.0,
    )
    _check_symmetric(matrix, name)
    return matrix


def _pearson(x: np.ndarray, y: np.ndarray, what: str) -> float:
    """Pearson r of two vectors, or a ``ValueError`` if either is constant (r undefined)."""
    if x.size < 3 or np.ptp(x) == 0.0 or np.ptp(y) == 0.0:
        raise ValueError(
            f"Invalid value for {what}. Allowed values are matrices whose compared entries "
            f"(at least 3) are not all equal, but got {x.size} entries "
            f"with ranges {np.ptp(x)!r} and {np.ptp(y)!r} instead."
        )
    return float(np.corrcoef(x, y)[0, 1])


def structure_fc_correlation(weights: object, fc: object, transform: str = "none") -> float:
    """Pearson r between a structural matrix and an FC, over the upper triangle.

    Parameters
    ----------
    weights : array_like, shape (n_region, n_region)
        Symmetric, finite, non-negative structural weights (e.g. streamline counts; any unit).
        The diagonal is ignored.
    fc : array_like, shape (n_region, n_region)
        Symmetric functional connectivity (Pearson r, dimensionless, in [-1, 1]).
    transform : {'none', 'log'}
        ``'none'``: r between ``W[i, j]`` and ``FC[i, j]`` over all pairs ``i < j``.
        ``'log'``: r between ``log(W[i, j])`` and ``FC[i, j]`` over the pairs ``i < j`` with
        ``W[i, j] > 0`` only. Unconnected pairs have no logarithm; a pseudo-count such as
        ``log(1 + W)`` would make the result depend on the weights' unit (counts, densities,
        normalised), whereas r over the connected pairs does not, and is what structure–function
        studies usually report as the log-SC–FC correlation.

    Returns
    -------
    float
        Pearson r, dimensionless, in [-1, 1].

    Raises
    ------
    ValueError
        If a matrix is not square, not finite, of a different shape from the other, not
        symmetric, if ``weights`` is negative or ``fc`` outside [-1, 1], if ``transform`` is not
        one of the above, or if fewer than 3 pairs remain or they are all equal.
    """
    check_choice("transform", transform, TRANSFORMS)
    weights = check_matrix(weights, "weights")
    _check_symmetric(weights, "weights")
    fc = _check_fc(fc)
    if fc.shape != weights.shape:
        raise ValueError(
            f"Invalid shape for the 'fc' parameter. Allowed is the shape of the weights "
            f"{weights.shape}, but got shape {fc.shape} instead."
        )
    upper = np.triu_indices(weights.shape[0], 1)
    w, f = weights[upper], fc[upper]
    if transform == "log":
        connected = w > 0
        w, f = np.log(w[connected]), f[connected]
    return _pearson(w, f, f"the 'weights' and 'fc' parameters (transform={transform!r})")


def _check_fcs(fcs: object) -> np.ndarray:
    """The subjects' FCs as an array ``(n_subject, n_region, n_region)``, each checked."""
    try:
        stack = [_check_fc(matrix, "fcs") for matrix in fcs]
    except TypeError as err:
        raise ValueError(
            "Invalid value for the 'fcs' parameter. Allowed values are a sequence of FC "
            f"matrices, but got {type(fcs).__name__} instead."
        ) from err
    shapes = sorted({matrix.shape for matrix in stack})
    if len(stack) < 2 or len(shapes) != 1:
        raise ValueError(
            "Invalid value for the 'fcs' parameter. Allowed values are 2 or more FC matrices of "
            f"one shape, but got {len(stack)} of shapes {shapes} instead."
        )
    off = ~np.eye(shapes[0][0], dtype=bool)
    stack = np.array(stack)
    check_values(
        stack[:, off],
        "the 'fcs' parameter",
        "off-diagonal correlations in (-1, 1)",
        ok=lambda values: np.abs(values) < 1.0,
    )
    return stack


def _subject_names(names: Sequence[str] | None, n_subject: int) -> list[str]:
    if names is None:
        return [f"subject_{k}" for k in range(n_subject)]
    names = [str(name) for name in names]
    if len(names) != n_subject or len(set(names)) != n_subject:
        raise ValueError(
            f"Invalid value for the 'names' parameter. Allowed values are {n_subject} distinct "
            f"names (one per FC), but got {names!r} instead."
        )
    return names


def _leave_one_out(stack: np.ndarray) -> np.ndarray:
    """Per subject, r between its FC and the Fisher-z mean FC of the others (upper triangle)."""
    upper = np.triu_indices(stack.shape[1], 1)
    values = []
    for k in range(len(stack)):
        others = fisher_z_mean(np.delete(stack, k, axis=0))
        values.append(_pearson(stack[k][upper], others[upper], "the 'fcs' parameter"))
    return np.array(values)


def _pairwise(stack: np.ndarray) -> np.ndarray:
    """Per subject, the mean of its r with each other subject's FC (upper triangle)."""
    upper = np.triu_indices(stack.shape[1], 1)
    n_subject = len(stack)
    r = np.eye(n_subject)
    for a in range(n_subject):
        for b in range(a + 1, n_subject):
            r[a, b] = r[b, a] = _pearson(stack[a][upper], stack[b][upper], "the 'fcs' parameter")
    return (r.sum(axis=1) - 1.0) / (n_subject - 1)


METHODS = {"leave_one_out": _leave_one_out, "pairwise": _pairwise}
LONG_NAMES = {
    "leave_one_out": "r with the Fisher-z mean FC of the other subjects",
    "pairwise": "mean r with each other subject's FC",
}


def inter_subject_similarity(
    fcs: object, names: Sequence[str] | None = None, method: str = "leave_one_out"
):
    """Inter-subject similarity of FC: the data's noise ceiling.

    With ``method='leave_one_out'``, for each subject, Pearson r (upper triangle) between its FC
    and the Fisher-z mean FC of the *other* subjects (``tanh`` of the mean ``arctanh``): how well
    one subject's FC is predicted from the others' group FC without a model (the ceiling of a fit
    to a group FC tested on a held-out subject). With ``method='pairwise'``, for each subject, the
    mean of its r with each other subject's FC (lower: one subject's FC predicts another's less
    well than the average of several does).

    Parameters
    ----------
    fcs : sequence of array_like, each (n_region, n_region)
        Two or more subjects' FCs (Pearson r, dimensionless): symmetric, of one shape,
        off-diagonal values in (-1, 1). An array ``(n_subject, n_region, n_region)`` works too.
    names : sequence of str, optional
        The subjects' names (distinct, one per FC); default ``subject_0``, ``subject_1``, ...
    method : {'leave_one_out', 'pairwise'}
        As above.

    Returns
    -------
    xarray.DataArray
        Dim ``subject``, r per subject (dimensionless, in [-1, 1]); ``.mean()`` and ``.std()``
        give the summary.
    """
    # deferred: xarray imports pandas (0.5 s); only the labelled outputs need it
    import xarray as xr  # noqa: PLC0415

    check_choice("method", method, tuple(METHODS))
    stack = _check_fcs(fcs)
    names = _subject_names(names, len(stack))
    return xr.DataArray(
        METHODS[method](stack),
        dims="subject",
        coords={"subject": names},
        name="inter_subject_r",
        attrs={"units": "1", "long_name": LONG_NAMES[method], "method": method},
    )


def baselines(weights: object, fcs: object, names: Sequence[str] | None = None):
    """The structural floor and the noise ceiling of a dataset, per subject.

    Parameters
    ----------
    weights : array_like, shape (n_region, n_region)
        The group's structural matrix: symmetric, finite, non-negative (e.g. mean streamline
        counts; any unit).
    fcs : sequence of array_like, each (n_region, n_region)
        Two or more subjects' FCs, as for :func:`inter_subject_similarity`.
    names : sequence of str, optional
        The subjects' names; default ``subject_0``, ``subject_1``, ...

    Returns
    -------
    xarray.Dataset
        Dim ``subject``. Variables (Pearson r, dimensionless): ``sc_fc`` and ``log_sc_fc``, the
        structure against each subject's FC (:func:`structure_fc_correlation` with ``'none'`` and
        ``'log'``); ``inter_subject`` and ``inter_subject_pairwise``, each subject against the
        others (:func:`inter_subject_similarity`, leave one out and pairwise); and, without a
        dim, ``group_sc_fc`` and ``group_log_sc_fc``, the structure against the Fisher-z mean
        FC of all subjects.
    """
    # deferred: xarray imports pandas (0.5 s); only the labelled outputs need it
    import xarray as xr  # noqa: PLC0415

    stack = _check_fcs(fcs)
    names = _subject_names(names, len(stack))
    group = fisher_z_mean(stack)
    per_subject = {
        kind: [structure_fc_correlation(weights, fc, transform) for fc in stack]
        for kind, transform in (("sc_fc", "none"), ("log_sc_fc", "log"))
    }
    attrs = {"units": "1"}
    return xr.Dataset(
        {
            "sc_fc": ("subject", per_subject["sc_fc"], {**attrs, "long_name": "r(SC, FC)"}),
            "log_sc_fc": (
                "subject",
                per_subject["log_sc_fc"],
                {**attrs, "long_name": "r(log SC, FC), connected pairs"},
            ),
            "inter_subject": (
                "subject",
                _leave_one_out(stack),
                {**attrs, "long_name": LONG_NAMES["leave_one_out"]},
            ),
            "inter_subject_pairwise": (
                "subject",
                _pairwise(stack),
                {**attrs, "long_name": LONG_NAMES["pairwise"]},
            ),
            "group_sc_fc": ((), structure_fc_correlation(weights, group), attrs),
            "group_log_sc_fc": ((), structure_fc_correlation(weights, group, "log"), attrs),
        },
        coords={"subject": names},
    )


def retest_similarity(session_fcs: object, names: Sequence[str] | None = None):
    """Test–retest similarity of FC: per subject, r between its first two sessions' FCs.

    Parameters
    ----------
    session_fcs : sequence of sequences of array_like
        Per subject, the FCs of its sessions (Pearson r, dimensionless; symmetric, of one
        shape, values in [-1, 1]), in session order; a subject may have one session.
    names : sequence of str, optional
        The subjects' names; default ``subject_0``, ``subject_1``, ...

    Returns
    -------
    xarray.DataArray
        Dim ``subject``, named ``test_retest``: Pearson r over the upper triangle between the
        FCs of each subject's first two sessions (dimensionless); NaN for a subject with one
        session, which one :class:`~tvb_ngnmm._util.UndefinedMeasureWarning` names.
    """
    # deferred: xarray imports pandas (0.5 s); only the labelled outputs need it
    import xarray as xr  # noqa: PLC0415

    per_subject = [[_check_fc(fc, "session_fcs") for fc in fcs] for fcs in session_fcs]
    names = _subject_names(names, len(per_subject))
    values, single = [], []
    for name, fcs in zip(names, per_subject, strict=True):
        if len(fcs) < 2:
            values.append(np.nan)
            single.append(name)
            continue
        if fcs[0].shape != fcs[1].shape:
            raise ValueError(
                "Invalid value for the 'session_fcs' parameter. Allowed values are FCs of one "
                f"shape per subject, but got {fcs[0].shape} and {fcs[1].shape} for {name!r} "
                "instead."
            )
        upper = np.triu_indices(fcs[0].shape[0], 1)
        values.append(_pearson(fcs[0][upper], fcs[1][upper], "the 'session_fcs' parameter"))
    if single:
        message = f"test-retest r is NaN for the subjects with one session: {single}"
        warnings.warn(UndefinedMeasureWarning(message), stacklevel=2)
    return xr.DataArray(
        np.array(values, dtype=float),
        dims="subject",
        coords={"subject": names},
        name="test_retest",
        attrs={"units": "1", "long_name": "r between the FCs of the first two sessions"},
    )
