"""The Balloon–Windkessel BOLD monitor against independent references and across paths.

The hemodynamic equations are written out again here and integrated with
``scipy.integrate.solve_ivp`` (DOP853, rtol 1e-13); the small-signal response is checked against
the transfer function of the model linearised about rest, derived by hand below. Synthetic
drives are fed to the engine monitor directly (a signal sampled at the midpoint of each neural
step, so that the mean over a hemodynamic step is the integral of the continuous drive).
"""

import json
import math
import os
import subprocess
import sys
import tracemalloc
import types

import numpy as np
import pytest
from scipy.integrate import solve_ivp
from tvb.datatypes.connectivity import Connectivity
from tvb.simulator import coupling, integrators, noise
from tvb.simulator.models import MontbrioPazoRoxin
from tvb.simulator.simulator import Simulator

from tvb_ngnmm.backend import NumbaBackend
from tvb_ngnmm.engine.batch import run_batch
from tvb_ngnmm.engine.continuation import unchanged
from tvb_ngnmm.engine.errors import SimulationBlowUpError
from tvb_ngnmm.engine.observation import observation_of
from tvb_ngnmm.imaging import bold_to_dataset, bold_to_netcdf, bold_to_nifti
from tvb_ngnmm.models import MPRSynaptic, NextGenEI
from tvb_ngnmm.monitors import BalloonWindkesselBold, engine_monitor_class
from tvb_ngnmm.monitors.balloon_windkessel import FIELD_STRENGTHS, EngineBalloonWindkesselBold

KAPPA, GAMMA, TAU, ALPHA = 0.65, 0.41, 0.98, 0.32  # Friston et al. 2003, s⁻¹, s⁻¹, s, 1
# Tolerances, relative to the largest |BOLD| of the run:
RK4_TOL = 1e-9  # piecewise-constant drives: only the RK4 error of 1 ms steps (measured ~1e-10)
SMOOTH_TOL = 1e-7  # a drive varying over seconds: the O(h²) averaging error (measured 3e-8)
PATHS_TOL = 1e-6  # stock sim.run() against the engine and run_batch (measured 0 to 1e-9)


def balloon_rhs(t, x, drive, e0):
    s, f, v, q = x
    outflow = v ** (1.0 / ALPHA)
    extraction = 1.0 - (1.0 - e0) ** (1.0 / f)
    return [
        drive(t) - KAPPA * s - GAMMA * (f - 1.0),
        s,
        (f - outflow) / TAU,
        (f * extraction / e0 - outflow * q / v) / TAU,
    ]


def coefficients(consts, kind):
    e0, te = consts.resting_oxygen_extraction, consts.echo_time
    if kind == "classic":
        return 7.0 * e0, 2.0, 2.0 * e0 - 0.2
    eps = consts.signal_ratio
    theta0 = 40.3 * consts.field_strength / 1.5
    return 4.3 * theta0 * e0 * te, eps * consts.relaxation_slope * e0 * te, 1.0 - eps


def percent_bold(v, q, consts, kind="revised"):
    k1, k2, k3 = coefficients(consts, kind)
    return 100.0 * consts.resting_venous_volume * (k1 * (1 - q) + k2 * (1 - q / v) + k3 * (1 - v))


def solve_reference(drive, t_eval, consts, breaks=(), kind="revised"):
    """BOLD (percent) at ``t_eval`` (s), integrating piecewise between the drive's ``breaks``."""
    edges = [0.0, *breaks, float(t_eval[-1])]
    x = [0.0, 1.0, 1.0, 1.0]
    out = []
    for a, b in zip(edges[:-1], edges[1:], strict=True):
        args = (drive, consts.resting_oxygen_extraction)
        sol = solve_ivp(balloon_rhs, (a, b), x, "DOP853", rtol=1e-13, atol=1e-15, args=args,
                        dense_output=True)  # fmt: skip
        inside = t_eval[(t_eval > a) & (t_eval <= b)] if a > 0 else t_eval[t_eval <= b]
        out.append(sol.sol(inside))
        x = sol.y[:, -1]
    states = np.concatenate(out, axis=1)
    return percent_bold(states[2], states[3], consts, kind)


