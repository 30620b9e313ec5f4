"""Cross-validation of a fit over a dataset's subjects (cross_validate): the table's layout,
each fold's fit and validation equal to fit and validate_held_out run alone on that fold,
each subject held out once, a resumed run computing nothing, one cluster closed at the end,
the summary and figure; bad input refused before anything runs, naming the fold."""

import functools
import importlib

import matplotlib
import numpy as np
import pytest
import xarray as xr
from dask_cluster import local_cluster
from tvb.simulator import coupling, integrators, monitors, noise
from tvb.simulator.simulator import Simulator

from tvb_ngnmm.analysis import UndefinedMeasureWarning
from tvb_ngnmm.datasets import kfold, read_dataset
from tvb_ngnmm.explore import (
    FCCorrelation,
    FCLevel,
    FitSettingError,
    SweepStore,
    cross_validate,
    cross_validation_summary,
    fit,
    load_cross_validation,
    plot_cross_validation,
    validate_held_out,
)

distributed = pytest.importorskip("distributed")
matplotlib.use("Agg")

N = 5
SPEED = 5.0
SUBJECTS = ("A", "B", "C", "D", "E")
# one parameter, two points per axis, budget 4: two generations of two points per fold
FIT = {"bounds": {"I_e": (10.0, 20.0)}, "method": "grid", "budget": 4,
       "options": {"points_per_axis": 2}}  # fmt: skip
SETTINGS = {**FIT, "progress": False, "validation_realisations": 2, "validation_seed": 1}


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    """Five subjects of 5 regions: random symmetric structure, BOLD whose regions share a
    subject-specific common signal (FCs that differ between subjects)."""
    folder = tmp_path_factory.mktemp("data")
    rng = np.random.default_rng(11)
    for name in SUBJECTS:
        weights = rng.uniform(0.1, 1.0, (N, N))
        lengths = rng.uniform(5.0, 40.0, (N, N))
        common = rng.standard_normal((80, 1))
        bold = rng.uniform(0.2, 1.0, N) * common + rng.standard_normal((80, N))
        (folder / name).mkdir()
        for kind, array in (("w", weights + weights.T), ("l", lengths + lengths.T), ("b", bold)):
            np.save(folder / name / f"{kind}.npy", array)
    pattern = str(folder / "{subject}" / "{kind}.npy")
    return read_dataset(pattern.replace("{kind}", "w"), pattern.replace("{kind}", "l"),
                        pattern.replace("{kind}", "b"), repetition_time=2000.0,
                        weighting=("symmetrize", "zero_diagonal", "max"))  # fmt: skip


def build_sim(connectivity, stochastic=True):
    """NextGenEI with additive noise, 0.01 ms steps, 0.5 ms averages, 100 ms runs."""
    nsig = np.array([0.0, 0.05, 0.0, 0.0, 0.05, 0.0])
    integrator = (integrators.HeunStochastic(dt=0.01, noise=noise.Additive(nsig=nsig,
                                                                           noise_seed=3))
                  if stochastic else integrators.HeunDeterministic(dt=0.01))  # fmt: skip
    return Simulator(model=NextGenEI_model(), connectivity=connectivity,
                     coupling=coupling.Linear(a=np.array([0.3])), integrator=integrator,
                     monitors=[monitors.TemporalAverage(period=0.5)],
                     simulation_length=100.0).configure()  # fmt: skip


def NextGenEI_model():  # noqa: N802 - the model's name
    from tvb_ngnmm.models import NextGenEI

    return NextGenEI(I_e=np.array([15.0]))


@pytest.fixture(scope="module")
def sim(data):
    return build_sim(data.connectivity(None, conduction_speed=SPEED))


@pytest.fixture(scope="module")
def objective(data):
    return FCCorrelation(data.group_fc()) + FCLevel(data.group_fc())


@pytest.fixture(scope="module")
def client():
    with local_cluster(1) as (_, client):
        yield client


