"""The conformance suite of a monitor: :func:`check_monitor`, :func:`monitor_checks`."""

from __future__ import annotations

import copy
import functools
import warnings
from collections.abc import Callable, Iterator

import numpy as np
from tvb.datatypes import projections, sensors
from tvb.datatypes.region_mapping import RegionMapping
from tvb.simulator import coupling as tvb_coupling
from tvb.simulator import integrators
from tvb.simulator import monitors as tvb_monitors
from tvb.simulator.simulator import Simulator

from ..backend import NumbaBackend
from ..engine.errors import UnsupportedSimulationError
from ..engine.runner import block_rows
from ..engine.spec import extract
from ..monitors import (
    AbstractEngineMonitor,
    BalloonWindkesselBold,
    ForwardProjection,
    engine_monitor_class,
    engine_monitor_classes,
    node_space,
)
from ._common import (
    DT,
    N_REGIONS,
    _compare_outputs,
    _engine_and_stock,
    _fail,
    _initial_history,
    _run_checks,
    build_simulator,
    tiny_connectivity,
)
from .couplings import _component, _oscillating_mpr
from .surfaces import sphere_cortex

# --------------------------------------------------------------------------- monitors


def _sensors_and_gain(rng: np.random.Generator, n_sensor: int = 3):
    labels = np.array([f"S{i + 1}" for i in range(n_sensor)])
    locations = 3.0 * rng.normal(size=(n_sensor, 3))
    return labels, locations, rng.normal(size=(n_sensor, N_REGIONS))


def _tiny_projection(monitor_cls: type, seed: int = 0, **kwargs):
    """TVB's ``EEG``, ``MEG`` or ``iEEG`` for the checks' network: three sensors, a random
    region gain (``iEEG``: TVB's analytic dipole gain from the regions' centres and
    orientations) and a region mapping of one vertex per region."""
    labels, locations, gain = _sensors_and_gain(np.random.default_rng(seed))
    mapping = RegionMapping(array_data=np.arange(N_REGIONS))
    if monitor_cls is tvb_monitors.iEEG:
        found = sensors.SensorsInternal(labels=labels, locations=locations)
        return monitor_cls(sensors=found, region_mapping=mapping, **kwargs)
    if monitor_cls is tvb_monitors.MEG:
        orientations = np.random.default_rng(seed + 1).normal(size=locations.shape)
        found = sensors.SensorsMEG(labels=labels, locations=locations, orientations=orientations)
        projection = projections.ProjectionSurfaceMEG(projection_data=gain)
    else:
        found = sensors.SensorsEEG(labels=labels, locations=locations)
        projection = projections.ProjectionSurfaceEEG(projection_data=gain)
    return monitor_cls(sensors=found, projection=projection, region_mapping=mapping, **kwargs)


def _monitor_examples() -> dict:
    """Each engine monitor's TVB monitor, set up for the checks' network and a run of a few
    periods (a class without an entry is checked with its defaults)."""
    period = 16 * DT
    gain = _sensors_and_gain(np.random.default_rng(2))[2]
    return {
        tvb_monitors.SubSample: lambda: tvb_monitors.SubSample(period=period),
        tvb_monitors.TemporalAverage: lambda: tvb_monitors.TemporalAverage(period=period),
        tvb_monitors.SpatialAverage: lambda: tvb_monitors.SpatialAverage(period=period),
        tvb_monitors.Bold: lambda: tvb_monitors.Bold(period=8.0, hrf_length=32.0),
        tvb_monitors.BoldRegionROI: lambda: tvb_monitors.BoldRegionROI(period=8.0, hrf_length=32.0),
        tvb_monitors.EEG: lambda: _tiny_projection(
            tvb_monitors.EEG, period=period, reference="average"
        ),
        tvb_monitors.MEG: lambda: _tiny_projection(tvb_monitors.MEG, period=period),
        tvb_monitors.iEEG: lambda: _tiny_projection(tvb_monitors.iEEG, period=period),
        BalloonWindkesselBold: lambda: BalloonWindkesselBold(
            period=2.0, hemodynamic_step=0.5, gain=10.0
        ),
        ForwardProjection: lambda: ForwardProjection(gain=gain, period=period, reference="EEG002"),
    }


def engine_monitors() -> tuple[type, ...]:
    """The TVB monitor classes with an engine monitor registered
    (:func:`tvb_ngnmm.monitors.register_engine_monitor`), sorted by name."""
    return engine_monitor_classes()