def fake_simulator(dt, n_node=1, names=("x",)):
    model = types.SimpleNamespace(variables_of_interest=list(names), number_of_modes=1)
    return types.SimpleNamespace(
        model=model, integrator=types.SimpleNamespace(dt=dt), number_of_nodes=n_node
    )


def engine_monitor(monitor, dt, batch=1, n_node=1):
    monitor.config_for_sim(fake_simulator(dt, n_node))
    spec = types.SimpleNamespace(
        dt=dt,
        labels=[f"n{i}" for i in range(n_node)],
        observation=observation_of(("x",), ("x",)),
        current_step=0,
    )
    return EngineBalloonWindkesselBold(monitor, spec, batch)


def feed(drives, length_ms, dt=0.1, chunk=50_000, **settings):
    """BOLD (n_time, B) of one node driven by ``drives[b](t in s)`` (gain 1, baseline 0)."""
    monitor = BalloonWindkesselBold(variable="x", **settings)
    engine = engine_monitor(monitor, dt, batch=len(drives))
    n = int(round(length_ms / dt))
    times, data = [], []
    for first in range(1, n + 1, chunk):
        steps = np.arange(first, min(first + chunk, n + 1))
        midpoints = (steps - 0.5) * dt / 1000.0
        obs = np.stack([d(midpoints) for d in drives], axis=-1)[:, None, None, :]
        t, y = engine.consume(steps, obs)
        times.append(t)
        data.append(y[:, 0, 0, :])
    return np.concatenate(times), np.concatenate(data)


def pulse(t):
    return np.where((t > 1.0) & (t <= 2.0), 1.0, 0.0)


def scalar(drive):
    return lambda t: float(drive(np.asarray(t)))


# --- against solve_ivp -----------------------------------------------------------------------


@pytest.mark.parametrize("field, kind", [("3T", "revised"), ("1.5T", "classic"), ("7T", "revised")])
def test_pulse_response_matches_solve_ivp(field, kind):
    """1 s of drive from t = 1 s: values, peak time and the post-stimulus undershoot."""
    times, bold = feed([pulse], 30_000.0, period=100.0, field_strength=field, coefficients=kind)
    ref = solve_reference(scalar(pulse), times / 1000.0, FIELD_STRENGTHS[field], (1.0, 2.0), kind)
    bold = bold[:, 0]
    assert np.max(np.abs(bold - ref)) <= RK4_TOL * np.max(np.abs(ref))
    peak = times[np.argmax(bold)] / 1000.0 - 1.0
    assert peak == times[np.argmax(ref)] / 1000.0 - 1.0
    assert 3.0 <= peak <= 6.0  # s after onset, with Friston 2003's constants (tau = 0.98 s)
    after = times / 1000.0 > 2.0 + peak
    undershoot = np.min(bold[after])
    assert undershoot < -0.1 * np.max(bold)  # negative BOLD after the pulse
    assert abs(undershoot - np.min(ref[after])) <= RK4_TOL * np.max(np.abs(ref))


def test_sustained_drive_matches_solve_ivp_and_steady_state():
    """Constant drive: the trajectory and the analytic steady state, in percent."""
    z = 0.3
    consts = FIELD_STRENGTHS["3T"]

    def drive(t):
        return np.full_like(t, z)

    times, bold = feed([drive], 80_000.0, period=500.0)
    bold = bold[:, 0]
    ref = solve_reference(scalar(drive), times / 1000.0, consts)
    assert np.max(np.abs(bold - ref)) <= RK4_TOL * np.max(np.abs(ref))
    e0 = consts.resting_oxygen_extraction
    f = 1.0 + z / GAMMA
    v = f**ALPHA
    q = v * (1.0 - (1.0 - e0) ** (1.0 / f)) / e0
    assert bold[-1] == pytest.approx(percent_bold(v, q, consts), rel=1e-8)


