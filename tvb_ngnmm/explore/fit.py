"""Fitting a simulator to empirical data: optimisers whose generations run as sweeps on Dask.

:func:`fit` minimises an objective (:mod:`.objectives`) over boxes of parameters. Each
generation of the optimiser (a grid level, a CMA-ES population, a differential-evolution
population) is one :func:`~tvb_ngnmm.explore.sweep` of its points on one Dask client that
lives for the whole fit, so the points run in parallel as engine batches and are reduced to
their loss on the workers. Methods (:mod:`.optimisers`):

- ``'grid'`` — grid refinement: a grid over the bounds (``points_per_axis`` per parameter),
  then grids half as wide (or narrower) centred on the best point so far, while the budget lasts;
- ``'cma'`` — CMA-ES (the ``cma`` package, ask/tell) in coordinates scaled to [0, 1];
- ``'differential_evolution'`` — :func:`scipy.optimize.differential_evolution`, vectorised
  (each population is one sweep), without the final local polish.

Points whose run blew up or whose loss is undefined (NaN) are recorded as such and given to
the optimiser as worse than every defined loss seen so far; one ``UndefinedMeasureWarning`` at the
end counts them. With a ``store`` folder every generation is kept as a sweep store
(``generation_00000.zarr``, ...): the optimisers are deterministic given ``seed`` and the
losses, so a fit run again with the same store replays the stored generations and computes
only what is missing.

The simulator is read and the settings are checked once, before anything runs:
:func:`~.fit_problem.check_fit` returns them as a :class:`~.fit_problem.FitProblem` (the
engine's reading of the simulator with it), which :func:`run_fit` takes as it is and hands to
every generation's sweep; :func:`fit` is the two in turn (the command line checks its ``[fit]``
with ``check_fit`` as it reads it).

With ``realisations=k`` each point runs ``k`` times, realisation ``r`` with the noise stream
``RandomState(noise_seed + r)`` (``noise_seed`` the simulator's; the same ``k`` streams for every
point: common random numbers), and its loss and components are the means over the ``k`` runs
(undefined if any run's is); a point blew up if any of its runs did.
"""

from __future__ import annotations

import functools
import json
import os
import tempfile
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import xarray as xr
from tqdm.auto import tqdm

from .._util import UndefinedMeasureWarning, pyplot, write_atomically
from ..engine.checks import check_seed
from ..seeding import check_history_seed, seed_attributes, seeded_simulator, simulator_digest
from .design import points
from .fit_problem import NOISE_SEED, FitProblem, check_fit
from .held_out import validate_held_out
from .heterogeneity import regional_values
from .objectives import _bad, evaluate_objective
from .optimisers import RUNNERS
from .store import digest
from .sweep import (
    _check_not_bootstrapping,
    _connect,
    _disconnect,
    checked_spec,
    start_fork_server,
    sweep,
)
from .validation import validate_fit


