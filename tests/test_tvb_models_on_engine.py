"""TVB's stock region models on the engine: each is registered (and then checked against stock
``sim.run()`` by the common suite, tests/test_common.py) or refused by name with what it lacks.
"""

import inspect

import numpy as np
import pytest
import tvb.simulator.models as tvb_models
from tvb.simulator import integrators, monitors
from tvb.simulator.models.base import Model
from tvb.simulator.simulator import Simulator

from tvb_ngnmm.backend import NumbaBackend
from tvb_ngnmm.engine.errors import UnsupportedSimulationError
from tvb_ngnmm.models import registered_models
from tvb_ngnmm.models.tvb_models import NOT_ON_ENGINE
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


@pytest.mark.parametrize("name", ["EpileptorCodim3", "KIonEx", "ZerlautAdaptationFirstOrder"])
def test_a_model_without_engine_equations_is_refused_by_name_with_the_reason(name):
    with pytest.raises(UnsupportedSimulationError, match=f"'{name}', which has neither: its dfun"):
        run(getattr(tvb_models, name)())


def test_a_model_with_several_modes_is_refused_naming_the_modes():
    sim = Simulator(
        model=tvb_models.ReducedSetFitzHughNagumo(),
        connectivity=tiny_connectivity(),
        integrator=integrators.HeunDeterministic(dt=0.01),
        monitors=[monitors.Raw()],
    ).configure()
    with pytest.raises(UnsupportedSimulationError, match="'number_of_modes'.*'1', but got '3'"):
        run(None, sim)


def test_hopfield_with_a_dynamic_threshold_is_refused_by_its_coupling_variables():
    with pytest.raises(UnsupportedSimulationError, match="'cvar' of Hopfield.*supports 1"):
        run(tvb_models.Hopfield(dynamic=np.array([1])))
