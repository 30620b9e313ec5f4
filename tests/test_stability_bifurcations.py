"""Fixed points, continuation and limit cycles against theory and independent integration."""

import numpy as np
import pytest
from scipy.integrate import solve_ivp

from tvb_ngnmm.models import NextGenEI
from tvb_ngnmm.models.presets import make_model
from tvb_ngnmm.stability.continuation import continue_fixed_points
from tvb_ngnmm.stability.fixed_points import NoFixedPointError, find_fixed_points
from tvb_ngnmm.stability.limit_cycles import OrbitNotClosedError, find_limit_cycle

# MPRSynaptic "working_memory": tau=10, tau_s=100, eta=-5, Delta=1, J=15.
TAU, ETA, DELTA, J = 10.0, -5.0, 1.0, 15.0


def _mpr_rates_from_polynomial(current):
    """Fixed-point rates of MPRSynaptic: with s = r, v = -Delta/(2 pi tau r), v' = 0 gives
    -pi² tau² r⁴ + tau J r³ + (eta + I) r² + Delta²/(4 pi² tau²) = 0."""
    coefficients = [
        -((np.pi * TAU) ** 2),
        TAU * J,
        ETA + current,
        0.0,
        DELTA**2 / (2 * np.pi * TAU) ** 2,
    ]
    roots = np.roots(coefficients)
    return np.sort(roots[(np.abs(roots.imag) < 1e-12) & (roots.real > 0)].real)


def _mpr_fold_currents():
    """dI/dr = 0 on I(r) = -Delta²/(4pi²tau²r²) - eta + pi²tau²r² - tau J r."""
    roots = np.roots(
        [2 * (np.pi * TAU) ** 2, -TAU * J, 0.0, 0.0, DELTA**2 / (2 * np.pi**2 * TAU**2)]
    )
    r = roots[(np.abs(roots.imag) < 1e-12) & (roots.real > 0)].real
    return np.sort(
        -(DELTA**2) / (2 * np.pi * TAU * r) ** 2 - ETA + (np.pi * TAU * r) ** 2 - TAU * J * r
    )


def test_working_memory_is_bistable():
    fixed = find_fixed_points(make_model("working_memory"))
    rates_hz = fixed.states[:, 0] * 1000
    np.testing.assert_allclose(rates_hz, _mpr_rates_from_polynomial(0.0) * 1000, rtol=1e-8)
    np.testing.assert_allclose(rates_hz, [8.11, 47.3, 103.06], atol=0.02)
    assert fixed.stable.tolist() == [True, False, True]
    assert np.sum(fixed.eigenvalues[1].real > 0) == 1  # a saddle
    assert fixed.to_dataset().sizes["fixed_point"] == 3


def test_working_memory_folds_from_continuation():
    branch = continue_fixed_points(make_model("working_memory"), "I", -3.0, 3.0)
    folds = sorted(b.parameter for b in branch.bifurcations if b.kind == "saddle-node")
    np.testing.assert_allclose(folds, _mpr_fold_currents(), atol=1e-7)
    # Every point of the branch satisfies the polynomial fixed-point condition.
    for current, rate in zip(branch.parameter[::20], branch.states[::20, 0], strict=True):
        assert np.min(np.abs(_mpr_rates_from_polynomial(current) - rate)) < 1e-8
    inside = (branch.parameter > folds[0] + 0.1) & (branch.parameter < folds[1] - 0.1)
    assert {True, False} <= set(branch.stable[inside].tolist())  # both stabilities in between


def _oscillation_amplitude(current, t_end=1500.0):
    field_model = NextGenEI(I_e=np.array([current]))
    from tvb_ngnmm.stability.jacobian import VectorField

    field = VectorField(field_model)
    x0 = find_fixed_points(field).states[0] + 1e-3
    sol = solve_ivp(lambda t, x: field(x), (0, t_end), x0, method="LSODA", rtol=1e-9, atol=1e-12,
                    t_eval=np.linspace(t_end - 200, t_end, 2001))  # fmt: skip
    return np.ptp(sol.y[0]) * 1000.0


def test_single_node_hopf_point():
    branch = continue_fixed_points(NextGenEI(), "I_e", 0.0, 16.0)
    hopf = [b for b in branch.bifurcations if b.kind == "hopf"]
    assert len(hopf) == 1
    i_h = hopf[0].parameter
    # Independent: finite-difference Jacobian of dfun at the refined point has a pair on the axis.
    model = NextGenEI(I_e=np.array([i_h]))
    x = hopf[0].state

    def f(y):
        return model.dfun(y[:, None, None], np.zeros((1, 1, 1)))[:, 0, 0]

    fd = np.array([(f(x + h) - f(x - h)) / 2e-7 for h in 1e-7 * np.eye(6)]).T
    eig = np.linalg.eigvals(fd)
    critical = eig[np.argmax(eig.real)]
    assert abs(critical.real) < 1e-6
    np.testing.assert_allclose(
        abs(critical.imag) / (2 * np.pi) * 1000, hopf[0].frequency, rtol=1e-5
    )
    # Simulation: decays just below, oscillates just above.
    assert _oscillation_amplitude(i_h - 0.3) < 1e-3
    assert _oscillation_amplitude(i_h + 0.3) > 1.0


def test_limit_cycle_at_i_e_10():
    cycle = find_limit_cycle(NextGenEI(), I_e=10.0)
    from tvb_ngnmm.stability.jacobian import VectorField

    field = VectorField(NextGenEI(I_e=np.array([10.0])))
    # Independent period: upward crossings of a long plain integration.
    sol = solve_ivp(lambda t, x: field(x), (0, 600), cycle.orbit[0] * 1.01, method="DOP853",
                    rtol=1e-10, atol=1e-12, dense_output=True)  # fmt: skip
    t = np.linspace(200, 600, 160001)
    r = sol.sol(t)[0]
    level = r.mean()
    up = t[1:][(r[:-1] < level) & (r[1:] >= level)]
    np.testing.assert_allclose(cycle.period, np.mean(np.diff(up)), rtol=1e-4)
    # Floquet: a trivial multiplier 1, and Liouville: prod(mu) = exp(∫ trace J dt).
    assert np.min(np.abs(cycle.multipliers - 1.0)) < 1e-6
    traces = np.trace(field.jacobian(cycle.orbit), axis1=-2, axis2=-1)
    integral = np.trapezoid(traces, cycle.time)
    np.testing.assert_allclose(np.log(abs(np.prod(cycle.multipliers))), integral, rtol=1e-3)
    assert cycle.stable


def test_bad_input():
    with pytest.raises(OrbitNotClosedError, match="settled on a fixed point"):
        find_limit_cycle(NextGenEI(), I_e=2.0, transient=300.0)
    with pytest.raises(NoFixedPointError, match="No fixed point found for MPRSynaptic"):
        find_fixed_points(make_model("working_memory"), guesses=np.array([[-0.05, 0.5, -0.05]]))
    with pytest.raises(ValueError, match="'parameter' parameter.*but got 'I_x' instead"):
        continue_fixed_points(NextGenEI(), "I_x", 0.0, 1.0)
