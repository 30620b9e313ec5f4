"""The optimisers of :func:`~tvb_ngnmm.explore.fit` and the checks of their options.

Each runner ``run(evaluate, lows, highs, budget, seed, options)`` asks ``evaluate`` (the fit's
evaluator: one sweep per call) for the penalised losses of whole populations:

- ``'grid'`` — grids of ``points_per_axis`` per parameter, each narrower and centred on the best
  point so far, while the budget lasts;
- ``'cma'`` — CMA-ES (the ``cma`` package, ask/tell) in coordinates scaled to [0, 1], its normal
  samples from the fit's own generator;
- ``'differential_evolution'`` — :func:`scipy.optimize.differential_evolution`, vectorised, without
  the final polish.

:func:`_checked_options` refuses, before anything runs or is written, options the optimiser
would refuse later (an unknown name, with the closest known ones; a population too small; a
value cma rejects) and those the fit sets itself (the search box, the generator, the budget).
"""

from __future__ import annotations

import difflib
import functools
import inspect
import warnings

import numpy as np
from scipy.optimize import differential_evolution

from .objectives import _bad

METHODS = ("cma", "grid", "differential_evolution")


def _normal(rng, n_sample: int, dimension: int) -> np.ndarray:
    """CMA-ES's standard normal samples, drawn from the fit's own generator."""
    return rng.standard_normal((n_sample, dimension))


