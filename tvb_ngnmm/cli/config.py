"""Configuration files (TOML) of the command line: a simulator, its run and its sweep in one file.

Sections (``*`` required; input paths are relative to the config file's folder, output paths
to the current folder):

- ``[dataset]`` (empirical subjects, :mod:`.dataset`) — ``name`` (a bundled dataset:
  ``'gw'``), or ``weights``, ``lengths`` and ``bold`` (each a path pattern with one
  ``{subject}``, ``bold`` also one ``{session}``, or a table ``{subject = 'path'}``;
  ``lengths`` left out for TVB zips), or ``table`` (a ``.csv``/``.tsv`` of paths);
  ``repetition_time`` (ms; required unless the table has that column); ``weighting`` (named
  steps, :data:`~tvb_ngnmm.datasets.WEIGHTING_STEPS`; default ``['symmetrize',
  'zero_diagonal', 'sqrt', 'unit_eigenvalue']`` for ``'gw'``, ``['symmetrize',
  'zero_diagonal']`` for files); ``subjects`` (the ones to read; default all); files only:
  ``bold_layout`` (``'auto'``, ``'time_region'``, ``'region_time'``), ``keys`` (the variable of
  each kind in ``.mat``/``.npz``/HDF5 files), ``labels`` (a list or a text file),
  ``min_volumes``; ``test`` (held-out subjects; the others train; default none held out), or
  ``folds`` (k-fold cross-validation over the subjects, each fold a fit and its held-out
  validation, :func:`~tvb_ngnmm.explore.cross_validate`) with ``fold_seed`` (default 0).
  With it the connectome is the training subjects' group (their mean structure, weighted),
  ``[connectome]`` is optional and gives only ``conduction_speed``, and a fit's objective
  terms take their targets from the training subjects (``target_fc``, ``target_fcd``,
  ``target_series`` are refused).
- ``[connectome]``\\* (not with ``[dataset]``) — ``name`` (a bundled connectome), ``file`` (one
  connectome file) or ``weights`` (a matrix file, with optional ``tract_lengths``,
  ``centres``, ``labels`` files); ``normalize`` (``'none'``, ``'row'``, ...; default
  ``'none'``); ``conduction_speed`` (mm/ms, default 3; with ``weights``, only together with
  ``tract_lengths``: weights alone have tract lengths of 0, no delays, and a warning says so).
- ``[model]``\\* — ``name``\\* (a class of the model registry or of ``tvb.simulator.models``),
  ``preset`` (one of :func:`~tvb_ngnmm.models.preset_names` for that class), ``parameters``
  (a table ``{parameter: number or list, one per region}``).
- ``[coupling]``\\* — ``name``\\* (TVB's couplings, the package's ``Laplacian``, ``Additive``),
  ``parameters`` (``{a = 9.0}``, ``{normalize = 'rw'}``, ...).
- ``[integrator]``\\* — ``name``\\* (Euler or Heun, deterministic or stochastic), ``dt``\\*
  (ms), ``nsig`` (stochastic only, required there: a number or a list), ``seed`` (of the noise,
  an integer >= 0; default TVB's ``noise_seed``, 42): the noise stream is ``RandomState(seed)``
  from its start.
- ``[[monitors]]``\\* — one table per monitor: ``name``\\*, ``period`` (ms), ``variables``
  (names of the model's variables of interest) and the monitor's own options
  (``field_strength = '3T'`` of ``BalloonWindkesselBold``, ...).
- ``[run]``\\* — ``duration``\\* (ms), ``history_seed`` (an integer >= 0, default 0): the seed of
  the random initial history (:func:`~tvb_ngnmm.seeding.configure_seeded`: TVB's draw,
  uniform in each state variable's ``state_variable_range``, from
  ``np.random.default_rng(history_seed)`` instead of NumPy's global generator). With both
  seeds fixed, every command gives the same numbers every time; both are recorded in the
  outputs (attributes ``history_seed`` and ``noise_seed``).
- ``[sweep]`` (the ``sweep`` command) — ``design``\\* (``'grid'``, ``'points'``, ``'sobol'``),
  ``parameters``\\* (``{name: values}``; for Sobol ``{name: [low, high]}`` and ``n_point``,
  ``design_seed``; numbers, not booleans), ``measures``\\* (names, or a table
  ``{name: {options}}``), ``store`` (zarr folder), ``batch_size``, ``retries``,
  ``n_workers``, ``seed`` (noise per task), ``raw``, ``maps`` (regional heterogeneity, as
  in ``[fit]``).
- ``[fit]`` (the ``fit`` command) — ``parameters``\\* (bounds ``{name: [low, high]}``),
  ``objective``\\* (``{kind = 'fc_correlation', target_fc = 'fc.npy'}``, or
  ``{terms = [{...}, {...}]}`` with ``weight`` per term; kinds ``fc_correlation``,
  ``fc_distance``, ``fc_level``, ``fcd_distance``, ``spectral_peak``; ``transient`` (ms) drops
  the start of the output; target paths relative to the config file), ``method``
  (``'cma'``, ``'grid'``, ``'differential_evolution'``; default ``'cma'``),
  ``budget`` (simulations, default 100), ``seed`` (of the optimiser, default 0), ``store``
  (folder keeping every generation; a fit run again resumes), ``n_workers``, ``options``
  (the optimiser's options, e.g. ``{popsize = 8}``), ``realisations`` (noise streams per
  point, their losses averaged; default 1), ``maps`` (regional heterogeneity:
  ``{I_e = {myelin = 'myelin.npy'}}``, each map a list of one number per region, a ``.npy``
  file relative to the config file or, with ``[dataset]``, ``'sc_strength'``: the training
  connectome's row sums, z-scored over the regions; ``parameters`` may then name ``I_e.base``
  and ``I_e.myelin``), ``transient`` (ms, for every objective term without its own),
  ``validation`` (``{realisations = 5, seed = 1}``, ``true`` or ``false``: after the fit, its
  best parameters with fresh noise, on the held-out subjects too with ``[dataset].test``;
  default on with ``[dataset].test``, off otherwise; written as ``fit_validation.nc`` and
  ``.png``), ``per_subject`` (``true``: with ``[dataset]`` and no ``test``, every subject
  fitted on its own connectome and data into one store, :mod:`._subjects`; default
  ``false``).
- ``[output]`` (the ``run`` and ``fit`` commands) — ``folder``, ``netcdf`` and ``figure``
  (booleans; ``run`` refuses both false, as it would write nothing).

Every error is a :class:`ConfigError` naming the key (``[integrator].dt``), what is allowed
and what was given; unknown and missing keys are errors, and so is a simulator the fast engine
cannot run (the error names its section).
"""

