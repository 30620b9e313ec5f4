"""Configuration files (TOML) of the command line: a simulator, its run and its sweep in one file.

Sections (``*`` required; input paths are relative to the config file's folder, output paths
to the current folder):

- ``[connectome]`` — ``name`` (a bundled connectome), ``file`` (one connectome file) or
  ``weights`` (a matrix file, with optional ``tract_lengths``, ``centres``, ``labels`` files);
  ``normalize`` (``'none'``, ``'row'``, ...; default ``'none'``); ``conduction_speed`` (mm/ms,
  default 3; with ``weights``, only together with ``tract_lengths``: weights alone have tract
  lengths of 0, no delays, and a warning says so).
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
  ``n_workers``, ``seed`` (noise per task), ``raw``.
- ``[fit]`` (the ``fit`` command) — ``parameters``\\* (bounds ``{name: [low, high]}``),
  ``objective``\\* (``{kind = 'fc_correlation', target_fc = 'fc.npy'}``, or
  ``{terms = [{...}, {...}]}`` with ``weight`` per term; target paths relative to the config
  file), ``method`` (``'cma'``, ``'grid'``, ``'differential_evolution'``; default ``'cma'``),
  ``budget`` (simulations, default 100), ``seed`` (of the optimiser, default 0), ``store``
  (folder keeping every generation; a fit run again resumes), ``n_workers``, ``options``
  (the optimiser's options, e.g. ``{popsize = 8}``), ``realisations`` (noise streams per
  point, their losses averaged; default 1).
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
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

INTEGRATORS = ("EulerDeterministic", "EulerStochastic", "HeunDeterministic", "HeunStochastic")
MONITORS = ("Raw", "SubSample", "TemporalAverage", "Bold", "BalloonWindkesselBold")
DESIGNS = ("grid", "points", "sobol")
FIT_METHODS = ("cma", "grid", "differential_evolution")


class ConfigError(ValueError):
    """A configuration that cannot be used; ``key`` is the key path (``'[integrator].dt'``)."""

    def __init__(self, key: str, message: str):
        super().__init__(message)
        self.key = key


def _invalid(key: str, allowed: str, given) -> ConfigError:
    return ConfigError(
        key, f"Invalid value for {key}. Allowed {allowed}, but got {given!r} instead."
    )


def _missing(key: str, required: str) -> ConfigError:
    return ConfigError(key, f"Missing key {key}. {required}, but it was not given.")


def _names(names) -> str:
    return ", ".join(repr(n) for n in names)


@dataclass(frozen=True)
class Key:
    """One key of a section: its type, whether it is required, its default and its range."""

    kind: str  # 'str', 'number', 'numbers', 'int', 'bool', 'table', 'list', 'any'
    required: bool = False
    default: object = None
    choices: tuple | None = None
    check: object = None  # value -> bool
    allowed: str = ""  # what ``check`` allows, for the message


KINDS = {
    "str": ("a string", lambda v: isinstance(v, str)),
    "number": ("a number", lambda v: _is_number(v)),
    "numbers": ("a number or a list of numbers", lambda v: _is_numbers(v)),
    "int": ("an integer", lambda v: isinstance(v, int) and not isinstance(v, bool)),
    "bool": ("true or false", lambda v: isinstance(v, bool)),
    "table": ("a table", lambda v: isinstance(v, dict)),
    "list": ("a list", lambda v: isinstance(v, list)),
    "any": ("any value", lambda v: True),
}


def _is_number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and np.isfinite(value)


def _is_numbers(value) -> bool:
    if isinstance(value, list):
        return bool(value) and all(_is_numbers(v) for v in value)
    return _is_number(value)


def check_table(table, schema: dict, where: str) -> dict:
    """The table's values, checked against ``schema``, with defaults filled in."""
    if not isinstance(table, dict):
        raise _invalid(where, "is a table", table)
    unknown = [k for k in table if k not in schema]
    if unknown:
        raise ConfigError(
            f"{where}.{unknown[0]}",
            f"Unknown key {where}.{unknown[0]}. Allowed keys of {where} are "
            f"{_names(schema)}, but got {unknown[0]!r}.",
        )
    out = {}
    for name, key in schema.items():
        path = f"{where}.{name}"
        if name not in table:
            if key.required:
                required = _names([n for n, k in schema.items() if k.required])
                raise _missing(path, f"Required keys of {where} are {required}")
            out[name] = key.default
            continue
        value = table[name]
        what, is_kind = KINDS[key.kind]
        if not is_kind(value):
            raise _invalid(path, f"is {what}", value)
        if key.choices is not None and value not in key.choices:
            raise _invalid(path, f"values are {_names(key.choices)}", value)
        if key.check is not None and not key.check(value):
            raise _invalid(path, f"values are {key.allowed}", value)
        out[name] = value
    return out


