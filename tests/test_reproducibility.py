"""The same numbers every time: seeded initial histories, the noise seed a configuration names,
runs of one configuration file identical to the bit, resumed sweeps and fits identical to
uninterrupted ones, NumPy's global random state left alone, and bad seeds and initial
conditions refused before the first step."""

import copy

import numpy as np
import pytest
import xarray as xr
from dask_cluster import local_cluster
from test_cli_config import BASE
from test_engine_agreement import make_sim
from tvb.simulator import integrators, monitors, noise
from tvb.simulator.simulator import Simulator

from tvb_ngnmm import cli
from tvb_ngnmm.cli.config import ConfigError, parse_config, read_config
from tvb_ngnmm.engine.batch import run_batch
from tvb_ngnmm.explore import SweepStore, fit, points, sweep
from tvb_ngnmm.seeding import configure_seeded, seeded_simulator

CONFIG = BASE  # the command line's tests' configuration (AAL90, 20 ms)

STOCHASTIC = ('name = "HeunDeterministic"',
              'name = "HeunStochastic"\nnsig = [0, 1e-3, 0, 0, 1e-3, 0]')  # fmt: skip

SWEEP = """
[sweep]
design = "grid"
parameters = { I_e = [10.0, 15.0], a = [3.0, 9.0] }
measures = ["mean_rate", "fc"]
store = "s.zarr"
batch_size = 1
"""


def _text(*changes, extra: str = "") -> str:
    text = CONFIG + extra
    for old, new in changes:
        assert old in text, old
        text = text.replace(old, new, 1)
    return text


def _global_state():
    return np.random.get_state()  # noqa: NPY002 - the state the package must not change


def _assert_global_state_is(before) -> None:
    after = _global_state()
    assert after[0] == before[0] and after[2:] == before[2:]
    np.testing.assert_array_equal(after[1], before[1])


def _max_difference(a: xr.Dataset, b: xr.Dataset) -> float:
    """Largest absolute difference of the numeric variables (NaN where both are NaN)."""
    assert set(a.data_vars) == set(b.data_vars)
    largest = 0.0
    for name in a.data_vars:
        if a[name].dtype.kind not in "fiub":
            np.testing.assert_array_equal(a[name].values, b[name].values)
            continue
        x, y = a[name].values.astype(float), b[name].values.astype(float)
        np.testing.assert_array_equal(np.isnan(x), np.isnan(y))
        both = ~np.isnan(x)
        largest = max(largest, float(np.abs(x[both] - y[both]).max(initial=0.0)))
    return largest


@pytest.fixture(scope="module")
def client():
    with local_cluster(2) as (_, client):
        yield client


# ---------------------------------------------------------------------------------------------
# The seeded history


def test_the_seeded_history_is_tvbs_own_draw_from_another_generator(monkeypatch):
    """configure_seeded draws what TVB draws (shapes, ranges, clamping, current state), only from
    another generator: given the generator TVB uses for a stochastic run, the noise stream
    RandomState(seed), it gives TVB's history and current state exactly."""
    additive = noise.Additive(nsig=np.array([1e-3]), noise_seed=11)
    stock = make_sim(
        "NextGenEI", n=5, integrator=integrators.HeunStochastic(dt=0.01, noise=additive)
    )
    legacy = np.random.RandomState  # noqa: NPY002 - TVB's noise stream
    monkeypatch.setattr(np.random, "default_rng", legacy)
    ours = seeded_simulator(stock, 11)
    monkeypatch.undo()
    np.testing.assert_array_equal(ours.history.buffer, stock.history.buffer)
    np.testing.assert_array_equal(ours.current_state, stock.current_state)
    assert ours.history.buffer.shape[0] == stock.connectivity.horizon > 1


