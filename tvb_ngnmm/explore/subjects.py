"""Fitting every subject of a dataset: one call, one cluster, one resumable store.

:func:`fit_subjects` fits a simulator to each subject of a :class:`~tvb_ngnmm.datasets.Dataset`
in turn. Subject ``s`` runs the simulator's parts with its own connectome
(``dataset.connectivity(s, conduction_speed)``, the simulator's speed) against its own data
(``objective.with_data(dataset, [s])``: its FC, its FCD), each a :func:`~.fit.fit` with the
same settings and seeds, on one Dask cluster started (or connected to) once. The settings of
every subject are checked (:func:`~.fit_problem.check_fit`, the subject's data against the
objective, its store against its settings) before anything runs.

The store is one folder::

    store/
        fit_subjects.json          marks the folder as fit_subjects' own
        subjects/<subject>/        each subject's fit store: fit.json, generation_00000.zarr, ...
        subject_fits.nc            the combined result (netCDF, groups 'history' and 'best'),
                                   written atomically when every subject has finished

A subject's folder is a :func:`~.fit.fit` store: every finished generation is kept, and a call
again with the same store and settings replays the stored generations of every subject and
computes only what is missing (a killed run loses at most the generation in flight).
:func:`load_subject_fits` reads the combined result back without running anything.
"""

from __future__ import annotations

import contextlib
import copy
import json
import tempfile
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import numpy as np
import xarray as xr
from tqdm.auto import tqdm

from .._util import check_seed, write_atomically
from ..seeding import PARTS, check_history_seed, configure_seeded, fix_noise_shape
from .fit import (
    FitResult,
    _check_fit_store,
    _fit_settings,
    _run_fit,
    _seeds,
    _start,
)
from .fit_problem import FitSettingError, _checked_objective, check_fit
from .objectives import FCDDistance, _bad
from .store import SweepStore, digest, simulator_description
from .sweep import _connect, _disconnect

#: The file marking a folder as the store of :func:`fit_subjects`.
MARKER = "fit_subjects.json"
#: The combined result in the store.
RESULT = "subject_fits.nc"
_MARK = {"kind": "tvb_ngnmm.explore.fit_subjects", "version": 1}


@dataclass
class SubjectFits:
    """The fits of :func:`fit_subjects`, one per subject, labelled.

    Parameters
    ----------
    history : xarray.Dataset
        Dims ``(subject, evaluation)``: each subject's :attr:`FitResult.history
        <tvb_ngnmm.explore.FitResult>` (the parameters and ``generation`` as coordinates,
        ``loss``, ``best_so_far``, the components, the blow-up record), padded where a subject
        has fewer evaluations (NaN; ``generation`` -1, ``blown_up`` False,
        ``blow_up_region`` ''); ``n_evaluations`` (dim ``subject``) counts each subject's.
        The attributes common to all subjects are attributes; the others (``objective``, the
        target differing, and ``initial_state_sha256``) variables of dim ``subject``.
    best : xarray.Dataset
        Dim ``subject``: each subject's best ``loss``, parameters (units in their attributes)
        and components; ``regional_<parameter>`` (dims ``subject``, ``region``) the
        per-region values of each heterogeneous parameter at the best evaluation.
    method : str
        The optimiser.
    objectives : dict
        ``{subject: objective}`` retargeted to each subject (empty when loaded from a store).
    """

    history: xr.Dataset = field(repr=False)
    best: xr.Dataset
    method: str = "cma"
    objectives: dict = field(default_factory=dict, repr=False)

    @property
    def subjects(self) -> tuple:
        """The subjects' names, in the order fitted."""
        return tuple(str(s) for s in self.history["subject"].values)

    def result(self, subject: str) -> FitResult:
        """One subject's fit as a :class:`~tvb_ngnmm.explore.FitResult` (to plot or validate).

        Parameters
        ----------
        subject : str
            One of :attr:`subjects`.

        Raises
        ------
        ValueError
            Naming ``subject`` if it is not one of :attr:`subjects`.
        """
        if subject not in self.subjects:
            raise _bad("subject", f"are the subjects fitted {list(self.subjects)}", repr(subject))
        h = self.history.sel(subject=subject)
        h = h.isel(evaluation=slice(0, int(h["n_evaluations"])))
        per_subject = json.loads(self.history.attrs.get("subject_attributes", "[]"))
        attrs = {k: v for k, v in h.attrs.items() if k not in ("subject_attributes", "method")}
        attrs.update({name: h[name].values.item() for name in per_subject})
        h = h.drop_vars(["subject", "n_evaluations", *per_subject])
        h.attrs = attrs
        h["blow_up_region"] = h["blow_up_region"].astype(str)
        b = self.best.sel(subject=subject)
        prefix = "regional_"
        regional = {str(k)[len(prefix) :]: b[k].values for k in b.data_vars
                    if str(k).startswith(prefix)}  # fmt: skip
        names = [str(n) for n in self.history.coords if str(n) not in ("subject", "generation")]
        components = [str(k) for k in b.data_vars if str(k) not in (*names, "loss")
                      and not str(k).startswith(prefix)]  # fmt: skip
        return FitResult(
            best_parameters={name: float(b[name]) for name in names},
            best_loss=float(b["loss"]),
            best_components={name: float(b[name]) for name in components},
            history=h,
            method=self.method,
            objective=self.objectives.get(subject),
            best_regional=regional,
        )


