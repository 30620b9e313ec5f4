"""FCD, Kuramoto order parameter and phase-amplitude coupling on signals with known answers."""

import numpy as np
import pytest

from tvb_ngnmm.analysis import (
    UndefinedMeasureWarning,
    functional_connectivity_dynamics,
    instantaneous_phase,
    kuramoto_order_parameter,
    mean_vector_length,
    modulation_index,
    plot_fcd,
    sliding_window_fc,
)

DT = 0.5  # ms


def _sinusoids(phases, freq_hz=10.0, duration_ms=2000.0):
    t = np.arange(0, duration_ms, DT)
    return np.cos(2 * np.pi * freq_hz / 1000.0 * t[:, None] + np.asarray(phases)[None, :])


def test_sliding_window_fc_of_phase_shifted_sinusoids_is_the_cosine_of_the_lags():
    phases = np.array([0.0, 0.5, 1.3, 2.9])
    data = _sinusoids(phases)  # 10 Hz: 100 ms windows hold exactly one period
    fc, centres = sliding_window_fc(data, DT, window_ms=100.0, step_ms=50.0)
    expected = np.cos(phases[:, None] - phases[None, :])
    assert fc.shape == (39, 4, 4)
    np.testing.assert_allclose(fc, np.broadcast_to(expected, fc.shape), atol=1e-9)
    np.testing.assert_allclose(centres[:2], [49.75, 99.75])


def test_fcd_of_stationary_signals_is_one_everywhere():
    data = _sinusoids([0.0, 0.5, 1.3, 2.9])
    fcd, centres = functional_connectivity_dynamics(data, DT, window_ms=200.0, step_ms=100.0)
    assert fcd.shape == (centres.size, centres.size)
    np.testing.assert_allclose(fcd, 1.0, atol=1e-9)


def test_fcd_shows_a_switch_between_two_fc_states():
    first = _sinusoids([0.0, 0.0, np.pi, np.pi], duration_ms=1000.0)
    second = _sinusoids([0.0, np.pi, 0.0, np.pi], duration_ms=1000.0)
    fcd, centres = functional_connectivity_dynamics(
        np.vstack([first, second]), DT, window_ms=100.0, step_ms=100.0
    )
    # FC vectors (pairs 01, 02, 03, 12, 13, 23): (1,-1,-1,-1,-1,1) and (-1,1,-1,-1,1,-1)
    a = np.array([1, -1, -1, -1, -1, 1.0])
    b = np.array([-1, 1, -1, -1, 1, -1.0])
    across = np.corrcoef(a, b)[0, 1]
    state = centres > 1000.0
    np.testing.assert_allclose(fcd[np.ix_(~state, ~state)], 1.0, atol=1e-9)
    np.testing.assert_allclose(fcd[np.ix_(state, state)], 1.0, atol=1e-9)
    np.testing.assert_allclose(fcd[np.ix_(~state, state)], across, atol=1e-9)


def test_fcd_is_undefined_when_all_pairs_are_equally_correlated():
    rng = np.random.default_rng(1)
    data = np.repeat(rng.standard_normal((400, 1)), 3, axis=1)  # every pair correlates with 1
    with pytest.warns(UndefinedMeasureWarning, match="4 of 4 windows.*equally correlated"):
        fcd, _ = functional_connectivity_dynamics(data, DT, window_ms=50.0, step_ms=50.0)
    assert np.isnan(fcd).all()


def test_plot_fcd_returns_the_figure():
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    data = _sinusoids([0.0, 0.5, 1.3], duration_ms=500.0)
    fcd, centres = functional_connectivity_dynamics(data, DT, window_ms=100.0, step_ms=50.0)
    fig = plot_fcd(fcd, centres, show=False)
    assert fig.axes[0].get_title() == "FCD"
    matplotlib.pyplot.close(fig)


def test_kuramoto_order_parameter_of_locked_and_spread_phases():
    locked = _sinusoids(np.zeros(5))
    spread = _sinusoids(2 * np.pi * np.arange(8) / 8)
    r_locked = kuramoto_order_parameter(locked, DT, band=(5, 15), edge_ms=300.0)
    r_spread = kuramoto_order_parameter(spread, DT, band=(5, 15), edge_ms=300.0)
    np.testing.assert_allclose(r_locked, 1.0, atol=1e-9)
    assert np.abs(r_spread).max() < 1e-3


def test_kuramoto_order_parameter_of_random_phases_scales_as_one_over_sqrt_n():
    rng = np.random.default_rng(2)
    n = 400
    data = _sinusoids(rng.uniform(0, 2 * np.pi, n), duration_ms=1000.0)
    r = kuramoto_order_parameter(data, DT)  # a pure sinusoid needs no filter
    assert 0.2 / np.sqrt(n) < r.mean() < 3.0 / np.sqrt(n)


def test_instantaneous_phase_of_a_cosine_advances_linearly():
    data = _sinusoids([0.3])[:, 0]
    phase = instantaneous_phase(data, DT)
    t = np.arange(data.size) * DT
    expected = np.angle(np.exp(1j * (2 * np.pi * 0.01 * t + 0.3)))
    np.testing.assert_allclose(np.exp(1j * phase), np.exp(1j * expected), atol=1e-9)


