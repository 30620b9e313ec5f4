"""Model-specific facts about NextGenEI and MPRSynaptic (the common checks are in test_common).

References are independent of the package: SPEC's parameter table, TVB's own
``MontbrioPazoRoxin``, and a fixed point solved from SPEC's equations with SciPy.
"""

import re

import numpy as np
import pytest
from scipy.optimize import fsolve
from tvb.simulator import integrators
from tvb.simulator.models import MontbrioPazoRoxin

from tvb_ngnmm.models import MPRSynaptic, NextGenEI
from tvb_ngnmm.testing import build_simulator, tiny_connectivity

# SPEC §2.1, "Parameter names and defaults (the paper's)".
SPEC_NEXT_GEN_EI_DEFAULTS = dict(
    tau_e=8, tau_i=8, tau_se=1, tau_si=5, eta_e=-5, eta_i=-5, Delta_e=1, Delta_i=1,
    J_ee=5, J_ei=13, J_ie=13, J_ii=5, I_e=0, I_i=0, c_e=1, c_i=1,
)  # fmt: skip


def _run(simulator, length):
    ((_, data),) = simulator.run(simulation_length=length)
    return data


def _arrays(**values):
    return {name: np.array([float(value)]) for name, value in values.items()}


# --------------------------------------------------------------------------- NextGenEI


def test_next_gen_ei_defaults_are_the_papers():
    model = NextGenEI()
    assert list(model.parameter_names) == list(SPEC_NEXT_GEN_EI_DEFAULTS)
    for name, value in SPEC_NEXT_GEN_EI_DEFAULTS.items():
        assert np.asarray(getattr(model, name)).tolist() == [value], name


def test_next_gen_ei_variables_coupling_and_bounds_follow_spec():
    model = NextGenEI()
    assert model.state_variables == ("r_e", "v_e", "s_e", "r_i", "v_i", "s_i")
    assert [model.state_variables[i] for i in model.cvar] == ["s_e"]
    assert set(model.state_variable_boundaries) == {"r_e", "r_i"}
    for bounds in model.state_variable_boundaries.values():
        assert bounds[0] == 0.0


def _spec_next_gen_ei(x, p):
    """SPEC §2.1 for one uncoupled node (C = 0), each line in SPEC's ``tau dx/dt`` form."""
    r_e, v_e, s_e, r_i, v_i, s_i = x
    pi = np.pi
    lhs_times_tau = np.array([
        p["Delta_e"] / (pi * p["tau_e"]) + 2 * r_e * v_e,
        v_e**2 + p["eta_e"] - (pi * p["tau_e"] * r_e) ** 2 + p["I_e"]
        + p["tau_e"] * (p["J_ee"] * s_e - p["J_ei"] * s_i),
        -s_e + r_e,
        p["Delta_i"] / (pi * p["tau_i"]) + 2 * r_i * v_i,
        v_i**2 + p["eta_i"] - (pi * p["tau_i"] * r_i) ** 2 + p["I_i"]
        + p["tau_i"] * (p["J_ie"] * s_e - p["J_ii"] * s_i),
        -s_i + r_i,
    ])  # fmt: skip
    taus = np.array([p[k] for k in ("tau_e", "tau_e", "tau_se", "tau_i", "tau_i", "tau_si")])
    return lhs_times_tau / taus


def _fixed_point_and_spectrum(p):
    guess = np.array([0.01, -2.0, 0.01, 0.01, -2.0, 0.01])
    x_star, _, flag, message = fsolve(
        _spec_next_gen_ei, guess, args=(p,), full_output=True, xtol=1e-13
    )
    assert flag == 1, message
    h = 1e-7
    columns = [(_spec_next_gen_ei(x_star + h * e, p) - _spec_next_gen_ei(x_star - h * e, p))
               / (2 * h) for e in np.eye(6)]  # fmt: skip
    return x_star, np.linalg.eigvals(np.array(columns).T)