@pytest.fixture(scope="module")
def crossed(data, sim, objective, client, tmp_path_factory):
    store = tmp_path_factory.mktemp("cross") / "store"
    table = cross_validate(sim, objective, dataset=data, folds=2, fold_seed=0, store=store,
                           client=client, **SETTINGS)  # fmt: skip
    return store, table


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


def test_layout_and_each_subject_held_out_once(data, crossed):
    """Dims subject × realisation (held out), fold × group × realisation, fold × parameter;
    the folds are kfold's; each subject is held out in exactly one fold and not trained on
    there."""
    store, table = crossed
    splits = kfold(data, 2, 0)
    assert table.sizes == {"subject": 5, "realisation": 2, "fold": 2, "group": 2,
                           "parameter": 1}  # fmt: skip
    assert sorted(table.subject.values) == sorted(SUBJECTS)
    for subject, fold in zip(table.subject.values, table.test_fold.values, strict=True):
        assert subject in splits[fold]["test"] and subject not in splits[fold]["train"]
        assert subject in str(table.test.values[fold]).split(",")
        assert subject not in str(table.train.values[fold]).split(",")
    assert list(table.train.values) == [",".join(s["train"]) for s in splits]
    assert table["fc_correlation"].dims == ("subject", "realisation")
    assert table["floor_log_sc"].dims == ("subject",) and table["ceiling"].dims == ("subject",)
    assert table["group_loss"].dims == ("fold", "group", "realisation")
    assert table["group_ceiling"].dims == ("fold", "group")
    assert table["best_parameters"].dims == ("fold", "parameter")
    assert list(table.parameter.values) == ["I_e"] and list(table.low.values) == [10.0]
    assert table["fit_loss"].dims == ("fold",) and (table["fit_evaluations"] == 4).all()
    assert np.isfinite(table["fc_correlation"]).all()
    assert table.attrs["fold_seed"] == 0 and table.attrs["validation_realisations"] == 2
    xr.testing.assert_identical(load_cross_validation(store), table)
    assert sorted(p.name for p in store.iterdir()) == [
        "cross_validation.json", "cross_validation.nc", "folds"]  # fmt: skip


def test_each_fold_is_fit_and_validate_held_out_alone(data, crossed, objective, client):
    """Fold by fold: fit of a simulator built here on the training group's connectome against
    that group's FC, then validate_held_out on the fold's split, give the table's values."""
    _, table = crossed
    for fold, split in enumerate(kfold(data, 2, 0)):
        train = data.subset(split["train"])
        alone_sim = build_sim(train.connectivity(None, conduction_speed=SPEED))
        fc = train.group_fc()
        alone = fit(alone_sim, FCCorrelation(fc) + FCLevel(fc), client=client, progress=False,
                    **FIT)  # fmt: skip
        assert float(table["best_parameters"].sel(fold=fold, parameter="I_e")) == (
            alone.best_parameters["I_e"])  # fmt: skip
        np.testing.assert_allclose(table["fit_loss"].sel(fold=fold), alone.best_loss, rtol=1e-12)
        held = validate_held_out(alone, alone_sim, data, split, realisations=2, seed=1,
                                 client=client)  # fmt: skip
        for name in split["test"]:
            for key in ("loss", "fc_correlation", "fc_mean", "ceiling", "floor_log_sc"):
                np.testing.assert_allclose(table[key].sel(subject=name),
                                           held[key].sel(target=name), rtol=1e-12)  # fmt: skip
        test = "test" if len(split["test"]) > 1 else split["test"][0]
        for group, target in (("train", "train"), ("test", test)):
            np.testing.assert_allclose(table["group_loss"].sel(fold=fold, group=group),
                                       held["loss"].sel(target=target), rtol=1e-12)  # fmt: skip
    assert table["fit_loss"].values[0] != table["fit_loss"].values[1]  # each fold its target