def _positive(v) -> bool:
    return bool(np.all(np.asarray(v, dtype=float) > 0))


def _non_negative(v) -> bool:
    return bool(np.all(np.asarray(v, dtype=float) >= 0))


def _schemas() -> dict:
    from ..connectomes import bundle_names
    from ..connectomes.preprocessing import NORMALIZATIONS

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
            "raw": Key("bool", default=False),
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
        },
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
    """

    source: Path | None
    text: str
    settings: dict
    simulator: object
    duration: float
    sweep: dict | None = field(default=None)
    fit: dict | None = field(default=None)

    def sweep_arguments(self) -> dict:
        """Keyword arguments of :func:`~tvb_ngnmm.explore.sweep` (``client`` aside)."""
        if self.sweep is None:
            raise ConfigError("[sweep]", "Missing section [sweep]. A sweep needs [sweep] with "
                                         "'design', 'parameters' and 'measures'.")  # fmt: skip
        return dict(self.sweep)

    def fit_arguments(self) -> dict:
        """Keyword arguments of :func:`~tvb_ngnmm.explore.fit` (``client`` aside)."""
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
    allowed = (*SECTIONS_REQUIRED, "sweep", "fit", "output")
    for name in data:
        if name not in allowed:
            raise ConfigError(f"[{name}]", f"Unknown section [{name}]. Allowed sections are "
                                           f"{_names(allowed)}, but got {name!r}.")  # fmt: skip
    required = (*SECTIONS_REQUIRED, *(("sweep",) if require_sweep else ()),
                *(("fit",) if require_fit else ()))  # fmt: skip
    for name in required:
        if name not in data:
            raise ConfigError(f"[{name}]", f"Missing section [{name}]. Required sections are "
                              f"{_names(required)}, but [{name}] was not given.")  # fmt: skip
    settings = {name: check_table(data[name], schemas[name], f"[{name}]")
                for name in schemas if name in data}  # fmt: skip
    settings.setdefault("output", check_table({}, schemas["output"], "[output]"))
    settings["monitors"] = _monitor_tables(data["monitors"])
    sim = build_simulator(settings, Path(base))
    _check_engine(sim, settings)
    config = Config(source, text, settings, sim, float(settings["run"]["duration"]))
    if "sweep" in settings:
        config.sweep = _sweep_arguments(sim, settings["sweep"], config.duration)
        config.sweep["history_seed"] = config.history_seed
    if "fit" in settings:
        config.fit = _fit_arguments(sim, settings["fit"], config.duration, Path(base))
        config.fit["history_seed"] = config.history_seed
    return config


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


def build_simulator(settings: dict, base: Path):
    """A configured TVB ``Simulator`` from checked settings (see the module docstring); its
    initial history drawn from ``[run].history_seed``, NumPy's global random state untouched."""
    from tvb.simulator.simulator import Simulator

    from ..seeding import configure_seeded

    connectivity = make_connectivity(settings["connectome"], base)
    model = make_model(settings["model"])
    integrator = make_integrator(settings["integrator"])
    sim = Simulator(
        connectivity=connectivity,
        model=model,
        coupling=make_coupling(settings["coupling"]),
        integrator=integrator,
        monitors=make_monitors(
            settings["monitors"], model, integrator.dt, settings["run"]["duration"]
        ),  # fmt: skip
        simulation_length=float(settings["run"]["duration"]),
    )
    try:
        configure_seeded(sim, settings["run"]["history_seed"])
    except (ValueError, TypeError, AttributeError) as err:
        key = "[integrator].nsig" if "nsig" in str(err) else "CONFIG"
        raise ConfigError(key, f"{key}: the simulator cannot be configured: {err}") from None
    return sim


def _check_engine(sim, settings: dict) -> None:
    """Raise a :class:`ConfigError` naming the section if the fast engine cannot run ``sim``."""
    from ..engine.spec import extract

    try:
        extract(sim)
    except ValueError as err:
        key = _engine_key(sim, settings, str(err))
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


