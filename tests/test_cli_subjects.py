"""``tvb-ngnmm fit`` with ``[fit].per_subject = true``: every subject of ``[dataset]`` fitted on
its own connectome and data (``explore.fit_subjects``) into one store, written as
``subject_fits.nc``, ``subject_best.csv`` and ``subject_fits.png``; a run again replays the
store, Ctrl-C keeps the finished generations, the validation runs each subject's best with
fresh noise; per_subject without ``[dataset]`` or with held-out subjects is refused."""

import contextlib
import csv
import io
import json
import re
from pathlib import Path

import matplotlib.pyplot
import numpy as np
import pytest
import xarray as xr
from dask_cluster import local_cluster
from tvb.simulator import coupling, integrators, monitors, noise
from tvb.simulator.simulator import Simulator

from tvb_ngnmm import cli
from tvb_ngnmm.cli import _subjects
from tvb_ngnmm.cli.config import ConfigError, parse_config
from tvb_ngnmm.datasets import read_dataset
from tvb_ngnmm.explore import (
    FCCorrelation,
    FCLevel,
    SweepStore,
    fit_subjects,
    load_subject_fits,
    subject_simulator,
)
from tvb_ngnmm.explore import subjects as explore_subjects
from tvb_ngnmm.models import get_preset

distributed = pytest.importorskip("distributed")

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "fit_gw_subjects.toml"
SUBJECTS = ("s1", "s2", "s3")
NSIG = [0.0, 0.01, 0.0, 0.0, 0.01, 0.0]

#: Three subjects of 6 regions in files (the ``files`` fixture), each fitted on its own.
CONFIG = f"""
[dataset]
weights = "data/{{subject}}/sc.npy"
lengths = "data/{{subject}}/len.npy"
bold = "data/{{subject}}/bold.npy"
repetition_time = 10.0
weighting = ["symmetrize", "zero_diagonal", "max"]

[model]
name = "NextGenEI"
preset = "delicado2025_example"

[coupling]
name = "Linear"
parameters = {{ a = 1.0 }}

[integrator]
name = "HeunStochastic"
dt = 0.05
nsig = {NSIG}
seed = 7

[[monitors]]
name = "TemporalAverage"
period = 1.0
variables = ["r_e"]

[run]
duration = 200.0

[fit]
per_subject = true
parameters = {{ I_e = [8.0, 16.0] }}
objective = {{ terms = [{{ kind = "fc_correlation" }}, {{ kind = "fc_level" }}] }}
transient = 50.0
method = "grid"
budget = 2
options = {{ points_per_axis = 2 }}
n_workers = 1
"""


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """Three subjects' structure and BOLD (6 regions, 40 volumes) in ``data/<subject>/``."""
    path = tmp_path_factory.mktemp("subjects_config")
    rng = np.random.default_rng(11)
    for name in SUBJECTS:
        folder = path / "data" / name
        folder.mkdir(parents=True)
        weights = rng.uniform(0.0, 1.0, (6, 6))
        np.save(folder / "sc.npy", weights + weights.T)
        lengths = rng.uniform(10.0, 50.0, (6, 6))
        np.save(folder / "len.npy", lengths + lengths.T)
        np.save(folder / "bold.npy", rng.normal(size=(40, 6)) @ rng.normal(size=(6, 6)))
    (path / "fit.toml").write_text(CONFIG)
    return path


@pytest.fixture(scope="module")
def scheduler():
    with local_cluster(1) as (cluster, client):
        yield cluster.scheduler_address, client


@pytest.fixture(scope="module")
def first_run(files, tmp_path_factory):
    """``tvb-ngnmm fit`` of the configuration on its own local cluster of 1 worker (closed
    after): the output folder, the store and what the command printed."""
    folder = tmp_path_factory.mktemp("first_run")
    output, store = folder / "out", folder / "fits.store"
    argv = ["fit", str(files / "fit.toml"), "--output", str(output), "--store", str(store),
            "--no-progress"]  # fmt: skip
    text = io.StringIO()
    with contextlib.redirect_stdout(text):
        assert cli.main(argv) == 0
    return output, store, text.getvalue()


@pytest.fixture
def written(monkeypatch):
    """The number of points each sweep store write receives (what was computed)."""
    counts = []
    write = SweepStore.write

    def counting(self, result, *args):
        counts.append(len(result["points"]))
        write(self, result, *args)

    monkeypatch.setattr(SweepStore, "write", counting)
    return counts


def _dataset(files):
    return read_dataset(str(files / "data/{subject}/sc.npy"), str(files / "data/{subject}/len.npy"),
                        str(files / "data/{subject}/bold.npy"), repetition_time=10.0,
                        weighting=("symmetrize", "zero_diagonal", "max"))  # fmt: skip


