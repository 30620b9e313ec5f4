"""Sensor projections: TVB's EEG, MEG and iEEG in the engine, and ForwardProjection.

The engine runs first (the simulator put back after it), then stock ``sim.run()`` continues
from the same state, as in ``test_engine_agreement.py``, with the same tolerance.
"""

from types import SimpleNamespace

import numpy as np
import pytest
from tvb.datatypes.connectivity import Connectivity
from tvb.datatypes.region_mapping import RegionMapping
from tvb.datatypes.sensors import SensorsInternal, SensorsMEG
from tvb.simulator import coupling, integrators, monitors, noise
from tvb.simulator.simulator import Simulator

from tvb_ngnmm.backend import NumbaBackend
from tvb_ngnmm.engine.batch import run_batch
from tvb_ngnmm.engine.continuation import unchanged
from tvb_ngnmm.engine.observation import observation_of
from tvb_ngnmm.models import NextGenEI
from tvb_ngnmm.monitors import ForwardProjection
from tvb_ngnmm.monitors.projection import EngineForwardProjection

RTOL = 1e-5
N_REGION = 76


@pytest.fixture(scope="module")
def connectivity():
    """TVB's default 76-region connectivity, weights scaled to a maximum of 1."""
    conn = Connectivity.from_file()
    conn.weights = conn.weights / conn.weights.max()
    conn.speed = np.array([10.0])
    return conn


def make_sim(connectivity, mons, dt=0.05):
    """A configured 76-region NextGenEI network in its oscillating regime."""
    sim = Simulator(
        model=NextGenEI(I_e=np.array([15.0])),
        connectivity=connectivity,
        coupling=coupling.Linear(a=np.array([0.3])),
        integrator=integrators.HeunDeterministic(dt=dt),
        monitors=mons,
        simulation_length=20.0,
    )
    return sim.configure()


def assert_close(y, y_ref):
    np.testing.assert_allclose(y, y_ref, rtol=RTOL, atol=RTOL * np.abs(y_ref).max())


def assert_same_as_stock(sim, length=None):
    """Engine, then stock: same times, same shapes, data within RTOL."""
    with unchanged(sim):
        fast = NumbaBackend().run_sim(sim, simulation_length=length)
    stock = sim.run(simulation_length=length)
    for (t, y), (t_ref, y_ref) in zip(fast, stock, strict=True):
        assert y.shape == y_ref.shape
        np.testing.assert_array_equal(t, t_ref)
        assert_close(y, y_ref)
    return fast, stock


def ieeg(**kwargs):
    """TVB's iEEG on the 588-contact sEEG sensors (analytic gain: tvb-data ships no projection)."""
    return monitors.iEEG(
        sensors=SensorsInternal.from_file(), region_mapping=RegionMapping.from_file(), **kwargs
    )


TVB_MONITORS = {
    "EEG": lambda **kw: monitors.EEG.from_file(**kw),
    "EEG average reference": lambda **kw: monitors.EEG.from_file(reference="average", **kw),
    "EEG reference electrode": lambda **kw: monitors.EEG.from_file(reference="Fp2", **kw),
    "MEG": lambda **kw: monitors.MEG.from_file(**kw),
    "iEEG": ieeg,
}


@pytest.mark.parametrize("obsnoise", ["default", None])
@pytest.mark.parametrize("name", list(TVB_MONITORS))
def test_tvb_projection_matches_stock(connectivity, name, obsnoise):
    kwargs = {"period": 1.0} if obsnoise == "default" else {"period": 1.0, "obsnoise": None}
    sim = make_sim(connectivity, [TVB_MONITORS[name](**kwargs)])
    [(t, y)], _ = assert_same_as_stock(sim)
    n_sensor = sim.monitors[0].sensors.number_of_sensors
    assert y.shape == (20, 2, n_sensor, 1)
    np.testing.assert_allclose(t, np.arange(20) + 0.5)