def _sweep_arguments(sim, sweep: dict, duration: float) -> dict:
    """``explore.sweep`` keyword arguments from the checked ``[sweep]`` (names checked on sim)."""
    from ..engine.spec import extract
    from .recipe import classify
    from .reduce import as_measures
    from .trial import check_options

    design = _design(sweep)
    try:
        classify(sim, extract(sim), design.names)
    except ValueError as err:
        raise ConfigError("[sweep].parameters", f"[sweep].parameters: {err}") from None
    measures = _measures(sweep["measures"])
    try:  # the options against the simulator's monitors (a variable it has, ...)
        check_options(extract(sim), as_measures(measures))
    except ValueError as err:
        raise ConfigError("[sweep].measures", f"[sweep].measures: {err}") from None
    _check_store(sweep["store"], "[sweep].store")
    return {"design": design, "measures": measures, "store": sweep["store"],
            "simulation_length": duration, "batch_size": sweep["batch_size"],
            "retries": sweep["retries"], "n_workers": sweep["n_workers"],
            "seed": sweep["seed"], "raw": sweep["raw"]}  # fmt: skip


def _fit_arguments(sim, table: dict, duration: float, base: Path) -> dict:
    """``explore.fit`` keyword arguments from the checked ``[fit]`` (checked as ``fit`` does)."""
    from .fit import _checked_bounds, _checked_method, _checked_options, _checked_realisations
    from .objectives import objective_from_config

    bounds = {}
    for name, pair in table["parameters"].items():
        if not (isinstance(pair, list) and len(pair) == 2 and all(map(_is_number, pair))):
            raise _invalid(f"[fit].parameters.{name}", "is [low, high] (two numbers)", pair)
        bounds[name] = (float(pair[0]), float(pair[1]))
    try:
        bounds = _checked_bounds(sim, bounds)
    except ValueError as err:
        raise ConfigError("[fit].parameters", f"[fit].parameters: {err}") from None
    method, budget = _checked_method(table["method"], table["budget"])  # checked by the schema
    try:
        _checked_options(method, bounds, budget, table["options"])
    except ValueError as err:
        raise ConfigError("[fit].options", f"[fit].options or budget: {err}") from None
    try:
        objective = objective_from_config(table["objective"], base_dir=base)
        objective.check_simulator(sim, duration)
    except (ValueError, OSError, TypeError) as err:  # TypeError: a required option missing
        raise ConfigError("[fit].objective", f"[fit].objective: {err}") from None
    try:
        _checked_realisations(sim, table["realisations"], bounds)
    except ValueError as err:
        raise ConfigError("[fit].realisations", f"[fit].realisations: {err}") from None
    _check_store(table["store"], "[fit].store")
    return {"objective": objective, "bounds": bounds, "method": method, "budget": budget,
            "seed": table["seed"], "store": table["store"], "n_workers": table["n_workers"],
            "options": dict(table["options"]), "simulation_length": duration,
            "realisations": table["realisations"]}  # fmt: skip


def _check_store(store, key: str) -> None:
    """A store is a folder (new, or one to resume): not an existing file."""
    if store is not None and Path(store).exists() and not Path(store).is_dir():
        raise ConfigError(key, f"Invalid value for {key}. Allowed is the path of a folder "
                          f"(relative to the current folder), but got {store!r} instead, "
                          "which is a file.")  # fmt: skip


def _design(sweep: dict):
    from .design import grid, points, sobol

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
    from .reduce import MEASURES

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


# --- the parts of the simulator -------------------------------------------------------------


def make_connectivity(section: dict, base: Path):
    """The connectivity of ``[connectome]``: bundled, one file, or pieces in files."""
    from ..connectomes import load_connectivity, load_connectome, normalize, read_connectivity

    given = [k for k in ("name", "file", "weights") if section[k] is not None]
    if len(given) != 1:
        raise _invalid("[connectome]", "is exactly one of 'name', 'file' or 'weights'", given)
    pieces = [k for k in ("tract_lengths", "centres", "labels") if section[k] is not None]
    if pieces and given != ["weights"]:
        raise _invalid(f"[connectome].{pieces[0]}", "only with 'weights'", section[pieces[0]])
    speed = section["conduction_speed"]
    speed, how = 3.0 if speed is None else float(speed), section["normalize"]
    if given == ["name"]:
        return load_connectome(section["name"], normalize=how, conduction_speed=speed)
    files = {k: _input_file(section, k, base) for k in ("file", "weights", *pieces)}
    try:
        if given == ["file"]:
            conn = read_connectivity(files["file"], conduction_speed=speed)
        else:
            conn = load_connectivity(files["weights"], files.get("tract_lengths"),
                                     files.get("centres"), files.get("labels"),
                                     conduction_speed=speed)  # fmt: skip
    except (ValueError, OSError) as err:
        raise ConfigError(f"[connectome].{given[0]}", f"[connectome].{given[0]}: {err}") from None
    _check_delays(section, given)
    return normalize(conn, how) if how != "none" else conn