def fit_subjects(sim, objective, bounds: dict, dataset, subjects=None, store=None, client=None,
                 n_workers: int | None = None, method: str = "cma", budget: int = 100,
                 seed: int | None = 0, simulation_length: float | None = None,
                 options: dict | None = None, units: dict | None = None, realisations: int = 1,
                 history_seed: int = 0, maps=None,
                 progress: bool = True) -> SubjectFits:  # fmt: skip
    """Fit ``sim`` to each subject of a dataset, one after another on one cluster.

    Parameters
    ----------
    sim : tvb.simulator.simulator.Simulator
        A configured simulator: its parts (model, coupling, integrator, monitors, ...) are
        every subject's; its connectivity gives the number of regions and the conduction speed
        (mm/ms), and is replaced by each subject's (:meth:`Dataset.connectivity
        <tvb_ngnmm.datasets.Dataset.connectivity>`).
    objective : AbstractObjective or dict
        The loss (:mod:`.objectives`), retargeted to each subject by
        ``objective.with_data(dataset, [subject])``.
    bounds : dict
        As for :func:`~.fit.fit`, the same for every subject.
    dataset : tvb_ngnmm.datasets.Dataset
        The subjects' connectomes and BOLD series (e.g. :func:`tvb_ngnmm.datasets.gw.dataset`,
        :func:`tvb_ngnmm.datasets.read_dataset`).
    subjects : sequence of str, optional
        The subjects to fit, in this order (at least one, each once); default all.
    store : str or Path, optional
        The folder of the run (see the module's docstring): a run again with the same folder and
        settings replays what is stored and computes only what is missing; a call with other
        subjects adds theirs (``subject_fits.nc`` holds the subjects of the last finished call).
        Default: a temporary folder, deleted at the end.
    client, n_workers
        As for :func:`~tvb_ngnmm.explore.sweep`; the cluster is started (or connected to) once
        for all subjects and closed at the end if started here.
    method, budget, seed, simulation_length, options, units, realisations
        As for :func:`~.fit.fit`, the same for every subject.
    history_seed : int
        Seed (>= 0) of every run's initial history, as for :func:`~.fit.fit`. Each subject's
        simulator is new, so there is no history of its own to start from (None is refused).
    maps : dict or callable, optional
        Regional heterogeneity, as for :func:`~.fit.fit`: ``{parameter: {map name: array}}``,
        the same maps for every subject, or a callable ``maps(dataset, subject)`` returning
        that dict for one subject (a map of its own data, e.g. its regions' structural
        strength ``dataset.weights[subject].sum(axis=1)``).
    progress : bool
        Show a bar over the subjects and each subject's bar of evaluations.

    Returns
    -------
    SubjectFits
        Also written to ``store`` (``subject_fits.nc``; :func:`load_subject_fits`).

    Raises
    ------
    ValueError
        Before anything runs: an empty or unknown subject list, a subject whose connectome has
        another number of regions than ``sim``, a subject whose data do not fit the objective
        (e.g. a BOLD series shorter than an FCD window), any setting :func:`~.fit.fit`
        refuses, a store of other settings; each names the parameter and, where it applies,
        the subject (``FitSettingError`` for the fit's settings, as :func:`~.fit.fit`).
    RuntimeError
        A subject's fit interrupted (run again with the same store to resume) or without any
        defined loss, naming the subject.

    Warns
    -----
    UndefinedMeasureWarning
        Once per subject with evaluations that blew up or gave no loss, naming the subject
        (each subject's warnings are issued again so, pointing at the caller).
    """
    _start(sim, client, n_workers, store)  # the fork server's imports overlap the checks
    check_seed(seed, allow_generator=False)
    check_history_seed(history_seed, allow_none=False)
    names = _checked_subjects(dataset, subjects)
    with _setting_of("objective"):
        objective = _checked_objective(objective)
    if maps is not None and not isinstance(maps, dict) and not callable(maps):
        raise _bad("maps", "is None, a dict {parameter: {map name: array}} or a callable "
                   "maps(dataset, subject) returning one", repr(maps))  # fmt: skip
    problems = {}
    for name in names:
        with _for_subject(name):
            problems[name] = _subject_problem(sim, objective, bounds, dataset, name, method,
                                              budget, simulation_length, options, units,
                                              realisations, history_seed, maps)  # fmt: skip
    if store is not None:
        _check_stores(Path(store), problems, seed, history_seed)
    return _run_subjects(problems, store, client, n_workers, seed, history_seed, progress)


