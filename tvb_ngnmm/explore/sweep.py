"""Parameter sweeps on Dask: engine batches in tasks, reduced on the workers, stored as they come.

The points of a design are grouped by their configuration parameters (conduction speed, noise
amplitude, coupling/integrator/connectivity attributes: each group needs its own configured
simulator) and cut into batches of ``batch_size`` points; each batch is one Dask task that runs
:func:`~tvb_ngnmm.engine.batch.run_batch` (one thread) and reduces each member with the
measures, so only small results travel. The client writes each result into the store as it
arrives (one writer: see :mod:`.store` for why a killed worker or client loses and duplicates
nothing) and keeps at most a few tasks per worker in flight (bounded memory).

The simulator travels as a :class:`~.recipe.SimulatorRecipe` computed by a task of its own, so
if the worker holding it dies the scheduler computes it again; a task whose worker dies is run
again elsewhere (Dask's ``allowed-failures``), a task that raises is retried ``retries`` times.
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import multiprocessing
import os
import pickle
import sys
import time
import warnings

import numpy as np
import xarray as xr
from tqdm.auto import tqdm

from ..engine.batch import checked_swept_values, default_group_size, run_batch
from ..engine.checks import check_seed, n_steps_for
from ..engine.spec import SimulationSpec, checked_spec, extract
from ..models import AbstractNextGenModel
from ..seeding import check_history_seed, seed_attributes, seeded_simulator
from . import _forkserver
from .design import as_design
from .heterogeneity import checked_maps, expanded, swept_names
from .recipe import (
    SimulatorRecipe,
    check_setting_values,
    classify,
    default_unit,
    is_whole_number_setting,
    simulator_for,
)
from .reduce import as_measures, describe_measures, reduce_member
from .store import SweepStore, digest, simulator_description
from .trial import check_measures

#: Names of a store's own variables and coordinates, which no measure may take.
STORE_VARIABLES = ("point", "region", "done", "blown_up", "blow_up_time", "blow_up_region",
                   "blow_up_region_index")  # fmt: skip

# CPU seconds per node and step of one member in a group, EI-90 (SWEEP-64's tasks: 0.26-0.29 s
# per member and simulated second, 90 nodes, 10^5 steps)
SECONDS_PER_NODE_STEP = 3.2e-8


def _import_distributed():
    try:
        # deferred: an optional extra (explore)
        import distributed  # noqa: PLC0415
    except ImportError:
        raise ImportError(
            "Sweeps need Dask's distributed and zarr: pip install 'tvb-ngnmm[explore]'."
        ) from None
    return distributed


def _connect(client, n_workers: int | None):
    """(client, cluster started here or None, whether the client was opened here).

    While a local cluster started here runs, Dask's INFO messages (about thirty lines of
    scheduler and nanny start and stop, which TVB's root log handler prints on stdout) are held
    back; warnings and errors still show. :func:`_disconnect` lets them through again.
    """
    distributed = _import_distributed()
    if client is None:
        _check_not_bootstrapping()
        logger = logging.getLogger("distributed")
        level = logger.level
        if logger.getEffectiveLevel() < logging.WARNING:
            logger.setLevel(logging.WARNING)
        try:
            cluster = _local_cluster(distributed, n_workers or min(2, os.cpu_count() or 1))
            cluster.tvb_ngnmm_log_level = level  # restored by _disconnect
        except BaseException as err:
            logger.setLevel(level)
            if not isinstance(err, RuntimeError):
                raise
            raise RuntimeError(
                f"The local Dask cluster failed to start ({err}). From a script, keep its top "
                "level under 'if __name__ == \"__main__\":': worker processes import the "
                "script again as they start."
            ) from err
        return distributed.Client(cluster), cluster, True
    if isinstance(client, distributed.Client):
        return client, None, False
    if isinstance(client, str):
        try:
            return distributed.Client(client, timeout="5s"), None, True
        except (OSError, TimeoutError) as err:
            reason = f"cannot reach it ({type(err).__name__}: {err})"
    else:
        reason = "it is neither"
    raise ValueError(
        "Invalid value for the 'client' parameter. Allowed are None (a local cluster), a "
        "distributed.Client or the address of a reachable scheduler ('tcp://host:port'), but "
        f"got {client!r} instead: {reason}."
    )


#: Modules a local cluster's fork server imports once, before it forks the workers (what a task
#: needs: TVB's simulator to rebuild the recipe, imported first by ``_preload`` so that the
#: gufuncs TVB compiles at import come from Numba's cache, the engine, the package's models; and
#: ``dask.array``, which xarray imports when it makes its first array if Dask is installed:
#: 0.2 s of each worker's first task otherwise); last, the workers' log level
#: (:mod:`._worker_logging`: Dask's warnings, not its INFO messages).
WORKER_PRELOAD = ("tvb_ngnmm.explore._preload", "distributed", "tvb_ngnmm.explore.sweep",
                  "tvb_ngnmm.models", "xarray", "dask.array", "tvb_ngnmm.engine.batch",
                  "tvb_ngnmm.explore._worker_logging")  # fmt: skip

#: Dask's settings for the local cluster's workers. Dask's nannies set ``MALLOC_TRIM_THRESHOLD_``
#: in their workers (to hand memory back to the system sooner); glibc then keeps its mmap
#: threshold fixed, so every array above 128 kB the engine allocates per chunk is a new mapping
#: whose pages fault in again: measured on EI-90 batches, 144,000 page faults and 3.2 s per task
#: of 8 members with it, 37,000 and 2.5 s without (as in a plain process). Dask's statistical
#: profiler (a thread in each worker reading the task's stack every 10 ms, for a dashboard the
#: local cluster does not show) is off: SWEEP-64 on 2 workers 9.1 and 8.5 s without it against
#: 9.9 and 9.3 s with it (medians of two sets of five interleaved rounds; 9 of 10 faster).
#: The scheduler's and the nannies' periodic checks (they run in the calling process, which
#: shares the cores with the workers) are less frequent: the event loops' tick (20 ms by
#: default; blocked loops are still reported, after 3 s), the system monitor of the dashboard
#: (0.5 s) and the memory monitor (0.1 s; the workers' memory is bounded by their tasks' size).
#: On SWEEP-64 on 2 workers the calling process then used 0.43-0.49 s of CPU while the tasks
#: ran, against 0.70-0.80 s (two interleaved rounds; each setting alone saved 0.05-0.2 s).
WORKER_CONFIG = {"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None,
                 "distributed.worker.profile.enabled": False,
                 "distributed.admin.tick.interval": "500ms",
                 "distributed.admin.system-monitor.interval": "2s",
                 "distributed.worker.memory.monitor-interval": "500ms"}  # fmt: skip
_PRE_SPAWN = "distributed.nanny.pre-spawn-environ."
#: Environment variables the workers must not have (:data:`WORKER_CONFIG` sets them to None).
UNSET_ENVIRON = tuple(key[len(_PRE_SPAWN) :] for key, value in WORKER_CONFIG.items()
                      if key.startswith(_PRE_SPAWN) and value is None)  # fmt: skip


def _disconnect(client, cluster, own_client: bool) -> None:
    """Close what :func:`_connect` opened (the client, a local cluster and its log quieting)."""
    if own_client:
        client.close()
    if cluster is not None:
        cluster.close()
        logging.getLogger("distributed").setLevel(cluster.tvb_ngnmm_log_level)


@contextlib.contextmanager
def local_cluster(n_workers: int | None = None):
    """The local Dask cluster :func:`sweep` and :func:`~.fit.fit` start, kept for several calls.

    Each call given ``client=`` uses it instead of starting and closing its own: a fit, its
    validation and the per-subject fits of a study on one cluster.

    Parameters
    ----------
    n_workers : int, optional
        Worker processes (>= 1), one thread each; default ``min(2, os.cpu_count())``.

    Yields
    ------
    distributed.Client
        Closed, with the cluster and its workers, when the ``with`` block ends (also on an
        error or Ctrl-C).

    Examples
    --------
    >>> with local_cluster(2) as client:
    ...     result = fit(sim, objective, bounds, client=client)
    ...     table = result.validate(sim, client=client)
    """
    if n_workers is not None and (isinstance(n_workers, bool) or not isinstance(n_workers, int)
                                  or n_workers < 1):  # fmt: skip
        raise ValueError("Invalid value for the 'n_workers' parameter. Allowed values are None "
                         f"or integers >= 1, but got {n_workers!r} instead.")  # fmt: skip
    start_fork_server(None, n_workers)
    client, cluster, own = _connect(None, n_workers)
    try:
        yield client
    finally:
        _disconnect(client, cluster, own)


def _local_cluster(distributed, n_workers: int):
    """Worker processes (one thread each), forked by a fork server on Linux.

    The fork server (:func:`start_fork_server`) is a single-threaded process that has
    :data:`WORKER_PRELOAD` imported: a fork of this process made before it imported Dask, or a
    fresh interpreter; each worker is forked from it, with those imports, in a fraction of a
    second. Workers are not forked from this process once Dask runs in it: a fork copies locks
    held by its other threads (Dask's event loop), and a worker forked that way can wait on one
    for ever. Elsewhere (macOS, Windows) workers are spawned and import what they need.
    """
    # deferred: an optional extra (explore), imported with distributed
    import dask  # noqa: PLC0415

    method = "forkserver" if start_fork_server() else (
        dask.config.get("distributed.worker.multiprocessing-method")
    )  # fmt: skip
    with dask.config.set({"distributed.worker.multiprocessing-method": method, **WORKER_CONFIG}):
        return distributed.LocalCluster(
            n_workers=n_workers, threads_per_worker=1, processes=True, dashboard_address=None,
            scheduler_kwargs={"dashboard_address": ":0"},  # its HTTP routes: any free port
        )  # fmt: skip


def start_fork_server(sim=None, n_workers: int | None = None) -> bool:
    """Start the local cluster's fork server (Linux; False elsewhere) if it is not running.

    From a process running one thread it is forked from this process (:mod:`._forkserver`),
    which has TVB and the engine imported, and loads the kernel of ``sim``'s model before it
    forks a worker; otherwise it is a new interpreter importing :data:`WORKER_PRELOAD` (1.6-1.8
    s). Either way its work overlaps what this process does before the cluster starts
    (:func:`sweep` and :func:`~tvb_ngnmm.explore.fit` call it first thing): it is started before
    this process imports Dask (0.7 s, and Dask's own preload list imports more); Dask's nannies
    later fork their workers from the server already running, whose preload is a superset of
    Dask's.
    """
    if sys.platform != "linux":
        return False
    warm_up = None if sim is None else functools.partial(_load_kernel, sim)
    n_workers = n_workers or min(2, os.cpu_count() or 1)
    _forkserver.ensure_running(WORKER_PRELOAD, warm_up, n_workers, UNSET_ENVIRON)
    return True


def _load_kernel(sim) -> None:
    """Run ``sim`` for one step through ``run_batch`` (its kernel is then in memory)."""
    spec = extract(sim)
    values = {spec.parameter_names[0]: spec.params[0][np.newaxis]}
    run_batch(sim, values, sim.integrator.dt, n_jobs=1, progress=False)


def _check_not_bootstrapping() -> None:
    """Refuse to start a cluster from a process that is re-running a script as it starts."""
    main = sys.modules.get("__main__")
    if multiprocessing.parent_process() is not None and main.__name__ == "__mp_main__":
        raise RuntimeError(
            "sweep() would start a local Dask cluster from a worker process that is importing "
            "the script that started it: keep the script's top level under "
            "'if __name__ == \"__main__\":' (worker processes import it again), or pass a "
            "client."
        )


def _batches(design, config: list, batch_size: int) -> list:
    """``[(settings, point indices)]``: points grouped by configuration, cut into batches."""
    groups: dict = {}
    for k in range(design.n_point):
        key = tuple(float(design.values[name][k]) for name in config)
        groups.setdefault(key, []).append(k)
    batches = []
    for key, members in groups.items():
        settings = dict(zip(config, key, strict=True))
        for start in range(0, len(members), batch_size):
            batches.append((settings, np.array(members[start : start + batch_size])))
    return batches


def _auto_batch_size(sim, n_steps: int, n_point: int, n_workers: int) -> int:
    """Points per task: about five seconds of work and at least eight tasks per worker (the
    shorter the last tasks, the closer together the workers finish: SWEEP-64 on 2 workers in
    tasks of 4 points against 8, 9.3-9.7 s against 9.8-10.7 s, medians of interleaved rounds),
    in whole groups of ``run_batch`` (its members share each delayed read), which are split only
    when fewer than four tasks per worker would be left otherwise."""
    conn = sim.connectivity
    group = default_group_size(len(sim.model.cvar), conn.number_of_regions, conn.horizon)
    per_member = SECONDS_PER_NODE_STEP * n_steps * conn.number_of_regions
    by_time = max(1, int(5.0 / max(per_member, 1e-9)))
    balanced = max(1, n_point // (8 * n_workers))
    at_least = max(1, n_point // (4 * n_workers))
    size = max(min(by_time, balanced), min(group, at_least))
    return size if size < group else size - size % group


def point_seed(seed: int, point: int) -> int:
    """The noise seed of design point ``point`` of a sweep seeded with ``seed``: its noise does
    not depend on which other points share its task (nor on ``batch_size``)."""
    return int(np.random.SeedSequence([seed, point]).generate_state(1)[0])


def run_task(recipe, settings, values, points, simulation_length, measures, raw, seed):
    """One batch on a worker: ``run_batch``, then the measures of each member.

    The result also holds the worker's wall seconds spent building the simulator (once per group
    and worker), simulating and reducing, its CPU seconds and when the task started (``time.time``)
    (``'seconds'``; not stored).
    """
    started_at = time.time()
    started, cpu = time.perf_counter(), time.process_time()
    sim = simulator_for(recipe, settings)
    built = time.perf_counter()
    member_seeds = None if seed is None else [point_seed(seed, int(p)) for p in points]
    outputs = run_batch(sim, values, simulation_length, n_jobs=1, seed=member_seeds,
                        progress=False)  # fmt: skip
    simulated = time.perf_counter()
    blown = outputs[0].blown_up.values
    labels = list(sim.connectivity.region_labels)
    regions = [labels.index(r) if b else -1
               for r, b in zip(outputs[0].blow_up_region.values, blown, strict=True)]  # fmt: skip
    per_member = [None if blown[b] else reduce_member([o.isel(member=b) for o in outputs], measures)
                  for b in range(len(points))]  # fmt: skip
    result = {"points": points, "blown_up": blown, "blow_up_time": outputs[0].blow_up_time.values,
              "blow_up_region_index": np.array(regions), "values": {}, "coords": {}}  # fmt: skip
    finite = [m for m in per_member if m is not None]
    for name, first in finite[0].items() if finite else ():
        stacked = np.stack([np.full(first.shape, np.nan) if m is None else m[name].values
                            for m in per_member])  # fmt: skip
        result["values"][name] = (first.dims, first.shape, dict(first.attrs), stacked)
    if raw:
        for m, output in enumerate(outputs):
            dims = (f"time_{m}", f"state_variable_{m}", output.dims[-1])
            name = f"raw_{output.name}"
            result["values"][name] = (dims, output.shape[1:], {"units_time": "ms"}, output.values)
            result["coords"][dims[0]] = output.time.values
            result["coords"][dims[1]] = np.asarray(output.state_variable.values, dtype=str)
    result["seconds"] = {"build": built - started, "simulate": simulated - built,
                         "reduce": time.perf_counter() - simulated,
                         "cpu": time.process_time() - cpu, "started_at": started_at}  # fmt: skip
    return result


def _units(sim, design, regional: dict) -> dict:
    """``{name: unit}`` of a design's names; a heterogeneous parameter's base and coefficients
    take the parameter's unit (the maps are taken as dimensionless)."""
    units = {}
    for name in design.names:
        parameter = regional.get(name, (name,))[0]
        given = design.units.get(name, design.units.get(parameter))
        units[name] = given if given is not None else default_unit(sim, parameter)
    return units


def _template(sim, design, units: dict):
    """Coordinates, ``done`` and the blow-up record of a new store."""
    n = design.n_point
    coords = {"region": np.asarray(sim.connectivity.region_labels, dtype=str)}
    for name, value in design.values.items():
        dims = ("point",) if value.ndim == 1 else ("point", "region")
        coords[name] = (dims, value, {"units": units[name]})
    data = {
        "done": ("point", np.zeros(n, dtype=bool)),
        "blown_up": ("point", np.zeros(n, dtype=bool)),
        "blow_up_time": ("point", np.full(n, np.nan), {"units": "ms"}),
        "blow_up_region_index": ("point", np.full(n, -1, dtype=np.int64)),
    }
    return xr.Dataset(data, coords=coords)


def _check_design_values(sim, spec, design, batch_names: list) -> None:
    """The batch parameters' values, checked as ``run_batch`` checks them (per-region shapes)."""
    if batch_names:  # a design of configuration parameters only has none
        checked_swept_values(sim, spec, {name: design.values[name] for name in batch_names})
    _check_group_parameters(sim, design, batch_names)
    for name, value in design.values.items():
        if name not in batch_names and value.ndim != 1:
            raise ValueError(
                f"Invalid value for the 'design' parameter. Allowed for the configuration "
                f"parameter {name!r} is one value per point, but got shape {value.shape}."
            )
        if name not in batch_names:
            check_setting_values(sim, name, value)
        if name not in batch_names and is_whole_number_setting(sim, name):
            fractional = value[value != np.round(value)]
            if fractional.size:
                raise ValueError(
                    f"Invalid value for the swept parameter {name!r}. Allowed are whole "
                    f"numbers, but got {fractional[0]!r} instead."
                )


def _check_run_settings(store, batch_size, n_workers, raw, retries) -> None:
    """The settings of a sweep's run, as its parameters name them."""

    def bad(name, allowed, value):
        return ValueError(f"Invalid value for the {name!r} parameter. Allowed {allowed}, but got "
                          f"{value!r} instead.")  # fmt: skip

    for name, value in (("batch_size", batch_size), ("n_workers", n_workers)):
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1
        ):
            raise bad(name, "are None or integers >= 1", value)
    if isinstance(retries, bool) or not isinstance(retries, int | np.integer) or retries < 0:
        raise bad("retries", "are integers >= 0", retries)
    if not isinstance(raw, bool | np.bool_):
        raise bad("raw", "are True or False", raw)
    if not isinstance(store, str | os.PathLike):
        raise bad("store", "is the path of a zarr store (a folder, str or Path)", store)


