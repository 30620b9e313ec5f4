"""Random configurations: the reader gives a configured simulator or a ``ConfigError`` naming a
key, and nothing else.

Tables are drawn from the reader's own schema (every section and key, values of the right kind
and of the wrong kinds), then mutated (a key dropped, an unknown key added, a value replaced
by any TOML value). Only reading and checking run, no simulation.
"""

import json
import math
import os
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, note, settings
from hypothesis import strategies as st

from tvb_ngnmm.cli import config as config_module
from tvb_ngnmm.cli.config import (
    DESIGNS,
    INTEGRATORS,
    MONITORS,
    ConfigError,
    check_run_outputs,
    coupling_classes,
    model_classes,
    parse_config,
    trait_options,
)
from tvb_ngnmm.engine.spec import extract
from tvb_ngnmm.explore.reduce import MEASURES

#: Examples per run of the property; ``CONFIG_FUZZ_EXAMPLES=2000`` for a longer search.
N_EXAMPLES = int(os.environ.get("CONFIG_FUZZ_EXAMPLES", 300))

#: Any TOML value: scalars of every kind (NaN and infinities too), lists and tables of them.
SCALARS = (
    st.booleans()
    | st.integers(-(2**63), 2**63 - 1)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=6)
)
NAMES = st.text("abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=6)
ANY = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(NAMES, inner, max_size=2),
    max_leaves=4,
)
GOOD = st.sampled_from([0.01, 0.05, 0.1, 1.0, 2.5, 10.0, 15.0, 100.0])
BAD = st.sampled_from([0, -1, -0.5, math.nan, math.inf, -math.inf, 1e300, True])
SCHEMAS = config_module._schemas()
COUPLINGS = coupling_classes()
MODEL_NAMES = ("NextGenEI", "MPRSynaptic", "MontbrioPazoRoxin", "Generic2dOscillator", "JansenRit")
MODELS = {name: model_classes()[name] for name in MODEL_NAMES}
WEIGHTS = st.just({"weights": "w.txt"})  # without tract lengths: no delays, a warning
#: Values of the reader's keys that are usually right (the files exist in ``folder``).
RIGHT = {
    "tract_lengths": st.just("t.txt"), "centres": st.just("c.txt"), "labels": st.just("l.txt"),
    "conduction_speed": GOOD, "nsig": GOOD | st.lists(GOOD, min_size=1, max_size=2),
    "seed": st.integers(0, 9), "history_seed": st.integers(0, 9), "duration": GOOD,
    "n_point": st.integers(1, 8), "design_seed": st.integers(0, 9), "store": st.just("store"),
    "batch_size": st.integers(1, 4), "retries": st.integers(0, 3), "n_workers": st.integers(1, 2),
    "raw": st.booleans(), "budget": st.integers(1, 20), "realisations": st.integers(1, 2),
    "options": st.just({}), "folder": st.just("out"), "netcdf": st.booleans(),
    "figure": st.booleans(),
}  # fmt: skip


def _usually(right: st.SearchStrategy, wrong: st.SearchStrategy = ANY) -> st.SearchStrategy:
    """``right`` 19 times in 20, else ``wrong``."""
    return st.sampled_from(range(20)).flatmap(lambda k: wrong if k == 19 else right)


@st.composite
def _section(draw, name: str, fixed: dict, optional=()) -> dict:
    """Section ``name``: the ``fixed`` values, and some of the ``optional`` keys' values."""
    table = dict(fixed)
    for key in optional:
        if draw(st.sampled_from(range(3))) == 2:
            choices = SCHEMAS[name][key].choices
            right = st.sampled_from(list(choices)) if choices else RIGHT[key]
            table[key] = draw(_usually(right))
    return table


@st.composite
def _parameters(draw, cls) -> dict:
    """Some of ``cls``'s numeric parameters (rarely an unknown one), with values."""
    names = list(trait_options(cls, arrays_only=True)) if cls is not None else ["a"]
    chosen = draw(st.lists(st.sampled_from(names), max_size=2, unique=True))
    chosen += ["unknown"] * draw(_usually(st.just(0), st.just(1)))
    values = _usually(GOOD | st.lists(GOOD, min_size=3, max_size=3), BAD | ANY)
    return {n: draw(values) for n in chosen}


