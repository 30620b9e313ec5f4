"""The table of :func:`~.cross_validation.cross_validate`: its layout, summary and figure.

The folds' held-out validations (:func:`~.held_out.validate_held_out`, one table of targets
× realisations per fold) are laid out by the kind of target, since each fold holds out other
subjects: a ``subject`` dimension for the held-out subjects (each held out in one fold), a
``fold`` × ``group`` table for each fold's training and held-out groups, and each fold's fit
(``fold`` × ``parameter``). See :func:`~.cross_validation.cross_validate` for the variables.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from .._util import check_choice, pyplot
from .held_out import DATA_VARIABLES, TEST, TRAIN
from .objectives import _bad

GROUPS = (TRAIN, TEST)


def _row(table: xr.Dataset, target: str, names: list) -> dict:
    """``{name: values}`` of one target of a fold's validation (NaN where a name is absent)."""
    k = table.sizes["realisation"]
    row = {}
    for name in names:
        if name in table.data_vars:
            row[name] = table[name].sel(target=target).values
        elif name in DATA_VARIABLES:
            row[name] = np.array(np.nan)
        else:
            row[name] = np.full(k, False if name == "blown_up" else np.nan)
    return row


def _held_out(folds, tables, names) -> dict:
    """The held-out subjects' variables (subject × realisation, or subject)."""
    rows = [_row(t, s, names) for f, t in zip(folds, tables, strict=True) for s in f.split["test"]]
    return {name: (("subject", "realisation") if np.ndim(rows[0][name]) else ("subject",),
                   np.array([row[name] for row in rows])) for name in names}  # fmt: skip


def _groups(folds, tables, names) -> dict:
    """Each fold's training and held-out group (fold × group × realisation, or fold × group);
    a fold holding out one subject: its test group is that subject."""
    rows = []
    for fold, table in zip(folds, tables, strict=True):
        test = TEST if TEST in table.target.values else fold.split["test"][0]
        rows.append([_row(table, TRAIN, names), _row(table, test, names)])
    data = {}
    for name in names:
        values = np.array([[group[name] for group in fold] for fold in rows])
        dims = ("fold", "group", "realisation")[: values.ndim]
        data[f"group_{name}"] = (dims, values)
    return data


def _fits(folds, results) -> dict:
    """Each fold's fit: best parameters, its loss and components, regional values."""
    names = list(folds[0].problem.bounds)
    data = {
        "best_parameters": (
            ("fold", "parameter"),
            [[r.best_parameters[n] for n in names] for r in results],
        ),
        "fit_loss": ("fold", [r.best_loss for r in results]),
        "fit_evaluations": ("fold", [r.history.sizes["evaluation"] for r in results]),
    }
    components = dict.fromkeys(k for r in results for k in r.best_components)
    for name in components:
        data[f"fit_{name}"] = ("fold", [r.best_components.get(name, np.nan) for r in results])
    for name in results[0].best_regional:
        data[f"regional_{name}"] = (
            ("fold", "region"),
            np.stack([r.best_regional[name] for r in results]),
        )
    return data


def _combine(folds, results, tables, sim) -> xr.Dataset:
    """The folds' validations and fits as one Dataset (see the module's docstring)."""
    names = list(dict.fromkeys(str(n) for t in tables for n in t.data_vars))
    names = [n for n in names if n not in DATA_VARIABLES] + list(DATA_VARIABLES)
    data = {**_held_out(folds, tables, names), **_groups(folds, tables, names),
            **_fits(folds, results)}  # fmt: skip
    problem = folds[0].problem
    parameters = list(problem.bounds)
    coords = {
        "subject": [s for f in folds for s in f.split["test"]],
        "test_fold": ("subject", [f.index for f in folds for _ in f.split["test"]]),
        "fold": [f.index for f in folds],
        "train": ("fold", [",".join(f.split["train"]) for f in folds]),
        "test": ("fold", [",".join(f.split["test"]) for f in folds]),
        "group": list(GROUPS),
        "realisation": tables[0].realisation.values,
        "noise_seed": ("realisation", tables[0].noise_seed.values),
        "parameter": parameters,
        "units": ("parameter", [problem.units[n] for n in parameters]),
        "low": ("parameter", [problem.bounds[n][0] for n in parameters]),
        "high": ("parameter", [problem.bounds[n][1] for n in parameters]),
    }
    if results[0].best_regional:
        coords["region"] = np.array(sim.connectivity.region_labels, dtype=str)
    table = xr.Dataset(data, coords=coords)
    for name in DATA_VARIABLES:
        for variable in (name, f"group_{name}"):
            table[variable].attrs = dict(tables[0][name].attrs)
    return table


def _metrics(table: xr.Dataset) -> list[str]:
    """The held-out subjects' metrics, ``loss`` first."""
    names = [str(n) for n in table.data_vars if table[n].dims == ("subject", "realisation")
             and n != "blown_up"]  # fmt: skip
    return sorted(names, key=lambda name: name != "loss")


