"""Validation on held-out subjects: the table's targets and coordinates, each held-out run on
its subject's own connectome against that subject's FC (an independent run), the floor and
ceiling against NumPy, the fit's maps carried into validation; bad input refused naming the
parameter."""

import copy

import matplotlib
import numpy as np
import pytest
import xarray as xr
from dask_cluster import local_cluster
from tvb.simulator import coupling, integrators, monitors, noise
from tvb.simulator.simulator import Simulator

from tvb_ngnmm.connectomes import make_connectivity
from tvb_ngnmm.datasets import gw, read_dataset
from tvb_ngnmm.engine.batch import run_batch
from tvb_ngnmm.explore import (
    FCCorrelation,
    FCLevel,
    FitResult,
    fit,
    floor_and_ceiling,
    plot_validation,
    validation_summary,
)
from tvb_ngnmm.explore.held_out import simulator_on
from tvb_ngnmm.explore.validation import fresh_noise_seeds, run_realisations
from tvb_ngnmm.models import NextGenEI
from tvb_ngnmm.seeding import seeded_simulator

pytest.importorskip("distributed")
matplotlib.use("Agg")

N = 5
NOISE_SEED = 3
SPEED = 5.0
SUBJECTS = ("A", "B", "C", "D")
TRAIN, TEST = ["A", "B"], ["C", "D"]
MYELIN = np.linspace(0.0, 1.0, N)


def upper(matrix):
    return matrix[np.triu_indices(len(matrix), 1)]


def write_dataset(folder, names=SUBJECTS):
    """Per subject: random symmetric weights and lengths (5-40 mm) and a BOLD series whose
    regions share a subject-specific common signal (FCs that differ between subjects)."""
    rng = np.random.default_rng(7)
    for name in names:
        weights = rng.uniform(0.1, 1.0, (N, N))
        weights = weights + weights.T
        np.fill_diagonal(weights, 0.0)
        lengths = rng.uniform(5.0, 40.0, (N, N))
        common = rng.standard_normal((80, 1))
        bold = rng.uniform(0.2, 1.0, N) * common + rng.standard_normal((80, N))
        (folder / name).mkdir()
        for kind, array in (("w", weights), ("l", (lengths + lengths.T) / 2), ("b", bold)):
            np.save(folder / name / f"{kind}.npy", array)
    return read_dataset(str(folder / "{subject}" / "w.npy"), str(folder / "{subject}" / "l.npy"),
                        str(folder / "{subject}" / "b.npy"), repetition_time=2000.0,
                        weighting=("symmetrize", "zero_diagonal", "max"))  # fmt: skip


def build_sim(connectivity):
    """NextGenEI with additive noise on a connectome, configured (0.01 ms steps, 100 ms)."""
    nsig = np.array([0.0, 0.05, 0.0, 0.0, 0.05, 0.0])
    sim = Simulator(
        model=NextGenEI(I_e=np.array([15.0])),
        connectivity=connectivity,
        coupling=coupling.Linear(a=np.array([0.3])),
        integrator=integrators.HeunStochastic(
            dt=0.01, noise=noise.Additive(nsig=nsig, noise_seed=NOISE_SEED)
        ),
        monitors=[monitors.TemporalAverage(period=0.5)],
        simulation_length=100.0,
    )
    return sim.configure()


def subject_sim(dataset, subjects):
    """The simulator on the connectome of ``subjects``, built here from the dataset's arrays
    (NumPy): one subject's weights, or the group's mean structure scaled by its maximum."""
    """The simulated FC of a run on the connectome of ``subjects`` built here from the
    dataset's arrays (NumPy), started as the validation's runs (history seed 0)."""
    if len(subjects) == 1:
        weights, lengths = dataset.weights[subjects[0]], dataset.lengths[subjects[0]]
    else:
        mean = np.mean([dataset.structure[name] for name in subjects], axis=0)
        weights = mean / mean.max()
        lengths = np.mean([dataset.lengths[name] for name in subjects], axis=0)
    return build_sim(make_connectivity(weights, lengths, conduction_speed=SPEED))