from __future__ import annotations

import inspect
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..connectomes import bundle_names
from ..connectomes.preprocessing import NORMALIZATIONS
from ..engine.spec import SimulationSpec, extract
from ..explore.design import grid, points, sobol
from ..explore.fit_problem import NOISE_SEED, check_fit
from ..explore.heterogeneity import checked_maps, expanded
from ..explore.objectives import objective_from_config
from ..explore.recipe import classify
from ..explore.reduce import MEASURES, as_measures
from ..explore.trial import check_options
from .dataset import (
    DATASET_MAPS,
    DatasetSection,
    check_connectome_keys,
    dataset_map,
    dataset_objective,
    dataset_schema,
    objective_terms,
    read_dataset_section,
    with_placeholder_targets,
)
from .keys import (
    KINDS,
    ConfigError,
    Key,
    _invalid,
    _is_number,
    _missing,
    _names,
    _non_negative,
    _positive,
    check_table,
)
from .simulator import (
    INTEGRATORS,
    MONITORS,
    build_simulator,
    coupling_classes,
    make_connectivity,
    make_coupling,
    make_integrator,
    make_model,
    make_monitors,
    model_classes,
    trait_options,
)

__all__ = [
    "DESIGNS", "FIT_METHODS", "INTEGRATORS", "KINDS", "MONITORS", "SECTIONS_REQUIRED", "Config",
    "ConfigError", "Key", "build_simulator", "check_run_outputs", "check_table",
    "coupling_classes", "make_connectivity", "make_coupling", "make_integrator", "make_model",
    "make_monitors", "model_classes", "parse_config", "read_config", "trait_options",
]  # fmt: skip