def test_hemodynamic_step_error_is_second_order():
    """A drive varying over seconds (and a 40 Hz component): error against solve_ivp."""

    def drive(t):
        return 0.5 + 0.4 * np.sin(2 * np.pi * 0.1 * t) + 0.3 * np.sin(2 * np.pi * 40.0 * t)

    errors = []
    for step in (1.0, 10.0):
        times, bold = feed([drive], 20_000.0, dt=0.05, period=100.0, hemodynamic_step=step)
        ref = solve_reference(scalar(drive), times / 1000.0, FIELD_STRENGTHS["3T"])
        errors.append(np.max(np.abs(bold[:, 0] - ref)) / np.max(np.abs(ref)))
    assert errors[0] <= SMOOTH_TOL
    assert 30.0 <= errors[1] / errors[0] <= 300.0  # h² scaling


def linearised_transfer(frequency_hz, consts, kind="revised"):
    """BOLD (percent) per unit drive, H(iω), of the model linearised about rest.

    With f = 1 + f̃, v = 1 + ṽ, q = 1 + q̃: s̈-equation gives F = f̃/z = 1/(p² + κp + γ);
    τ ṽ' = f̃ − ṽ/α gives V = F/(τp + 1/α); τ q̃' = g f̃ − (1/α − 1) ṽ − q̃ with
    g = d[f E(f)/E0]/df at 1 = 1 + (1 − E0) ln(1 − E0)/E0 gives Q = (g F − (1/α − 1) V)/(τp + 1);
    y = 100 V0 [−(k1 + k2) q̃ + (k2 − k3) ṽ].
    """
    p = 2j * np.pi * frequency_hz
    e0 = consts.resting_oxygen_extraction
    k1, k2, k3 = coefficients(consts, kind)
    flow = 1.0 / (p**2 + KAPPA * p + GAMMA)
    volume = flow / (TAU * p + 1.0 / ALPHA)
    g = 1.0 + (1.0 - e0) * math.log(1.0 - e0) / e0
    deoxy = (g * flow - (1.0 / ALPHA - 1.0) * volume) / (TAU * p + 1.0)
    return 100.0 * consts.resting_venous_volume * (-(k1 + k2) * deoxy + (k2 - k3) * volume)


def test_small_signal_response_matches_linearised_transfer_function():
    frequencies = np.array([0.01, 0.03, 0.1, 0.3])  # Hz; 200 s hold whole periods of each
    amplitude, settle, window = 1e-5, 40.0, 200.0
    drives = [lambda t, fr=fr: amplitude * np.sin(2 * np.pi * fr * t) for fr in frequencies]
    times, bold = feed(drives, (settle + window) * 1000.0, dt=1.0, period=100.0)
    t = times / 1000.0
    keep = t > settle
    for b, fr in enumerate(frequencies):
        w = 2 * np.pi * fr * t[keep]
        design = np.stack([np.ones_like(w), np.sin(w), np.cos(w)], axis=1)
        _, a, c = np.linalg.lstsq(design, bold[keep, b], rcond=None)[0]
        measured = (a + 1j * c) / amplitude
        expected = linearised_transfer(fr, FIELD_STRENGTHS["3T"])
        assert abs(measured - expected) <= 1e-4 * abs(expected), fr


# --- state, units, memory ----------------------------------------------------------------------


def test_physiological_initial_state_and_rest():
    monitor = BalloonWindkesselBold(variable="x", baseline=0.02, period=10.0)
    engine = engine_monitor(monitor, 0.1, n_node=3)
    np.testing.assert_array_equal(monitor.hemodynamic_state[0], 0.0)  # s
    np.testing.assert_array_equal(monitor.hemodynamic_state[1:], 1.0)  # f, v, q
    np.testing.assert_array_equal(monitor.drive_sum, 0.0)
    steps = np.arange(1, 1001)
    times, bold = engine.consume(steps, np.full((1000, 1, 3, 1), 0.02))  # signal = baseline
    np.testing.assert_array_equal(bold, 0.0)
    np.testing.assert_allclose(times, np.arange(1, 11) * 10.0)
    assert bold.shape == (10, 1, 3, 1)


