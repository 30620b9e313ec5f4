"""The simulator of a configuration file: its connectivity, model, coupling, integrator and
monitors from the checked sections (:mod:`.config`), each bad value a :class:`~.keys.ConfigError`
naming its key."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import tvb.simulator.models as tvb_models
import tvb.simulator.monitors as tvb_monitors
from tvb.basic.neotraits.api import Attr, Final, Float, Int, List, NArray
from tvb.simulator import integrators, noise
from tvb.simulator.models.base import Model
from tvb.simulator.simulator import Simulator

from ..connectomes import load_connectivity, load_connectome, normalize, read_connectivity
from ..coupling import registered_couplings
from ..engine.support import integrator_names
from ..models import get_preset, preset_names, registered_models
from ..monitors import BalloonWindkesselBold
from ..seeding import configure_seeded
from .keys import KINDS, ConfigError, _invalid, _is_number, _is_numbers, _missing, _names

INTEGRATORS = integrator_names()
MONITORS = ("Raw", "SubSample", "TemporalAverage", "Bold", "BalloonWindkesselBold")


def build_simulator(settings: dict, base: Path, connectivity=None):
    """A configured TVB ``Simulator`` from checked settings (:mod:`.config`); its
    initial history drawn from ``[run].history_seed``, NumPy's global random state untouched.
    Its connectivity is ``[connectome]``'s, or ``connectivity`` when given (a dataset's)."""
    if connectivity is None:
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


def make_connectivity(section: dict, base: Path):
    """The connectivity of ``[connectome]``: bundled, one file, or pieces in files."""
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
    classes = {}
    for name in dir(tvb_models):
        obj = getattr(tvb_models, name)
        if isinstance(obj, type) and issubclass(obj, Model) and obj is not Model:
            classes[obj.__name__] = obj
    classes.update({d.name: d.model for d in registered_models()})
    return dict(sorted(classes.items()))


def coupling_classes() -> dict:
    """``{name: class}``: the couplings the engine runs (the coupling registry's), but those made
    of parts (``MultiCoupling``, a list of couplings a table cannot give)."""
    return dict(sorted((d.name, d.coupling) for d in registered_couplings() if d.parts is None))


def trait_options(cls, arrays_only: bool = False) -> dict:
    """``{name: trait}`` of the numeric and text attributes a configuration may set."""
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
