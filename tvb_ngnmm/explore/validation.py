"""Validation of a fit: its best parameters run again with fresh noise.

:func:`validate_fit` runs the best parameters of a :class:`~.fit.FitResult` ``k`` times, each
with a noise stream the fit never used, as one :func:`~tvb_ngnmm.explore.sweep` (a point per
realisation, the realisation's seed in ``'integrator.noise.noise_seed'``), and returns each of
the objective's components (``loss``, ``fc_correlation``, ...) per realisation with its mean and
standard deviation: how much of the fit's loss is the parameters' and how much its noise
stream's.

The fresh noise seeds are drawn from ``np.random.default_rng(seed)`` (integers in
``[0, 2**31)``), redrawn until they differ from each other and from every seed the fit's runs
used (``noise_seed + r`` for each of its ``realisations`` ``r``, recorded in its history).
"""

from __future__ import annotations

import functools
import tempfile
from pathlib import Path

import numpy as np
import xarray as xr

from .._util import pyplot
from .design import points
from .fit_problem import NOISE_SEED
from .objectives import AbstractObjective, _bad, evaluate_objective
from .sweep import sweep

_SWEEP_VARIABLES = {"done", "blown_up", "blow_up_time", "blow_up_region", "blow_up_region_index"}


def fit_noise_seeds(history) -> list[int]:
    """The noise seeds of a fit's runs, from its history's attributes (none if deterministic)."""
    first = history.attrs.get("noise_seed", "none")
    if isinstance(first, str):
        return []
    return [int(first) + r for r in range(int(history.attrs.get("realisations", 1)))]


def fresh_noise_seeds(realisations: int, seed: int, used=()) -> list[int]:
    """``realisations`` distinct noise seeds from ``np.random.default_rng(seed)``, none in
    ``used`` (see the module's docstring)."""
    rng = np.random.default_rng(seed)
    used, chosen = {int(s) for s in used}, []
    while len(chosen) < realisations:
        value = int(rng.integers(0, 2**31))
        if value not in used:
            used.add(value)
            chosen.append(value)
    return chosen


def _check_validation(result, sim, objective, realisations, seed):
    """The objective to use, after checking the arguments of :func:`validate_fit`."""
    if (isinstance(realisations, bool) or not isinstance(realisations, int | np.integer)
            or realisations < 2):  # fmt: skip
        raise _bad("realisations", "are integers >= 2 (a standard deviation needs two)",
                   repr(realisations))  # fmt: skip
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise _bad("seed", "are integers >= 0", repr(seed))
    if getattr(sim.integrator, "noise", None) is None:
        raise _bad("sim", "is a simulator with a stochastic integrator (fresh noise to realise)",
                   f"one with {type(sim.integrator).__name__}")  # fmt: skip
    if NOISE_SEED in result.best_parameters:
        raise _bad("result", f"is a fit whose parameters do not include {NOISE_SEED!r}",
                   f"a fit of {list(result.best_parameters)}")  # fmt: skip
    objective = result.objective if objective is None else objective
    if not isinstance(objective, AbstractObjective):
        raise _bad("objective", "is an objective (AbstractObjective), or None for the fit's own "
                   "(recorded by fit)", repr(objective))  # fmt: skip
    return objective


def run_realisations(sim, parameters: dict, objective, noise_seeds, simulation_length=None,
                     history_seed: int | None = 0, units: dict | None = None, client=None,
                     n_workers: int | None = None, progress: bool = False,
                     maps: dict | None = None) -> xr.Dataset:  # fmt: skip
    """The objective at ``parameters``, one run per noise seed (one sweep; a temporary store).

    Returns a Dataset of dim ``realisation`` (coordinate ``noise_seed``) holding the objective's
    loss and components and ``blown_up`` of each run; the other arguments are
    :func:`~tvb_ngnmm.explore.sweep`'s (with ``maps``, ``parameters`` may hold the
    coefficients ``'parameter.base'`` and ``'parameter.<map name>'``).
    """
    k = len(noise_seeds)
    columns = {name: [float(value)] * k for name, value in parameters.items()}
    columns[NOISE_SEED] = [float(s) for s in noise_seeds]
    design = points(columns, {**(units or {}), NOISE_SEED: "1"})
    measure = functools.partial(evaluate_objective, objective=objective)
    with tempfile.TemporaryDirectory(prefix="tvb_ngnmm_validate_") as folder:
        ds = sweep(sim, design, [measure], Path(folder) / "realisations.zarr", simulation_length,
                   client=client, n_workers=n_workers, progress=progress,
                   history_seed=history_seed, maps=maps).load()  # fmt: skip
    names = [str(n) for n in ds.data_vars if str(n) not in _SWEEP_VARIABLES]
    data = {name: ("realisation", ds[name].values.astype(float)) for name in names}
    data["blown_up"] = ("realisation", ds["blown_up"].values.astype(bool))
    coords = {"realisation": np.arange(k), "noise_seed": ("realisation", list(noise_seeds))}
    return xr.Dataset(data, coords=coords)


