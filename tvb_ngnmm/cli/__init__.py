"""The ``tvb-ngnmm`` command line.

``run``, ``sweep`` and ``fit`` read a TOML configuration (:mod:`.config`, which builds the
simulator with :mod:`.simulator` and checks it once: the sweep or fit takes it as it is). A
configuration they cannot use ends with one line naming the key, what is allowed and what was
given (exit status 2); a run that fails ends with its reason (exit status 1); neither leaves an
output folder or store behind.

Only what ``tvb-ngnmm --help`` needs is imported with this module; each command imports what it
uses (TVB, the engine, Dask: seconds) when it runs.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
import warnings
from pathlib import Path

import numpy as np

from .._outputs import replace_outputs
from .._util import pyplot

COMMANDS = {
    "demo": "run the whole-brain demo (NextGenEI on AAL90) and write its figure and data",
    "run": "simulate a configuration file on the fast engine; write netCDF files and a figure",
    "sweep": "run the parameter sweep of a configuration file on Dask into a zarr store",
    "fit": "fit parameters of a configuration file to empirical data, evaluated on Dask",
    "gui": "start the TVB web GUI with the plugin's models on 127.0.0.1 (needs the gui extra)",
}

RUN_EXAMPLE = """example:
  tvb-ngnmm run examples/run_ei90.toml --output ei90

The configuration (TOML) has the sections [connectome], [model], [coupling], [integrator],
[[monitors]], [run] and optionally [output]; see examples/run_ei90.toml. Writes one labelled
netCDF file per monitor (time in ms, region labels, the configuration and its seeds as
attributes) and a figure of the first monitor. The initial history is drawn from
[run].history_seed (default 0) and the noise from [integrator].seed: the same configuration
gives the same numbers every time."""

SWEEP_EXAMPLE = """examples:
  tvb-ngnmm sweep examples/sweep_ei90.toml
  tvb-ngnmm sweep examples/sweep_ei90.toml --scheduler tcp://127.0.0.1:8786 --store s.zarr

The configuration adds [sweep] (design, parameters, measures, store) to those of `run`; see
examples/sweep_ei90.toml. Without --scheduler a local cluster is started and closed. Running
again with the same store computes only the points not yet done."""


FIT_EXAMPLE = """examples:
  tvb-ngnmm fit examples/fit_ei90.toml --output fit_ei90
  tvb-ngnmm fit examples/fit_ei90.toml --scheduler tcp://127.0.0.1:8786
  tvb-ngnmm fit examples/fit_gw.toml
  tvb-ngnmm fit examples/fit_gw_subjects.toml