def independent_fc(dataset, subjects, parameters, noise_seed):
    """The simulated FC of a run on the connectome of ``subjects`` (:func:`subject_sim`),
    started as the validation's runs (history seed 0)."""
    source = seeded_simulator(subject_sim(dataset, subjects), 0)
    source.integrator.noise.random_stream = np.random.RandomState(noise_seed)
    (out,) = run_batch(source, {k: [v] for k, v in parameters.items()}, progress=False)
    return np.corrcoef(out.isel(member=0, state_variable=0).values.T)


def group_fc(dataset, subjects):
    """Fisher-z mean of the subjects' FCs (NumPy), diagonal 1."""
    fcs = [np.corrcoef(dataset.bold[name].T) for name in subjects]
    n = len(fcs[0])
    off = ~np.eye(n, dtype=bool)
    mean = np.eye(n)
    mean[off] = np.tanh(np.mean([np.arctanh(fc[off]) for fc in fcs], axis=0))
    return mean


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    return write_dataset(tmp_path_factory.mktemp("data"))


@pytest.fixture(scope="module")
def sim(dataset):
    return build_sim(dataset.subset(TRAIN).connectivity(None, conduction_speed=SPEED))


@pytest.fixture(scope="module")
def client():
    with local_cluster(1) as (_, client):
        yield client


def fake_result(objective, parameters=None, maps=None):
    """A fit's result as fit records it (history seed 0, its noise seed, 100 ms runs)."""
    history = xr.Dataset({"loss": ("evaluation", [0.5])},
                         coords={"a": ("evaluation", [0.35], {"units": "1"})},
                         attrs={"noise_seed": NOISE_SEED, "history_seed": 0,
                                "simulation_length": 100.0})  # fmt: skip
    return FitResult(parameters or {"a": 0.35}, 0.5, {}, history, "grid", objective,
                     maps=maps or {})  # fmt: skip


@pytest.fixture(scope="module")
def table(dataset, sim, client):
    target = dataset.subset(TRAIN).group_fc()
    result = fake_result(FCCorrelation(target) + FCLevel(target))
    return result.validate(sim, realisations=2, seed=5, client=client, dataset=dataset,
                           split={"train": TRAIN, "test": TEST})  # fmt: skip


def test_the_table_holds_every_target_and_realisation(table):
    """Targets train, each test subject, the test group; realisations with the fresh seeds;
    each metric of the objective per target and realisation; floor, ceiling and empirical
    level per target; the summary's mean and SD are NumPy's; the figure has one panel per
    metric."""
    assert list(table.target.values) == ["train", "C", "D", "test"]
    assert list(table.kind.values) == ["train", "subject", "subject", "group"]
    assert list(table.subjects.values) == ["A,B", "C", "D", "C,D"]
    assert list(table.noise_seed.values) == fresh_noise_seeds(2, 5, [NOISE_SEED])
    for name in ("loss", "fc_correlation", "fc_mean", "loss_fc_level", "blown_up"):
        assert table[name].dims == ("target", "realisation")
    for name in ("floor_sc", "floor_log_sc", "ceiling", "empirical_fc_mean"):
        assert table[name].dims == ("target",)
    assert table.attrs["train"] == TRAIN and table.attrs["test"] == TEST
    assert np.isfinite(table.fc_correlation.values).all()
    assert not table.blown_up.values.any()
    summary = validation_summary(table)
    values = table.fc_correlation.values
    np.testing.assert_allclose(summary.fc_correlation.sel(statistic="mean"), values.mean(1),
                               rtol=1e-14)  # fmt: skip
    np.testing.assert_allclose(summary.fc_correlation.sel(statistic="sd"),
                               np.std(values, axis=1, ddof=1), rtol=1e-14)  # fmt: skip
    np.testing.assert_array_equal(summary.ceiling, table.ceiling)
    figure = plot_validation(table, show=False)
    assert len(figure.axes) == 5  # loss first, then each component
    assert figure.axes[0].get_title() == "loss"
    matplotlib.pyplot.close(figure)