def test_eeg_average_reference_keeps_channels_without_gain_as_stock(connectivity):
    # IO1 and IO2 have NaN lead fields in tvb-data: TVB zeroes them, then averages over all 65
    mons = [
        monitors.EEG.from_file(period=1.0, reference="average", obsnoise=None),
        monitors.EEG.from_file(period=1.0, obsnoise=None),
    ]
    sim = make_sim(connectivity, mons)
    (_, referenced), (_, free) = NumbaBackend().run_sim(sim, simulation_length=5.0)
    io1 = list(mons[0].sensors.labels).index("IO1")
    assert np.all(free[:, :, io1] == 0.0)
    assert_close(referenced[:, :, io1], -free.mean(axis=2))


def test_coloured_observation_noise_matches_stock(connectivity):
    eeg = monitors.EEG.from_file(period=1.0, obsnoise=noise.Additive(ntau=2.0))
    assert_same_as_stock(make_sim(connectivity, [eeg]))


def test_tvb_projection_truncates_the_period_as_stock(connectivity):
    # TVB's default 1024 Hz: 0.9765625 / 0.05 = 19.5 steps, truncated to 19
    sim = make_sim(connectivity, [monitors.MEG.from_file(obsnoise=None)])
    with pytest.warns(RuntimeWarning, match=r"samples every 19 steps, i\.e\. every 0\.95 ms"):
        [(t, _)], _ = assert_same_as_stock(sim)
    np.testing.assert_allclose(np.diff(t), 0.95)


def test_continued_run_matches_stock(connectivity):
    rng = np.random.default_rng(1)
    mons = [
        monitors.EEG.from_file(period=1.0, reference="average"),
        ForwardProjection(gain=rng.normal(size=(6, N_REGION)), period=1.0),
    ]
    sim = make_sim(connectivity, mons)
    sim.run(simulation_length=5.55)  # ends inside a sampling period
    assert_same_as_stock(sim, length=10.0)


@pytest.mark.parametrize("obsnoise", [None, "white", "coloured"])
def test_run_sim_continues_tvbs_projection_and_its_observation_noise(connectivity, obsnoise):
    """Case: run_sim did not leave TVB's projection where sim.run() does (its running sum
    of a sample under way, its observation noise stream): run_sim then sim.run() equal two
    stock runs, the cut inside a sampling period."""
    noises = {"white": noise.Additive(), "coloured": noise.Additive(ntau=2.0), None: None}
    mons = [monitors.EEG.from_file(period=1.0, reference="average", obsnoise=noises[obsnoise])]
    sim = make_sim(connectivity, mons)
    with unchanged(sim):
        sim.run(simulation_length=5.55)
        ((t_ref, y_ref),) = sim.run(simulation_length=4.45)
    NumbaBackend().run_sim(sim, simulation_length=5.55)
    ((t, y),) = sim.run(simulation_length=4.45)
    np.testing.assert_array_equal(t, t_ref)
    assert_close(y, y_ref)


@pytest.fixture
def forward_sim(connectivity):
    gain = np.random.default_rng(0).normal(size=(8, N_REGION)) * 1e-6
    labels = np.array([f"E{i}" for i in range(8)])
    mons = [
        ForwardProjection(gain=gain, sensor_labels=labels, period=1.0),
        monitors.TemporalAverage(period=1.0),
    ]
    return make_sim(connectivity, mons)


def test_forward_projection_engine_matches_stock(forward_sim):
    fast, _ = assert_same_as_stock(forward_sim)
    (_, y), (_, average) = fast
    # the projection of the temporal average, through the gain
    gain = forward_sim.monitors[0].gain
    assert_close(y[..., 0], np.einsum("sn,tvn->tvs", gain, average[..., 0]))


def test_forward_projection_in_run_batch(forward_sim):
    with unchanged(forward_sim):
        fast = NumbaBackend().run_sim(forward_sim)
    sensors, _ = run_batch(forward_sim, {"I_e": [14.0, 15.0]})
    assert sensors.dims == ("member", "time", "state_variable", "sensor")
    assert list(sensors["sensor"].values) == [f"E{i}" for i in range(8)]
    assert list(sensors["state_variable"].values) == ["r_e", "r_i"]
    np.testing.assert_array_equal(sensors.sel(member=1).values, fast[0][1][..., 0])
    assert not np.allclose(sensors.sel(member=0).values, sensors.sel(member=1).values)