def example_monitor(monitor_cls: type) -> tvb_monitors.Monitor:
    """An instance of ``monitor_cls`` set up for the checks' network, or its defaults.

    Parameters
    ----------
    monitor_cls : type
        A TVB monitor class.
    """
    make = _monitor_examples().get(monitor_cls, monitor_cls)
    return make()


def _monitor_length(monitor) -> float:
    """Three periods (ms), at least 1 ms."""
    return max(3.0 * float(monitor.period), 1.0)


def _fresh(monitor):
    """A shallow copy of ``monitor`` without what ``config_for_sim`` set (its private
    attributes): TVB's projections configure a monitor only once."""
    fresh = copy.copy(monitor)
    for name in [name for name in vars(fresh) if name.startswith("_")]:
        delattr(fresh, name)
    return fresh


#: Monitors TVB configures for surface simulations only: checked on a small cortex.
SURFACE_ONLY = (tvb_monitors.BoldRegionROI,)


def _monitored_simulator(monitor) -> Simulator:
    """The oscillating ``MontbrioPazoRoxin`` on the checks' network, Heun at :data:`DT`,
    with a fresh copy of ``monitor`` (a monitor of :data:`SURFACE_ONLY`: on the 42-vertex
    :func:`~tvb_ngnmm.testing.surfaces.sphere_cortex` of that network, each vertex's history
    its region's)."""
    integrator = integrators.HeunDeterministic(dt=DT)
    if not isinstance(monitor, SURFACE_ONLY):
        return build_simulator(_oscillating_mpr(), integrator, monitors=[_fresh(monitor)])
    connectivity = tiny_connectivity()
    cortex = sphere_cortex(connectivity, subdivisions=1, cutoff=40.0, sigma=20.0,
                           coupling_strength=0.0)  # fmt: skip
    model = _oscillating_mpr()
    history = _initial_history(model, connectivity, DT, seed=0)[:, :, cortex.region_mapping]
    simulator = Simulator(
        model=model, connectivity=connectivity, surface=cortex, integrator=integrator,
        coupling=tvb_coupling.Linear(a=np.array([0.5])), monitors=[_fresh(monitor)],
        initial_conditions=history,
    )  # fmt: skip
    return simulator.configure()


def check_monitor_matches_stock(monitor) -> float:
    """The engine's samples equal ``sim.run()``'s: the same times, shapes and values (within
    :data:`ENGINE_RTOL`), over a run of three periods and over a run continued from a stock
    run that ended inside a period. Returns the largest difference relative to the largest
    value.

    Parameters
    ----------
    monitor : tvb.simulator.monitors.Monitor
        The monitor instance.
    """
    length = _monitor_length(monitor)
    sim = _monitored_simulator(monitor)
    fast, stock = _engine_and_stock(sim, length)
    if len(stock[0][0]) < 2 or not np.ptp(stock[0][1]) > 0:
        raise _fail(type(monitor), "fewer than two samples, or constant ones, to compare.")
    worst = _compare_outputs(type(monitor), fast, stock)
    sim = _monitored_simulator(monitor)
    sim.run(simulation_length=1.5 * float(sim.monitors[0].period))
    fast, stock = _engine_and_stock(sim, length)
    return max(worst, _compare_outputs(type(monitor), fast, stock))


def _with_period(monitor, period: float):
    changed = _fresh(monitor)
    changed.period = period
    return changed


def _period_error(monitor, period: float) -> Exception | None:
    """The ``ValueError`` configuring, or running the engine one step, with ``period``."""
    try:
        NumbaBackend(progress=False).run_sim(
            _monitored_simulator(_with_period(monitor, period)), DT
        )
    except ValueError as error:
        return error
    return None


def check_monitor_periods(monitor) -> None:
    """Periods that are not a whole number of steps behave as documented in
    :mod:`tvb_ngnmm.engine.checks`.

    A period of ``k + 3/8`` steps is refused at ``sim.configure()`` with a ``ValueError``
    naming ``'period'``, or runs as in TVB with a ``RuntimeWarning`` that it is not a multiple
    of dt; a period of 3/4 of a step (TVB samples every step) is refused before the first step
    with a ``ValueError`` naming ``'period'``. ``Raw`` has no period of its own.

    Parameters
    ----------
    monitor : tvb.simulator.monitors.Monitor
        The monitor instance.
    """
    if type(monitor) is tvb_monitors.Raw:
        return
    owner = type(monitor)
    fraction = _with_period(monitor, float(monitor.period) + 0.375 * DT)
    try:
        sim = _monitored_simulator(fraction)
    except ValueError as error:
        if "'period'" not in str(error):
            message = f"the error for a fractional period does not name it: {error}"
            raise _fail(owner, message) from error
    else:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            fast, stock = _engine_and_stock(sim, _monitor_length(fraction))
        said = [str(w.message) for w in caught if issubclass(w.category, RuntimeWarning)]
        if not any("not a multiple of dt" in message for message in said):
            raise _fail(owner, f"a period of {fraction.period:g} ms ran without a warning.")
        _compare_outputs(owner, fast, stock)
    error = _period_error(monitor, 0.75 * DT)
    if error is None or "'period'" not in str(error):
        raise _fail(owner, f"a period of 0.75 dt was not refused naming 'period' ({error!r}).")


