"""Measures that reduce one member's simulated output to a few numbers, on the worker.

A measure is a function ``f(outputs, **options)`` of one point's monitor outputs (a list, one
``xarray.DataArray`` per monitor, dims ``(time, state_variable, region)``, time in ms) that
returns a number, a numeric array or an ``xarray.DataArray`` (named dims, units in
``attrs['units']``), or a dict of them by name; anything else (a string, ...) is refused. The
registry :data:`MEASURES` names the usual ones; any callable is accepted too (its name is the
function's ``__name__``). A sweep checks them before anything runs (:mod:`.trial`).

Rates are reported in Hz (the engine's rates are in kHz). Where a measure is undefined (a
constant signal) it is NaN (the `UndefinedMeasureWarning` stays on the worker: the NaN in the
store is the record of it).
"""

from __future__ import annotations

import functools
import warnings

import numpy as np

from .._util import UndefinedMeasureWarning  # not ..analysis: it imports scipy.signal


def _is_bold(output) -> bool:
    return "bold" in str(output.name).lower()


def _signal(outputs, monitor, variable, bold: bool = False):
    """(data (time, region), dt) of one variable of one monitor."""
    if monitor is None:
        candidates = [o for o in outputs if _is_bold(o) == bold]
        if not candidates:
            kind = "a BOLD monitor" if bold else "a monitor other than BOLD"
            raise ValueError(
                f"Invalid value for the 'measures' parameter. The measure needs {kind}, but the "
                f"simulator's monitors are {[str(o.name) for o in outputs]}."
            )
        output = candidates[0]
    else:
        output = outputs[monitor]
    variable = output.state_variable.values[0] if variable is None else variable
    data = output.sel(state_variable=variable).values
    return data, float(output.time.values[1] - output.time.values[0]), output


def mean_rate(outputs, monitor: int | None = None):
    """Time-averaged firing rate (Hz) of each rate variable (``r``, ``r_*``) in each region."""
    # deferred: xarray imports pandas (0.5 s); only the labelled outputs need it
    import xarray as xr  # noqa: PLC0415

    _, _, output = _signal(outputs, monitor, None)
    names = [v for v in output.state_variable.values if v == "r" or str(v).startswith("r_")]
    if not names:
        raise ValueError(
            "Invalid value for the 'measures' parameter. 'mean_rate' needs rate variables "
            f"('r', 'r_*') among the monitored ones, but got {list(output.state_variable.values)}."
        )
    # The time mean of every monitored variable, then the rate rows (selecting the rows first
    # copies the whole series: 16 ms of the 18 for EI-90, 1 s at 0.1 ms)
    values = output.values
    means = np.mean(values, axis=0)
    if np.isnan(means).any():  # steps not computed (NaN) are left out, as xarray's mean does
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all NaN: NaN
            means = np.nanmean(values, axis=0)
    means = means * 1000.0
    rows = list(output.state_variable.values)
    return {
        f"mean_rate_{name}": xr.DataArray(
            means[rows.index(name)], dims=("region",), attrs={"units": "Hz"}
        )  # fmt: skip
        for name in names
    }


def fc(outputs, variable: str | None = None, monitor: int | None = None, bold: bool = False):
    """Functional connectivity (Pearson correlation between regions) of one variable."""
    # deferred: xarray imports pandas (0.5 s); only the labelled outputs need it
    import xarray as xr  # noqa: PLC0415

    # deferred: the analysis package imports scipy.signal, which sweep workers need not load
    from ..analysis import functional_connectivity  # noqa: PLC0415

    data, _, _ = _signal(outputs, monitor, variable, bold)
    return xr.DataArray(functional_connectivity(data), dims=("region_i", "region_j"),
                        attrs={"units": "1"})  # fmt: skip


def bold_fc(outputs, variable: str | None = None, monitor: int | None = None):
    """Functional connectivity of the BOLD signal (the first BOLD monitor)."""
    return fc(outputs, variable, monitor, bold=True)


def fcd(outputs, window_ms: float | None = None, step_ms: float | None = None,
        variable: str | None = None, monitor: int | None = None):  # fmt: skip
    """FCD matrix (windows × windows); window a quarter of the run, step a quarter window."""
    # deferred: xarray imports pandas (0.5 s); only the labelled outputs need it
    import xarray as xr  # noqa: PLC0415

    # deferred: the analysis package imports scipy.signal, which sweep workers need not load
    from ..analysis import functional_connectivity_dynamics  # noqa: PLC0415

    data, dt, _ = _signal(outputs, monitor, variable)
    window_ms = len(data) * dt / 4.0 if window_ms is None else window_ms
    step_ms = window_ms / 4.0 if step_ms is None else step_ms
    matrix, _ = functional_connectivity_dynamics(data, dt, window_ms, step_ms)
    attrs = {"units": "1", "window_ms": window_ms, "step_ms": step_ms}
    return xr.DataArray(matrix, dims=("window_i", "window_j"), attrs=attrs)


