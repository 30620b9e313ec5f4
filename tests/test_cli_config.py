"""``tvb-ngnmm run`` and ``tvb-ngnmm sweep`` with TOML configurations: the example files run
(labelled netCDF files and a figure; a complete store), the configured simulator equals one
built by hand, and every bad configuration is refused naming the key, what is allowed and what
was given (exit status 2, one line, no output left behind)."""

import re
from pathlib import Path

import numpy as np
import pytest
import xarray as xr
from dask_cluster import local_cluster
from tvb.simulator import coupling, integrators, monitors, simulator

from tvb_ngnmm import cli
from tvb_ngnmm.cli.config import ConfigError, parse_config, read_config
from tvb_ngnmm.connectomes import load_connectome
from tvb_ngnmm.engine.support import integrator_names
from tvb_ngnmm.explore.store import simulator_description
from tvb_ngnmm.models import make_model

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"

BASE = """
[connectome]
name = "aal90"
normalize = "row"

[model]
name = "NextGenEI"
preset = "delicado2025_example"
parameters = { I_e = 15.0 }

[coupling]
name = "Linear"
parameters = { a = 9.0 }

[integrator]
name = "HeunDeterministic"
dt = 0.01

[[monitors]]
name = "TemporalAverage"
period = 0.1

[run]
duration = 20.0
"""

SWEEP = """
[sweep]
design = "grid"
parameters = { I_e = [10.0, 15.0] }
measures = ["mean_rate"]
store = "s.zarr"
"""


def _variant(*changes: tuple[str, str], extra: str = "") -> str:
    text = BASE + extra
    for old, new in changes:
        assert old in text, old
        text = text.replace(old, new, 1)
    return text


def _run_cli(argv, capsys) -> tuple[int, str]:
    with pytest.raises(SystemExit) as exit_info:
        cli.main(argv)
    return exit_info.value.code, capsys.readouterr().err


def test_run_example_writes_labelled_netcdf_and_figure(tmp_path, capsys):
    output = tmp_path / "out"
    argv = ["run", str(EXAMPLES / "run_ei90.toml"), "--output", str(output), "--no-progress"]
    assert cli.main(argv) == 0
    with xr.open_dataset(output / "monitor0_TemporalAverage.nc", engine="h5netcdf") as ds:
        assert ds.r_e.dims == ("time", "region") and ds.r_e.shape == (2000, 90)
        assert ds.r_e.attrs["units"] == "spikes/ms" and ds.time.attrs["units"] == "ms"
        assert ds.region.values[0] == "PreCG.L"
        assert np.isfinite(ds.r_e.values).all() and np.isfinite(ds.r_i.values).all()
        assert ds.attrs["model"] == "NextGenEI" and ds.attrs["period_ms"] == 0.1
        assert ds.attrs["config"] == (EXAMPLES / "run_ei90.toml").read_text()
    assert (output / "monitor0_TemporalAverage.png").stat().st_size > 10_000
    assert not [p for p in output.iterdir() if p.name.startswith(".")], "temporary files left"
    assert "wrote" in capsys.readouterr().out


def test_sweep_example_completes_its_store_on_a_given_scheduler(tmp_path, capsys):
    store = tmp_path / "s.zarr"
    with local_cluster(2) as (cluster, _):
        argv = ["sweep", str(EXAMPLES / "sweep_ei90.toml"), "--scheduler",
                cluster.scheduler_address, "--store", str(store), "--no-progress"]  # fmt: skip
        assert cli.main(argv) == 0
    with xr.open_zarr(store, consolidated=False) as ds:
        assert ds.done.values.all() and ds.sizes["point"] == 4
        assert ds.I_e.values.tolist() == [10.0, 10.0, 15.0, 15.0]
        assert ds.a.values.tolist() == [3.0, 9.0, 3.0, 9.0]
        assert np.isfinite(ds.mean_rate_r_e.values).all() and ds.fc.dims[0] == "point"
        assert not ds.blown_up.values.any()
    assert "4 of 4 points done" in capsys.readouterr().out


def test_configured_simulator_equals_one_built_by_hand():
    config = read_config(EXAMPLES / "run_ei90.toml")
    by_hand = simulator.Simulator(
        connectivity=load_connectome("aal90", normalize="row", conduction_speed=3.0),
        model=make_model("delicado2025_example", I_e=15.0),
        coupling=coupling.Linear(a=np.array([9.0])),
        integrator=integrators.HeunDeterministic(dt=0.01),
        monitors=[monitors.TemporalAverage(period=0.1)],
        simulation_length=200.0,
    ).configure()
    assert simulator_description(config.simulator) == simulator_description(by_hand)
    assert config.duration == 200.0