The configuration adds [fit] (parameters as bounds {name = [low, high]}, objective, method,
budget, seed, store) to those of `run`; see examples/fit_ei90.toml. Writes the history of the
evaluations (netCDF), the best parameters (TOML) and the convergence figure. With a store,
running again replays the stored generations and computes only what is missing. With
[dataset] (a bundled dataset or files, and held-out test subjects; examples/fit_gw.toml) the
connectome and the targets are the training subjects', and the validation's table and figure
(fit_validation.nc, fit_validation.png) are written beside the history. With
[fit].per_subject = true every subject is fitted on its own (examples/fit_gw_subjects.toml)."""


def _parser(prog: str, description: str, example: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog,
        description=description,
        epilog=example,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("config", metavar="CONFIG", help="the configuration file (.toml)")
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    return parser


def _fail(parser: argparse.ArgumentParser, status: int, message: object) -> None:
    """Exit with one line ``<prog>: error: <message>``."""
    text = " ".join(str(message).split())
    parser.exit(status, f"{parser.prog}: error: {text}\n")


def _read(parser: argparse.ArgumentParser, path: str, require_sweep: bool = False,
          require_fit: bool = False):  # fmt: skip
    """The configuration, its simulator checked by the engine before anything runs."""
    # deferred: TVB's import time (--help)
    from .config import ConfigError, read_config  # noqa: PLC0415

    try:
        config = read_config(path, require_sweep=require_sweep, require_fit=require_fit)
    except (ConfigError, ValueError) as err:
        _fail(parser, 2, err)
    return config


def run_main(argv: list[str] | None = None, prog: str = "tvb-ngnmm run") -> int:
    """``tvb-ngnmm run CONFIG [--output DIR] [--on-interrupt HOW]``: simulate, write the outputs.

    Ctrl-C during the simulation ends it with what was computed: written as chosen by
    ``--on-interrupt``, attribute ``status = 'interrupted'``, exit status 130.
    """
    parser = _parser(prog, COMMANDS["run"], RUN_EXAMPLE)
    parser.add_argument("--output", metavar="DIR", help="output folder (default: [output].folder)")
    parser.add_argument("--on-interrupt", choices=ON_INTERRUPT, default="suffix",
                        help="what Ctrl-C during the simulation writes: 'suffix' (default) the "
                        "partial outputs as *.interrupted.* beside any complete ones, 'replace' "
                        "them under the usual names, 'discard' nothing")  # fmt: skip
    args = parser.parse_args(argv)
    # deferred: TVB's import time
    from .config import ConfigError, check_run_outputs  # noqa: PLC0415

    config = _read(parser, args.config)
    try:
        check_run_outputs(config)
    except ConfigError as err:
        _fail(parser, 2, err)
    output = config.settings["output"]
    folder = Path(args.output or output["folder"] or f"{Path(args.config).stem}_output")
    start = time.perf_counter()
    results, simulated = _simulate(parser, config, progress=not args.no_progress)
    interrupted = simulated is not None
    if interrupted and args.on_interrupt == "discard":
        _fail(parser, 130, f"interrupted after {simulated:g} of {config.duration:g} ms; "
                           f"nothing written (--on-interrupt discard)")  # fmt: skip
    suffix = ".interrupted" if interrupted and args.on_interrupt == "suffix" else ""
    try:
        written = _write_outputs(parser, config, results, folder, output, simulated, suffix)
    except KeyboardInterrupt:
        _fail(parser, 130, f"interrupted while writing to {str(folder)!r}; its earlier files "
                           "are kept")  # fmt: skip
    sim = config.simulator
    done = f"{simulated:g} of {config.duration:g}" if interrupted else f"{config.duration:g}"
    print(f"{type(sim.model).__name__} on {sim.connectivity.number_of_regions} regions, "
          f"{done} ms simulated in {time.perf_counter() - start:.1f} s")  # fmt: skip
    for path in written:
        print(f"  wrote {path}")
    if interrupted:
        _fail(parser, 130, f"interrupted after {simulated:g} of {config.duration:g} ms; the "
                           f"partial outputs (status 'interrupted') are in "
                           f"{str(folder)!r}")  # fmt: skip
    return 0


#: What ``run --on-interrupt`` writes after Ctrl-C.
ON_INTERRUPT = ("suffix", "replace", "discard")


def _simulate(parser, config, progress: bool) -> tuple:
    """The run's ``(results, simulated)``: ``simulated`` (ms) when interrupted, else None."""
    # deferred: TVB's import time
    from ..backend import NumbaBackend  # noqa: PLC0415
    from ..engine.errors import (  # noqa: PLC0415
        SimulationBlowUpError,
        SimulationInterruptedWarning,
    )

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            results = NumbaBackend(progress=progress).run_sim(
                config.simulator, config.duration, spec=config.spec
            )
        except (SimulationBlowUpError, ValueError, RuntimeError) as err:
            _fail(parser, 1, err)
    simulated = None
    for warning in caught:
        if isinstance(warning.message, SimulationInterruptedWarning):
            simulated = warning.message.simulated
        else:  # the others as they were
            warnings.warn_explicit(warning.message, warning.category, warning.filename,
                                   warning.lineno, source=warning.source)  # fmt: skip
    return results, simulated