def test_the_seeded_history_depends_on_the_seed_only_and_keeps_the_global_state():
    stock = make_sim("NextGenEI", n=5)  # TVB's configure() draws from the global generator
    before = _global_state()
    sims = [seeded_simulator(stock, seed) for seed in (3, 3, 4)]
    _assert_global_state_is(before)
    np.testing.assert_array_equal(sims[0].history.buffer, sims[1].history.buffer)
    np.testing.assert_array_equal(sims[0].current_state, sims[1].current_state)
    assert not np.array_equal(sims[0].current_state, sims[2].current_state)
    ranges = sims[0].model.state_variable_range
    for k, name in enumerate(sims[0].model.state_variables):
        low, high = ranges[name]
        state = sims[0].current_state[k]
        assert low <= state.min() and state.max() <= high


def test_a_users_initial_conditions_are_kept():
    sim = make_sim("NextGenEI", n=5)
    initial = np.random.default_rng(5).uniform(0.0, 0.5, sim.good_history_shape)
    sim.initial_conditions = initial
    seeded = seeded_simulator(sim, 0)
    np.testing.assert_array_equal(seeded.current_state, initial[-1])
    np.testing.assert_allclose(seeded.history.buffer[:, 0], initial[:, sim.model.cvar[0]],
                               rtol=1e-7)  # fmt: skip


def test_a_user_configured_simulator_keeps_its_history():
    """run_batch runs the history TVB drew at configure(); nothing draws another."""
    sim = make_sim("NextGenEI", n=4, mons=[monitors.Raw()], length=2.0)
    history, state = np.array(sim.history.buffer), np.array(sim.current_state)
    (out,) = run_batch(sim, {"I_e": [15.0]}, progress=False)
    np.testing.assert_array_equal(sim.history.buffer, history)
    np.testing.assert_array_equal(sim.current_state, state)
    (stock,) = sim.run()
    np.testing.assert_allclose(out.values[0], stock[1][..., 0], rtol=1e-5, atol=1e-7)


def test_a_lesion_simulator_function_keeps_the_global_random_state():
    from tvb_ngnmm.analysis import simulator_function

    sim = make_sim("NextGenEI", n=4, mons=[monitors.TemporalAverage(period=0.5)], length=5.0)
    before = _global_state()
    simulate = simulator_function(sim, simulation_length=5.0)
    first = simulate(sim.connectivity.weights)
    _assert_global_state_is(before)
    np.testing.assert_array_equal(simulate(sim.connectivity.weights), first)


# ---------------------------------------------------------------------------------------------
# Configuration files and the command line


def test_two_runs_of_one_configuration_file_are_identical(tmp_path, capsys):
    """Two `tvb-ngnmm run` of one file: max difference 0, whatever NumPy's global generator
    holds; the run leaves that generator as it found it; the seeds are in the file."""
    path = tmp_path / "run.toml"
    path.write_text(CONFIG)
    outputs = []
    for k in range(2):
        np.random.seed(k)  # noqa: NPY002 - what TVB would draw from, different each time
        before = _global_state()
        argv = ["run", str(path), "--output", str(tmp_path / f"out{k}"), "--no-progress"]
        assert cli.main(argv) == 0
        _assert_global_state_is(before)
        outputs.append(xr.load_dataset(tmp_path / f"out{k}" / "monitor0_TemporalAverage.nc"))
    difference = _max_difference(*outputs)
    print(f"\ntwo runs of one configuration file: max abs difference {difference}")
    assert difference == 0.0
    assert outputs[0].attrs["history_seed"] == 0 and outputs[0].attrs["noise_seed"] == "none"


def test_the_history_seed_of_a_configuration_is_its_runs_history():
    first = parse_config(CONFIG).simulator
    same = parse_config(_text(("duration = 20.0", "duration = 20.0\nhistory_seed = 0")))
    other = parse_config(_text(("duration = 20.0", "duration = 20.0\nhistory_seed = 1")))
    np.testing.assert_array_equal(first.history.buffer, same.simulator.history.buffer)
    assert not np.array_equal(first.current_state, other.simulator.current_state)
    assert other.history_seed == 1


