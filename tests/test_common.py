"""The common conformance suite (:mod:`tvb_ngnmm.testing`) applied to every registered model.

The models come from the registry (:func:`tvb_ngnmm.models.registered_models`); a registered
model without an engine path, a GUI entry or a conformance run fails
:func:`test_every_registered_model_has_engine_gui_and_conformance`. The reference equations
below are transcribed from SPEC §2.1 and §2.2 (each line in the SPEC's form ``tau dx/dt = ...``,
divided by the time constant at the end), independently of the package's own equation functions;
they add the check ``dfun_matches_equations`` for the models they cover.
"""

import inspect

import numpy as np
import pytest
from tvb.basic.neotraits.api import Final
from tvb.simulator import integrators, noise

from tvb_ngnmm.backend import NumbaBackend
from tvb_ngnmm.engine.continuation import unchanged
from tvb_ngnmm.gui import plugin_models
from tvb_ngnmm.models import MPRSynaptic, declaration_of, registered_models
from tvb_ngnmm.models.tvb_models import DEFINED_STATE_RANGES, FIRST_REGION_IN_TVB
from tvb_ngnmm.testing import (
    EXCLUDED_INTEGRATORS,
    INTEGRATORS,
    N_REGIONS,
    build_simulator,
    check_model,
    has_engine_path,
    model_checks,
)


def next_gen_ei_spec(state, coupling, **p):
    """SPEC §2.1, with ``C`` the (single) long-range input for the coupling variable s_e."""
    r_e, v_e, s_e, r_i, v_i, s_i = state
    C = coupling[0]
    pi = np.pi
    tau_e_dr_e = p["Delta_e"] / (pi * p["tau_e"]) + 2 * r_e * v_e
    tau_e_dv_e = (
        v_e**2 + p["eta_e"] - (pi * p["tau_e"] * r_e) ** 2 + p["I_e"]
        + p["tau_e"] * (p["J_ee"] * s_e - p["J_ei"] * s_i) + p["tau_e"] * p["c_e"] * C
    )  # fmt: skip
    tau_se_ds_e = -s_e + r_e
    tau_i_dr_i = p["Delta_i"] / (pi * p["tau_i"]) + 2 * r_i * v_i
    tau_i_dv_i = (
        v_i**2 + p["eta_i"] - (pi * p["tau_i"] * r_i) ** 2 + p["I_i"]
        + p["tau_i"] * (p["J_ie"] * s_e - p["J_ii"] * s_i) + p["tau_i"] * p["c_i"] * C
    )  # fmt: skip
    tau_si_ds_i = -s_i + r_i
    return (
        tau_e_dr_e / p["tau_e"],
        tau_e_dv_e / p["tau_e"],
        tau_se_ds_e / p["tau_se"],
        tau_i_dr_i / p["tau_i"],
        tau_i_dv_i / p["tau_i"],
        tau_si_ds_i / p["tau_si"],
    )


def mpr_synaptic_spec(state, coupling, **p):
    """SPEC §2.2, with ``C`` the long-range input for the coupling variable s."""
    r, v, s = state
    C = coupling[0]
    tau, pi = p["tau"], np.pi
    tau_dr = p["Delta"] / (pi * tau) + 2 * r * v
    tau_dv = v**2 + p["eta"] - (pi * tau * r) ** 2 + p["I"] + tau * p["J"] * s + tau * p["c"] * C
    tau_s_ds = -s + r
    return tau_dr / tau, tau_dv / tau, tau_s_ds / p["tau_s"]


#: Independent transcriptions, by model name (optional: a model without one still runs the rest).
REFERENCE_EQUATIONS = {"NextGenEI": next_gen_ei_spec, "MPRSynaptic": mpr_synaptic_spec}


#: Relative tolerance of TVB's models on the engine against stock ``sim.run()`` (as for the
#: package's own models: TVB keeps its history and sums its coupling in float32).
TVB_MODEL_RTOL = 1e-5
#: Noise intensity (TVB's ``nsig``, every state variable) of the stochastic comparison.
TVB_MODEL_NSIG = 1e-3


