"""Jacobians of the models: hand-derived entries, finite differences, and bad input."""

import numpy as np
import pytest
from tvb.simulator.models import MontbrioPazoRoxin

from tvb_ngnmm.models import MPRSynaptic, NextGenEI
from tvb_ngnmm.stability.jacobian import VectorField, coupling_jacobian, jacobian
from tvb_ngnmm.testing import check_jacobian


def test_next_gen_ei_jacobian_entries_derived_by_hand():
    """Entries from differentiating SPEC §2.1 by hand (paper's defaults)."""
    x = np.array([0.02, -0.7, 0.015, 0.03, -0.4, 0.025])
    r_e, v_e, _, r_i, v_i, _ = x
    tau, tau_se, tau_si = 8.0, 1.0, 5.0
    J = jacobian(NextGenEI(), x, 0.3)
    expected = np.zeros((6, 6))
    expected[0, 0], expected[0, 1] = 2 * v_e / tau, 2 * r_e / tau
    expected[1, 0], expected[1, 1] = -2 * np.pi**2 * tau * r_e, 2 * v_e / tau
    expected[1, 2], expected[1, 5] = 5.0, -13.0
    expected[2, 0], expected[2, 2] = 1 / tau_se, -1 / tau_se
    expected[3, 3], expected[3, 4] = 2 * v_i / tau, 2 * r_i / tau
    expected[4, 3], expected[4, 4] = -2 * np.pi**2 * tau * r_i, 2 * v_i / tau
    expected[4, 2], expected[4, 5] = 13.0, -5.0
    expected[5, 3], expected[5, 5] = 1 / tau_si, -1 / tau_si
    np.testing.assert_allclose(J, expected, rtol=1e-12, atol=1e-14)
    B = coupling_jacobian(NextGenEI(c_e=np.array([0.7]), c_i=np.array([0.2])), x, 0.3)
    np.testing.assert_allclose(B[:, 0], [0, 0.7, 0, 0, 0.2, 0], atol=1e-14)


def test_mpr_synaptic_jacobian_entries_derived_by_hand():
    x = np.array([0.05, -0.3, 0.04])
    tau, tau_s, J_rec = 10.0, 5.0, 15.0
    expected = np.array(
        [
            [2 * x[1] / tau, 2 * x[0] / tau, 0.0],
            [-2 * np.pi**2 * tau * x[0], 2 * x[1] / tau, J_rec],
            [1 / tau_s, 0.0, -1 / tau_s],
        ]
    )
    np.testing.assert_allclose(jacobian(MPRSynaptic(), x), expected, rtol=1e-12)


@pytest.mark.parametrize(
    "model", [NextGenEI(I_e=np.array([3.0])), MPRSynaptic(), MontbrioPazoRoxin()]
)
def test_jacobians_match_finite_differences_batched(model):
    """Batched evaluation over many states equals central differences of dfun, TVB's MPR too."""
    field = VectorField(model)
    rng = np.random.default_rng(0)
    states = rng.uniform(0.01, 0.2, (4, field.n_var)) * np.where(
        np.char.startswith(np.array(field.state_variables, dtype=str), "v") |
        np.char.startswith(np.array(field.state_variables, dtype=str), "V"), -10.0, 1.0
    )  # fmt: skip
    got = field.jacobian(states, 0.2)
    for state, jac in zip(states, got, strict=True):
        fd = np.array(
            [
                (field(state + h, 0.2) - field(state - h, 0.2)) / 2e-6
                for h in 1e-6 * np.eye(field.n_var)
            ]
        ).T
        np.testing.assert_allclose(jac, fd, rtol=1e-6, atol=1e-7)


def test_parameter_derivative_matches_theory():
    field = VectorField(NextGenEI())
    d = field.parameter_derivative("I_e", np.full(6, 0.01))
    np.testing.assert_allclose(d, [0, 1 / 8.0, 0, 0, 0, 0], atol=1e-15)


def test_check_jacobian_can_fail(monkeypatch):
    check_jacobian(NextGenEI)
    original = VectorField.jacobian

    def wrong(self, state, coupling=0.0):
        return original(self, state, coupling) * 1.01

    monkeypatch.setattr(VectorField, "jacobian", wrong)
    with pytest.raises(AssertionError, match="Jacobian with respect to the state"):
        check_jacobian(NextGenEI)


def test_bad_input():
    with pytest.raises(ValueError, match="'I_e' parameter of NextGenEI.*one value per parameter"):
        VectorField(NextGenEI(I_e=np.array([1.0, 2.0])))
    with pytest.raises(ValueError, match="Allowed values are .*but got 'I_x' instead"):
        VectorField(NextGenEI(), I_x=1.0)
    with pytest.raises(ValueError, match="'state' parameter.*end in \\(6,\\)"):
        jacobian(NextGenEI(), np.zeros(3))
