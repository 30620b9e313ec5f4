"""The engine's seeded normals (``engine.normals``): the standard normal distribution, in order.

The checks are statistical, on fixed seeds, with thresholds a correct generator passes and a
wrong table, a wrong tail or a wrong wedge test fails (each is far outside them).
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from tvb_ngnmm.engine import normals
from tvb_ngnmm.engine.normals import NormalStream

N = 2_000_000


@pytest.fixture(scope="module", params=[0, 12345])
def draws(request):
    return NormalStream(request.param).standard_normal(N)


def test_moments_and_kolmogorov_smirnov(draws):
    se = 1.0 / np.sqrt(N)
    assert abs(draws.mean()) < 5 * se
    assert abs(draws.var() - 1.0) < 5 * np.sqrt(2.0) * se
    assert abs(stats.skew(draws)) < 5 * np.sqrt(6.0) * se
    assert abs(stats.kurtosis(draws)) < 5 * np.sqrt(24.0) * se
    assert stats.kstest(draws, "norm").pvalue > 1e-4


def test_histogram_matches_the_density_layer_by_layer(draws):
    # 400 bins over [-5, 5]: narrow enough to see one ziggurat layer's wedge if it were wrong.
    edges = np.linspace(-5.0, 5.0, 401)
    observed, _ = np.histogram(draws, edges)
    expected = N * np.diff(stats.norm.cdf(edges))
    keep = expected > 20
    chi2 = np.sum((observed[keep] - expected[keep]) ** 2 / expected[keep])
    assert stats.chi2.sf(chi2, keep.sum() - 1) > 1e-4


@pytest.mark.parametrize("threshold", [3.0, 3.6541528853610088, 4.0, 4.5])
def test_tail_frequencies(draws, threshold):
    # Beyond r = 3.654 the draws come from the tail method, not from the layers.
    count = int(np.sum(np.abs(draws) > threshold))
    p = 2.0 * stats.norm.sf(threshold)
    assert stats.binomtest(count, N, p).pvalue > 1e-4, (count, N * p)


def test_signs_and_serial_correlation(draws):
    assert stats.binomtest(int(np.sum(draws > 0)), N, 0.5).pvalue > 1e-4
    for lag in (1, 2, 7):
        r = np.corrcoef(draws[:-lag], draws[lag:])[0, 1]
        assert abs(r) < 5.0 / np.sqrt(N)
    # Consecutive pairs fall in the four quadrants equally (independence, not only correlation)
    pairs = draws[: N // 2 * 2].reshape(-1, 2) > 0
    table = np.bincount(pairs[:, 0] * 2 + pairs[:, 1], minlength=4)
    assert stats.chisquare(table).pvalue > 1e-4


def test_draws_do_not_depend_on_how_they_are_split():
    whole = NormalStream(7).standard_normal((30, 2, 5))
    stream = NormalStream(7)
    parts = [stream.standard_normal((n, 2, 5)) for n in (1, 12, 17)]
    np.testing.assert_array_equal(np.concatenate(parts), whole)


def test_seeds_give_different_streams_and_repeat():
    a = NormalStream(1).standard_normal(1000)
    np.testing.assert_array_equal(NormalStream(1).standard_normal(1000), a)
    b = NormalStream(2).standard_normal(1000)
    assert abs(np.corrcoef(a, b)[0, 1]) < 0.15
    children = np.random.SeedSequence(1).spawn(2)
    c, d = (NormalStream(s).standard_normal(1000) for s in children)
    assert not np.array_equal(c, d) and not np.array_equal(c, a)


def test_python_transcription_gives_the_same_draws():
    # The JIT-disabled path: Python integers, the same algorithm; equal draws and end state.
    compiled = NormalStream(3)
    python = NormalStream(3)
    expected = compiled.standard_normal(3000)
    got = np.empty(3000)
    normals._fill_python(python.state, got, normals._X, normals._Y)
    np.testing.assert_array_equal(got, expected)
    np.testing.assert_array_equal(python.state, compiled.state)


def test_ziggurat_layers_have_equal_areas():
    # Each layer (rectangle plus wedge) and the base (rectangle plus tail) has the same area.
    x, y = normals._X, normals._Y
    rect = x[1:-1] * (y[2:] - y[1:-1])
    base = x[1] * y[1] + np.sqrt(np.pi / 2) * stats.norm.sf(x[1]) * 2
    np.testing.assert_allclose(rect, base, rtol=1e-9)
    assert x[-1] == 0.0 and np.all(np.diff(x[1:]) < 0)


@pytest.mark.parametrize("seed", [-1, 1.5, "7", None, True])
def test_a_bad_seed_is_refused_naming_the_parameter(seed):
    with pytest.raises(ValueError, match=r"'seed' parameter of NormalStream.*integers >= 0"):
        NormalStream(seed)