def _pac_signal(depth, duration_ms=10000.0, shuffle=False, envelope_hz=6.0, seed=3):
    """Slow 6 Hz rhythm plus a 60 Hz rhythm whose envelope is 1 + depth * cos(slow phase)."""
    t = np.arange(0, duration_ms, DT)
    slow_phase = 2 * np.pi * 0.006 * t
    envelope = 1 + depth * np.cos(2 * np.pi * envelope_hz / 1000.0 * t)
    if shuffle:  # cut the envelope into 190 ms blocks and shuffle them: phase relation lost
        n_block = int(190 / DT)
        blocks = envelope[: envelope.size // n_block * n_block].reshape(-1, n_block)
        envelope[: blocks.size] = np.random.default_rng(seed).permutation(blocks, axis=0).ravel()
    return np.cos(slow_phase) + envelope * np.cos(2 * np.pi * 0.06 * t)


def _expected_tort_mi(depth, n_bins):
    edges = np.linspace(-np.pi, np.pi, n_bins + 1)
    mass = np.diff(edges) + depth * np.diff(np.sin(edges))  # integral of 1 + m cos over each bin
    p = mass / mass.sum()
    return (np.log(n_bins) + np.sum(p * np.log(p))) / np.log(n_bins)


@pytest.mark.parametrize("depth", [0.4, 0.8])
def test_pac_of_an_amplitude_modulated_signal_matches_theory(depth):
    data = _pac_signal(depth)
    bands = dict(phase_band=(4, 8), amplitude_band=(40, 80), edge_ms=500.0)
    mi = modulation_index(data, DT, n_bins=18, **bands)
    assert mi == pytest.approx(_expected_tort_mi(depth, 18), rel=0.05)
    assert mean_vector_length(data, DT, **bands) == pytest.approx(depth / 2, rel=0.05)


def test_pac_of_a_shuffled_signal_is_low():
    bands = dict(phase_band=(4, 8), amplitude_band=(40, 80), edge_ms=500.0)
    coupled, shuffled = _pac_signal(0.8), _pac_signal(0.8, shuffle=True)
    assert modulation_index(shuffled, DT, **bands) < 0.05 * modulation_index(coupled, DT, **bands)
    assert mean_vector_length(shuffled, DT, **bands) < 0.25 * mean_vector_length(
        coupled, DT, **bands
    )


def test_pac_is_zero_when_the_envelope_follows_another_rhythm():
    # envelope at 6.5 Hz, phase at 6 Hz: 10 s kept after the edges = 5 beat periods, no coupling
    data = _pac_signal(0.8, duration_ms=11000.0, envelope_hz=6.5)
    bands = dict(phase_band=(4, 8), amplitude_band=(40, 80), edge_ms=500.0)
    assert mean_vector_length(data, DT, **bands) < 0.01
    assert modulation_index(data, DT, **bands) < 1e-3


def test_bad_input_to_fcd_synchrony_and_pac():
    data = _sinusoids([0.0, 1.0, 2.0], duration_ms=200.0)
    with pytest.raises(ValueError, match="'window_ms' parameter.*got window_ms=500"):
        sliding_window_fc(data, DT, window_ms=500.0, step_ms=10.0)
    with pytest.raises(ValueError, match="'step_ms' parameter.*> 0 ms"):
        sliding_window_fc(data, DT, window_ms=50.0, step_ms=0.0)
    with pytest.raises(ValueError, match="'data' parameter.*at least 3 regions"):
        functional_connectivity_dynamics(data[:, :2], DT, 50.0, 10.0)
    with pytest.raises(ValueError, match="'fcd' parameter.*\\(n_window, n_window\\)"):
        plot_fcd(np.zeros((3, 3)), np.arange(4.0), show=False)
    with pytest.raises(ValueError, match="'data' parameter.*at least 2 regions"):
        kuramoto_order_parameter(data[:, :1], DT)
    with pytest.raises(ValueError, match="'band' parameter.*1000 Hz.*\\(10, 2000\\)"):
        kuramoto_order_parameter(data, DT, band=(10, 2000))
    with pytest.raises(ValueError, match="'band' parameter.*pair"):
        instantaneous_phase(data, DT, band=10.0)
    with pytest.raises(ValueError, match="'edge_ms' parameter.*leaves no samples"):
        kuramoto_order_parameter(data, DT, edge_ms=100.0)
    with pytest.raises(ValueError, match="'phase_band' parameter.*got \\(8, 4\\)"):
        modulation_index(data[:, 0], DT, (8, 4), (40, 80))
    with pytest.raises(ValueError, match="'amplitude_band' parameter.*above the phase band"):
        mean_vector_length(data[:, 0], DT, (4, 50), (40, 80))
    with pytest.raises(ValueError, match="'data' parameter.*\\(n_time,\\)"):
        modulation_index(data, DT, (4, 8), (40, 80))
    with pytest.raises(ValueError, match="'data' parameter.*more than 27 samples, but got 20"):
        kuramoto_order_parameter(data[:20], DT, band=(10, 50))
    with pytest.raises(ValueError, match="'n_bins' parameter.*integers >= 2"):
        modulation_index(data[:, 0], DT, (4, 8), (40, 80), n_bins=1)
    with pytest.raises(ValueError, match="'n_bins' parameter.*phase bins are empty"):
        modulation_index(data[:, 0], DT, (4, 8), (40, 80), n_bins=2000)