def validate_fit(result, sim, objective=None, realisations: int = 5, seed: int = 1,
                 simulation_length: float | None = None, client=None,
                 n_workers: int | None = None, progress: bool = False) -> xr.Dataset:  # fmt: skip
    """Run a fit's best parameters with ``realisations`` fresh noise streams.

    Parameters
    ----------
    result : FitResult
        The fit (:func:`~.fit.fit`).
    sim : tvb.simulator.simulator.Simulator
        The simulator that was fitted, with a stochastic integrator (or another with the same
        parameters, such as a held-out subject's, with its own ``objective``).
    objective : AbstractObjective, optional
        Default: the fit's own (``result.objective``).
    realisations : int
        Fresh noise streams (>= 2).
    seed : int
        Seed (>= 0) of the generator the noise seeds are drawn from (see the module's
        docstring); never a seed of the fit's runs.
    simulation_length : float, optional
        Length of each run (ms); default the fit's (recorded in its history), else
        ``sim.simulation_length``.
    client, n_workers, progress
        As for :func:`~tvb_ngnmm.explore.sweep`. Every run starts where the fit's did (its
        ``history_seed``), with the fit's regional maps (``result.maps``) if it had any.

    Returns
    -------
    xarray.Dataset
        Dim ``realisation`` (coordinate ``noise_seed``): ``loss`` and each component of the
        objective, and ``blown_up``. Each measure's ``attrs`` hold its ``mean`` and ``sd``
        (standard deviation with ``ddof=1``; NaN if a run blew up or its value is undefined);
        the Dataset's ``attrs`` the parameters, ``seed``, ``fit_noise_seeds`` and
        ``fit_best_loss``.

    Raises
    ------
    ValueError
        ``realisations`` not an int >= 2, ``seed`` not an int >= 0, a deterministic
        integrator, no objective, a fit of the noise seed: each names the parameter.
    """
    objective = _check_validation(result, sim, objective, realisations, seed)
    history = result.history
    used = fit_noise_seeds(history)
    seeds = fresh_noise_seeds(int(realisations), int(seed), used)
    history_seed = history.attrs.get("history_seed", 0)
    if simulation_length is None:
        simulation_length = history.attrs.get("simulation_length")
    units = {name: history[name].attrs.get("units", "1") for name in result.best_parameters
             if name in history}  # fmt: skip
    ds = run_realisations(sim, result.best_parameters, objective, seeds, simulation_length,
                          None if history_seed == "none" else int(history_seed), units,
                          client, n_workers, progress,
                          maps=getattr(result, "maps", None) or None)  # fmt: skip
    for name in ds.data_vars:
        if name != "blown_up":
            values = ds[name].values
            ds[name].attrs.update(mean=float(np.mean(values)), sd=float(np.std(values, ddof=1)))
    return ds.assign_attrs(parameters=repr(result.best_parameters), seed=int(seed),
                           fit_noise_seeds=used, fit_best_loss=result.best_loss,
                           objective=repr(objective))  # fmt: skip


def validation_summary(validation: xr.Dataset) -> xr.Dataset:
    """Each measure's ``mean`` and ``sd`` over the realisations as a small table
    (dim ``statistic``); of a held-out validation (dim ``target``), per target beside the
    floor and ceiling (:func:`~.held_out.held_out_summary`).

    Parameters
    ----------
    validation : xarray.Dataset
        From :func:`~.validation.validate_fit` or :func:`~.held_out.validate_held_out`.
    """
    if "target" in validation.dims:
        from .held_out import held_out_summary  # noqa: PLC0415 (it imports this module)

        return held_out_summary(validation)
    names = [n for n in validation.data_vars if n != "blown_up"]
    data = {n: ("statistic", [validation[n].attrs["mean"], validation[n].attrs["sd"]])
            for n in names}  # fmt: skip
    return xr.Dataset(data, coords={"statistic": ["mean", "sd"]})


def plot_validation(validation: xr.Dataset, axes=None, show: bool = True):
    """A strip plot of each measure over the realisations, with its mean ± SD.

    Parameters
    ----------
    validation : xarray.Dataset
        As :func:`validate_fit` returns it, or :func:`~.held_out.validate_held_out` (dim
        ``target``: :func:`~.held_out.plot_held_out`, a column per target, floor and ceiling).
    axes : sequence of matplotlib Axes, optional
        One per measure; default a new figure.
    show : bool
        Call ``plt.show()``.

    Returns
    -------
    matplotlib.figure.Figure
        The figure drawn.
    """
    if "target" in validation.dims:
        from .held_out import plot_held_out  # noqa: PLC0415 (it imports this module)

        return plot_held_out(validation, axes, show)
    plt = pyplot("plot_validation")
    names = [n for n in validation.data_vars if n != "blown_up"]
    if axes is None:
        _, axes = plt.subplots(1, len(names), figsize=(1.8 + 1.6 * len(names), 3.2))
    axes = np.atleast_1d(axes)
    if len(axes) != len(names):
        raise _bad("axes", f"are {len(names)} axes (one per measure)", f"{len(axes)} axes")
    jitter = np.linspace(-0.15, 0.15, validation.sizes["realisation"])
    for ax, name in zip(axes, names, strict=True):
        mean, sd = validation[name].attrs["mean"], validation[name].attrs["sd"]
        ax.plot(jitter, validation[name].values, "o", color="0.5", alpha=0.8)
        ax.errorbar([0.0], [mean], yerr=[sd], fmt="_", color="C3", markersize=20, capsize=6)
        ax.set_xlim(-0.6, 0.6)
        ax.set_xticks([])
        ax.set_title(f"{name}\n{mean:.3g} ± {sd:.2g}", fontsize="small")
    figure = axes[0].figure
    if show:
        plt.show()
    return figure