def peak_frequency(outputs, variable: str | None = None, monitor: int | None = None,
                   segment_ms: float | None = None, fmin: float = 1.0):  # fmt: skip
    """Frequency (Hz) of the largest spectral peak of each region (Welch spectrum)."""
    # deferred: xarray imports pandas (0.5 s); only the labelled outputs need it
    import xarray as xr  # noqa: PLC0415

    # deferred: the analysis package imports scipy.signal, which sweep workers need not load
    from ..analysis import peak_frequency as peak  # noqa: PLC0415
    from ..analysis import power_spectrum  # noqa: PLC0415

    data, dt, _ = _signal(outputs, monitor, variable)
    segment_ms = min(250.0, len(data) * dt) if segment_ms is None else segment_ms
    freqs, psd = power_spectrum(data, dt, segment_ms)
    values = [peak(freqs, psd[:, k], fmin=fmin) for k in range(psd.shape[1])]
    return xr.DataArray(np.array(values), dims=("region",), attrs={"units": "Hz"})


def kuramoto(outputs, variable: str | None = None, monitor: int | None = None,
             band: tuple | None = None):  # fmt: skip
    """Time average (synchrony) and standard deviation (metastability) of Kuramoto's R(t)."""
    # deferred: xarray imports pandas (0.5 s); only the labelled outputs need it
    import xarray as xr  # noqa: PLC0415

    # deferred: the analysis package imports scipy.signal, which sweep workers need not load
    from ..analysis import kuramoto_order_parameter  # noqa: PLC0415

    data, dt, _ = _signal(outputs, monitor, variable)
    order = kuramoto_order_parameter(data, dt, band=band)
    return {"kuramoto": xr.DataArray(np.nanmean(order), attrs={"units": "1"}),
            "metastability": xr.DataArray(np.nanstd(order), attrs={"units": "1"})}  # fmt: skip


MEASURES = {
    "mean_rate": mean_rate,
    "fc": fc,
    "bold_fc": bold_fc,
    "fcd": fcd,
    "peak_frequency": peak_frequency,
    "kuramoto": kuramoto,
}


def as_measures(measures) -> list:
    """``[(name, function, options)]`` from names, callables, a list of them or a dict."""
    if isinstance(measures, str) or callable(measures):
        measures = [measures]
    if isinstance(measures, dict):
        items = list(measures.items())
    elif isinstance(measures, list | tuple) and measures:
        items = [(m, {}) for m in measures]
    else:
        items = []
    out = []
    for measure, options in items:
        if not isinstance(options, dict) or not callable(measure) and measure not in MEASURES:
            break
        if callable(measure):  # its options as given ({function: {option: value}})
            out.append((_function_name(measure)[1], measure, options))
            continue
        out.append((measure, MEASURES[measure], options))
    if not out or len(out) != len(items):
        allowed = ", ".join(repr(m) for m in MEASURES)
        raise ValueError(
            f"Invalid value for the 'measures' parameter. Allowed are one or more of {allowed} "
            "or callables f(outputs), as a list or a dict {name: options}, but got "
            f"{measures!r} instead."
        )
    return out


def _function_name(function) -> tuple[str, str]:
    """(qualified name with bound arguments, short name) of a measure function."""
    if isinstance(function, functools.partial):
        qualified, short = _function_name(function.func)
        return f"{qualified}{function.args!r}{sorted(function.keywords.items())!r}", short
    short = getattr(function, "__name__", type(function).__name__)
    return (
        f"{getattr(function, '__module__', '')}.{getattr(function, '__qualname__', short)}",
        short,
    )


def describe_measures(measures: list) -> list:
    """What identifies the measures of a store (names, functions, options)."""
    return [
        (name, _function_name(function)[0], repr(options)) for name, function, options in measures
    ]


def reduce_member(outputs, measures: list) -> dict:
    """``{variable: xarray.DataArray}`` of one member's measures.

    Raises
    ------
    ValueError
        If a measure returns something else than numbers, numeric arrays, numeric
        ``xarray.DataArray`` or a dict of them by name, or a name another measure gave.
    """
    values = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UndefinedMeasureWarning)
        for name, function, options in measures:
            result = function(outputs, **options)
            if not isinstance(result, dict):
                result = {name: result}
            for key, value in result.items():
                if not isinstance(key, str) or not key or key in values:
                    given = f"the name {key!r} twice" if key in values else f"the name {key!r}"
                    raise _bad_result(name, "distinct non-empty names (str)", given)
                values[key] = _as_data_array(name, key, value)
    return values


def _bad_result(name: str, allowed: str, given: str) -> ValueError:
    return ValueError(
        f"Invalid value for the 'measures' parameter: the measure {name!r} must return numbers, "
        "numeric arrays, numeric xarray.DataArray or a dict {name: one of these} with "
        f"{allowed}, but it returned {given}."
    )


def _as_data_array(name: str, key: str, value):
    """A measure's value as a float ``xarray.DataArray`` (dims named after ``key``)."""
    # deferred: xarray imports pandas (0.5 s); only the labelled outputs need it
    import xarray as xr  # noqa: PLC0415

    data = value.values if isinstance(value, xr.DataArray) else value
    try:
        array = np.asarray(data)
    except (TypeError, ValueError) as err:  # ragged sequences
        raise _bad_result(name, "numbers", f"{type(value).__name__} ({err})") from None
    if array.dtype.kind not in "biuf":
        shown = repr(value) if len(repr(value)) < 60 else type(value).__name__
        raise _bad_result(name, "numbers", f"{shown} for {key!r} (dtype {array.dtype})")
    if isinstance(value, xr.DataArray):
        return value.astype(float)
    array = array.astype(float)
    return xr.DataArray(array, dims=tuple(f"{key}_dim_{k}" for k in range(array.ndim)))
