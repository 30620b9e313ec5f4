"""Validation of a fit with fresh noise: each realisation against an independent run, the
fit's own noise stream reproducing its best loss, mean and SD against NumPy, the seeds never
the fit's, the table and the figure; bad input refused naming the parameter."""

import matplotlib
import numpy as np
import pytest
import xarray as xr
from dask_cluster import local_cluster
from test_engine_agreement import make_sim
from tvb.simulator import integrators, monitors, noise

from tvb_ngnmm.engine.batch import run_batch
from tvb_ngnmm.explore import FCCorrelation, FitResult, fit, plot_validation, validation_summary
from tvb_ngnmm.explore.validation import fit_noise_seeds, fresh_noise_seeds, run_realisations
from tvb_ngnmm.seeding import seeded_simulator

pytest.importorskip("distributed")
matplotlib.use("Agg")

NOISE_SEED = 3
TARGET = np.corrcoef(np.random.default_rng(0).standard_normal((5, 40)))


def noisy_sim():
    nsig = np.array([0.0, 0.05, 0.0, 0.0, 0.05, 0.0])
    integrator = integrators.HeunStochastic(
        dt=0.01, noise=noise.Additive(nsig=nsig, noise_seed=NOISE_SEED)
    )
    return make_sim("NextGenEI", n=5, integrator=integrator, length=100.0,
                    mons=[monitors.TemporalAverage(period=0.5)])  # fmt: skip


def loss_with_noise(sim, parameters, objective, noise_seed, history_seed=0):
    """The objective of one run started as the fit's (seeded history), noise RandomState(seed)."""
    source = seeded_simulator(sim, history_seed)
    source.integrator.noise.random_stream = np.random.RandomState(noise_seed)
    outputs = run_batch(source, {k: [v] for k, v in parameters.items()}, progress=False)
    return objective.evaluate([o.isel(member=0) for o in outputs])


@pytest.fixture(scope="module")
def client():
    with local_cluster(1) as (_, client):
        yield client


@pytest.fixture(scope="module")
def fitted(client):
    sim = noisy_sim()
    objective = FCCorrelation(TARGET)
    result = fit(sim, objective, {"a": (0.0, 1.0)}, method="grid", budget=3, seed=1,
                 client=client, progress=False, options={"points_per_axis": 3})  # fmt: skip
    return sim, objective, result


def test_fresh_realisations_against_independent_runs(client, fitted):
    """k realisations give k values, each the objective of a run with that noise seed (run
    independently with run_batch), differing from each other; none uses the fit's seed; the
    mean and SD are NumPy's of the values."""
    sim, objective, result = fitted
    validation = result.validate(sim, realisations=3, seed=5, client=client)
    assert validation.sizes["realisation"] == 3
    seeds = [int(s) for s in validation.noise_seed.values]
    assert len(set(seeds)) == 3 and NOISE_SEED not in seeds
    assert seeds == fresh_noise_seeds(3, 5, [NOISE_SEED])
    assert {"loss", "fc_correlation", "blown_up"} <= set(validation.data_vars)
    for r, noise_seed in enumerate(seeds):
        expected = loss_with_noise(sim, result.best_parameters, objective, noise_seed)
        for name in ("loss", "fc_correlation"):
            np.testing.assert_allclose(validation[name].values[r], expected[name], rtol=1e-12)
    loss = validation.loss.values
    assert len(set(loss.tolist())) == 3  # fresh noise: each realisation differs
    for name in ("loss", "fc_correlation"):
        values = validation[name].values
        assert validation[name].attrs["mean"] == pytest.approx(np.mean(values), rel=1e-14)
        assert validation[name].attrs["sd"] == pytest.approx(np.std(values, ddof=1), rel=1e-14)
    table = validation_summary(validation)
    assert table.loss.sel(statistic="sd") == validation.loss.attrs["sd"]
    assert validation.attrs["fit_noise_seeds"] == [NOISE_SEED]
    figure = plot_validation(validation, show=False)
    assert len(figure.axes) == 2  # loss, fc_correlation
    matplotlib.pyplot.close(figure)
    with pytest.raises(
        ValueError,
        match=r"'axes' parameter. Allowed are 2 axes \(one per measure\), but got 1 axes",
    ):
        plot_validation(validation, axes=[figure.axes[0]], show=False)