def test_tvb_projection_in_run_batch_shares_the_observation_noise(connectivity):
    # two groups of one member, each with its copy of the monitor's noise stream
    sim = make_sim(connectivity, [monitors.EEG.from_file(period=1.0)])
    eeg = run_batch(sim, {"I_e": [15.0, 15.0]}, simulation_length=5.0, group_size=1)[0]
    assert eeg.dims == ("member", "time", "state_variable", "sensor")
    assert list(eeg["sensor"].values) == list(sim.monitors[0].sensors.labels)
    [(_, y)] = NumbaBackend().run_sim(sim, simulation_length=5.0)
    for member in (0, 1):
        np.testing.assert_array_equal(eeg.sel(member=member).values, y[..., 0])


def synthetic_run(monitor, observed):
    """Stock ``sample`` step by step and the engine monitor on the whole run, same input."""
    stock = [monitor.sample(step, observed[step - 1]) for step in range(1, len(observed) + 1)]
    stock = [s for s in stock if s is not None]
    spec = SimpleNamespace(
        dt=monitor.dt,
        current_step=0,
        labels=[str(i) for i in range(N_REGION)],
        observation=observation_of(("x",), ("x",)),
    )
    engine = EngineForwardProjection(monitor, spec, batch=1)
    times, data = engine.consume(np.arange(1, len(observed) + 1), observed)
    np.testing.assert_allclose(times, [t for t, _ in stock])
    np.testing.assert_allclose(data, np.array([d for _, d in stock]), rtol=1e-12)
    return times, data[..., 0]


def configured(monitor, dt=0.1, n_region=N_REGION):
    """``monitor`` configured for a region simulation without building one."""
    sim = SimpleNamespace(
        integrator=SimpleNamespace(dt=dt),
        surface=None,
        connectivity=SimpleNamespace(number_of_regions=n_region),
        number_of_nodes=n_region,
        model=SimpleNamespace(variables_of_interest=["x"]),
    )
    monitor.config_for_sim(sim)
    return monitor


def test_single_active_region_gives_the_gain_column(connectivity):
    gain = np.random.default_rng(2).normal(size=(5, N_REGION))
    monitor = configured(ForwardProjection(gain=gain, period=1.0))
    t = np.arange(1, 101) * 0.1
    observed = np.zeros((100, 1, N_REGION, 1))
    observed[:, 0, 17, 0] = np.sin(t)  # only region 17 is active
    times, data = synthetic_run(monitor, observed)
    activity = np.sin(t).reshape(10, 10).mean(axis=1)
    np.testing.assert_allclose(data[:, 0], activity[:, None] * gain[:, 17], rtol=1e-12)
    np.testing.assert_allclose(times, np.arange(10) + 0.5)


@pytest.mark.parametrize("reference", ["average", "EEG003"])
def test_forward_projection_reference(reference):
    gain = np.random.default_rng(3).normal(size=(5, N_REGION))
    monitor = configured(ForwardProjection(gain=gain, period=0.5, reference=reference))
    observed = np.random.default_rng(4).uniform(size=(20, 1, N_REGION, 1))
    _, data = synthetic_run(monitor, observed)
    if reference == "average":
        np.testing.assert_allclose(data.mean(axis=-1), 0.0, atol=1e-12)
    else:
        np.testing.assert_allclose(data[..., 2], 0.0, atol=1e-12)


def test_from_forward_reads_the_forward_model():
    forward = SimpleNamespace(
        gain=np.ones((3, N_REGION)),
        ch_names=["MEG 0111", "MEG 0112", "MEG 0113"],
        ch_types=["mag", "grad", "grad"],
    )
    monitor = ForwardProjection.from_forward(forward, period=2.0)
    assert monitor.sensor_type == "MEG"
    assert list(monitor.sensor_labels) == forward.ch_names
    assert monitor.period == 2.0
    eeg = ForwardProjection.from_forward(
        SimpleNamespace(gain=np.ones((2, 4)), ch_names=["Cz", "Pz"], ch_types=["eeg", "eeg"])
    )
    assert eeg.sensor_type == "EEG"


# -- bad input ---------------------------------------------------------------------------------


