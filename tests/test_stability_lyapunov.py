"""Lyapunov exponents against Floquet exponents and the MSF eigenvalues."""

import numpy as np
import pytest

from tvb_ngnmm.models import NextGenEI
from tvb_ngnmm.stability.limit_cycles import find_limit_cycle
from tvb_ngnmm.stability.lyapunov import lyapunov_exponents
from tvb_ngnmm.stability.msf import coupling_modes, transverse_modes


def test_homogeneous_cycle_exponents_are_floquet_exponents():
    """On a stable limit cycle: λ1 = 0 (along the flow) and λ2 = the next Floquet exponent."""
    cycle = find_limit_cycle(NextGenEI(), I_e=10.0)
    spectrum = lyapunov_exponents(
        NextGenEI(I_e=np.array([10.0])), cycle.orbit[0], n_exponents=2,
        duration=400.0, transient=0.0, dt=0.1,
    )  # fmt: skip
    floquet = np.sort(cycle.exponents)[::-1]
    assert abs(spectrum.exponents[0]) < 3e-3
    np.testing.assert_allclose(spectrum.exponents[1], floquet[1], rtol=0.05)


def test_network_exponents_at_fixed_point_are_msf_eigenvalues():
    """At a stable homogeneous fixed point the exponents are the real parts of all modes'
    eigenvalues (each mode contributes its six)."""
    n = 5
    weights = np.roll(np.eye(n), 1, axis=1) * 0.6 + np.roll(np.eye(n), -1, axis=1) * 0.4
    modes = coupling_modes(weights)
    model = NextGenEI(I_e=np.array([0.0]))
    msf = transverse_modes(model, modes, 2.0)
    state = np.repeat(msf.homogeneous_state[:, None], n, axis=1) + 1e-9
    spectrum = lyapunov_exponents(
        model, state, weights, coupling_strength=2.0, n_exponents=3,
        duration=200.0, transient=100.0, dt=0.1,
    )  # fmt: skip
    expected = np.sort(msf.exponents.real.ravel())[::-1][:3]
    np.testing.assert_allclose(spectrum.exponents, expected, rtol=0.05)


def test_bad_input():
    with pytest.raises(ValueError, match="'n_exponents' parameter.*1 to 6, but got 7"):
        lyapunov_exponents(NextGenEI(), np.full(6, 0.01), n_exponents=7, duration=1.0)
    with pytest.raises(ValueError, match="'state' parameter.*3 regions.*has 2"):
        lyapunov_exponents(NextGenEI(), np.full((6, 2), 0.01), np.eye(3), duration=1.0)