def test_the_fits_own_noise_stream_reproduces_its_best_loss(client, fitted):
    """The machinery runs what the fit ran: the best parameters with the fit's noise seed give
    the fit's best loss; the fit's history records its seeds and run length."""
    sim, objective, result = fitted
    assert result.objective is objective
    assert result.history.attrs["realisations"] == 1
    assert result.history.attrs["simulation_length"] == 100.0
    ds = run_realisations(sim, result.best_parameters, objective, [NOISE_SEED],
                          history_seed=0, client=client)  # fmt: skip
    np.testing.assert_allclose(ds.loss.values[0], result.best_loss, rtol=1e-12)
    expected = loss_with_noise(sim, result.best_parameters, objective, NOISE_SEED)
    np.testing.assert_allclose(result.best_loss, expected["loss"], rtol=1e-12)


def test_fresh_seeds_avoid_the_fits_seeds():
    """Seeds the fit used are redrawn: given the generator's first draws as used, none is
    chosen; the seeds are distinct and the same for the same seed."""
    first = fresh_noise_seeds(4, 7)
    again = fresh_noise_seeds(4, 7, used=first[:2])
    assert len(set(first)) == 4 and not set(again) & set(first[:2])
    assert again[:2] == first[2:]
    assert fresh_noise_seeds(4, 7) == first != fresh_noise_seeds(4, 8)


def test_the_fits_noise_seeds_from_its_history():
    """A fit with ``realisations=k`` used noise_seed, ..., noise_seed + k - 1; a fit recorded
    before the attribute existed used one; a deterministic fit none."""
    history = xr.Dataset(attrs={"noise_seed": 3, "realisations": 3})
    assert fit_noise_seeds(history) == [3, 4, 5]
    assert fit_noise_seeds(xr.Dataset(attrs={"noise_seed": 3})) == [3]
    assert fit_noise_seeds(xr.Dataset(attrs={"noise_seed": "none"})) == []


def fake_result(objective=None, parameters=None):
    history = xr.Dataset({"loss": ("evaluation", [0.5])},
                         coords={"a": ("evaluation", [0.3])},
                         attrs={"noise_seed": NOISE_SEED, "history_seed": 0})  # fmt: skip
    return FitResult(parameters or {"a": 0.3}, 0.5, {}, history, "grid", objective)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"realisations": 1}, r"'realisations' parameter. Allowed are integers >= 2 "
         r"\(a standard deviation needs two\), but got 1 instead"),
        ({"realisations": 3.0}, r"'realisations'.*but got 3.0 instead"),
        ({"realisations": True}, r"'realisations'.*but got True instead"),
        ({"seed": -1}, r"'seed' parameter. Allowed are integers >= 0, but got -1 "),
        ({"seed": 1.5}, r"'seed'.*but got 1.5 instead"),
        ({"objective": "fc"}, r"'objective'.*an objective \(AbstractObjective\).*but got 'fc'"),
    ],
)  # fmt: skip
def test_bad_validation_arguments(kwargs, match):
    result = fake_result(FCCorrelation(TARGET))
    with pytest.raises(ValueError, match=match):
        result.validate(noisy_sim(), client="tcp://127.0.0.1:1", **kwargs)


def test_bad_simulator_objective_or_fit():
    """A deterministic integrator (no fresh noise), a result without objective, a fit of the
    noise seed: each refused before anything runs, naming the parameter."""
    objective = FCCorrelation(TARGET)
    deterministic = make_sim("NextGenEI", n=5, length=100.0,
                             mons=[monitors.TemporalAverage(period=0.5)])  # fmt: skip
    with pytest.raises(ValueError, match=r"'sim'.*stochastic integrator.*HeunDeterministic"):
        fake_result(objective).validate(deterministic, client="tcp://127.0.0.1:1")
    with pytest.raises(ValueError, match=r"'objective'.*or None for the fit's own.*but got None"):
        fake_result().validate(noisy_sim(), client="tcp://127.0.0.1:1")
    seeded = fake_result(objective, {"integrator.noise.noise_seed": 4.0})
    with pytest.raises(ValueError, match=r"'result'.*do not include 'integrator.noise.noise_s"):
        seeded.validate(noisy_sim(), client="tcp://127.0.0.1:1")
