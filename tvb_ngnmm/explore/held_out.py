"""Validation of a fit on held-out subjects, beside the data's floor and ceiling.

:func:`validate_held_out` runs a fit's best parameters with ``k`` fresh noise streams (the seeds
of :func:`~.validation.validate_fit`, never the fit's) on several *targets*, each a simulator
and the empirical data it is scored against:

- ``'train'``: the fitted simulator as given, scored against the training group's data (fresh
  noise on the data the fit saw);
- each test subject: the simulator on that subject's own connectome
  (:meth:`Dataset.connectivity(subject) <tvb_ngnmm.datasets.Dataset.connectivity>`), scored
  against that subject's data (``objective.with_data(dataset, [subject])``);
- ``'test'`` (with two or more test subjects): the simulator on the test group's connectome
  (the weighting applied to the group's mean structure), scored against the test group's data.

Every target runs the same parameters (the noise seed excepted), and with ``maps`` the same
coefficients on the same maps (a parcellation's regional maps hold for every subject in it),
so each target's per-region values are the fit's ``best_regional``.

Beside each metric stand what the data give without a model (:func:`floor_and_ceiling`): the
structural floor, Pearson r of the target's FC with the mean raw structure of its subjects
(``floor_sc``) and with its logarithm over the connected pairs (``floor_log_sc``,
:func:`~tvb_ngnmm.datasets.baselines.structure_fc_correlation`); and the ceiling, how well
other subjects' FC predicts the target's: for a test target, r between the training group's FC
and the target's; for ``'train'``, the training subjects' mean leave-one-out inter-subject
similarity (:func:`~tvb_ngnmm.datasets.baselines.inter_subject_similarity`; NaN with one
training subject). Every r is over the upper triangle (``i < j``).
"""

from __future__ import annotations

import copy
import warnings

import numpy as np
import xarray as xr

from .._util import pyplot
from ..seeding import PARTS, configure_seeded, fix_noise_shape
from .objectives import _bad
from .sweep import _check_not_bootstrapping, _connect, _disconnect, start_fork_server
from .validation import _check_validation, fit_noise_seeds, fresh_noise_seeds, run_realisations

TRAIN, TEST = "train", "test"
#: The table's variables that are not metrics of the runs.
DATA_VARIABLES = ("floor_sc", "floor_log_sc", "ceiling", "empirical_fc_mean")


def _upper(matrix: np.ndarray) -> np.ndarray:
    return matrix[np.triu_indices(len(matrix), 1)]


def validation_targets(split: dict) -> dict[str, tuple[str, ...]]:
    """``{target: subjects}`` of a checked split: ``'train'``, each test subject, and
    ``'test'`` when it holds two or more subjects (one subject's group is that subject)."""
    targets = {TRAIN: tuple(split["train"])}
    targets.update({name: (name,) for name in split["test"]})
    if len(split["test"]) > 1:
        targets[TEST] = tuple(split["test"])
    return targets


def floor_and_ceiling(dataset, split) -> xr.Dataset:
    """The structural floor and the ceiling of FC correlation for each validation target.

    Parameters
    ----------
    dataset : tvb_ngnmm.datasets.Dataset
        The empirical data.
    split : dict or sequence of str
        A held-out split (:func:`~tvb_ngnmm.datasets.check_split`).

    Returns
    -------
    xarray.Dataset
        Dim ``target`` (:func:`validation_targets`; coordinates ``kind``: ``'train'``,
        ``'subject'`` or ``'group'``, and ``subjects``, the names joined by commas). Pearson r
        (dimensionless): ``floor_sc`` and ``floor_log_sc``, the target's FC
        (:meth:`~tvb_ngnmm.datasets.Dataset.group_fc` of its subjects) against their mean
        :attr:`~tvb_ngnmm.datasets.Dataset.structure` and its logarithm (connected pairs);
        ``ceiling`` (see the module's docstring); and ``empirical_fc_mean``, the mean of the
        target's FC over its upper triangle.
    """
    # deferred: the datasets import scipy.signal, which sweep workers need not load
    from ..datasets.baselines import (  # noqa: PLC0415
        inter_subject_similarity,
        structure_fc_correlation,
    )

    # deferred: as above
    from ..datasets.splits import check_split  # noqa: PLC0415

    split = check_split(dataset, split)
    targets = validation_targets(split)
    train_fc = dataset.subset(split["train"]).group_fc()
    rows = {name: [] for name in DATA_VARIABLES}
    for label, subjects in targets.items():
        fc = dataset.subset(subjects).group_fc()
        weights = np.mean([dataset.structure[name] for name in subjects], axis=0)
        rows["floor_sc"].append(structure_fc_correlation(weights, fc, "none"))
        rows["floor_log_sc"].append(structure_fc_correlation(weights, fc, "log"))
        if label != TRAIN:
            ceiling = float(np.corrcoef(_upper(train_fc), _upper(fc))[0, 1])
        elif len(subjects) > 1:
            fcs = [dataset.fc(name) for name in subjects]
            ceiling = float(inter_subject_similarity(fcs, subjects).mean())
        else:
            ceiling = np.nan
        rows["ceiling"].append(ceiling)
        rows["empirical_fc_mean"].append(float(_upper(fc).mean()))
    long_names = {
        "floor_sc": "r(SC, FC): mean structure of the target's subjects",
        "floor_log_sc": "r(log SC, FC), connected pairs",
        "ceiling": "test targets: r(training group FC, FC); train: mean leave-one-out "
        "inter-subject r",
        "empirical_fc_mean": "mean of the target's FC (upper triangle)",
    }
    data = {name: ("target", values, {"units": "1", "long_name": long_names[name]})
            for name, values in rows.items()}  # fmt: skip
    kinds = [TRAIN if label == TRAIN else "group" if label == TEST else "subject"
             for label in targets]  # fmt: skip
    coords = {"target": list(targets), "kind": ("target", kinds),
              "subjects": ("target", [",".join(s) for s in targets.values()])}  # fmt: skip
    return xr.Dataset(data, coords=coords)