DESIGNS = ("grid", "points", "sobol")
FIT_METHODS = ("cma", "grid", "differential_evolution")


def _schemas() -> dict:
    path = Key("str")
    return {
        "connectome": {
            "name": Key("str", choices=tuple(bundle_names())), "file": path, "weights": path,
            "tract_lengths": path, "centres": path, "labels": path,
            "normalize": Key("str", default="none", choices=NORMALIZATIONS),
            "conduction_speed": Key("number", check=_positive, allowed="numbers > 0 (mm/ms)"),
        },
        "model": {"name": Key("str", True), "preset": Key("str"),
                  "parameters": Key("table", default={})},
        "coupling": {"name": Key("str", True), "parameters": Key("table", default={})},
        "integrator": {
            "name": Key("str", True, choices=INTEGRATORS),
            "dt": Key("number", True, check=_positive, allowed="numbers > 0 (ms)"),
            "nsig": Key("numbers", check=_non_negative, allowed="numbers >= 0"),
            "seed": Key("int", check=_non_negative, allowed="integers >= 0"),
        },
        "run": {"duration": Key("number", True, check=_positive, allowed="numbers > 0 (ms)"),
                "history_seed": Key("int", default=0, check=_non_negative,
                                    allowed="integers >= 0")},
        "sweep": {
            "design": Key("str", True, choices=DESIGNS), "parameters": Key("table", True),
            "n_point": Key("int", check=_positive, allowed="integers >= 1"),
            "design_seed": Key("int", default=0), "measures": Key("any", True),
            "store": Key("str"), "batch_size": Key("int", check=_positive, allowed="integers >= 1"),
            "retries": Key("int", default=2, check=_non_negative, allowed="integers >= 0"),
            "n_workers": Key("int", check=_positive, allowed="integers >= 1"),
            "seed": Key("int", check=_non_negative, allowed="integers >= 0"),
            "raw": Key("bool", default=False), "maps": Key("table"),
        },
        "fit": {
            "parameters": Key("table", True), "objective": Key("table", True),
            "method": Key("str", default="cma", choices=FIT_METHODS),
            "budget": Key("int", default=100, check=_positive, allowed="integers >= 1"),
            "seed": Key("int", default=0, check=_non_negative, allowed="integers >= 0"),
            "store": Key("str"),
            "n_workers": Key("int", check=_positive, allowed="integers >= 1"),
            "options": Key("table", default={}),
            "realisations": Key("int", default=1, check=_positive, allowed="integers >= 1"),
            "maps": Key("table"),
            "transient": Key("number", check=_non_negative, allowed="numbers >= 0 (ms)"),
            "validation": Key("any"), "per_subject": Key("bool", default=False),
        },
        "dataset": dataset_schema(),
        "output": {"folder": Key("str"), "netcdf": Key("bool", default=True),
                   "figure": Key("bool", default=True)},
    }  # fmt: skip


SECTIONS_REQUIRED = ("connectome", "model", "coupling", "integrator", "monitors", "run")


@dataclass
class Config:
    """A checked configuration and the configured simulator it describes.

    Attributes
    ----------
    source : Path or None
        The file read (None for a configuration given as text).
    text : str
        The TOML text (stored with the outputs).
    settings : dict
        The checked sections, defaults filled in.
    simulator : tvb.simulator.simulator.Simulator
        Configured (its initial history drawn from ``[run].history_seed``),
        ``simulation_length`` = ``[run].duration``; one the fast engine runs.
    duration : float
        ``[run].duration`` (ms).
    spec : tvb_ngnmm.engine.spec.SimulationSpec
        The simulator as the engine read and checked it (once: a sweep or fit of the
        configuration takes it as it is).
    dataset : DatasetSection or None
        ``[dataset]`` read once and split (:mod:`.dataset`); None without it.
    validation : dict or None
        ``{'realisations': int, 'seed': int}`` of the validation after a fit
        (``[fit].validation``), or None for none.
    """

    source: Path | None
    text: str
    settings: dict
    simulator: object
    duration: float
    spec: SimulationSpec | None = field(default=None, repr=False)
    sweep: dict | None = field(default=None)
    fit: dict | None = field(default=None)
    dataset: DatasetSection | None = field(default=None, repr=False)
    validation: dict | None = field(default=None)

    def sweep_arguments(self) -> dict:
        """Keyword arguments of :func:`~tvb_ngnmm.explore.sweep` (``client`` aside; ``spec``
        the configuration's)."""
        if self.sweep is None:
            raise ConfigError("[sweep]", "Missing section [sweep]. A sweep needs [sweep] with "
                                         "'design', 'parameters' and 'measures'.")  # fmt: skip
        return dict(self.sweep)

    def fit_arguments(self) -> dict:
        """Keyword arguments of :func:`~tvb_ngnmm.explore.fit.run_fit` (``client`` aside):
        ``problem``, the :class:`~tvb_ngnmm.explore.fit_problem.FitProblem` of ``[fit]``
        (checked)."""
        if self.fit is None:
            raise ConfigError("[fit]", "Missing section [fit]. A fit needs [fit] with "
                                       "'parameters' and 'objective'.")  # fmt: skip
        return dict(self.fit)

    @property
    def history_seed(self) -> int:
        """``[run].history_seed``: the seed of the simulator's initial history."""
        return int(self.settings["run"]["history_seed"])


