"""The ``fit`` command's run: the fit, then its validation on the same cluster, and the
validation's files (``fit_validation.nc``, ``fit_validation.png``).

Imported when the command runs (TVB, the engine and Dask are imported with it).
"""

from __future__ import annotations

from ..explore import local_cluster
from ..explore.fit import run_fit
from ..explore.validation import plot_validation, validation_summary
from . import FigureWriter

#: The data's floor and ceiling of FC correlation in a held-out validation's table.
BASELINES = ("floor_sc", "floor_log_sc", "ceiling")


def fit_and_validate(sim, config, client=None, progress: bool = True, **arguments) -> tuple:
    """``(result, validation)``: :func:`~tvb_ngnmm.explore.fit.run_fit` of the configuration,
    then, with ``config.validation``, its best parameters run with fresh noise; both on
    ``client``'s cluster, or on one local cluster of ``n_workers`` kept for both
    (:func:`~tvb_ngnmm.explore.local_cluster`).

    ``validation`` is None without ``config.validation``, the validation's Dataset, or the
    exception that ended it, Ctrl-C included (the fit's result is kept whatever the validation
    does).
    """
    if config.validation is None:
        return run_fit(sim, client=client, progress=progress, **arguments), None
    if client is None:
        with local_cluster(arguments["n_workers"]) as own:
            return fit_and_validate(sim, config, own, progress, **arguments)
    result = run_fit(sim, client=client, progress=progress, **arguments)
    try:
        return result, validate(config, result, client, progress)
    except (ValueError, RuntimeError, OSError, KeyboardInterrupt) as err:
        return result, err


def validate(config, result, client, progress: bool):
    """The validation of ``[fit].validation``: with a ``[dataset].test`` split, on the training
    data and each held-out subject and group (:func:`~tvb_ngnmm.explore.validate_held_out`),
    else with fresh noise on the fitted data (:func:`~tvb_ngnmm.explore.validate_fit`)."""
    options = dict(config.validation, client=client, progress=progress)
    section = config.dataset
    if section is not None and section.split is not None:
        options.update(dataset=section.dataset, split=section.split)
    return result.validate(config.simulator, **options)


def validation_files(config, validation, output: dict, netcdf_writer) -> list:
    """``[(name, writer)]`` of the validation's table (netCDF) and figure, as ``[output]``
    asks."""
    table = validation.copy()
    table.attrs.update({"config": config.text, "config_file": str(config.source or "")})
    files = []
    if output["netcdf"]:
        files.append(("fit_validation.nc", netcdf_writer(table)))
    if output["figure"]:
        figure = plot_validation(validation, show=False)
        files.append(("fit_validation.png", FigureWriter(figure)))
    return files


def validation_lines(validation) -> list[str]:
    """The validation's summary: each metric's mean ± SD over the realisations (per target of a
    held-out validation, with the data's floor and ceiling of FC correlation)."""
    summary = validation_summary(validation)
    metrics = sorted(
        (name for name in summary.data_vars if "statistic" in summary[name].dims),
        key=lambda name: (name != "loss", str(name)),
    )  # the loss, then by name
    n = validation.sizes["realisation"]
    lines = [f"validation ({n} fresh noise realisations):"]
    rows = summary.target.values if "target" in summary.dims else [None]
    for target in rows:
        row = summary if target is None else summary.sel(target=target)
        parts = [f"{name} {float(row[name].sel(statistic='mean')):.4g} ± "
                 f"{float(row[name].sel(statistic='sd')):.2g}" for name in metrics]  # fmt: skip
        if target is None:
            lines += [f"  {part}" for part in parts]
            continue
        data = ", ".join(f"{name} {float(row[name]):.3g}" for name in BASELINES)
        lines.append(f"  {target}: {', '.join(parts)}; data: {data}")
    return lines
