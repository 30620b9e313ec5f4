"""Check once, hand down: each entry point (the command line, ``sweep``, ``fit``, the kernel of a
model) reads and checks the simulator once, and the layers below take what it read as it is.

The counts are of calls in this process (a sweep's workers read the simulator again from its
recipe: other processes). No cluster runs: the connection to one and the tasks are replaced.
"""

import contextlib
import importlib
import sys
from unittest import mock

import numpy as np
import pytest
from test_cli_config import BASE, SWEEP
from test_engine_agreement import make_sim
from test_mixed_networks import thalamocortical
from tvb.simulator import models as tvb_models
from tvb.simulator import monitors

from tvb_ngnmm import cli
from tvb_ngnmm.backend import NumbaBackend
from tvb_ngnmm.cli.config import ConfigError, parse_config
from tvb_ngnmm.engine import spec as spec_module
from tvb_ngnmm.engine.continuation import unchanged
from tvb_ngnmm.engine.equations import engine_model
from tvb_ngnmm.engine.spec import checked_spec
from tvb_ngnmm.explore import FCCorrelation, grid
from tvb_ngnmm.explore.fit import run_fit
from tvb_ngnmm.explore.fit_problem import FitProblem, FitSettingError, check_fit
from tvb_ngnmm.models import _registry

sweep_module = importlib.import_module("tvb_ngnmm.explore.sweep")
fit_module = importlib.import_module("tvb_ngnmm.explore.fit")
problem_module = importlib.import_module("tvb_ngnmm.explore.fit_problem")
trial_module = importlib.import_module("tvb_ngnmm.explore.trial")

FIT = """
[fit]
parameters = { I_e = [8.0, 16.0], a = [2.0, 12.0] }
objective = { kind = "fc_correlation", target_fc = "target.npy" }
method = "grid"
budget = 9
options = { points_per_axis = 3 }
"""


def target_fc(n: int) -> np.ndarray:
    """A symmetric matrix of varying correlations, ones on the diagonal."""
    values = np.random.default_rng(0).uniform(-0.5, 0.5, (n, n))
    values = (values + values.T) / 2
    np.fill_diagonal(values, 1.0)
    return values


@contextlib.contextmanager
def counting(module, name: str):
    """A mock wrapping ``module.name``, put in place wherever the package bound that function."""
    original = getattr(module, name)
    counter = mock.MagicMock(wraps=original)
    with contextlib.ExitStack() as stack:
        for loaded in list(sys.modules.values()):
            if getattr(loaded, "__name__", "").startswith("tvb_ngnmm") and (
                getattr(loaded, name, None) is original
            ):
                stack.enter_context(mock.patch.object(loaded, name, counter))
        yield counter


class FakeClient:
    """What a sweep asks of its client when no task runs."""

    def scheduler_info(self):
        return {"workers": {"worker": {}}}

    def close(self):
        pass


@pytest.fixture
def no_cluster(monkeypatch):
    """No cluster: a fake client, no task run (every point left to do)."""
    client = FakeClient()
    for module in (sweep_module, fit_module):
        monkeypatch.setattr(module, "_connect", lambda given, n_workers: (client, None, False))
    monkeypatch.setattr(sweep_module, "_run_tasks", lambda *args, **kwargs: (0, 0))
    monkeypatch.setattr(cli, "_scheduler_client", lambda *args, **kwargs: client)
    return client


@pytest.fixture(scope="module")
def sim():
    return make_sim("NextGenEI", n=4, mons=[monitors.TemporalAverage(period=0.5)], length=10.0)


def test_the_sweep_command_reads_the_simulator_once(tmp_path, no_cluster, capsys):
    """The command line's sweep: extracted once in this process (4 times before: the config
    reader 3 times, the sweep again)."""
    config = tmp_path / "sweep.toml"
    config.write_text(BASE + SWEEP.replace('"s.zarr"', repr(str(tmp_path / "s.zarr"))))
    with counting(spec_module, "extract") as extract:
        argv = ["sweep", str(config), "--scheduler", "tcp://fake:1", "--no-progress"]
        assert cli.main(argv) == 0
    assert extract.call_count == 1
    assert "0 of 2 points done" in capsys.readouterr().out