def test_the_noise_seed_of_a_configuration_is_the_one_its_run_uses():
    """[integrator].seed = 1 and 2: two realisations; 1 twice: identical; none given: TVB's
    default seed 42; each the stream RandomState(seed) from its start."""
    from tvb_ngnmm.backend import NumbaBackend
    from tvb_ngnmm.engine.continuation import unchanged

    def run(seed_line):
        text = _text((STOCHASTIC[0], STOCHASTIC[1] + seed_line))
        sim = parse_config(text).simulator
        with unchanged(sim):  # the stream put back where the configuration left it
            ((_, data),) = NumbaBackend(progress=False).run_sim(sim, 5.0)
        return sim, data

    sim1, one = run("\nseed = 1")
    _, again = run("\nseed = 1")
    _, two = run("\nseed = 2")
    sim42, default = run("")
    _, forty_two = run("\nseed = 42")
    state = sim1.integrator.noise.random_stream.get_state()
    fresh = np.random.RandomState(1).get_state()  # noqa: NPY002 - TVB's noise stream
    np.testing.assert_array_equal(state[1], fresh[1])
    assert state[2] == fresh[2]
    np.testing.assert_array_equal(one, again)
    print(f"\nnoise seeds 1 and 2: max abs difference {np.abs(one - two).max():.3g}")
    assert np.abs(one - two).max() > 0
    np.testing.assert_array_equal(default, forty_two)
    assert sim42.integrator.noise.noise_seed == 42


def test_reading_a_configuration_keeps_the_global_random_state():
    for text in (CONFIG, _text(STOCHASTIC)):
        before = _global_state()
        read = parse_config(text + SWEEP, require_sweep=True)
        _assert_global_state_is(before)
        assert read.sweep_arguments()["history_seed"] == 0


def test_a_killed_then_resumed_sweep_equals_an_uninterrupted_one(client, tmp_path, capsys,
                                                                 monkeypatch):  # fmt: skip
    """`tvb-ngnmm sweep` of one file: whole into one store; interrupted after two of four
    points into another, then run again (the file read again: a new simulator), resumed; the
    two stores are identical (max difference 0)."""
    path = tmp_path / "sweep.toml"
    path.write_text(CONFIG + SWEEP)
    address = client.scheduler.address
    argv = ["sweep", str(path), "--scheduler", address, "--no-progress", "--store"]
    np.random.seed(1)  # noqa: NPY002
    assert cli.main([*argv, str(tmp_path / "whole.zarr")]) == 0
    write, calls = SweepStore.write, []

    def killed_on_third(self, *args):
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt
        write(self, *args)

    monkeypatch.setattr(SweepStore, "write", killed_on_third)
    np.random.seed(2)  # noqa: NPY002
    with pytest.warns(RuntimeWarning, match="2 of 4 points are done"):
        assert cli.main([*argv, str(tmp_path / "resumed.zarr")]) == 0
    monkeypatch.setattr(SweepStore, "write", write)
    np.random.seed(3)  # noqa: NPY002
    capsys.readouterr()
    assert cli.main([*argv, str(tmp_path / "resumed.zarr")]) == 0
    assert "4 of 4 points done (2 in" in capsys.readouterr().out  # only the missing ones
    whole = SweepStore(tmp_path / "whole.zarr").load()
    resumed = SweepStore(tmp_path / "resumed.zarr").load()
    difference = _max_difference(whole, resumed)
    print(f"\nkilled-then-resumed sweep against an uninterrupted one: max difference {difference}")
    assert difference == 0.0 and resumed.done.all()
    assert resumed.attrs["history_seed"] == 0 and resumed.attrs["noise_seed"] == "none"
    assert resumed.attrs["initial_state_sha256"] == whole.attrs["initial_state_sha256"]


# ---------------------------------------------------------------------------------------------
# sweep and fit in Python

