"""Fits of every subject of a dataset (fit_subjects): each subject's fit is the fit of that
subject alone; one store, resumed without recomputing, kept when interrupted; the combined
result labelled and read back; bad input refused before anything runs, naming the subject."""

import dataclasses
import functools
import importlib

import numpy as np
import pytest
import xarray as xr
from dask_cluster import local_cluster
from test_engine_agreement import make_sim
from tvb.simulator import monitors

from tvb_ngnmm.analysis import UndefinedMeasureWarning
from tvb_ngnmm.datasets import read_dataset
from tvb_ngnmm.explore import (
    FCCorrelation,
    FCDDistance,
    FCLevel,
    FitSettingError,
    SweepStore,
    fit,
    fit_subjects,
    load_subject_fits,
    subject_simulator,
)

distributed = pytest.importorskip("distributed")

SUBJECTS = ("sub-01", "sub-02", "sub-03")
N_REGION = 5
TR = 2000.0  # ms
# one parameter, two points per axis, budget 4: two generations of two points
SETTINGS = {"bounds": {"I_e": (8.0, 20.0)}, "method": "grid", "budget": 4,
            "options": {"points_per_axis": 2}, "progress": False}  # fmt: skip


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    """Three subjects of 5 regions written as .npy files: each its own structure and BOLD."""
    root = tmp_path_factory.mktemp("dataset")
    rng = np.random.default_rng(7)
    for name in SUBJECTS:
        folder = root / name
        folder.mkdir()
        weights = rng.uniform(0.2, 1.0, (N_REGION, N_REGION))
        lengths = rng.uniform(5.0, 40.0, (N_REGION, N_REGION))
        mixing = rng.standard_normal((N_REGION, N_REGION))
        bold = rng.standard_normal((60, N_REGION)) @ mixing
        np.save(folder / "sc.npy", weights + weights.T)
        np.save(folder / "len.npy", lengths + lengths.T)
        np.save(folder / "bold.npy", bold)
    return read_dataset(str(root / "{subject}" / "sc.npy"), str(root / "{subject}" / "len.npy"),
                        str(root / "{subject}" / "bold.npy"), repetition_time=TR)  # fmt: skip


def _sim(connectivity=None):
    return make_sim("NextGenEI", n=N_REGION, mons=[monitors.TemporalAverage(period=0.5)],
                    length=100.0, connectivity=connectivity)  # fmt: skip


@pytest.fixture(scope="module")
def sim():
    return _sim()


@pytest.fixture(scope="module")
def objective(data):
    return FCCorrelation(data.group_fc()) + FCLevel(data.group_fc())


@pytest.fixture(scope="module")
def client():
    with local_cluster(1) as (_, client):
        yield client


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


@pytest.fixture(scope="module")
def fitted(data, sim, objective, client, tmp_path_factory):
    store = tmp_path_factory.mktemp("fits") / "store"
    return store, fit_subjects(sim, objective, dataset=data, store=store, client=client,
                               **SETTINGS)  # fmt: skip


def test_each_subject_is_the_fit_of_that_subject_alone(data, sim, fitted, client):
    """Each subject's best loss, parameters and history equal a fit of a simulator built here
    with that subject's connectome, against that subject's own FC (np.corrcoef of its BOLD)."""
    _, fits = fitted
    speed = float(sim.connectivity.speed[0])
    for name in SUBJECTS:
        alone_sim = _sim(data.connectivity(name, conduction_speed=speed))
        fc = np.corrcoef(data.bold[name].T)
        alone = fit(alone_sim, FCCorrelation(fc) + FCLevel(fc), client=client, **SETTINGS)
        one = fits.result(name)
        np.testing.assert_allclose(one.best_loss, alone.best_loss, rtol=1e-10)
        assert one.best_parameters == alone.best_parameters
        for key in ("loss", "I_e", "generation", "loss_fc_correlation", "fc_mean"):
            np.testing.assert_allclose(one.history[key], alone.history[key], rtol=1e-10)
        key = "initial_state_sha256"
        assert one.history.attrs[key] == alone.history.attrs[key]
    losses = fits.best["loss"].values
    assert len(set(losses.round(12))) == len(SUBJECTS)  # each subject its own target