def _check_delays(section: dict, given: list) -> None:
    """Weights without tract lengths have no delays: refuse a speed, warn otherwise."""
    if given != ["weights"] or section["tract_lengths"] is not None:
        return
    if section["conduction_speed"] is not None:
        raise _invalid("[connectome].conduction_speed", "only with [connectome].tract_lengths "
                       "when the connectome is given as 'weights' (without tract lengths there "
                       "are no delays to scale)", section["conduction_speed"])  # fmt: skip
    centres = "" if section["centres"] else "; without 'centres' every region centre is 0"
    warnings.warn(f"[connectome] gives 'weights' without 'tract_lengths': every tract length "
                  f"is 0, so the network has no conduction delays{centres}.", UserWarning,
                  stacklevel=2)  # fmt: skip


def _input_file(section: dict, key: str, base: Path) -> Path | None:
    if section[key] is None:
        return None
    path = base / section[key]
    if not path.is_file():
        raise _invalid(f"[connectome].{key}", "are paths of existing files (relative to the "
                       f"config file's folder, here {str(base)!r})", section[key])  # fmt: skip
    return path


def model_classes() -> dict:
    """``{name: class}``: the model registry's classes and TVB's ``tvb.simulator.models``."""
    import tvb.simulator.models as tvb_models
    from tvb.simulator.models.base import Model

    from ..models import registered_models

    classes = {}
    for name in dir(tvb_models):
        obj = getattr(tvb_models, name)
        if isinstance(obj, type) and issubclass(obj, Model) and obj is not Model:
            classes[obj.__name__] = obj
    classes.update({d.name: d.model for d in registered_models()})
    return dict(sorted(classes.items()))


def coupling_classes() -> dict:
    """``{name: class}``: TVB's couplings and the package's ``Laplacian`` and ``Additive``."""
    import tvb.simulator.coupling as tvb_coupling

    from ..coupling import Additive, Laplacian

    classes = {}
    for name in dir(tvb_coupling):
        obj = getattr(tvb_coupling, name)
        if (isinstance(obj, type) and issubclass(obj, tvb_coupling.Coupling)
                and obj not in (tvb_coupling.Coupling, tvb_coupling.SparseCoupling)):  # fmt: skip
            classes[obj.__name__] = obj
    classes.update(Laplacian=Laplacian, Additive=Additive)
    return dict(sorted(classes.items()))


def trait_options(cls, arrays_only: bool = False) -> dict:
    """``{name: trait}`` of the numeric and text attributes a configuration may set."""
    from tvb.basic.neotraits.api import Attr, Final, Float, Int, List, NArray

    options = {}
    for name in cls.declarative_attrs:
        trait = getattr(cls, name)
        if name in ("gid", "variables_of_interest") or isinstance(trait, Final | List):
            continue
        if isinstance(trait, NArray) and trait.dtype.kind in "fi":
            options[name] = trait
        elif not arrays_only and isinstance(trait, Float | Int):
            options[name] = trait
        elif not arrays_only and isinstance(trait, Attr) and trait.field_type is str:
            options[name] = trait
    return options


def _trait_value(trait, value, key: str):
    """``value`` converted for ``trait`` (arrays from numbers or lists), or an error."""
    from tvb.basic.neotraits.api import Float, Int, NArray

    if isinstance(trait, NArray):
        if not _is_numbers(value):
            raise _invalid(key, "is a number or a list of numbers (one per region)", value)
        return np.atleast_1d(np.asarray(value, dtype=trait.dtype))
    if isinstance(trait, Int):
        if not KINDS["int"][1](value):
            raise _invalid(key, "is an integer", value)
        return value
    if isinstance(trait, Float):
        if not _is_number(value):
            raise _invalid(key, "is a number", value)
        return float(value)
    choices = getattr(trait, "choices", None)
    if not isinstance(value, str) or (choices and value not in choices):
        raise _invalid(key, f"values are {_names(choices)}" if choices else "is a string", value)
    return value


def _named_class(classes: dict, key: str, name: str) -> type:
    if name not in classes:
        raise _invalid(key, f"values are {_names(classes)}", name)
    return classes[name]