def _python_fits(files, client):
    """The same fits through the Python API, the simulator and objective built by hand."""
    dataset = _dataset(files)
    model = get_preset("delicado2025_example").make_model()
    voi = list(model.variables_of_interest).index("r_e")
    sim = Simulator(
        connectivity=dataset.connectivity(None, 3.0), model=model,
        coupling=coupling.Linear(a=np.array([1.0])),
        integrator=integrators.HeunStochastic(
            dt=0.05, noise=noise.Additive(nsig=np.array(NSIG), noise_seed=7)),
        monitors=(monitors.TemporalAverage(period=1.0, variables_of_interest=np.array([voi])),),
        simulation_length=200.0,
    )  # fmt: skip
    group = dataset.group_fc()
    objective = FCCorrelation(group, transient=50.0) + FCLevel(group, transient=50.0)
    return fit_subjects(sim, objective, {"I_e": (8.0, 16.0)}, dataset, client=client,
                        method="grid", budget=2, options={"points_per_axis": 2}, seed=0,
                        simulation_length=200.0, progress=False)  # fmt: skip


def test_every_subject_is_fitted_and_written(first_run, files, scheduler):
    """Case: ``[fit].per_subject = true`` fits each subject of the dataset on its own (the best
    of each subject is what ``fit_subjects`` gives in Python with the same settings) and
    writes the combined store, the table and the figure beside each other with the
    manifest."""
    output, store, out = first_run
    names = {"subject_fits.nc", "subject_best.csv", "subject_fits.png"}
    assert names <= {p.name for p in output.iterdir()}
    manifest = json.loads((output / "tvb-ngnmm-outputs.json").read_text())
    assert set(manifest["fit"]) == names
    expected = _python_fits(files, scheduler[1])
    stored = load_subject_fits(store)
    assert stored.subjects == SUBJECTS
    with xr.open_dataset(output / "subject_fits.nc", engine="h5netcdf", group="best") as best:
        assert [str(s) for s in best.subject.values] == list(SUBJECTS)
        for name in ("loss", "I_e", "fc_correlation", "fc_mean"):
            np.testing.assert_allclose(best[name].values, expected.best[name].values, rtol=1e-12)
    assert len(set(expected.best["loss"].values)) == 3  # each subject its own data
    with xr.open_dataset(output / "subject_fits.nc", engine="h5netcdf", group="history") as h:
        assert dict(h.sizes) == {"subject": 3, "evaluation": 2}
        assert "per_subject = true" in h.attrs["config"]
    rows = list(csv.DictReader((output / "subject_best.csv").read_text().splitlines()))
    assert [row["subject"] for row in rows] == list(SUBJECTS)
    table = _dataset(files).baselines()
    for k, row in enumerate(rows):
        assert float(row["loss"]) == expected.best["loss"].values[k]
        assert float(row["I_e"]) == expected.best["I_e"].values[k]
        assert float(row["fc_correlation"]) == expected.best["fc_correlation"].values[k]
        assert float(row["floor_log_sc_fc"]) == pytest.approx(table.log_sc_fc.values[k])
        assert float(row["ceiling_inter_subject"]) == pytest.approx(table.inter_subject.values[k])
    assert (output / "subject_fits.png").stat().st_size > 10_000
    assert "3 subjects fitted (grid, 6 evaluations) in " in out
    assert re.search(r"\n  s2: best loss \S+ at I_e = \S+\n", out)


