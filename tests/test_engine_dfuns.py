"""The engine compiles models from their ``state_variable_dfuns`` (TVB's ``Linear``, users')."""

import numpy as np
import pytest
from test_engine_agreement import assert_same_as_stock, make_model, make_sim
from tvb.basic.neotraits.api import Final
from tvb.simulator import integrators
from tvb.simulator.models import Linear, MontbrioPazoRoxin

from tvb_ngnmm import _numba
from tvb_ngnmm.backend import NumbaBackend
from tvb_ngnmm.engine.continuation import unchanged
from tvb_ngnmm.engine.equations import engine_model
from tvb_ngnmm.engine.errors import UnsupportedSimulationError
from tvb_ngnmm.engine.spec import model_kernel
from tvb_ngnmm.models import declaration_of, register_model, unregister_model


class MPRFromExpressions(MontbrioPazoRoxin):
    """TVB's MontbrioPazoRoxin, unregistered: the engine compiles its state_variable_dfuns."""


def linear_sim(gamma=-2.0, scheme=integrators.HeunDeterministic, length=20.0):
    model = Linear(gamma=np.array([gamma]))
    return make_sim(model, integrator=scheme(dt=0.01), length=length)


@pytest.mark.parametrize("scheme", [integrators.EulerDeterministic, integrators.HeunDeterministic])
def test_linear_runs_from_its_expressions_as_stock(scheme):
    assert declaration_of(Linear).equations is None  # registered without engine equations
    assert "gamma * x + c" in engine_model(Linear()).source
    fast, stock = assert_same_as_stock(linear_sim(scheme=scheme))
    assert np.ptp(stock[0][1]) > 0.1


def test_mpr_from_expressions_agrees_with_stock_and_with_its_registered_equations():
    """Both engine paths of MontbrioPazoRoxin: the registered function and TVB's expressions."""
    params = {n: getattr(make_model("MontbrioPazoRoxin"), n) for n in ("tau", "Delta", "eta", "J")}
    assert "Coupling_Term_r" in engine_model(MPRFromExpressions(**params)).source
    sims = {cls: make_sim(cls(**params), length=20.0) for cls in (MontbrioPazoRoxin,
                                                                  MPRFromExpressions)}  # fmt: skip
    first = sims[MontbrioPazoRoxin]
    sims[MPRFromExpressions].history.buffer[:] = first.history.buffer  # same initial history
    sims[MPRFromExpressions].current_state[:] = first.current_state
    runs = {}
    for cls, sim in sims.items():
        fast, _ = assert_same_as_stock(sim)
        runs[cls] = fast[0][1]
    np.testing.assert_allclose(runs[MPRFromExpressions], runs[MontbrioPazoRoxin], rtol=1e-12,
                               atol=1e-12 * np.abs(runs[MontbrioPazoRoxin]).max())  # fmt: skip


def test_parameters_stay_kernel_arguments():
    """A new parameter value runs the same compiled kernel (not baked in) and changes the run."""
    source = engine_model(Linear(gamma=np.array([-2.0]))).source
    assert "gamma = _p[0, _m]" in source and "-2.0" not in source
    sim = linear_sim(gamma=-2.0, length=5.0)
    run_chunk = model_kernel(sim.model)[0].run_chunk
    with unchanged(sim):
        ((_, slow),) = NumbaBackend().run_sim(sim)
    n_compiled = len(run_chunk.signatures) if _numba.JIT_ENABLED else 0
    sim = linear_sim(gamma=-20.0, length=5.0)
    ((_, fast),) = NumbaBackend().run_sim(sim)
    assert (len(run_chunk.signatures) if _numba.JIT_ENABLED else 0) == n_compiled
    assert not np.allclose(slow, fast)


def with_dfuns(**dfuns):
    return type(
        "MyLinear",
        (Linear,),
        {"state_variable_dfuns": Final(default=dfuns, label="Drift functions")},
    )


@pytest.mark.parametrize(
    ("dfuns", "match"),
    [
        (
            {"x": "gamma * x + c + beta"},
            r"Invalid names in the state_variable_dfuns\['x'\] of MyLinear: allowed are its state "
            r"variables, coupling terms and parameters \('gamma', 'c', 'x', 'lc_0', .*math: .*"
            r"exp.*\), but got 'beta'",
        ),
        (
            {"x": "np.exp(x) + c"},
            r"state_variable_dfuns\['x'\] of MyLinear: allowed are arithmetic, comparisons and "
            r"calls of .*exp.*, but got 'np.exp\(x\)' in 'np.exp\(x\) \+ c'",
        ),
        ({"x": "gamma * (x"}, r"allowed are Python expressions, but got 'gamma \* \(x'"),
        ({"y": "gamma * x"}, r"one expression per state variable \(x\), but 'x' have none"),
    ],
)
def test_bad_expressions_are_named(dfuns, match):
    sim = make_sim(with_dfuns(**dfuns)(), length=1.0)
    with pytest.raises(UnsupportedSimulationError, match=match):
        NumbaBackend().run_sim(sim)


def test_registered_equations_with_unknown_arguments_are_named():
    def equations(x, c, gamma, beta):
        return (gamma * x + c + beta,)

    cls = type("LinearWithBeta", (Linear,), {})
    register_model(cls, equations=equations, gui=False)
    try:
        with pytest.raises(
            UnsupportedSimulationError,
            match=r"Invalid names in the arguments of equations of LinearWithBeta: .*"
            r"\('gamma', 'c', 'x', .*\), but got 'beta'",
        ):
            engine_model(cls())
    finally:
        unregister_model(cls)