def checked_simulation_length(sim, simulation_length) -> float:
    """The length of each run (ms), ``sim.simulation_length`` if None: finite, and at least the
    longest sampling period of the monitors (so that each gives a sample to measure)."""
    if simulation_length is not None and (
        isinstance(simulation_length, bool)
        or not isinstance(simulation_length, int | float | np.integer | np.floating)
    ):
        raise ValueError(
            "Invalid value for the 'simulation_length' parameter. Allowed are None or numbers "
            f"(ms), but got {simulation_length!r} instead."
        )
    length = float(sim.simulation_length if simulation_length is None else simulation_length)
    n_steps_for(sim, length)  # finite and >= 0
    periods = {type(m).__name__: float(getattr(m, "period", sim.integrator.dt))
               for m in sim.monitors}  # fmt: skip
    name = max(periods, key=periods.get)
    if length < periods[name]:
        raise ValueError(
            "Invalid value for the 'simulation_length' parameter. Allowed are lengths of at "
            f"least the longest sampling period of the monitors ({periods[name]:g} ms, {name}), "
            f"but got {length!r} instead."
        )
    return length


def _check_group_parameters(sim, design, batch_names: list) -> None:
    """A ``MixedModel``'s swept ``'group.parameter'`` within the domain its group's model
    declares (``run_batch`` checks them only for finiteness)."""
    models = getattr(sim.model, "models", None)
    for name in batch_names if isinstance(models, dict) else ():
        group, _, parameter = name.partition(".")
        model = models.get(group)
        if isinstance(model, AbstractNextGenModel):
            model.check_parameter(parameter, design.values[name], f" (group {group!r}, swept)")