def test_a_resumed_run_computes_nothing(data, sim, objective, client, crossed, written,
                                        monkeypatch):  # fmt: skip
    """Run again with the finished store: every generation replayed, every validation read."""
    store, table = crossed
    module = importlib.import_module("tvb_ngnmm.explore.cross_validation")

    def refuse(*args, **kwargs):
        raise AssertionError("validated again")

    monkeypatch.setattr(module, "validate_held_out", refuse)
    again = cross_validate(sim, objective, dataset=data, folds=2, fold_seed=0, store=store,
                           client=client, **SETTINGS)  # fmt: skip
    assert written == []
    xr.testing.assert_identical(again, table)


def test_interrupted_run_closes_its_cluster_and_resumes(data, sim, objective, client, crossed,
                                                       tmp_path, monkeypatch, written):  # fmt: skip
    """Ctrl-C as fold 1's second generation starts: the one local cluster started is closed;
    fold 0 (fit and validation) and fold 1's first generation are kept, and the run again
    computes only the rest (2 points and fold 1's validation), giving the uninterrupted table."""
    fit_module = importlib.import_module("tvb_ngnmm.explore.fit")
    sweep_module = importlib.import_module("tvb_ngnmm.explore.sweep")
    module = importlib.import_module("tvb_ngnmm.explore.cross_validation")
    clusters, validated = [], []
    start_cluster, run_sweep, validate = (sweep_module._local_cluster, fit_module.sweep,
                                          module.validate_held_out)  # fmt: skip

    def counted(*args, **kwargs):
        clusters.append(start_cluster(*args, **kwargs))
        return clusters[-1]

    def interrupt(sim, design, measures, store, *args, **kwargs):
        if "fold_001" in str(store) and "generation_00001" in str(store):
            raise KeyboardInterrupt
        return run_sweep(sim, design, measures, store, *args, **kwargs)

    def counting(result, sim, dataset, split, *args, **kwargs):
        validated.append(tuple(split["test"]))
        return validate(result, sim, dataset, split, *args, **kwargs)

    monkeypatch.setattr(sweep_module, "_local_cluster", counted)
    monkeypatch.setattr(fit_module, "sweep", interrupt)
    monkeypatch.setattr(module, "validate_held_out", counting)
    run = functools.partial(cross_validate, sim, objective, dataset=data, folds=2, fold_seed=0,
                            store=tmp_path / "store", **SETTINGS)  # fmt: skip
    with pytest.raises(KeyboardInterrupt):
        run(n_workers=1)
    assert len(clusters) == 1 and clusters[0].status.name == "closed"
    first_points = sum(written)
    monkeypatch.setattr(fit_module, "sweep", run_sweep)
    resumed = run(client=client)
    # fold 1's second generation (2 points), then its validation: 2 realisations of 4 targets
    # (training group, its 2 held-out subjects, their group)
    assert len(kfold(data, 2, 0)[1]["test"]) == 2
    assert sum(written) - first_points == 2 + 2 * 4
    assert validated == [tuple(s["test"]) for s in kfold(data, 2, 0)]  # each fold's once
    xr.testing.assert_identical(resumed, crossed[1])


def test_a_store_of_other_settings_is_refused_naming_the_fold(data, sim, objective, crossed):
    """The finished store run again with another budget: refused before anything runs, naming
    the first fold and the setting; nothing written."""
    store, _ = crossed
    before = sorted(str(p) for p in store.rglob("*"))
    with pytest.raises(ValueError, match="Fold 0 .*'store'.*written with other \\['budget'\\]"):
        cross_validate(sim, objective, dataset=data, folds=2, fold_seed=0, store=store,
                       client="tcp://127.0.0.1:1", **{**SETTINGS, "budget": 6})  # fmt: skip
    assert sorted(str(p) for p in store.rglob("*")) == before