def subject_simulator(sim, dataset, subject: str, history_seed: int = 0):
    """A new simulator of ``sim``'s parts with one subject's connectome, configured.

    The connectivity is ``dataset.connectivity(subject, conduction_speed)`` with ``sim``'s
    conduction speed (mm/ms); the initial history is drawn from ``history_seed``
    (:func:`~tvb_ngnmm.seeding.configure_seeded`). ``sim`` itself is not changed.

    Parameters
    ----------
    sim : tvb.simulator.simulator.Simulator
        The simulator whose model, coupling, integrator and monitors are copied.
    dataset : tvb_ngnmm.datasets.Dataset
        The empirical data.
    subject : str
        One of the dataset's subjects.
    history_seed : int
        Seed of the initial history.

    Raises
    ------
    ValueError
        Naming ``dataset``: a subject whose connectome has another number of regions than
        ``sim``'s; naming ``sim``: a connectivity with more than one conduction speed.
    """
    # deferred: TVB's simulator imports all of TVB's model families (1.3 s)
    from tvb.simulator.simulator import Simulator  # noqa: PLC0415

    n_region = int(sim.connectivity.number_of_regions)
    given = np.shape(dataset.weights[dataset._subject(subject)])[0]
    if given != n_region:
        raise _bad("dataset", f"are subjects of the simulator's {n_region} regions",
                   f"subject {subject!r} with {given} regions")  # fmt: skip
    speed = np.unique(np.asarray(sim.connectivity.speed, dtype=float))
    if speed.size != 1:
        raise _bad("sim", "is a simulator whose connectivity has one conduction speed",
                   f"{speed.size} speeds")  # fmt: skip
    parts = {name: copy.deepcopy(getattr(sim, name)) for name in PARTS if name != "connectivity"}
    fix_noise_shape(parts.get("integrator"))
    parts["connectivity"] = dataset.connectivity(subject, conduction_speed=float(speed[0]))
    new = Simulator(**{k: v for k, v in parts.items() if v is not None})
    return configure_seeded(new, history_seed)


def load_subject_fits(store) -> SubjectFits:
    """The combined result of a finished :func:`fit_subjects` run, read from its store.

    Parameters
    ----------
    store : str or os.PathLike
        The folder of the :func:`fit_subjects` run.

    Raises
    ------
    ValueError
        Naming ``store``: a folder without a finished run's ``subject_fits.nc``.
    """
    path = Path(store) / RESULT
    if not path.is_file():
        raise _bad("store", f"is the folder of a finished fit_subjects run (holding {RESULT})",
                   f"{str(store)!r}, which has none")  # fmt: skip
    parts = {}
    for group in ("history", "best"):
        with xr.open_dataset(path, engine="h5netcdf", group=group) as stored:
            parts[group] = stored.load()
    for name in ("blow_up_region", "subject"):
        parts["history"][name] = parts["history"][name].astype(str)
    parts["best"]["subject"] = parts["best"]["subject"].astype(str)
    return SubjectFits(parts["history"], parts["best"], str(parts["history"].attrs["method"]))


@contextlib.contextmanager
def _for_subject(subject: str):
    """Name the subject in the errors of the block."""
    try:
        yield
    except FitSettingError as err:
        raise FitSettingError(err.parameter, f"Subject {subject!r}: {err}") from err
    except (ValueError, RuntimeError) as err:
        if type(err) not in (ValueError, RuntimeError):
            err.add_note(f"(subject {subject!r})")
            raise
        raise type(err)(f"Subject {subject!r}: {err}") from err