def read_config(path, require_sweep: bool = False, require_fit: bool = False) -> Config:
    """Read, check and build a TOML configuration file.

    Parameters
    ----------
    path : str or Path
        The ``.toml`` file.
    require_sweep : bool
        Whether ``[sweep]`` must be present (the ``sweep`` command).
    require_fit : bool
        Whether ``[fit]`` must be present (the ``fit`` command).

    Raises
    ------
    ConfigError
        Naming the key, what is allowed and what was given (also for files it cannot read).
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise _invalid("CONFIG", "is a readable TOML file", str(path)) from err
    return parse_config(text, base=path.parent, source=path, require_sweep=require_sweep,
                        require_fit=require_fit)  # fmt: skip


def parse_config(text: str, base=".", source=None, require_sweep: bool = False,
                 require_fit: bool = False) -> Config:  # fmt: skip
    """Check and build a configuration given as TOML text (input paths relative to ``base``)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        where = source or "the configuration"
        raise ConfigError("CONFIG", f"Invalid TOML in {where}: {err}.") from None
    schemas = _schemas()
    _check_sections(data, require_sweep, require_fit)
    if "dataset" in data:
        check_connectome_keys(data.get("connectome", {}))
        data.setdefault("connectome", {})
    settings = {name: check_table(data[name], schemas[name], f"[{name}]")
                for name in schemas if name in data}  # fmt: skip
    settings.setdefault("output", check_table({}, schemas["output"], "[output]"))
    settings["monitors"] = _monitor_tables(data["monitors"])
    section = None
    if "dataset" in settings:
        section = read_dataset_section(settings["dataset"], Path(base))
    connectivity = None if section is None else section.connectivity(
        3.0 if settings["connectome"]["conduction_speed"] is None
        else float(settings["connectome"]["conduction_speed"]))  # fmt: skip
    sim = build_simulator(settings, Path(base), connectivity)
    spec = _checked_spec(sim, settings)
    config = Config(source, text, settings, sim, float(settings["run"]["duration"]), spec,
                    dataset=section)  # fmt: skip
    if "sweep" in settings:
        config.sweep = _sweep_arguments(sim, spec, settings["sweep"], config.duration,
                                        Path(base), section)  # fmt: skip
        config.sweep["history_seed"] = config.history_seed
    if "fit" in settings:
        if settings["fit"]["per_subject"]:
            # deferred: it imports this module
            from ._subjects import check_per_subject, subject_arguments  # noqa: PLC0415

            check_per_subject(settings, section)
        config.fit = _fit_arguments(sim, spec, settings["fit"], config.duration, Path(base),
                                    section)  # fmt: skip
        config.fit["history_seed"] = config.history_seed
        config.validation = _validation(settings["fit"]["validation"], section, sim,
                                        config.fit["problem"])  # fmt: skip
        if settings["fit"]["per_subject"]:
            config.fit["per_subject"] = subject_arguments(config, settings["fit"], Path(base))
    return config


