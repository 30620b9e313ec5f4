r"""Many parameter sets of one network at once: :func:`run_batch`.

B members share the network, delays, integrator, initial history and monitors, and differ in
model parameters and/or the coupling gain ``a``. The kernel carries the batch as the last axis
of every array, so each delayed read of the history ring serves all members of a group
(consecutive floats) and the node updates are vectorised over them. The members are split into
groups of at most ``group_size`` (a group's history ring grows with its size; beyond about 8
members of a 90-region network with 30 ms delays it no longer fits the core's cache and the
delayed reads slow down), and ``n_jobs`` threads run the groups (the compiled kernel releases
the GIL). A member whose state becomes non-finite is flagged
(``blown_up``, ``blow_up_time``, ``blow_up_region``) and stops; the others go on.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor, as_completed

import numpy as np

from .noise import NoiseSource
from .runner import initial_state, simulate
from .spec import extract


def _batch_arrays(spec, parameters: dict) -> tuple[np.ndarray, np.ndarray, int]:
    """Per-member parameters (n_par, n_node, B) and gains (n_cvar, n_node, B)."""
    n_node = spec.n_node
    allowed = (*spec.parameter_names, "a")
    sizes = set()
    values = {}
    for name, value in parameters.items():
        if name not in allowed:
            raise ValueError(
                f"Invalid value for the 'parameters' parameter. Allowed names are "
                f"{', '.join(repr(a) for a in allowed)}, but got {name!r} instead."
            )
        arr = np.asarray(value, dtype=float)
        if arr.ndim == 1:
            arr = np.repeat(arr[:, np.newaxis], n_node, axis=1)
        if arr.ndim != 2 or arr.shape[1] != n_node or not np.all(np.isfinite(arr)):
            raise ValueError(
                f"Invalid value for the parameter {name!r}. Allowed are finite arrays of shape "
                f"(B,) or (B, {n_node}), but got shape {np.shape(value)}."
            )
        sizes.add(arr.shape[0])
        values[name] = arr
    if len(sizes) != 1:
        raise ValueError(
            "Invalid value for the 'parameters' parameter. Allowed are arrays with the same "
            f"number of members B, but got {sorted(sizes) or 'no parameters'}."
        )
    batch = sizes.pop()
    params = np.repeat(spec.params[..., np.newaxis], batch, axis=-1)
    gain = np.repeat(spec.coupling.gain[..., np.newaxis], batch, axis=-1)
    for name, arr in values.items():
        if name == "a":
            gain[:] = arr.T[np.newaxis]
        else:
            params[spec.parameter_names.index(name)] = arr.T
    return params, gain, batch


def _run_group(sim, spec, params, gain, n_steps, rngs, chunk_steps, progress):
    state = initial_state(spec, params, gain)
    from .monitors import make_monitors

    monitors = make_monitors(sim, spec, batch=params.shape[-1])
    noise = NoiseSource(sim, spec.stochastic, batch=len(rngs), members=rngs)

    def all_blown_up(run_state, done):
        return bool(np.all(run_state.status[0] >= 0))

    outputs, _ = simulate(
        spec, state, monitors, n_steps, noise, chunk_steps, progress, on_chunk=all_blown_up
    )
    return [outputs, state.status]  # a list, so the caller can drop the data once copied


def run_batch(
    sim,
    parameters: dict,
    simulation_length: float | None = None,
    n_jobs: int | None = None,
    seed=None,
    chunk_steps: int | None = None,
    progress: bool | None = None,
    group_size: int = 8,
) -> list:
    """Run B parameter sets of a configured simulator at once.

    Parameters
    ----------
    sim : tvb.simulator.simulator.Simulator
        A configured simulator (its parameters are the defaults of every member).
    parameters : dict
        ``{name: values}`` with ``values`` of shape (B,) or (B, n_node); names are the model's
        parameters or ``'a'``, the coupling gain (it replaces the gain of every coupling
        variable).
    simulation_length : float, optional
        Length (ms); default ``sim.simulation_length``.
    n_jobs : int, optional
        Threads running the member groups; default one per CPU core.
    seed : int, optional
        Seed of the members' noise (stochastic integrators).
    chunk_steps, progress
        As for :class:`~tvb_ngnmm.backend.NumbaBackend` (with several groups, the progress bar
        counts finished groups).
    group_size : int
        Most members run together in one kernel call.

    Returns
    -------
    list of xarray.DataArray
        One per monitor, dims ``(member, time, state_variable, region)``, with the parameters as
        coordinates on ``member`` and per-member ``blown_up``, ``blow_up_time`` (ms, NaN when
        finite) and ``blow_up_region``.
    """
    from ..backend import n_steps_for

    spec = extract(sim)
    params, gain, batch = _batch_arrays(spec, parameters)
    n_steps = n_steps_for(sim, simulation_length)
    if int(group_size) < 1:
        raise ValueError(
            "Invalid value for the 'group_size' parameter. Allowed are integers >= 1, but got "
            f"{group_size!r} instead."
        )
    if n_jobs is None:
        n_jobs = os.cpu_count() or 1
    n_jobs = max(1, min(int(n_jobs), batch))
    n_groups = max(n_jobs, -(-batch // int(group_size)))
    groups = np.array_split(np.arange(batch), n_groups)
    rngs = [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(batch)]
    show = _progress_flag(progress, n_steps, n_groups)
    bar = None
    if show and n_groups > 1:
        from tqdm.auto import tqdm

        bar = tqdm(total=n_groups, unit="group", desc="simulating")
    times = [None] * len(sim.monitors)
    data = [None] * len(sim.monitors)  # (time, voi, region, member), filled group by group
    status = np.full((3, batch), -1, dtype=np.int64)
    with ThreadPoolExecutor(max_workers=n_jobs) as pool:
        futures = {
            pool.submit(_run_group, sim, spec, params[..., g], gain[..., g], n_steps,
                        [rngs[b] for b in g], chunk_steps, show if n_groups == 1 else False): g
            for g in groups
        }  # fmt: skip
        for future in as_completed(futures):
            g = futures[future]
            result = future.result()
            pieces, status[:, g] = result
            result.clear()  # the future keeps its result: let the group's arrays go
            for m, (chunk_times, chunks) in enumerate(pieces):
                if data[m] is None:
                    times[m] = np.concatenate(chunk_times) if chunk_times else np.zeros(0)
                    shape = (len(times[m]), len(sim.monitors[m].voi), spec.n_node, batch)
                    data[m] = np.empty(shape)  # member last: chunks copy in whole rows
                _store_group(data[m], chunks, g)
            del pieces
            if bar is not None:
                bar.update(1)
    if bar is not None:
        bar.close()
    return [
        _to_xarray(spec, sim.monitors[m], times[m], data[m], parameters, status)
        for m in range(len(sim.monitors))
    ]


def _store_group(data: np.ndarray, chunks: list, members: np.ndarray) -> None:
    """Copy a group's chunks ``(time, voi, region, b)`` into ``data[..., members]``."""
    start = 0
    members = slice(members[0], members[-1] + 1)  # groups are consecutive members
    for chunk in chunks:
        data[start : start + len(chunk), ..., members] = chunk
        start += len(chunk)


def _progress_flag(progress, n_steps: int, n_groups: int) -> bool | None:
    """``progress`` as given; by default a bar for runs long enough to want one."""
    if progress is not None or n_groups == 1:
        return progress
    return n_steps * n_groups > 200_000


def _to_xarray(spec, monitor, times, data, parameters, status):
    import xarray as xr

    names = [spec.state_variables[spec.observed[v]] for v in monitor.voi]
    coords = {"time": times, "state_variable": names, "region": list(spec.labels)}
    for name, value in parameters.items():
        arr = np.asarray(value, dtype=float)
        coords[name] = ("member", arr) if arr.ndim == 1 else (("member", "region"), arr)
    blown = status[0] >= 0
    coords["blown_up"] = ("member", blown)
    coords["blow_up_time"] = ("member", np.where(blown, status[0] * spec.dt, np.nan))
    regions = np.array(spec.labels, dtype=object)[np.maximum(status[1], 0)]
    coords["blow_up_region"] = ("member", np.where(blown, regions, ""))
    return xr.DataArray(
        np.moveaxis(data, -1, 0),
        dims=("member", "time", "state_variable", "region"),
        coords=coords,
        name=type(monitor).__name__,
        attrs={"units_time": "ms"},
    )