def test_a_run_again_replays_the_store(first_run, files, scheduler, written, tmp_path, capsys):
    """Case: the same command again with the same store computes nothing new and writes the
    same best."""
    _, store, _ = first_run
    output = tmp_path / "again"
    argv = ["fit", str(files / "fit.toml"), "--scheduler", scheduler[0], "--output",
            str(output), "--store", str(store), "--no-progress"]  # fmt: skip
    assert cli.main(argv) == 0
    assert sum(written) == 0
    with xr.open_dataset(first_run[0] / "subject_fits.nc", engine="h5netcdf", group="best") as a:
        with xr.open_dataset(output / "subject_fits.nc", engine="h5netcdf", group="best") as b:
            xr.testing.assert_identical(a, b)
    assert "3 subjects fitted" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        (KeyboardInterrupt(), "interrupted"),  # between two generations
        (RuntimeError("The fit was interrupted in generation 0 (0 of 2 runs done): run it "
                      "again with the same store to resume it."),  # in a generation's sweep
         "Subject 's2': The fit was interrupted in generation 0 (0 of 2 runs done): run it "
         "again with the same store to resume it"),
    ],
)  # fmt: skip
def test_ctrl_c_keeps_the_finished_generations(files, scheduler, written, monkeypatch,
                                               tmp_path, capsys, error, reason):  # fmt: skip
    """Case: Ctrl-C during the second subject (between generations, or in a generation's
    sweep, which ends the fit with its RuntimeError) exits 130 saying how far the run got and
    where it is kept; run again with the store, only the second and third subjects are
    computed."""
    run_fit, calls = explore_subjects._run_fit, []

    def interrupted(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise error
        return run_fit(*args, **kwargs)

    monkeypatch.setattr(explore_subjects, "_run_fit", interrupted)
    store, output = tmp_path / "fits.store", tmp_path / "out"
    argv = ["fit", str(files / "fit.toml"), "--scheduler", scheduler[0], "--output",
            str(output), "--store", str(store), "--no-progress"]  # fmt: skip
    with pytest.raises(SystemExit) as exit_info:
        cli.main(argv)
    assert exit_info.value.code == 130
    err = capsys.readouterr().err
    assert f"{reason}; generations stored per subject: s1 1" in " ".join(err.split())
    assert f"run again with the store {str(store)!r} to resume" in err
    assert not output.exists()
    assert len(list((store / "subjects" / "s1").glob("generation_*.zarr"))) == 1
    assert sum(written) == 2
    monkeypatch.setattr(explore_subjects, "_run_fit", run_fit)
    assert cli.main(argv) == 0
    assert sum(written) == 2 + 4  # s2 and s3 only
    assert load_subject_fits(store).subjects == SUBJECTS


def test_the_validation_runs_each_subject_with_fresh_noise(files, scheduler, tmp_path, capsys):
    """Case: ``[fit].validation`` with per_subject: each subject's best parameters run with
    fresh noise on its own connectome and data (``FitResult.validate`` of that subject's
    fit), written as ``subject_validation.nc`` (subject × realisation)."""
    text = CONFIG + "validation = { realisations = 2, seed = 3 }\n"
    (files / "fit_validation.toml").write_text(text)
    store, output = tmp_path / "fits.store", tmp_path / "out"
    argv = ["fit", str(files / "fit_validation.toml"), "--scheduler", scheduler[0], "--output",
            str(output), "--store", str(store), "--no-progress"]  # fmt: skip
    assert cli.main(argv) == 0
    with xr.open_dataset(output / "subject_validation.nc", engine="h5netcdf") as validation:
        assert dict(validation.sizes) == {"subject": 3, "realisation": 2}
        got = validation.sel(subject="s2").load()
    fits = load_subject_fits(store)
    dataset = _dataset(files)
    config = parse_config(text, base=files, require_fit=True)
    objective = config.fit["problem"].objective.with_data(dataset, ["s2"])
    sim = subject_simulator(config.simulator, dataset, "s2", 0)
    expected = fits.result("s2").validate(sim, objective, 2, 3, client=scheduler[1])
    np.testing.assert_allclose(got["loss"].values, expected["loss"].values, rtol=1e-12)
    assert re.search(r"\n  s2: best loss \S+ at I_e = \S+; validation loss \S+ ± \S+\n",
                     capsys.readouterr().out)  # fmt: skip


@pytest.mark.parametrize(
    ("error", "status", "message"),
    [
        (RuntimeError("no workers left"), 1, "the validation failed: no workers left; the "
         "fits' outputs are in"),
        (KeyboardInterrupt(), 130, "interrupted during the validation; the fits' outputs are "
         "in"),
    ],
)  # fmt: skip
def test_a_failed_validation_keeps_the_fits(files, scheduler, tmp_path, monkeypatch, capsys,
                                            error, status, message):  # fmt: skip
    """Case: a validation that fails (or Ctrl-C) after the fits leaves the fits' outputs
    written and ends with exit status 1 (130) naming the reason."""

    def fails(*args, **kwargs):
        raise error

    monkeypatch.setattr(_subjects, "validate_subjects", fails)
    (files / "fit_validated.toml").write_text(CONFIG + "validation = true\n")
    output = tmp_path / "out"
    argv = ["fit", str(files / "fit_validated.toml"), "--scheduler", scheduler[0],
            "--output", str(output), "--no-progress"]  # fmt: skip
    with pytest.raises(SystemExit) as exit_info:
        cli.main(argv)
    assert exit_info.value.code == status
    assert message in " ".join(capsys.readouterr().err.split())
    assert (output / "subject_fits.nc").is_file() and (output / "subject_best.csv").is_file()
    assert not (output / "subject_validation.nc").exists()


def test_a_store_of_other_files_is_refused(files, tmp_path, capsys):
    """Case: a store that is a folder of other files ends with exit status 2 naming the key,
    before anything runs."""
    store = tmp_path / "other"
    store.mkdir()
    (store / "notes.txt").write_text("mine")
    argv = ["fit", str(files / "fit.toml"), "--store", str(store), "--no-progress"]
    with pytest.raises(SystemExit) as exit_info:
        cli.main(argv)
    assert exit_info.value.code == 2
    err = " ".join(capsys.readouterr().err.split())
    assert "error: [fit].store or --store: Invalid value for the 'store' parameter" in err
    assert (store / "notes.txt").read_text() == "mine" and len(list(store.iterdir())) == 1


def test_sc_strength_is_each_subjects_own(files):
    """Case: the map ``'sc_strength'`` of a per-subject fit is the subject's own regions'
    strength (its weighted connectome's row sums), z-scored, not the group's."""
    text = CONFIG.replace("I_e = [8.0, 16.0]", '"I_e.base" = [8.0, 16.0], "I_e.strength" = '
                          "[-1.0, 1.0]").replace("budget = 2", "budget = 4")  # fmt: skip
    text += 'maps = { I_e = { strength = "sc_strength" } }\n'
    maps = parse_config(text, base=files, require_fit=True).fit["per_subject"]["maps"]
    dataset = _dataset(files)
    for name in SUBJECTS:
        strength = dataset.weights[name].sum(axis=1)
        expected = (strength - strength.mean()) / strength.std()
        np.testing.assert_allclose(maps(dataset, name)["I_e"]["strength"], expected)
    assert not np.allclose(maps(dataset, "s1")["I_e"]["strength"],
                           maps(dataset, "s2")["I_e"]["strength"])  # fmt: skip


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda t: t.replace("repetition_time = 10.0", 'repetition_time = 10.0\ntest = ["s3"]'),
         r"Invalid value for \[dataset\]\.test\. Allowed is no held-out split with "
         r"\[fit\]\.per_subject = true .*but got \['s3'\] instead"),
        (lambda t: "[connectome]\nweights = 'data/s1/sc.npy'\ntract_lengths = 'data/s1/len.npy'"
         "\n\n[model]" + t.split("[model]", 1)[1],
         r"Invalid value for \[fit\]\.per_subject\. Allowed is true only with \[dataset\]"),
        (lambda t: t.replace("per_subject = true", "per_subject = 'each'"),
         r"Invalid value for \[fit\]\.per_subject\. Allowed is true or false, but got 'each'"),
    ],
)  # fmt: skip
def test_refused_keys(files, change, message):
    """Case: per_subject with a held-out split, without [dataset], or not a boolean: a
    ConfigError naming the key, what is allowed and what was given."""
    with pytest.raises(ConfigError, match=message):
        parse_config(change(CONFIG), base=files, require_fit=True)