def _check_sections(data: dict, require_sweep: bool, require_fit: bool) -> None:
    """Every section known; the required ones given (``[connectome]`` not with ``[dataset]``,
    whose training subjects make the connectome)."""
    allowed = (*SECTIONS_REQUIRED, "sweep", "fit", "output", "dataset")
    for name in data:
        if name not in allowed:
            raise ConfigError(f"[{name}]", f"Unknown section [{name}]. Allowed sections are "
                                           f"{_names(allowed)}, but got {name!r}.")  # fmt: skip
    simulator = [n for n in SECTIONS_REQUIRED if n != "connectome" or "dataset" not in data]
    required = (*simulator, *(("sweep",) if require_sweep else ()),
                *(("fit",) if require_fit else ()))  # fmt: skip
    for name in required:
        if name not in data:
            raise ConfigError(f"[{name}]", f"Missing section [{name}]. Required sections are "
                              f"{_names(required)}, but [{name}] was not given.")  # fmt: skip


def check_run_outputs(config: Config) -> None:
    """Raise a :class:`ConfigError` if ``[output]`` lets the ``run`` command write nothing."""
    output = config.settings["output"]
    if not (output["netcdf"] or output["figure"]):
        raise ConfigError("[output].netcdf", "Invalid value for [output].netcdf and "
                          "[output].figure. Allowed is at least one of them true (a run writes "
                          "netCDF files, a figure or both), but got false for both "
                          "instead.")  # fmt: skip


def _monitor_tables(monitors) -> list:
    if not isinstance(monitors, list) or not monitors or not all(isinstance(m, dict)
                                                                  for m in monitors):  # fmt: skip
        raise _invalid("[[monitors]]", "is one or more [[monitors]] tables", monitors)
    for k, table in enumerate(monitors):
        if "name" not in table:
            raise _missing(f"[monitors][{k}].name", "Required keys of [[monitors]] are 'name'")
        check_table({"name": table["name"]}, {"name": Key("str", choices=MONITORS)},
                    f"[monitors][{k}]")  # fmt: skip
    return monitors


def _checked_spec(sim, settings: dict) -> SimulationSpec:
    """``sim`` as the engine reads it; a :class:`ConfigError` naming the section if the fast
    engine cannot run it."""
    try:
        return extract(sim)
    except ValueError as err:
        key = _engine_key(sim, settings, str(err))
        if key == "[connectome]" and "dataset" in settings:
            key = "[dataset]"  # whose training subjects make the connectome
        raise ConfigError(key, f"{key}: {err}") from None


def _engine_key(sim, settings: dict, message: str) -> str:
    """The key an engine's refusal is about (its section, or its parameter when named)."""
    for section, part in (("model", sim.model), ("coupling", sim.coupling),
                          ("integrator", sim.integrator)):  # fmt: skip
        if type(part).__name__ in message or f"'{section}" in message:
            named = re.search(r"'(\w+)' parameter", message)
            given = settings[section].get("parameters", {})
            if named and named[1] in given:
                return f"[{section}].parameters.{named[1]}"
            return f"[{section}]"
    for k, monitor in enumerate(sim.monitors):
        if type(monitor).__name__ in message:
            return f"[monitors][{k}]"
    return "[connectome]" if re.search("connect|delay|tract|weight", message) else "CONFIG"


def _sweep_arguments(sim, spec, sweep: dict, duration: float, base: Path,
                     section: DatasetSection | None = None) -> dict:  # fmt: skip
    """``explore.sweep`` keyword arguments from the checked ``[sweep]`` (names checked on sim)."""
    design = _design(sweep)
    maps = _maps(sweep["maps"], "[sweep].maps", base, section)
    try:
        maps = checked_maps(spec, maps)
    except ValueError as err:
        raise ConfigError("[sweep].maps", f"[sweep].maps: {err}") from None
    try:
        classify(sim, spec, expanded(spec, maps, design)[0].names)
    except ValueError as err:
        raise ConfigError("[sweep].parameters", f"[sweep].parameters: {err}") from None
    measures = _measures(sweep["measures"])
    try:  # the options against the simulator's monitors (a variable it has, ...)
        check_options(spec, as_measures(measures))
    except ValueError as err:
        raise ConfigError("[sweep].measures", f"[sweep].measures: {err}") from None
    _check_store(sweep["store"], "[sweep].store")
    return {"design": design, "measures": measures, "store": sweep["store"],
            "simulation_length": duration, "batch_size": sweep["batch_size"],
            "retries": sweep["retries"], "n_workers": sweep["n_workers"],
            "seed": sweep["seed"], "raw": sweep["raw"], "spec": spec,
            "maps": maps or None}  # fmt: skip


