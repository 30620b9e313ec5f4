"""Every signal measure on degenerate input: NaN with one warning where undefined, or an error.

The rule (see ``tvb_ngnmm.analysis._signal_checks``): non-finite input and too few samples or
regions raise ``ValueError``; a numerically constant signal (std <= 100 eps x max|value|) has no
correlation, phase or coupling, so the entries that depend on it are NaN and the call emits one
``UndefinedMeasureWarning`` naming exactly those regions. A genuine ripple is still measured.
"""

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tvb_ngnmm.analysis import (
    UndefinedMeasureWarning,
    functional_connectivity,
    functional_connectivity_dynamics,
    instantaneous_phase,
    kuramoto_order_parameter,
    mean_functional_connectivity,
    mean_off_diagonal,
    mean_vector_length,
    modulation_index,
    peak_frequency,
    phase_amplitude_distribution,
    power_spectrum,
    propagation_onsets,
    sliding_window_fc,
)

DT = 0.5  # ms
N_TIME = 1600  # 800 ms
STIMULUS_MS = 300.0
PAC_BANDS = dict(phase_band=(4, 8), amplitude_band=(40, 80), edge_ms=100.0)
EPS = np.finfo(float).eps
FEW = settings(max_examples=40, deadline=None)

KINDS = ("varying", "tiny_ripple", "constant", "almost_constant")
UNDEFINED_KINDS = ("constant", "almost_constant")


def _varying(rng, n_time=N_TIME):
    """A 6 Hz rhythm, a 60 Hz rhythm modulated by it, and noise (power in every band used)."""
    t = np.arange(n_time) * DT
    slow = 2 * np.pi * 0.006 * t + rng.uniform(0, 2 * np.pi)
    fast = (1 + 0.5 * np.cos(slow)) * np.cos(2 * np.pi * 0.06 * t)
    return np.cos(slow) + fast + 0.3 * rng.standard_normal(n_time)


def _signal(kind, offset, scale, rng):
    if kind == "varying":
        return offset + scale * _varying(rng)
    if kind == "tiny_ripple":  # relative ripple 1e-9: small, but far above rounding errors
        return offset + 1e-9 * (abs(offset) or 1.0) * _varying(rng)
    if kind == "constant":
        return np.full(N_TIME, offset)
    return offset + offset * EPS * rng.integers(-8, 9, N_TIME)  # a few ulps of jitter


_offsets = st.one_of(
    st.just(0.0),
    st.builds(lambda sign, e: sign * 10.0**e, st.sampled_from([-1.0, 1.0]), st.floats(-6, 6)),
)


@st.composite
def signals(draw, min_region=1, max_region=4):
    """(data, undefined): signals of n_region regions and which of them are degenerate."""
    n_region = draw(st.integers(min_region, max_region))
    kinds = draw(st.lists(st.sampled_from(KINDS), min_size=n_region, max_size=n_region))
    offsets = draw(st.lists(_offsets, min_size=n_region, max_size=n_region))
    scale = 10.0 ** draw(st.floats(-6, 6))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    data = np.column_stack([_signal(k, o, scale, rng) for k, o in zip(kinds, offsets, strict=True)])
    return data, np.array([k in UNDEFINED_KINDS for k in kinds])


