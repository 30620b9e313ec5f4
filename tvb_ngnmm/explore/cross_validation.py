"""Cross-validation of a fit over a dataset's subjects: k folds, one cluster, one store.

:func:`cross_validate` runs, for each fold (a held-out split of the subjects,
:func:`~tvb_ngnmm.datasets.kfold` or given), a group fit of the fold's training subjects and
its validation on the subjects it held out:

1. the simulator on the training group's connectome (``dataset.subset(train).connectivity(None,
   conduction_speed)``, ``sim``'s speed; :func:`~.held_out.simulator_on`, the initial history
   drawn from ``history_seed``);
2. the objective retargeted to the training subjects (``objective.with_data(dataset, train)``);
3. :func:`~.fit.fit` with the settings given (the same for every fold);
4. :func:`~.held_out.validate_held_out` of that fit on the fold's split, with fresh noise.

Every fold's settings are checked (:func:`~.fit_problem.check_fit`, its data against the
objective, its store against its settings) before anything runs, and every fold runs on one
Dask cluster, started (or connected to) once. With a ``store`` folder::

    store/
        cross_validation.json          marks the folder, records the folds
        folds/fold_000/fit/            fold 0's fit store (fit.json, generation_00000.zarr, ...)
        folds/fold_000/validation.nc   its held-out validation, kept with the settings it ran
        cross_validation.nc            the combined table, written when every fold has finished

a run again with the same store and settings replays each fold's stored generations and reads
its stored validation: it computes only what is missing.
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import json
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import xarray as xr

from .._util import check_seed, write_atomically
from ..seeding import check_history_seed
from .cross_validation_table import _combine
from .fit import _check_fit_store, _fit_settings, _run_fit, _seeds, _start
from .fit_problem import NOISE_SEED, FitProblem, FitSettingError, _checked_objective, check_fit
from .held_out import _check_held_out, simulator_on, validate_held_out
from .objectives import _bad
from .store import SweepStore, digest, simulator_description
from .subjects import _check_fcd_windows, _setting_of
from .sweep import _connect, _disconnect

#: The file marking a folder as the store of :func:`cross_validate`.
MARKER = "cross_validation.json"
#: The combined table in the store.
RESULT = "cross_validation.nc"
_KIND = "tvb_ngnmm.explore.cross_validate"


@dataclass(frozen=True)
class _Fold:
    """One fold, checked: its split, its simulator, its fit problem."""

    index: int
    split: dict
    sim: object
    problem: FitProblem


def cross_validate(sim, objective, bounds: dict, dataset, folds=5, fold_seed: int = 0,
                   store=None, client=None, n_workers: int | None = None, method: str = "cma",
                   budget: int = 100, seed: int | None = 0,
                   simulation_length: float | None = None, options: dict | None = None,
                   units: dict | None = None, realisations: int = 1, history_seed: int = 0,
                   maps=None, validation_realisations: int = 5, validation_seed: int = 1,
                   progress: bool = True) -> xr.Dataset:  # fmt: skip
    """Fit each fold's training subjects and validate the fit on the subjects it held out.

    Parameters
    ----------
    sim : tvb.simulator.simulator.Simulator
        A configured simulator with a stochastic integrator: its parts (model, coupling,
        integrator, monitors) are every fold's; its connectivity gives the number of regions
        and the conduction speed (mm/ms), and is replaced by each fold's training group's.
    objective : AbstractObjective or dict
        The loss (:mod:`.objectives`), retargeted to each fold's training subjects.
    bounds : dict
        As for :func:`~.fit.fit`, the same for every fold.
    dataset : tvb_ngnmm.datasets.Dataset
        The subjects' connectomes and BOLD series, of ``sim``'s number of regions.
    folds : int or sequence of dict
        ``k``, the number of folds of :func:`~tvb_ngnmm.datasets.kfold` (2 to the number of
        subjects), or the splits themselves (each as :func:`~tvb_ngnmm.datasets.check_split`
        takes it), whose test groups share no subject (each subject held out at most once).
    fold_seed : int
        Seed (>= 0) of :func:`~tvb_ngnmm.datasets.kfold`'s shuffle (unused with splits).
    store : str or Path, optional
        The folder of the run (see the module's docstring); default a temporary one per fit.
    client, n_workers
        As for :func:`~tvb_ngnmm.explore.sweep`; the cluster is started (or connected to) once
        for every fold and closed at the end if started here.
    method, budget, seed, simulation_length, options, units, realisations
        As for :func:`~.fit.fit`, the same for every fold (``simulation_length`` in ms).
    history_seed : int
        Seed (>= 0) of every run's initial history (each fold's simulator is new: None is
        refused).
    maps : dict or callable, optional
        Regional heterogeneity, as for :func:`~.fit.fit`: ``{parameter: {map name: array}}``
        for every fold, or ``maps(dataset, train)`` returning it for a fold's training
        subjects (a tuple of names); the validation runs the fold's maps on every target.
    validation_realisations : int
        Fresh noise streams of each fold's validation (>= 2).
    validation_seed : int
        Seed (>= 0) of the validation's noise seeds (:func:`~.validation.validate_fit`).
    progress : bool
        Show each fold's bar of evaluations.

    Returns
    -------
    xarray.Dataset
        Dims ``subject`` (each held-out subject, in fold order; coordinate ``test_fold``, the
        fold holding it out), ``fold`` (coordinates ``train`` and ``test``, the fold's subjects
        joined by commas), ``group`` (``'train'``, ``'test'``), ``realisation`` (coordinate
        ``noise_seed``) and ``parameter`` (coordinates ``units``, ``low``, ``high``):

        - per held-out subject, its own connectome against its own data
          (:func:`~.held_out.validate_held_out`'s subject targets): ``loss``, each component of
          the objective and ``blown_up`` (``subject`` × ``realisation``); ``floor_sc``,
          ``floor_log_sc``, ``ceiling`` and ``empirical_fc_mean`` (``subject``);
        - per fold, the training group and the held-out group (a fold holding out one subject:
          that subject's values): the same names prefixed ``group_`` (``fold`` × ``group`` ×
          ``realisation``, the data's ``fold`` × ``group``);
        - per fold, its fit: ``best_parameters`` (``fold`` × ``parameter``), ``fit_loss`` and
          each component at the best evaluation (``fit_<component>``, with the fit's own noise),
          ``fit_evaluations``, and with maps ``regional_<parameter>`` (``fold`` × ``region``).

        :func:`cross_validation_summary` gives mean ± SD over folds and subjects,
        :func:`plot_cross_validation` the figure. Also written to ``store``
        (``cross_validation.nc``, :func:`load_cross_validation`).

    Raises
    ------
    ValueError
        Before anything runs: a bad ``folds`` (k out of range, a bad split, a subject held
        out twice, a fold leaving no training subject), ``fold_seed``, ``dataset``,
        ``validation_realisations`` or ``validation_seed``, a deterministic integrator, any
        setting :func:`~.fit.fit` refuses, a store of other settings; a fold's error names it
        (``"Fold 1 (test ['C']): ..."``; ``FitSettingError`` for the fit's settings).
    RuntimeError
        A fold's fit interrupted (run again with the same store) or without a defined loss.

    Warns
    -----
    UndefinedMeasureWarning
        Once per fold with evaluations that blew up or gave no loss, naming the fold.
    """
    _start(sim, client, n_workers, store)  # the fork server's imports overlap the checks
    check_seed(seed, allow_generator=False)
    check_history_seed(history_seed, allow_none=False)
    _check_validation_settings(sim, bounds, validation_realisations, validation_seed)
    splits = _checked_folds(sim, dataset, folds, fold_seed)
    with _setting_of("objective"):
        objective = _checked_objective(objective)
    if maps is not None and not isinstance(maps, dict) and not callable(maps):
        raise _bad("maps", "is None, a dict {parameter: {map name: array}} or a callable "
                   "maps(dataset, train) returning one", repr(maps))  # fmt: skip
    settings = (method, budget, simulation_length, options, units, realisations, history_seed)
    checked = []
    for index, split in enumerate(splits):
        with _for_fold(index, split):
            checked.append(_fold(index, split, sim, objective, bounds, dataset, maps, settings))
    validation = (int(validation_realisations), int(validation_seed))
    if store is not None:
        _check_store(Path(store), checked, seed, history_seed)
    tables, results = _run_folds(checked, dataset, store, client, n_workers, seed, history_seed,
                                 validation, progress)  # fmt: skip
    by_k = isinstance(folds, int | np.integer) and not isinstance(folds, bool)
    attrs = {"method": method, "fold_seed": int(fold_seed) if by_k else "none",
             "seed": "none" if seed is None else int(seed), "history_seed": int(history_seed),
             "validation_realisations": validation[0], "validation_seed": validation[1],
             "objective": repr(objective)}  # fmt: skip
    table = _combine(checked, results, tables, sim).assign_attrs(attrs)
    if store is not None:
        write_atomically(Path(store) / RESULT, lambda path: _write_table(table, path))
    return table


def _check_validation_settings(sim, bounds, realisations, seed) -> None:
    if (isinstance(realisations, bool) or not isinstance(realisations, int | np.integer)
            or realisations < 2):  # fmt: skip
        raise _bad("validation_realisations", "are integers >= 2 (a standard deviation needs "
                   "two)", repr(realisations))  # fmt: skip
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise _bad("validation_seed", "are integers >= 0", repr(seed))
    if getattr(sim.integrator, "noise", None) is None:
        raise _bad("sim", "is a simulator with a stochastic integrator (fresh noise to validate "
                   "with)", f"one with {type(sim.integrator).__name__}")  # fmt: skip
    if isinstance(bounds, dict) and NOISE_SEED in bounds:
        raise _bad("bounds", f"are bounds without {NOISE_SEED!r} (the validation draws fresh "
                   "noise seeds)", repr(list(bounds)))  # fmt: skip


def _checked_folds(sim, dataset, folds, fold_seed) -> list[dict]:
    """The folds' splits, each checked against ``sim`` and ``dataset``; test groups disjoint."""
    # deferred: the datasets import scipy.signal, which sweep workers need not load
    from ..datasets import Dataset, kfold  # noqa: PLC0415

    if not isinstance(dataset, Dataset):
        raise _bad("dataset", "is a tvb_ngnmm.datasets.Dataset (read_dataset, gw.dataset)",
                   repr(dataset))  # fmt: skip
    if isinstance(folds, int | np.integer) and not isinstance(folds, bool):
        try:
            folds = kfold(dataset, folds, fold_seed)
        except ValueError as err:
            message = str(err).replace("'k' parameter", "'folds' parameter")
            raise ValueError(message.replace("'seed' parameter", "'fold_seed' parameter")) from None
    elif isinstance(folds, str | dict) or not isinstance(folds, list | tuple) or not folds:
        raise _bad("folds", "are an int k (kfold) or a non-empty list of splits", repr(folds))
    splits, held = [], {}
    for index, split in enumerate(folds):
        with _for_fold(index, split):
            with _renamed("split", "folds"):
                split = _check_held_out(sim, dataset, split)
        for name in split["test"]:
            if name in held:
                raise _bad("folds", "are splits whose test groups share no subject (each held "
                           "out at most once)", f"{name!r} held out in folds {held[name]} and "
                           f"{index}")  # fmt: skip
            held[name] = index
        splits.append(split)
    return splits


def _fold(index, split, sim, objective, bounds, dataset, maps, settings) -> _Fold:
    """A fold checked: its simulator, its objective (and its test targets' data), its fit."""
    method, budget, simulation_length, options, units, realisations, history_seed = settings
    speed = np.unique(np.asarray(sim.connectivity.speed, dtype=float))
    if speed.size != 1:
        raise _bad("sim", "is a simulator whose connectivity has one conduction speed",
                   f"{speed.size} speeds")  # fmt: skip
    train = split["train"]
    connectivity = dataset.subset(train).connectivity(None, conduction_speed=float(speed[0]))
    fold_sim = simulator_on(sim, connectivity, history_seed)
    with _setting_of("objective"):
        for name in (*train, *split["test"]):
            _check_fcd_windows(objective, dataset, name)
        for name in split["test"]:  # each held-out target's data, checked now
            objective.with_data(dataset, [name])
        retargeted = objective.with_data(dataset, train)
    if callable(maps):
        with _setting_of("maps"):
            maps = maps(dataset, tuple(train))
    problem = check_fit(fold_sim, retargeted, bounds, method, budget, simulation_length,
                        options, units, realisations, maps=maps)  # fmt: skip
    return _Fold(index, split, fold_sim, problem)


@contextlib.contextmanager
def _for_fold(index: int, split):
    """Name the fold in the errors of the block."""
    test = list(split["test"]) if isinstance(split, dict) and "test" in split else split
    label = f"Fold {index} (test {test!r})"
    try:
        yield
    except FitSettingError as err:
        raise FitSettingError(err.parameter, f"{label}: {err}") from err
    except (ValueError, RuntimeError) as err:
        if type(err) not in (ValueError, RuntimeError):
            err.add_note(f"({label})")
            raise
        raise type(err)(f"{label}: {err}") from err


@contextlib.contextmanager
def _renamed(parameter: str, name: str):
    try:
        yield
    except ValueError as err:
        if type(err) is not ValueError:
            raise
        message = str(err).replace(f"{parameter!r} parameter", f"{name!r} parameter")
        raise ValueError(message) from None


def _fold_folder(store: Path, index: int) -> Path:
    return store / "folds" / f"fold_{index:03d}"


def _check_store(store: Path, folds: list, seed, history_seed) -> None:
    """Refuse, before anything runs, a store that is not cross_validate's or was written with
    other folds or settings; mark a new store."""
    marker = store / MARKER
    record = json.dumps(
        {
            "kind": _KIND,
            "version": 1,
            "folds": [{k: list(v) for k, v in f.split.items()} for f in folds],
        }
    )
    if store.exists() and not store.is_dir():
        raise _bad("store", "is a folder: new, empty or the store of cross_validate",
                   f"{str(store)!r}, which is a file")  # fmt: skip
    if store.exists() and any(store.iterdir()) and not marker.is_file():
        raise _bad("store", "is a new or empty folder, or the store of cross_validate",
                   f"{str(store)!r}, a folder holding other files")  # fmt: skip
    if marker.is_file() and marker.read_text() != record:
        raise _bad("store", "is the store of cross_validate with the same folds (to resume "
                   "it)", f"{str(store)!r}, written with other folds")  # fmt: skip
    for fold in folds:
        settings = _fit_settings(fold.problem, seed, history_seed,
                                 _seeds(fold.sim, seed, history_seed))  # fmt: skip
        with _for_fold(fold.index, fold.split):
            folder = _fold_folder(store, fold.index) / "fit"
            _check_fit_store(folder, settings)
            first = folder / "generation_00000.zarr"
            if first.exists():  # the group's connectome, which fit.json does not record
                SweepStore(first)._check({"simulator": digest(simulator_description(fold.sim))})
    if not marker.is_file():
        store.mkdir(parents=True, exist_ok=True)
        write_atomically(marker, lambda temporary: temporary.write_text(record))


def _run_folds(folds, dataset, store, client, n_workers, seed, history_seed, validation,
               progress) -> tuple[list, list]:  # fmt: skip
    """Each fold's fit and validation on one cluster: (validation tables, fit results)."""
    tables, results = [], []
    client, cluster, own_client = _connect(client, n_workers)
    try:
        for fold in folds:
            folder = None if store is None else _fold_folder(Path(store), fold.index)
            caught: list = []
            try:
                with warnings.catch_warnings(record=True) as caught, \
                        _for_fold(fold.index, fold.split):  # fmt: skip
                    warnings.simplefilter("always")
                    result = _run_fit(fold.sim, fold.problem, seed, client, None,
                                      None if folder is None else folder / "fit", progress,
                                      history_seed)  # fmt: skip
                    tables.append(_validation(result, fold, dataset, folder, validation, client))
                    results.append(result)
            finally:
                for record in caught:  # each naming its fold, pointing at the caller
                    named = copy.copy(record.message)
                    named.args = (f"Fold {fold.index}: {record.message}", *named.args[1:])
                    warnings.warn(named, stacklevel=3)
    finally:
        _disconnect(client, cluster, own_client)
    return tables, results


def _validation(result, fold: _Fold, dataset, folder, validation, client) -> xr.Dataset:
    """The fold's held-out validation, read from its store when it ran with these settings."""
    realisations, seed = validation
    key = _validation_key(result, fold, dataset, validation)
    path = None if folder is None else folder / "validation.nc"
    if path is not None and path.is_file():
        with xr.open_dataset(path, engine="h5netcdf") as stored:
            if stored.attrs.get("settings_sha256") == key:
                table = stored.load()
                attrs = json.loads(table.attrs.pop("attributes"))
                del table.attrs["settings_sha256"]
                return _strings(table).assign_attrs(attrs)
    table = validate_held_out(result, fold.sim, dataset, fold.split, None, realisations, seed,
                              client=client)  # fmt: skip
    if path is not None:
        stored = table.copy()
        stored.attrs = {"settings_sha256": key,
                        "attributes": json.dumps(table.attrs, default=str)}  # fmt: skip
        write_atomically(path, lambda temporary: stored.to_netcdf(temporary, engine="h5netcdf"))
    return table


def _validation_key(result, fold: _Fold, dataset, validation) -> str:
    """SHA-256 of what a fold's validation depends on: the fit's best parameters and history
    attributes, the objective, the simulator, the split and its subjects' data."""
    data = hashlib.sha256()
    for name in (*fold.split["train"], *fold.split["test"]):
        for part in (dataset.weights, dataset.lengths, dataset.bold):
            data.update(np.ascontiguousarray(part[name], dtype=float).tobytes())
    return digest({"parameters": result.best_parameters, "validation": list(validation),
                   "history": {k: str(v) for k, v in result.history.attrs.items()},
                   "objective": repr(result.objective), "maps": repr(result.maps),
                   "simulator": digest(simulator_description(fold.sim)),
                   "split": {k: list(v) for k, v in fold.split.items()},
                   "data": data.hexdigest()})  # fmt: skip


def _strings(table: xr.Dataset) -> xr.Dataset:
    """String coordinates as ``str`` (netCDF reads them back as objects)."""
    for name in ("target", "kind", "subjects"):
        table[name] = table[name].astype(str)
    return table


def _write_table(table: xr.Dataset, path: Path) -> None:
    table.to_netcdf(path, engine="h5netcdf")


def load_cross_validation(store) -> xr.Dataset:
    """The combined table of a finished :func:`cross_validate` run, read from its store.

    Parameters
    ----------
    store : str or os.PathLike
        The folder of the :func:`cross_validate` run.

    Raises
    ------
    ValueError
        Naming ``store``: a folder without a finished run's ``cross_validation.nc``.
    """
    path = Path(store) / RESULT
    if not path.is_file():
        raise _bad("store", f"is the folder of a finished cross_validate run (holding {RESULT})",
                   f"{str(store)!r}, which has none")  # fmt: skip
    with xr.open_dataset(path, engine="h5netcdf") as stored:
        table = stored.load()
    for name in ("subject", "train", "test", "group", "parameter", "units"):
        table[name] = table[name].astype(str)
    return table