def test_stochastic_integrator_and_per_region_values():
    noise = 'name = "HeunStochastic"\nnsig = [1e-4, 0, 1e-4, 0, 0, 0]\nseed = 7'
    text = _variant(('name = "HeunDeterministic"', noise))
    text = text.replace("{ I_e = 15.0 }", "{ I_e = [" + ", ".join(["15.0"] * 89) + ", 14.0] }")
    sim = parse_config(text).simulator
    assert sim.integrator.noise.noise_seed == 7
    assert sim.integrator.noise.nsig.shape == (6, 1, 1)
    assert sim.model.I_e.size == 90 and sim.model.I_e.ravel()[-1] == 14.0


BAD = [
    ((("[run]", "[runs]"),), "", r"Unknown section \[runs\]. Allowed sections are 'connectome'"),
    ((("[run]\nduration = 20.0", ""),), "", r"Missing section \[run\]. Required sections are"),
    ((("dt = 0.01", "dt = 0.01\ndtt = 1"),), "",
     r"Unknown key \[integrator\].dtt. Allowed keys of \[integrator\] are 'name', 'dt', 'nsig', "
     r"'seed', but got 'dtt'"),
    ((("dt = 0.01", ""),), "",
     r"Missing key \[integrator\].dt. Required keys of \[integrator\] are 'name', 'dt'"),
    ((("dt = 0.01", 'dt = "fast"'),), "",
     r"Invalid value for \[integrator\].dt. Allowed is a number, but got 'fast' instead"),
    ((("dt = 0.01", "dt = -0.01"),), "",
     r"\[integrator\].dt. Allowed values are numbers > 0 \(ms\), but got -0.01 instead"),
    ((("duration = 20.0", "duration = 0"),), "",
     r"\[run\].duration. Allowed values are numbers > 0"),
    ((('normalize = "row"', 'normalize = "rows"'),), "",
     r"\[connectome\].normalize. Allowed values are 'none', 'row', .*but got 'rows'"),
    ((('normalize = "row"', "conduction_speed = 0"),), "",
     r"\[connectome\].conduction_speed. Allowed values are numbers > 0 \(mm/ms\), but got 0"),
    ((('name = "aal90"', 'name = "aal91"'),), "",
     r"\[connectome\].name. Allowed values are 'tvb66'.*'aal90', but got 'aal91'"),
    ((('name = "aal90"', 'name = "aal90"\nweights = "w.txt"'),), "",
     r"\[connectome\]. Allowed is exactly one of 'name', 'file' or 'weights', but got \['name', "),
    ((('name = "aal90"', 'weights = "missing.txt"'),), "",
     r"\[connectome\].weights. Allowed are paths of existing files .*but got 'missing.txt'"),
    ((('name = "NextGenEI"', 'name = "NextGen"'),), "",
     r"\[model\].name. Allowed values are .*'NextGenEI'.*but got 'NextGen' instead"),
    ((('preset = "delicado2025_example"', 'preset = "working_memory"'),), "",
     r"\[model\].preset. Allowed presets of NextGenEI are 'delicado2025', .*'working_memory'"),
    ((("{ I_e = 15.0 }", "{ I_x = 15.0 }"),), "",
     r"Unknown key \[model\].parameters.I_x. Allowed keys of \[model\].parameters \(NextGenEI\) "
     r"are 'tau_e', "),
    ((("{ I_e = 15.0 }", '{ I_e = "high" }'),), "",
     r"\[model\].parameters.I_e. Allowed is a number or a list of numbers .*but got 'high'"),
    ((("{ I_e = 15.0 }", "{ tau_e = -1.0 }"),), "",
     r"\[model\].parameters.tau_e: Invalid value for the 'tau_e' parameter of NextGenEI. "
     r"Allowed values are > 0"),
    ((('name = "Linear"', 'name = "Linearr"'),), "",
     r"\[coupling\].name. Allowed values are .*'Laplacian', 'Linear'.*but got 'Linearr'"),
    ((("{ a = 9.0 }", "{ gain = 9.0 }"),), "",
     r"Unknown key \[coupling\].parameters.gain. Allowed keys .*\(Linear\) are 'a', 'b'"),
    ((('name = "Linear"', 'name = "Laplacian"'), ("{ a = 9.0 }", '{ normalize = "row" }')), "",
     r"\[coupling\].parameters.normalize. Allowed values are 'none', 'rw', 'sym', but got 'row'"),
    ((('name = "HeunDeterministic"', 'name = "RungeKutta4thOrderDeterministic"'),), "",
     r"\[integrator\].name. Allowed values are 'EulerDeterministic', .*but got 'RungeKutta"),
    ((("dt = 0.01", "dt = 0.01\nnsig = 0.1"),), "",
     r"\[integrator\].nsig. Allowed only with a stochastic integrator .*but got 0.1"),
    ((('name = "HeunDeterministic"', 'name = "HeunStochastic"'),), "",
     r"Missing key \[integrator\].nsig. Required with the stochastic integrator 'HeunStochastic'"),
    ((('name = "HeunDeterministic"', 'name = "HeunStochastic"\nnsig = -1'),), "",
     r"\[integrator\].nsig. Allowed values are numbers >= 0, but got -1"),
    ((('name = "TemporalAverage"', 'name = "EEG"'),), "",
     r"\[monitors\]\[0\].name. Allowed values are 'Raw', .*'BalloonWindkesselBold', but got 'EEG'"),
    ((('name = "TemporalAverage"', ""),), "",
     r"Missing key \[monitors\]\[0\].name. Required keys of \[\[monitors\]\] are 'name'"),
    ((("period = 0.1", "period = 0.001"),), "",
     r"\[monitors\]\[0\].period. Allowed values are numbers from \[integrator\].dt = 0.01 to "
     r"\[run\].duration = 20 \(ms\), but got 0.001"),
    ((("period = 0.1", "perod = 0.1"),), "",
     r"Unknown key \[monitors\]\[0\].perod. Allowed keys of \[monitors\]\[0\] "
     r"\(TemporalAverage\) are 'period', but got 'perod'"),
    ((("period = 0.1", 'period = 0.1\nvariables = ["v_e"]'),), "",
     r"\[monitors\]\[0\].variables. Allowed are lists of the model's variables of interest "
     r"'r_e', 'r_i', but got \['v_e'\]"),
    ((("[[monitors]]", "[monitors]"),), "", r"\[\[monitors\]\]. Allowed is one or more"),
    ((("[run]", "[run"),), "", r"Invalid TOML in the configuration"),
    ((), SWEEP.replace('["mean_rate"]', '["mean_rate", "fcx"]'),
     r"\[sweep\].measures. Allowed measures are 'mean_rate', 'fc', .*but got 'fcx'"),
    ((), SWEEP.replace('["mean_rate"]', "{ fc = { window = 3 } }"),
     r"Unknown key \[sweep\].measures.fc.window. Allowed keys of \[sweep\].measures.fc are "
     r"'variable', 'monitor', 'bold'"),
    ((), SWEEP.replace("I_e = ", "I_x = "),
     r"\[sweep\].parameters: Invalid value for the 'design' parameter. Allowed parameter names"),
    ((), SWEEP.replace("[10.0, 15.0]", "[]"), r"\[sweep\].parameters: .*one or more values"),
    ((), SWEEP.replace('"grid"', '"random"'),
     r"\[sweep\].design. Allowed values are 'grid', 'points', 'sobol', but got 'random'"),
    ((), SWEEP.replace('"grid"', '"sobol"'),
     r"Missing key \[sweep\].n_point. Required with design = 'sobol'"),
    ((), SWEEP.replace("store", "stor"), r"Unknown key \[sweep\].stor. Allowed keys of \[sweep\]"),
    ((), SWEEP.replace("retries", "x") + "retries = -1",
     r"\[sweep\].retries. Allowed values are integers >= 0, but got -1"),
]  # fmt: skip