def forward(**kwargs):
    kwargs = {"gain": np.ones((4, N_REGION)), "period": 1.0, **kwargs}
    return ForwardProjection(**kwargs)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (
            {"gain": np.ones(4)},
            "'gain' parameter of ForwardProjection. Allowed is a 2-D array "
            r"\(sensors × regions\), but got shape \(4,\) instead",
        ),
        (
            {"gain": np.array([[1.0, np.nan]])},
            "'gain' parameter of ForwardProjection. Allowed "
            r"values are finite numbers, but got nan at index \(0, 1\) instead",
        ),
        (
            {"sensor_type": "ECoG"},
            "'sensor_type' parameter of ForwardProjection. Allowed values "
            "are 'EEG', 'MEG', 'SEEG', but got 'ECoG' instead",
        ),
        (
            {"sensor_labels": np.array(["a", "b", "c"])},
            "'sensor_labels' parameter of "
            r"ForwardProjection. Allowed is one label per row of the gain \(4\), but got 3 labels",
        ),
        (
            {"sensor_type": "MEG", "reference": "average"},
            "'reference' parameter of "
            "ForwardProjection. Allowed is None for MEG sensors, but got 'average' instead",
        ),
        (
            {"reference": "Cz"},
            "'reference' parameter of ForwardProjection. Allowed values are "
            "None, 'average' or a sensor label .*, but got 'Cz' instead",
        ),
    ],
)
def test_forward_projection_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        forward(**kwargs)


@pytest.mark.parametrize(
    ("n_columns", "match"),
    [
        (90, r"Allowed is one column per region \(76\), but got 90 columns instead"),
        (
            228,
            r"Allowed is one column per region \(76\), but got 228 columns \(three per region: "
            "a free-orientation gain",
        ),
    ],
)
def test_forward_projection_gain_must_match_the_regions(connectivity, n_columns, match):
    monitor = forward(gain=np.ones((4, n_columns)))
    with pytest.raises(ValueError, match="'gain' parameter of ForwardProjection. " + match):
        make_sim(connectivity, [monitor])


def test_forward_projection_period_must_be_whole_steps():
    match = (
        "'period' parameter of ForwardProjection. Allowed values are whole multiples of the "
        r"time step dt = 0\.1 ms, but got 0\.25 ms instead"
    )
    with pytest.raises(ValueError, match=match):
        configured(forward(period=0.25), dt=0.1)


def test_from_forward_needs_one_kind_of_channel():
    mixed = SimpleNamespace(
        gain=np.ones((2, 4)), ch_names=["Cz", "MEG 0111"], ch_types=["eeg", "mag"]
    )
    match = (
        r"'ch_types' of the forward model. Allowed are channels of one kind .*, but got "
        "'eeg', 'mag' instead"
    )
    with pytest.raises(ValueError, match=match):
        ForwardProjection.from_forward(mixed)


def test_from_forward_picks_one_kind_of_channel():
    mixed = SimpleNamespace(
        gain=np.arange(3 * N_REGION, dtype=float).reshape(3, N_REGION),
        ch_names=["Cz", "MEG 0111", "MEG 0112"],
        ch_types=["eeg", "mag", "grad"],
    )
    meg = ForwardProjection.from_forward(mixed, sensor_type="MEG")
    assert list(meg.sensor_labels) == ["MEG 0111", "MEG 0112"]
    np.testing.assert_array_equal(meg.gain, mixed.gain[1:])
    match = (
        r"'sensor_type' parameter of ForwardProjection.from_forward. Allowed are the kinds of "
        "channel in the forward model \\(EEG, MEG\\), but got 'SEEG' instead"
    )
    with pytest.raises(ValueError, match=match):
        ForwardProjection.from_forward(mixed, sensor_type="SEEG")


def test_from_forward_refuses_free_orientation():
    free = SimpleNamespace(
        gain=np.ones((2, 3 * N_REGION)),
        ch_names=["Cz", "Pz"],
        ch_types=["eeg", "eeg"],
        free_orientation=True,
    )
    match = (
        "'forward' parameter of ForwardProjection.from_forward. Allowed is a forward model with "
        r"fixed orientations \(one column per region\), but got a free-orientation one"
    )
    with pytest.raises(ValueError, match=match):
        ForwardProjection.from_forward(free)