def _write_outputs(parser, config, results, folder: Path, output: dict, simulated=None,
                   suffix: str = "") -> list:  # fmt: skip
    """Each monitor's netCDF file and the figure, as one change of the folder; an interrupted
    run's files (``simulated`` ms) end with ``suffix`` before the extension."""

    datasets = [monitor_dataset(config, k, *pair, simulated=simulated)
                for k, pair in enumerate(results)]  # fmt: skip
    files = []
    for k, dataset in enumerate(datasets) if output["netcdf"] else ():
        files.append((f"monitor{k}_{dataset.attrs['monitor']}{suffix}.nc",
                      _netcdf_writer(dataset)))  # fmt: skip
    if output["figure"]:
        figure = plot_monitor(datasets[0])
        files.append((f"monitor0_{datasets[0].attrs['monitor']}{suffix}.png",
                      FigureWriter(figure)))  # fmt: skip
    return _write_files(parser, folder, files, "run", keep=_complete if suffix else None)


def _complete(name: str) -> bool:
    """Whether an output file is a complete run's (not an interrupted one's)."""
    return ".interrupted." not in name


class FigureWriter:
    """Writes a figure as a PNG (110 dpi); :func:`_write_files` closes it once written (a
    command run in a script's process keeps no figure open)."""

    def __init__(self, figure):
        self.figure = getattr(figure, "figure", figure)

    def __call__(self, path) -> None:
        self.figure.savefig(path, dpi=110)


def _write_files(parser, folder: Path, files: list, command: str, keep=None) -> list:
    """Each ``(name, writer)`` into ``folder`` as one change (:mod:`tvb_ngnmm._outputs`): on
    failure the folder is left as it was. The figures of :class:`FigureWriter`\\ s are closed
    after, written or not."""
    try:
        return replace_outputs(folder, command, files, keep)
    except OSError as err:
        _fail(parser, 1, f"cannot write to {str(folder)!r}: {err}; its earlier files are kept")
    finally:
        figures = [writer.figure for _, writer in files if isinstance(writer, FigureWriter)]
        if figures:
            plt = pyplot("the command's figures")
            for figure in figures:
                plt.close(figure)


def _netcdf_writer(dataset):
    return lambda path: dataset.to_netcdf(path, engine="h5netcdf")


def monitor_dataset(config, index: int, times, data, simulated: float | None = None):
    """One monitor's output as a labelled ``xarray.Dataset``: one variable per recorded state
    variable, dims ``(time, region)`` (``mode`` too when there are several), time in ms.

    Attributes ``duration_ms`` (asked for), ``simulated_ms`` and ``status`` (``'complete'``, or
    ``'interrupted'`` when ``simulated`` ms, less than the duration, were computed)."""
    # deferred: its import time (--help)
    import xarray as xr  # noqa: PLC0415

    # deferred: TVB's import time
    from ..models import declaration_of  # noqa: PLC0415
    from ..seeding import seed_attributes  # noqa: PLC0415

    sim = config.simulator
    monitor = sim.monitors[index]
    names = [str(sim.model.variables_of_interest[i]) for i in monitor.voi]
    description = f"{type(monitor).__name__} every {monitor.period:g} ms"
    declaration = declaration_of(type(sim.model))
    rates = {p.rate for p in declaration.populations} if declaration else set()
    data = np.asarray(data)
    dims = ("time", "region") if data.shape[-1] == 1 else ("time", "region", "mode")
    variables = {}
    for k, name in enumerate(names):
        values = data[:, k, :, 0] if data.shape[-1] == 1 else data[:, k]
        attrs = {"long_name": f"{name}, {description}"}
        if name in rates:
            attrs["units"] = "spikes/ms"
        variables[name] = (dims, values, attrs)
    coords = {
        "time": ("time", np.asarray(times, dtype=float), {"units": "ms"}),
        "region": ("region", [str(label) for label in sim.connectivity.region_labels]),
    }
    attrs = {
        "monitor": type(monitor).__name__, "monitor_description": description,
        "period_ms": float(monitor.period), "model": type(sim.model).__name__,
        "coupling": type(sim.coupling).__name__, "integrator": type(sim.integrator).__name__,
        "dt_ms": float(sim.integrator.dt), "duration_ms": config.duration,
        "simulated_ms": config.duration if simulated is None else float(simulated),
        "status": "complete" if simulated is None else "interrupted",
        "config": config.text, "config_file": str(config.source or ""),
        **seed_attributes(sim, config.history_seed),
    }  # fmt: skip
    return xr.Dataset(variables, coords=coords, attrs=attrs)