@pytest.mark.parametrize(("changes", "extra", "message"), BAD)
def test_bad_configuration_is_refused_naming_the_key(changes, extra, message):
    with pytest.raises(ConfigError, match=message):
        parse_config(_variant(*changes, extra=extra), require_sweep=bool(extra))


def test_the_integrators_allowed_are_those_the_engine_runs():
    """The ``[integrator].name`` error lists exactly the support matrix's integrators."""
    names = ", ".join(map(repr, integrator_names()))
    message = re.escape(f"[integrator].name. Allowed values are {names}, but got 'RK4' instead")
    with pytest.raises(ConfigError, match=message):
        parse_config(_variant(('name = "HeunDeterministic"', 'name = "RK4"')))


def test_a_sweep_needs_its_section():
    with pytest.raises(ConfigError, match=r"Missing section \[sweep\]. Required sections are"):
        parse_config(BASE, require_sweep=True)


def test_run_command_refuses_a_bad_config_in_one_line(tmp_path, capsys):
    config = tmp_path / "bad.toml"
    config.write_text(_variant(("dt = 0.01", "dt = 0")))
    output = tmp_path / "out"
    status, err = _run_cli(["run", str(config), "--output", str(output)], capsys)
    assert status == 2
    assert err == (
        "tvb-ngnmm run: error: Invalid value for [integrator].dt. Allowed values are numbers > 0 "
        "(ms), but got 0 instead.\n"
    )
    assert not output.exists()
    status, err = _run_cli(["run", str(tmp_path / "missing.toml")], capsys)
    assert status == 2 and err.startswith("tvb-ngnmm run: error: Invalid value for CONFIG")