def test_a_sweep_reads_the_simulator_once_or_takes_the_callers_reading(sim, tmp_path, no_cluster):
    """``sweep(sim, ...)`` extracts once; given ``spec=`` (a caller that read ``sim``), never."""
    design = grid({"I_e": [10.0, 12.0]})
    with counting(spec_module, "extract") as extract:
        sweep_module.sweep(sim, design, ["mean_rate"], tmp_path / "a.zarr", client=no_cluster,
                           progress=False)  # fmt: skip
    assert extract.call_count == 1
    spec = spec_module.extract(sim)
    with counting(spec_module, "extract") as extract:
        sweep_module.sweep(sim, design, ["mean_rate"], tmp_path / "b.zarr", client=no_cluster,
                           progress=False, spec=spec)  # fmt: skip
    assert extract.call_count == 0


def test_a_reading_of_another_simulator_is_refused(sim):
    other = make_sim("NextGenEI", n=5, mons=[monitors.TemporalAverage(period=0.5)])
    with pytest.raises(ValueError, match=r"Invalid value for the 'spec' parameter.*of another"):
        checked_spec(sim, spec_module.extract(other))
    with pytest.raises(ValueError, match=r"'spec' parameter.*but got dict"):
        checked_spec(sim, {})


def test_the_run_command_reads_the_simulator_once(tmp_path, capsys):
    """The command line's run: extracted once (twice before: the config reader, then run_sim)."""
    config = tmp_path / "run.toml"
    config.write_text(BASE.replace("duration = 20.0", "duration = 1.0"))
    with counting(spec_module, "extract") as extract:
        argv = ["run", str(config), "--output", str(tmp_path / "out"), "--no-progress"]
        assert cli.main(argv) == 0
    assert extract.call_count == 1


def test_run_sim_takes_a_fresh_reading_as_it_is_and_refuses_a_stale_one():
    """``run_sim(sim, spec=...)``: the caller's reading, run as it is (the same run as without
    it); a reading run from already, or from before the simulator moved on, is refused."""
    sim = make_sim("NextGenEI", n=4, mons=[monitors.TemporalAverage(period=0.5)], length=2.0)
    backend = NumbaBackend(progress=False)
    with unchanged(sim):
        with mock.patch.object(spec_module, "extract", wraps=spec_module.extract) as extract:
            reading = spec_module.extract(sim)
            ((_, given),) = backend.run_sim(sim, 1.0, seed=1, spec=reading)
        assert extract.call_count == 1 and reading.ran
        with pytest.raises(ValueError, match=r"'spec' parameter.*reading at step 0 of a "
                                             r"simulator now at step 100"):  # fmt: skip
            backend.run_sim(sim, 1.0, spec=reading)
        fresh = spec_module.extract(sim)
        fresh.ran = True  # as after a run cut short (the simulator stays where it was)
        with pytest.raises(ValueError, match=r"'spec' parameter.*a run has already started"):
            backend.run_sim(sim, 1.0, spec=fresh)
    ((_, read_here),) = backend.run_sim(sim, 1.0, seed=1)
    np.testing.assert_array_equal(given, read_here)


class Stop(Exception):
    """Ends a fit at its first generation."""


def _fit_checks(stack) -> dict:
    """Counters of the fit's checks (each of its settings) and of the objective's trial."""
    names = ("_checked_bounds", "_checked_budget", "_checked_realisations", "_units")
    counters = {name: stack.enter_context(counting(problem_module, name)) for name in names}
    counters["_checked_options"] = stack.enter_context(counting(problem_module, "_checked_options"))
    counters["check_objective"] = stack.enter_context(counting(trial_module, "check_objective"))
    return counters


def test_the_fit_command_checks_once(tmp_path, no_cluster, monkeypatch):
    """The command line's fit: the config reader's checks are the fit's (each ran twice before,
    and the simulator was extracted 4 times before the first generation, once more in each)."""
    np.save(tmp_path / "target.npy", target_fc(90))
    (tmp_path / "fit.toml").write_text(BASE + FIT)
    sweeps = mock.MagicMock(side_effect=Stop)
    monkeypatch.setattr(fit_module, "sweep", sweeps)
    with contextlib.ExitStack() as stack:
        checks = _fit_checks(stack)
        extract = stack.enter_context(counting(spec_module, "extract"))
        with pytest.raises(Stop):
            cli.main(["fit", str(tmp_path / "fit.toml"), "--scheduler", "tcp://fake:1",
                      "--no-progress", "--output", str(tmp_path / "out")])  # fmt: skip
    assert {name: counter.call_count for name, counter in checks.items()} == dict.fromkeys(
        checks, 1
    )
    assert extract.call_count == 1
    assert isinstance(sweeps.call_args.kwargs["spec"], spec_module.SimulationSpec)