def state_ranges(model) -> list[np.ndarray]:
    """The model's ``state_variable_range``, narrowed to where TVB's ``dfun`` is defined
    (:data:`~tvb_ngnmm.models.tvb_models.DEFINED_STATE_RANGES`), in state-variable order."""
    defined = {**model.state_variable_range, **DEFINED_STATE_RANGES.get(type(model).__name__, {})}
    return [np.asarray(defined[v], float) for v in model.state_variables]


def engine_agreement(model_cls, stochastic, length=10.0):
    """Relative difference of the engine from stock ``sim.run()`` (every variable the model
    lets monitors observe: its state variables, then its expressions such as the Epileptor's
    ``'x2 - x1'``), Heun at dt = 0.01 ms on the tiny delayed network of :mod:`tvb_ngnmm.testing`
    with TVB's ``Linear`` coupling; stochastic: the engine replays the simulator's noise."""
    watchable = model_cls.variables_of_interest.element_choices  # EpileptorCodim3SlowMod: x, y, z
    svars = model_cls().state_variables
    observed = (*(v for v in svars if v in watchable), *(v for v in watchable if v not in svars))
    model = model_cls(variables_of_interest=observed)
    if stochastic:
        additive = noise.Additive(nsig=np.array([TVB_MODEL_NSIG]), noise_seed=42)
        integrator = integrators.HeunStochastic(dt=0.01, noise=additive)
    else:
        integrator = integrators.HeunDeterministic(dt=0.01)
    initial_state = None
    if model_cls.__name__ in DEFINED_STATE_RANGES:  # a constant history where dfun is defined
        rng = np.random.default_rng(0)
        initial_state = [rng.uniform(lo, hi, N_REGIONS) for lo, hi in state_ranges(model)]
    sim = build_simulator(model, integrator, initial_state=initial_state)
    with unchanged(sim):
        ((t_fast, y_fast),) = NumbaBackend(progress=False).run_sim(sim, simulation_length=length)
    with np.errstate(over="ignore"):  # TVB's sigmoids saturate through exp overflow (JansenRit)
        ((t_stock, y_stock),) = sim.run(simulation_length=length)
    np.testing.assert_array_equal(t_fast, t_stock)
    assert np.isfinite(y_stock).all(), f"{model_cls.__name__}: the stock run is not finite"
    scale = np.abs(y_stock).max()
    np.testing.assert_allclose(
        y_fast, y_stock, rtol=TVB_MODEL_RTOL, atol=TVB_MODEL_RTOL * scale,
        err_msg=f"{model_cls.__name__} on the engine differs from stock sim.run()",
    )  # fmt: skip
    return float(np.abs(y_fast - y_stock).max() / scale)


