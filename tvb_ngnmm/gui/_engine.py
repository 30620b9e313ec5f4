"""Simulations launched from the TVB web GUI run on the fast engine when it can run them.

tvb-framework 2.10 runs every simulation of the simulator page, and every simulation of a
parameter space exploration (PSE), in a process of its own
(``python -m tvb.core.operation_async_launcher OPERATION PROFILE``, started by
``tvb.core.services.backend_clients.standalone_client``), where ``SimulatorAdapter.launch``
writes each monitor's samples to the TimeSeries files as the simulator's loop
(``simulator(simulation_length=...)``) yields them. Two changes put the engine there:

1. :func:`use_engine` (``tvb-ngnmm gui`` calls it in the web server's process) has the server
   start these processes with ``python -m tvb_ngnmm.gui._operation OPERATION PROFILE``, which
   calls :func:`install_engine_launch` and then runs TVB's own launcher unchanged.
2. :func:`install_engine_launch` wraps ``SimulatorAdapter.launch``: during the launch, the
   simulator's loop asks :func:`choose_engine` whether the engine can run this configuration
   (:func:`tvb_ngnmm.engine.spec.extract` raises ``UnsupportedSimulationError`` otherwise). If
   so, :meth:`NumbaBackend.run_sim <tvb_ngnmm.backend.NumbaBackend.run_sim>` runs it and its
   samples are handed to TVB's adapter one by one, as TVB's loop would hand them
   (:func:`engine_outputs`), so the adapter stores the TimeSeries and the simulation state as
   before. If not, TVB's own loop runs. Either way the choice (and, for TVB's loop, the reason)
   is written to the operation's log (``TVB/logs/operations_executions.log`` in the TVB home)
   and to the operation's "additional info", which the project's Operations page shows as the
   operation's message.

The environment variable ``TVB_NGNMM_GUI_ENGINE`` (:data:`ENGINE_VARIABLE`) set to ``0`` when
the GUI starts makes every simulation run on TVB's loop (``1``, the default: the engine when it
can).
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass, field

ENGINE_VARIABLE = "TVB_NGNMM_GUI_ENGINE"
"""Environment variable: ``1`` (default) simulate on the engine when it can, ``0`` never."""

TVB_LAUNCHER = "tvb.core.operation_async_launcher"
ENGINE_LAUNCHER = "tvb_ngnmm.gui._operation"
ENGINE_MESSAGE = "Simulated with the tvb_ngnmm engine"
STOCK_MESSAGE = "Simulated with stock TVB"

_LOCK = threading.Lock()


def engine_enabled(environ=None) -> bool:
    """Whether :data:`ENGINE_VARIABLE` lets simulations run on the engine (default: yes).

    Raises
    ------
    ValueError
        If the variable is set to anything but ``1`` or ``0``.
    """
    value = (os.environ if environ is None else environ).get(ENGINE_VARIABLE, "1").strip()
    if value not in ("0", "1"):
        raise ValueError(
            f"Invalid value for the {ENGINE_VARIABLE!r} environment variable. Allowed values are "
            f"'1' (simulate on the tvb_ngnmm engine when it can) and '0' (always on stock TVB), "
            f"but got {value!r} instead."
        )
    return value == "1"


def choose_engine(sim):
    """``(spec, None)`` if the engine runs the configured ``sim``, else ``(None, reason)``.

    ``spec`` is the engine's reading of ``sim`` (:func:`tvb_ngnmm.engine.spec.extract`), to be
    handed to ``run_sim``; ``reason`` says why TVB's own loop runs it instead (the engine is
    switched off, or the message of the ``UnsupportedSimulationError``). Settings the engine
    refuses as invalid (``ValueError``) are raised, not run on TVB's loop.
    """
    if not engine_enabled():
        return None, f"the tvb_ngnmm engine is switched off ({ENGINE_VARIABLE}=0)"
    # deferred: the engine compiles its kernels (Numba) when first used
    from ..engine.errors import UnsupportedSimulationError  # noqa: PLC0415
    from ..engine.spec import extract  # noqa: PLC0415

    try:
        return extract(sim), None
    except UnsupportedSimulationError as error:
        return None, f"the tvb_ngnmm engine does not run this simulation ({error})"


def engine_outputs(results: list):
    """``run_sim``'s results as TVB's simulator loop yields them.

    Parameters
    ----------
    results : list of (numpy.ndarray, numpy.ndarray)
        One ``(time, data)`` per monitor, ``data`` shaped ``(n_time, n_voi, n_node, n_mode)``.

    Yields
    ------
    list
        One entry per monitor: ``(time, data[k])`` of its k-th sample (time in ms, data shaped
        ``(n_voi, n_node, n_mode)``), or None once a monitor has no k-th sample.
    """
    n_samples = max((len(times) for times, _ in results), default=0)
    for k in range(n_samples):
        yield [(times[k], data[k]) if k < len(times) else None for times, data in results]


def _engine_class(simulator_class: type, report) -> type:
    """A subclass of ``simulator_class`` whose loop runs on the engine when it can."""

    def __call__(self, simulation_length=None, random_state=None, n_steps=None):
        spec, reason = None, "the loop was asked for a random state or a number of steps"
        if random_state is None and n_steps is None:
            spec, reason = choose_engine(self)
        if spec is None:
            report(f"{STOCK_MESSAGE}: {reason}.")
            return simulator_class.__call__(self, simulation_length, random_state, n_steps)
        # deferred: the engine compiles its kernels (Numba) when first used
        from ..backend import NumbaBackend  # noqa: PLC0415

        start = time.perf_counter()
        results = NumbaBackend(progress=False).run_sim(self, simulation_length, spec=spec)
        report(f"{ENGINE_MESSAGE} (NumbaBackend.run_sim, {time.perf_counter() - start:.2f} s).")
        return engine_outputs(results)

    namespace = {"__call__": __call__, "__module__": simulator_class.__module__}
    return type(simulator_class.__name__, (simulator_class,), namespace)


def _reporter(adapter):
    """Write a message to the adapter's log and to its operation's additional info."""

    def report(message: str) -> None:
        adapter.log.info(message)
        if getattr(adapter, "operation_id", None) is not None:
            adapter.add_operation_additional_info(message)

    return report


def engine_launch(original):
    """``SimulatorAdapter.launch`` (``original``) with the simulator's loop on the engine."""

    def launch(self, view_model):
        sim = self.algorithm
        own_class = type(sim)
        sim.__class__ = _engine_class(own_class, _reporter(self))
        try:
            return original(self, view_model)
        finally:
            sim.__class__ = own_class

    launch.__name__, launch.__doc__ = original.__name__, original.__doc__
    launch.__wrapped__ = original
    return launch