def _named(warning: Warning, subject: str) -> Warning:
    """A copy of ``warning`` whose message starts with the subject's name."""
    named = copy.copy(warning)
    named.args = (f"Subject {subject!r}: {warning}", *warning.args[1:])
    return named


def _checked_subjects(dataset, subjects) -> tuple:
    # deferred: the datasets package reads TVB's connectivity module
    from ..datasets import Dataset  # noqa: PLC0415

    if not isinstance(dataset, Dataset):
        raise _bad("dataset", "is a tvb_ngnmm.datasets.Dataset (read_dataset, gw.dataset)",
                   repr(dataset))  # fmt: skip
    return dataset.subjects if subjects is None else dataset.subset(subjects).subjects


def _subject_problem(sim, objective, bounds, dataset, name, method, budget, simulation_length,
                     options, units, realisations, history_seed, maps) -> tuple:  # fmt: skip
    """(the subject's simulator, its checked :class:`~.fit_problem.FitProblem`)."""
    subject_sim = subject_simulator(sim, dataset, name, history_seed)
    with _setting_of("objective"):
        _check_fcd_windows(objective, dataset, name)
        retargeted = objective.with_data(dataset, [name])
    if callable(maps):
        with _setting_of("maps"):
            maps = maps(dataset, name)
    problem = check_fit(subject_sim, retargeted, bounds, method, budget, simulation_length,
                        options, units, realisations, maps=maps)  # fmt: skip
    return subject_sim, problem


def _check_fcd_windows(objective, dataset, name: str) -> None:
    """Refuse FCD windows giving fewer than 2 windows of the subject's BOLD series."""
    for term, _ in objective.terms():
        if not isinstance(term, FCDDistance):
            continue
        for session in dataset.sessions[name]:
            _check_session_windows(term, dataset, name, session)


def _check_session_windows(term, dataset, name: str, session: str) -> None:
    fcd, _ = dataset.fcd(name, term.window_ms, term.step_ms, session=session)
    if len(fcd) < 2:
        length = len(dataset.session_bold[name, session]) * dataset.repetition_time
        raise _bad("objective", "are FCD windows giving at least 2 windows of each "
                   f"session's BOLD series ({length:g} ms at a repetition time of "
                   f"{dataset.repetition_time:g} ms)", f"window_ms={term.window_ms:g}, "
                   f"step_ms={term.step_ms:g} (1 window)")  # fmt: skip


@contextlib.contextmanager
def _setting_of(parameter: str):
    try:
        yield
    except ValueError as err:
        if type(err) is not ValueError:
            raise
        raise FitSettingError(parameter, str(err)) from err


def _folder(store: Path, subject: str) -> Path:
    name = quote(subject, safe="")
    return store / "subjects" / (name.replace(".", "%2E") if set(name) <= {"."} else name)


def _check_stores(store: Path, problems: dict, seed, history_seed) -> None:
    """Refuse, before anything runs, a store that is not fit_subjects' or a subject's store
    written with other settings; mark a new store."""
    marker = store / MARKER
    if store.exists() and not store.is_dir():
        raise _bad("store", "is a folder: new, empty or the store of fit_subjects",
                   f"{str(store)!r}, which is a file")  # fmt: skip
    if store.exists() and any(store.iterdir()) and not marker.is_file():
        raise _bad("store", "is a new or empty folder, or the store of fit_subjects",
                   f"{str(store)!r}, a folder holding other files")  # fmt: skip
    for name, (subject_sim, problem) in problems.items():
        settings = _fit_settings(problem, seed, history_seed,
                                 _seeds(subject_sim, seed, history_seed))  # fmt: skip
        with _for_subject(name):
            _check_fit_store(_folder(store, name), settings)
            first = _folder(store, name) / "generation_00000.zarr"
            if first.exists():  # the subject's connectome, which fit.json does not record
                description = digest(simulator_description(subject_sim))
                SweepStore(first)._check({"simulator": description})
    if not marker.is_file():
        store.mkdir(parents=True, exist_ok=True)
        text = json.dumps(_MARK)
        write_atomically(marker, lambda temporary: temporary.write_text(text))