def test_the_combined_result_is_labelled_and_read_back(fitted):
    """Dims subject × evaluation, the subjects in order, each subject's evaluations; the store's
    subject_fits.nc holds the same result."""
    store, fits = fitted
    h, best = fits.history, fits.best
    assert fits.subjects == SUBJECTS and list(h["subject"].values) == list(SUBJECTS)
    assert h["loss"].dims == ("subject", "evaluation") and h["loss"].shape == (3, 4)
    assert h["I_e"].dims == ("subject", "evaluation") and h["I_e"].attrs["units"] == "1"
    assert (h["n_evaluations"] == 4).all() and (h["generation"][:, -1] == 1).all()
    assert {"loss_fc_correlation", "fc_correlation", "fc_mean", "blown_up"} <= set(h.data_vars)
    assert h["initial_state_sha256"].dims == ("subject",) and h.attrs["method"] == "grid"
    assert best["loss"].dims == ("subject",) and set(best) >= {"I_e", "fc_correlation"}
    np.testing.assert_array_equal(best["loss"], h["loss"].min("evaluation"))
    assert sorted(p.name for p in store.iterdir()) == [
        "fit_subjects.json", "subject_fits.nc", "subjects"]  # fmt: skip
    assert sorted(p.name for p in (store / "subjects").iterdir()) == list(SUBJECTS)
    loaded = load_subject_fits(store)
    xr.testing.assert_identical(loaded.history, fits.history)
    xr.testing.assert_identical(loaded.best, fits.best)
    assert loaded.method == "grid"
    assert loaded.result("sub-02").best_loss == fits.result("sub-02").best_loss
    with pytest.raises(ValueError, match="'subject' parameter.*sub-01.*but got 'sub-09'"):
        fits.result("sub-09")


def test_a_store_of_another_connectome_is_refused_before_anything_runs(
    data, sim, objective, fitted
):  # fmt: skip
    """sub-02's weights doubled (its target FC and where its runs start unchanged): its stored
    generations ran another simulator; refused, naming it, with nothing run or written."""
    store, _ = fitted
    weights = {**data.weights, "sub-02": 2.0 * data.weights["sub-02"]}
    other = dataclasses.replace(data, weights=weights)
    before = sorted(str(p) for p in store.rglob("*"))
    with pytest.raises(ValueError, match="Subject 'sub-02': .*'store'.*different simulator"):
        fit_subjects(sim, objective, dataset=other, store=store, client="tcp://127.0.0.1:1",
                     **SETTINGS)  # fmt: skip
    assert sorted(str(p) for p in store.rglob("*")) == before


def test_a_resumed_run_computes_nothing(data, sim, objective, client, fitted, written):
    """Run again with the finished store: every generation is replayed, no point computed."""
    store, fits = fitted
    again = fit_subjects(sim, objective, dataset=data, store=store, client=client, **SETTINGS)
    assert written == []
    xr.testing.assert_identical(again.history, fits.history)


def test_an_interrupted_run_keeps_finished_subjects_and_generations(
    data, sim, objective, client, fitted, tmp_path, monkeypatch
):  # fmt: skip
    """Ctrl-C in the second subject's second generation: the first subject and the second's
    first generation are kept; the run again computes only the rest (2 + 4 points)."""
    counts, interrupted = [], []
    write = SweepStore.write

    def interrupt(self, result, *args):
        if "sub-02" in str(self.path) and "generation_00001" in str(self.path):
            if not interrupted:
                interrupted.append(True)
                raise KeyboardInterrupt
        counts.append(len(result["points"]))
        write(self, result, *args)

    monkeypatch.setattr(SweepStore, "write", interrupt)
    store = tmp_path / "store"
    run = functools.partial(fit_subjects, sim, objective, dataset=data, store=store,
                            client=client, **SETTINGS)  # fmt: skip
    with pytest.warns(RuntimeWarning, match="Sweep interrupted"):
        with pytest.raises(RuntimeError, match="Subject 'sub-02'.*interrupted in generation 1"):
            run()
    assert sum(counts) == 4 + 2 and not (store / "subject_fits.nc").exists()
    assert sorted(p.name for p in (store / "subjects" / "sub-02").glob("generation_*")) == [
        "generation_00000.zarr", "generation_00001.zarr"]  # fmt: skip
    resumed = run()
    assert sum(counts) == 4 + 2 + 2 + 4  # nothing twice
    xr.testing.assert_identical(resumed.history, fitted[1].history)
    assert (store / "subject_fits.nc").exists()