@pytest.mark.parametrize(("I_e", "stable"), [(0.0, True), (10.0, False)])
def test_next_gen_ei_single_node_fixed_point(I_e, stable):
    """dfun vanishes at SPEC's fixed point; a run from nearby converges to it iff it is stable.

    With the paper's defaults the fixed point is stable (slowest eigenvalue ≈ -0.25/ms, so a
    60 ms run shrinks a perturbation ~10⁶-fold); with I_e = 10 it is unstable and the E–I
    loop oscillates.
    """
    p = dict(SPEC_NEXT_GEN_EI_DEFAULTS, I_e=I_e)
    x_star, eigenvalues = _fixed_point_and_spectrum(p)
    assert (eigenvalues.real.max() < 0) == stable
    assert x_star[0] > 0 and x_star[3] > 0

    model = NextGenEI(**_arrays(**p))
    model.configure()
    drift = model.dfun(x_star.reshape(6, 1, 1), np.zeros((1, 1, 1)))
    np.testing.assert_allclose(drift.ravel(), 0.0, atol=1e-12)

    model.variables_of_interest = model.state_variables
    start = x_star * (1.0 + (0.1 if stable else 1e-3) * np.array([1, -1, 1, -1, 1, -1]))
    simulator = build_simulator(
        model,
        integrators.HeunDeterministic(dt=2.0**-5),
        connectivity=tiny_connectivity(n_regions=1),
        initial_state=start.reshape(6, 1),
    )
    final = _run(simulator, 60.0)[-1, :, 0, 0]
    distance_start = np.max(np.abs(start - x_star))
    distance_end = np.max(np.abs(final - x_star))
    if stable:
        assert distance_end < 1e-6 < 1e-2 < distance_start
    else:
        assert distance_end > 10 * distance_start


# --------------------------------------------------------------------------- MPRSynaptic


def test_mpr_synaptic_variables_and_coupling_follow_spec():
    model = MPRSynaptic()
    assert model.state_variables == ("r", "v", "s")
    assert [model.state_variables[i] for i in model.cvar] == ["s"]
    assert model.state_variable_boundaries["r"][0] == 0.0


MPR_PARAMETERS = dict(tau=2.0, Delta=1.0, eta=-5.0, J=15.0, I=3.0)


def _mpr_runs(n_regions, coupling_strength, tau_s_values, dt=2.0**-10, length=5.0):
    """TVB's MontbrioPazoRoxin and MPRSynaptic with small tau_s, same network and start."""
    r0 = np.linspace(0.1, 0.6, n_regions)
    v0 = np.linspace(-1.5, -0.5, n_regions)

    def simulate(model, initial_state):
        simulator = build_simulator(
            model,
            integrators.HeunDeterministic(dt=dt),
            connectivity=tiny_connectivity(n_regions=n_regions, seed=3),
            coupling_strength=coupling_strength,
            initial_state=initial_state,
        )
        return _run(simulator, length)

    # TVB's MPR: tau dv/dt = ... + J tau r + cr C_r + cv C_v. Coupling through r, not v.
    reference = MontbrioPazoRoxin(**_arrays(**MPR_PARAMETERS, cr=1.0, cv=0.0))
    expected = simulate(reference, np.array([r0, v0]))
    results = []
    for tau_s in tau_s_values:
        # c C = cr C_r / tau: MPRSynaptic's coupling gain is per unit time, TVB's is not.
        model = MPRSynaptic(**_arrays(**MPR_PARAMETERS, tau_s=tau_s, c=1 / MPR_PARAMETERS["tau"]))
        model.variables_of_interest = ("r", "v")
        results.append(simulate(model, np.array([r0, v0, r0])))
    return expected, results


