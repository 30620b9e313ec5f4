"""The ``fit`` command with ``[dataset].folds``: a cross-validation over the dataset's subjects
(:func:`~tvb_ngnmm.explore.cross_validate`) instead of one fit, written as
``fit_cross_validation.nc`` and ``fit_cross_validation.png``.

Imported when the command runs (TVB, the engine and Dask are imported with it).
"""

from __future__ import annotations

import time

from ..explore import cross_validate, cross_validation_summary, plot_cross_validation
from . import FigureWriter, _fail, _netcdf_writer, _on_cluster, _write_files

#: ``[fit].validation`` when the configuration does not set it.
DEFAULT_VALIDATION = {"realisations": 5, "seed": 1}


def run_cross_validation(sim, config, client=None, progress: bool = True, problem=None,
                         seed: int | None = 0, store=None, n_workers: int | None = None,
                         history_seed: int = 0):  # fmt: skip
    """:func:`~tvb_ngnmm.explore.cross_validate` of the configuration: ``[fit]``'s checked
    settings (``problem``; its options as given, which the checks of each fold fill in again)
    on every fold, ``[fit].validation``'s realisations and seed
    (default 5 and 1) for each fold's held-out validation, ``[fit].store`` (``--store``) the
    store."""
    validation = config.validation or DEFAULT_VALIDATION
    return cross_validate(
        sim, problem.objective, problem.bounds, config.dataset.dataset,
        folds=config.dataset.folds, store=store, client=client, n_workers=n_workers,
        method=problem.method, budget=problem.budget, seed=seed,
        simulation_length=problem.simulation_length, options=config.settings["fit"]["options"],
        units=problem.units, realisations=problem.realisations, history_seed=history_seed,
        maps=problem.maps or None, validation_realisations=validation["realisations"],
        validation_seed=validation["seed"], progress=progress,
    )  # fmt: skip


def cross_validation_main(parser, args, config, arguments: dict, folder, output: dict) -> int:
    """Run the cross-validation on the command's cluster, write its table and figure into
    ``folder``, print its summary."""
    if config.settings["fit"].get("validation") is False:
        _fail(parser, 2, "Invalid value for [fit].validation. Allowed with [dataset].folds are "
                         "true or a table {realisations = 5, seed = 1} (each fold's fit is "
                         "validated on its held-out subjects), but got false instead.")  # fmt: skip
    table, start = _on_cluster(parser, args, run_cross_validation, config.simulator,
                               arguments)  # fmt: skip
    seconds = time.perf_counter() - start
    saved = table.copy()
    saved.attrs.update({"config": config.text, "config_file": str(config.source or "")})
    files = []
    if output["netcdf"]:
        files.append(("fit_cross_validation.nc", _netcdf_writer(saved)))
    if output["figure"]:
        # deferred: its import time (--help)
        import matplotlib  # noqa: PLC0415

        matplotlib.use("Agg")
        figure = plot_cross_validation(table, show=False)
        files.append(("fit_cross_validation.png", FigureWriter(figure)))
    written = _write_files(parser, folder, files, "fit")
    evaluations = int(table["fit_evaluations"].sum())
    print(f"{table.sizes['fold']} folds, {evaluations} evaluations ({table.attrs['method']}) "
          f"and their validations in {seconds:.1f} s")  # fmt: skip
    print(*cross_validation_lines(table), sep="\n")
    for path in written:
        print(f"  wrote {path}")
    return 0


def cross_validation_lines(table) -> list[str]:
    """The summary: each metric's mean ± SD over the folds' training and held-out groups and
    over the held-out subjects, with the data's mean floor and ceiling of FC correlation."""
    summary = cross_validation_summary(table)
    metrics = sorted((name for name in summary.data_vars if "statistic" in summary[name].dims),
                     key=lambda name: (name != "loss", str(name)))  # fmt: skip
    n = table.sizes["realisation"]
    lines = [f"cross-validation ({n} fresh noise realisations per target):"]
    for target in summary.target.values:
        row = summary.sel(target=target)
        parts = [f"{name} {float(row[name].sel(statistic='mean')):.4g} ± "
                 f"{float(row[name].sel(statistic='sd')):.2g}" for name in metrics]  # fmt: skip
        data = ", ".join(f"{name} {float(row[name]):.3g}"
                         for name in ("floor_sc", "floor_log_sc", "ceiling"))  # fmt: skip
        lines.append(f"  {target} (n = {int(row['n'])}): {', '.join(parts)}; data: {data}")
    return lines