def _run_subjects(problems, store, client, n_workers, seed, history_seed, progress):
    """Each subject's fit on one cluster, then the combined result (written to the store)."""
    temporary = tempfile.TemporaryDirectory(prefix="tvb_ngnmm_subjects_") if store is None else None
    folder = Path(temporary.name if temporary else store)
    results = {}
    try:
        client, cluster, own_client = _connect(client, n_workers)
        try:
            bar = tqdm(problems.items(), unit="subject", desc="fit_subjects",
                       disable=not progress)  # fmt: skip
            for name, (subject_sim, problem) in bar:
                bar.set_postfix_str(name)
                caught: list = []
                try:
                    with warnings.catch_warnings(record=True) as caught, _for_subject(name):
                        warnings.simplefilter("always")
                        where = _folder(folder, name)
                        results[name] = _run_fit(subject_sim, problem, seed, client, None,
                                                 where, progress, history_seed)  # fmt: skip
                finally:
                    for record in caught:  # each naming its subject, pointing at the caller
                        warnings.warn(_named(record.message, name), stacklevel=3)
        finally:
            _disconnect(client, cluster, own_client)
    finally:
        if temporary is not None:
            temporary.cleanup()
    first = next(iter(problems.values()))[0]
    fits = _combine(results, list(first.connectivity.region_labels))
    if store is not None:
        write_atomically(folder / RESULT, lambda path: _write(fits, path))
    return fits


def _padded(values: list, n: int) -> np.ndarray:
    """Per-subject 1-D arrays stacked into ``(n_subject, n)``, padded by dtype."""
    kind = np.result_type(*[v.dtype for v in values]).kind
    fill, dtype = {"b": (False, bool), "i": (-1, int), "U": ("", str), "O": ("", str)}.get(
        kind, (np.nan, float))  # fmt: skip
    out = np.full((len(values), n), fill, dtype=object if dtype is str else dtype)
    for k, v in enumerate(values):
        out[k, : len(v)] = v
    return out.astype(str) if dtype is str else out


def _combine(results: dict, region_labels: list) -> SubjectFits:
    """The subjects' :class:`FitResult`\\ s as one :class:`SubjectFits`."""
    names = list(results)
    histories = [r.history for r in results.values()]
    n = max(h.sizes["evaluation"] for h in histories)
    keys = {kind: list(dict.fromkeys(str(c) for h in histories for c in getattr(h, kind)))
            for kind in ("coords", "data_vars")}  # fmt: skip

    def stacked(name):
        values = [h[name].values if name in h else np.full(h.sizes["evaluation"], np.nan)
                  for h in histories]  # fmt: skip
        first = next(h[name] for h in histories if name in h)
        return (("subject", "evaluation"), _padded(values, n), dict(first.attrs))

    coords = {name: stacked(name) for name in keys["coords"]}
    coords["subject"] = ("subject", np.array(names, dtype=str))
    data = {name: stacked(name) for name in keys["data_vars"]}
    data["n_evaluations"] = ("subject", np.array([h.sizes["evaluation"] for h in histories]))
    common, per_subject = {}, []
    for key in dict.fromkeys(k for h in histories for k in h.attrs):
        values = [h.attrs.get(key) for h in histories]
        if all(v == values[0] for v in values):
            common[key] = values[0]
        else:
            data[key] = ("subject", np.array([str(v) for v in values]))
            per_subject.append(key)
    method = next(iter(results.values())).method
    common.update(method=method, subject_attributes=json.dumps(per_subject))
    history = xr.Dataset(data, coords=coords, attrs=common)
    return SubjectFits(history, _best(results, history, region_labels), method,
                       {name: r.objective for name, r in results.items()})  # fmt: skip


def _best(results: dict, history: xr.Dataset, region_labels: list) -> xr.Dataset:
    first = next(iter(results.values()))
    data = {"loss": ("subject", [r.best_loss for r in results.values()])}
    for name in first.best_parameters:
        data[name] = ("subject", [r.best_parameters[name] for r in results.values()],
                      dict(history[name].attrs))  # fmt: skip
    for name in dict.fromkeys(k for r in results.values() for k in r.best_components):
        data[name] = ("subject", [r.best_components.get(name, np.nan) for r in results.values()])
    for name in first.best_regional:
        regional = np.stack([r.best_regional[name] for r in results.values()])
        data[f"regional_{name}"] = (("subject", "region"), regional)
    coords = {"subject": history["subject"].values}
    if first.best_regional:
        coords["region"] = np.array(region_labels, dtype=str)
    return xr.Dataset(data, coords=coords, attrs={"method": first.method})


def _write(fits: SubjectFits, path: Path) -> None:
    fits.history.to_netcdf(path, engine="h5netcdf", group="history", mode="w")
    fits.best.to_netcdf(path, engine="h5netcdf", group="best", mode="a")
