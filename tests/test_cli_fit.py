"""``tvb-ngnmm fit CONFIG``: a small fit from a configuration file recovers the parameters of a
target made by the same configuration; outputs are labelled files; bad ``[fit]`` sections are
refused naming the key, what is allowed and what was given (exit status 2, one line)."""

import re
import tomllib
from pathlib import Path

import numpy as np
import pytest
import xarray as xr
from dask_cluster import local_cluster

from tvb_ngnmm import cli
from tvb_ngnmm.analysis import functional_connectivity
from tvb_ngnmm.backend import NumbaBackend
from tvb_ngnmm.cli.config import ConfigError, parse_config, read_config
from tvb_ngnmm.explore import FCCorrelation, FCDDistance, FCLevel

distributed = pytest.importorskip("distributed")

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
TRUTH = {"I_e": 12.0, "a": 4.0}

SIMULATOR = """
[connectome]
weights = "weights.npy"
tract_lengths = "lengths.npy"
conduction_speed = 5.0
normalize = "row"

[model]
name = "NextGenEI"
preset = "delicado2025_example"

[coupling]
name = "Linear"
parameters = { a = 1.0 }

[integrator]
name = "HeunStochastic"
dt = 0.02
nsig = [0.0, 0.01, 0.0, 0.0, 0.01, 0.0]
seed = 7

[[monitors]]
name = "TemporalAverage"
period = 0.2

[run]
duration = 60.0
"""

FIT = """
[fit]
parameters = { I_e = [8.0, 16.0], a = [0.0, 8.0] }
objective = { kind = "fc_correlation", target_fc = "target.npy" }
method = "grid"
budget = 9
options = { points_per_axis = 3 }
"""


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    """A 6-region network in files and the FC of its run at ``TRUTH``."""
    path = tmp_path_factory.mktemp("fit_config")
    rng = np.random.default_rng(3)
    weights = rng.uniform(0.2, 1.0, (6, 6))
    np.fill_diagonal(weights, 0.0)
    np.save(path / "weights.npy", weights)
    np.save(path / "lengths.npy", rng.uniform(10.0, 40.0, (6, 6)))
    sim = parse_config(SIMULATOR, base=path).simulator
    sim.model.I_e = np.array([TRUTH["I_e"]])
    sim.coupling.a = np.array([TRUTH["a"]])
    ((_, data),) = NumbaBackend(progress=False).run_sim(sim)
    np.save(path / "target.npy", functional_connectivity(data[:, 0, :, 0]))
    (path / "fit.toml").write_text(SIMULATOR + FIT)
    return path


@pytest.fixture(scope="module")
def scheduler():
    with local_cluster(2) as (cluster, _):
        yield cluster.scheduler_address


def _fails(argv, capsys) -> tuple[int, str]:
    with pytest.raises(SystemExit) as exit_info:
        cli.main(argv)
    return exit_info.value.code, capsys.readouterr().err


def test_fit_command_finds_the_grid_point_of_the_target(folder, scheduler, tmp_path, capsys):
    output = tmp_path / "out"
    argv = ["fit", str(folder / "fit.toml"), "--scheduler", scheduler, "--output", str(output),
            "--no-progress"]  # fmt: skip
    assert cli.main(argv) == 0
    best = tomllib.loads((output / "best_parameters.toml").read_text())["best"]
    assert best == pytest.approx(TRUTH)  # the truth is the grid's centre point
    with xr.open_dataset(output / "fit_history.nc", engine="h5netcdf") as history:
        assert history.sizes["evaluation"] == 9
        assert sorted(set(history.I_e.values)) == [8.0, 12.0, 16.0]
        assert float(history.fc_correlation.max()) == pytest.approx(1.0)
        assert "[fit]" in history.attrs["config"]
    assert (output / "fit_convergence.png").stat().st_size > 10_000
    assert re.search(r"9 evaluations \(grid\) .* best loss .* at I_e = 12, a = 4",
                     capsys.readouterr().out)  # fmt: skip


def test_fit_example_configuration_is_valid():
    config = read_config(EXAMPLES / "fit_ei90.toml", require_fit=True)
    problem = config.fit_arguments()["problem"]
    assert problem.bounds == {"I_e": (8.0, 16.0), "a": (2.0, 12.0)}
    assert problem.method == "cma" and problem.budget == 48
    assert problem.realisations == 1  # the default
    assert problem.objective.target_fc.shape == (90, 90)
    assert problem.spec is config.spec  # the simulator as read once


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("a = [0.0, 8.0]", "a = [8.0, 0.0]", r"\[fit\].parameters.*low < high.*8\.0"),
        ("a = [0.0, 8.0]", "a = 3.0", r"\[fit\].parameters.a.*\[low, high\]"),
        ("I_e = [8.0, 16.0]", "I_x = [8.0, 16.0]", r"\[fit\].parameters.*'I_x'"),
        ('method = "grid"', 'method = "nelder"', r"\[fit\].method.*'cma'.*'nelder'"),
        ("budget = 9", "budget = 0", r"\[fit\].budget.*integers >= 1.*0"),
        ("budget = 9", "budgets = 9", r"Unknown key \[fit\].budgets"),
        ('kind = "fc_correlation"', 'kind = "fc_corr"', r"objective.kind.*'fc_correlation'"),
        ('target_fc = "target.npy"', 'target_fc = "none.npy"', r"target_fc.*does not exist"),
        ("points_per_axis = 3", "points = 3", r"\[fit\].options.*points_per_axis"),
        ("budget = 9", "budget = 9\nrealisations = 0", r"\[fit\].realisations.*>= 1.*0"),
        ("budget = 9", "budget = 9\nrealisations = 1.5", r"\[fit\].realisations.*1.5"),
        # unclear errors: cma's own message of 1,558 characters, after fit.json was written
        (
            'method = "grid"\nbudget = 9\noptions = { points_per_axis = 3 }',
            'method = "cma"\nbudget = 9\noptions = { popsiz = 8 }',
            r"\[fit\].options.*but got 'popsiz' \(did you mean 'popsize'",
        ),
        (
            'method = "grid"\nbudget = 9\noptions = { points_per_axis = 3 }',
            'method = "cma"\nbudget = 9\noptions = { popsize = 1 }',
            r"\[fit\].options.*popsize is an integer >= 2, but got 1 instead",
        ),
        (', target_fc = "target.npy"', "", r"\[fit\].objective: .*missing .*'target_fc'"),
        (
            'target_fc = "target.npy"',
            'target_fc = "target.npy", transient = -5.0',
            r"\[fit\].objective: .*'objective.transient'.*>= 0 \(ms\), but got -5.0 instead",
        ),
        (
            'target_fc = "target.npy"',
            'target_fc = "target.npy", transient = "20 s"',
            r"'objective.transient'.*but got '20 s' instead",
        ),
        (  # the run is 60 ms of samples every 0.2 ms: at most 59.6 ms leave 2 samples
            'target_fc = "target.npy"',
            'target_fc = "target.npy", transient = 59.8',
            r"\[fit\].objective: .*'transient'.*TemporalAverage.*at most 59.6 ms, but got 59.8",
        ),
    ],
)
def test_bad_fit_section_is_refused_naming_the_key(folder, old, new, message):
    text = SIMULATOR + FIT
    assert old in text
    with pytest.raises(ConfigError, match=message):
        parse_config(text.replace(old, new, 1), base=folder, require_fit=True)