@pytest.mark.parametrize(
    "dt, period, step, expected",
    [
        (0.1, 2000.0, 1.0, 10),
        (0.03, 2001.0, 1.0, 29),
        (0.1, 2000.0, 0.05, 1),
        (0.01, 10.0, 50.0, 1000),
    ],
)
def test_hemodynamic_step_is_a_multiple_of_dt_dividing_the_tr(dt, period, step, expected):
    monitor = BalloonWindkesselBold(variable="x", period=period, hemodynamic_step=step)
    monitor.config_for_sim(fake_simulator(dt))
    assert monitor.hemodynamic_steps == expected
    assert monitor.istep % monitor.hemodynamic_steps == 0
    assert monitor.hemodynamic_dt == pytest.approx(expected * dt)


def test_output_in_percent_signal_change():
    """A sustained drive of 1 s⁻² gives a 3 T BOLD of several percent, not a fraction."""
    times, bold = feed([np.ones_like], 30_000.0, period=1000.0)
    assert 5.0 < bold[-1, 0] < 20.0


def test_engine_monitor_memory_does_not_grow_with_run_length():
    monitor = BalloonWindkesselBold(variable="x", period=100.0)
    engine = engine_monitor(monitor, 0.1, batch=2, n_node=90)
    chunk = np.random.default_rng(0).uniform(0.0, 0.1, (5000, 1, 90, 2))
    sizes = {name: a.nbytes for name, a in vars(engine).items() if isinstance(a, np.ndarray)}

    def peak(n_chunks):
        tracemalloc.start()
        for k in range(n_chunks):
            engine.consume(np.arange(1, 5001) + 5000 * k, chunk)
        result = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        return result

    short, long = peak(4), peak(40)
    assert long <= short + 64 * 1024
    assert sizes == {
        name: a.nbytes for name, a in vars(engine).items() if isinstance(a, np.ndarray)
    }


# --- stock, engine and batch ---------------------------------------------------------------------


def small_network(n=3, seed=0):
    rng = np.random.default_rng(seed)
    weights = rng.uniform(0.2, 1.0, (n, n))
    np.fill_diagonal(weights, 0.0)
    return Connectivity(
        weights=weights,
        tract_lengths=rng.uniform(5.0, 20.0, (n, n)),
        region_labels=np.array([f"region{i}" for i in range(n)]),
        centres=rng.uniform(-50, 50, (n, 3)),
        speed=np.array([5.0]),
    )


def make_sim(integrator, model=None, extra_monitors=(), **settings):
    """A small MPRSynaptic network with BOLD; its random initial history (drawn by TVB from
    NumPy's global generator, whose state depends on the tests run before) is seeded: the BOLD
    amplitude depends on the start (0.44 from each of 48 seeded starts, 0.046 from the start of
    one whole-suite run, below the check that there is a response to compare)."""
    settings = {"period": 250.0, "gain": 10.0, **settings}
    sim = Simulator(
        model=model or MPRSynaptic(eta=np.array([-4.0]), J=np.array([14.0])),
        connectivity=small_network(),
        coupling=coupling.Linear(a=np.array([0.1])),
        integrator=integrator,
        monitors=[BalloonWindkesselBold(**settings), *extra_monitors],
        simulation_length=1000.0,
    )
    # TVB draws the initial history from the legacy global generator: seed it, then restore it
    outside = np.random.get_state()  # noqa: NPY002
    np.random.seed(3)  # noqa: NPY002
    try:
        return sim.configure()
    finally:
        np.random.set_state(outside)  # noqa: NPY002


def assert_paths_agree(actual, expected):
    (t_a, y_a), (t_e, y_e) = actual, expected
    np.testing.assert_allclose(t_a, t_e)
    assert y_a.shape == y_e.shape == (len(t_e), 1, 3, 1)
    assert np.max(np.abs(y_a - y_e)) <= PATHS_TOL * np.max(np.abs(y_e))