@dataclass
class FitResult:
    """The outcome of :func:`fit`.

    Parameters
    ----------
    best_parameters : dict
        ``{name: value}`` of the evaluation with the lowest defined loss.
    best_loss : float
        Its loss (to minimise; see :mod:`.objectives` for each objective's convention).
    best_components : dict
        The objective's components at that evaluation (e.g. ``fc_correlation``).
    history : xarray.Dataset
        Dim ``evaluation``: one coordinate per parameter (units in its attributes), the
        ``generation`` of each evaluation, ``loss``, ``best_so_far``, the components,
        ``blown_up``, ``blow_up_time`` (ms) and ``blow_up_region``.
    method : str
        The optimiser.
    objective : AbstractObjective or None
        The objective minimised (what :meth:`validate` evaluates by default).
    best_regional : dict
        ``{parameter: (n_region,) array}``: the per-region values ``base + Σ_k c_k · map_k``
        of each heterogeneous parameter (``maps``) at the best evaluation; empty without maps.
    maps : dict
        The regional maps of the fit, checked (``{parameter: {map name: (n_region,) array}}``),
        which :meth:`validate` runs again; empty without maps.
    """

    best_parameters: dict
    best_loss: float
    best_components: dict
    history: object = field(repr=False)
    method: str = "cma"
    objective: object = field(default=None, repr=False)
    best_regional: dict = field(default_factory=dict)
    maps: dict = field(default_factory=dict, repr=False)

    def validate(self, sim, objective=None, realisations: int = 5, seed: int = 1,
                 simulation_length: float | None = None, client=None,
                 n_workers: int | None = None, progress: bool = False, *, dataset=None,
                 split=None):  # fmt: skip
        """The best parameters run with fresh noise: each metric per realisation, mean and SD.

        Without ``dataset``, :func:`~.validation.validate_fit` of this result (dim
        ``realisation``); with ``dataset`` and ``split``,
        :func:`~.held_out.validate_held_out` (dims ``target`` × ``realisation``: the training
        data and each held-out subject and group, beside the data's floor and ceiling). See
        them for the parameters, the noise seeds and the Dataset returned.

        Parameters
        ----------
        sim : tvb.simulator.simulator.Simulator
            The simulator that was fitted, with a stochastic integrator (or another with the same
            parameters).
        objective : AbstractObjective, optional
            Default: the fit's own.
        realisations : int
            Fresh noise streams (>= 2).
        seed : int
            Seed (>= 0) of the generator the noise seeds are drawn from.
        simulation_length : float, optional
            Length of each run (ms); default the fit's.
        client : None, distributed.Client or str
            As for :func:`~tvb_ngnmm.explore.sweep`.
        n_workers : int, optional
            As for :func:`~tvb_ngnmm.explore.sweep`.
        progress : bool
            Show a progress bar.
        dataset : tvb_ngnmm.datasets.Dataset, optional
            The empirical data, for a held-out validation.
        split : dict or sequence of str, optional
            ``{'train': [...], 'test': [...]}`` or the test subjects' names.

        Raises
        ------
        ValueError
            A ``split`` without ``dataset``, a ``dataset`` without ``split``, and those of the
            function called.
        """
        if dataset is None and split is None:
            return validate_fit(self, sim, objective, realisations, seed, simulation_length,
                                client, n_workers, progress)  # fmt: skip
        if dataset is None or split is None:
            missing, given = ("split", "dataset") if split is None else ("dataset", "split")
            raise _bad(missing, f"is given with {given!r} (a held-out validation needs both)",
                       "None")  # fmt: skip
        return validate_held_out(self, sim, dataset, split, objective, realisations, seed,
                                 simulation_length, client, n_workers, progress)  # fmt: skip

    def plot(self, axes=None, show: bool = True):
        """Convergence: loss per evaluation and best so far, and each parameter's trace.

        Parameters
        ----------
        axes : sequence of matplotlib Axes, optional
            ``1 + n_parameter`` axes (loss first); default a new figure.
        show : bool
            Call ``plt.show()``.

        Returns
        -------
        matplotlib.figure.Figure
            The figure drawn.
        """
        plt = pyplot("FitResult.plot")
        names = list(self.best_parameters)
        if axes is None:
            _, axes = plt.subplots(1 + len(names), 1, sharex=True,
                                   figsize=(6.4, 2.0 + 1.6 * len(names)))  # fmt: skip
        axes = np.atleast_1d(axes)
        if len(axes) != 1 + len(names):
            raise _bad("axes", f"are {1 + len(names)} axes (loss and each parameter)",
                       f"{len(axes)} axes")  # fmt: skip
        h = self.history
        evaluation = h.evaluation.values
        loss, best = h.loss.values, h.best_so_far.values
        axes[0].plot(evaluation, loss, ".", color="0.6", label="loss")
        axes[0].plot(evaluation, best, "-", color="C0", label="best so far")
        bad = ~np.isfinite(loss)
        if bad.any():
            top = np.nanmax(loss) if np.isfinite(loss).any() else 1.0
            axes[0].plot(evaluation[bad], np.full(bad.sum(), top), "x", color="C3",
                         label="blown up / undefined")  # fmt: skip
        if np.nanmin(loss) > 0:
            axes[0].set_yscale("log")
        axes[0].set_ylabel("loss")
        axes[0].legend(loc="upper right", fontsize="small")
        best_index = _best_so_far_index(loss)
        for ax, name in zip(axes[1:], names, strict=True):
            values = h[name].values
            ax.plot(evaluation, values, ".", color="0.6")
            ax.plot(evaluation, np.where(best_index >= 0, values[best_index], np.nan), "-")
            ax.set_ylabel(f"{name} ({h[name].attrs.get('units', '1')})")
        axes[-1].set_xlabel("evaluation")
        axes[0].set_title(f"fit ({self.method}): best loss {self.best_loss:.4g}")
        figure = axes[0].figure
        if show:
            plt.show()
        return figure