@st.composite
def _monitor(draw, variables) -> dict:
    table = {"name": draw(_usually(st.sampled_from(["Raw", "SubSample", "TemporalAverage"]),
                                   st.sampled_from([*MONITORS, "EEG"])))}  # fmt: skip
    if draw(st.booleans()):
        table["period"] = draw(_usually(st.sampled_from([0.1, 0.5, 1.0]), BAD | ANY))
    if draw(st.sampled_from(range(4))) == 3:
        table["variables"] = draw(st.lists(st.sampled_from([*variables, "x"]), max_size=2))
    return table


@st.composite
def configurations(draw, require: str) -> dict:
    """A configuration table from the schema, mostly right, before mutation."""
    model = draw(st.sampled_from(list(MODELS)))
    coupling = draw(_usually(st.sampled_from(["Linear", "Difference", "Sigmoidal"]),
                             st.sampled_from([*COUPLINGS, "Nonsense"])))  # fmt: skip
    stochastic = draw(_usually(st.sampled_from(INTEGRATORS), st.just("RungeKutta4thOrder")))
    variables = list(MODELS[model].variables_of_interest.default)
    connectome = {"weights": "w.txt", "tract_lengths": "t.txt"}
    data = {
        "connectome": draw(_section("connectome", draw(_usually(st.just(connectome), WEIGHTS)),
                                    ("tract_lengths", "conduction_speed", "centres", "labels",
                                     "normalize"))),
        "model": {"name": model, "parameters": draw(_parameters(MODELS[model]))},
        "coupling": {"name": coupling,
                     "parameters": draw(_parameters(COUPLINGS.get(coupling)))},
        "integrator": draw(_section("integrator", {
            "name": stochastic, "dt": draw(_usually(st.sampled_from([0.01, 0.05, 0.1]), BAD))},
            ("seed",) if stochastic.endswith("Stochastic") else ())),
        "monitors": draw(st.lists(_monitor(variables), min_size=1, max_size=2)),
    }  # fmt: skip
    if stochastic.endswith("Stochastic"):
        data["integrator"]["nsig"] = draw(_usually(GOOD | st.just([0.01, 0.0]), BAD | ANY))
    data |= {
        "run": draw(_section("run", {"duration": draw(_usually(st.sampled_from([5.0, 20.0]),
                                                               BAD))}, ("history_seed",))),
    }  # fmt: skip
    if require == "sweep" or draw(st.sampled_from(range(5))) == 4:
        design = draw(st.sampled_from(DESIGNS))
        name = draw(_usually(st.sampled_from(["a", *trait_options(MODELS[model], True)]), NAMES))
        values = st.lists(GOOD, min_size=1, max_size=3) | st.lists(GOOD | BAD, max_size=3)
        data["sweep"] = draw(_section("sweep", {
            "design": design, "parameters": {name: draw(_usually(values))},
            "measures": draw(_usually(st.lists(st.sampled_from(list(MEASURES)), min_size=1,
                                               max_size=2))),
            **({"n_point": draw(st.integers(1, 4))} if design == "sobol" else {}),
        }, ("store", "batch_size", "retries", "n_workers", "seed", "raw",
            "design_seed")))  # fmt: skip
    if require == "fit" or draw(st.sampled_from(range(5))) == 4:
        data["fit"] = draw(_section("fit", {
            "parameters": {draw(_usually(st.just("a"), NAMES)): draw(_usually(st.just([0, 2])))},
            "objective": {"kind": "fc_correlation", "target_fc": "target.npy"},
            "method": "grid", "budget": 4,
        }, ("seed", "store", "n_workers", "realisations")))  # fmt: skip
    if draw(st.booleans()):
        data["output"] = draw(_section("output", {}, ("folder", "netcdf", "figure")))
    return data