def simulator_on(sim, connectivity, history_seed: int):
    """A copy of ``sim`` on another connectome, configured with a seeded initial history.

    Parameters
    ----------
    sim : tvb.simulator.simulator.Simulator
        The simulator whose parts (model, coupling, integrator, monitors, ...) are copied.
    connectivity : tvb.datatypes.connectivity.Connectivity
        The connectome, with as many regions as ``sim``'s.
    history_seed : int
        As for :func:`~tvb_ngnmm.seeding.configure_seeded` (the new connectome's delays give
        another history length, so ``sim``'s own history cannot serve).

    Returns
    -------
    tvb.simulator.simulator.Simulator
        Configured; ``sim`` is not changed.
    """
    # deferred: TVB's simulator imports all of TVB's model families (1.3 s)
    from tvb.simulator.simulator import Simulator  # noqa: PLC0415

    n_region = int(sim.connectivity.number_of_regions)
    if int(connectivity.number_of_regions) != n_region:
        raise _bad("connectivity", f"is a connectome of the simulator's {n_region} regions",
                   f"{int(connectivity.number_of_regions)} regions")  # fmt: skip
    parts = {name: copy.deepcopy(getattr(sim, name)) for name in PARTS if name != "connectivity"}
    fix_noise_shape(parts.get("integrator"))
    parts["connectivity"] = connectivity
    new = Simulator(**{k: v for k, v in parts.items() if v is not None})
    return configure_seeded(new, history_seed)


def _check_held_out(sim, dataset, split) -> dict:
    """The checked split, after checking the dataset against ``sim``."""
    if not hasattr(dataset, "subset") or not hasattr(dataset, "structure"):
        raise _bad("dataset", "is a tvb_ngnmm.datasets.Dataset", repr(type(dataset).__name__))
    n_region = int(sim.connectivity.number_of_regions)
    if dataset.n_regions != n_region:
        raise _bad("dataset", f"is a dataset of the simulator's {n_region} regions",
                   f"{dataset.n_regions} regions")  # fmt: skip
    # deferred: the datasets import scipy.signal, which sweep workers need not load
    from ..datasets.splits import check_split  # noqa: PLC0415

    split = check_split(dataset, split)
    clash = [name for name in split["test"] if name in (TRAIN, TEST)]
    if clash:
        raise _bad("split", f"test subjects named other than {TRAIN!r} and {TEST!r} (the "
                   "labels of the group targets)", repr(clash))  # fmt: skip
    return split


def _warn_if_fitted_elsewhere(objective, dataset, train: tuple) -> None:
    """Warn when the objective's target FC is not the training group's (a split whose
    training group is not the one fitted, e.g. the test names alone for a fit on a subset)."""
    targets = [getattr(term, "target_fc", None) for term, _ in objective.terms()]
    targets = [t for t in targets if t is not None and np.shape(t) == (dataset.n_regions,) * 2]
    if targets and not any(np.allclose(t, dataset.subset(train).group_fc()) for t in targets):
        warnings.warn(
            f"validate_held_out: the objective's target FC is not the group FC of the training "
            f"subjects {list(train)}, against which the 'train' target is scored: was the fit "
            "made on another group? Give the split as {'train': [...], 'test': [...]}.",
            UserWarning,
            stacklevel=3,
        )