def test_each_target_runs_its_own_connectome_against_its_own_fc(dataset, table):
    """Each held-out subject's value is r(simulated FC on its connectome, its FC), from a run
    built independently (NumPy connectome, same seeds); the group's likewise; they differ from
    the training connectome's run with the same noise (the test would see the wrong one)."""
    parameters = {"a": 0.35}
    for r, noise_seed in enumerate(table.noise_seed.values):
        on_train = independent_fc(dataset, TRAIN, parameters, int(noise_seed))
        for label, subjects in (("train", TRAIN), ("C", ["C"]), ("D", ["D"]), ("test", TEST)):
            simulated = independent_fc(dataset, subjects, parameters, int(noise_seed))
            empirical = group_fc(dataset, subjects)
            expected = np.corrcoef(upper(simulated), upper(empirical))[0, 1]
            got = table.fc_correlation.sel(target=label).values[r]
            np.testing.assert_allclose(got, expected, rtol=1e-9)
            np.testing.assert_allclose(table.fc_mean.sel(target=label).values[r],
                                       upper(simulated).mean(), rtol=1e-9)  # fmt: skip
            if label != "train":
                assert not np.allclose(upper(simulated), upper(on_train), rtol=1e-6)


def test_a_fitted_conduction_speed_reaches_the_held_out_connectome(dataset, sim, client):
    """With 'conduction_speed' among the fit's parameters, a held-out subject runs its own
    tract lengths at that speed, as a sweep of that speed on the subject's simulator built
    here does; at the simulator's own speed the value differs."""
    objective = FCCorrelation(dataset.subset(TRAIN).group_fc())
    parameters = {"a": 0.35, "conduction_speed": 2.0}
    result = fake_result(objective, parameters)
    table = result.validate(sim, realisations=2, seed=4, client=client, dataset=dataset,
                            split={"train": TRAIN, "test": ["D"]})  # fmt: skip
    seeds = [int(s) for s in table.noise_seed.values]
    scored = FCCorrelation(group_fc(dataset, ["D"]))
    for speed in (2.0, SPEED):
        reference = run_realisations(subject_sim(dataset, ["D"]), {**parameters,
                                     "conduction_speed": speed}, scored, seeds, 100.0,
                                     client=client)  # fmt: skip
        same = np.allclose(table.fc_correlation.sel(target="D"), reference.fc_correlation,
                           rtol=1e-9)  # fmt: skip
        assert same == (speed == 2.0)


def test_a_fit_from_the_simulators_own_history(dataset, sim, client):
    """A fit with history_seed=None: 'train' starts from the simulator's own history (as
    validate_fit does), a held-out connectome, which needs a history of its own delays, from
    the seeded history 0; each equals run_realisations so started."""
    objective = FCCorrelation(dataset.subset(TRAIN).group_fc())
    result = fake_result(objective)
    result.history.attrs["history_seed"] = "none"
    table = result.validate(sim, realisations=2, seed=6, client=client, dataset=dataset,
                            split={"train": TRAIN, "test": ["C"]})  # fmt: skip
    assert table.attrs["history_seed"] == "none"
    seeds = [int(s) for s in table.noise_seed.values]
    for label, source, start in (("train", sim, None), ("C", subject_sim(dataset, ["C"]), 0)):
        scored = objective.with_data(dataset, TRAIN if label == "train" else [label])
        reference = run_realisations(source, {"a": 0.35}, scored, seeds, 100.0, start,
                                     client=client)  # fmt: skip
        np.testing.assert_allclose(table.fc_correlation.sel(target=label),
                                   reference.fc_correlation, rtol=1e-12)  # fmt: skip