def _consume_in_chunks(engine_monitor, steps, obs, bounds) -> tuple[np.ndarray, np.ndarray]:
    cuts = zip(bounds[:-1], bounds[1:], strict=True)
    pieces = [engine_monitor.consume(steps[a:b], obs[a:b]) for a, b in cuts]
    return np.concatenate([t for t, _ in pieces]), np.concatenate([d for _, d in pieces])


def _consume_block_sums(engine_monitor, steps, obs, bounds) -> tuple[np.ndarray, np.ndarray]:
    """Feed the monitor's ``block_average`` the chunks' block sums, formed as the engine's kernel
    forms them (``obs_every``: each step added in order to its block's row, row 0 continuing the
    block under way), and return :meth:`consume_means` of each chunk, joined."""
    average = engine_monitor.block_average
    every, voi = average.istep, engine_monitor.voi
    pieces = []
    for a, b in zip(bounds[:-1], bounds[1:], strict=True):
        under_way = average.start_sum()
        phase = average.steps_under_way
        rows = np.empty((block_rows(phase, b - a, every), len(voi), *obs.shape[2:]))
        if under_way is not None:
            rows[0] = under_way
        for k in range(b - a):
            at = phase + k
            if at % every == 0:
                rows[at // every] = obs[a + k, voi]
            else:
                rows[at // every] += obs[a + k, voi]
        ends, means = average.consume_sums(b - a, rows)
        pieces.append(engine_monitor.consume_means(steps[a:b], ends, means))
    return np.concatenate([t for t, _ in pieces]), np.concatenate([d for _, d in pieces])


def _space_labels_right(engine_monitor, spec) -> bool:
    """Node outputs are labelled with the engine's node labels, a surface's region outputs with
    the connectivity's regions."""
    space, labels = engine_monitor.space, tuple(engine_monitor.space_labels)
    if space == node_space(spec):
        return labels == tuple(spec.labels)
    if space == "region":
        return labels == tuple(spec.surface.region_labels)
    return True


def check_engine_monitor_contract(monitor, batch: int = 2, seed: int = 0) -> None:
    """The registered engine monitor keeps the contract of
    :class:`tvb_ngnmm.monitors.AbstractEngineMonitor`.

    Built from the configured monitor and the engine's reading of the simulator, fed random
    observed states of three periods: ``space`` is the nodes' (``'region'``, ``'vertex'`` on a
    surface; labels the engine's node labels), ``'region'`` on a surface (labels the
    connectivity's regions), ``'area'`` (groups of nodes) or ``'sensor'``; ``consume``
    returns increasing times and data shaped ``(n_sample, *sample_shape, batch)``; the same
    steps cut into random chunks give the same samples
    (chunk independence); each batch member equals a run of that member alone; and a monitor
    with a ``block_average`` gives the same samples from the chunks' block sums (as the engine
    forms them when it is a run's only monitor) through ``consume_means``.

    Parameters
    ----------
    monitor : tvb.simulator.monitors.Monitor
        The monitor instance, with an engine monitor registered for its class.
    batch : int
        Number of batch members fed at once.
    seed : int
        Seed of the random observed states and of the chunk boundaries.
    """
    owner = type(monitor)
    sim = _monitored_simulator(monitor)
    configured = sim.monitors[0]
    engine_cls = engine_monitor_class(configured)
    if engine_cls is None or not issubclass(engine_cls, AbstractEngineMonitor):
        raise _fail(owner, f"no AbstractEngineMonitor is registered for it ({engine_cls!r}).")
    spec = extract(sim)
    n_steps = round(_monitor_length(monitor) / DT)
    steps = spec.current_step + 1 + np.arange(n_steps)
    rng = np.random.default_rng(seed)
    obs = rng.uniform(0.0, 1.0, (n_steps, len(spec.observation.names), len(spec.labels), batch))
    whole = engine_cls(configured, spec, batch)
    times, data = whole.consume(steps, obs)
    n_var, n_space = whole.sample_shape
    checks = [
        (whole.space in ("region", "vertex", "area", "sensor"), f"space = {whole.space!r}"),
        (len(whole.space_labels) == n_space, "space_labels do not match sample_shape"),
        (len(whole.variable_names) == n_var, "variable_names do not match sample_shape"),
        (_space_labels_right(whole, spec), f"{whole.space} labels"),
        (data.shape == (len(times), n_var, n_space, batch), f"data shaped {data.shape}"),
        (len(times) > 1 and np.all(np.diff(times) > 0), "times not increasing"),
    ]
    for ok, message in checks:
        if not ok:
            raise _fail(owner, f"{engine_cls.__name__} breaks the contract: {message}.")
    bounds = np.unique(np.r_[0, np.cumsum(rng.integers(1, 40, n_steps)), n_steps])
    bounds = bounds[bounds <= n_steps]
    parts = [(_consume_in_chunks(engine_cls(configured, spec, batch), steps, obs, bounds), "")]
    parts += [
        (engine_cls(configured, spec, 1).consume(steps, obs[..., b : b + 1]), f" member {b}")
        for b in range(batch)
    ]
    summed = engine_cls(configured, spec, batch)
    if summed.block_average is not None:
        parts.append((_consume_block_sums(summed, steps, obs, bounds), "block sums"))
    for (t, d), member in parts:
        alone = member.startswith(" member")
        expected = data[..., int(member[-1]) : int(member[-1]) + 1] if alone else data
        what = f"batch{member} alone" if alone else "cut into chunks"
        if member == "block sums":
            what = "from the block sums of chunks (consume_means)"
        if not np.array_equal(t, times):
            raise _fail(owner, f"{engine_cls.__name__} gives other times {what}.")
        if not np.allclose(d, expected, rtol=1e-12, atol=1e-12 * np.abs(data).max()):
            raise _fail(owner, f"{engine_cls.__name__} gives other samples {what}.")


def check_monitor_refused(monitor) -> None:
    """A monitor without a registered engine monitor raises ``UnsupportedSimulationError``
    naming it.

    Parameters
    ----------
    monitor : tvb.simulator.monitors.Monitor
        A monitor instance without a registered engine monitor.
    """
    name = type(monitor).__name__
    try:
        NumbaBackend(progress=False).run_sim(_monitored_simulator(monitor), DT)
    except UnsupportedSimulationError as error:
        if repr(name) not in str(error):
            message = f"the engine's refusal does not name it: {error}"
            raise _fail(type(monitor), message) from error
    else:
        raise _fail(type(monitor), "the engine ran it without a registered engine monitor.")


def monitor_checks(monitor) -> Iterator[tuple[str, Callable[[], object]]]:
    """The conformance checks for a monitor, one by one.

    Parameters
    ----------
    monitor : Monitor or type
        A TVB monitor (not yet configured) for a network of :data:`N_REGIONS` regions, or a
        class, checked as :func:`example_monitor` sets it up.

    Yields
    ------
    name : str
        The check's name, e.g. ``'matches_stock'``.
    check : callable
        Runs the check; raises ``AssertionError`` on failure.
    """
    monitor = _component(monitor, tvb_monitors.Monitor, "check_monitor", example_monitor)
    if engine_monitor_class(monitor) is None:
        yield "refused_by_engine", functools.partial(check_monitor_refused, monitor)
        return
    yield "matches_stock", functools.partial(check_monitor_matches_stock, monitor)
    yield "periods", functools.partial(check_monitor_periods, monitor)
    yield "engine_monitor_contract", functools.partial(check_engine_monitor_contract, monitor)


def check_monitor(monitor) -> None:
    """Run every conformance check on a monitor.

    A monitor the engine runs must sample as stock TVB does (times, shapes, values, also in a
    continued run), treat periods that are not a whole number of steps as documented, and its
    engine monitor must keep the :class:`~tvb_ngnmm.monitors.AbstractEngineMonitor` contract
    (chunk and batch independence); one it does not run must be refused naming it.

    Parameters
    ----------
    monitor : Monitor or type
        A TVB monitor instance (not yet configured), or a class (see :func:`monitor_checks`).

    Raises
    ------
    AssertionError
        At the first failing check, naming the check and what is wrong.
    """
    _run_checks(monitor_checks(monitor))