def test_stock_engine_and_batch_agree_deterministic():
    sim = make_sim(integrators.HeunDeterministic(dt=0.1))
    with unchanged(sim):
        (engine,) = NumbaBackend().run_sim(sim, 1000.0)
    (batch,) = run_batch(sim, {"eta": np.array([-4.0, -4.3])}, 1000.0, n_jobs=1)
    (stock,) = sim.run()
    np.testing.assert_allclose(stock[0], [250.0, 500.0, 750.0, 1000.0])
    assert np.max(np.abs(stock[1])) > 0.1  # a BOLD response to compare
    assert_paths_agree(engine, stock)
    member = batch.isel(member=0).transpose("time", "state_variable", "region").values
    assert_paths_agree((batch.time.values, member[..., None]), stock)
    assert list(batch.state_variable.values) == ["BOLD"]
    # a continued run starts from the monitor's hemodynamic state, in both paths
    with unchanged(sim):
        (engine,) = NumbaBackend().run_sim(sim, 500.0)
    (stock,) = sim.run(simulation_length=500.0)
    assert_paths_agree(engine, stock)


def test_stock_engine_and_batch_agree_with_replayed_noise():
    additive = noise.Additive(nsig=np.array([1e-4]), noise_seed=7)
    sim = make_sim(integrators.HeunStochastic(dt=0.1, noise=additive), hemodynamic_step=0.5)
    with unchanged(sim):
        (engine,) = NumbaBackend().run_sim(sim, 1000.0, seed=None)
    (batch,) = run_batch(sim, {"eta": np.array([-4.0, -4.3])}, 1000.0, seed=None, n_jobs=1)
    (stock,) = sim.run()
    assert_paths_agree(engine, stock)
    member = batch.isel(member=0).transpose("time", "state_variable", "region").values
    assert_paths_agree((batch.time.values, member[..., None]), stock)


@pytest.mark.parametrize(
    "integrator", [integrators.EulerDeterministic, integrators.RungeKutta4thOrderDeterministic]
)
def test_stock_runs_with_other_integrators(integrator):
    sim = make_sim(integrator(dt=0.1), period=100.0)
    (times, bold), = sim.run(simulation_length=300.0)  # fmt: skip
    assert bold.shape == (3, 1, 3, 1) and np.all(np.isfinite(bold))
    np.testing.assert_allclose(times, [100.0, 200.0, 300.0])


@pytest.mark.parametrize(
    "model, variable",
    [(NextGenEI(), "r_e"), (MPRSynaptic(), "r"), (MontbrioPazoRoxin(), "r")],
)
def test_default_signal_per_model(model, variable):
    sim = make_sim(integrators.HeunDeterministic(dt=0.1), model=model)
    assert sim.monitors[0].resolved_variable == variable


KERNEL_SCRIPT = """
import json, numpy as np
from tvb_ngnmm import _numba
from tvb_ngnmm.monitors.balloon_windkessel import advance
t = (np.arange(1, 3001) - 0.5) * 1e-3
obs = np.stack([0.5 + 0.4 * np.sin(2 * np.pi * 0.5 * t), np.cos(t)], axis=1)
obs = np.ascontiguousarray(np.broadcast_to(obs[:, :, None, None], (3000, 2, 2, 3)))
params = np.array([2.0, 0.1, 2e-3, 0.65, 0.41, 0.98, 0.32, 0.4, 0.04, 4.0, 0.8, 0.4])
state = np.ones((4, 2, 3)); state[0] = 0.0
out = np.zeros((30, 2, 3))
advance(1, obs, 0, 2, 100, params, state, np.zeros((2, 3)), out)
print(json.dumps({"jit": _numba.JIT_ENABLED, "out": out.tolist(), "state": state.tolist()}))
"""