def _run_grid(evaluate, lows, highs, budget, seed, options) -> None:
    dimension = len(lows)
    per_axis = min(options["points_per_axis"], int(np.floor(budget ** (1.0 / dimension) + 1e-9)))
    shrink = min(0.5, 2.0 / max(per_axis - 1, 1))
    centre, half = (lows + highs) / 2, (highs - lows) / 2
    for _ in range(budget // per_axis**dimension):
        low = np.clip(centre - half, lows, highs - 2 * half)
        axes = [np.linspace(lo, lo + 2 * h, per_axis) if per_axis > 1 else np.array([c])
                for lo, h, c in zip(low, half, centre, strict=True)]  # fmt: skip
        evaluate(np.array(np.meshgrid(*axes, indexing="ij")).reshape(dimension, -1).T)
        centre = evaluate.best_point(default=centre)
        half = half * shrink


#: CMA-ES options the fit sets itself (the search box scaled to [0, 1], its own generator from
#: ``seed``, the budget), and what sets them instead.
CMA_FIXED = {"bounds": "'bounds'", "seed": "'seed'", "randn": "'seed'", "maxfevals": "'budget'"}
#: ``differential_evolution`` arguments the fit sets itself, and what sets them instead.
DE_FIXED = {
    "func": "the objective",
    "bounds": "'bounds'",
    "args": "the objective",
    "vectorized": "the fit (each population is one sweep)",
    "updating": "the fit",
    "workers": "'client'",
    "rng": "'seed'",
    "seed": "'seed'",
    "maxiter": "'budget'",
}


def _cma_strategy(lows, highs, budget, seed, options):
    """CMA-ES in coordinates scaled to [0, 1], its normal samples from the fit's generator."""
    # deferred: optional extra 'explore'
    import cma  # noqa: PLC0415

    options = dict(options)
    sigma0, start = options.pop("sigma0"), options.pop("x0")
    rng = np.random.default_rng(seed)
    settings = {"bounds": [0.0, 1.0], "seed": np.nan, "verbose": -9, "maxfevals": budget,
                "randn": functools.partial(_normal, rng)}  # fmt: skip
    settings.update(options)
    return cma.CMAEvolutionStrategy((start - lows) / (highs - lows), sigma0, settings)


def _run_cma(evaluate, lows, highs, budget, seed, options) -> None:
    strategy = _cma_strategy(lows, highs, budget, seed, options)
    used = 0
    while not strategy.stop() and used + strategy.popsize <= budget:
        unit = np.array(strategy.ask())
        losses = evaluate(lows + unit * (highs - lows))
        strategy.tell(list(unit), losses.tolist())
        used += len(unit)


def _run_differential_evolution(evaluate, lows, highs, budget, seed, options) -> None:
    options = dict(options)
    population = max(5, options["popsize"] * len(lows))
    settings = {"polish": False, "maxiter": budget // population - 1}
    settings.update(options)
    differential_evolution(lambda x: evaluate(x.T), list(zip(lows, highs, strict=True)),
                           vectorized=True, updating="deferred",
                           rng=np.random.default_rng(seed), **settings)  # fmt: skip


RUNNERS = {
    "grid": _run_grid,
    "cma": _run_cma,
    "differential_evolution": _run_differential_evolution,
}


def _check_cma_options(options: dict, bounds: dict) -> None:
    """``sigma0`` in (0, 1/3] (of the box) and ``x0`` ``{name: value}`` in the bounds."""
    sigma0 = options.setdefault("sigma0", 0.3)
    if isinstance(sigma0, bool) or not isinstance(sigma0, int | float) or not 0 < sigma0 <= 1 / 3:
        raise _bad("options", "sigma0 is a number in (0, 1/3] (a fraction of each bound's "
                   "width)", repr(sigma0))  # fmt: skip
    start = options.setdefault("x0", {})
    if not isinstance(start, dict) or set(start) - set(bounds):
        raise _bad("options", f"x0 is a dict {{name: value}} of parameters among "
                   f"{list(bounds)}", repr(start))  # fmt: skip
    values = []
    for name, (low, high) in bounds.items():
        value = start.get(name, (low + high) / 2)
        if not isinstance(value, int | float) or not low <= value <= high:
            raise _bad("options", f"x0[{name!r}] is a number in [{low}, {high}]", repr(value))
        values.append(float(value))
    options["x0"] = np.array(values)


def _check_option_names(method: str, options: dict, known, fixed: dict, what: str) -> None:
    """Option names among ``known`` and not among those the fit sets (``fixed``)."""
    for key in options:
        if key in fixed:
            raise _bad("options", f"keys for {method!r} leave {key!r} to the fit (set by "
                       f"{fixed[key]})", repr(key))  # fmt: skip
        if key not in known:
            close = difflib.get_close_matches(str(key), [str(k) for k in known], n=3)
            hint = f" (did you mean {' or '.join(map(repr, close))}?)" if close else ""
            raise _bad("options", f"keys for {method!r} are {what}", f"{key!r}{hint}")


def _check_popsize(options: dict, low: int, default: int) -> int:
    popsize = options.get("popsize", default)
    if isinstance(popsize, bool) or not isinstance(popsize, int | np.integer) or popsize < low:
        raise _bad("options", f"popsize is an integer >= {low}", repr(popsize))
    return int(popsize)


def _try_cma(bounds: dict, budget: int, options: dict) -> None:
    """Start CMA-ES with ``options`` once (no evaluation), so that a value it refuses is
    refused before anything runs or is written."""
    lows, highs = (np.array(b, dtype=float) for b in zip(*bounds.values(), strict=True))
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("error", category=UserWarning, module=r"cma\.")
            _cma_strategy(lows, highs, budget, 0, options)
    except Exception as err:  # noqa: BLE001 - whatever cma refuses
        reason = str(err).strip().splitlines()[0][:200] if str(err).strip() else repr(err)
        given = {k: v for k, v in options.items() if k not in ("sigma0", "x0")}
        raise _bad("options", "are options cma accepts", f"{given!r} ({reason})") from None


def _checked_options(method: str, bounds: dict, budget: int, options) -> dict:
    """The optimiser's options with defaults; the budget checked against its population."""
    if options is not None and not isinstance(options, dict):
        raise _bad("options", "is a dict of the optimiser's options", repr(options))
    options = dict(options or {})
    if method == "grid":
        per_axis = options.pop("points_per_axis", 5)
        if options:
            raise _bad("options", "keys for 'grid' are ['points_per_axis']",
                       repr(sorted(options)))  # fmt: skip
        if isinstance(per_axis, bool) or not isinstance(per_axis, int) or per_axis < 2:
            raise _bad("options", "points_per_axis is an integer >= 2", repr(per_axis))
        if budget < 2 ** len(bounds):  # one point per axis would evaluate the centre again
            raise _bad("budget", f"are integers >= 2 ** {len(bounds)} = {2 ** len(bounds)} for "
                       f"'grid' over {len(bounds)} parameters", repr(budget))  # fmt: skip
        return {"points_per_axis": per_axis}
    if method == "cma":
        # deferred: optional extra 'explore'
        import cma  # noqa: PLC0415

        _check_option_names(method, options, {*cma.CMAOptions(), "sigma0", "x0"}, CMA_FIXED,
                            "'sigma0', 'x0' and the options of cma.CMAOptions()")  # fmt: skip
        _check_cma_options(options, bounds)
        population = _check_popsize(options, 2, 4 + int(3 * np.log(len(bounds))))
    else:
        known = set(inspect.signature(differential_evolution).parameters)
        _check_option_names(method, options, known, DE_FIXED, "the arguments of "
                            "scipy.optimize.differential_evolution")  # fmt: skip
        options["popsize"] = _check_popsize(options, 1, 5)
        population = max(5, options["popsize"] * len(bounds))
    if budget < population:
        raise _bad("budget", f"are integers >= the population size {population} for "
                   f"{method!r}", repr(budget))  # fmt: skip
    if method == "cma":
        _try_cma(bounds, budget, options)
    return options