def _best_so_far_index(loss: np.ndarray) -> np.ndarray:
    """Index of the best defined loss up to each evaluation (-1 before the first)."""
    index, best, out = -1, np.inf, np.empty(len(loss), dtype=int)
    for k, value in enumerate(loss):
        if np.isfinite(value) and value < best:
            index, best = k, value
        out[k] = index
    return out


class _Evaluator:
    """Evaluates populations as sweeps, keeps the history, penalises undefined losses."""

    def __init__(self, sim, problem: FitProblem, client, folder, bar,
                 history_seed: int | None = None):  # fmt: skip
        self.sim, self.spec, self.client = sim, problem.spec, client
        self.names, self.units = list(problem.bounds), problem.units
        self.history_seed = history_seed
        self.bounds = tuple(np.array(b, dtype=float)
                            for b in zip(*problem.bounds.values(), strict=True))  # fmt: skip
        self.measure = functools.partial(evaluate_objective, objective=problem.objective)
        self.folder, self.simulation_length, self.bar = folder, problem.simulation_length, bar
        self.realisations = problem.realisations
        self.maps = problem.maps
        self.generations: list = []

    def __call__(self, values: np.ndarray) -> np.ndarray:
        """Penalised losses of the points ``values`` (n_point, n_parameter)."""
        values = np.atleast_2d(np.asarray(values, dtype=float))
        k = self.realisations
        columns = {name: np.repeat(values[:, j], k) for j, name in enumerate(self.names)}
        if k > 1:
            first = int(self.sim.integrator.noise.noise_seed)
            columns[NOISE_SEED] = np.tile(first + np.arange(k), len(values)).astype(float)
        design = points(columns, {**self.units, NOISE_SEED: "1"} if k > 1 else self.units)
        store = self.folder / f"generation_{len(self.generations):05d}.zarr"
        ds = sweep(self.sim, design, [self.measure], store, self.simulation_length,
                   client=self.client, progress=False, history_seed=self.history_seed,
                   spec=self.spec, maps=self.maps)  # fmt: skip
        if not ds["done"].all():
            raise RuntimeError(
                f"The fit was interrupted in generation {len(self.generations)} "
                f"({int(ds['done'].sum())} of {len(values) * k} runs done): run it again with "
                "the same store to resume it."
            )
        if k > 1:
            ds = _over_realisations(ds, k)
        self.generations.append(ds)
        self.bar.update(len(values))
        losses = ds["loss"].values if "loss" in ds else np.full(len(values), np.nan)
        return self._penalised(losses)

    def _all(self) -> tuple[np.ndarray, np.ndarray]:
        """(points (n, n_parameter), losses (n,)) of every evaluation so far."""
        values = [np.column_stack([g[name].values for name in self.names])
                  for g in self.generations]  # fmt: skip
        losses = [g["loss"].values if "loss" in g else np.full(g.sizes["point"], np.nan)
                  for g in self.generations]  # fmt: skip
        return np.concatenate(values), np.concatenate(losses)

    def best_point(self, default: np.ndarray) -> np.ndarray:
        """The point of the lowest defined loss so far (``default`` if none is defined)."""
        values, losses = self._all()
        return values[np.nanargmin(losses)] if np.isfinite(losses).any() else default

    def _penalised(self, losses: np.ndarray) -> np.ndarray:
        finite = self._all()[1]
        finite = finite[np.isfinite(finite)]
        worst = float(finite.max()) if finite.size else 0.0
        return np.where(np.isfinite(losses), losses, worst + abs(worst) + 1.0)

    def history(self, objective):
        """The evaluations so far as an ``xarray.Dataset`` (dim ``evaluation``)."""
        gens = self.generations
        keys = [k for g in gens for k in g.data_vars if str(k) not in _SWEEP_VARIABLES]
        components = list(dict.fromkeys(k for k in keys if k != "loss"))
        generation = np.concatenate([np.full(g.sizes["point"], k) for k, g in enumerate(gens)])

        def column(name, fill=np.nan):
            return np.concatenate([g[name].values if name in g else
                                   np.full(g.sizes["point"], fill) for g in gens])  # fmt: skip

        loss = column("loss")
        coords = {name: ("evaluation", column(name), {"units": self.units[name]})
                  for name in self.names}  # fmt: skip
        coords["generation"] = ("evaluation", generation)
        data = {"loss": ("evaluation", loss),
                "best_so_far": ("evaluation", np.fmin.accumulate(loss))}  # fmt: skip
        data.update({name: ("evaluation", column(name)) for name in components})
        data["blown_up"] = ("evaluation", column("blown_up", False).astype(bool))
        data["blow_up_time"] = ("evaluation", column("blow_up_time"), {"units": "ms"})
        data["blow_up_region"] = ("evaluation", column("blow_up_region", "").astype(str))
        attrs = {"objective": repr(objective), "loss": "to minimise (0 is a perfect match)"}
        return xr.Dataset(data, coords=coords, attrs=attrs)


