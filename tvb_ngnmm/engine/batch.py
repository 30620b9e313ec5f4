r"""Many parameter sets of one network at once: :func:`run_batch`.

B members share the network, delays, integrator, initial history and monitors, and differ in
model parameters and/or the coupling gain ``a``. The kernel carries the batch as the last axis
of every array, so each delayed read of the history ring serves all members of a group
(consecutive floats) and the node updates are vectorised over them. The members are split into
groups of at most ``group_size`` (by default :func:`default_group_size`: a group's history ring
grows with its size, and once the rings of the groups running side by side no longer fit the
shared cache the delayed reads slow down), and ``n_jobs`` threads run the groups (the compiled
kernel releases the GIL). A member whose state becomes non-finite is flagged
(``blown_up``, ``blow_up_time``, ``blow_up_region``) and stops; the others go on. So is a
member whose BOLD monitor's hemodynamics became non-finite (its samples NaN from then on).

Noise (stochastic integrators): with ``seed=None`` every member draws the simulator's own noise
stream (``integrator.noise.random_stream``, copied: the simulator is not touched), as
``run_sim`` and ``sim.run()`` do, so a batch reproduces and member ``k`` equals ``run_sim`` of
the simulator with member ``k``'s parameters: the members differ by their parameters only
(common random numbers). With an integer ``seed`` each member has its own generator
(``SeedSequence(seed).spawn(B)``): independent realisations, e.g. for an ensemble.

Checks before the first step: the simulator's settings (:func:`.checks.check_settings`), and
each swept value with the check the model's ``configure()`` makes (``check_parameter``),
naming the member; unknown names and an empty design are errors.

Interruption: Ctrl-C (``KeyboardInterrupt``, delivered to the main thread) sets a stop flag that
the worker threads read between chunks (a chunk takes milliseconds to a fraction of a second
with the default ``chunk_steps``), groups not yet started are cancelled, and ``run_batch``
returns what was computed, with a ``RuntimeWarning`` saying where it stopped: the time axis
runs to the furthest time any member reached, a member's samples after the time it reached
(coordinate ``computed_until``, ms) are NaN. A second Ctrl-C while the workers stop is raised.
"""

from __future__ import annotations

import numbers
import os
import threading
import warnings
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait

import numpy as np
from tqdm.auto import tqdm

from .._util import check_values
from ..coupling import coupling_declaration
from ..models import AbstractNextGenModel, warn_outside_tvb_domain
from .checks import check_seed, n_steps_for
from .monitors import make_monitors
from .noise import NoiseSource
from .normals import NormalStream
from .runner import initial_state, simulate
from .spec import extract

#: Bytes of history ring per group aimed at by :func:`default_group_size`. Measured on EI-90
#: (1.15 MB of ring per member) with two threads: SWEEP-64 in groups of 3 or 4 members takes
#: about 15 % less time than in groups of 8 (9.2 MB each), and groups of 2 no less.
GROUP_RING_BYTES = 5 * 2**20
#: Most members per group by default (beyond it the node updates gain nothing more).
MAX_GROUP_SIZE = 8


