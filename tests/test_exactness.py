"""The mean-field models track the spiking QIF network they are the exact limit of (SPEC §2.5).

Reference values come from theory (closed-form QIF solutions, the Lorentzian quantile function)
or from the spiking network, which shares no code with the models' equations: the mean field is
integrated with the model's own ``dfun``.

Finite-size tolerances. With ``N = 10⁴`` neurons per population the network differs from the
``N → ∞`` limit in two ways. (i) Fluctuations: the population rate in a window ``w`` counts
``N r w`` spikes (≈ 400 at 80 Hz in 0.5 ms), a relative scatter of a few per cent; the mean
voltage averages a Lorentzian truncated at ``|V| < v_peak``, whose spread
``sqrt(2 pi tau r v_peak / pi) / sqrt(N)`` is ≈ 0.1–0.2. (ii) A bias: the deterministic
quantiles stop at ``|eta − eta_a| ≈ N Delta / pi``, missing a tail of mass ``~ 1/N`` whose
neurons fire at rate ``∝ sqrt(eta)``, worth ≈ ``2 Delta / (pi² tau sqrt(N Delta / pi))`` ≈ 0.5 Hz.
Measured (N = 10⁴, dt = 0.01 ms): transient rate error ≤ 6 % of the peak, voltage error ≤ 9 % of
the excursion; PING frequency within 0.2 %, mean rates within 0.8 %.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from tvb_ngnmm.models import MPRSynaptic, NextGenEI
from tvb_ngnmm.validation import (
    StepCurrent,
    lorentzian_quantiles,
    network_parameters,
    plot_population_rate,
    plot_raster,
    simulate_mean_field,
    simulate_qif_network,
)
from tvb_ngnmm.validation._kernel import qif_step

N_NEURONS = 10_000
DT = 0.01  # ms


# --- the single-neuron flow against closed-form solutions of tau dV/dt = V² + I ----------------


def _closed_form_step(v0: float, current: float, h: float):
    """``(V1, n_spikes, h_first)`` from the textbook solutions (tan, tanh/coth, 1/(c − t))."""
    if current > 0:
        k = math.sqrt(current)
        theta0 = math.atan(v0 / k)
        theta1 = theta0 + k * h
        n_spikes = math.floor((theta1 + math.pi / 2) / math.pi)
        return k * math.tan(theta1), n_spikes, (math.pi / 2 - theta0) / k
    if current < 0:
        k = math.sqrt(-current)
        if abs(v0) < k:  # trapped between the fixed points: no spike
            return -k * math.tanh(k * h - math.atanh(v0 / k)), 0, math.nan
        blow_up = math.atanh(k / v0) / k if v0 > k else math.inf
        return -k / math.tanh(k * h - math.atanh(k / v0)), int(blow_up <= h), blow_up
    blow_up = 1 / v0 if v0 > 0 else math.inf
    return v0 / (1 - h * v0), int(blow_up <= h), blow_up


@pytest.mark.parametrize(
    ("v0", "current", "h"),
    [
        (0.3, 2.0, 1e-3),  # Taylor path, no spike
        (80.0, 50.0, 0.02),  # Taylor path, spike
        (-1.0, -4.0, 0.05),  # Taylor path, I < 0, no spike
        (40.0, -4.0, 0.03),  # Taylor path, I < 0, spike
        (30.0, 0.0, 0.05),  # I = 0, spike
        (1.0, 3000.0, 0.01),  # large input, no spike
        (1.0, 3000.0, 0.2),  # large input, several spikes
        (3.0, -400.0, 0.5),  # large negative input, no spike (V0 < sqrt(-I))
        (30.0, -400.0, 0.5),  # large negative input, spike
    ],
)
def test_qif_step_matches_closed_form(v0, current, h):
    v1, n_spikes, h_first, _ = qif_step(v0, current, h)
    expected_v1, expected_spikes, expected_first = _closed_form_step(v0, current, h)
    assert n_spikes == expected_spikes
    assert v1 == pytest.approx(expected_v1, rel=1e-9, abs=1e-9)
    if n_spikes:
        assert h_first == pytest.approx(expected_first, rel=1e-9)


def test_lorentzian_quantiles_have_centre_and_half_width():
    values = lorentzian_quantiles(-5.0, 2.0, 100_001)
    assert np.all(np.diff(values) > 0)
    assert np.median(values) == pytest.approx(-5.0, abs=1e-12)
    # half of a Lorentzian's mass lies within one half-width of the centre
    assert np.mean(np.abs(values + 5.0) < 2.0) == pytest.approx(0.5, abs=1e-4)


@pytest.mark.parametrize(
    ("dt", "amplitude"),
    [(DT, 5.0), (2.0, 401.0)],  # the second takes the non-Taylor path, with 1–2 spikes a step
)
def test_identical_neurons_follow_closed_form_and_synapse_filters_their_spikes(dt, amplitude):
    """Delta = 0, J = 0: every neuron is the same QIF neuron; a step switches I from −1 to k²."""
    tau, tau_s, onset, duration = 10.0, 5.0, 20.0, 80.0
    model = MPRSynaptic(
        tau=np.array([tau]), tau_s=np.array([tau_s]), eta=np.array([-1.0]),
        Delta=np.array([0.0]), J=np.array([0.0]), I=np.array([0.0]),
    )  # fmt: skip
    result = simulate_qif_network(
        model, n_neurons=5, duration=duration, dt=dt, record_spikes=5,
        input_current=StepCurrent(onset, [amplitude]), sample_interval=max(dt, 0.1),
        rate_window=max(dt, 0.1),
    )  # fmt: skip
    # before the step V = −tanh(t / tau) (from V = 0); then V = k tan(k (t − onset)/tau + θ0)
    k = math.sqrt(amplitude - 1.0)
    theta0 = math.atan(-math.tanh(onset / tau) / k)
    first = onset + tau * (math.pi / 2 - theta0) / k
    expected = np.arange(first, duration, math.pi * tau / k)
    first_neuron = result.spike_neurons == 0
    np.testing.assert_allclose(result.spike_times[first_neuron], expected, rtol=0, atol=1e-9)
    assert result.spike_times.size == 5 * expected.size
    assert 1000 * result.rates[:, 0].mean() == pytest.approx(
        1000 * expected.size / duration, rel=0.05
    )
    t = result.time
    v_theory = np.where(t < onset, -np.tanh(t / tau), k * np.tan(k * (t - onset) / tau + theta0))
    in_window = np.abs(v_theory) < 50
    np.testing.assert_allclose(result.voltages[in_window, 0], v_theory[in_window], atol=1e-8)
    # every neuron spikes at once: s jumps by N / (N tau_s) = 1 / tau_s, then decays
    since = t[:, None] - expected[None, :]
    s_theory = np.where(since >= 0, np.exp(-since / tau_s), 0.0).sum(axis=1) / tau_s
    np.testing.assert_allclose(result.synapses[:, 0], s_theory, atol=1e-9)


# --- the mean field tracks the network ------------------------------------------------------------


def _rest_state(model) -> np.ndarray:
    """The model's resting state: the end of a long mean-field run without input."""
    rest = simulate_mean_field(model, duration=500.0)
    state = np.empty(len(model.state_variables))
    for a, indices in enumerate(network_parameters(model).state_index):
        state[indices] = rest.rates[-1, a], rest.voltages[-1, a], rest.synapses[-1, a]
    return state