_SWEEP_VARIABLES = {"done", "blown_up", "blow_up_time", "blow_up_region"}


def _over_realisations(ds, k: int):
    """A generation of ``n * k`` runs as ``n`` points: each point's ``k`` consecutive runs
    (its realisations) averaged; blown up if any run blew up (time and region of the first)."""
    n = ds.sizes["point"] // k
    out = ds.isel(point=slice(0, None, k)).drop_vars(NOISE_SEED)
    blown = ds["blown_up"].values.reshape(n, k).astype(bool)
    first_blown = np.argmax(blown, axis=1)[:, np.newaxis]  # the first run that blew up, or 0
    for name, variable in ds.data_vars.items():
        if variable.dims[:1] != ("point",):
            continue
        runs = variable.values.reshape((n, k) + variable.shape[1:])
        if name == "done":
            value = runs.all(axis=1)
        elif name == "blown_up":
            value = blown.any(axis=1)
        elif str(name).startswith("blow_up"):
            index = first_blown.reshape((n, 1) + (1,) * (runs.ndim - 2))
            value = np.take_along_axis(runs, index, axis=1)[:, 0]
        elif runs.dtype.kind == "f":
            value = runs.mean(axis=1)  # NaN when any realisation's is
        else:
            value = runs[:, 0]
        out[name] = (variable.dims, value, variable.attrs)
    return out.assign_attrs(realisations=k)