DESIGN = points({"I_e": [12.0, 14.0, 16.0]})


def _small_sim():
    return make_sim("NextGenEI", n=4, mons=[monitors.TemporalAverage(period=0.5)], length=10.0)


def test_a_sweep_of_a_simulator_configured_again_is_refused_unless_seeded(client, tmp_path):
    """history_seed=None: the simulator's own history is fingerprinted (a simulator configured
    again cannot resume the store); history_seed=0, the default: any simulator of the same
    parts can, and gives the points run_batch gives on the seeded simulator."""
    store = tmp_path / "own.zarr"
    sweep(_small_sim(), DESIGN, ["mean_rate"], store, client=client, progress=False,
          history_seed=None)  # fmt: skip
    with pytest.raises(ValueError, match="different initial history, state or noise stream"):
        sweep(_small_sim(), DESIGN, ["mean_rate"], store, client=client, progress=False,
              history_seed=None)  # fmt: skip
    sim = _small_sim()  # TVB's configure() draws from the global generator
    before = _global_state()
    seeded = sweep(
        sim,
        DESIGN,
        ["mean_rate"],
        tmp_path / "seeded.zarr",
        client=client,
        raw=True,
        progress=False,
    )  # fmt: skip  (the default: history_seed=0)
    _assert_global_state_is(before)
    again = sweep(_small_sim(), DESIGN, ["mean_rate"], tmp_path / "seeded.zarr", client=client,
                  raw=True, progress=False, history_seed=0)  # fmt: skip
    assert again.attrs["points_run"] == 0 and seeded.attrs["history_seed"] == 0
    (reference,) = run_batch(seeded_simulator(_small_sim(), 0), DESIGN.values, progress=False)
    np.testing.assert_array_equal(seeded.raw_TemporalAverage.values, reference.values)
    with pytest.raises(ValueError, match="different initial history"):
        sweep(_small_sim(), DESIGN, ["mean_rate"], tmp_path / "seeded.zarr", client=client,
              raw=True, progress=False, history_seed=1)  # fmt: skip


def test_a_resumed_fit_of_a_simulator_configured_again_equals_an_uninterrupted_one(
    client, tmp_path, monkeypatch
):
    from tvb_ngnmm.explore import FCDistance

    target = np.eye(4)
    settings = dict(objective=FCDistance(target), bounds={"I_e": (10.0, 16.0)}, method="grid",
                    budget=6, client=client, progress=False, options={"points_per_axis": 3},
                    history_seed=0)  # fmt: skip
    whole = fit(_small_sim(), store=tmp_path / "whole", **settings)
    write, interrupted = SweepStore.write, []

    def killed_in_second_generation(self, *args):
        if "generation_00001" in str(self.path) and not interrupted:
            interrupted.append(True)
            raise KeyboardInterrupt
        write(self, *args)

    monkeypatch.setattr(SweepStore, "write", killed_in_second_generation)
    with pytest.warns(RuntimeWarning, match="Sweep interrupted"):
        with pytest.raises(RuntimeError, match="interrupted in generation 1"):
            fit(_small_sim(), store=tmp_path / "resumed", **settings)
    monkeypatch.setattr(SweepStore, "write", write)
    resumed = fit(_small_sim(), store=tmp_path / "resumed", **settings)
    xr.testing.assert_identical(resumed.history, whole.history)
    assert resumed.history.attrs["history_seed"] == 0
    own = {**settings, "history_seed": None}
    fit(_small_sim(), store=tmp_path / "own", **own)
    with pytest.raises(ValueError, match=r"other \['initial_state'\] \(where the runs start"):
        fit(_small_sim(), store=tmp_path / "own", **own)
    with pytest.raises(ValueError, match=r"written with other \['history_seed', 'initial_state'"):
        fit(_small_sim(), store=tmp_path / "resumed", **{**settings, "history_seed": 1})


# ---------------------------------------------------------------------------------------------
# Bad input