def plot_monitor(dataset, n_shown: int = 8):
    """Figure: the first variable of a monitor's dataset in a few regions, and its mean."""
    # deferred: its import time (--help)
    import matplotlib  # noqa: PLC0415

    matplotlib.use("Agg")

    plt = pyplot("The run's figure")
    name = next(iter(dataset.data_vars))
    values = dataset[name].values.reshape(dataset.sizes["time"], dataset.sizes["region"], -1)
    fig, ax = plt.subplots(figsize=(9, 4.5), layout="constrained")
    shown = np.linspace(0, values.shape[1] - 1, min(n_shown, values.shape[1])).astype(int)
    time_ms = dataset.time.values
    for k in shown:
        ax.plot(time_ms, values[:, k, 0], lw=0.8, label=str(dataset.region.values[k]))
    ax.plot(time_ms, values[..., 0].mean(axis=1), color="k", lw=1.5, label="mean")
    units = dataset[name].attrs.get("units")
    title = f"{dataset.attrs['model']}: {dataset.attrs['monitor_description']}"
    if dataset.attrs.get("status") == "interrupted":
        title += (f" (interrupted after {dataset.attrs['simulated_ms']:g} of "
                  f"{dataset.attrs['duration_ms']:g} ms)")  # fmt: skip
    ax.set(xlabel="time (ms)", ylabel=f"{name} ({units})" if units else name, title=title)
    ax.legend(loc="upper right", ncol=3, fontsize="small")
    return fig


def _quiet_dask() -> None:
    """Keep a local cluster's INFO lines (workers started and closed) off the terminal."""
    # deferred: an optional extra (explore)
    import dask  # noqa: PLC0415

    dask.config.set({"logging.distributed": "warning"})
    for name in ("distributed", "distributed.nanny", "distributed.scheduler"):
        logging.getLogger(name).setLevel(logging.WARNING)


#: Seconds the check of ``--scheduler`` may take (``--scheduler-timeout``).
SCHEDULER_TIMEOUT = 10.0


def _add_scheduler_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="a Dask scheduler, 'tcp://host:port' (default: a local cluster)",
    )
    parser.add_argument("--scheduler-timeout", metavar="SECONDS", type=float,
                        default=SCHEDULER_TIMEOUT, help="how long to wait for the scheduler to "
                        f"answer (default {SCHEDULER_TIMEOUT:g})")  # fmt: skip


def _scheduler_client(parser, address: str | None, timeout: float = SCHEDULER_TIMEOUT):
    """A client of the scheduler at ``address`` (closed by the caller), or None; an address
    where no scheduler answers within ``timeout`` s ends the command naming what is there."""
    if address is None:
        return None
    try:
        # deferred: an optional extra (explore)
        import distributed  # noqa: PLC0415
    except ImportError:
        _fail(parser, 1, "Sweeps need Dask's distributed: pip install 'tvb-ngnmm[explore]'.")
    # deferred: asyncio, for a given scheduler only
    from ._scheduler import (  # noqa: PLC0415
        SchedulerCheckError,
        check_scheduler,
    )

    if not 0 < timeout < float("inf"):
        _fail(parser, 2, f"Invalid value for --scheduler-timeout. Allowed are finite numbers > 0 "
                         f"(seconds), but got {timeout!r} instead.")  # fmt: skip
    try:
        check_scheduler(address, timeout)
        return distributed.Client(address, timeout=f"{timeout}s")
    except (SchedulerCheckError, OSError, TimeoutError, ValueError, TypeError) as err:
        _fail(parser, 2, f"Invalid value for --scheduler. Allowed is the address of a Dask "
                         f"scheduler ('tcp://host:port'), but got {address!r} instead: "
                         f"{err}.")  # fmt: skip