def engine_dfun_difference(model_cls, n=64, seed=0):
    """Largest relative difference of the engine's compiled equations from TVB's ``dfun`` at
    random states (:func:`state_ranges` widened by half their width each side), random
    coupling inputs and random per-node parameters (defaults ±10 %, zero defaults in [-1, 1],
    boolean and integer flags kept): checks coupling terms and branches that a run at the
    defaults may leave idle (the Epileptor's coupling gains default to 0). Parameters that TVB
    reads at the first region only (:data:`~tvb_ngnmm.models.tvb_models.FIRST_REGION_IN_TVB`)
    and declared coefficient vectors (``register_model(..., coefficients=...)``) are drawn once
    for all nodes. Where TVB's dfun is not finite (parameters drawn outside their domain: the
    first-order Zerlaut model's negative external rates), the engine must give the same; at
    least three quarters of the points must be finite."""
    from tvb_ngnmm.engine._cache import compiled_kernel
    from tvb_ngnmm.engine.equations import engine_model, parameter_value

    rng = np.random.default_rng(seed)
    model = model_cls()
    found = engine_model(model)
    uniform = FIRST_REGION_IN_TVB.get(model_cls.__name__, ())
    for name in declaration_of(model_cls).coefficients:  # one vector for all nodes: ±10 % each
        value = np.asarray(getattr(model, name), float)
        setattr(model, name, value * rng.uniform(0.9, 1.1, value.shape))
    for name in found.parameters:
        if not hasattr(model, name):  # an element of a coefficient vector, drawn above
            continue
        value = np.asarray(getattr(model, name))
        if value.dtype.kind == "f":
            default, size = value.ravel()[0], 1 if name in uniform else n
            values = default * rng.uniform(0.9, 1.1, size) if default else rng.uniform(-1, 1, size)
            values = np.broadcast_to(values, n)
            setattr(model, name, values.reshape(model.spatial_param_reshape))  # as TVB does
    model.configure()
    ranges = state_ranges(model)
    state = np.array([rng.uniform(lo - (hi - lo) / 2, hi + (hi - lo) / 2, n) for lo, hi in ranges])
    coupling = rng.normal(0.0, 1.0, (len(model.cvar), n))
    params = [np.broadcast_to(np.ravel(parameter_value(model, p)), n) for p in found.parameters]
    fast = np.empty_like(state)
    compiled_kernel(found).model_dfun(state, coupling, np.array(params).reshape(-1, n), fast)
    with np.errstate(over="ignore"):  # saturating sigmoids, as in engine_agreement
        stock = model.dfun(state[..., np.newaxis], coupling[..., np.newaxis])[..., 0]
    defined = np.isfinite(stock).all(axis=0)  # TVB's dfun can be NaN at random parameters
    assert defined.mean() >= 0.75, (
        f"{model_cls.__name__}: TVB's dfun is not finite at {n - defined.sum()} of {n} points"
    )
    scale = np.abs(stock[:, defined]).max(axis=1, keepdims=True)
    np.testing.assert_allclose(
        fast, stock, rtol=1e-9, atol=1e-9 * scale.max(), equal_nan=True,  # NaN where TVB's is
        err_msg=f"{model_cls.__name__}: the engine's equations differ from TVB's dfun",
    )  # fmt: skip
    difference = np.abs(fast - stock)[:, defined] / np.maximum(scale, 1e-300)
    return float(difference.max())


def conformance_checks(declaration):
    """The checks a registered model runs: the whole suite for the plugin's models; for TVB's
    own (whose other properties are TVB's to test), the engine against the stock simulator,
    deterministic and stochastic."""
    model_cls = declaration.model
    if declaration.is_tvb_model:
        return [
            ("engine_equations_match_dfun", lambda: engine_dfun_difference(model_cls)),
            ("fast_engine_matches_stock", lambda: engine_agreement(model_cls, False)),
            ("fast_engine_matches_stock_stochastic", lambda: engine_agreement(model_cls, True)),
        ]
    return list(model_checks(model_cls, REFERENCE_EQUATIONS.get(declaration.name)))


CASES = [
    pytest.param(check, id=f"{declaration.name}-{name}")
    for declaration in registered_models()
    for name, check in conformance_checks(declaration)
]


@pytest.mark.parametrize("check", CASES)
def test_model_conformance(check):
    check()


@pytest.mark.parametrize("declaration", registered_models(), ids=lambda d: d.name)
def test_every_registered_model_has_engine_gui_and_conformance(declaration):
    from tvb.simulator.models import ModelsEnum

    model_cls = declaration.model
    assert has_engine_path(model_cls), f"{declaration.name} has no engine path"
    in_gui = {cls for _, cls, _ in plugin_models()}
    tvb_listed = {member.value for member in ModelsEnum}
    assert model_cls in in_gui or (declaration.is_tvb_model and declaration.name in tvb_listed), (
        f"{declaration.name} has no GUI entry"
    )
    runs = {name for name, _ in conformance_checks(declaration)}
    assert "fast_engine_matches_stock" in runs, f"{declaration.name} has no conformance run"
    if not declaration.is_tvb_model:
        assert {"docs", "consistency", "stimulus"} <= runs