@pytest.mark.parametrize("seed", [-1, 1.5, True, "0", None])
def test_a_history_seed_that_is_not_a_non_negative_integer_is_refused(seed):
    with pytest.raises(
        ValueError,
        match=f"'history_seed' parameter. Allowed values are "
        f"non-negative integers, but got {seed!r} instead",
    ):
        configure_seeded(_small_sim(), seed)


@pytest.mark.parametrize(
    ("arguments", "match"),
    [
        ({"history_seed": -1}, r"'history_seed' parameter. Allowed values are None, a "
                               r"non-negative integer, but got -1 instead"),
        ({"history_seed": 2.0}, r"'history_seed' parameter.*but got 2.0 instead"),
        ({"seed": -3}, r"'seed' parameter. Allowed values are None, a non-negative integer, but "
                       r"got -3 instead"),
    ],
)  # fmt: skip
def test_bad_seeds_of_sweep_and_fit_are_refused(tmp_path, arguments, match):
    from tvb_ngnmm.explore import FCDistance

    with pytest.raises(ValueError, match=match):
        sweep(_small_sim(), DESIGN, ["mean_rate"], tmp_path / "s.zarr", client="tcp://x:1",
              progress=False, **arguments)  # fmt: skip
    with pytest.raises(ValueError, match=match):
        fit(_small_sim(), FCDistance(np.eye(4)), {"I_e": (10.0, 16.0)}, method="grid", budget=3,
            client="tcp://x:1", progress=False, **arguments)  # fmt: skip
    assert not (tmp_path / "s.zarr").exists()


def _with_initial_conditions(initial):
    sim = _small_sim()
    unconfigured = Simulator(
        **{
            name: copy.deepcopy(getattr(sim, name))
            for name in ("model", "coupling", "integrator", "connectivity", "monitors")
        }
    )
    unconfigured.initial_conditions = initial
    return unconfigured


@pytest.mark.parametrize(
    ("initial", "match"),
    [
        (np.zeros((3, 6, 4)), r"'initial_conditions' parameter of the simulator. Allowed are "
                              r"arrays of shape \(n_time >= 1, 6, 4, 1\).*but got an array of "
                              r"shape \(3, 6, 4\) instead"),
        (np.zeros((3, 6, 5, 1)), r"'initial_conditions'.*shape \(3, 6, 5, 1\) instead"),
        (np.zeros((0, 6, 4, 1)), r"'initial_conditions'.*shape \(0, 6, 4, 1\) instead"),
        (np.full((3, 6, 4, 1), np.nan), r"'initial_conditions' parameter of the simulator. "
                                        r"Allowed values are finite numbers, but got nan"),
    ],
)  # fmt: skip
def test_bad_initial_conditions_are_refused_before_the_first_step(tmp_path, initial, match):
    with pytest.raises(ValueError, match=match):
        configure_seeded(_with_initial_conditions(initial), 0)


def test_bad_seeds_of_a_configuration_are_refused():
    for line, key in (("history_seed = -1", r"\[run\].history_seed"),
                      ("history_seed = 1.5", r"\[run\].history_seed")):  # fmt: skip
        with pytest.raises(ConfigError, match=f"Invalid value for {key}. Allowed"):
            parse_config(_text(("duration = 20.0", f"duration = 20.0\n{line}")))
    with pytest.raises(ConfigError, match=r"\[integrator\].seed. Allowed values are integers "
                                          r">= 0, but got -1 instead"):  # fmt: skip
        parse_config(_text((STOCHASTIC[0], STOCHASTIC[1] + "\nseed = -1")))


def test_the_example_configurations_name_their_history_seed():
    from pathlib import Path

    examples = Path(__file__).resolve().parents[1] / "examples"
    for name in ("run_ei90.toml", "sweep_ei90.toml"):
        assert read_config(examples / name).history_seed == 0
        assert "history_seed" in (examples / name).read_text()