def test_maps_of_each_subjects_own_data(data, sim, objective, client):
    """A callable map: each subject's regional drive follows its own structural strength."""

    def strength(dataset, subject):
        return {"I_e": {"strength": dataset.weights[subject].sum(axis=1)}}

    bounds = {"I_e.base": (10.0, 16.0), "I_e.strength": (-0.5, 0.5)}
    fits = fit_subjects(sim, objective, bounds, data, subjects=["sub-03", "sub-01"],
                        client=client, method="grid", budget=4, maps=strength,
                        progress=False)  # fmt: skip
    regional = fits.best["regional_I_e"]
    assert regional.dims == ("subject", "region") and regional.shape == (2, N_REGION)
    assert fits.subjects == ("sub-03", "sub-01")
    for name in fits.subjects:
        b = fits.best.sel(subject=name)
        expected = float(b["I_e.base"]) + float(b["I_e.strength"]) * data.weights[name].sum(1)
        np.testing.assert_allclose(regional.sel(subject=name), expected)
        np.testing.assert_allclose(fits.result(name).best_regional["I_e"], expected)


def test_undefined_losses_and_failed_fits_name_the_subject(data, sim, objective, client):
    """Each subject's warning of runs that blew up names it and points at the caller; a subject
    without any defined loss is an error naming it."""
    settings = {"method": "grid", "client": client, "progress": False}
    with pytest.warns(UndefinedMeasureWarning, match="Subject 'sub-0[13]': fit: 2 of 3 ev"
                      ) as warned:  # fmt: skip
        fits = fit_subjects(sim, objective, {"I_e": (10.0, 1e7)}, data, ["sub-01", "sub-03"],
                            budget=3, options={"points_per_axis": 3}, **settings)  # fmt: skip
    assert [str(w.message)[:16] for w in warned] == ["Subject 'sub-01'", "Subject 'sub-03'"]
    assert {w.filename for w in warned} == {__file__}
    assert fits.history["blown_up"].values.tolist() == [[False, True, True]] * 2
    assert (fits.best["I_e"] == 10.0).all()
    with pytest.warns(UndefinedMeasureWarning, match="Subject 'sub-02': fit: 2 of 2"):
        with pytest.raises(RuntimeError, match="Subject 'sub-02': No evaluation of the fit"):
            fit_subjects(sim, objective, {"I_e": (1e6, 1e7)}, data, ["sub-02"], budget=2,
                         **settings)  # fmt: skip


def test_subject_simulator(data, sim):
    """The subject's weights and lengths at the simulator's speed, the rest copied; the given
    simulator and NumPy's global generator unchanged."""
    state = np.random.get_state(legacy=False)["state"]  # noqa: NPY002 - checking it is unused
    weights = sim.connectivity.weights.copy()
    new = subject_simulator(sim, data, "sub-02", history_seed=3)
    np.testing.assert_array_equal(new.connectivity.weights, data.weights["sub-02"])
    np.testing.assert_array_equal(new.connectivity.tract_lengths, data.lengths["sub-02"])
    assert float(new.connectivity.speed[0]) == float(sim.connectivity.speed[0])
    assert new.model is not sim.model and float(new.model.I_e[0]) == float(sim.model.I_e[0])
    np.testing.assert_array_equal(sim.connectivity.weights, weights)
    after = np.random.get_state(legacy=False)["state"]  # noqa: NPY002
    assert after["pos"] == state["pos"] and (after["key"] == state["key"]).all()


