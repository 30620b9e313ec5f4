r"""The chunked run: Python over chunks, compiled kernel over steps.

A run of ``n_steps`` is cut into chunks of at most ``chunk_steps`` steps (by default a whole
number of coupling blocks whose noise, stimulus and observed states stay within a few MiB, and at
most :data:`MAX_CHUNK_STEPS`).
Per chunk: draw the noise, evaluate the stimulus, run the model's compiled
:func:`.kernel.run_chunk`, form the variables of interest from the state variables it recorded
(:mod:`.observation`), feed the monitors, check for blow-up. A run's only monitor, when it
averages over blocks of steps (:func:`summed_monitor`), gets the block sums the kernel forms as
it steps instead of every step's state. Memory thus depends on the
delay horizon (history ring), the network, the chunk and the monitors' buffers, not on the
simulated length (monitor samples are streamed out per chunk). A ``KeyboardInterrupt`` between
or during chunks ends the run with what was computed so far (and a warning); a run in a worker
thread (``run_batch``) is stopped between chunks by a ``stop`` event instead, as the interrupt
reaches only the main thread.
"""

from __future__ import annotations

import math
import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
from tqdm.auto import tqdm

from . import _ahead
from ._cache import kernel_calls, surface_calls
from .checks import check_stimulus_values
from .coupling import KernelEdges
from .coupling_kernel import VECTOR, ring_slots
from .delays import MAX_BLOCK as K_MAX
from .errors import SimulationInterruptedWarning
from .observation import Observation
from .spec import SimulationSpec
from .surface import initial_region_state

#: Bytes of per-step chunk buffers (noise, stimulus, observed states) aimed at.
CHUNK_BYTES = 8 * 2**20
#: Most steps per chunk: a chunk is also the unit of progress, of a ``stop`` and of the blow-up
#: check (16,384 steps: 0.03 s of EI-90, 0.15-0.25 s of a group of its batch members).
MAX_CHUNK_STEPS = 2**14


@dataclass
class RunState:
    """The mutable arrays of a run, with a batch axis B last."""

    x: np.ndarray  # (n_var, n_node, B) float64
    ring: np.ndarray  # (n_sum, n_node, slots, B) float32: history of the summed channels
    params: np.ndarray  # (n_parameter, n_node, B) float64
    gain: np.ndarray  # (n_cvar, n_node, B) float64
    status: np.ndarray  # (3, B) int64: step, region, state variable of a blow-up, or -1
    # (n_cvar, n_node, H, B) float32: the coupling variables when the ring holds pre channels
    # and the history is kept (:func:`history_after`), else empty; :func:`simulate` has the
    # kernel store them in the chunks of the run's last H steps only
    raw: np.ndarray = field(default_factory=lambda: np.zeros((0, 1, 1, 1), dtype=np.float32))
    # (n_var, n_region, B) float64 on a surface: the coupling variables' region means of the
    # last step (:mod:`.surface_kernel`); else empty
    region_x: np.ndarray = field(default_factory=lambda: np.zeros((0, 1, 1)))
    uniform: bool = False  # every node of every member has the same parameters


def initial_state(
    spec: SimulationSpec, params: np.ndarray, gain: np.ndarray, keep_history: bool = False
) -> RunState:
    """Run arrays from the spec, for a batch of ``params.shape[-1]`` members.

    The ring holds the history's float32 coupling variables, or, for a coupling with a pre
    function, their pre channels (computed once here, then by the kernel as it stores each step).
    With ``keep_history``, the coupling variables of a ring of pre channels are kept as well (in
    ``raw``), so that :func:`history_after` can give TVB's history at the end of the run.
    """
    batch = params.shape[-1]
    x = np.repeat(spec.state[..., np.newaxis], batch, axis=-1)
    n_cvar, n_node, H = spec.history.shape
    edges = spec.coupling.kernel_edges(spec.history.shape[-1])
    # The mirror serves the blocked reads of delayed edges; without them the ring is TVB's.
    slots = H if edges.block is None else ring_slots(H, block_size(spec, edges, batch))
    mirrored = spec.history[:, :, np.arange(slots) % H]  # slot s + H repeats slot s
    hist = np.ascontiguousarray(np.repeat(mirrored[..., np.newaxis], batch, axis=-1))
    c = spec.coupling
    if c.pre is not None:
        ring = np.empty((c.weights.shape[0], n_node, slots, batch), dtype=np.float32)
        c.pre(
            c.parameters,
            hist.reshape(n_cvar, n_node * slots * batch),
            ring.reshape(ring.shape[0], n_node * slots * batch),
        )
        hist = ring
    status = np.full((3, batch), -1, dtype=np.int64)
    run = RunState(x, hist, np.ascontiguousarray(params), np.ascontiguousarray(gain), status)
    if keep_history and c.pre is not None:
        run.raw = np.ascontiguousarray(np.repeat(spec.history[..., np.newaxis], batch, axis=-1))
    if spec.surface is not None:
        run.region_x = initial_region_state(spec, batch)
        run.uniform = bool(np.all(run.params == run.params[:, :1, :1]))
    return run