def test_leave_one_out_on_one_cluster_closed_at_the_end(data, sim, objective, monkeypatch):
    """Given splits, one subject held out each (the group row is that subject's): one local
    cluster started for every fold, and closed."""
    sweep_module = importlib.import_module("tvb_ngnmm.explore.sweep")
    clusters, start_cluster = [], sweep_module._local_cluster

    def counted(*args, **kwargs):
        clusters.append(start_cluster(*args, **kwargs))
        return clusters[-1]

    monkeypatch.setattr(sweep_module, "_local_cluster", counted)
    splits = [["A"], {"train": ["A", "C"], "test": ["B"]}]
    settings = {**SETTINGS, "budget": 2}
    table = cross_validate(sim, objective, dataset=data, folds=splits, n_workers=1, **settings)
    assert len(clusters) == 1 and clusters[0].status.name == "closed"
    assert list(table.subject.values) == ["A", "B"] and list(table.test_fold.values) == [0, 1]
    assert list(table.train.values) == ["B,C,D,E", "A,C"]
    for fold, name in enumerate(["A", "B"]):
        np.testing.assert_array_equal(table["group_fc_correlation"].sel(fold=fold, group="test"),
                                      table["fc_correlation"].sel(subject=name))  # fmt: skip
    assert table.attrs["fold_seed"] == "none"


def test_undefined_losses_name_the_fold(data, sim, objective, client):
    """Each fold's warning of runs that blew up names the fold and points at the caller."""
    settings = {**SETTINGS, "bounds": {"I_e": (10.0, 1e7)}, "budget": 2}
    splits = [["A"], ["B"]]
    with pytest.warns(UndefinedMeasureWarning, match="Fold [01]: fit: 1 of 2 ev") as warned:
        table = cross_validate(sim, objective, dataset=data, folds=splits, client=client,
                               **settings)  # fmt: skip
    assert [str(w.message)[:6] for w in warned] == ["Fold 0", "Fold 1"]
    assert {w.filename for w in warned} == {__file__}
    assert (table["best_parameters"] == 10.0).all()


def test_maps_of_each_folds_training_subjects(data, sim, objective, client):
    """A callable map: each fold's regional drive follows its own training group's structural
    strength; the table holds each fold's per-region values."""
    seen = []

    def strength(dataset, train):
        seen.append(train)
        return {"I_e": {"strength": dataset.subset(train).group_weights().sum(axis=1)}}

    bounds = {"I_e.base": (10.0, 16.0), "I_e.strength": (-0.5, 0.5)}
    settings = {**SETTINGS, "bounds": bounds, "budget": 4}
    table = cross_validate(sim, objective, dataset=data, folds=[["A"], ["B"]], client=client,
                           maps=strength, **settings)  # fmt: skip
    assert seen == [("B", "C", "D", "E"), ("A", "C", "D", "E")]
    assert table["regional_I_e"].dims == ("fold", "region")
    for fold, train in enumerate(seen):
        best = table["best_parameters"].sel(fold=fold)
        base, slope = (float(best.sel(parameter=n)) for n in ("I_e.base", "I_e.strength"))
        expected = base + slope * data.subset(train).group_weights().sum(axis=1)
        np.testing.assert_allclose(table["regional_I_e"].sel(fold=fold), expected)


def test_summary_and_figure(crossed):
    """Means over realisations, then mean ± SD over folds (groups) or subjects; the mean floor
    and ceiling; the figure's two panels."""
    _, table = crossed
    summary = cross_validation_summary(table)
    assert list(summary.target.values) == ["train", "test", "subject"]
    per_subject = table["fc_correlation"].values.mean(axis=1)
    row = summary["fc_correlation"].sel(target="subject")
    np.testing.assert_allclose(row.values, [per_subject.mean(), per_subject.std(ddof=1)])
    per_fold = table["group_loss"].values[:, 1].mean(axis=1)
    np.testing.assert_allclose(summary["loss"].sel(target="test").values,
                               [per_fold.mean(), per_fold.std(ddof=1)])  # fmt: skip
    np.testing.assert_allclose(float(summary["ceiling"].sel(target="subject")),
                               table["ceiling"].values.mean())  # fmt: skip
    assert list(summary["n"].values) == [2, 2, 5]
    figure = plot_cross_validation(table, show=False)
    assert len(figure.axes) == 2
    assert len(figure.axes[0].get_xticklabels()) == 5
    with pytest.raises(ValueError, match="'metric' parameter.*'fc_correlation'.*got 'r'"):
        plot_cross_validation(table, metric="r", show=False)
    matplotlib.pyplot.close("all")