def fit(
    sim,
    objective,
    bounds: dict,
    method: str = "cma",
    budget: int = 100,
    seed: int | None = 0,
    client=None,
    n_workers: int | None = None,
    store=None,
    progress: bool = True,
    simulation_length: float | None = None,
    options: dict | None = None,
    units: dict | None = None,
    realisations: int = 1,
    history_seed: int | None = 0,
    maps: dict | None = None,
) -> FitResult:
    """Minimise an objective over parameter boxes, each generation a sweep on Dask.

    Parameters
    ----------
    sim : tvb.simulator.simulator.Simulator
        A configured simulator (its parameters are the defaults of every evaluation).
    objective : AbstractObjective or dict
        A loss to minimise (:mod:`.objectives`), or its configuration
        (:func:`~.objectives.objective_from_config`).
    bounds : dict
        ``{name: (low, high)}`` with ``low < high``; names as in
        :func:`~tvb_ngnmm.explore.sweep` (model parameters, ``'a'``, ``'conduction_speed'``,
        ``'noise_amplitude'``, dotted paths such as ``'coupling.b'``).
    method : {'cma', 'grid', 'differential_evolution'}
        The optimiser (see the module's docstring).
    budget : int
        Most simulations run (>= 1; at least the population for 'cma' and
        'differential_evolution'). Only whole generations run, so a few may be left unused.
    seed : int, optional
        Seed of the optimiser's own generator (``np.random.default_rng``). The runs use the
        simulator's own noise stream for every point (common random numbers).
    client, n_workers
        As for :func:`~tvb_ngnmm.explore.sweep`; the cluster is started (or connected to)
        once for the whole fit and closed at the end if started here.
    store : str or Path, optional
        A folder keeping every generation as a sweep store; a fit run again with the same
        folder and settings replays the stored generations and computes only what is
        missing. Default: a temporary folder, deleted at the end.
    progress : bool
        Show a progress bar of the evaluations.
    simulation_length : float, optional
        Length of each run (ms); default ``sim.simulation_length``.
    options : dict, optional
        Options of the optimiser: ``{'points_per_axis': 5}`` for 'grid'; ``'sigma0'`` (in
        units of each bound's width, at most 1/3, default 0.3), ``'x0'`` (``{name: value}``,
        the start; default the centre of the bounds) and any ``cma`` option (``'popsize'``,
        ...) for 'cma';
        ``'popsize'`` (per parameter, default 5) and any ``differential_evolution`` argument
        (``'mutation'``, ``'tol'``, ...) for 'differential_evolution'.
    units : dict, optional
        ``{name: unit}`` of the parameters (defaults as for sweeps).
    realisations : int
        Noise realisations per point (>= 1; more than one needs a stochastic integrator):
        realisation ``r`` runs the noise stream ``RandomState(noise_seed + r)``, the loss is the
        mean over them (see the module's docstring). ``budget`` counts points, each of which
        runs ``realisations`` simulations.
    history_seed : int or None, optional
        Where every run starts, as for :func:`~tvb_ngnmm.explore.sweep`: an int (default 0),
        the history drawn from ``np.random.default_rng(history_seed)`` (``initial_conditions``
        kept) and the noise stream ``RandomState(noise_seed)`` from its start, the same in
        every process; None, ``sim``'s own initial history, state and noise stream (a fit
        resumed with a simulator configured again, which TVB gives another random history, is
        refused).
    maps : dict, optional
        Regional heterogeneity, as for :func:`~tvb_ngnmm.explore.sweep`: ``{parameter: {map
        name: array of one value per region}}``; ``bounds`` may then name
        ``'parameter.base'`` and ``'parameter.<map name>'`` (the coefficients fitted), and the
        result's ``best_regional`` holds the per-region values at the best evaluation.

    Returns
    -------
    FitResult
        Its ``history`` records the seeds (``attrs``: ``seed``, ``history_seed``,
        ``noise_seed``, ``initial_state_sha256``).

    Raises
    ------
    ValueError
        Bad bounds, unknown parameter names, a budget too small, an unknown method, an
        objective that does not fit the simulator (a
        :class:`~.fit_problem.FitSettingError`, its ``parameter`` naming it), a store of
        another fit: each names the parameter, what is allowed and what was given.
    RuntimeError
        If no evaluation gave a defined loss.

    Warns
    -----
    UndefinedMeasureWarning
        Once, counting the evaluations that blew up or whose loss was undefined (NaN).
    """
    _start(sim, client, n_workers, store)  # the fork server's imports overlap the checks
    problem = check_fit(sim, objective, bounds, method, budget, simulation_length, options,
                        units, realisations, maps=maps)  # fmt: skip
    return _run_fit(sim, problem, seed, client, n_workers, store, progress, history_seed)


def _start(sim, client, n_workers, store) -> None:
    """Start a local cluster's fork server first thing (when no client is given), and check
    the settings of the cluster and the store."""
    if client is None:
        _check_not_bootstrapping()
        start_fork_server(sim, n_workers)
    _check_client_settings(store, n_workers)