#: The key of each parameter of ``check_fit`` (and the prefix of its message).
FIT_KEYS = {"bounds": ("[fit].parameters", "[fit].parameters"),
            "method": ("[fit].method", "[fit].method"), "budget": ("[fit].budget", "[fit].budget"),
            "options": ("[fit].options", "[fit].options or budget"),
            "objective": ("[fit].objective", "[fit].objective"),
            "realisations": ("[fit].realisations", "[fit].realisations"),
            "maps": ("[fit].maps", "[fit].maps"),
            "simulation_length": ("[run].duration", "[run].duration")}  # fmt: skip


def _fit_arguments(sim, spec, table: dict, duration: float, base: Path,
                   section: DatasetSection | None = None) -> dict:  # fmt: skip
    """``explore.fit.run_fit`` keyword arguments from the checked ``[fit]``: its problem checked
    once by ``check_fit``."""
    bounds = {}
    for name, pair in table["parameters"].items():
        if not (isinstance(pair, list) and len(pair) == 2 and all(map(_is_number, pair))):
            raise _invalid(f"[fit].parameters.{name}", "is [low, high] (two numbers)", pair)
        bounds[name] = (float(pair[0]), float(pair[1]))
    objective = _objective(sim, table, duration, base, section)
    maps = _maps(table["maps"], "[fit].maps", base, section)
    try:  # method and budget are checked by the schema
        problem = check_fit(sim, objective, bounds, table["method"], table["budget"], duration,
                            table["options"], realisations=table["realisations"],
                            spec=spec, maps=maps)  # fmt: skip
    except ValueError as err:
        key, prefix = FIT_KEYS.get(getattr(err, "parameter", None), ("[fit]", "[fit]"))
        raise ConfigError(key, f"{prefix}: {err}") from None
    _check_store(table["store"], "[fit].store")
    return {"problem": problem, "seed": table["seed"], "store": table["store"],
            "n_workers": table["n_workers"]}  # fmt: skip


def _objective(sim, table: dict, duration: float, base: Path, section) -> object:
    """The objective of ``[fit].objective``: ``[fit].transient`` for the terms without their
    own (checked against the run here, naming that key), the targets the training subjects'
    with ``[dataset]``."""
    config, inherited = table["objective"], []
    if table["transient"] is not None:
        config = {**config, "terms": [dict(t) for t in config["terms"]]} if (
            isinstance(config.get("terms"), list)) else dict(config)  # fmt: skip
        for k, (term, _) in enumerate(objective_terms(config)):
            if "transient" not in term:
                term["transient"] = float(table["transient"])
                inherited.append(k)
    if section is not None:
        config = with_placeholder_targets(config, section)
    try:
        objective = objective_from_config(config, base_dir=base)
    except (ValueError, OSError, TypeError) as err:  # TypeError: a required option missing
        raise ConfigError("[fit].objective", f"[fit].objective: {err}") from None
    for k in inherited:  # each term of [fit].transient, in the order of the configuration
        try:
            objective.terms()[k][0].check_simulator(sim, duration)
        except ValueError as err:
            if "'transient'" in str(err):
                raise ConfigError("[fit].transient", f"[fit].transient: {err}") from None
    if section is None:
        return objective
    return dataset_objective(objective, section, [key for _, key in objective_terms(config)])


#: The keys of ``[fit].validation`` as a table.
VALIDATION_KEYS = {
    "realisations": Key("int", default=5, check=lambda v: v >= 2,
                        allowed="integers >= 2 (a standard deviation needs two)"),
    "seed": Key("int", default=1, check=_non_negative, allowed="integers >= 0"),
}  # fmt: skip


