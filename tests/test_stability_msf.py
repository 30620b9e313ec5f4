"""The Master Stability Function: against the full network Jacobian and against simulation."""

import numpy as np
import pytest
from scipy.integrate import solve_ivp
from tvb.simulator import coupling as tvb_coupling

from tvb_ngnmm.connectomes import load_aal90
from tvb_ngnmm.coupling import Additive, Laplacian
from tvb_ngnmm.models import NextGenEI
from tvb_ngnmm.stability.jacobian import VectorField
from tvb_ngnmm.stability.limit_cycles import find_limit_cycle
from tvb_ngnmm.stability.lyapunov import network_vector_field
from tvb_ngnmm.stability.msf import (
    NonDiagonalisableError,
    coupling_modes,
    msf_map,
    transverse_floquet,
    transverse_modes,
)


def _ring(n=7, forward=0.7):
    """A directed, non-symmetric ring with row sums 1: complex eigenvalues."""
    w = np.zeros((n, n))
    for i in range(n):
        w[i, (i - 1) % n], w[i, (i + 1) % n] = forward, 1.0 - forward
    return w


def _network_jacobian(rhs, x, n_node, h=1e-7):
    """Central finite differences of the whole network vector field."""
    x = x.ravel()
    columns = [
        (rhs((x + d).reshape(-1, n_node)) - rhs((x - d).reshape(-1, n_node))).ravel() / (2 * h)
        for d in h * np.eye(x.size)
    ]
    return np.array(columns).T


@pytest.mark.parametrize(
    ("weights", "coupling"),
    [
        (_ring(), None),
        (_ring(), tvb_coupling.Linear(a=np.array([4.0]))),
        (
            np.random.default_rng(2).uniform(0, 1, (6, 6)),
            Laplacian(a=np.array([3.0]), normalize="rw"),
        ),
        (
            np.random.default_rng(3).uniform(0, 1, (6, 6)),
            tvb_coupling.Difference(a=np.array([0.5])),
        ),
        (
            np.random.default_rng(4).uniform(0, 1, (6, 6)),
            Additive(a=np.array([6.0]), normalize="row"),
        ),
    ],
)
def test_modes_are_the_network_jacobian_spectrum(weights, coupling):
    """The eigenvalues of all mode matrices are those of the full network Jacobian."""
    modes = coupling_modes(weights, coupling)
    strength = 5.0 if coupling is None else None
    model = NextGenEI(I_e=np.array([8.0]))
    spectrum = transverse_modes(model, modes, strength)
    eps = modes.gain if strength is None else strength
    operator = modes.eigenvectors @ np.diag(modes.eigenvalues) @ modes.left_eigenvectors
    rhs = network_vector_field(VectorField(model), operator.real, eps)
    n = len(weights)
    x = np.repeat(spectrum.homogeneous_state[:, None], n, axis=1)
    np.testing.assert_allclose(rhs(x), 0.0, atol=1e-12)  # homogeneous state is a fixed point
    full = np.linalg.eigvals(_network_jacobian(rhs, x, n))
    predicted = spectrum.exponents.ravel()
    for value in predicted:
        assert np.min(np.abs(full - value)) < 1e-5
    assert np.isclose(modes.eigenvalues[modes.synchronous], modes.row_sum)


def _simulate(eps, duration, amplitude, seed=1):
    weights = load_aal90(normalize="row").weights
    modes = coupling_modes(weights)
    model = NextGenEI(I_e=np.array([15.0]))
    spectrum = transverse_modes(model, modes, eps)
    rhs = network_vector_field(VectorField(model), weights, eps)
    x_hom = spectrum.homogeneous_state[:, None]
    rng = np.random.default_rng(seed)
    x0 = x_hom * (1.0 + amplitude * rng.standard_normal((6, 90)))
    sol = solve_ivp(lambda t, y: rhs(y.reshape(6, 90)).ravel(), (0, duration), x0.ravel(),
                    method="DOP853", rtol=1e-10, atol=1e-15, dense_output=True)  # fmt: skip
    return modes, spectrum, sol


def _measured_rate(modes, spectrum, sol, mode, start, stop):
    """Growth rate of the projection onto ``mode``, sampled every half period of the mode."""
    times = np.arange(start, stop, 500.0 / spectrum.frequency[mode])
    deviation = sol.sol(times).reshape(6, 90, -1) - spectrum.homogeneous_state[:, None, None]
    projection = np.einsum("i,vit->tv", modes.left_eigenvectors[mode], deviation)
    return np.polyfit(times, np.log(np.linalg.norm(projection, axis=1)), 1)[0]