def _batch_values(spec, design, batch_names: list, points: np.ndarray) -> dict:
    """The ``run_batch`` parameters of some points (the first model parameter if none swept)."""
    if batch_names:
        return {name: design.values[name][points] for name in batch_names}
    first = spec.parameter_names[0]
    return {first: np.repeat(spec.params[0][np.newaxis], len(points), axis=0)}


def _keep(recipe):
    """The recipe, as a task's result (the scheduler can compute it again if a worker dies)."""
    return recipe


#: Largest pickled recipe sent with every task. A recipe held as one task's result pulls the
#: tasks that need it to the worker that computed it: on SWEEP-64 the second worker started its
#: first task 0.8 s after the first (the scheduler's work stealing), against together when every
#: task carries the recipe (EI-90's pickles to 1.4 MB). Larger recipes (networks of many
#: hundreds of regions) are sent once, as a task's result.
INLINE_RECIPE_BYTES = 4 * 2**20


def _shared_recipe(client, recipe):
    """``recipe`` itself when small enough to travel with every task, else a future of it."""
    if len(pickle.dumps(recipe, protocol=pickle.HIGHEST_PROTOCOL)) <= INLINE_RECIPE_BYTES:
        return recipe
    return client.submit(_keep, recipe, pure=False)


def sweep(
    sim,
    design,
    measures,
    store,
    simulation_length: float | None = None,
    client=None,
    n_workers: int | None = None,
    batch_size: int | None = None,
    retries: int = 2,
    raw: bool = False,
    progress: bool = True,
    seed: int | None = None,
    history_seed: int | None = 0,
    *,
    spec: SimulationSpec | None = None,
    maps: dict | None = None,
):
    """Run a design of parameter sets of a configured simulator on Dask into a zarr store.

    Running again with the same store computes only the points not yet done, to the bit as an
    uninterrupted sweep would; a store written with another simulator, initial state, design or
    settings is refused.

    Parameters
    ----------
    sim : tvb.simulator.simulator.Simulator
        A configured simulator (its parameters are the defaults of every point).
    design : Design, dict or list
        :func:`grid`, :func:`points` or :func:`sobol` (a dict is a grid, a list of dicts the
        points). Names: the model's parameters and ``'a'`` (swept within a batch, one value or
        one per region), ``'conduction_speed'`` (mm/ms), ``'noise_amplitude'`` (the noise's
        ``nsig`` of the state variables the configured noise reaches; the others stay
        without), or a dotted path: a numeric parameter of the coupling (``'coupling.b'``),
        ``'integrator.dt'``, ``'integrator.noise.nsig'``, ``'integrator.noise.noise_seed'``,
        ``'connectivity.weights'``, ``'connectivity.tract_lengths'`` or
        ``'connectivity.speed'`` (what ``configure()`` derives from these, such as the delays,
        cannot be set; nor can a ``MixedModel``'s ``'group'``).
    measures : str, callable, list or dict
        Names in :data:`~tvb_ngnmm.explore.reduce.MEASURES` (``'fc'``, ``'fcd'``,
        ``'peak_frequency'``, ``'mean_rate'``, ``'bold_fc'``, ``'kuramoto'``), callables
        ``f(outputs)``, or ``{name: options}``; applied to each point on the worker.
    store : str or Path
        The zarr store (a directory), created or resumed.
    simulation_length : float, optional
        Length of each run (ms); default ``sim.simulation_length``.
    client : None, distributed.Client or str
        None starts a ``LocalCluster`` (worker processes, one thread each) and closes it at the
        end; a client or a scheduler address ``'tcp://host:port'`` uses that cluster. On Linux
        the workers are forked by a fork server that imported TVB and the models once; elsewhere
        they are spawned and import the script that created them again, so a script that starts a
        local cluster keeps its top level under ``if __name__ == "__main__":`` (as for any
        ``multiprocessing`` program); a sweep started from such a re-import is refused.
    n_workers : int, optional
        Workers of the local cluster (default ``min(2, cpu_count)``).
    batch_size : int, optional
        Points per task; default whole groups of ``run_batch`` of about five seconds of
        work, at least eight tasks per worker (four if that would split a group).
    retries : int
        Times a task that raised is run again before its points are given up.
    raw : bool
        Also store the monitors' time series (``raw_<Monitor>``).
    progress : bool
        Show a progress bar of the points.
    seed : int, optional
        Noise (stochastic integrators): None, the simulator's own stream for every point (as
        ``run_batch``); an int, independent noise per point from ``seed`` and the point's
        index (:func:`point_seed`), whatever the batching.
    history_seed : int or None, optional
        Where every point starts. An int (default 0): from a simulator of ``sim``'s parts
        configured by :func:`~tvb_ngnmm.seeding.configure_seeded` (its random initial
        history drawn from ``np.random.default_rng(history_seed)``, its ``initial_conditions``
        kept, the noise stream ``RandomState(noise_seed)`` from its start): the same numbers in
        every process and on resume, whoever configured ``sim``. None: from ``sim``'s own
        initial history, state and noise stream (as ``run_batch(sim, ...)``); they are part of
        the store's fingerprint, so a simulator configured again (TVB draws another random
        history from NumPy's global generator at every ``configure()``) cannot resume the
        store. ``sim`` is not changed either way.
    spec : SimulationSpec, optional
        ``sim`` as the engine read it (:func:`~tvb_ngnmm.engine.spec.extract`), from a caller
        that has read and checked it already (the command line, each generation of a fit):
        taken as it is. Default: read here.
    maps : dict, optional
        Regional heterogeneity (:mod:`.heterogeneity`): ``{parameter: {map name: array of one
        value per region}}``. The design then names ``'parameter.base'`` and
        ``'parameter.<map name>'`` (coefficients, 0 if not swept; the base defaults to the
        simulator's value), and each point runs ``base + Σ_k c_k · map_k`` per region, which
        the store records as the coordinate ``parameter`` (point, region).

    Returns
    -------
    xarray.Dataset
        The whole store (dims ``point`` and the measures' own), with per-point ``done``,
        ``blown_up``, ``blow_up_time`` (ms) and ``blow_up_region``; ``attrs['tasks_run']`` and
        ``attrs['points_run']`` count what this call computed; ``attrs`` also hold the seeds
        (``history_seed``, ``noise_seed``, ``seed``: an int or ``'none'``) and
        ``initial_state_sha256`` (of the history, state and noise stream the points start from).

    Raises
    ------
    ValueError
        Unknown parameter names or measures, bad values, a store of another configuration, an
        unreachable scheduler: each names what was allowed and what was given.
    RuntimeError
        When tasks still fail after ``retries`` (the other points are stored), or when a local
        cluster would be started from a process that is itself starting (see ``client``).
    """
    if client is None:
        _check_not_bootstrapping()
        start_fork_server(sim, n_workers)
    measures = as_measures(measures)
    spec = checked_spec(sim, spec)
    maps = checked_maps(spec, maps)
    design, recorded = expanded(spec, maps, as_design(design))
    batch_names, config_names = classify(sim, spec, design.names)
    _check_design_values(sim, spec, design, batch_names)
    _check_run_settings(store, batch_size, n_workers, raw, retries)
    check_seed(seed, allow_generator=False)
    check_history_seed(history_seed)
    simulation_length = checked_simulation_length(sim, simulation_length)
    n_steps = n_steps_for(sim, simulation_length)
    reserved = {*STORE_VARIABLES, *recorded.names, *(f"raw_{type(m).__name__}" for m in sim.monitors
                                                   if raw)}  # fmt: skip
    check_measures(spec, measures, simulation_length, reserved)
    SweepStore.check_path(store)
    units = _units(sim, recorded, swept_names(maps))
    description = simulator_description(sim)
    source = sim if history_seed is None else seeded_simulator(sim, history_seed)
    recipe = SimulatorRecipe.from_simulator(source)
    initial_state = recipe.initial_state_digest()
    template = _template(sim, recorded, units).assign_attrs(
        simulator=json.dumps(description, default=str), simulation_length=simulation_length,
        units_time="ms", design_kind=design.kind, grid_shape=list(design.shape or ()),
        measures=[m[0] for m in measures], **seed_attributes(sim, history_seed),
        seed="none" if seed is None else int(seed), initial_state_sha256=initial_state,
    )  # fmt: skip
    run_settings = {"measures": describe_measures(measures),
                    "simulation_length": simulation_length, "raw": bool(raw),
                    "seed": seed}  # fmt: skip
    fingerprints = {"simulator": digest(description), "design": recorded.fingerprint(),
                    "run": digest(run_settings),
                    "initial_state": digest({"history_seed": history_seed,
                                             "state": initial_state})}  # fmt: skip
    sweep_store = None
    if client is None:  # opened (or refused) while the fork server is still importing
        sweep_store = SweepStore.open(store, template, fingerprints)
    client, cluster, own_client = _connect(client, n_workers)
    try:
        if sweep_store is None:  # a scheduler that cannot be reached leaves no store behind
            sweep_store = SweepStore.open(store, template, fingerprints)
        done = sweep_store.done()
        workers = max(1, len(client.scheduler_info()["workers"]))
        if batch_size is None:
            batch_size = _auto_batch_size(sim, n_steps, design.n_point, workers)
        todo = [(s, p) for s, p in _batches(design, config_names, batch_size) if not done[p].all()]
        recipe = _shared_recipe(client, recipe)

        def submit(settings, points):
            values = _batch_values(spec, design, batch_names, points)
            return client.submit(run_task, recipe, settings, values, points, simulation_length,
                                 measures, raw, seed, retries=retries, pure=False)  # fmt: skip

        counts = _run_tasks(
            todo,
            submit,
            sweep_store,
            design.n_point,
            batch_size,
            window=2 * workers,
            progress=progress,
            already=int(done.sum()),
        )
    finally:
        _disconnect(client, cluster, own_client)
    result = sweep_store.load()
    result.attrs.update(tasks_run=counts[0], points_run=counts[1])
    return result