def _parameters(cls, table: dict, where: str, arrays_only: bool) -> dict:
    options = trait_options(cls, arrays_only)
    values = {}
    for name, value in table.items():
        if name not in options:
            raise ConfigError(f"{where}.{name}", f"Unknown key {where}.{name}. Allowed keys of "
                              f"{where} ({cls.__name__}) are {_names(options)}, but got "
                              f"{name!r}.")  # fmt: skip
        values[name] = _trait_value(options[name], value, f"{where}.{name}")
    return values


def make_model(section: dict):
    """The model of ``[model]``: its class, a preset of it and parameter overrides, checked."""
    from ..models import get_preset, preset_names

    cls = _named_class(model_classes(), "[model].name", section["name"])
    values = _parameters(cls, section["parameters"], "[model].parameters", arrays_only=True)
    preset = section["preset"]
    try:
        if preset is None:
            model = cls(**values)
        else:
            fits = tuple(n for n in preset_names() if get_preset(n).model is cls)
            if preset not in fits:
                raise _invalid("[model].preset", f"presets of {cls.__name__} are "
                               f"{_names(fits) or 'none'}", preset)  # fmt: skip
            model = get_preset(preset).make_model(**values)
        model.configure()
    except ConfigError:
        raise
    except ValueError as err:
        named = [n for n in values if repr(n) in str(err)]
        key = f"[model].parameters.{named[0]}" if named else "[model].parameters"
        raise ConfigError(key, f"{key}: {err}") from None
    return model


def make_coupling(section: dict):
    """The coupling of ``[coupling]``."""
    cls = _named_class(coupling_classes(), "[coupling].name", section["name"])
    values = _parameters(cls, section["parameters"], "[coupling].parameters", arrays_only=False)
    return cls(**values)


def make_integrator(section: dict):
    """The integrator of ``[integrator]`` (TVB's additive noise for stochastic ones)."""
    from tvb.simulator import integrators, noise

    name, stochastic = section["name"], section["name"].endswith("Stochastic")
    for key in ("nsig", "seed"):
        if not stochastic and section[key] is not None:
            raise _invalid(f"[integrator].{key}", "only with a stochastic integrator "
                           "('EulerStochastic', 'HeunStochastic')", section[key])  # fmt: skip
    if not stochastic:
        return getattr(integrators, name)(dt=float(section["dt"]))
    if section["nsig"] is None:
        raise _missing("[integrator].nsig", f"Required with the stochastic integrator {name!r}")
    seed = {} if section["seed"] is None else {"noise_seed": section["seed"]}
    # given to the constructor, which builds the stream RandomState(noise_seed) from it
    additive = noise.Additive(nsig=np.atleast_1d(np.asarray(section["nsig"], dtype=float)), **seed)
    return getattr(integrators, name)(dt=float(section["dt"]), noise=additive)


def make_monitors(tables: list, model, dt: float, duration: float) -> list:
    """The monitors of ``[[monitors]]``, periods checked against ``dt`` and the duration."""
    import tvb.simulator.monitors as tvb_monitors

    from ..monitors import BalloonWindkesselBold

    classes = {name: getattr(tvb_monitors, name, None) for name in MONITORS}
    classes["BalloonWindkesselBold"] = BalloonWindkesselBold
    variables = list(model.variables_of_interest)
    monitors = []
    for k, table in enumerate(tables):
        where, cls = f"[monitors][{k}]", classes[table["name"]]
        options = {n: v for n, v in table.items() if n not in ("name", "variables")}
        values = _parameters(cls, options, where, arrays_only=False)
        period = values.get("period")
        if period is not None and not dt <= period <= duration:
            raise _invalid(f"{where}.period", f"values are numbers from [integrator].dt = {dt:g} "
                           f"to [run].duration = {duration:g} (ms)", period)  # fmt: skip
        if "variables" in table:
            chosen = table["variables"]
            if (not isinstance(chosen, list) or not chosen
                    or any(v not in variables for v in chosen)):  # fmt: skip
                raise _invalid(f"{where}.variables", "are lists of the model's variables of "
                               f"interest {_names(variables)}", chosen)  # fmt: skip
            values["variables_of_interest"] = np.array([variables.index(v) for v in chosen])
        try:
            monitors.append(cls(**values))
        except (ValueError, TypeError) as err:
            raise ConfigError(where, f"{where}: {err}") from None
    return monitors