def run_fit(sim, problem: FitProblem, seed: int | None = 0, client=None,
            n_workers: int | None = None, store=None, progress: bool = True,
            history_seed: int | None = 0) -> FitResult:  # fmt: skip
    """:func:`fit` of a problem :func:`check_fit` checked (the command line checks its
    configuration's ``[fit]`` so): its checks are not run again. The other parameters are
    :func:`fit`'s.

    Parameters
    ----------
    sim : tvb.simulator.simulator.Simulator
        A configured simulator, of the problem's specification.
    problem : FitProblem
        From :func:`check_fit`.
    seed : int, optional
        Seed of the optimiser's own generator, as for :func:`fit`.
    client : None, distributed.Client or str
        As for :func:`~tvb_ngnmm.explore.sweep`.
    n_workers : int, optional
        As for :func:`~tvb_ngnmm.explore.sweep`.
    store : str or os.PathLike, optional
        A folder keeping every generation, as for :func:`fit`.
    progress : bool
        Show a progress bar of the evaluations.
    history_seed : int or None, optional
        Where every run starts, as for :func:`fit`.
    """
    if not isinstance(problem, FitProblem):
        raise _bad("problem", "is a FitProblem (returned by check_fit)", repr(problem))
    _start(sim, client, n_workers, store)
    checked_spec(sim, problem.spec)  # of this simulator
    return _run_fit(sim, problem, seed, client, n_workers, store, progress, history_seed)


def _run_fit(sim, problem: FitProblem, seed, client, n_workers, store, progress,
             history_seed) -> FitResult:  # fmt: skip
    """The generations of a checked fit, on the cluster, recorded in ``store``."""
    seeds = _seeds(sim, seed, history_seed)
    method, budget = problem.method, problem.budget
    settings = _fit_settings(problem, seed, history_seed, seeds)
    created = None if store is None else _new_parts(Path(store))
    if store is not None:
        _open_fit_store(Path(store), settings)
    try:
        client, cluster, own_client = _connect(client, n_workers)
    except BaseException:
        _discard_if_unused(store, created)
        raise
    temporary = tempfile.TemporaryDirectory(prefix="tvb_ngnmm_fit_") if store is None else None
    bar = tqdm(total=budget, unit="evaluation", desc=f"fit ({method})", disable=not progress)
    try:
        folder = Path(temporary.name if temporary else store)
        if temporary is not None:
            _open_fit_store(folder, settings)
        evaluate = _Evaluator(sim, problem, client, folder, bar, history_seed)
        lows, highs = evaluate.bounds
        RUNNERS[method](evaluate, lows, highs, budget, seed, problem.options)
        history = evaluate.history(problem.objective).assign_attrs(
            seeds, realisations=problem.realisations,
            simulation_length=problem.simulation_length)  # fmt: skip
    except BaseException:
        _discard_if_unused(store, created)
        raise
    finally:
        bar.close()
        _disconnect(client, cluster, own_client)
        if temporary is not None:
            temporary.cleanup()
    result = _result(history, list(problem.bounds), method, problem.objective)
    regional = regional_values(problem.spec, problem.maps, result.best_parameters)
    result.best_regional = {name: values[0] for name, values in regional.items()}
    result.maps = problem.maps
    return result


def _fit_settings(problem: FitProblem, seed, history_seed, seeds: dict) -> dict:
    """What a fit's store records (``fit.json``) and a resumed fit must match."""
    settings = {"method": problem.method, "bounds": problem.bounds, "budget": problem.budget,
                "seed": seed,
                "options": repr(sorted(problem.options.items())).replace("\n", " "),
                "objective": repr(problem.objective),
                "simulation_length": problem.simulation_length, "history_seed": history_seed,
                "initial_state": seeds["initial_state_sha256"]}  # fmt: skip
    if problem.realisations > 1:  # (absent otherwise: stores of earlier fits stay valid)
        settings["realisations"] = problem.realisations
    if problem.maps:  # (likewise)
        settings["maps"] = digest({p: {k: v.tolist() for k, v in named.items()}
                                   for p, named in problem.maps.items()})  # fmt: skip
    return settings


def _new_parts(folder: Path) -> list:
    """What a fit storing into ``folder`` will create: its settings file, and the folder."""
    return [folder / "fit.json"] * (not (folder / "fit.json").exists()) + [folder] * (
        not folder.exists()
    )


