"""The ``fit`` command's run: the fit, then its validation on the same cluster, and the
validation's files (``fit_validation.nc``, ``fit_validation.png``).

Imported when the command runs (TVB, the engine and Dask are imported with it).
"""

from __future__ import annotations

import inspect

from ..explore.fit import run_fit
from ..explore.sweep import _connect, _disconnect, start_fork_server
from ..explore.validation import plot_validation


def fit_and_validate(sim, config, client=None, progress: bool = True, **arguments) -> tuple:
    """``(result, validation)``: :func:`~tvb_ngnmm.explore.fit.run_fit` of the configuration,
    then, with ``config.validation``, its best parameters run with fresh noise on one cluster
    (``client``'s, or a local one started here for both and closed after).

    ``validation`` is None without ``config.validation``, the validation's Dataset, or the
    exception that ended it (the fit's result is kept whatever the validation does).
    """
    if config.validation is None:
        return run_fit(sim, client=client, progress=progress, **arguments), None
    cluster = None
    if client is None:
        start_fork_server(sim, arguments["n_workers"])
        client, cluster, _ = _connect(None, arguments["n_workers"])
    try:
        result = run_fit(sim, client=client, progress=progress, **arguments)
        try:
            return result, validate(config, result, client, progress)
        except (ValueError, RuntimeError, OSError) as err:
            return result, err
    finally:
        if cluster is not None:
            _disconnect(client, cluster, True)


def validate(config, result, client, progress: bool):
    """The validation of ``[fit].validation``: on the held-out subjects of ``[dataset].test``
    where the fit's validation takes a dataset, else with fresh noise on the fitted data."""
    options = dict(config.validation, client=client, progress=progress)
    section = config.dataset
    held_out = "dataset" in inspect.signature(result.validate).parameters
    if held_out and section is not None and section.split is not None:
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
        files.append(("fit_validation.png", lambda p: figure.savefig(p, dpi=110)))
    return files


def validation_lines(validation) -> list[str]:
    """One line per measure of the validation: its mean ± SD over the realisations."""
    n = validation.sizes.get("realisation", 0)
    lines = []
    names = sorted(validation.data_vars, key=lambda name: name != "loss")  # the loss first
    for name in names:
        values = validation[name]
        if "mean" in values.attrs and "sd" in values.attrs:
            lines.append(f"  {name}: {values.attrs['mean']:.4g} ± {values.attrs['sd']:.2g} "
                         f"({n} fresh noise realisations)")  # fmt: skip
    return lines