def cross_validation_summary(table: xr.Dataset) -> xr.Dataset:
    """Mean ± SD of the held-out metrics over folds and subjects, beside the mean floor and
    ceiling.

    Each value is first averaged over its realisations (fresh noise streams); then, per row:

    - ``'train'``: the folds' training groups (mean ± SD over folds);
    - ``'test'``: the folds' held-out groups (over folds);
    - ``'subject'``: the held-out subjects, each on its own connectome (over subjects).

    Parameters
    ----------
    table : xarray.Dataset
        As :func:`~.cross_validation.cross_validate` returns it.

    Returns
    -------
    xarray.Dataset
        Dims ``target`` (``'train'``, ``'test'``, ``'subject'``) × ``statistic`` (``'mean'``,
        ``'sd'``, ``ddof=1``; NaN with one value) for each metric; ``floor_sc``,
        ``floor_log_sc``, ``ceiling`` and ``empirical_fc_mean`` (``target``), their means
        over the same folds or subjects (NaN ignored); ``n`` (``target``), the values averaged.
    """
    rows = {TRAIN: table.sel(group=TRAIN), TEST: table.sel(group=TEST), "subject": table}
    data = {}
    for name in _metrics(table):
        statistics = []
        for label, part in rows.items():
            values = part[name if label == "subject" else f"group_{name}"].mean("realisation")
            sd = float(values.std(ddof=1)) if values.size > 1 else np.nan
            statistics.append([float(values.mean()), sd])
        data[name] = (("target", "statistic"), statistics)
    for name in DATA_VARIABLES:
        means = []
        for label, part in rows.items():
            values = part[name if label == "subject" else f"group_{name}"].values
            means.append(float(np.nanmean(values)) if np.isfinite(values).any() else np.nan)
        data[name] = ("target", means, dict(table[name].attrs))
    data["n"] = ("target", [table.sizes["fold"]] * 2 + [table.sizes["subject"]])
    return xr.Dataset(data, coords={"target": list(rows), "statistic": ["mean", "sd"]})


def plot_cross_validation(table: xr.Dataset, metric: str = "fc_correlation", axes=None,
                          show: bool = True):  # fmt: skip
    """Each held-out subject's metric with its floor and ceiling; each fold's best parameters.

    Left: per held-out subject (labelled with its fold), a point per realisation and mean ±
    SD; for ``fc_correlation`` the subject's floors (``floor_sc`` dashed, ``floor_log_sc``
    dotted) and ceiling (solid), for ``fc_mean`` its empirical mean FC. Right: each fold's
    best parameters, as a line across the parameters placed within their bounds (0 the low
    bound, 1 the high).

    Parameters
    ----------
    table : xarray.Dataset
        As :func:`~.cross_validation.cross_validate` returns it.
    metric : str
        A held-out metric of the table (``'loss'``, ``'fc_correlation'``, ...).
    axes : sequence of two matplotlib Axes, optional
        Default a new figure.
    show : bool
        Call ``plt.show()``.

    Returns
    -------
    matplotlib.figure.Figure
        The figure drawn.
    """
    plt = pyplot("plot_cross_validation")
    check_choice("metric", metric, _metrics(table))
    if axes is None:
        width = 4.0 + 0.45 * table.sizes["subject"] + 0.6 * table.sizes["parameter"]
        _, axes = plt.subplots(1, 2, figsize=(width, 3.8), width_ratios=[1.4, 1])
    axes = np.atleast_1d(axes)
    if len(axes) != 2:
        raise _bad("axes", "are 2 axes (held-out subjects, parameters)", f"{len(axes)} axes")
    _plot_subjects(axes[0], table, metric)
    _plot_parameters(axes[1], table)
    figure = axes[0].figure
    figure.tight_layout()
    if show:
        plt.show()
    return figure


def _plot_subjects(ax, table: xr.Dataset, metric: str) -> None:
    values = table[metric].values
    x = np.arange(table.sizes["subject"])
    jitter = np.linspace(-0.15, 0.15, table.sizes["realisation"])
    for k in x:
        ax.plot(k + jitter, values[k], "o", color="0.55", alpha=0.8, markersize=4)
    sd = values.std(axis=1, ddof=1) if values.shape[1] > 1 else np.zeros(len(x))
    ax.errorbar(x, values.mean(axis=1), yerr=sd, fmt="_", color="C3", markersize=16, capsize=5,
                label="mean ± SD")  # fmt: skip
    lines = {"fc_correlation": [("floor_sc", "--", "C0"), ("floor_log_sc", ":", "C0"),
                                ("ceiling", "-", "C2")],
             "fc_mean": [("empirical_fc_mean", "-", "C2")]}.get(metric, [])  # fmt: skip
    for variable, style, color in lines:
        ax.hlines(table[variable].values, x - 0.35, x + 0.35, linestyles=style, colors=color,
                  label=variable)  # fmt: skip
    labels = [f"{s}\n(fold {f})" for s, f in zip(table.subject.values,
                                                 table.test_fold.values, strict=True)]  # fmt: skip
    ax.set_xticks(x, labels, rotation=45, ha="right", fontsize="small")
    ax.set_xlim(-0.6, len(x) - 0.4)
    ax.set_title(f"held-out subjects: {metric}", fontsize="small")
    ax.legend(fontsize="x-small", loc="best")


def _plot_parameters(ax, table: xr.Dataset) -> None:
    low, high = table["low"].values, table["high"].values
    position = (table["best_parameters"].values - low) / (high - low)
    x = np.arange(table.sizes["parameter"])
    for fold, row in zip(table.fold.values, position, strict=True):
        ax.plot(x, row, "o-", alpha=0.8, label=f"fold {fold}")
    labels = [f"{p} ({u})\n[{lo:.3g}, {hi:.3g}]" for p, u, lo, hi in
              zip(table.parameter.values, table.units.values, low, high, strict=True)]  # fmt: skip
    ax.set_xticks(x, labels, rotation=45, ha="right", fontsize="small")
    ax.set_ylim(-0.05, 1.05)
    ax.set_xlim(-0.5, len(x) - 0.5)
    ax.set_ylabel("best value within bounds")
    ax.set_title("best parameters per fold", fontsize="small")
    ax.legend(fontsize="x-small", loc="best")