def test_run_command_that_blows_up_exits_1_without_output(tmp_path, capsys):
    config = tmp_path / "blow_up.toml"
    config.write_text(_variant(("{ I_e = 15.0 }", "{ I_e = 1e7 }")))
    output = tmp_path / "out"
    status, err = _run_cli(["run", str(config), "--output", str(output), "--no-progress"], capsys)
    assert status == 1 and err.startswith("tvb-ngnmm run: error: ") and err.count("\n") == 1
    assert "Traceback" not in err and not output.exists()


def test_run_command_that_cannot_write_exits_1(tmp_path, capsys):
    config = tmp_path / "ok.toml"
    config.write_text(BASE)
    blocker = tmp_path / "file"
    blocker.write_text("")
    argv = ["run", str(config), "--output", str(blocker / "out"), "--no-progress"]
    status, err = _run_cli(argv, capsys)
    assert status == 1 and re.match(r"tvb-ngnmm run: error: cannot write to '.*out'", err)


def test_sweep_command_needs_a_store(tmp_path, capsys):
    config = tmp_path / "sweep.toml"
    config.write_text(BASE + SWEEP.replace('store = "s.zarr"', ""))
    status, err = _run_cli(["sweep", str(config)], capsys)
    assert status == 2
    assert err == (
        "tvb-ngnmm sweep: error: Missing key [sweep].store. Required unless --store is given, "
        "but it was not given.\n"
    )


@pytest.mark.parametrize(("command", "example"), [("run", "run_ei90"), ("sweep", "sweep_ei90")])
def test_help_shows_an_example(command, example, capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main([command, "--help"])
    assert exit_info.value.code == 0
    assert f"tvb-ngnmm {command} examples/{example}.toml" in capsys.readouterr().out


def test_command_list_names_run_sweep_and_fit(capsys):
    assert cli.main(["--help"]) == 0
    out = capsys.readouterr().out
    assert "  run " in out and "  sweep " in out and "  fit " in out


def test_connectome_from_files_relative_to_the_config(tmp_path):
    rng = np.random.default_rng(0)
    weights = rng.uniform(0.0, 1.0, (4, 4))
    np.fill_diagonal(weights, 0.0)
    np.savetxt(tmp_path / "w.txt", weights)
    np.savetxt(tmp_path / "t.txt", np.full((4, 4), 30.0))
    (tmp_path / "labels.txt").write_text("A\nB\nC\nD\n")
    files = 'weights = "w.txt"\ntract_lengths = "t.txt"\nlabels = "labels.txt"'
    config = tmp_path / "files.toml"
    config.write_text(_variant(('name = "aal90"', files)))
    sim = read_config(config).simulator
    assert list(sim.connectivity.region_labels) == ["A", "B", "C", "D"]
    np.testing.assert_allclose(sim.connectivity.weights.sum(axis=1), 1.0)
    np.testing.assert_allclose(sim.connectivity.tract_lengths, 30.0)


def test_sobol_design_and_measure_options():
    sweep = SWEEP.replace('"grid"', '"sobol"\nn_point = 4').replace("[10.0, 15.0]", "[10.0, 16.0]")
    sweep = sweep.replace('["mean_rate"]', '{ fc = { variable = "r_e" }, mean_rate = {} }')
    arguments = parse_config(BASE + sweep, require_sweep=True).sweep_arguments()
    assert arguments["design"].kind == "sobol" and arguments["design"].n_point == 4
    assert arguments["measures"] == {"fc": {"variable": "r_e"}, "mean_rate": {}}