# ---------------------------------------------------------------------------------------------
# Bad input: refused before anything runs (the client is an address nothing listens on)


def _short(data, name, samples):
    bold = {**data.bold, name: data.bold[name][:samples]}
    sessions = {key: series[:samples] if key[0] == name else series
                for key, series in data.session_bold.items()}  # fmt: skip
    return dataclasses.replace(data, bold=bold, session_bold=sessions)


def _wider(data, name):
    weights = {**data.weights, name: np.ones((N_REGION + 1, N_REGION + 1))}
    return dataclasses.replace(data, weights=weights)


FCD = FCDDistance(60_000.0, 20_000.0, target_fcd=[0.1, 0.2, 0.3])


@pytest.mark.parametrize(
    ("change", "match"),
    [
        ({"subjects": []}, "'subjects' parameter.*non-empty sequence.*got \\[\\]"),
        ({"subjects": ["sub-01", "nobody"]}, "'subjects' parameter.*'sub-01'.*got 'nobody'"),
        ({"subjects": ["sub-01", "sub-01"]}, "'subjects'.*each given once"),
        ({"dataset": "gw"}, "'dataset' parameter.*Dataset.*got 'gw'"),
        ({"history_seed": None}, "'history_seed'.*non-negative integers, but got None"),
        ({"maps": 3}, "'maps' parameter.*callable maps\\(dataset, subject\\).*got 3"),
        ({"objective": "fc"}, "'objective' parameter.*got 'fc'"),
        ({"n_workers": 0}, "'n_workers'.*got 0"),
        ({"bounds": {"I_e": (2.0, 1.0)}}, "Subject 'sub-01': .*'bounds'.*low < high"),
        (
            {"dataset": "wider sub-02"},
            "Subject 'sub-02': .*'dataset'.*simulator's 5 regions.*'sub-02' with 6 regions",
        ),
        (
            {"maps": lambda dataset, subject: {"I_e": {"m": np.arange(3.0)}}},
            "Subject 'sub-01': .*'maps'.*shape \\(5,\\).*shape \\(3,\\)",
        ),
        (
            {"objective": FCD, "dataset": "short sub-02", "simulation_length": 80_000.0},
            "Subject 'sub-02': .*window.*sub-02",
        ),
        (
            {"objective": FCD, "dataset": "short sub-03", "simulation_length": 80_000.0},
            "Subject 'sub-03': .*'objective'.*at least 2 windows.*70000 ms.*window_ms=60000",
        ),
        ({"seed": -1}, "'seed' parameter.*got -1"),
        ({"store": "holding"}, "'store'.*a folder holding other files"),
        ({"store": "file.txt"}, "'store'.*file.txt', which is a file"),
        ({"store": "fit of sub-02", "budget": 6}, "Subject 'sub-02': .*written with other"),
    ],
)
def test_bad_arguments(data, sim, objective, tmp_path, change, match):
    """Each refused before anything runs, naming the parameter (and the subject)."""
    (tmp_path / "holding").mkdir()
    (tmp_path / "holding" / "other.txt").write_text("")
    (tmp_path / "file.txt").write_text("")
    arguments = {"objective": objective, "dataset": data, "client": "tcp://127.0.0.1:1",
                 **SETTINGS}  # fmt: skip
    arguments.update(change)
    datasets = {"wider sub-02": _wider(data, "sub-02"), "short sub-02": _short(data, "sub-02", 20),
                "short sub-03": _short(data, "sub-03", 35)}  # fmt: skip
    if isinstance(arguments["dataset"], str) and arguments["dataset"] in datasets:
        arguments["dataset"] = datasets[arguments["dataset"]]
    if arguments.get("store") == "fit of sub-02":
        folder = tmp_path / "fits" / "subjects" / "sub-02"
        folder.mkdir(parents=True)
        (tmp_path / "fits" / "fit_subjects.json").write_text("{}")
        (folder / "fit.json").write_text('{"budget": 4}')
        arguments["store"] = tmp_path / "fits"
    elif isinstance(arguments.get("store"), str):
        arguments["store"] = tmp_path / arguments["store"]
    with pytest.raises(ValueError, match=match) as info:
        fit_subjects(sim, **arguments)
    if "Subject" in match and "'bounds'" in match:
        assert isinstance(info.value, FitSettingError) and info.value.parameter == "bounds"
    assert not (tmp_path / "store").exists()


