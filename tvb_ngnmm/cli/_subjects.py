"""``[fit].per_subject = true``: the ``fit`` command fits every subject of ``[dataset]`` (or
``[dataset].subjects``) on its own connectome and data, by
:func:`~tvb_ngnmm.explore.fit_subjects`, on one cluster, into one store.

The configuration's simulator, objective and settings are every subject's (its connectome and
targets, the training group's, are replaced by each subject's own; a map ``'sc_strength'`` is
each subject's own regions' strength). ``[fit].store`` (or ``--store``) is the store of
:func:`~tvb_ngnmm.explore.fit_subjects`: a run again replays it, and a run ended by Ctrl-C keeps
every finished generation. With ``[fit].validation`` each subject's best parameters run again
with fresh noise on its own connectome and data.

Outputs, beside each other in the output folder (one change of the folder, with its
manifest): ``subject_fits.nc`` (groups ``history``, dims subject × evaluation, and ``best``),
``subject_best.csv`` (a row per subject: loss, parameters, components and the data's floor
``log_sc_fc`` and ceiling ``inter_subject`` of FC correlation), ``subject_fits.png`` and, with
the validation, ``subject_validation.nc`` (dims subject × realisation).
"""

from __future__ import annotations

import csv
import io
import time
from pathlib import Path

import numpy as np

from .._util import pyplot
from . import FigureWriter, _fail, _netcdf_writer, _quiet_dask, _scheduler_client, _write_files
from .config import FIT_KEYS, _maps
from .dataset import DatasetSection
from .keys import _invalid

#: The keys of ``[dataset]`` that hold subjects out, which a per-subject fit has none of.
SPLIT_KEYS = ("test", "folds")
#: The data's floor and ceiling of FC correlation (variables of ``Dataset.baselines()``).
BASELINES = {"floor": "log_sc_fc", "ceiling": "inter_subject"}


def check_per_subject(settings: dict, section) -> None:
    """Refuse ``[fit].per_subject = true`` without ``[dataset]`` or with subjects held out."""
    if section is None:
        raise _invalid("[fit].per_subject", "is true only with [dataset] (the subjects fitted, "
                       "each on its own connectome and data)", True)  # fmt: skip
    for key in SPLIT_KEYS:
        value = settings["dataset"].get(key)
        if value is not None:
            raise _invalid(f"[dataset].{key}", "is no held-out split with [fit].per_subject = "
                           "true (each subject is fitted to its own data: none is held out; "
                           "choose the subjects with [dataset].subjects)", value)  # fmt: skip


def subject_arguments(config, table: dict, base: Path) -> dict:
    """Keyword arguments of :func:`~tvb_ngnmm.explore.fit_subjects` from the checked ``[fit]``
    (``client`` and ``progress`` aside)."""
    problem = config.fit["problem"]
    return {
        "sim": config.simulator, "objective": problem.objective, "bounds": problem.bounds,
        "dataset": config.dataset.dataset, "store": table["store"],
        "n_workers": table["n_workers"], "method": table["method"], "budget": table["budget"],
        "seed": table["seed"], "simulation_length": config.duration,
        "options": table["options"], "realisations": table["realisations"],
        "history_seed": config.history_seed,
        "maps": None if table["maps"] is None else _SubjectMaps(table["maps"], base),
    }  # fmt: skip


class _SubjectMaps:
    """``maps(dataset, subject)`` of ``[fit].maps`` for one subject: a dataset's map
    (``'sc_strength'``) computed from that subject's own connectome."""

    def __init__(self, table: dict, base: Path):
        self.table, self.base = table, base

    def __call__(self, dataset, subject: str) -> dict:
        own = dataset.subset([subject])
        return _maps(self.table, "[fit].maps", self.base, DatasetSection(own, None, own))


def subjects_main(parser, args, config) -> int:
    """``tvb-ngnmm fit CONFIG`` of a configuration with ``[fit].per_subject = true``."""
    arguments = dict(config.fit["per_subject"])
    arguments["store"] = args.store or arguments["store"]
    output = config.settings["output"]
    folder = Path(args.output or output["folder"] or f"{Path(args.config).stem}_output")
    _quiet_dask()
    client = _scheduler_client(parser, args.scheduler, args.scheduler_timeout)
    start = time.perf_counter()
    try:
        fits, validation = fit_and_validate(config, arguments, client, not args.no_progress)
    except KeyboardInterrupt:
        _fail(parser, 130, _interrupted(arguments, "interrupted"))
    except ValueError as err:
        _fail(parser, 2, f"{_key(err)}: {err}")
    except (RuntimeError, OSError) as err:
        if "interrupted" in str(err):
            _fail(parser, 130, _interrupted(arguments, err))
        _fail(parser, 1, err)
    finally:
        if client is not None:
            client.close()
    failed = validation if isinstance(validation, BaseException) else None
    validated = None if failed else validation
    files = subject_files(config, fits, validated, output)
    written = _write_files(parser, folder, files, "fit")
    _report(fits, validated, time.perf_counter() - start, written)
    if isinstance(failed, KeyboardInterrupt):
        _fail(parser, 130, f"interrupted during the validation; the fits' outputs are in "
                           f"{str(folder)!r}")  # fmt: skip
    if failed is not None:
        _fail(parser, 1, f"the validation failed: {failed}; the fits' outputs are in "
                         f"{str(folder)!r}")  # fmt: skip
    return 0