def _run_tasks(todo, submit, store, n_point, chunk, window, progress, already) -> tuple:
    """Submit at most ``window`` tasks at a time, write each result as it arrives.

    Returns (tasks written, points written). Ctrl-C cancels the tasks in flight and keeps what
    was written (a ``RuntimeWarning`` says how much); tasks failing after their retries raise.
    """
    # deferred: an optional extra (explore)
    from distributed import as_completed  # noqa: PLC0415

    queue = iter(todo)
    in_flight, failures, written = {}, [], [0, 0]
    bar = tqdm(total=n_point, initial=already, unit="point", desc="sweep", disable=not progress)
    finished = as_completed()

    def submit_next():
        for settings, points in queue:
            future = submit(settings, points)
            in_flight[future] = points
            finished.add(future)
            return

    try:
        for _ in range(window):
            submit_next()
        for future in finished:
            points = in_flight.pop(future)
            if future.status == "error":
                failures.append((points, future.exception()))
            else:
                store.write(future.result(), n_point, chunk)
                written[0] += 1
                written[1] += len(points)
                bar.update(len(points))
            future.release()
            submit_next()
    except KeyboardInterrupt:
        for future in in_flight:
            future.cancel()
        _warn_interrupted(store.done(), written)
    finally:
        bar.close()
    if failures:
        points = np.concatenate([p for p, _ in failures])
        raise RuntimeError(
            f"{len(failures)} task(s) failed after their retries, points {points.tolist()}; the "
            f"other points are in the store (run again to retry these). First error: "
            f"{failures[0][1]!r}"
        ) from failures[0][1]
    return tuple(written)


def _warn_interrupted(done: np.ndarray, written: list) -> None:
    warnings.warn(
        f"Sweep interrupted: {int(done.sum())} of {done.size} points are done ({written[1]} in "
        "this run); run again with the same store to compute the rest.",
        RuntimeWarning,
        stacklevel=4,
    )