def _discard_if_unused(store, created: list | None) -> None:
    """Remove what this fit created in its store if it failed before storing a generation
    (the settings file alone would refuse the corrected fit)."""
    if not created or any(Path(store).glob("generation_*")):
        return
    for path in created:  # the file, then the folder (empty then)
        if path.is_file():
            path.unlink()
        elif path.is_dir() and not any(path.iterdir()):
            path.rmdir()


def _seeds(sim, seed, history_seed) -> dict:
    """The fit's seeds, checked, as attributes of its history; and where its runs start."""
    check_seed(seed, allow_generator=False)
    check_history_seed(history_seed)
    source = sim if history_seed is None else seeded_simulator(sim, history_seed)
    return {"seed": "none" if seed is None else int(seed), **seed_attributes(sim, history_seed),
            "initial_state_sha256": simulator_digest(source)}  # fmt: skip


def _result(history, names: list, method: str, objective=None) -> FitResult:
    loss = history.loss.values
    blown = history.blown_up.values
    n_bad = int((~np.isfinite(loss)).sum())
    if n_bad:
        n_blown = int(blown.sum())
        message = (f"fit: {n_bad} of {len(loss)} evaluations have no loss ({n_blown} blew up, "
                   f"{n_bad - n_blown} gave an undefined loss); they counted as worse than every "
                   "defined loss.")  # fmt: skip
        warnings.warn(UndefinedMeasureWarning(message, ()), stacklevel=4)  # the caller of fit
    if n_bad == len(loss):
        raise RuntimeError(f"No evaluation of the fit gave a defined loss ({len(loss)} "
                           "evaluations): check the bounds and the objective.")  # fmt: skip
    best = int(np.nanargmin(loss))
    skipped = {"loss", "best_so_far", "blown_up", "blow_up_time", "blow_up_region"}
    components = {str(k): float(history[k].values[best]) for k in history.data_vars
                  if k not in skipped}  # fmt: skip
    parameters = {name: float(history[name].values[best]) for name in names}
    return FitResult(parameters, float(loss[best]), components, history, method, objective)


def _check_client_settings(store, n_workers) -> None:
    if store is not None and not isinstance(store, str | os.PathLike):
        raise _bad("store", "is None or the path of a folder (str or Path)", repr(store))
    if n_workers is not None and (
        isinstance(n_workers, bool) or not isinstance(n_workers, int | np.integer) or n_workers < 1
    ):
        raise _bad("n_workers", "are None or integers >= 1", repr(n_workers))


def _open_fit_store(folder: Path, settings: dict) -> None:
    """Create the fit's folder with its settings, or check them against a stored fit."""
    if _check_fit_store(folder, settings):
        return
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "fit.json"
    text = json.dumps(settings, sort_keys=True, default=str)
    write_atomically(path, lambda temporary: temporary.write_text(text))


def _check_fit_store(folder: Path, settings: dict) -> bool:
    """Whether ``folder`` holds a fit of ``settings`` (False: it is new or empty); refuse it
    if it holds anything else. Writes nothing."""
    path = folder / "fit.json"
    text = json.dumps(settings, sort_keys=True, default=str)
    if folder.exists() and not folder.is_dir():
        raise _bad("store", "is a folder: new, empty or the store of a fit",
                   f"{str(folder)!r}, which is a file")  # fmt: skip
    if path.exists():
        if path.read_text() != text:
            try:
                stored = json.loads(path.read_text())
            except ValueError:
                stored = None
            if not isinstance(stored, dict):
                raise _bad("store", "is a new folder or the store of a fit",
                           f"{str(folder)!r}, whose fit.json is not a fit's settings")  # fmt: skip
            changed = sorted(k for k in settings if stored.get(k) != json.loads(text).get(k))
            hint = (" (where the runs start differs: with history_seed=None, a simulator "
                    "configured again has another random history)"
                    if changed == ["initial_state"] else "")  # fmt: skip
            raise _bad("store", "is a new folder or the store of a fit with the same "
                       "settings (to resume it)",
                       f"{str(folder)!r}, written with other {changed}{hint}")  # fmt: skip
        return True
    if folder.exists() and any(folder.iterdir()):
        raise _bad("store", "is a new or empty folder, or the store of a fit",
                   f"{str(folder)!r}, a folder holding other files")  # fmt: skip
    return False