def _key(err: ValueError) -> str:
    """The key a refusal of :func:`~tvb_ngnmm.explore.fit_subjects` is about."""
    parameter = getattr(err, "parameter", None)
    if parameter is None and "'store' parameter" in str(err):
        return "[fit].store or --store"
    return FIT_KEYS.get(parameter, ("[fit]", "[fit]"))[1]


def _interrupted(arguments: dict, reason) -> str:
    """How far an interrupted run got: each subject's finished generations in the store."""
    store, reason = arguments["store"], str(reason).rstrip(".")
    if store is None:
        return f"{reason}; nothing is kept (no [fit].store or --store)"
    done = []
    for folder in sorted((Path(store) / "subjects").glob("*")):
        generations = len(list(folder.glob("generation_*.zarr")))
        done.append(f"{folder.name} {generations}")
    counts = ", ".join(done) or "none"
    return (
        f"{reason}; generations stored per subject: {counts} (the last of a subject may "
        f"be partial); run again with the store {str(store)!r} to resume"
    )


def fit_and_validate(config, arguments: dict, client, progress: bool) -> tuple:
    """``(fits, validation)``: :func:`~tvb_ngnmm.explore.fit_subjects`, then with
    ``config.validation`` each subject's validation, on one cluster (``client``'s, or one
    local cluster of ``[fit].n_workers`` kept for both). ``validation`` is None, the
    validation's Dataset (dims subject × realisation) or the exception that ended it."""
    # deferred: TVB's, the engine's and Dask's import time (--help)
    from ..explore import fit_subjects, local_cluster  # noqa: PLC0415

    if config.validation is None:
        return fit_subjects(client=client, progress=progress, **arguments), None
    if client is None:
        with local_cluster(arguments["n_workers"]) as own:
            return fit_and_validate(config, arguments, own, progress)
    fits = fit_subjects(client=client, progress=progress, **arguments)
    try:
        return fits, validate_subjects(config, arguments, fits, client, progress)
    except (ValueError, RuntimeError, OSError, KeyboardInterrupt) as err:
        return fits, err


def validate_subjects(config, arguments: dict, fits, client, progress: bool):
    """Each subject's best parameters with fresh noise on its own connectome and data
    (:meth:`FitResult.validate <tvb_ngnmm.explore.FitResult.validate>`), as one Dataset with
    dims ``subject`` × ``realisation``."""
    # deferred: xarray's import time, paid only by a validation
    import xarray as xr  # noqa: PLC0415

    # deferred: the explore extra (Dask) is imported only when a fit runs
    from ..explore.subjects import subject_simulator  # noqa: PLC0415

    dataset, maps, tables = arguments["dataset"], arguments["maps"], []
    for subject in fits.subjects:
        sim = subject_simulator(arguments["sim"], dataset, subject, arguments["history_seed"])
        result = fits.result(subject)
        result.maps = maps(dataset, subject) if maps is not None else {}
        table = result.validate(sim, client=client, progress=progress, **config.validation)
        for name in table.data_vars:
            table[name].attrs = {}
        table.attrs = {}
        tables.append(table)
    subjects = xr.DataArray(list(fits.subjects), dims="subject")
    return xr.concat(tables, dim=subjects, combine_attrs="drop").assign_attrs(
        realisations=config.validation["realisations"], seed=config.validation["seed"]
    )


def baselines(dataset, subjects) -> dict:
    """``{'floor': array, 'ceiling': array}`` of FC correlation per subject
    (:data:`BASELINES` of ``dataset.baselines()`` over every subject of the dataset), NaN with
    fewer than two subjects."""
    if len(dataset.subjects) < 2:
        return {kind: np.full(len(subjects), np.nan) for kind in BASELINES}
    table = dataset.baselines()
    return {kind: table[name].sel(subject=list(subjects)).values
            for kind, name in BASELINES.items()}  # fmt: skip