def test_one_cluster_for_all_subjects_closed_when_interrupted_between_generations(
    data, sim, objective, client, fitted, tmp_path, monkeypatch, written
):  # fmt: skip
    """Ctrl-C as the second subject's second generation starts: one local cluster was started
    for all subjects, and it is closed; the first subject and the second's first generation
    are kept, and the run again computes only the rest (2 + 4 points)."""
    fit_module = importlib.import_module("tvb_ngnmm.explore.fit")  # (the package exports
    sweep_module = importlib.import_module("tvb_ngnmm.explore.sweep")  # functions so named)
    clusters = []
    start_cluster, run_sweep = sweep_module._local_cluster, fit_module.sweep

    def counted(*args, **kwargs):
        clusters.append(start_cluster(*args, **kwargs))
        return clusters[-1]

    def interrupt(sim, design, measures, store, *args, **kwargs):
        if "sub-02" in str(store) and "generation_00001" in str(store):
            raise KeyboardInterrupt
        return run_sweep(sim, design, measures, store, *args, **kwargs)

    monkeypatch.setattr(sweep_module, "_local_cluster", counted)
    monkeypatch.setattr(fit_module, "sweep", interrupt)
    store = tmp_path / "store"
    with pytest.raises(KeyboardInterrupt):
        fit_subjects(sim, objective, dataset=data, store=store, n_workers=1, **SETTINGS)
    assert len(clusters) == 1 and clusters[0].status.name == "closed"
    assert sum(written) == 4 + 2
    monkeypatch.setattr(fit_module, "sweep", run_sweep)
    resumed = fit_subjects(sim, objective, dataset=data, store=store, client=client, **SETTINGS)
    assert sum(written) == 4 + 2 + 2 + 4
    xr.testing.assert_identical(resumed.history, fitted[1].history)


def test_subjects_with_fewer_evaluations_are_padded(fitted, tmp_path):
    """A subject with 2 evaluations beside one with 4: NaN, generation -1, not blown up, no
    region; read back from netCDF the same; its FitResult has its own 2 evaluations."""
    from tvb_ngnmm.explore.subjects import _combine, _write

    _, fits = fitted
    short = fits.result("sub-02")
    short.history = short.history.isel(evaluation=slice(0, 2))
    combined = _combine({"sub-01": fits.result("sub-01"), "sub-02": short}, ["r"] * N_REGION)
    h = combined.history.sel(subject="sub-02")
    assert list(combined.history["n_evaluations"].values) == [4, 2]
    assert np.isnan(h["loss"][2:]).all() and np.isnan(h["I_e"][2:]).all()
    assert list(h["generation"].values[2:]) == [-1, -1] and not h["blown_up"].any()
    assert list(h["blow_up_region"].values) == [""] * 4
    xr.testing.assert_identical(combined.result("sub-02").history, short.history)
    (tmp_path / "store").mkdir()
    _write(combined, tmp_path / "store" / "subject_fits.nc")
    loaded = load_subject_fits(tmp_path / "store")
    xr.testing.assert_identical(loaded.history, combined.history)
    with pytest.raises(ValueError, match="'store' parameter.*finished fit_subjects run.*got"):
        load_subject_fits(tmp_path)


@pytest.mark.parametrize(
    ("subject", "folder"),
    [("sub-01", "sub-01"), ("a/b", "a%2Fb"), ("..", "%2E%2E"), ("x y", "x%20y")],
)
def test_each_subject_has_a_folder_of_its_own(tmp_path, subject, folder):
    """Any subject name (a table's keys may hold '/' or be '..') is one folder in subjects/."""
    from tvb_ngnmm.explore.subjects import _folder

    assert _folder(tmp_path, subject) == tmp_path / "subjects" / folder