def default_group_size(n_channel: int, n_node: int, horizon: int) -> int:
    """Members per group whose history ring (``n_channel * n_node * horizon`` float32 per member)
    stays within :data:`GROUP_RING_BYTES`; between 1 and :data:`MAX_GROUP_SIZE`."""
    per_member = 4 * max(1, n_channel) * max(1, n_node) * max(1, horizon)
    return int(min(MAX_GROUP_SIZE, max(1, GROUP_RING_BYTES // per_member)))


def _check_member_values(sim, name: str, values: np.ndarray, context: str) -> None:
    """The check ``configure()`` makes of parameter ``name``, for the values of members."""
    model = sim.model
    if name != "a" and isinstance(model, AbstractNextGenModel):
        model.check_parameter(name, values, context)
    elif name != "a" and not context:  # TVB's models: a warning (once for all members)
        warn_outside_tvb_domain(model, name, values, " (swept values)")
    owner = type(sim.coupling if name == "a" else model).__name__
    check_values(values, f"the {name!r} parameter of {owner}{context}")


#: Model parameters that are not parameters: a ``MixedModel``'s group of each region.
NOT_SWEPT = ("group",)


def checked_swept_values(sim, spec, parameters) -> tuple[dict, int]:
    """``{name: (B, n_node) array}`` of the swept parameters, checked, and B."""
    allowed = (*(n for n in spec.parameter_names if n not in NOT_SWEPT), "a")
    if not isinstance(parameters, dict) or not parameters:
        raise ValueError(
            "Invalid value for the 'parameters' parameter. Allowed is a dict of one or more "
            f"swept parameters ({', '.join(repr(a) for a in allowed)}), but got "
            f"{parameters!r} instead."
        )
    values = {}
    for name, value in parameters.items():
        if name == "a" and coupling_declaration(type(sim.coupling)).gain is None:
            raise ValueError(
                "Invalid value for the 'parameters' parameter: 'a' is the coupling gain and "
                f"{type(sim.coupling).__name__} has no gain. Allowed names are "
                f"{', '.join(repr(a) for a in allowed[:-1])}, but got 'a'."
            )
        if name not in allowed:
            why = ""
            if name in NOT_SWEPT and name in spec.parameter_names:
                why = (" ('group' is the MixedModel's assignment of regions to its models, not "
                       "a parameter)")  # fmt: skip
            raise ValueError(
                f"Invalid value for the 'parameters' parameter. Allowed names are "
                f"{', '.join(repr(a) for a in allowed)}, but got {name!r} instead{why}."
            )
        given = np.asarray(value, dtype=float)
        arr = given
        # the gain is one per region (the coupling's nodes, on a surface too), the model's
        # parameters one per node
        n_space = spec.history.shape[1] if name == "a" else spec.n_node
        if arr.ndim == 1:
            arr = np.repeat(arr[:, np.newaxis], n_space, axis=1)
        if arr.ndim != 2 or arr.shape[1] != n_space:
            raise ValueError(
                f"Invalid value for the parameter {name!r}. Allowed are arrays of shape "
                f"(B,) or (B, {n_space}), but got shape {np.shape(value)}."
            )
        if arr.shape[0] == 0:
            raise ValueError(
                f"Invalid value for the parameter {name!r}: the design is empty. Allowed are one "
                "or more members (B >= 1), but got 0 values."
            )
        try:
            _check_member_values(sim, name, given, "")
        except ValueError:  # name the first member at fault
            for b, row in enumerate(given):
                _check_member_values(sim, name, row, f" (batch member {b})")
        values[name] = arr
    sizes = sorted({arr.shape[0] for arr in values.values()})
    if len(sizes) != 1:
        raise ValueError(
            "Invalid value for the 'parameters' parameter. Allowed are arrays with the same "
            f"number of members B, but got {sizes}."
        )
    return values, sizes[0]


def _batch_arrays(sim, spec, parameters: dict) -> tuple[np.ndarray, np.ndarray, int]:
    """Per-member parameters (n_par, n_node, B) and gains (n_cvar, n_node, B)."""
    values, batch = checked_swept_values(sim, spec, parameters)
    params = np.repeat(spec.params[..., np.newaxis], batch, axis=-1)
    gain = np.repeat(spec.coupling.gain[..., np.newaxis], batch, axis=-1)
    for name, arr in values.items():
        if name == "a":
            gain[:] = arr.T[np.newaxis]
        else:
            params[spec.parameter_names.index(name)] = arr.T
    return params, gain, batch


def _warn_if_members_repeat(params: np.ndarray, gain: np.ndarray) -> None:
    """With the shared noise of ``seed=None``, members with equal parameters are equal."""
    rows = np.concatenate([params.reshape(-1, params.shape[-1]), gain.reshape(-1, gain.shape[-1])])
    _, first, counts = np.unique(rows.T, axis=0, return_index=True, return_counts=True)
    if np.any(counts > 1):
        k = int(np.argmax(counts > 1))
        warnings.warn(
            f"{counts[k]} members (the first: member {first[k]}) have the same parameters and, "
            "with seed=None, the same noise (the simulator's own stream), so their outputs are "
            "identical. Pass an integer seed for independent noise per member.",
            RuntimeWarning,
            stacklevel=3,
        )


def _run_group(sim, spec, params, gain, n_steps, rngs, chunk_steps, progress, stop, sink):
    state = initial_state(spec, params, gain)

    monitors = make_monitors(sim, spec, batch=params.shape[-1])
    noise = NoiseSource(sim, spec.stochastic, batch=params.shape[-1], members=rngs)

    def all_blown_up(run_state, done):
        return bool(np.all(_with_monitor_blow_ups(run_state.status, monitors)[0] >= 0))

    _, steps = simulate(
        spec, state, monitors, n_steps, noise, chunk_steps, progress, on_chunk=all_blown_up,
        stop=stop, sink=sink,
    )  # fmt: skip
    return _with_monitor_blow_ups(state.status, monitors), steps


def _with_monitor_blow_ups(status: np.ndarray, monitors: list) -> np.ndarray:
    """``status`` with each member's earliest blow-up, of its state or of a monitor's own
    state (a BOLD monitor's hemodynamics, ``blow_up``: step, region; variable -1)."""
    status = status.copy()
    for monitor in monitors:
        if monitor.blow_up is None:
            continue
        step, region = monitor.blow_up
        earlier = (step >= 0) & ((status[0] < 0) | (step < status[0]))
        status[0, earlier] = step[earlier]
        status[1, earlier] = region[earlier]
        status[2, earlier] = -1
    return status


def run_batch(
    sim,
    parameters: dict,
    simulation_length: float | None = None,
    n_jobs: int | None = None,
    seed=None,
    chunk_steps: int | None = None,
    progress: bool | None = None,
    group_size: int | None = None,
) -> list:
    """Run B parameter sets of a configured simulator at once.

    Every member starts from the simulator's current step, state, history and monitors, and
    the simulator is left as it was (unlike ``run_sim``, a batch does not continue it: its
    members end in different states).

    Parameters
    ----------
    sim : tvb.simulator.simulator.Simulator
        A configured simulator (its parameters are the defaults of every member).
    parameters : dict
        ``{name: values}`` with ``values`` of shape (B,) or (B, n_node), B >= 1; names are the
        model's parameters or ``'a'``, the coupling gain (it replaces the gain of every
        coupling variable). Each value is checked as the model's ``configure()`` checks it.
    simulation_length : float, optional
        Length (ms); default ``sim.simulation_length``.
    n_jobs : int, optional
        Threads running the member groups; default one per CPU core.
    seed : int or sequence of int, optional
        Noise of the members (stochastic integrators): None, the simulator's own noise stream
        for every member (member ``k`` equals ``run_sim`` with its parameters); an int, an
        independent stream per member; one int per member, member ``k``'s stream
        ``NormalStream(seed[k])`` (:mod:`.normals`; its noise then depends on its own seed
        only, not on which other members run with it).
    chunk_steps, progress
        As for :class:`~tvb_ngnmm.backend.NumbaBackend` (with several groups, the progress bar
        counts finished groups).
    group_size : int, optional
        Most members run together in one kernel call; default :func:`default_group_size` of the
        network (4 for EI-90, 8 for networks with short delays).

    Returns
    -------
    list of xarray.DataArray
        One per monitor, dims ``(member, time, state_variable, region)`` (``sensor`` in place
        of ``region`` for sensor monitors), with the parameters as coordinates on ``member``
        (per-region values on ``(member, region)``; for sensor monitors, which have no region
        axis, in the attributes as nested lists) and per-member ``blown_up``, ``blow_up_time``
        (ms, NaN when finite), ``blow_up_region`` and ``computed_until`` (ms; the end of the run
        unless it was interrupted, see the module's docstring).

    Raises
    ------
    ValueError
        Bad swept values (naming the parameter, member, domain and value), an empty design,
        or settings checked before the first step (:mod:`.checks`).
    """
    per_member = seed is not None and not isinstance(seed, numbers.Integral)
    if per_member:
        seed = list(seed) if isinstance(seed, list | tuple | np.ndarray) else [seed]
        for value in seed:
            check_seed(value, allow_generator=False)
    else:
        check_seed(seed, allow_generator=False)
    spec = extract(sim)
    params, gain, batch = _batch_arrays(sim, spec, parameters)
    if per_member and len(seed) != batch:
        raise ValueError(
            "Invalid value for the 'seed' parameter. Allowed are None, an integer or one "
            f"integer per member ({batch}), but got {len(seed)} seeds."
        )
    n_steps = n_steps_for(sim, simulation_length)
    if group_size is None:
        group_size = default_group_size(
            spec.coupling.weights.shape[0], spec.history.shape[1], spec.history.shape[-1]
        )
    if int(group_size) < 1:
        raise ValueError(
            "Invalid value for the 'group_size' parameter. Allowed are integers >= 1, but got "
            f"{group_size!r} instead."
        )
    if spec.stochastic and seed is None:
        _warn_if_members_repeat(params, gain)
    if n_jobs is None:
        n_jobs = os.cpu_count() or 1
    n_jobs = max(1, min(int(n_jobs), batch))
    n_groups = max(n_jobs, -(-batch // int(group_size)))
    groups = np.array_split(np.arange(batch), n_groups)
    rngs = None
    if per_member:
        rngs = [NormalStream(int(s)) for s in seed]
    elif seed is not None:
        rngs = [NormalStream(s) for s in np.random.SeedSequence(seed).spawn(batch)]
    show = _progress_flag(progress, n_steps, n_groups)
    results = _BatchResults(sim, spec, batch, n_steps)
    stop = threading.Event()
    pool = ThreadPoolExecutor(max_workers=n_jobs)
    bar = None
    if show and n_groups > 1:
        bar = tqdm(total=n_groups, unit="group", desc="simulating")
    futures = {
        pool.submit(_run_group, sim, spec, params[..., g], gain[..., g], n_steps,
                    None if rngs is None else [rngs[b] for b in g], chunk_steps,
                    show if n_groups == 1 else False, stop, results.sink(g)): (k, g)
        for k, g in enumerate(groups)
    }  # fmt: skip
    try:
        pending = set(futures)
        while pending:  # a timeout, so that Ctrl-C is seen at once on every platform
            finished, pending = wait(pending, timeout=0.1, return_when=FIRST_COMPLETED)
            for future in finished:
                results.add(*futures[future], future.result())
                if bar is not None:
                    bar.update(1)
    except KeyboardInterrupt:
        _collect_after_interrupt(futures, results, stop)
    finally:
        stop.set()  # after an error in one group, the others end at their next chunk
        pool.shutdown(wait=True, cancel_futures=True)
        if bar is not None:
            bar.close()
    return results.to_xarray(parameters, n_steps)


def _collect_after_interrupt(futures: dict, results, stop: threading.Event) -> None:
    """Stop the workers at their next chunk, cancel the groups not started, keep the rest."""
    stop.set()
    for future in futures:
        future.cancel()
    for future, (k, g) in futures.items():
        if k not in results.stored and not future.cancelled():
            results.add(k, g, future.result())
    results.interrupted = True


def expected_samples(monitor, current_step: int, n_steps: int) -> int:
    """Samples TVB's ``monitor`` gives in the ``n_steps`` steps after ``current_step``: one at
    each step that is a multiple of its ``istep`` (0 for a monitor without one)."""
    istep = int(getattr(monitor, "istep", 0) or 0)
    if istep <= 0:
        return 0
    return (current_step + n_steps) // istep - current_step // istep


class _BatchResults:
    """The members' monitor outputs, written by each group's thread as its chunks come.

    Each monitor's array (member, time, voi, region) is allocated once, for the samples a run of
    ``n_steps`` gives (TVB's monitors sample at the steps that are multiples of their ``istep``),
    without being filled: each group writes its members' samples into it chunk by chunk (no copy
    of the whole output by the calling thread afterwards, no second set of pages). Samples beyond
    that count (a monitor sampling otherwise) are kept aside and added once all groups are done;
    whatever a member did not reach (interruption, group not run) is NaN.
    """

    def __init__(self, sim, spec, batch: int, n_steps: int):
        self.spec, self.batch = spec, batch
        first = spec.current_step
        self.times, self.data = [], []
        for monitor, engine_monitor in zip(sim.monitors, spec.monitors, strict=True):
            rows = expected_samples(monitor, first, n_steps)
            self.times.append(np.full(rows, np.nan))
            self.data.append(np.empty((batch, rows, *engine_monitor.sample_shape)))
        self.written = np.zeros((len(self.data), batch), dtype=np.int64)  # rows per member
        self.extra = [[] for _ in self.data]  # (members, first row, times, samples) beyond
        self.lock = threading.Lock()
        self.status = np.full((3, batch), -1, dtype=np.int64)
        self.steps = np.zeros(batch, dtype=np.int64)
        self.stored = set()
        self.interrupted = False

    def sink(self, members: np.ndarray):
        """``simulate``'s ``sink`` for a group of consecutive ``members``."""
        columns = slice(int(members[0]), int(members[-1]) + 1)

        def write(m: int, times: np.ndarray, samples: np.ndarray) -> None:
            start = int(self.written[m, columns.start])
            end = start + len(times)
            fit = max(0, min(end, len(self.times[m])) - start)  # rows within the allocation
            if fit:
                self.times[m][start : start + fit] = times[:fit]
                self.data[m][columns, start : start + fit] = np.moveaxis(samples[:fit], -1, 0)
            if fit < len(times):
                with self.lock:
                    self.extra[m].append((columns, start + fit, times[fit:].copy(),
                                          samples[fit:].copy()))  # fmt: skip
            self.written[m, columns] = end

        return write

    def add(self, k: int, members: np.ndarray, result: tuple) -> None:
        """Record group ``k``'s (``members``) end: status and steps (its samples are written)."""
        status, steps = result
        self.status[:, members] = status
        self.steps[members] = steps
        self.stored.add(k)

    def _assemble(self, m: int) -> tuple[np.ndarray, np.ndarray]:
        """Monitor ``m``'s times and samples once every group is done; NaN where not reached."""
        times, data, written = self.times[m], self.data[m], self.written[m]
        total = int(written.max(initial=0))
        if total > len(times):  # samples beyond the expected count: add them now
            more = total - len(times)
            times = np.concatenate([times, np.full(more, np.nan)])
            data = np.concatenate([data, np.empty((len(data), more, *data.shape[2:]))], axis=1)
            for columns, start, t, d in self.extra[m]:
                times[start : start + len(t)] = t
                data[columns, start : start + len(t)] = np.moveaxis(d, -1, 0)
        times, data = times[:total], data[:, :total]
        for b in np.flatnonzero(written < total):
            data[b, written[b] :] = np.nan
        return times, data

    def to_xarray(self, parameters: dict, n_steps: int) -> list:
        """One ``xarray.DataArray`` per monitor; warns first if the run was cut short."""
        if self.interrupted and np.any(self.steps < n_steps):
            _warn_interrupted(self.steps, n_steps, self.spec.dt)
        computed_until = (self.spec.current_step + self.steps) * self.spec.dt
        out = []
        for m, monitor in enumerate(self.spec.monitors):
            times, data = self._assemble(m)
            out.append(_to_xarray(self.spec, monitor, times, data, parameters, self.status,
                                  computed_until))  # fmt: skip
        return out


def _warn_interrupted(steps: np.ndarray, n_steps: int, dt: float) -> None:
    full, none = steps == n_steps, steps == 0
    part = ~full & ~none
    reached = ""
    if part.any():
        reached = f" (to {steps[part].min() * dt:g}-{steps[part].max() * dt:g} ms)"
    warnings.warn(
        f"Simulation interrupted: of {steps.size} members, {int(full.sum())} were computed to "
        f"the end ({n_steps * dt:g} ms), {int(part.sum())} in part{reached} and "
        f"{int(none.sum())} not at all; returning what was computed (NaN after the time each "
        "member reached, its 'computed_until').",
        RuntimeWarning,
        stacklevel=4,
    )


def _progress_flag(progress, n_steps: int, n_groups: int) -> bool | None:
    """``progress`` as given; by default a bar for runs long enough to want one."""
    if progress is not None or n_groups == 1:
        return progress
    return n_steps * n_groups > 200_000


def _to_xarray(spec, monitor, times, data, parameters, status, computed_until):
    # deferred: xarray imports pandas (0.5 s); only the labelled outputs need it
    import xarray as xr  # noqa: PLC0415

    coords = {
        "time": times,
        "state_variable": list(monitor.variable_names),
        monitor.space: list(monitor.space_labels),
    }
    attrs = {"units_time": "ms"}
    for name, value in parameters.items():
        arr = np.asarray(value, dtype=float)
        if arr.ndim == 1:
            coords[name] = ("member", arr)
        elif monitor.space in ("region", "vertex") and arr.shape[1] == len(monitor.space_labels):
            # one value per region or node of the output (on a surface a parameter per node and
            # an output per region, or the reverse, go to attrs)
            coords[name] = (("member", monitor.space), arr)
        else:
            attrs[name] = arr.tolist()
    blown = status[0] >= 0
    coords["blown_up"] = ("member", blown)
    coords["blow_up_time"] = ("member", np.where(blown, status[0] * spec.dt, np.nan))
    regions = np.array(spec.labels, dtype=object)[np.maximum(status[1], 0)]
    coords["blow_up_region"] = ("member", np.where(blown, regions, ""))
    coords["computed_until"] = ("member", computed_until)
    return xr.DataArray(
        data,
        dims=("member", "time", "state_variable", monitor.space),
        coords=coords,
        name=type(monitor.monitor).__name__,
        attrs=attrs,
    )