def validate_held_out(
    result,
    sim,
    dataset,
    split,
    objective=None,
    realisations: int = 5,
    seed: int = 1,
    simulation_length: float | None = None,
    client=None,
    n_workers: int | None = None,
    progress: bool = False,
) -> xr.Dataset:
    """A fit's best parameters with fresh noise on its training data and held-out subjects.

    Parameters
    ----------
    result : FitResult
        The fit (:func:`~.fit.fit`), made on the training group of ``split``.
    sim : tvb.simulator.simulator.Simulator
        The simulator that was fitted (stochastic integrator): the ``'train'`` target runs it
        as it is; each test target a copy on its own connectome (:func:`simulator_on`, with
        the speed of ``sim``'s connectivity unless the fit set ``'conduction_speed'``).
    dataset : tvb_ngnmm.datasets.Dataset
        The empirical data, of ``sim``'s number of regions.
    split : dict or sequence of str
        ``{'train': [...], 'test': [...]}`` or the test subjects' names
        (:func:`~tvb_ngnmm.datasets.check_split`).
    objective : AbstractObjective, optional
        Default the fit's own; each target scores ``objective.with_data(dataset, subjects)``.
    realisations, seed, simulation_length, client, n_workers, progress
        As for :func:`~.validation.validate_fit` (the same noise seeds for every target).
        One cluster serves every target's sweep.

    Returns
    -------
    xarray.Dataset
        Dims ``target`` × ``realisation`` (coordinates ``kind``, ``subjects`` and
        ``noise_seed``): ``loss``, each component of the objective and ``blown_up``; and per
        target :func:`floor_and_ceiling`'s ``floor_sc``, ``floor_log_sc``, ``ceiling`` and
        ``empirical_fc_mean``. ``attrs``: ``parameters``, ``seed``, ``train``, ``test``,
        ``fit_noise_seeds``, ``fit_best_loss``, ``objective``, ``history_seed``.
        :func:`~.validation.validation_summary` gives mean ± SD per target,
        :func:`~.validation.plot_validation` the figure.

    Raises
    ------
    ValueError
        Those of :func:`~.validation.validate_fit`; a ``dataset`` that is not a Dataset or of
        another number of regions; a bad ``split`` (:func:`~tvb_ngnmm.datasets.check_split`),
        or a test subject named ``'train'`` or ``'test'``. Each names the parameter.

    Warns
    -----
    UserWarning
        When no term of the objective targets the training group's FC (the split's training
        group is then not what was fitted, or the objective is another group's).
    """
    objective = _check_validation(result, sim, objective, realisations, seed)
    split = _check_held_out(sim, dataset, split)
    _warn_if_fitted_elsewhere(objective, dataset, split["train"])
    history = result.history
    used = fit_noise_seeds(history)
    seeds = fresh_noise_seeds(int(realisations), int(seed), used)
    history_seed = history.attrs.get("history_seed", 0)
    history_seed = None if history_seed == "none" else int(history_seed)
    if simulation_length is None:
        simulation_length = history.attrs.get("simulation_length")
    units = {name: history[name].attrs.get("units", "1") for name in result.best_parameters
             if name in history}  # fmt: skip
    speed = float(np.ravel(sim.connectivity.speed)[0])
    baselines = floor_and_ceiling(dataset, split)
    if client is None:
        _check_not_bootstrapping()
        start_fork_server(sim, n_workers)
    client, cluster, own_client = _connect(client, n_workers)
    rows = []
    try:
        for label, subjects in validation_targets(split).items():
            if label == TRAIN:
                target_sim, start = sim, history_seed
            else:
                group = dataset.subset(subjects)
                conn = group.connectivity(None, conduction_speed=speed)
                start = 0 if history_seed is None else history_seed
                target_sim = simulator_on(sim, conn, start)
            rows.append(run_realisations(
                target_sim, result.best_parameters, objective.with_data(dataset, subjects),
                seeds, simulation_length, start, units, client, progress=progress,
                maps=getattr(result, "maps", None) or None))  # fmt: skip
    finally:
        _disconnect(client, cluster, own_client)
    return _stack(rows, baselines).assign_attrs(
        parameters=repr(result.best_parameters), seed=int(seed), train=list(split["train"]),
        test=list(split["test"]), fit_noise_seeds=used, fit_best_loss=result.best_loss,
        objective=repr(objective), history_seed="none" if history_seed is None else history_seed,
    )  # fmt: skip