def test_from_forward_needs_a_name_and_type_per_row():
    short = SimpleNamespace(gain=np.ones((3, 4)), ch_names=["Cz", "Pz"], ch_types=["eeg", "eeg"])
    match = (
        "'forward' parameter of ForwardProjection.from_forward. Allowed is one channel name and "
        "type per row of the gain, but got 2 names and 2 types for 3 rows instead"
    )
    with pytest.raises(ValueError, match=match):
        ForwardProjection.from_forward(short)


def test_from_forward_needs_a_forward_model():
    match = (
        "'forward' parameter of ForwardProjection.from_forward. Allowed is an object with "
        "'gain', 'ch_names' and 'ch_types' .*, but got ndarray instead"
    )
    with pytest.raises(ValueError, match=match):
        ForwardProjection.from_forward(np.ones((2, 4)))


def test_tvb_projection_sensors_must_match_the_projection(connectivity):
    meg = monitors.MEG.from_file(period=1.0)
    meg.sensors = SensorsMEG.from_file("meg_151.txt.bz2")  # 151 sensors, 276 rows
    sim = make_sim(connectivity, [meg])
    match = (
        r"'sensors' of the MEG monitor. Allowed is one sensor per row of the projection "
        r"\(276\), but got 151 sensors instead"
    )
    with pytest.raises(ValueError, match=match):
        NumbaBackend().run_sim(sim)


def test_tvb_projection_must_reduce_to_the_regions(connectivity):
    mapping = RegionMapping.from_file()
    mapping.array_data = mapping.array_data[:16000]  # shorter than the projection's vertices
    meg = monitors.MEG.from_file(period=1.0)
    meg.region_mapping = mapping
    sim = make_sim(connectivity, [meg])
    match = (
        r"'projection' of the MEG monitor. Allowed is a gain with one column per region "
        r"\(76\) after TVB's reduction over the region mapping, but got shape \(276, 16384\)"
    )
    with pytest.raises(ValueError, match=match):
        NumbaBackend().run_sim(sim)


def test_variables_of_interest_out_of_range_are_named(connectivity):
    """Issue 24 (probe): an index beyond the model's variables of interest failed at the first
    sample (IndexError), in stock runs and in the engine."""
    match = (
        r"Invalid value for the 'variables_of_interest' parameter of the {} monitor\. Allowed "
        r"are indices of the model's variables of interest \(0: 'r_e', 1: 'r_i'\), but got "
        r"\[7\] instead"
    )
    with pytest.raises(ValueError, match=match.format("ForwardProjection")):
        make_sim(connectivity, [forward(variables_of_interest=np.array([7]))])
    average = monitors.TemporalAverage(period=0.1, variables_of_interest=np.array([7]))
    sim = make_sim(connectivity, [average])
    with pytest.raises(ValueError, match=match.format("TemporalAverage")):
        NumbaBackend().run_sim(sim, 1.0)


def test_forward_projection_prints_before_it_is_configured():
    """Issue 24 (probe): str() raised AttributeError (TVB's reads the unset variables)."""
    assert str(forward()) == "ForwardProjection(EEG, gain (4, 76), period=1 ms)"


def test_unchanged_puts_back_the_coloured_observation_noise(connectivity):
    """Case: after ``unchanged(sim)`` a coloured observation noise kept the state the engine's
    run left (its ``_eta``), so that the stock run after it started from a shifted noise (a
    difference of 0.086 at the first sample, decaying, whatever the trajectory)."""
    eeg = monitors.EEG.from_file(period=1.0, obsnoise=noise.Additive(ntau=2.0))
    sim = make_sim(connectivity, [eeg])
    before = {name: np.copy(value) for name, value in vars(eeg.obsnoise).items()
              if name.startswith("_") and isinstance(value, np.ndarray)}  # fmt: skip
    assert before
    with unchanged(sim):
        NumbaBackend().run_sim(sim, simulation_length=5.0)
    for name, value in before.items():
        np.testing.assert_array_equal(getattr(eeg.obsnoise, name), value, err_msg=name)