def _run(function, *args, **kwargs):
    """Call ``function``; return its value and the UndefinedMeasureWarnings it emitted."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        value = function(*args, **kwargs)
    other = [w for w in caught if not issubclass(w.category, UndefinedMeasureWarning)]
    assert not other, [str(w.message) for w in other]
    return value, [w.message for w in caught]


def _assert_warned_for(warned, undefined):
    """No warning when nothing is undefined, else exactly one naming the undefined regions."""
    if not undefined.any():
        assert warned == []
        return
    assert len(warned) == 1
    assert warned[0].regions == tuple(np.flatnonzero(undefined))
    assert "numerically constant" in str(warned[0])


# --- the three examples of the issue --------------------------------------------------------


def test_functional_connectivity_of_constant_signals_is_nan_not_one():
    x = np.full((4000, 3), 0.1)
    with pytest.warns(UndefinedMeasureWarning, match=r"regions \[0, 1, 2\] of 'data' are num"):
        fc = functional_connectivity(x)
    assert np.isnan(fc).all()


def test_kuramoto_order_of_constant_signals_is_nan_not_one():
    x = np.full((4000, 3), 0.1)
    with pytest.warns(UndefinedMeasureWarning, match=r"R\(t\) is NaN \(0 left\)"):
        order = kuramoto_order_parameter(x, 0.5, band=(30, 50))
    assert order.shape == (4000,) and np.isnan(order).all()


def test_modulation_index_of_a_constant_signal_is_nan():
    x = np.full((4000, 3), 0.1)
    with pytest.warns(UndefinedMeasureWarning, match="modulation_index: the signal 'data' is"):
        assert np.isnan(modulation_index(x[:, 0], 0.5, phase_band=(4, 8), amplitude_band=(40, 80)))


# --- where the tolerance lies ---------------------------------------------------------------


def test_a_sine_of_amplitude_1e_9_around_0_1_is_measured():
    t = np.arange(4000) * 0.5
    rng = np.random.default_rng(0)
    x = 0.1 + 1e-9 * np.column_stack([_varying(rng, 4000) for _ in range(3)])
    x[:, 2] = 0.1 + 1e-9 * np.sin(2 * np.pi * 0.04 * t)  # a clean 40 Hz sine
    fc, warned = _run(functional_connectivity, x)
    assert warned == [] and np.isfinite(fc).all()
    order, warned = _run(kuramoto_order_parameter, x, 0.5, band=(30, 50), edge_ms=100.0)
    assert warned == [] and (0 <= order).all() and (order <= 1).all()
    mi, warned = _run(modulation_index, x[:, 0], 0.5, (4, 8), (40, 80))
    assert warned == [] and 0 <= mi <= 1
    freqs, psd = power_spectrum(x[:, 2], 0.5, segment_ms=500.0)
    assert peak_frequency(freqs, psd) == pytest.approx(40.0, abs=1.0)


def test_a_long_constant_series_is_constant_despite_rounding_in_its_mean():
    # NumPy's mean along axis 0 of 200000 samples is off by ~1e-12 relative: not a fluctuation
    rng = np.random.default_rng(3)
    jitter = 6.07 * (1 + EPS * rng.integers(-8, 9, 200_000))
    long = np.column_stack([np.full(200_000, 6.07), jitter])
    assert (long.std(axis=0) > 1e-13).all()  # what a naive standard deviation sees
    long = np.hstack([long, rng.standard_normal((200_000, 1))])
    with pytest.warns(UndefinedMeasureWarning, match="regions \\[0, 1\\] of 'data' are"):
        fc = functional_connectivity(long)
    assert np.isfinite(fc[2, 2]) and np.isnan(fc[:2]).all()


def test_rounding_jitter_is_constant_and_a_band_of_rounding_errors_has_no_phase():
    rng = np.random.default_rng(1)
    jitter = 0.1 * (1 + EPS * rng.integers(-50, 51, (2000, 2)))
    assert jitter.std(axis=0).min() > 0  # not exactly constant
    with pytest.warns(UndefinedMeasureWarning, match="regions \\[0, 1\\].*numerically constant"):
        instantaneous_phase(jitter, DT, band=(4, 8))
    t = np.arange(4000) * DT
    slow = 0.1 + 1e-9 * np.sin(2 * np.pi * 0.01 * t)  # 10 Hz: nothing left in 200-240 Hz
    two = np.column_stack([slow, slow[::-1]])
    match = "regions \\[0, 1\\].*rounding errors in the band \\(200, 240\\)"
    with pytest.warns(UndefinedMeasureWarning, match=match):
        order = kuramoto_order_parameter(two, DT, band=(200, 240), edge_ms=200.0)
    assert np.isnan(order).all()
    match = "rounding errors in the amplitude band \\(200, 240\\)"
    with pytest.warns(UndefinedMeasureWarning, match=match):
        assert np.isnan(mean_vector_length(slow, DT, (4, 20), (200, 240), edge_ms=200.0))


# --- the rule on every measure, with generated signals ---------------------------------------


@FEW
@given(signals())
def test_spectrum_of_a_constant_signal_is_zero_and_its_peak_undefined(case):
    data, undefined = case
    (freqs, psd), warned = _run(power_spectrum, data, DT)
    assert warned == []  # a spectrum of a constant signal is defined: no power
    assert (psd[:, undefined] == 0).all()
    assert (psd[:, ~undefined].sum(axis=0) > 0).all()
    peak, warned = _run(peak_frequency, freqs, psd)
    if undefined.all():
        assert np.isnan(peak) and len(warned) == 1 and "flat" in str(warned[0])
    else:
        assert warned == [] and 1.0 <= peak <= freqs[-1]


@FEW
@given(signals())
def test_functional_connectivity_is_nan_exactly_for_constant_regions(case):
    data, undefined = case
    fc, warned = _run(functional_connectivity, data)
    _assert_warned_for(warned, undefined)
    assert np.isnan(fc[undefined]).all() and np.isnan(fc[:, undefined]).all()
    defined = fc[np.ix_(~undefined, ~undefined)]
    assert np.isfinite(defined).all() and (np.diag(defined) == 1.0).all()


@FEW
@given(signals())
def test_mean_functional_connectivity_uses_the_defined_pairs(case):
    data, undefined = case
    if data.shape[1] < 2:
        with pytest.raises(ValueError, match="'data' parameter.*at least 2 regions, but got 1"):
            mean_functional_connectivity(data)
        return
    mean, warned = _run(mean_functional_connectivity, data)
    _assert_warned_for(warned, undefined)
    if (~undefined).sum() < 2:
        assert np.isnan(mean)
    else:
        keep = data[:, ~undefined]
        expected = np.corrcoef(keep.T)[np.triu_indices(keep.shape[1], 1)].mean()
        assert mean == pytest.approx(expected, abs=1e-5)  # tiny ripples: ~1e-7


@FEW
@given(signals())
def test_sliding_window_fc_and_fcd_are_nan_where_a_region_is_constant(case):
    data, undefined = case
    (fc, _), warned = _run(sliding_window_fc, data, DT, window_ms=300.0, step_ms=150.0)
    _assert_warned_for(warned, undefined)
    assert np.isnan(fc[:, undefined]).all() and np.isnan(fc[:, :, undefined]).all()
    assert np.isfinite(fc[:, ~undefined][:, :, ~undefined]).all()
    if data.shape[1] < 3:
        with pytest.raises(ValueError, match="'data' parameter.*at least 3 regions"):
            functional_connectivity_dynamics(data, DT, 300.0, 150.0)
        return
    (fcd, _), warned = _run(functional_connectivity_dynamics, data, DT, 300.0, 150.0)
    _assert_warned_for(warned, undefined)
    assert np.isnan(fcd).all() if undefined.any() else np.isfinite(fcd).all()


@FEW
@given(signals(), st.sampled_from([None, (4, 8)]))
def test_instantaneous_phase_is_nan_exactly_for_constant_regions(case, band):
    data, undefined = case
    phase, warned = _run(instantaneous_phase, data, DT, band=band)
    _assert_warned_for(warned, undefined)
    assert np.isnan(phase[:, undefined]).all() and np.isfinite(phase[:, ~undefined]).all()
    single, warned = _run(instantaneous_phase, data[:, 0], DT, band=band)
    assert np.isnan(single).all() == undefined[0] and len(warned) == int(undefined[0])


@FEW
@given(signals())
def test_kuramoto_order_leaves_out_constant_regions(case):
    data, undefined = case
    if data.shape[1] < 2:
        with pytest.raises(ValueError, match="'data' parameter.*at least 2 regions, but got 1"):
            kuramoto_order_parameter(data, DT, band=(4, 8))
        return
    order, warned = _run(kuramoto_order_parameter, data, DT, band=(4, 8), edge_ms=100.0)
    _assert_warned_for(warned, undefined)
    if (~undefined).sum() < 2:
        assert np.isnan(order).all()
        return
    assert ((0 <= order) & (order <= 1 + 1e-12)).all()
    alone = data[:, ~undefined]
    expected = kuramoto_order_parameter(alone, DT, (4, 8), 100.0)
    np.testing.assert_allclose(order, expected, rtol=1e-9, atol=1e-12)


@FEW
@given(signals(max_region=2))
def test_phase_amplitude_coupling_of_a_constant_signal_is_nan(case):
    data, undefined = case
    for region in range(data.shape[1]):
        for measure in (modulation_index, mean_vector_length):
            value, warned = _run(measure, data[:, region], DT, **PAC_BANDS)
            if undefined[region]:
                assert np.isnan(value) and len(warned) == 1 and warned[0].regions == (0,)
                assert f"{measure.__name__}: the signal 'data' is numerically" in str(warned[0])
            else:
                assert warned == [] and 0 <= value <= 1


@FEW
@given(signals(), st.sampled_from(["absolute", "std", "ratio"]))
def test_propagation_never_recruits_a_constant_region(case, kind):
    data, undefined = case
    threshold = {"absolute": 1e-3, "std": 3.0, "ratio": 2.0}[kind]
    result, warned = _run(propagation_onsets, data, DT, STIMULUS_MS, threshold, kind=kind)
    assert not result.recruited[undefined].any()
    negative = data[: int(STIMULUS_MS / DT)].mean(axis=0) < 0
    if kind == "ratio" and negative.any():  # a ratio to a negative baseline is undefined
        assert len(warned) == 1 and warned[0].regions == tuple(np.flatnonzero(negative))
        assert np.isnan(result.level[negative]).all() and not result.recruited[negative].any()
    else:
        assert warned == [] and np.isfinite(result.level).all()


# --- the measures on matrices, spectra and phase-amplitude pairs ------------------------------


@FEW
@given(st.integers(2, 5), st.floats(0, 1), st.integers(0, 2**32 - 1))
def test_mean_off_diagonal_leaves_out_nan_entries(n, fraction, seed):
    rng = np.random.default_rng(seed)
    matrix = rng.uniform(-1, 1, (n, n))
    matrix[rng.uniform(size=(n, n)) < fraction] = np.nan
    pairs = matrix[~np.eye(n, dtype=bool)]
    mean, warned = _run(mean_off_diagonal, matrix)
    if np.isnan(pairs).all():
        assert np.isnan(mean) and len(warned) == 1 and "every off-diagonal" in str(warned[0])
    else:
        assert warned == [] and mean == pytest.approx(np.nanmean(pairs))
    matrix[0, 1] = np.inf
    with pytest.raises(ValueError, match="'matrix' parameter. Allowed are finite values and NaN"):
        mean_off_diagonal(matrix)


@FEW
@given(st.integers(1, 40), st.floats(0, 1e3), st.integers(0, 2**32 - 1))
def test_peak_frequency_of_a_flat_spectrum_is_nan(n_freq, level, seed):
    freqs = np.arange(n_freq) * 2.0
    flat, warned = _run(peak_frequency, freqs, np.full(n_freq, level), fmin=0.0)
    assert np.isnan(flat) and len(warned) == 1 and "flat" in str(warned[0])
    bad = np.random.default_rng(seed).uniform(size=n_freq)
    bad[n_freq // 2] = np.nan
    with pytest.raises(ValueError, match="'psd' parameter. Allowed are finite values >= 0"):
        peak_frequency(freqs, bad)
    with pytest.raises(ValueError, match="'psd' parameter. Allowed are finite values >= 0"):
        peak_frequency(freqs, -np.ones(n_freq))


def test_peak_frequency_rejects_bad_frequencies():
    with pytest.raises(ValueError, match="'freqs' parameter.*increasing"):
        peak_frequency(np.array([0.0, 2.0, 1.0]), np.ones(3))
    with pytest.raises(ValueError, match="'freqs' parameter.*finite"):
        peak_frequency(np.array([0.0, np.nan, 1.0]), np.ones(3))


@FEW
@given(st.integers(36, 400), st.integers(0, 2**32 - 1))
def test_phase_amplitude_distribution_of_zero_amplitude_is_nan(n_time, seed):
    phase = np.random.default_rng(seed).uniform(-np.pi, np.pi, n_time)
    phase[:18] = np.linspace(-np.pi, np.pi, 18, endpoint=False) + 0.1  # no empty bin
    distribution, warned = _run(phase_amplitude_distribution, phase, np.zeros(n_time))
    assert np.isnan(distribution).all() and len(warned) == 1 and "zero throughout" in str(warned[0])
    distribution, warned = _run(phase_amplitude_distribution, phase, np.ones(n_time))
    assert warned == [] and distribution.sum() == pytest.approx(1.0)
    with pytest.raises(ValueError, match="'phase' parameter. Allowed are finite values"):
        phase_amplitude_distribution(np.where(phase > 0, np.nan, phase), np.ones(n_time))
    with pytest.raises(ValueError, match="'amplitude' parameter. Allowed are values >= 0"):
        phase_amplitude_distribution(phase, -np.ones(n_time))


# --- errors: non-finite input, a single sample ----------------------------------------------

MEASURES = {
    "power_spectrum": lambda d: power_spectrum(d, DT),
    "functional_connectivity": functional_connectivity,
    "mean_functional_connectivity": mean_functional_connectivity,
    "sliding_window_fc": lambda d: sliding_window_fc(d, DT, 300.0, 150.0),
    "functional_connectivity_dynamics": lambda d: functional_connectivity_dynamics(
        d, DT, 300.0, 150.0
    ),
    "instantaneous_phase": lambda d: instantaneous_phase(d, DT, band=(4, 8)),
    "kuramoto_order_parameter": lambda d: kuramoto_order_parameter(d, DT, band=(4, 8)),
    "modulation_index": lambda d: modulation_index(d[:, 0], DT, **PAC_BANDS),
    "mean_vector_length": lambda d: mean_vector_length(d[:, 0], DT, **PAC_BANDS),
    "propagation_onsets": lambda d: propagation_onsets(d, DT, STIMULUS_MS, 1e-3),
}


@pytest.mark.parametrize("name", sorted(MEASURES))
@settings(max_examples=10, deadline=None)
@given(case=signals(), bad=st.sampled_from([np.nan, np.inf, -np.inf]), where=st.data())
def test_non_finite_input_is_an_error(name, case, bad, where):
    data = case[0].copy()
    sample = where.draw(st.integers(0, N_TIME - 1))
    data[sample, 0] = bad
    with pytest.raises(ValueError, match="'data' parameter. Allowed are finite values, but got 1"):
        MEASURES[name](data)


@pytest.mark.parametrize("name", sorted(MEASURES))
@pytest.mark.parametrize("n_time", [0, 1])
def test_fewer_than_two_samples_is_an_error(name, n_time):
    data = np.ones((n_time, 3))
    with pytest.raises(ValueError, match=f"'data' parameter.*at least 2 samples.*\\({n_time},"):
        MEASURES[name](data)


# --- callers: propagation thresholds and virtual lesions ------------------------------------


def test_rounding_jitter_at_a_fixed_point_does_not_recruit_a_region():
    rng = np.random.default_rng(2)
    at_rest = 0.1 * (1 + EPS * rng.integers(-8, 9, (400, 1)))
    silent_then_on = np.where(np.arange(400) >= 300, 1e-12, 0.0)[:, None]
    data = np.hstack([at_rest, silent_then_on])
    result, warned = _run(propagation_onsets, data, DT, 100.0, threshold=3.0, kind="std")
    assert warned == []
    assert not result.recruited[0]  # the jitter stays below the floor of 100 eps x 0.1
    assert result.recruited[1] and result.onset_ms[1] == pytest.approx(50.0)  # exact zeros


def test_ratio_to_a_negative_baseline_is_undefined():
    data = np.column_stack([np.full(400, -0.2), np.full(400, 0.1)])
    data[300:] *= 3.0
    with pytest.warns(UndefinedMeasureWarning, match="baseline of region 0 of 'data' is negative"):
        result = propagation_onsets(data, DT, 100.0, threshold=2.0, kind="ratio")
    assert np.isnan(result.level[0]) and not result.recruited[0]
    assert result.recruited[1] and result.onset_ms[1] == pytest.approx(50.0)


def test_virtual_lesions_gather_the_measures_warnings_into_one():
    from tvb_ngnmm.analysis import virtual_lesion_ranking

    def simulate(weights):  # region 0 sits at a fixed point, the others fluctuate
        rng = np.random.default_rng(int(weights.sum()))
        data = rng.standard_normal((200, weights.shape[0]))
        data[:, 0] = 0.3
        return data

    weights = np.ones((4, 4)) - np.eye(4)
    with pytest.warns(UndefinedMeasureWarning, match="lesions of 3 regions \\[1, 2, 3\\]") as rec:
        result = virtual_lesion_ranking(simulate, weights, progress=False)
    assert len(rec) == 1 and rec[0].message.regions == (1, 2, 3)
    assert np.isfinite(result.change).all()  # the mean FC over the fluctuating regions

    def noisy_measure(output):
        warnings.warn("something else", UserWarning, stacklevel=2)
        return float(output.mean())

    with pytest.warns(UserWarning, match="something else"):
        virtual_lesion_ranking(simulate, weights, measure=noisy_measure, progress=False)