def test_a_split_whose_training_group_was_not_fitted_warns(dataset, sim):
    """The fit's objective targets subjects A and B; the test names alone train on A, B and D:
    a warning says the 'train' target is not what was fitted (before anything runs)."""
    result = fake_result(FCCorrelation(dataset.subset(TRAIN).group_fc()))
    with pytest.warns(UserWarning, match=r"not the group FC of the training subjects \['A', "
                      r"'B', 'D'\].*\{'train': \[...\], 'test': \[...\]\}"):  # fmt: skip
        with pytest.raises(ValueError, match="'client'"):
            result.validate(sim, client="tcp://127.0.0.1:1", dataset=dataset, split=["C"])


def test_floor_and_ceiling_against_numpy(table, dataset):
    """floor_sc, floor_log_sc, ceiling and the empirical level of every target equal direct
    np.corrcoef computations (mean structure, log over connected pairs, training group FC,
    leave-one-out for train)."""
    for label, subjects in (("train", TRAIN), ("C", ["C"]), ("D", ["D"]), ("test", TEST)):
        check_baselines(table.sel(target=label), dataset, subjects, TRAIN)


def check_baselines(row, dataset, subjects, train):
    fc = upper(group_fc(dataset, subjects))
    weights = upper(np.mean([dataset.structure[name] for name in subjects], axis=0))
    connected = weights > 0
    assert float(row.floor_sc) == pytest.approx(np.corrcoef(weights, fc)[0, 1], rel=1e-12)
    expected_log = np.corrcoef(np.log(weights[connected]), fc[connected])[0, 1]
    assert float(row.floor_log_sc) == pytest.approx(expected_log, rel=1e-12)
    assert float(row.empirical_fc_mean) == pytest.approx(fc.mean(), rel=1e-12)
    if str(row.kind.values) == "train":
        loo = [np.corrcoef(upper(group_fc(dataset, [s])),
                           upper(group_fc(dataset, [o for o in train if o != s])))[0, 1]
               for s in train]  # fmt: skip
        expected = np.mean(loo)
    else:
        expected = np.corrcoef(upper(group_fc(dataset, train)), fc)[0, 1]
    assert float(row.ceiling) == pytest.approx(expected, rel=1e-12)


def test_floor_and_ceiling_of_the_bundled_subjects():
    """On the bundled 94-region subjects (three train, two test): each value equals NumPy's;
    one test subject gives no group target."""
    data = gw.dataset(repetition_time=2000.0)
    split = {"train": ["NAP_001", "NAP_002", "NAP_007"], "test": ["NAP_009", "NAP_013"]}
    baselines = floor_and_ceiling(data, split)
    assert list(baselines.target.values) == ["train", "NAP_009", "NAP_013", "test"]
    for label in baselines.target.values:
        subjects = str(baselines.subjects.sel(target=label).values).split(",")
        check_baselines(baselines.sel(target=label), data, subjects, split["train"])
    single = floor_and_ceiling(data, ["NAP_013"])
    assert list(single.target.values) == ["train", "NAP_013"]