def test_the_example_is_a_per_subject_fit():
    """Case: examples/fit_gw_subjects.toml reads as a per-subject fit of two gw subjects,
    each its own connectome (the simulator's is replaced per subject), into its store."""
    config = parse_config(EXAMPLE.read_text(), base=EXAMPLE.parent, require_fit=True)
    arguments = config.fit["per_subject"]
    assert arguments["dataset"].subjects == ("NAP_001", "NAP_002")
    assert arguments["store"] == "subject_fits_gw.store"
    assert arguments["budget"] == 2 and arguments["maps"] is None
    assert config.validation is None


def test_the_example_runs(scheduler, tmp_path, capsys):
    """Case: ``tvb-ngnmm fit examples/fit_gw_subjects.toml`` (bundled dataset, two subjects)
    runs end to end, each subject on its own 94-region connectome, and writes its files."""
    output, store = tmp_path / "out", tmp_path / "fits.store"
    argv = ["fit", str(EXAMPLE), "--scheduler", scheduler[0], "--output", str(output),
            "--store", str(store), "--no-progress"]  # fmt: skip
    assert cli.main(argv) == 0
    fits = load_subject_fits(store)
    assert fits.subjects == ("NAP_001", "NAP_002")
    assert dict(fits.history.sizes) == {"subject": 2, "evaluation": 2}
    assert np.isfinite(fits.best["fc_correlation"].values).all()
    assert {"subject_fits.nc", "subject_best.csv", "subject_fits.png"} <= {
        p.name for p in output.iterdir()
    }
    assert "2 subjects fitted (cma, 4 evaluations) in " in capsys.readouterr().out
    assert not matplotlib.pyplot.get_fignums()  # the figure written is closed