@pytest.fixture(scope="module")
def step_response():
    """MPRSynaptic from rest, a step I: 0 → 5 at 20 ms (damped oscillation to a high state)."""
    model = MPRSynaptic()
    rest = _rest_state(model)
    step = StepCurrent(20.0, [5.0])
    network = simulate_qif_network(
        model, n_neurons=N_NEURONS, duration=80.0, dt=DT, input_current=step, initial_state=rest
    )
    mean_field = simulate_mean_field(model, duration=80.0, input_current=step, initial_state=rest)
    return network, mean_field


def test_rate_follows_mean_field_after_step(step_response):
    network, mean_field = step_response
    np.testing.assert_allclose(network.time, mean_field.time)
    peak = mean_field.rates[:, 0].max()
    assert peak > 0.1  # the step drives the rate above 100 Hz
    error = np.abs(network.rates[:, 0] - mean_field.rates[:, 0])
    assert error.max() < 0.10 * peak
    assert error.mean() < 0.02 * peak


def test_voltage_follows_mean_field_after_step(step_response):
    network, mean_field = step_response
    excursion = np.ptp(mean_field.voltages[:, 0])
    error = np.abs(network.voltages[:, 0] - mean_field.voltages[:, 0])
    assert error.max() < 0.15 * excursion
    assert error.mean() < 0.03 * excursion