def test_the_fits_maps_are_carried_into_validation(dataset, sim, client):
    """A fit over a map records it; validate() runs the map's per-region values
    (best_regional), with fresh noise on the fitted simulator and on a held-out subject's
    connectome: each equals run_batch with those values and that noise seed."""
    maps = {"I_e": {"myelin": MYELIN}}
    objective = FCCorrelation(dataset.subset(TRAIN).group_fc())
    result = fit(sim, objective, {"I_e.myelin": (0.0, 6.0)}, method="grid", budget=3,
                 client=client, progress=False, maps=maps,
                 options={"points_per_axis": 3})  # fmt: skip
    np.testing.assert_array_equal(result.maps["I_e"]["myelin"], MYELIN)
    regional = result.best_regional["I_e"]
    np.testing.assert_allclose(regional, 15.0 + result.best_parameters["I_e.myelin"] * MYELIN)
    fresh = result.validate(sim, realisations=2, seed=2, client=client)
    held = result.validate(sim, realisations=2, seed=2, client=client, dataset=dataset,
                           split={"train": TRAIN, "test": ["C"]})  # fmt: skip
    seed = int(fresh.noise_seed.values[0])
    on_subject = simulator_on(sim, dataset.connectivity("C", conduction_speed=SPEED), 0)
    for source, target, value in ((sim, dataset.subset(TRAIN).group_fc(), fresh.fc_correlation[0]),
                                  (on_subject, dataset.fc("C"),
                                   held.fc_correlation.sel(target="C")[0])):  # fmt: skip
        start = seeded_simulator(source, 0)
        start.integrator.noise.random_stream = np.random.RandomState(seed)
        (out,) = run_batch(start, {"I_e": [regional]}, progress=False)
        fc = np.corrcoef(out.isel(member=0, state_variable=0).values.T)
        assert float(value) == pytest.approx(np.corrcoef(upper(fc), upper(target))[0, 1],
                                             rel=1e-9)  # fmt: skip
    assert list(held.target.values) == ["train", "C"]


def test_simulator_on_copies_and_configures(sim, dataset):
    """The copy runs the new connectome (its weights and delays), the fitted one is kept."""
    before = sim.connectivity.weights.copy()
    conn = dataset.connectivity("D", conduction_speed=SPEED)
    copied = simulator_on(sim, conn, 0)
    np.testing.assert_array_equal(copied.connectivity.weights, dataset.weights["D"])
    np.testing.assert_array_equal(sim.connectivity.weights, before)
    assert copied.model is not sim.model
    with pytest.raises(ValueError, match=r"'connectivity'.*simulator's 5 regions.*3 regions"):
        simulator_on(sim, make_connectivity(np.ones((3, 3)) - np.eye(3), np.ones((3, 3))), 0)


DATA = object()  # stands for the dataset fixture


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"split": ["C"]}, r"'dataset' parameter. Allowed is given with 'split' \(a held-out "
         r"validation needs both\), but got None instead"),
        ({"dataset": DATA}, r"'split' parameter. Allowed is given with 'dataset'"),
        ({"dataset": "data", "split": ["C"]}, r"'dataset'.*tvb_ngnmm.datasets.Dataset, but "
         r"got 'str'"),
        ({"dataset": DATA, "split": list(SUBJECTS)}, r"'split'.*at least one training subject"),
        ({"dataset": DATA, "split": ["E"]}, r"'split'.*subjects among 'A', 'B', 'C', 'D'.*'E' "
         r"in test"),
        ({"dataset": DATA, "split": ["C"], "realisations": 1}, r"'realisations' parameter"),
    ],
)  # fmt: skip
def test_bad_held_out_arguments(dataset, sim, kwargs, match):
    """Refused before anything runs (no cluster is reached), naming the parameter."""
    kwargs = {k: dataset if v is DATA else v for k, v in kwargs.items()}
    result = fake_result(FCCorrelation(dataset.group_fc()))
    with pytest.raises(ValueError, match=match):
        result.validate(sim, client="tcp://127.0.0.1:1", **kwargs)


def test_bad_datasets_for_the_simulator(dataset, sim, tmp_path):
    """A dataset of another number of regions, a test subject named like a group target."""
    result = fake_result(FCCorrelation(dataset.group_fc()))
    small = copy.deepcopy(sim)
    small.connectivity = make_connectivity(np.ones((3, 3)) - np.eye(3), np.ones((3, 3)))
    with pytest.raises(ValueError, match=r"'dataset'.*simulator's 3 regions, but got 5 regions"):
        result.validate(small, client="tcp://127.0.0.1:1", dataset=dataset, split=["C"])
    named = write_dataset(tmp_path, names=("A", "train", "test"))
    with pytest.raises(ValueError, match=r"'split'.*other than 'train' and 'test'.*\['test'\]"):
        result.validate(sim, client="tcp://127.0.0.1:1", dataset=named, split=["test"])