def history_after(spec: SimulationSpec, state: RunState, member: int = 0) -> np.ndarray:
    """The history ``(n_cvar, n_node, H)`` float32 of ``member`` at the end of a run: slot
    ``s mod H`` holds step ``s``, as TVB's history buffer does (for a coupling with a pre
    function, the run's state must come from ``initial_state(..., keep_history=True)``)."""
    H = spec.history.shape[-1]
    if spec.coupling.pre is not None:
        if state.raw.shape[0] == 0:
            raise RuntimeError("history_after needs initial_state(..., keep_history=True).")
        return state.raw[..., member].copy()
    return state.ring[:, :, :H, member].copy()


def block_size(spec: SimulationSpec, edges: KernelEdges | None = None, batch: int = 1) -> int:
    """Steps per coupling block: ``min(d_min + 1, K_MAX)`` with ``d_min`` the shortest delay of
    the edges summed in blocks (:mod:`.delays`), never more than the history ring holds (a
    block of delayed sums longer than the ring would read slots it overwrites); without such
    edges, :data:`K_MAX`.

    Rounded down, where that leaves at least one, to whole vectors of the summing loops
    (``K * batch`` a multiple of 16 floats: no pass computes sums it throws away).
    """
    if edges is None:
        edges = spec.coupling.kernel_edges(spec.history.shape[-1])
    if edges.block is None:
        return K_MAX
    k_block = max(1, min(edges.block, K_MAX, spec.history.shape[-1]))
    steps_per_vector = VECTOR // math.gcd(VECTOR, batch)
    return max(k_block // steps_per_vector * steps_per_vector, k_block % steps_per_vector)


def chunk_size(
    spec: SimulationSpec,
    batch: int,
    k_block: int,
    requested: int | None,
    n_noisy: int,
    n_obs: int,
    every: int,
) -> int:
    """Steps per chunk: a whole number (at least one) of blocks, at most
    :data:`MAX_CHUNK_STEPS`, whose per-step buffers stay within :data:`CHUNK_BYTES`.

    The buffers are the chunk's normals (``n_noisy`` noisy variables), its stimulus and its
    observed rows (``n_obs`` variables; one row per ``every`` steps when
    the kernel forms a monitor's block sums). Each chunk costs a call of the kernel and of the
    monitors (about 0.3 ms): a deterministic EI-90 batch with block sums has buffers of 0.6 kB
    per step, and took 8-15 % longer in the chunks of 304 steps that counting every variable
    as buffered gave than in chunks of thousands of steps.
    """
    if requested is not None:
        return max(1, int(requested))
    n_var, n_node = spec.state.shape
    per_row = batch * n_node * (n_noisy + n_obs / max(1, every))
    per_step = 8 * (per_row + (n_var * n_node if spec.stimulus is not None else 0) + 1)
    blocks = min(CHUNK_BYTES / (per_step * k_block), MAX_CHUNK_STEPS // k_block)
    return int(max(1, int(blocks)) * k_block)


def chunk_length(done: int, n_steps: int, chunk: int, k_block: int, ramp: bool) -> int:
    """Steps of the chunk of a run that starts after ``done`` steps.

    With ``ramp`` (noise drawn ahead, in a second thread, while the kernel runs the previous
    chunk), the first chunks are shorter: an eighth of a chunk (whole blocks), then each as long
    as all before it, up to ``chunk``. The kernel then waits only for the first eighth's draws
    (TVB's replayed stream on JR-76: 13 ms for a chunk of 8,500 steps, the run's first 0.85 s).
    """
    n = chunk
    if ramp:
        first = max(k_block, chunk // 8 // k_block * k_block)
        n = min(chunk, max(first, done // k_block * k_block))
    return min(n, n_steps - done)


def count_chunks(n_steps: int, chunk: int, k_block: int, ramp: bool) -> int:
    """Chunks of a run (:func:`chunk_length`)."""
    count, done = 0, 0
    while done < n_steps and chunk_length(done, n_steps, chunk, k_block, ramp) < chunk:
        done += chunk_length(done, n_steps, chunk, k_block, ramp)
        count += 1
    return count + math.ceil((n_steps - done) / chunk)


def stimulus_chunk(spec: SimulationSpec, steps: np.ndarray) -> np.ndarray:
    """Stimulus added to dX/dt at ``steps``, (n_steps, n_var, n_node), or empty."""
    stimulus = spec.stimulus
    if stimulus is None:
        return np.zeros((0, 1, 1))
    n_var, n_node = spec.state.shape
    # TVB evaluates the temporal pattern on the grid k * dt, k = step - (current_step + 1).
    times = (steps - (spec.current_step + 1)) * spec.dt
    with np.errstate(over="ignore", invalid="ignore"):  # non-finite values: checked below
        temporal = np.reshape(stimulus.temporal.evaluate(times.reshape(1, -1)), (-1,))
        spatial = np.asarray(stimulus.spatial_pattern, dtype=float)[:, 0]
        out = np.zeros((len(steps), n_var, n_node))
        out[:, spec.stvar] = (spatial[np.newaxis, :] * temporal[:, np.newaxis])[:, np.newaxis]
    check_stimulus_values(out, times)
    return out


def block_rows(phase: int, n_steps: int, every: int) -> int:
    """Rows of ``every`` steps that ``n_steps`` steps touch when the first is the ``phase``-th
    step of its row (the kernel's ``obs_every``, ``obs_phase``)."""
    return -(-(phase + n_steps) // every)


#: No coupling variables kept beside the ring (:func:`initial_state`'s ``keep_history``).
_NO_RAW = np.zeros((0, 1, 1, 1), dtype=np.float32)


def _run_one_chunk(spec, state, edges, noise_index, draws, first, n, k_block, obs_index, every,
                   phase, sums, obs, calls, raw=_NO_RAW):  # fmt: skip
    steps = np.arange(first, first + n)
    obs = obs[: block_rows(phase, n, every)]
    stimulus = stimulus_chunk(spec, steps) if n > 0 else np.zeros((0, 1, 1))
    c, e = spec.coupling, edges
    arguments = (
        spec.scheme, state.x, state.ring, raw, spec.history.shape[-1], first, n, k_block,
        e.middle_block, e.row_start, e.sources, e.idelays, e.weights, e.short_start,
        e.short_sources, e.short_idelays, e.short_weights, e.dense, c.kappa, state.gain,
        c.offset, spec.cvar, c.pre is not None, c.post is not None, c.parameters,
        state.params, spec.lo, spec.hi, spec.dt, draws, noise_index, spec.noise_scale,
        math.sqrt(spec.dt), stimulus, obs_index, every, phase, obs, sums, state.status,
    )  # fmt: skip
    surface = spec.surface
    if surface is None:
        spec.kernel.run_chunk(*arguments, *calls)
    else:
        spec.kernel.run_surface_chunk(
            *arguments, surface.node_region, surface.region_count, state.region_x,
            surface.local_start, surface.local_index, surface.local_weight, surface.n_local,
            surface.local_active, surface.local_plain, state.uniform, *calls,
            *surface_calls(spec.kernel),
        )  # fmt: skip
    return steps, obs


def summed_monitor(monitors: list, observation: Observation | None = None):
    """The run's monitor whose block sums the kernel forms as it steps, or None.

    That is a run's only monitor when it declares a ``block_average`` (TVB's
    ``TemporalAverage``, ``Bold``, the sensor projections, ``BalloonWindkesselBold``, whose drive
    is the signal's mean over each hemodynamic step) and the variables of interest it averages
    are state variables or expressions linear in them (``observation``, the model's; an
    expression such as ``'x2 - x1'`` is then evaluated on the sums, any other is evaluated at
    every step before it is averaged): the kernel then adds each step
    into its block's row (``obs_every``), and the chunk's observed buffer holds a row per block
    instead of a row per step (SWEEP-64: 10 times less to write and read back).
    """
    if len(monitors) != 1:
        return None
    average = getattr(monitors[0], "block_average", None)
    if average is None or average.istep <= 1:
        return None
    if observation is not None and not observation.subset(monitors[0].voi).linear:
        return None
    return monitors[0]


def simulate(spec, state, monitors, n_steps, noise, chunk_steps=None, progress=None,
             on_chunk=None, stop=None, sink=None):  # fmt: skip
    """Run ``n_steps`` steps from ``spec.current_step``; return per-monitor lists of chunks.

    ``stop`` (a ``threading.Event``), when set, ends the run before the next chunk, with what
    was computed (silently: the caller that set it says so). ``sink(m, times, data)``, when
    given, receives each chunk's samples of monitor ``m`` instead of the returned lists (which
    then stay empty): ``run_batch`` writes them straight into the batch's output, as they come.

    Returns
    -------
    outputs : list of (list of times, list of data)
        One pair of lists of chunk arrays per monitor.
    steps : int
        Number of steps the monitors received: ``n_steps``, or less after an interruption or a
        ``stop``. After ``on_chunk(state, done)`` returned True, nothing more is computed but
        the monitors still receive the remaining steps, as NaN (so that every group of a batch
        has the same times).
    """
    batch = state.x.shape[-1]
    edges = spec.coupling.kernel_edges(spec.history.shape[-1])
    k_block = block_size(spec, edges, batch)
    calls = kernel_calls(spec.kernel, spec.coupling, edges)
    compile_first = _ahead.start(spec.kernel, calls, noise) is not None
    summed = summed_monitor(monitors, spec.observation)
    observation, every = spec.observation, 1
    if summed is not None:
        observation = observation.subset(summed.voi)
        every = summed.block_average.istep
    obs_index = np.ascontiguousarray(observation.recorded)
    noise_index = noise.index(spec.noise_scale)
    n_noisy = noise.noisy.size if noise.stochastic else 0
    chunk = chunk_size(spec, batch, k_block, chunk_steps, n_noisy, len(obs_index), every)
    outputs = [([], []) for _ in monitors]
    ramp = noise.stochastic and chunk_steps is None
    bar = _progress(count_chunks(n_steps, chunk, k_block, ramp), progress)
    n_var, n_node = spec.state.shape
    H = spec.history.shape[-1]
    # The normals of the next chunk are drawn in a second thread while the kernel (which
    # releases the GIL) runs the current one; one thread keeps the draws in order.
    drawer = ThreadPoolExecutor(max_workers=1) if noise.stochastic else None

    def draw(done_before: int):
        if done_before >= n_steps:
            return None
        n_next = chunk_length(done_before, n_steps, chunk, k_block, ramp)
        if n_next <= 0:
            return None
        if drawer is None:
            return _Ready(noise.draw(n_next, n_var, n_node))
        return drawer.submit(noise.draw, n_next, n_var, n_node)

    n_tier = edges.row_start.shape[0]
    n_coupled = spec.history.shape[1]  # the coupling's nodes: regions, on a surface too
    sums = np.empty((n_tier, max(k_block, edges.middle_block), edges.weights.shape[0],
                     n_coupled * batch), dtype=np.float32)  # fmt: skip
    # The observed values of a chunk are written into one buffer, reused while no monitor keeps
    # a view of it (Raw does): a new 8 MB array per chunk is a new mapping of fresh pages where
    # malloc's mmap threshold is fixed (Dask's workers set MALLOC_TRIM_THRESHOLD_), which made
    # every chunk pay its page faults (EI-90 batches ~1.5x slower in a Dask worker).
    obs_shape = (block_rows(every - 1, min(chunk, n_steps), every), len(obs_index), n_node, batch)
    obs_buffer = None
    done = 0
    computed = None  # steps computed when ``on_chunk`` stopped the kernel
    if compile_first:  # the kernel compiled before the first draw (see _ahead)
        _run_one_chunk(spec, state, edges, noise_index, np.zeros((0, 1, 1, 1)),
                       spec.current_step + 1, 0, k_block, obs_index, every, 0, sums,
                       np.empty((0, *obs_shape[1:])), calls)  # fmt: skip
    pending = draw(0)
    try:
        while done < n_steps:
            if stop is not None and stop.is_set():
                break
            n = chunk_length(done, n_steps, chunk, k_block, ramp)
            first = spec.current_step + 1 + done
            phase, under_way = 0, None
            if summed is not None:  # the sum of the block under way, continued by the kernel
                under_way = summed.block_average.start_sum()
                phase = summed.block_average.steps_under_way
            if computed is None:
                draws = pending.result()
                pending = draw(done + n)
                if obs_buffer is None:
                    obs_buffer = np.empty(obs_shape)
                if under_way is not None:  # continued by the kernel (its state variables')
                    obs_buffer[0] = under_way if observation.plain else 0.0
                # the coupling variables kept (state.raw) by the chunks of the run's last H steps
                raw = state.raw if first + n > spec.current_step + n_steps - H else _NO_RAW
                steps, obs = _run_one_chunk(
                    spec, state, edges, noise_index, draws, first, n, k_block, obs_index, every,
                    phase, sums, obs_buffer, calls, raw,
                )  # fmt: skip
                obs = observation.evaluate(obs)
                if under_way is not None and not observation.plain:
                    obs[0] += under_way
            else:  # nothing left to compute: the monitors still get their samples, as NaN
                steps = np.arange(first, first + n)
                rows = block_rows(phase, n, every)
                obs = np.full((rows, len(observation.names), *obs_shape[2:]), np.nan)
            for m, ((times, data), monitor) in enumerate(zip(outputs, monitors, strict=True)):
                if monitor is summed:
                    ends, means = monitor.block_average.consume_sums(n, obs)
                    t, d = monitor.consume_means(steps, ends, means)
                else:
                    t, d = monitor.consume(steps, obs)
                if sink is None:
                    times.append(t)
                    data.append(d)
                    if obs_buffer is not None and np.may_share_memory(d, obs_buffer):
                        obs_buffer = None  # kept by the monitor: the next chunk gets a new one
                else:
                    sink(m, t, d)
            done += n
            if bar is not None:
                bar.update(1)
            if computed is None and on_chunk is not None and on_chunk(state, done):
                computed = done
    except KeyboardInterrupt:
        message = (f"Simulation interrupted after {done} of {n_steps} steps "
                   f"({done * spec.dt:g} ms); returning what was computed.")  # fmt: skip
        interrupted = SimulationInterruptedWarning(message, done * spec.dt, n_steps * spec.dt)
        warnings.warn(interrupted, stacklevel=3)
    finally:
        if bar is not None:
            bar.close()
        if drawer is not None:
            drawer.shutdown(wait=True, cancel_futures=True)
    return outputs, done


class _Ready:
    """A value with the ``result()`` of a finished future (deterministic runs draw nothing)."""

    def __init__(self, value):
        self.value = value

    def result(self):
        return self.value


def _progress(n_chunks: int, progress: bool | None):
    if progress is None:
        progress = n_chunks > 20
    if not progress:
        return None

    return tqdm(total=n_chunks, unit="chunk", desc="simulating")


def concatenate(times: list, data: list, tail_shape: tuple) -> tuple[np.ndarray, np.ndarray]:
    """Join the chunk outputs of one monitor."""
    if not times:
        return np.zeros(0), np.zeros((0,) + tail_shape)
    return np.concatenate(times), np.concatenate(data)