def _validation(value, section, sim, problem) -> dict | None:
    """``[fit].validation``: ``{'realisations', 'seed'}``, or None (off). Default: on with a
    ``[dataset].test`` split, off otherwise."""
    key, given = "[fit].validation", value
    if value is None:
        value = section is not None and section.split is not None
        given = "true (the default with [dataset].test)"
    if not isinstance(value, bool | dict):
        raise _invalid(key, "is true, false or a table {realisations = 5, seed = 1}", value)
    if value is False:
        return None
    table = check_table({} if value is True else value, VALIDATION_KEYS, key)
    if getattr(sim.integrator, "noise", None) is None:
        raise _invalid(key, "with a stochastic integrator only (it runs the best parameters "
                       "with fresh noise; set validation = false)", given)  # fmt: skip
    if NOISE_SEED in problem.bounds:
        raise _invalid(key, f"only for a fit whose parameters do not include {NOISE_SEED!r} "
                       "(set validation = false)", given)  # fmt: skip
    return table


def _maps(table, key: str, base: Path, section=None) -> dict | None:
    """Regional maps ``{parameter: {map name: array}}`` of a ``maps`` table: each map a list of
    numbers, a ``.npy`` file (relative to the config file) or the name of a map of the dataset
    (:data:`~.dataset.DATASET_MAPS`); checked on the simulator later."""
    if table is None:
        return None
    allowed = ("is a table {parameter = {map name = [numbers], 'map.npy' or one of "
               f"{_names(DATASET_MAPS)}}}")  # fmt: skip
    if not all(isinstance(named, dict) for named in table.values()):
        raise _invalid(key, allowed, table)
    maps = {}
    for parameter, named in table.items():
        maps[parameter] = {}
        for name, value in named.items():
            if value in DATASET_MAPS:
                value = dataset_map(value, section, f"{key}.{parameter}.{name}")
            elif isinstance(value, str):
                try:
                    value = np.load(base / value, allow_pickle=False)
                except (OSError, ValueError) as err:
                    raise _invalid(f"{key}.{parameter}.{name}", "is a list of numbers or a "
                                   f".npy file relative to the config file ({err})",
                                   value) from None  # fmt: skip
            maps[parameter][name] = value
    return maps


def _check_store(store, key: str) -> None:
    """A store is a folder (new, or one to resume): not an existing file."""
    if store is not None and Path(store).exists() and not Path(store).is_dir():
        raise ConfigError(key, f"Invalid value for {key}. Allowed is the path of a folder "
                          f"(relative to the current folder), but got {store!r} instead, "
                          "which is a file.")  # fmt: skip


def _design(sweep: dict):
    kind, values = sweep["design"], sweep["parameters"]
    for name, given in values.items():
        if isinstance(given, bool) or (isinstance(given, list)
                                       and any(isinstance(v, bool) for v in given)):  # fmt: skip
            raise _invalid(f"[sweep].parameters.{name}", "are numbers (true and false are not "
                           "swept as 1 and 0)", given)  # fmt: skip
    if kind == "sobol" and sweep["n_point"] is None:
        raise _missing("[sweep].n_point", "Required with design = 'sobol'")
    if kind != "sobol" and sweep["n_point"] is not None:
        raise _invalid("[sweep].n_point", "only with design = 'sobol'", sweep["n_point"])
    try:
        if kind == "grid":
            return grid(values)
        if kind == "points":
            return points(values)
        return sobol(values, sweep["n_point"], seed=sweep["design_seed"])
    except ValueError as err:
        raise ConfigError("[sweep].parameters", f"[sweep].parameters: {err}") from None


def _measures(measures):
    """Measures as names or ``{name: options}``, the options checked against the function."""
    allowed = f"are one or more of {_names(MEASURES)}, as a list or a table {{name: {{options}}}}"
    if isinstance(measures, str):
        measures = [measures]
    if isinstance(measures, list) and measures and all(isinstance(m, str) for m in measures):
        measures = {m: {} for m in measures}
    if not isinstance(measures, dict) or not measures:
        raise _invalid("[sweep].measures", allowed, measures)
    for name, options in measures.items():
        if name not in MEASURES:
            raise _invalid("[sweep].measures", f"measures are {_names(MEASURES)}", name)
        accepted = [p for p in inspect.signature(MEASURES[name]).parameters if p != "outputs"]
        schema = {p: Key("any") for p in accepted}
        check_table(options, schema, f"[sweep].measures.{name}")
    return measures