@st.composite
def mutated(draw, require: str) -> tuple[dict, list]:
    """A configuration with a few random changes, and the changes made (for the report)."""
    data, changes = draw(configurations(require)), []
    for _ in range(draw(st.sampled_from([0, 0, 1, 1, 2, 3]))):
        tables = list(_tables(data))
        where, table = draw(st.sampled_from(tables))
        kind = draw(st.sampled_from(["drop", "add", "replace"]))
        if kind == "drop" and table:
            name = draw(st.sampled_from(sorted(table)))
            del table[name]
        elif kind == "add" or not table:
            name = draw(NAMES)
            table[name] = draw(ANY)
        else:
            name = draw(st.sampled_from(sorted(table)))
            table[name] = draw(ANY)
        changes.append(f"{kind} {where}.{name}")
    return data, changes


def _tables(data: dict, where: str = ""):
    """Every table of ``data`` (itself included), with its path."""
    yield where or "<top>", data
    for name, value in data.items():
        if isinstance(value, dict):
            yield from _tables(value, f"{where}.{name}")
        elif isinstance(value, list):
            for k, item in enumerate(value):
                if isinstance(item, dict):
                    yield from _tables(item, f"{where}.{name}[{k}]")


def toml(data: dict) -> str:
    """TOML text of ``data``: one ``key = inline value`` line per top-level key."""
    return "".join(f"{_key(k)} = {_toml_value(v)}\n" for k, v in data.items())


def _key(name: str) -> str:
    return json.dumps(name, ensure_ascii=False)


def _toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        return {math.inf: "inf", -math.inf: "-inf"}.get(value, repr(value))
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return "{" + ", ".join(f"{_key(k)} = {_toml_value(v)}" for k, v in value.items()) + "}"


#: Warnings a configuration may rightly give: weights without tract lengths have no delays; a
#: monitor period that is not a multiple of dt is rounded as TVB rounds it; a stock model's
#: parameter outside the domain TVB declares runs, with a warning.
DOCUMENTED_WARNINGS = (r"\[connectome\] gives 'weights' without", r".* is not a multiple of dt",
                       r".* is outside the domain TVB declares for it")  # fmt: skip


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    """The files a configuration may name: a 3-region connectome and a target FC."""
    path = tmp_path_factory.mktemp("config_fuzz")
    rng = np.random.default_rng(5)
    weights = rng.uniform(0.1, 1.0, (3, 3))
    np.fill_diagonal(weights, 0.0)
    np.savetxt(path / "w.txt", weights)
    np.savetxt(path / "t.txt", rng.uniform(5.0, 20.0, (3, 3)))
    np.savetxt(path / "c.txt", rng.uniform(-50.0, 50.0, (3, 3)))
    (path / "l.txt").write_text("A\nB\nC\n")
    np.save(path / "target.npy", np.corrcoef(rng.normal(size=(3, 50))))
    return path


@settings(
    max_examples=N_EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(data=st.data(), require=st.sampled_from(["run", "sweep", "fit"]))
def test_random_configurations_give_a_simulator_or_a_config_error(folder, data, require):
    """Property of the config reader (``N_EXAMPLES`` a run, 300 by default): every
    configuration built from the schema and mutated is read into a configured simulator the
    engine accepts, or refused with a ``ConfigError`` whose key names the section or key it is
    about; no other exception, no warning but the documented ones."""
    table, changes = data.draw(mutated(require))
    text = toml(table)
    note(f"changes: {changes}\n{text}")
    try:
        with warnings.catch_warnings():
            for message in DOCUMENTED_WARNINGS:
                warnings.filterwarnings("ignore", message)
            config = parse_config(text, base=folder, require_sweep=require == "sweep",
                                  require_fit=require == "fit")  # fmt: skip
            extract(config.simulator)
            if require == "run":  # the run command's own check
                check_run_outputs(config)
    except ConfigError as err:
        event(f"refused: {err.key}")
        assert err.key == "CONFIG" or (err.key.startswith("[") and err.key in str(err)), err
        return
    event("accepted")
    assert config.duration > 0 and config.simulator.history is not None