def test_unstable_prediction_meets_simulation_at_15_9():
    """AAL90, (I_e, ε) = (15, 9): a stable homogeneous fixed point (~125 Hz) that is transversely
    unstable (a Hopf-like instability at ~113 Hz); the simulation departs at the predicted rate."""
    modes, spectrum, sol = _simulate(9.0, 400.0, 1e-7)
    assert spectrum.homogeneous_stable and 120 < spectrum.homogeneous_state[0] * 1000 < 130
    assert spectrum.n_unstable > 0 and 100 < spectrum.frequency[spectrum.fastest] < 125
    for mode in np.argsort(-spectrum.growth_rate)[:3]:
        rate = _measured_rate(modes, spectrum, sol, mode, 100.0, 400.0)
        np.testing.assert_allclose(rate, spectrum.growth_rate[mode], rtol=0.1)
    # In the predicted modes: the deviation lives in the unstable subspace at the end.
    deviation = sol.y[:, -1].reshape(6, 90) - spectrum.homogeneous_state[:, None]
    amplitudes = np.linalg.norm(modes.project(deviation), axis=0)
    unstable = spectrum.growth_rate > 0
    assert np.sum(amplitudes[unstable] ** 2) / np.sum(amplitudes**2) > 0.99
    spread = np.ptp(sol.y[:90], axis=0)  # spread of r_e over regions
    assert spread[-1] > 100 * spread[0]


def test_stable_prediction_meets_simulation_at_15_15():
    modes, spectrum, sol = _simulate(15.0, 250.0, 1e-6)
    assert spectrum.n_unstable == 0
    for mode in np.argsort(-spectrum.growth_rate)[:2]:
        rate = _measured_rate(modes, spectrum, sol, mode, 80.0, 250.0)
        np.testing.assert_allclose(rate, spectrum.growth_rate[mode], rtol=0.1)
    spread = np.ptp(sol.y[:90], axis=0)
    assert spread[-1] < 0.1 * spread[0]  # stays homogeneous


def test_floquet_synchronous_mode_is_the_node_cycle():
    """Around the homogeneous cycle, the synchronous mode's multipliers are the cycle's own."""
    modes = coupling_modes(_ring(5))
    cycle = find_limit_cycle(NextGenEI(), 2.0, I_e=10.0)
    spectrum = transverse_floquet(NextGenEI(), modes, cycle, 2.0, I_e=10.0, n_steps=800)
    own = np.sort(cycle.exponents)[::-1]
    got = np.sort(spectrum.exponents[modes.synchronous].real)[::-1]
    np.testing.assert_allclose(got, own, atol=1e-5)
    assert spectrum.kind == "limit cycle" and spectrum.growth_rate.shape == (5,)


def test_map_small_grid_matches_pointwise():
    modes = coupling_modes(_ring(6))
    values, strengths = np.array([5.0, 15.0]), np.array([0.0, 9.0, 15.0])
    ds = msf_map(NextGenEI(), modes, "I_e", values, strengths, n_jobs=2, progress=False)
    for i, value in enumerate(values):
        for j, eps in enumerate(strengths):
            spectrum = transverse_modes(NextGenEI(), modes, eps, I_e=value)
            assert ds.n_unstable.values[i, j] == spectrum.n_unstable
            np.testing.assert_allclose(
                ds.max_growth_rate.values[i, j], spectrum.growth_rate[spectrum.fastest]
            )


def test_bad_input():
    defective = np.array([[0.0, 1.0, 0.0], [0.0, 0.0, 1.0], [0.0, 0.0, 1.0]])
    with pytest.raises(NonDiagonalisableError, match="not diagonalisable"):
        coupling_modes(defective)
    with pytest.raises(ValueError, match="equal row sums"):
        coupling_modes(np.random.default_rng(0).uniform(0, 1, (4, 4)))
    with pytest.raises(ValueError, match="'coupling' parameter.*but got Sigmoidal instead"):
        coupling_modes(_ring(), tvb_coupling.Sigmoidal())
    with pytest.raises(ValueError, match="'a' parameter of Linear.*one gain"):
        coupling_modes(_ring(3), tvb_coupling.Linear(a=np.array([1.0, 2.0, 3.0])))
    with pytest.raises(ValueError, match="'parameter' parameter.*but got 'I_x'"):
        msf_map(NextGenEI(), coupling_modes(_ring()), "I_x", [1.0], [1.0], progress=False)
    cycle = find_limit_cycle(NextGenEI(), 0.0, I_e=10.0)
    with pytest.raises(ValueError, match="'cycle' parameter.*self_coupling=0.0"):
        transverse_floquet(NextGenEI(), coupling_modes(_ring()), cycle, 2.0, I_e=10.0)


def test_map_uses_the_homogeneous_cycle_where_the_fixed_point_is_unstable():
    """At ε = 0 every mode is the lone node's cycle: the largest transverse Floquet exponent
    is the neutral one (0) and no mode is unstable."""
    modes = coupling_modes(_ring(4))
    ds = msf_map(NextGenEI(), modes, "I_e", [10.0], [0.0], n_jobs=1, progress=False,
                 limit_cycles=True)  # fmt: skip
    assert bool(ds.on_limit_cycle.values[0, 0]) and not bool(ds.homogeneous_stable.values[0, 0])
    assert abs(ds.max_growth_rate.values[0, 0]) < 1e-5
    assert ds.n_unstable.values[0, 0] == 0