def run_kernel_script(disable_jit: bool) -> dict:
    env = dict(os.environ, TVB_NGNMM_DISABLE_JIT="1" if disable_jit else "0")
    out = subprocess.run(
        [sys.executable, "-c", KERNEL_SCRIPT], env=env, capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_compiled_and_python_kernels_agree():
    compiled, python = run_kernel_script(False), run_kernel_script(True)
    assert compiled["jit"] and not python["jit"]
    np.testing.assert_allclose(compiled["out"], python["out"], rtol=1e-14, atol=0)
    np.testing.assert_allclose(compiled["state"], python["state"], rtol=1e-14, atol=0)
    assert np.max(np.abs(compiled["out"])) > 0.1


def test_engine_monitor_is_registered():
    assert engine_monitor_class(BalloonWindkesselBold()) is EngineBalloonWindkesselBold


# --- bad input ---------------------------------------------------------------------------------


PREFIX = r"Invalid value for the '{}' parameter of BalloonWindkesselBold\. Allowed values are "


@pytest.mark.parametrize("period", [0.25, 0.05, 0.0])
def test_bad_period(period):
    message = PREFIX.format("period") + rf"multiples of dt = 0\.1 ms and >= dt, but got {period}"
    with pytest.raises(ValueError, match=message):
        make_sim(integrators.HeunDeterministic(dt=0.1), period=period)


def test_unknown_field_strength():
    message = PREFIX.format("field_strength") + r"'1\.5T', '3T', '7T', but got '9\.4T' instead"
    with pytest.raises(ValueError, match=message):
        make_sim(integrators.HeunDeterministic(dt=0.1), field_strength="9.4T")


@pytest.mark.parametrize(
    "model, variable, allowed",
    [
        (NextGenEI(), "v_e", "NextGenEI: 'r_e', 'r_i'"),
        (MPRSynaptic(), "rate", "MPRSynaptic: 'r', 'v'"),
    ],
)
def test_variable_the_model_does_not_have(model, variable, allowed):
    message = (
        PREFIX.format("variable") + f"the variables of interest of {allowed}, but got '{variable}'"
    )
    with pytest.raises(ValueError, match=message):
        make_sim(integrators.HeunDeterministic(dt=0.1), model=model, variable=variable)


@pytest.mark.parametrize(
    "setting, allowed",
    [
        ({"coefficients": "linear"}, r"'revised', 'classic', but got 'linear'"),
        ({"hemodynamic_step": 0.0}, r"0 < step <= 100 ms, but got 0\.0"),
        ({"hemodynamic_step": 500.0}, r"0 < step <= 100 ms, but got 500\.0"),
        ({"gain": float("inf")}, r"finite numbers, but got inf"),
        ({"gain": float("nan")}, r"finite numbers, but got nan"),  # issue 24: TVB's message
        ({"baseline": None}, r"finite numbers, but got None"),
        ({"hemodynamic_step": "1 ms"}, r"finite numbers, but got '1 ms'"),
        ({"variables_of_interest": np.array([0])}, r"None \(name the signal with 'variable'\)"),
    ],
)
def test_other_bad_settings(setting, allowed):
    name = next(iter(setting))
    with pytest.raises(ValueError, match=PREFIX.format(name) + allowed):
        make_sim(integrators.HeunDeterministic(dt=0.1), **setting)


BLOW_UP = (
    r"The BalloonWindkesselBold monitor blew up: its BOLD output of region 'region0' \(index 0\) "
    r"became non-finite at t = {} ms .* drive z = gain \* \(signal - baseline\) out of the "
    r"hemodynamic model's range .* gain = {:g} and baseline = {:g} for the signal 'r'"
)


@pytest.mark.parametrize("settings, time", [({"baseline": 10.0}, 500), ({"gain": -1e4}, 250)])
def test_hemodynamic_blow_up_stops_stock_and_engine_runs(settings, time):
    """Issue 24, point 2: a drive out of the balloon model's range (a baseline in Hz where
    rates are in kHz, a gain of the wrong sign) turned the BOLD to NaN without a word; the
    stock run and the engine now stop with the blow-up error naming the monitor and time."""
    settings = {"gain": 10.0, "baseline": 0.0, **settings}
    message = BLOW_UP.format(time, settings["gain"], settings["baseline"])
    sim = make_sim(integrators.HeunDeterministic(dt=0.1), **settings)
    with pytest.raises(SimulationBlowUpError, match=message) as engine:
        NumbaBackend().run_sim(sim, 1000.0)
    assert engine.value.monitor == "BalloonWindkesselBold"
    assert (engine.value.time, engine.value.region) == (time, "region0")
    with pytest.raises(SimulationBlowUpError, match=message):
        sim.run(simulation_length=1000.0)


def test_hemodynamic_blow_up_beside_another_monitor():
    """Issue 24, point 2, with a second monitor (the engine then feeds every step's signal
    instead of the block sums): the same error."""
    from tvb.simulator import monitors

    sim = make_sim(integrators.HeunDeterministic(dt=0.1), gain=-1e4,
                   extra_monitors=[monitors.TemporalAverage(period=10.0)])  # fmt: skip
    with pytest.raises(SimulationBlowUpError, match=BLOW_UP.format(250, -1e4, 0.0)):
        NumbaBackend().run_sim(sim, 1000.0)


def test_hemodynamic_blow_up_flags_batch_members():
    """Issue 24, point 2: in a batch, a member whose BOLD became non-finite is flagged as
    blown up (time, region), as a member whose state blew up is."""
    sim = make_sim(integrators.HeunDeterministic(dt=0.1), gain=-1e4)
    (bold,) = run_batch(sim, {"eta": np.array([-4.0, -4.3])}, 1000.0, n_jobs=1)
    assert bold.blown_up.values.all()
    np.testing.assert_array_equal(bold.blow_up_time.values, [250.0, 250.0])
    assert bold.blow_up_region.values[0] == "region0"  # as run_sim reports it
    assert set(bold.blow_up_region.values) <= set(bold.region.values)


# --- NIfTI and netCDF ------------------------------------------------------------------------


def bold_series(n_time=5, n_region=3):
    times = 2000.0 * np.arange(1, n_time + 1)
    data = np.random.default_rng(1).normal(size=(n_time, 1, n_region, 1))
    return times, data


def test_nifti_round_trip(tmp_path):
    nibabel = pytest.importorskip("nibabel")
    from tvb_ngnmm.connectomes import read_parcellation

    labels = np.zeros((5, 4, 3), dtype=np.int16)
    labels[:2], labels[2:4, :2], labels[4] = 1, 2, 3
    affine = np.diag([2.0, 2.0, 2.0, 1.0])
    parcellation = read_parcellation(nibabel.Nifti1Image(labels, affine), {1: "a", 2: "b", 3: "c"})
    times, data = bold_series()
    path = tmp_path / "bold.nii.gz"
    bold_to_nifti(times, data, parcellation, path)
    image = nibabel.load(path)
    assert image.shape == (5, 4, 3, 5)
    assert image.header.get_zooms()[3] == pytest.approx(2.0)  # TR in s
    assert image.header.get_xyzt_units() == ("mm", "sec")
    assert float(image.header["toffset"]) == pytest.approx(2.0)
    volume = np.asarray(image.dataobj)
    for k, value in enumerate(parcellation.label_values):
        voxels = volume[labels == value]  # (n_voxel, n_time)
        np.testing.assert_allclose(
            voxels, np.broadcast_to(data[:, 0, k, 0], voxels.shape), rtol=1e-6
        )
    assert np.all(volume[labels == 0] == 0.0)
    with pytest.raises(ValueError, match=r"Invalid value for the 'times' parameter"):
        bold_to_nifti(times[[0, 1, 3, 4, 2]], data, parcellation)


def small_parcellation():
    nibabel = pytest.importorskip("nibabel")
    from tvb_ngnmm.connectomes import read_parcellation

    labels = np.zeros((5, 4, 3), dtype=np.int16)
    labels[:2], labels[2:4, :2], labels[4] = 1, 2, 3
    image = nibabel.Nifti1Image(labels, np.diag([2.0, 2.0, 2.0, 1.0]))
    return read_parcellation(image, {1: "a", 2: "b", 3: "c"})


def test_nifti_period_must_match_the_sample_times():
    """Issue 24, point 11: a 'period' other than the times' spacing was written as the TR."""
    times, data = bold_series()
    parcellation = small_parcellation()
    match = (
        r"Invalid value for the 'period' parameter\. Allowed is the spacing of the sample "
        r"times, 2000 ms \(the image's TR\), or None, but got 1000 ms instead"
    )
    with pytest.raises(ValueError, match=match):
        bold_to_nifti(times, data, parcellation, period=1000.0)
    image = bold_to_nifti(times, data, parcellation, period=2000.0)
    assert image.header.get_zooms()[3] == pytest.approx(2.0)
    single = bold_to_nifti(times[:1], data[:1], parcellation, period=720.0)
    assert single.header.get_zooms()[3] == pytest.approx(0.72)


def test_nifti_with_non_finite_data_names_where():
    """Issue 24: NaN data was refused as a shape error."""
    times, data = bold_series()
    data[3, 0, 1, 0] = np.nan
    match = (
        r"Invalid value for the 'data' parameter\. Allowed are finite values .*, but got nan "
        r"at t = 8000 ms in region 1 \(1 non-finite values in all\)"
    )
    with pytest.raises(ValueError, match=match):
        bold_to_nifti(times, data, small_parcellation())


@pytest.mark.parametrize("name", ["bold", "bold.txt", "bold.img"])
def test_nifti_path_needs_a_nifti_suffix(tmp_path, name):
    """Issue 24: a path without '.nii' failed in nibabel naming a temporary file; '.img'
    wrote a pair of files and left the temporary header behind."""
    times, data = bold_series()
    match = (
        r"Invalid value for the 'path' parameter\. Allowed are paths ending in '\.nii' or "
        rf"'\.nii\.gz' \(a single-file NIfTI image\), but got '.*{name}' instead"
    )
    with pytest.raises(ValueError, match=match):
        bold_to_nifti(times, data, small_parcellation(), tmp_path / name)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("change", "match"),
    [
        ({"region_labels": None}, r"'region_labels' parameter\. Allowed is a sequence of one "
         r"label per region \(3\), but got None instead"),
        ({"region_labels": ["a", "b", "a"]}, r"'region_labels' parameter\. Allowed are distinct "
         r"labels, but got 'a' more than once instead"),
        ({"times": [2000.0, np.nan, 6000.0, 8000.0, 10000.0]}, r"'times' parameter\. Allowed "
         r"are finite, increasing sample times \(ms\), but got \[2000\.0, nan"),
        ({"monitor": "BOLD"}, r"'monitor' parameter\. Allowed are None or the "
         r"BalloonWindkesselBold that recorded the data, but got str instead"),
    ],
)  # fmt: skip
def test_dataset_bad_input_is_named(change, match):
    """Issue 24 (probe): no labels, a non-monitor raised raw TypeError / AttributeError;
    repeated labels and NaN times were written as given."""
    times, data = bold_series()
    arguments = {"times": times, "data": data, "region_labels": ["a", "b", "c"], **change}
    with pytest.raises(ValueError, match="Invalid value for the " + match):
        bold_to_dataset(**arguments)