def _upward_crossings(time: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Times (ms) where ``x`` crosses its mid-range upwards, linearly interpolated."""
    level = 0.5 * (x.max() + x.min())
    i = np.flatnonzero((x[:-1] < level) & (x[1:] >= level))
    return time[i] + (level - x[i]) / (x[i + 1] - x[i]) * (time[i + 1] - time[i])


def _frequency_and_mean_rates(activity, transient: float):
    """Frequency (Hz) from the mean period of r_e; rates (Hz) averaged over whole cycles."""
    keep = activity.time >= transient
    time, rates = activity.time[keep], activity.rates[keep]
    crossings = _upward_crossings(time, rates[:, 0])
    n_cycles = crossings.size - 1
    frequency = 1000.0 * n_cycles / (crossings[-1] - crossings[0])
    cycles = (time >= crossings[0]) & (time < crossings[-1])
    return frequency, 1000.0 * rates[cycles].mean(axis=0), n_cycles


@pytest.fixture(scope="module")
def ping():
    """NextGenEI at the paper's defaults with I_e = 10: a PING oscillator near 47 Hz."""
    model = NextGenEI(I_e=np.array([10.0]))
    start = [0.01, -1.0, 0.01, 0.01, -1.0, 0.01]
    network = simulate_qif_network(
        model, n_neurons=N_NEURONS, duration=300.0, dt=DT, initial_state=start
    )
    mean_field = simulate_mean_field(model, duration=300.0, initial_state=start)
    return network, mean_field


def test_ping_frequency_and_mean_rates_match_mean_field(ping):
    network, mean_field = ping
    f_mean_field, rates_mean_field, n_cycles = _frequency_and_mean_rates(mean_field, 60.0)
    f_network, rates_network, _ = _frequency_and_mean_rates(network, 60.0)
    assert 30.0 < f_mean_field < 80.0  # gamma
    assert n_cycles >= 10  # mean period resolved to far better than 2 %
    assert f_network == pytest.approx(f_mean_field, rel=0.02)
    np.testing.assert_allclose(rates_network, rates_mean_field, rtol=0.05)


def test_ping_raster_shows_synchronous_volleys(ping):
    network, mean_field = ping
    assert network.spike_neurons.max() >= N_NEURONS  # both populations recorded
    excitatory = network.spike_times[network.spike_neurons < N_NEURONS]
    late = excitatory[excitatory > 60.0]
    phase = 2 * np.pi * late * _frequency_and_mean_rates(mean_field, 60.0)[0] / 1000.0
    # spikes lock to the rhythm: the phase distribution is far from uniform
    assert np.abs(np.mean(np.exp(1j * phase))) > 0.5


# --- determinism, bad input, plots ---------------------------------------------------------------


def test_network_is_deterministic_given_seed():
    model = NextGenEI(I_e=np.array([10.0]))
    start = [0.02, -1.0, 0.02, 0.02, -1.0, 0.02]
    runs = [
        simulate_qif_network(model, n_neurons=200, duration=5.0, initial_state=start, seed=seed)
        for seed in (3, 3, 4)
    ]
    np.testing.assert_array_equal(runs[0].voltages, runs[1].voltages)
    np.testing.assert_array_equal(runs[0].spike_times, runs[1].spike_times)
    assert not np.array_equal(runs[0].voltages, runs[2].voltages)


@pytest.mark.parametrize(
    ("model", "kwargs", "match"),
    [
        (NextGenEI(J_ee=np.array([5.0, 6.0])), {}, r"'J_ee' parameter of NextGenEI.*2 values"),
        (MPRSynaptic(tau=np.array([-1.0])), {}, r"'tau' parameter of MPRSynaptic.*> 0"),
        (MPRSynaptic(), {"n_neurons": 0}, r"'n_neurons'.*integers >= 1, but got 0"),
        (MPRSynaptic(), {"n_neurons": 10.5}, r"'n_neurons'.*integers >= 1, but got 10.5"),
        (MPRSynaptic(), {"dt": 0.0}, r"'dt'.*> 0.*but got 0.0"),
        (MPRSynaptic(), {"dt": -0.01}, r"'dt'.*> 0.*but got -0.01"),
        (MPRSynaptic(), {"duration": math.nan}, r"'duration'.*> 0.*but got nan"),
        (MPRSynaptic(), {"duration": 1.005, "dt": 0.01}, r"'duration'.*multiples of dt"),
        (MPRSynaptic(), {"sample_interval": 0.015}, r"'sample_interval'.*multiples of dt"),
        (MPRSynaptic(), {"v_peak": 0.0}, r"'v_peak'.*> 0.*but got 0.0"),
        (MPRSynaptic(), {"rate_window": -1.0}, r"'rate_window'.*> 0.*but got -1.0"),
        (MPRSynaptic(), {"record_spikes": -1}, r"'record_spikes'.*integers >= 0, but got -1"),
        (MPRSynaptic(), {"initial_state": [0.0, 0.0]}, r"'initial_state'.*3 finite values"),
        (MPRSynaptic(), {"initial_state": [-0.1, 0.0, 0.0]}, r"'initial_state'.*rates >= 0"),
        (MPRSynaptic(), {"input_current": lambda t: [1.0, 2.0]}, r"'input_current'.*1 value"),
        (MPRSynaptic(), {"input_current": lambda t: [math.inf]}, r"'input_current'.*finite"),
    ],
)
def test_bad_input_is_rejected(model, kwargs, match):
    kwargs = {"n_neurons": 10, "duration": 1.0} | kwargs
    with pytest.raises(ValueError, match=match):
        simulate_qif_network(model, **kwargs)


def test_unsupported_model_is_rejected():
    from tvb.simulator.models import MontbrioPazoRoxin

    match = r"'model' parameter. Allowed are instances of NextGenEI, MPRSynaptic, but got Mont"
    with pytest.raises(ValueError, match=match):
        simulate_qif_network(MontbrioPazoRoxin(), n_neurons=10, duration=1.0)
    with pytest.raises(ValueError, match=match):
        simulate_mean_field(MontbrioPazoRoxin(), duration=1.0)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"duration": 0.0}, r"'duration'.*> 0.*but got 0.0"),
        ({"sample_interval": -0.1}, r"'sample_interval'.*> 0.*but got -0.1"),
        ({"rtol": 0.0}, r"'rtol'.*> 0.*but got 0.0"),
        ({"initial_state": [0.0] * 5}, r"'initial_state'.*6 finite values"),
    ],
)
def test_bad_mean_field_input_is_rejected(kwargs, match):
    with pytest.raises(ValueError, match=match):
        simulate_mean_field(NextGenEI(), **({"duration": 1.0} | kwargs))


def test_plots_return_figures(ping):
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.figure import Figure

    network, mean_field = ping
    raster = plot_raster(network, show=False)
    rates = plot_population_rate(network, mean_field=mean_field, show=False)
    assert isinstance(raster, Figure) and isinstance(rates, Figure)
    rate_lines = rates.axes[0].get_lines()
    assert len(rate_lines) == 4  # E and I, network and mean field
    # rates are drawn in Hz
    np.testing.assert_allclose(rate_lines[0].get_ydata(), 1000.0 * network.rates[:, 0])
    fig, ax = plt.subplots()
    assert plot_raster(network, ax=ax, show=False) is fig
    plt.close("all")