def _stack(rows: list, baselines: xr.Dataset) -> xr.Dataset:
    """The targets' realisations as one Dataset (target × realisation), with the baselines."""
    names = list(dict.fromkeys(str(n) for row in rows for n in row.data_vars))
    data = {}
    k = rows[0].sizes["realisation"]
    for name in names:
        fill = False if name == "blown_up" else np.nan
        values = [row[name].values if name in row.data_vars else np.full(k, fill) for row in rows]
        data[name] = (("target", "realisation"), np.array(values))
    coords = {"realisation": rows[0].realisation.values,
              "noise_seed": ("realisation", rows[0].noise_seed.values)}  # fmt: skip
    table = xr.Dataset(data, coords=coords)
    return table.assign_coords(baselines.coords).assign(baselines.data_vars)


def _metrics(table: xr.Dataset) -> list[str]:
    """The table's metrics, ``loss`` first (then the objective's components)."""
    names = [str(n) for n in table.data_vars if n != "blown_up" and n not in DATA_VARIABLES]
    return sorted(names, key=lambda name: name != "loss")


def held_out_summary(table: xr.Dataset) -> xr.Dataset:
    """Each metric's mean and SD (``ddof=1``) per target, beside the floor and ceiling.

    Parameters
    ----------
    table : xarray.Dataset
        As :func:`validate_held_out` returns it.

    Returns
    -------
    xarray.Dataset
        Dims ``target`` × ``statistic`` (``'mean'``, ``'sd'``) for each metric (NaN where a
        realisation's value is); ``floor_sc``, ``floor_log_sc``, ``ceiling`` and
        ``empirical_fc_mean`` per target.
    """
    metrics = _metrics(table)
    data = {}
    for name in metrics:
        values = table[name].values
        statistics = np.column_stack([values.mean(axis=1), values.std(axis=1, ddof=1)])
        data[name] = (("target", "statistic"), statistics)
    coords = {"target": table.target.values, "statistic": ["mean", "sd"]}
    summary = xr.Dataset(data, coords=coords)
    baselines = {name: table[name] for name in DATA_VARIABLES}
    return summary.assign_coords(kind=table.kind, subjects=table.subjects).assign(baselines)


def plot_held_out(table: xr.Dataset, axes=None, show: bool = True):
    """Each metric per target: a point per realisation, mean ± SD, and the data's lines.

    ``fc_correlation`` gets each target's floors (``floor_sc`` dashed, ``floor_log_sc``
    dotted) and ceiling (solid) as short lines across its column; ``fc_mean`` the target's
    empirical mean FC (solid).

    Parameters
    ----------
    table : xarray.Dataset
        As :func:`validate_held_out` returns it.
    axes : sequence of matplotlib Axes, optional
        One per metric; default a new figure.
    show : bool
        Call ``plt.show()``.

    Returns
    -------
    matplotlib.figure.Figure
    """
    plt = pyplot("plot_validation")
    metrics = _metrics(table)
    targets = [str(t) for t in table.target.values]
    if axes is None:
        width = 1.5 + (0.9 + 0.45 * len(targets)) * len(metrics)
        _, axes = plt.subplots(1, len(metrics), figsize=(width, 3.6))
    axes = np.atleast_1d(axes)
    if len(axes) != len(metrics):
        raise _bad("axes", f"are {len(metrics)} axes (one per measure)", f"{len(axes)} axes")
    x = np.arange(len(targets))
    jitter = np.linspace(-0.15, 0.15, table.sizes["realisation"])
    summary = held_out_summary(table)
    for ax, name in zip(axes, metrics, strict=True):
        values = table[name].values
        for k in x:
            ax.plot(k + jitter, values[k], "o", color="0.55", alpha=0.8, markersize=4)
        ax.errorbar(x, summary[name].sel(statistic="mean").values,
                    yerr=summary[name].sel(statistic="sd").values, fmt="_", color="C3",
                    markersize=16, capsize=5, label="mean ± SD")  # fmt: skip
        lines = {"fc_correlation": [("floor_sc", "--", "C0"), ("floor_log_sc", ":", "C0"),
                                    ("ceiling", "-", "C2")],
                 "fc_mean": [("empirical_fc_mean", "-", "C2")]}.get(name, [])  # fmt: skip
        for variable, style, color in lines:
            ax.hlines(table[variable].values, x - 0.35, x + 0.35, linestyles=style,
                      colors=color, label=variable)  # fmt: skip
        ax.set_xticks(x, targets, rotation=45, ha="right", fontsize="small")
        ax.set_xlim(-0.6, len(targets) - 0.4)
        ax.set_title(name, fontsize="small")
        if lines:
            ax.legend(fontsize="x-small", loc="best")
    figure = axes[0].figure
    figure.tight_layout()
    if show:
        plt.show()
    return figure
