"""Propagation onsets on synthetic delayed steps whose onsets are known."""

import numpy as np
import pytest

from tvb_ngnmm.analysis import plot_propagation, propagation_onsets

DT = 0.1  # ms


def _delayed_steps(delays_ms, stimulus_ms=50.0, duration_ms=200.0, baseline=0.01, height=0.05):
    """Rates (kHz) at ``baseline`` that step up by ``height`` at stimulus + delay (NaN: never)."""
    t = np.arange(0, duration_ms, DT)
    data = np.full((t.size, len(delays_ms)), baseline)
    for k, delay in enumerate(delays_ms):
        if np.isfinite(delay):
            data[t >= stimulus_ms + delay - 1e-9, k] += height
    return data


def test_onsets_of_delayed_steps_are_recovered_exactly():
    delays = [0.0, 12.3, 4.0, np.nan, 30.1]
    result = propagation_onsets(_delayed_steps(delays), DT, 50.0, threshold=0.02)
    np.testing.assert_allclose(result.onset_ms, delays, atol=1e-9)
    np.testing.assert_array_equal(result.recruited, [True, True, True, False, True])
    np.testing.assert_array_equal(result.order(), [0, 2, 1, 4])
    np.testing.assert_allclose(result.baseline, 0.01)
    np.testing.assert_allclose(result.level, 0.03)


def test_ratio_and_std_thresholds_on_noisy_baselines():
    rng = np.random.default_rng(4)
    data = _delayed_steps([5.0, 20.0], baseline=0.01, height=0.02)
    data[: int(50 / DT)] += 0.001 * rng.standard_normal((int(50 / DT), 2))
    ratio = propagation_onsets(data, DT, 50.0, threshold=2.0, kind="ratio")
    np.testing.assert_allclose(ratio.onset_ms, [5.0, 20.0], atol=1e-9)
    std = propagation_onsets(data, DT, 50.0, threshold=5.0, kind="std", baseline_ms=40.0)
    np.testing.assert_allclose(std.onset_ms, [5.0, 20.0], atol=1e-9)
    np.testing.assert_allclose(std.baseline, data[100:500].mean(axis=0))


def test_min_duration_skips_a_brief_blip():
    data = _delayed_steps([30.0, np.nan])
    blip = slice(int(60 / DT), int(62 / DT))  # 2 ms above threshold, 10 ms after the stimulus
    data[blip] += 0.05
    plain = propagation_onsets(data, DT, 50.0, threshold=0.02)
    np.testing.assert_allclose(plain.onset_ms, [10.0, 10.0], atol=1e-9)
    held = propagation_onsets(data, DT, 50.0, threshold=0.02, min_duration_ms=5.0)
    np.testing.assert_allclose(held.onset_ms[0], 30.0, atol=1e-9)
    assert np.isnan(held.onset_ms[1]) and not held.recruited[1]


def test_activity_before_the_stimulus_is_not_an_onset():
    data = _delayed_steps([-20.0, 3.0])  # region 0 is already up 20 ms before the stimulus
    result = propagation_onsets(data, DT, 50.0, threshold=0.02, baseline_ms=10.0)
    assert not result.recruited[0] and result.onset_ms[1] == pytest.approx(3.0)


def test_plot_propagation_returns_the_figure():
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    result = propagation_onsets(_delayed_steps([0.0, 8.0, np.nan]), DT, 50.0, threshold=0.02)
    fig = plot_propagation(result, labels=["stim", "near", "far"], show=False)
    assert fig.axes[0].get_title() == "recruited 2 of 3 regions, 1 never"
    matplotlib.pyplot.close(fig)
    with pytest.raises(ValueError, match="'labels' parameter.*one label per region \\(3\\)"):
        plot_propagation(result, labels=["a"], show=False)


def test_bad_input_to_propagation_onsets():
    data = _delayed_steps([1.0, 2.0])
    with pytest.raises(ValueError, match="'kind' parameter.*'absolute', 'std', 'ratio'.*'max'"):
        propagation_onsets(data, DT, 50.0, 0.02, kind="max")
    with pytest.raises(ValueError, match="'threshold' parameter.*kind='ratio' are > 1"):
        propagation_onsets(data, DT, 50.0, 0.5, kind="ratio")
    with pytest.raises(ValueError, match="'threshold' parameter.*> 0, but got -1"):
        propagation_onsets(data, DT, 50.0, -1.0)
    with pytest.raises(ValueError, match="'stimulus_onset_ms' parameter.*got 500"):
        propagation_onsets(data, DT, 500.0, 0.02)
    with pytest.raises(ValueError, match="'stimulus_onset_ms' parameter.*got 0"):
        propagation_onsets(data, DT, 0.0, 0.02)
    with pytest.raises(ValueError, match="'baseline_ms' parameter.*50 ms before"):
        propagation_onsets(data, DT, 50.0, 0.02, baseline_ms=80.0)
    with pytest.raises(ValueError, match="'min_duration_ms' parameter.*>= 0 ms"):
        propagation_onsets(data, DT, 50.0, 0.02, min_duration_ms=-1.0)
    with pytest.raises(ValueError, match="'data' parameter.*\\(n_time, n_region\\)"):
        propagation_onsets(data[:, 0], DT, 50.0, 0.02)


def _focal_seizure_rates(n_node=8, stimulus_ms=50.0, duration_ms=200.0, dt=0.02):
    """r_e (kHz) every 0.1 ms of the focal-seizure preset on a ring, focus 0 stimulated at 50 ms."""
    from tvb_ngnmm.models import NextGenEI
    from tvb_ngnmm.models.ei import next_gen_ei_equations
    from tvb_ngnmm.models.presets import get_preset

    preset = get_preset("focal_seizure")
    ring = np.zeros((n_node, n_node))
    idx = np.arange(n_node)
    ring[idx, (idx + 1) % n_node] = ring[idx, (idx - 1) % n_node] = 0.5
    focus_i_e = np.full(n_node, preset.parameters["I_e"])
    focus_i_e[0] = preset.stimulated_parameters["I_e"]

    def derivatives(y, i_e):
        coupling = preset.coupling_strength * (ring @ y[2])
        params = dict(preset.parameters, I_e=i_e)
        ordered = [params[name] for name in NextGenEI().parameter_names]
        return np.array(next_gen_ei_equations(*y, coupling, coupling, *ordered))

    y = np.tile(np.array([0.01, -2.0, 0.01, 0.01, -2.0, 0.01])[:, None], (1, n_node))
    rates, every = [y[0].copy()], int(round(0.1 / dt))
    for step in range(int(round(duration_ms / dt))):  # Heun steps
        i_e = focus_i_e if step * dt >= stimulus_ms else preset.parameters["I_e"]
        slope = derivatives(y, i_e)
        y = y + dt / 2 * (slope + derivatives(y + dt * slope, i_e))
        if (step + 1) % every == 0:
            rates.append(y[0].copy())
    return np.array(rates)


def test_focal_seizure_spreads_outward_along_a_ring():
    rates = _focal_seizure_rates()
    result = propagation_onsets(rates, 0.1, 50.0, threshold=2.0, kind="ratio", baseline_ms=40.0)
    onset = result.onset_ms
    assert onset[0] < onset[1] < onset[2]  # focus first, then outward by ring distance
    assert onset[1] == onset[7] and onset[2] == onset[6]  # the ring's mirror symmetry
    assert not result.recruited[[3, 4, 5]].any() and np.isnan(onset[[3, 4, 5]]).all()
    np.testing.assert_array_equal(result.order()[:3], [0, 1, 7])