def test_netcdf_path_in_a_missing_folder_or_a_folder_is_named(tmp_path):
    """Issue 24 (probe): the error named the atomic write's temporary file."""
    times, data = bold_series()
    for path, what in [(tmp_path, "a folder"), (tmp_path / "no" / "b.nc", "in a folder that")]:
        match = r"'path' parameter\. Allowed is a file in an existing folder, but got .*, " + what
        with pytest.raises(ValueError, match=match):
            bold_to_netcdf(path, times, data, ["a", "b", "c"])
    assert list(tmp_path.iterdir()) == []


def test_netcdf_round_trip(tmp_path):
    xarray = pytest.importorskip("xarray")
    sim = make_sim(integrators.HeunDeterministic(dt=0.1))
    times, data = bold_series()
    path = tmp_path / "bold.nc"
    bold_to_netcdf(path, times, data, sim.connectivity.region_labels, sim.monitors[0])
    with xarray.open_dataset(path, engine="h5netcdf") as dataset:
        bold = dataset["BOLD"].load()
        attrs = dict(dataset.attrs)
    np.testing.assert_array_equal(bold.values, data[:, 0, :, 0])
    np.testing.assert_allclose(bold.time.values, times / 1000.0)
    assert bold.time.attrs["units"] == "s"
    assert bold.attrs["units"] == "percent signal change"
    assert list(bold.region.values) == ["region0", "region1", "region2"]
    assert attrs["field_strength"] == "3T" and attrs["signal_variable"] == "r"
    assert attrs["k1"] == pytest.approx(coefficients(FIELD_STRENGTHS["3T"], "revised")[0])
    with pytest.raises(ValueError, match=r"Invalid value for the 'region_labels' parameter"):
        bold_to_dataset(times, data, ["a", "b"])
