"""TVB's stock region models on the engine: each is registered (and then checked against stock
``sim.run()`` by the common suite, tests/test_common.py) or refused by name with what it lacks.
"""

import inspect

import numpy as np
import pytest
import tvb.simulator.models as tvb_models
from test_common import engine_dfun_difference
from tvb.basic.neotraits.api import Final, List, NArray
from tvb.simulator import integrators, monitors
from tvb.simulator.models.base import Model
from tvb.simulator.simulator import Simulator

from tvb_ngnmm.backend import NumbaBackend
from tvb_ngnmm.engine.continuation import unchanged
from tvb_ngnmm.engine.errors import UnsupportedSimulationError
from tvb_ngnmm.models import register_model, registered_models, unregister_model
from tvb_ngnmm.models.tvb_models import FIRST_REGION_IN_TVB, NOT_ON_ENGINE
from tvb_ngnmm.testing import build_simulator, tiny_connectivity


def stock_models():
    """Every region model class TVB ships in ``tvb.simulator.models``."""
    found = {name: getattr(tvb_models, name) for name in dir(tvb_models)}  # loaded lazily
    return {
        name
        for name, obj in found.items()
        if inspect.isclass(obj) and issubclass(obj, Model) and obj is not Model
    }


def test_every_stock_tvb_model_is_registered_or_refused_with_a_reason():
    """A TVB upgrade that adds a model makes this fail until it is registered or refused."""
    registered = {d.name for d in registered_models() if d.is_tvb_model}
    assert stock_models() == registered | set(NOT_ON_ENGINE)
    assert not registered & set(NOT_ON_ENGINE)


def run(model, simulator=None):
    sim = simulator or build_simulator(model, integrators.HeunDeterministic(dt=0.01))
    return NumbaBackend(progress=False).run_sim(sim, simulation_length=1.0)


def test_a_model_without_engine_equations_is_refused_by_name_with_the_reason(monkeypatch):
    """Every one-mode TVB model runs: one is taken out of the registry and given a reason."""
    from tvb_ngnmm.models import _registry

    cls = tvb_models.ZerlautAdaptationFirstOrder
    others = {k: v for k, v in _registry._REGISTRY.items() if k is not cls}
    monkeypatch.setattr(_registry, "_REGISTRY", others)
    monkeypatch.setitem(NOT_ON_ENGINE, cls.__name__, "a reason given")
    match = "'ZerlautAdaptationFirstOrder', which has neither: a reason given"
    with pytest.raises(UnsupportedSimulationError, match=match):
        run(cls())


def test_a_model_with_several_modes_is_refused_naming_the_modes():
    sim = Simulator(
        model=tvb_models.ReducedSetFitzHughNagumo(),
        connectivity=tiny_connectivity(),
        integrator=integrators.HeunDeterministic(dt=0.01),
        monitors=[monitors.Raw()],
    ).configure()
    with pytest.raises(UnsupportedSimulationError, match="'number_of_modes'.*'1', but got '3'"):
        run(None, sim)


@pytest.mark.parametrize("coupling", ["Linear", "PreSigmoidal"])
def test_hopfield_with_a_dynamic_threshold_matches_stock(coupling):
    """``dynamic = 1``: TVB's ``dfunDyn`` on two coupling variables, the threshold driven by
    ``c_1``; with ``Linear``, and with the ``PreSigmoidal`` of TVB's Hopfield examples (on a
    network with one-way connections and delayed self-connections, where its reading of the
    sums matters)."""
    from tvb.simulator import coupling as tvb_coupling

    model = tvb_models.Hopfield(dynamic=np.array([1]), tauT=np.array([2.0]))
    model.variables_of_interest = ("x", "theta")
    if coupling == "Linear":
        chosen = tvb_coupling.Linear(a=np.array([0.3]))
    else:
        chosen = tvb_coupling.PreSigmoidal(G=np.array([2.0]), P=np.array([1.2]))
    sim = build_simulator(
        model,
        integrators.HeunDeterministic(dt=0.01),
        connectivity=tiny_connectivity(self_connections=True, one_way=True),
        coupling=chosen,
    )
    assert list(sim.model.cvar) == [0, 1]
    with unchanged(sim):
        ((t, y),) = NumbaBackend(progress=False).run_sim(sim, simulation_length=20.0)
    ((t_stock, y_stock),) = sim.run(simulation_length=20.0)
    np.testing.assert_array_equal(t, t_stock)
    assert np.ptp(y_stock[:, 1]) > 0.1  # the threshold moves
    np.testing.assert_allclose(y, y_stock, rtol=1e-5, atol=1e-5 * np.abs(y_stock).max())