@dataclass
class _Changes:
    """What was changed: ``(owner, name, original value)`` to restore."""

    changes: list[tuple[object, str, object]] = field(default_factory=list)


_ACTIVE: dict[str, _Changes] = {}


def _simulator_adapter() -> type:
    # deferred: optional extra 'gui'
    from tvb.adapters.simulator.simulator_adapter import SimulatorAdapter  # noqa: PLC0415

    return SimulatorAdapter


def install_engine_launch() -> bool:
    """Wrap ``SimulatorAdapter.launch`` with :func:`engine_launch` in this process.

    Returns
    -------
    bool
        True if this call installed it, False if it was installed already.
    """
    with _LOCK:
        if "launch" in _ACTIVE:
            return False
        adapter = _simulator_adapter()
        original = vars(adapter)["launch"]
        adapter.launch = engine_launch(original)
        _ACTIVE["launch"] = _Changes([(adapter, "launch", original)])
        return True


def engine_operation_command(args):
    """The command of an operation's process, TVB's launcher replaced by the engine's one."""
    args = list(args)
    if args[1:3] == ["-m", TVB_LAUNCHER]:
        args[2] = ENGINE_LAUNCHER
    return args


def _starting_engine_operations(popen):
    """``subprocess.Popen`` (``popen``) starting TVB's operations with the engine's launcher."""

    def start(args, *more, **options):
        return popen(engine_operation_command(args), *more, **options)

    start.__wrapped__ = popen
    return start


def use_engine() -> bool:
    """Have the GUI run its simulations on the engine when it can (see the module's docstring).

    Call it in the web server's process before it serves (``tvb-ngnmm gui`` does). Checks
    :data:`ENGINE_VARIABLE` (a bad value raises ``ValueError``); with ``0`` the hook is still
    installed and each operation's log says that stock TVB ran it.

    Returns
    -------
    bool
        True if this call installed the hook, False if it was installed already.
    """
    engine_enabled()
    install_engine_launch()
    with _LOCK:
        if "operations" in _ACTIVE:
            return False
        # deferred: optional extra 'gui'
        from tvb.core.services.backend_clients import standalone_client  # noqa: PLC0415

        original = standalone_client.Popen
        standalone_client.Popen = _starting_engine_operations(original)
        _ACTIVE["operations"] = _Changes([(standalone_client, "Popen", original)])
        return True


def stop_using_engine() -> bool:
    """Undo :func:`use_engine` and :func:`install_engine_launch`; False if nothing to undo."""
    with _LOCK:
        if not _ACTIVE:
            return False
        for changes in _ACTIVE.values():
            for owner, name, original in reversed(changes.changes):
                setattr(owner, name, original)
        _ACTIVE.clear()
        return True


def is_engine_used() -> bool:
    """Whether :func:`use_engine` is in effect in this process."""
    return "operations" in _ACTIVE