def subject_table(fits, data: dict) -> str:
    """``subject_best.csv``: a row per subject, its best loss, parameters, components, and the
    data's floor and ceiling of FC correlation (``data``: :func:`baselines`)."""
    best = fits.best
    parameters = [str(n) for n in fits.history.coords if str(n) not in ("subject", "generation")]
    components = [str(n) for n in best.data_vars if str(n) not in (*parameters, "loss")
                  and not str(n).startswith("regional_")]  # fmt: skip
    columns = ["loss", *parameters, *components]
    names = ["subject", *columns, *(f"{k}_{v}" for k, v in BASELINES.items())]
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(names)
    for k, subject in enumerate(fits.subjects):
        row = [float(best[name].values[k]) for name in columns]
        row += [float(data[kind][k]) for kind in BASELINES]
        writer.writerow([subject, *(repr(value) for value in row)])
    return text.getvalue()


def subject_files(config, fits, validation, output: dict) -> list:
    """``[(name, writer)]`` of the per-subject fit's outputs, as ``[output]`` asks."""
    data = baselines(config.dataset.dataset, fits.subjects)
    attrs = {"config": config.text, "config_file": str(config.source or "")}
    files = [("subject_best.csv", lambda p: p.write_text(subject_table(fits, data)))]
    if output["netcdf"]:
        history, best = fits.history.copy(), fits.best.copy()
        history.attrs.update(attrs)

        def write(path):
            history.to_netcdf(path, engine="h5netcdf", group="history", mode="w")
            best.to_netcdf(path, engine="h5netcdf", group="best", mode="a")

        files.append(("subject_fits.nc", write))
        if validation is not None:
            table = validation.assign_attrs(attrs)
            files.append(("subject_validation.nc", _netcdf_writer(table)))
    if output["figure"]:
        # deferred: its import time (--help)
        import matplotlib  # noqa: PLC0415

        matplotlib.use("Agg")
        figure = plot_subject_fits(fits, data, validation)
        files.append(("subject_fits.png", FigureWriter(figure)))
    return files


def _report(fits, validation, seconds: float, written: list) -> None:
    """The closing lines: the subjects fitted, each one's best, the validation, the files."""
    n = fits.history["n_evaluations"].values
    also = "" if validation is None else " and the validation"
    print(f"{len(fits.subjects)} subjects fitted ({fits.method}, {int(n.sum())} evaluations)"
          f"{also} in {seconds:.1f} s:")  # fmt: skip
    parameters = [str(n) for n in fits.history.coords if str(n) not in ("subject", "generation")]
    for k, subject in enumerate(fits.subjects):
        best = ", ".join(f"{name} = {float(fits.best[name].values[k]):.4g}"
                         for name in parameters)  # fmt: skip
        line = f"  {subject}: best loss {float(fits.best['loss'].values[k]):.4g} at {best}"
        if validation is not None:
            loss = validation["loss"].sel(subject=subject).values
            line += f"; validation loss {np.mean(loss):.4g} ± {np.std(loss, ddof=1):.2g}"
        print(line)
    for path in written:
        print(f"  wrote {path}")


def plot_subject_fits(fits, data: dict, validation=None):
    """Figure: per subject, the best FC correlation beside the data's floor and ceiling (and
    the validation's mean ± SD), or the best loss if the objective has no FC correlation; then
    each best parameter across the subjects."""
    plt = pyplot("The per-subject fit's figure")
    parameters = [str(n) for n in fits.history.coords if str(n) not in ("subject", "generation")]
    metric = "fc_correlation" if "fc_correlation" in fits.best else "loss"
    fig, axes = plt.subplots(1, 1 + len(parameters), layout="constrained", squeeze=False,
                             figsize=(3.2 * (1 + len(parameters)), 3.6))  # fmt: skip
    x = np.arange(len(fits.subjects))
    ax = axes[0, 0]
    ax.plot(x, fits.best[metric].values, "o", color="C0", label="best of the fit")
    if metric == "fc_correlation":
        ax.plot(x, data["floor"], "_", ms=14, mew=2, color="0.5", label="floor (log SC-FC)")
        ax.plot(x, data["ceiling"], "_", ms=14, mew=2, color="k", label="ceiling (inter-subject)")
    if validation is not None and metric in validation:
        values = validation[metric].values
        ax.errorbar(x + 0.15, values.mean(axis=1), values.std(axis=1, ddof=1), fmt="s",
                    color="C1", label="fresh noise, mean ± SD")  # fmt: skip
    ax.set(ylabel="FC correlation r" if metric == "fc_correlation" else "loss",
           title=f"{len(x)} subjects ({fits.method})")  # fmt: skip
    ax.legend(fontsize="small")
    for ax, name in zip(axes[0, 1:], parameters, strict=True):
        ax.plot(x, fits.best[name].values, "o", color="C2")
        units = fits.best[name].attrs.get("units", "1")
        ax.set(ylabel=f"{name} ({units})", title=f"best {name}")
    for ax in axes[0]:
        ax.set_xticks(x, fits.subjects, rotation=45, ha="right", fontsize="small")
        ax.set_xlim(-0.5, len(x) - 0.5)
    return fig