class Epileptor2DWithoutZCoupling(tvb_models.Epileptor2D):
    """TVB's Epileptor2D, registered below with equations that drop the coupling on ``z``."""


def without_z_coupling(x1, z, c_0, x0, Iext, a, b, slope, c, d, r, Kvf, Ks, tt, modification):
    """TVB's Epileptor2D (``modification`` off) without ``Ks c_0`` in ``dz``."""
    if x1 < 0.0:
        f1 = a * x1**2 + (d - b) * x1
    else:
        f1 = -slope - 0.6 * (z - 4.0) ** 2 + d * x1
    h = 4.0 * (x1 - x0) + (-0.1 * z**7 if z < 0.0 else 0.0)
    return tt * (c - z + Iext + Kvf * c_0 - f1 * x1), tt * (r * (h - z))


def test_the_equation_check_catches_a_coupling_term_that_default_runs_leave_idle():
    """Ks defaults to 0: only the check at random parameters sees the missing term."""
    register_model(Epileptor2DWithoutZCoupling, equations=without_z_coupling)
    try:
        with pytest.raises(AssertionError, match="engine's equations differ from TVB's dfun"):
            engine_dfun_difference(Epileptor2DWithoutZCoupling)
    finally:
        unregister_model(Epileptor2DWithoutZCoupling)


@pytest.mark.parametrize("name", sorted(FIRST_REGION_IN_TVB))
def test_parameters_tvb_reads_at_the_first_region_are_read_per_region_on_the_engine(name):
    """Each node with its own arc parameters gets TVB's dfun configured with that node's."""
    from tvb_ngnmm.engine._cache import compiled_kernel
    from tvb_ngnmm.engine.equations import engine_model

    model_cls, rng, n = getattr(tvb_models, name), np.random.default_rng(1), 5
    model = model_cls()
    found = engine_model(model)
    for parameter in FIRST_REGION_IN_TVB[name]:
        setattr(model, parameter, getattr(model, parameter) * rng.uniform(0.8, 1.2, n))
    ranges = [model.state_variable_range[v] for v in model.state_variables]
    state = np.array([rng.uniform(lo, hi + 0.1, n) for lo, hi in ranges])
    coupling = rng.normal(0.0, 1.0, (1, n))
    params = np.array([np.broadcast_to(np.ravel(getattr(model, p)), n) for p in found.parameters])
    fast = np.empty_like(state)
    compiled_kernel(found).model_dfun(state, coupling, params, fast)
    for node in range(n):
        alone = model_cls(**{p: np.ravel(getattr(model, p))[node : node + 1]
                             for p in FIRST_REGION_IN_TVB[name]})  # fmt: skip
        alone.configure()
        stock = alone.dfun(state[:, node : node + 1, None], coupling[:, node : node + 1, None])
        np.testing.assert_allclose(fast[:, node], stock[:, 0, 0], rtol=1e-12, atol=1e-15)


class LinearDrift(Model):
    """``dx/dt = P_0 + P_1 x + c_0``, its drift coefficients ``P`` one vector for the model."""

    P = NArray(label="P", default=np.array([0.5, -1.0]), doc="Drift coefficients (1/ms).")
    state_variable_range = Final(label="ranges", default={"x": np.array([-1.0, 1.0])})
    variables_of_interest = List(of=str, label="observed", default=("x",), choices=("x",))
    state_variables = ("x",)
    _nvar = 1
    cvar = np.array([0], dtype=np.int32)

    def dfun(self, state_variables, coupling, local_coupling=0.0):
        return self.P[0] + self.P[1] * state_variables + coupling


def linear_drift_equations(x, c_0, P_0, P_1):
    """``LinearDrift``: the coefficients arrive as ``P_0, P_1``."""
    return (P_0 + P_1 * x + c_0,)


def test_a_model_declaring_a_coefficient_vector_runs_on_the_engine_with_its_elements():
    register_model(LinearDrift, equations=linear_drift_equations, coefficients=("P",))
    try:
        runs = []
        for P in ([0.5, -1.0], [0.5, -2.0]):  # the slope alone changes
            heun = integrators.HeunDeterministic(dt=0.01)
            sim = build_simulator(LinearDrift(P=np.array(P)), heun)
            with unchanged(sim):
                ((_, fast),) = NumbaBackend(progress=False).run_sim(sim, simulation_length=2.0)
            ((_, stock),) = sim.run(simulation_length=2.0)
            np.testing.assert_allclose(fast, stock, rtol=1e-6, atol=1e-9)
            runs.append(fast)
        assert np.abs(runs[0] - runs[1]).max() > 1e-2
    finally:
        unregister_model(LinearDrift)