def test_a_fit_checks_once_and_hands_its_reading_to_each_generation(sim, no_cluster,
                                                                     monkeypatch):  # fmt: skip
    """``fit(sim, ...)``: one extraction, each check once; the generation's sweep gets the
    reading (it extracted ``sim`` again in every generation before)."""
    sweeps = mock.MagicMock(side_effect=Stop)
    monkeypatch.setattr(fit_module, "sweep", sweeps)
    objective = FCCorrelation(target_fc(4))
    with contextlib.ExitStack() as stack:
        checks = _fit_checks(stack)
        extract = stack.enter_context(counting(spec_module, "extract"))
        with pytest.raises(Stop):
            fit_module.fit(sim, objective, {"I_e": (8.0, 16.0)}, method="grid", budget=3,
                           client=no_cluster, progress=False)  # fmt: skip
    assert all(counter.call_count == 1 for counter in checks.values()), checks
    assert extract.call_count == 1
    assert isinstance(sweeps.call_args.kwargs["spec"], spec_module.SimulationSpec)


def test_run_fit_takes_a_checked_problem_as_it_is(sim, no_cluster, monkeypatch):
    problem = check_fit(sim, FCCorrelation(target_fc(4)), {"I_e": (8.0, 16.0)}, method="grid",
                        budget=3)  # fmt: skip
    assert isinstance(problem, FitProblem) and problem.bounds == {"I_e": (8.0, 16.0)}
    sweeps = mock.MagicMock(side_effect=Stop)
    monkeypatch.setattr(fit_module, "sweep", sweeps)
    with contextlib.ExitStack() as stack:
        checks = _fit_checks(stack)
        extract = stack.enter_context(counting(spec_module, "extract"))
        with pytest.raises(Stop):
            run_fit(sim, problem, client=no_cluster, progress=False)
    assert all(counter.call_count == 0 for counter in checks.values()), checks
    assert extract.call_count == 0
    assert sweeps.call_args.kwargs["spec"] is problem.spec
    with pytest.raises(ValueError, match=r"'problem' parameter.*FitProblem.*but got \{\}"):
        run_fit(sim, {}, client=no_cluster)


@pytest.mark.parametrize(
    ("change", "parameter", "match"),
    [
        ({"bounds": {"I_x": (0.0, 1.0)}}, "bounds", r"'bounds' parameter.*'I_x'"),
        ({"method": "nelder"}, "method", r"'method' parameter.*'nelder'"),
        ({"budget": 0}, "budget", r"'budget' parameter.*integers >= 1.*0"),
        ({"realisations": 2}, "realisations", r"'realisations' parameter.*deterministic"),
        ({"options": {"points": 3}}, "options", r"points_per_axis"),
        ({"simulation_length": -1.0}, "simulation_length", r"'simulation_length'"),
        ({"units": {"I_e": 3}}, "units", r"'units' parameter"),
    ],
)
def test_check_fit_names_the_parameter_it_refuses(sim, change, parameter, match):
    arguments = {"objective": FCCorrelation(target_fc(4)), "bounds": {"I_e": (8.0, 16.0)},
                 "method": "grid", "budget": 3, **change}  # fmt: skip
    with pytest.raises(FitSettingError, match=match) as error:
        check_fit(sim, **arguments)
    assert error.value.parameter == parameter


def test_the_config_reader_names_the_key_of_a_refused_fit_setting(tmp_path):
    np.save(tmp_path / "target.npy", target_fc(90))
    text = BASE + FIT.replace('method = "grid"', 'method = "grid"\nrealisations = 2')
    with pytest.raises(ConfigError, match=r"\[fit\].realisations: .*deterministic") as error:
        parse_config(text, base=tmp_path, require_fit=True)
    assert error.value.key == "[fit].realisations"


MODELS = [
    "NextGenEI",
    tvb_models.Generic2dOscillator,  # no coupling_terms: named from its declaration
    tvb_models.Hopfield,
    tvb_models.Linear,  # state_variable_dfuns
    tvb_models.JansenRit,
]


@pytest.mark.parametrize("model", MODELS, ids=lambda m: getattr(m, "__name__", m))
def test_one_kernel_looks_its_declaration_up_once(model):
    """Building one model's kernel source looks its declaration up once (3 to 6 times before:
    once more in each helper)."""
    model = make_sim(model, n=2).model if isinstance(model, str) else model()
    model.configure()
    with counting(_registry, "declaration_of") as lookups:
        engine_model(model)
    assert lookups.call_count == 1


def test_a_mixed_network_looks_each_declaration_up_once():
    mixed = thalamocortical()
    with counting(_registry, "declaration_of") as lookups:
        engine_model(mixed)
    assert sorted(c.args[0].__name__ for c in lookups.call_args_list) == [
        "MPRSynaptic",
        "NextGenEI",
    ]