def test_every_tvb_integrator_is_tested_or_excluded():
    """A TVB upgrade that adds an integrator makes this fail until it is tested or excluded."""
    concrete = {
        name
        for name, obj in vars(integrators).items()
        if inspect.isclass(obj)
        and issubclass(obj, integrators.Integrator)
        and not inspect.isabstract(obj)
        and obj.__module__ == integrators.__name__
        and hasattr(obj, "scheme")
        and name not in ("Integrator", "IntegratorStochastic")
    }
    tested = {cls.__name__ for cls in INTEGRATORS}
    assert concrete == tested | set(EXCLUDED_INTEGRATORS)
    assert not tested & set(EXCLUDED_INTEGRATORS)


# The checks must be able to fail: deliberately broken variants of a model are caught.


class WrongSign(MPRSynaptic):
    """MPR with a synapse. ``.. math::`` (docstring kept so only the equations are wrong)."""

    def dfun(self, state_variables, coupling, local_coupling=0.0):
        derivatives = super().dfun(state_variables, coupling, local_coupling)
        derivatives[1] -= 2 * self.J * state_variables[2]  # J s enters with the wrong sign
        return derivatives


class WrongDfunString(MPRSynaptic):
    """MPR with a synapse. ``.. math::``"""

    state_variable_dfuns = Final(
        label="Drift functions",
        default={**MPRSynaptic.state_variable_dfuns.default, "s": "(r - s) / tau"},
        doc="The s equation uses the membrane instead of the synaptic time constant.",
    )


class NoValidation(MPRSynaptic):
    """MPR with a synapse. ``.. math::``"""

    def validate_parameters(self):
        pass


class NoBoundaries(MPRSynaptic):
    """MPR with a synapse. ``.. math::``"""

    state_variable_boundaries = Final(
        label="State Variable boundaries [lo, hi]",
        default={"s": np.array([0.0, np.inf])},
        doc="The rate is left unbounded.",
    )


class NoEquationsInDocstring(MPRSynaptic):
    """MPR with a synapse, documented in words only."""


class BadCouplingVariable(MPRSynaptic):
    """MPR with a synapse. ``.. math::``"""

    cvar = np.array([3], dtype=np.int32)


class FirstRegionParametersOnly(MPRSynaptic):
    """MPR with a synapse. ``.. math::``"""

    def dfun(self, state_variables, coupling, local_coupling=0.0):
        saved = {name: getattr(self, name) for name in self.parameter_names}
        for name, value in saved.items():
            setattr(self, name, np.ravel(value)[:1])
        try:
            return super().dfun(state_variables, coupling, local_coupling)
        finally:
            for name, value in saved.items():
                setattr(self, name, value)


class IgnoresCoupling(MPRSynaptic):
    """MPR with a synapse. ``.. math::``"""

    def dfun(self, state_variables, coupling, local_coupling=0.0):
        return super().dfun(state_variables, np.zeros_like(coupling), local_coupling)


@pytest.mark.parametrize(
    ("broken", "check_name", "message"),
    [
        (WrongSign, "dfun_matches_equations", "dfun of 'v' differs"),
        (WrongSign, "dfun_strings", "dfun string of 'v' differs"),
        (WrongDfunString, "dfun_strings", "dfun string of 's' differs"),
        (NoValidation, "parameter_domains", "configure\\(\\) accepted tau = nan"),
        (NoBoundaries, "boundaries", "no lower boundary 0"),
        (NoEquationsInDocstring, "docs", "no '.. math::' block"),
        (BadCouplingVariable, "consistency", "cvar"),
        (FirstRegionParametersOnly, "per_region_parameters", "per-region parameter"),
        (IgnoresCoupling, "stimulus", "coupling never carried the stimulus"),
        (IgnoresCoupling, "dfun_matches_equations", "dfun of 'v' differs"),
    ],
)
def test_checks_catch_broken_models(broken, check_name, message):
    checks = dict(model_checks(broken, mpr_synaptic_spec))
    with pytest.raises(AssertionError, match=message):
        checks[check_name]()


def test_check_model_names_the_failing_check():
    with pytest.raises(AssertionError, match="check 'docs' failed: NoEquationsInDocstring"):
        check_model(NoEquationsInDocstring, mpr_synaptic_spec)


def test_check_model_rejects_what_is_not_a_model_class():
    with pytest.raises(TypeError, match="expects a TVB Model class, but got 3"):
        check_model(3)