def sweep_main(argv: list[str] | None = None, prog: str = "tvb-ngnmm sweep") -> int:
    """``tvb-ngnmm sweep CONFIG [--scheduler ADDRESS] [--store PATH]``."""
    parser = _parser(prog, COMMANDS["sweep"], SWEEP_EXAMPLE)
    _add_scheduler_options(parser)
    parser.add_argument("--store", metavar="PATH", help="zarr store (default: [sweep].store)")
    args = parser.parse_args(argv)
    # deferred: TVB's and Dask's import time (--help)
    from ..explore import sweep  # noqa: PLC0415

    config = _read(parser, args.config, require_sweep=True)
    arguments = config.sweep_arguments()
    arguments["store"] = args.store or arguments["store"]
    if arguments["store"] is None:
        _fail(parser, 2, "Missing key [sweep].store. Required unless --store is given, but it "
                         "was not given.")  # fmt: skip
    result, start = _on_cluster(parser, args, sweep, config.simulator, arguments)
    done, blown = int(result.done.sum()), int(result.blown_up.sum())
    seconds = time.perf_counter() - start
    print(f"{done} of {result.sizes['point']} points done ({result.attrs['points_run']} in "
          f"{seconds:.1f} s, {blown} blown up) in {arguments['store']}")  # fmt: skip
    return 0


def _on_cluster(parser, args, run, sim, arguments: dict) -> tuple:
    """``(run(sim, client=..., progress=..., **arguments), start time)`` on the scheduler the
    command's options name (or a local cluster), closed afterwards; a refused setting exits 2,
    a failure 1."""
    _quiet_dask()
    client = _scheduler_client(parser, args.scheduler, args.scheduler_timeout)
    start = time.perf_counter()
    try:
        return run(sim, client=client, progress=not args.no_progress, **arguments), start
    except ValueError as err:
        _fail(parser, 2, err)
    except (RuntimeError, OSError) as err:
        _fail(parser, 1, err)
    finally:
        if client is not None:
            client.close()


def fit_main(argv: list[str] | None = None, prog: str = "tvb-ngnmm fit") -> int:
    """``tvb-ngnmm fit CONFIG [--scheduler ADDRESS] [--output DIR] [--store PATH]``."""
    parser = _parser(prog, COMMANDS["fit"], FIT_EXAMPLE)
    _add_scheduler_options(parser)
    parser.add_argument("--output", metavar="DIR", help="output folder (default: [output].folder)")
    parser.add_argument("--store", metavar="PATH", help="folder of generations (default: "
                                                        "[fit].store, or none)")  # fmt: skip
    args = parser.parse_args(argv)
    # deferred: TVB's and Dask's import time (--help)
    from ._fit import fit_and_validate, validation_lines  # noqa: PLC0415

    config = _read(parser, args.config, require_fit=True)
    if config.fit.get("per_subject"):
        # deferred: TVB's and Dask's import time (--help)
        from ._subjects import subjects_main  # noqa: PLC0415

        return subjects_main(parser, args, config)
    arguments = config.fit_arguments()
    arguments["store"] = args.store or arguments["store"]
    arguments["config"] = config
    output = config.settings["output"]
    folder = Path(args.output or output["folder"] or f"{Path(args.config).stem}_output")
    if config.dataset is not None and config.dataset.folds is not None:
        # deferred: as above
        from ._cross_validation import cross_validation_main  # noqa: PLC0415

        return cross_validation_main(parser, args, config, arguments, folder, output)
    (result, validation), start = _on_cluster(parser, args, fit_and_validate,
                                              config.simulator, arguments)  # fmt: skip
    failed = validation if isinstance(validation, BaseException) else None
    validated = None if failed else validation
    written = _write_fit_outputs(parser, config, result, folder, output, validated)
    seconds = time.perf_counter() - start
    best = ", ".join(f"{name} = {value:.4g}" for name, value in result.best_parameters.items())
    also = "" if validation is None else " and the validation"
    print(f"{result.history.sizes['evaluation']} evaluations ({result.method}){also} in "
          f"{seconds:.1f} s; best loss {result.best_loss:.4g} at {best}")  # fmt: skip
    if validated is not None:
        print(*validation_lines(validated), sep="\n")
    for path in written:
        print(f"  wrote {path}")
    if isinstance(failed, KeyboardInterrupt):
        _fail(parser, 130, f"interrupted during the validation; the fit's outputs are in "
                           f"{str(folder)!r}")  # fmt: skip
    if failed is not None:
        _fail(parser, 1, f"the validation failed: {failed}; the fit's outputs are in "
                         f"{str(folder)!r}")  # fmt: skip
    return 0