@pytest.mark.parametrize(("n_regions", "coupling_strength"), [(1, 0.0), (2, 0.5)])
def test_mpr_synaptic_reduces_to_tvb_montbrio_pazo_roxin(n_regions, coupling_strength):
    """With tau_s → 0, s = r and MPRSynaptic is TVB's MontbrioPazoRoxin (J tau r term).

    The trajectory (a burst from r = 0.1 to ≈ 1.4 kHz) differs by O(tau_s): close at
    tau_s = 1e-3 ms, and the difference halves when tau_s halves, so the limit is TVB's model.
    """
    expected, (at_2e3, at_1e3) = _mpr_runs(n_regions, coupling_strength, (2e-3, 1e-3))
    scale = np.max(np.abs(expected), axis=(0, 2, 3))  # per variable (r, v)
    error_2e3 = np.max(np.abs(at_2e3 - expected), axis=(0, 2, 3))
    error_1e3 = np.max(np.abs(at_1e3 - expected), axis=(0, 2, 3))
    assert scale[0] > 1.0  # the run does burst, so the comparison is not trivial
    assert np.all(error_1e3 < np.array([0.02, 0.05]) * scale)
    np.testing.assert_allclose(error_2e3 / error_1e3, 2.0, rtol=0.1)


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("model_cls", "name", "value", "allowed", "given"),
    [
        (NextGenEI, "tau_e", -1.0, "> 0 (finite)", "-1.0"),
        (NextGenEI, "tau_si", 0.0, "> 0 (finite)", "0.0"),
        (NextGenEI, "Delta_i", np.nan, ">= 0 (finite)", "nan"),
        (NextGenEI, "J_ei", -13.0, ">= 0 (finite)", "-13.0"),
        (NextGenEI, "eta_e", np.inf, "any finite number", "inf"),
        (NextGenEI, "c_i", -np.inf, "any finite number", "-inf"),
        (MPRSynaptic, "tau_s", 0.0, "> 0 (finite)", "0.0"),
        (MPRSynaptic, "Delta", -0.5, ">= 0 (finite)", "-0.5"),
        (MPRSynaptic, "J", np.nan, "any finite number", "nan"),
    ],
)
def test_out_of_domain_parameter_is_rejected(model_cls, name, value, allowed, given):
    model = model_cls(**{name: np.array([value])})
    message = (
        f"Invalid value for the '{name}' parameter of {model_cls.__name__}. "
        f"Allowed values are {allowed}, but got {given} instead."
    )
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        model.configure()


def test_per_region_array_reports_only_the_bad_values():
    model = NextGenEI(tau_e=np.array([8.0, -1.0, 8.0, -2.0]))
    with pytest.raises(
        ValueError, match=r"'tau_e'.*but got an array of 2 values \(\[-1\. -2\.\]\)"
    ):
        model.configure()


def test_empty_parameter_is_rejected():
    model = MPRSynaptic(eta=np.array([]))
    with pytest.raises(ValueError, match="'eta' parameter of MPRSynaptic.*got an empty array"):
        model.configure()


@pytest.mark.parametrize("size", [2, 5])
def test_per_region_parameter_of_wrong_length_is_rejected(size):
    model = NextGenEI(eta_e=np.full(size, -5.0))
    message = (
        "Invalid shape for the 'eta_e' parameter of NextGenEI. Allowed are one value or one "
        f"per node (4), but got {size} values."
    )
    with pytest.raises(ValueError, match=re.escape(message)):
        build_simulator(model, integrators.HeunDeterministic(dt=2.0**-6))


@pytest.mark.parametrize(("lo", "hi"), [(5.0, 1.0), (float("nan"), 1.0)])
def test_an_empty_or_nan_interval_is_refused(lo, hi):
    """Issue 24 (probe): Interval(5, 1) was accepted and described as '>= 5 and <= 1'."""
    from tvb_ngnmm.models import Interval

    match = r"'lo' and 'hi' parameters of Interval\. Allowed are bounds with lo <= hi "
    match += rf"\(not NaN\), but got lo = {lo}, hi = {hi}"
    with pytest.raises(ValueError, match=match):
        Interval(lo, hi)