# ---------------------------------------------------------------------------------------------
# Bad input: refused before anything runs (the client is an address nothing listens on)


@pytest.mark.parametrize(
    ("change", "match"),
    [
        ({"folds": 6}, "'folds' parameter.*from 2 to the number of subjects \\(5\\).*got 6"),
        ({"folds": 1}, "'folds' parameter.*got 1"),
        ({"folds": "5"}, "'folds' parameter.*int k.*list of splits.*got '5'"),
        ({"folds": []}, "'folds' parameter.*got \\[\\]"),
        ({"fold_seed": -1}, "'fold_seed' parameter.*got -1"),
        ({"folds": [["A"], ["Z"]]}, "Fold 1 \\(test \\['Z'\\]\\): .*'folds' parameter.*'Z'"),
        ({"folds": [list(SUBJECTS)]}, "Fold 0 .*'folds'.*at least one training subject"),
        ({"folds": [["A", "B"], ["B"]]}, "'folds'.*share no.*'B' held out in folds 0 and 1"),
        ({"dataset": "gw"}, "'dataset' parameter.*Dataset.*got 'gw'"),
        ({"validation_realisations": 1}, "'validation_realisations' parameter.*>= 2.*got 1"),
        ({"validation_seed": -2}, "'validation_seed' parameter.*got -2"),
        ({"history_seed": None}, "'history_seed'.*non-negative integers, but got None"),
        ({"bounds": {"I_e": (2.0, 1.0)}}, "Fold 0 \\(test .*\\): .*'bounds'.*low < high"),
        ({"bounds": {"integrator.noise.noise_seed": (1, 9)}}, "'bounds'.*without"),
        ({"maps": 3}, "'maps' parameter.*maps\\(dataset, train\\).*got 3"),
        ({"objective": "fc"}, "'objective' parameter.*got 'fc'"),
        ({"store": "holding"}, "'store'.*a folder holding other files"),
        ({"store": "other folds"}, "'store'.*written with other folds"),
        ({"sim": "deterministic"}, "'sim' parameter.*stochastic integrator"),
    ],
)
def test_bad_arguments(data, sim, objective, tmp_path, change, match):
    """Each refused before anything runs, naming the parameter (and the fold)."""
    (tmp_path / "holding").mkdir()
    (tmp_path / "holding" / "other.txt").write_text("")
    arguments = {"sim": sim, "objective": objective, "dataset": data, "folds": 2,
                 "client": "tcp://127.0.0.1:1", **SETTINGS}  # fmt: skip
    arguments.update(change)
    if arguments["sim"] == "deterministic":
        arguments["sim"] = build_sim(sim.connectivity, stochastic=False)
    if arguments.get("store") == "other folds":
        (tmp_path / "other").mkdir()
        (tmp_path / "other" / "cross_validation.json").write_text("{}")
        arguments["store"] = tmp_path / "other"
    elif isinstance(arguments.get("store"), str):
        arguments["store"] = tmp_path / arguments["store"]
    with pytest.raises(ValueError, match=match) as info:
        cross_validate(**arguments)
    if "'bounds'.*low" in match:
        assert isinstance(info.value, FitSettingError) and info.value.parameter == "bounds"
    assert not (tmp_path / "store").exists()