def test_tvb_model_families_are_registered_when_first_needed():
    """Importing the package does not import TVB's model modules (seconds of Numba compilation
    in every process, each Dask worker too); the engine finds each stock model's declaration
    the first time it meets the class, whichever of our modules registers it."""
    import subprocess
    import sys

    code = """
import sys
import tvb_ngnmm.models
loaded = sorted(m for m in sys.modules if m.startswith("tvb.simulator.models."))
assert loaded == ["tvb.simulator.models.base", "tvb.simulator.models.infinite_theta"], loaded
import importlib, inspect, pkgutil
import tvb.simulator.models as tvb_models
from tvb.simulator.models.base import Model
from tvb_ngnmm.models import declaration_of
from tvb_ngnmm.models.tvb_models import NOT_ON_ENGINE
# Every class of every TVB model module (not only ModelsEnum's), module by module in reverse
# order, so that a module whose classes another family registers is met before that family.
classes = []
for info in sorted(pkgutil.iter_modules(tvb_models.__path__), key=lambda i: i.name, reverse=True):
    module = importlib.import_module(f"tvb.simulator.models.{info.name}")
    classes += [c for c in vars(module).values() if inspect.isclass(c) and issubclass(c, Model)
                and c.__module__ == module.__name__ and c is not Model]
missing = [c.__name__ for c in classes if c.__name__ not in NOT_ON_ENGINE
           and not inspect.isabstract(c) and declaration_of(c) is None]
assert not missing, missing
print("ok")
"""
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.strip().endswith("ok")


# --- TVB's declared parameter domains (issue 24, point 7) --------------------------------------


def test_the_defaults_of_every_registered_tvb_model_lie_in_the_checked_domains():
    """TVB's own defaults (two outside the ranges TVB declares: CoombesByrne's eta,
    GastSchmidtKnosche_SF's alpha) never warn."""
    from tvb_ngnmm.engine.equations import parameter_names
    from tvb_ngnmm.models._domains import tvb_domain, warn_outside_tvb_domain

    checked = 0
    for declaration in registered_models():
        if not declaration.is_tvb_model:
            continue
        model = declaration.model()
        for name in parameter_names(model):
            if tvb_domain(model, name) is not None:
                warn_outside_tvb_domain(model, name, getattr(model, name))  # an error if it warns
                checked += 1
    assert checked > 100
    assert tvb_domain(tvb_models.CoombesByrne(), "eta") == (-10.0, 20.0)


def jansen_rit_simulator(a):
    from tvb.simulator import coupling as tvb_coupling

    return build_simulator(
        tvb_models.JansenRit(a=np.array([a])), integrators.HeunDeterministic(dt=0.1),
        coupling=tvb_coupling.SigmoidalJansenRit(),
    )  # fmt: skip


def test_a_tvb_model_outside_its_declared_domain_warns_and_its_growth_is_a_blow_up():
    """Issue 24, point 7: JansenRit with ``a = -5`` (TVB's domain: [0.05, 0.15]) ran to 1e48
    without a word; it now warns before the first step, and a state beyond float32's range
    (3.4e38, what the history holds) stops the run as a blow-up."""
    from tvb_ngnmm.engine.errors import SimulationBlowUpError

    sim = jansen_rit_simulator(-5.0)
    warning = r"The 'a' parameter of JansenRit is outside the domain TVB declares for it, "
    warning += r"\[0\.05, 0\.15\], got -5\.0"
    with pytest.warns(RuntimeWarning, match=warning):
        with pytest.raises(SimulationBlowUpError, match=r"or beyond 3\.4e\+38 in magnitude"):
            NumbaBackend(progress=False).run_sim(sim, simulation_length=200.0)
    with np.errstate(all="ignore"):
        ((_, stock),) = sim.run(simulation_length=200.0)
    assert np.abs(stock[np.isfinite(stock)]).max() > 3.4e38  # TVB runs on beyond it


def test_swept_values_of_a_tvb_model_outside_its_declared_domain_warn():
    from tvb_ngnmm.engine.batch import run_batch

    sim = jansen_rit_simulator(0.1)
    match = r"The 'b' parameter of JansenRit \(swept values\) is outside the domain TVB "
    match += r"declares for it, \[0\.025, 0\.075\], got -5\.0"
    with pytest.warns(RuntimeWarning, match=match):
        run_batch(sim, {"b": np.array([0.05, -5.0])}, 1.0, n_jobs=1)