def test_an_objective_of_terms_with_a_transient_and_the_fc_level(folder, tmp_path):
    """Case: [fit].objective as a weighted sum of FC correlation, FC level and FCD distance,
    each with its ``transient`` (ms), is read as the same sum built in Python."""
    fcd = np.array([[1.0, 0.2, 0.5], [0.2, 1.0, 0.3], [0.5, 0.3, 1.0]])
    np.save(tmp_path / "fcd.npy", fcd)
    objective = (
        '{ terms = [{ kind = "fc_correlation", target_fc = "target.npy", transient = 20.0 }, '
        '{ kind = "fc_level", target_fc = "target.npy", transient = 20.0, weight = 2.0 }, '
        '{ kind = "fcd_distance", window_ms = 10.0, step_ms = 5.0, '
        f"target_fcd = '{tmp_path / 'fcd.npy'}', transient = 20, weight = 0.5 }}] }}"
    )
    old = '{ kind = "fc_correlation", target_fc = "target.npy" }'
    text = (SIMULATOR + FIT).replace(old, objective, 1)
    problem = parse_config(text, base=folder, require_fit=True).fit_arguments()["problem"]
    target = np.load(folder / "target.npy")
    by_hand = (
        FCCorrelation(target, transient=20.0)
        + 2.0 * FCLevel(target, transient=20.0)
        + 0.5 * FCDDistance(10.0, 5.0, target_fcd=fcd, transient=20.0)
    )
    assert repr(problem.objective) == repr(by_hand)
    assert [term.transient for term, _ in problem.objective.terms()] == [20.0] * 3


def test_a_store_that_is_a_file_is_refused(folder, tmp_path):
    """Unclear error: [fit].store naming a file failed in the fit with a raw NotADirectoryError."""
    (tmp_path / "store.txt").write_text("")
    text = SIMULATOR + FIT + f"store = {str(tmp_path / 'store.txt')!r}\n"
    with pytest.raises(ConfigError, match=r"\[fit\].store. Allowed is the path of a folder.*"
                       r"store.txt' instead, which is a file"):  # fmt: skip
        parse_config(text, base=folder, require_fit=True)


def test_a_target_fc_that_is_not_a_correlation_matrix_is_refused(folder, tmp_path):
    """A target FC with a diagonal of 3 was accepted by the fit."""
    target = np.load(folder / "target.npy") + 2 * np.eye(6)
    np.save(tmp_path / "target.npy", target)
    text = (SIMULATOR + FIT).replace('"target.npy"', repr(str(tmp_path / "target.npy")))
    with pytest.raises(ConfigError, match=r"\[fit\].objective.*'target_fc'.*correlation "
                       r"matrix, whose diagonal is 1.*but got 3 at \[0, 0\]"):  # fmt: skip
        parse_config(text, base=folder, require_fit=True)


def test_target_fc_of_the_wrong_shape_is_refused(folder, tmp_path, capsys):
    np.save(tmp_path / "target.npy", np.corrcoef(np.random.default_rng(0).normal(size=(5, 40))))
    for name in ("weights.npy", "lengths.npy"):
        (tmp_path / name).write_bytes((folder / name).read_bytes())
    (tmp_path / "fit.toml").write_text(SIMULATOR + FIT)
    code, err = _fails(["fit", str(tmp_path / "fit.toml")], capsys)
    assert code == 2 and err.count("\n") == 1
    assert re.search(r"tvb-ngnmm fit: error: .*target_fc.*\(6 regions\).*\(5, 5\)", err)


def test_fit_command_needs_its_section(folder, tmp_path, capsys):
    (tmp_path / "run.toml").write_text(SIMULATOR)
    code, err = _fails(["fit", str(tmp_path / "run.toml")], capsys)
    assert code == 2 and "Missing section [fit]" in err
    assert not (tmp_path / "run_output").exists()


def test_fit_help_shows_an_example(capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["fit", "--help"])
    assert exit_info.value.code == 0
    assert "tvb-ngnmm fit examples/fit_ei90.toml" in capsys.readouterr().out