def best_parameters_toml(config, result) -> str:
    """The best parameters as TOML, with the loss and its components as comments."""
    lines = [f"# best of {result.history.sizes['evaluation']} evaluations ({result.method}) "
             f"for {config.source or 'the configuration'}",
             f"# loss = {result.best_loss!r}"]  # fmt: skip
    lines += [f"# {name} = {value!r}" for name, value in result.best_components.items()]
    lines.append("[best]")
    lines += [f"{_toml_key(name)} = {float(value)!r}"
              for name, value in result.best_parameters.items()]  # fmt: skip
    return "\n".join(lines) + "\n"


def _toml_key(name: str) -> str:
    return name if name.replace("_", "").isalnum() else f'"{name}"'


def _write_fit_outputs(parser, config, result, folder: Path, output: dict,
                       validation=None) -> list:  # fmt: skip
    """The history (netCDF), the best parameters (TOML), the figure and the validation's table
    and figure (with ``validation``); as one change of the folder."""

    history = result.history.copy()
    history.attrs.update({"config": config.text, "config_file": str(config.source or "")})
    files = [("best_parameters.toml",
              lambda p: p.write_text(best_parameters_toml(config, result)))]  # fmt: skip
    if output["netcdf"]:
        files.append(("fit_history.nc", _netcdf_writer(history)))
    if output["figure"]:
        # deferred: its import time (--help)
        import matplotlib  # noqa: PLC0415

        matplotlib.use("Agg")
        files.append(("fit_convergence.png", FigureWriter(result.plot(show=False))))
    if validation is not None:
        # deferred: Dask's and the engine's import time (--help)
        from ._fit import validation_files  # noqa: PLC0415

        files += validation_files(config, validation, output, _netcdf_writer)
    return _write_files(parser, folder, files, "fit")


def main(argv: list[str] | None = None) -> int:
    """Dispatch ``tvb-ngnmm <command> [options]``.

    Parameters
    ----------
    argv : list of str, optional
        The command and its options; default ``sys.argv[1:]``.
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help"):
        print("usage: tvb-ngnmm <command> [options]\n\ncommands:")
        for name, text in COMMANDS.items():
            print(f"  {name:<8} {text}")
        print("\n`tvb-ngnmm <command> --help` shows a command's options and an example.")
        return 0
    command, rest = argv[0], argv[1:]
    if command == "demo":
        # deferred: TVB's import time
        from ..demo import main as demo_main  # noqa: PLC0415

        demo_main(rest, prog="tvb-ngnmm demo")
        return 0
    if command == "run":
        return run_main(rest)
    if command == "sweep":
        return sweep_main(rest)
    if command == "fit":
        return fit_main(rest)
    if command == "gui":
        # deferred: an optional extra (gui)
        from ..gui.server import main as gui_main  # noqa: PLC0415

        return gui_main(rest)
    allowed = ", ".join(repr(c) for c in COMMANDS)
    print(f"Invalid command. Allowed commands are {allowed}, but got {command!r}.", file=sys.stderr)
    return 2
