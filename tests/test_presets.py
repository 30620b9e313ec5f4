"""Each preset shows its regime in simulation; the preset API rejects bad names clearly.

Single nodes and small networks are integrated with SciPy on the model's own ``dfun`` (the
network coupling is written here by hand: C_i = a * sum_j W_ij s_e,j, no delays). Rates are in
kHz inside the models and converted to Hz (x 1000) for the checks.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.integrate import solve_ivp
from tvb.datatypes.connectivity import Connectivity
from tvb.simulator import coupling, integrators, monitors, simulator

from tvb_ngnmm.models import MPRSynaptic, NextGenEI
from tvb_ngnmm.models.presets import PRESETS, Preset, get_preset, make_model, preset_names

DT = 0.05  # ms, sampling of the trajectories
EI_REST = [0.01, -2.0, 0.01, 0.01, -2.0, 0.01]  # r_e, v_e, s_e, r_i, v_i, s_i


def _integrate(model, y0, duration, long_range_input=None):
    """Integrate ``model.dfun`` from ``y0`` (n_var, n_node); return times and (n_var, n_node, n_t).

    ``long_range_input(state)`` maps the state (n_var, n_node, 1) to the coupling array
    (1, n_node, 1).
    """
    model.configure()
    y0 = np.asarray(y0, dtype=float)
    shape = (y0.shape[0], y0.shape[1], 1)

    def rhs(_t, y):
        state = y.reshape(shape)
        c = np.zeros((1, shape[1], 1)) if long_range_input is None else long_range_input(state)
        return model.dfun(state, c).ravel()

    t_eval = np.arange(0.0, duration, DT)
    sol = solve_ivp(
        rhs, (0.0, duration), y0.ravel(), method="LSODA", t_eval=t_eval,
        rtol=1e-7, atol=1e-10, max_step=0.1,
    )  # fmt: skip
    assert sol.success, sol.message
    return sol.t, sol.y.reshape(shape[0], shape[1], -1)


def _single_node(model, y0, duration):
    t, y = _integrate(model, np.asarray(y0, dtype=float)[:, None], duration)
    return t, y[:, 0]


def _spectral_peak_hz(x):
    """Frequency (Hz) of the largest non-zero peak of the Hann-windowed spectrum of ``x``."""
    x = np.asarray(x) - np.mean(x)
    power = np.abs(np.fft.rfft(x * np.hanning(x.size))) ** 2
    freqs = np.fft.rfftfreq(x.size, d=DT * 1e-3)
    return freqs[1:][np.argmax(power[1:])]


def _after(t, x, t0):
    return x[..., t >= t0]


# ---------------------------------------------------------------- API and bad input


def test_preset_names_and_structure():
    names = preset_names()
    for required in ("delicado2025", "ping_gamma", "ing_gamma", "working_memory", "focal_seizure"):
        assert required in names
    for name in names:
        preset = PRESETS[name]
        assert isinstance(preset, Preset) and preset.name == name
        assert preset.description and preset.reference
        assert set(preset.parameters) == set(preset.model().parameter_names)


def test_default_preset_equals_the_paper_values():
    spec = dict(
        tau_e=8, tau_i=8, tau_se=1, tau_si=5, eta_e=-5, eta_i=-5, Delta_e=1, Delta_i=1,
        J_ee=5, J_ei=13, J_ie=13, J_ii=5, I_e=0, I_i=0, c_e=1, c_i=1,
    )  # fmt: skip
    model = make_model("delicado2025")
    assert isinstance(model, NextGenEI)
    for key, value in spec.items():
        np.testing.assert_array_equal(getattr(model, key), np.array([float(value)]))
    assert get_preset("delicado2025_example").parameters["I_e"] == 15.0
    assert get_preset("delicado2025_example").coupling_strength == 9.0


def test_make_model_returns_a_fresh_instance_with_overrides():
    first = make_model("ping_gamma", I_e=12.0, J_ii=np.array([1.0, 2.0]))
    np.testing.assert_array_equal(first.I_e, [12.0])
    np.testing.assert_array_equal(first.J_ii, [1.0, 2.0])
    second = make_model("ping_gamma")
    np.testing.assert_array_equal(second.I_e, [10.0])
    assert get_preset("ping_gamma").parameters["I_e"] == 10.0


def test_unknown_preset_name_raises():
    msg = (
        r"Invalid value for the 'name' parameter\. Allowed values are 'delicado2025', "
        r".*but got 'xyz' instead\."
    )
    with pytest.raises(ValueError, match=msg):
        make_model("xyz")
    with pytest.raises(ValueError, match=msg):
        get_preset("xyz")


def test_unknown_override_raises_listing_allowed_names():
    msg = r"'working_memory' \(MPRSynaptic\)\. Allowed names are 'tau', 'tau_s', .*but got 'J_ee'"
    with pytest.raises(ValueError, match=msg):
        make_model("working_memory", J_ee=3.0)


def test_override_outside_domain_raises():
    with pytest.raises(ValueError, match=r"'tau_s' parameter of MPRSynaptic.*but got -1\.0"):
        make_model("working_memory", tau_s=-1.0)


def test_non_numeric_override_raises():
    with pytest.raises(ValueError, match=r"'I_e' parameter of preset 'ping_gamma'.*but got 'high'"):
        make_model("ping_gamma", I_e="high")


def test_incomplete_or_wrong_preset_definition_raises():
    with pytest.raises(ValueError, match=r"'tau_s', 'eta', .* have none"):
        Preset("broken", MPRSynaptic, {"tau": 10.0}, "d", "r")
    params = dict(get_preset("working_memory").parameters)
    with pytest.raises(ValueError, match=r"'stimulated_parameters'.*but got 'I_e' instead"):
        Preset("broken", MPRSynaptic, params, "d", "r", stimulated_parameters={"I_e": 1.0})


def test_preset_parameters_are_read_only():
    with pytest.raises(TypeError):
        get_preset("ping_gamma").parameters["I_e"] = 3.0


# ---------------------------------------------------------------- regimes


def test_delicado2025_default_rests_at_a_fixed_point():
    t, y = _single_node(make_model("delicado2025"), EI_REST, 600.0)
    r_e = _after(t, y[0], 400.0) * 1e3
    assert np.ptp(r_e) < 0.01 and 1.0 < r_e.mean() < 30.0


def test_ping_gamma_oscillates_in_the_gamma_band():
    t, y = _single_node(make_model("ping_gamma"), EI_REST, 1300.0)
    r_e = _after(t, y[0], 300.0) * 1e3
    freq = _spectral_peak_hz(r_e)
    assert 30.0 <= freq <= 80.0, freq
    assert np.ptp(r_e) > 100.0 and np.ptp(r_e) > r_e.mean()
    # r_i oscillates at the same frequency (one inhibitory burst per cycle)
    assert _spectral_peak_hz(_after(t, y[3], 300.0)) == pytest.approx(freq, abs=2.0)


@pytest.mark.parametrize("cut", ["J_ie", "J_ei"])
def test_ping_gamma_needs_the_e_i_loop(cut):
    t, y = _single_node(make_model("ping_gamma", **{cut: 0.0}), EI_REST, 800.0)
    assert np.ptp(_after(t, y[0], 500.0)) * 1e3 < 1.0


@pytest.fixture(scope="module")
def ing_run():
    return _single_node(make_model("ing_gamma"), EI_REST, 1300.0)


def test_ing_gamma_inhibitory_rate_oscillates_in_gamma(ing_run):
    t, y = ing_run
    r_i = _after(t, y[3], 300.0) * 1e3
    freq = _spectral_peak_hz(r_i)
    assert 30.0 <= freq <= 80.0, freq
    assert np.ptp(r_i) > 100.0 and np.ptp(r_i) > r_i.mean()
    assert _after(t, y[0], 300.0).mean() * 1e3 < 15.0  # E stays at a low rate


def test_ing_gamma_is_made_by_the_i_population_alone(ing_run):
    # The isolated I population is an MPRSynaptic population with negative (inhibitory) J.
    p = get_preset("ing_gamma").parameters
    assert p["J_ie"] == 0.0  # so E cannot act on I
    alone = MPRSynaptic(
        tau=np.array([p["tau_i"]]), tau_s=np.array([p["tau_si"]]), eta=np.array([p["eta_i"]]),
        Delta=np.array([p["Delta_i"]]), J=np.array([-p["J_ii"]]), I=np.array([p["I_i"]]),
    )  # fmt: skip
    t, y = _single_node(alone, [0.01, -2.0, 0.01], 1300.0)
    r = _after(t, y[0], 300.0) * 1e3
    t_ei, y_ei = ing_run
    freq_ei = _spectral_peak_hz(_after(t_ei, y_ei[3], 300.0))
    assert 30.0 <= _spectral_peak_hz(r) <= 80.0
    assert _spectral_peak_hz(r) == pytest.approx(freq_ei, abs=2.0)
    assert np.ptp(r) > 100.0


def test_ing_gamma_synchrony_is_lost_with_broad_heterogeneity():
    t, y = _single_node(make_model("ing_gamma", Delta_i=1.0), EI_REST, 800.0)
    assert np.ptp(_after(t, y[3], 500.0)) * 1e3 < 1.0


def _mpr_fixed_point_rates_hz(p):
    """Fixed points of the MPR mean field from its quartic in R = tau r (independent of dfun).

    With v = -Delta / (2 pi R):  pi^2 R^4 - J R^3 - (eta + I) R^2 - Delta^2 / (4 pi^2) = 0.
    """
    coeffs = [np.pi**2, -p["J"], -(p["eta"] + p["I"]), 0.0, -(p["Delta"] ** 2) / (4 * np.pi**2)]
    roots = np.roots(coeffs)
    real = np.sort(roots[(abs(roots.imag) < 1e-9) & (roots.real > 0)].real)
    return real / p["tau"] * 1e3


def test_working_memory_has_two_persistent_states():
    p = get_preset("working_memory").parameters
    low, saddle, high = _mpr_fixed_point_rates_hz(p)
    assert low < 20.0 < saddle < 80.0 < high
    model = make_model("working_memory")
    for y0, target in (([0.005, -2.0, 0.005], low), ([0.12, -0.1, 0.12], high)):
        t, y = _single_node(model, y0, 3000.0)
        rate = _after(t, y[0], 2500.0) * 1e3
        assert rate.mean() == pytest.approx(target, rel=0.02)


def _pulse_run(duration_pulse, amplitude=10.0):
    """Start at the low state, apply I = amplitude for duration_pulse ms, then release."""
    state = np.array([0.008, -2.0, 0.008])
    rates = []
    for model, length in (
        (make_model("working_memory"), 200.0),
        (make_model("working_memory", I=amplitude), duration_pulse),
        (make_model("working_memory"), 1500.0),
    ):
        t, y = _single_node(model, state, length + DT)
        state = y[:, -1]
        rates.append(y[0] * 1e3)
    return rates


def test_working_memory_pulse_switches_low_to_high_and_it_persists():
    before, _, after = _pulse_run(200.0)
    assert before[-1] < 15.0
    assert after[-1000:].mean() > 80.0  # the last 50 ms, 1.5 s after the pulse ended
    _, _, short_after = _pulse_run(50.0)  # a brief cue is filtered out by the slow synapse
    assert short_after[-1000:].mean() < 15.0


def _ring(n_node):
    """Row-normalised ring: each node receives 1/2 from each of its two neighbours."""
    w = np.zeros((n_node, n_node))
    idx = np.arange(n_node)
    w[idx, (idx + 1) % n_node] = w[idx, (idx - 1) % n_node] = 0.5
    return w


def _seizure_run(n_node, stimulated):
    preset = get_preset("focal_seizure")
    i_e = np.full(n_node, preset.parameters["I_e"])
    i_e[stimulated] = preset.stimulated_parameters["I_e"]
    model = make_model("focal_seizure", I_e=i_e)
    for name in model.parameter_names:  # per-region shape (n_node, 1), as TVB spatialises
        value = getattr(model, name)
        setattr(model, name, value.reshape(-1, 1))
    weights, strength = _ring(n_node), preset.coupling_strength

    def long_range_input(state):
        return strength * (weights @ state[2])[None]

    t, y = _integrate(model, np.tile(np.array(EI_REST)[:, None], n_node), 700.0, long_range_input)
    return _after(t, y[0], 300.0) * 1e3  # r_e in Hz, (n_node, n_t)


def test_focal_seizure_focus_oscillates_and_recruits_neighbours():
    n_node = 8
    rest = _seizure_run(n_node, stimulated=[])
    seizure = _seizure_run(n_node, stimulated=[0])
    assert np.ptp(rest, axis=1).max() < 0.1 and rest.mean() < 20.0  # quiet at rest
    focus, neighbours, far = seizure[0], seizure[[1, n_node - 1]], seizure[n_node // 2]
    assert focus.mean() > 5 * rest[0].mean() and np.ptp(focus) > 200.0
    assert _spectral_peak_hz(focus) >= 30.0
    assert (neighbours.mean(axis=1) > 2.5 * rest[1].mean()).all()  # recruited...
    assert (np.ptp(neighbours, axis=1) > 50.0).all()  # ...into oscillation
    assert far.mean() < 1.5 * rest[n_node // 2].mean()  # focal, not generalised


def test_focal_seizure_runs_in_tvb_simulator_with_a_per_region_focus():
    n_node, preset = 4, get_preset("focal_seizure")
    weights = _ring(n_node)
    connectivity = Connectivity(
        weights=weights, tract_lengths=(weights > 0).astype(float), speed=np.array([np.inf]),
        region_labels=np.array([f"region_{k}" for k in range(n_node)]),
        centres=np.zeros((n_node, 3)),
    )  # fmt: skip
    i_e = np.full(n_node, preset.parameters["I_e"])
    i_e[0] = preset.stimulated_parameters["I_e"]
    sim = simulator.Simulator(
        model=make_model("focal_seizure", I_e=i_e),
        connectivity=connectivity,
        coupling=coupling.Linear(a=np.array([preset.coupling_strength])),
        integrator=integrators.HeunDeterministic(dt=0.01),
        monitors=(monitors.Raw(),),
        initial_conditions=np.tile(np.array(EI_REST)[None, :, None, None], (1, 1, n_node, 1)),
        simulation_length=150.0,
    ).configure()
    ((_, data),) = sim.run()
    r_e = data[-5000:, 0, :, 0] * 1e3  # last 50 ms, Hz
    assert np.isfinite(data).all()
    assert r_e[:, 0].mean() > 80.0  # the focus seizes
    assert (r_e[:, [1, 3]].mean(axis=0) > 25.0).all()  # its neighbours, quiet at ~12 Hz, rise
