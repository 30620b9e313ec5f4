"""The TVB GUI's simulations on the engine, and the model form's check (no browser, no server)."""

import numpy as np
import pytest

pytest.importorskip(
    "tvb.adapters.forms.model_forms", reason="tvb-framework is not installed (the 'gui' extra)"
)

from tvb.datatypes.connectivity import Connectivity  # noqa: E402
from tvb.simulator import integrators, monitors  # noqa: E402
from tvb.simulator.simulator import Simulator  # noqa: E402

from tvb_ngnmm import gui  # noqa: E402
from tvb_ngnmm.gui import _engine, server  # noqa: E402
from tvb_ngnmm.models import NextGenEI  # noqa: E402

# tvb-framework's dependency formencode imports the deprecated cgi module
pytestmark = pytest.mark.filterwarnings("ignore:'cgi' is deprecated:DeprecationWarning")

LENGTH = 8.0  # ms


def _simulator(integrator=None, horizon=None):
    """NextGenEI on tvb76, with the same initial history at each call."""
    connectivity = Connectivity.from_file()
    connectivity.speed = np.array([4.0])
    sim = Simulator(
        model=NextGenEI(),
        connectivity=connectivity,
        integrator=integrator or integrators.HeunDeterministic(dt=2**-5),
        monitors=(monitors.TemporalAverage(period=0.5), monitors.Raw()),
        simulation_length=LENGTH,
    )
    if horizon is None:
        horizon = sim.configure().connectivity.idelays.max() + 1
        return _simulator(integrator, horizon)
    shape = (horizon, len(sim.model.state_variables), 76, 1)
    sim.initial_conditions = np.random.default_rng(0).uniform(0.1, 0.5, shape)
    return sim.configure()


class _Adapter:
    """The part of TVB's SimulatorAdapter.launch the hook relies on: the loop and its writes."""

    log = type("Log", (), {"info": staticmethod(lambda message: None)})()
    operation_id = None

    def __init__(self, sim):
        self.algorithm, self.written = sim, [([], []) for _ in sim.monitors]

    def launch(self, view_model):
        for result in self.algorithm(simulation_length=self.algorithm.simulation_length):
            for (times, data), sample in zip(self.written, result, strict=True):
                if sample is not None:
                    times.append(sample[0])
                    data.append(sample[1])
        return [(np.array(times), np.array(data)) for times, data in self.written]


@pytest.fixture
def hooked(monkeypatch):
    """``_Adapter.launch`` wrapped by the engine's hook; the messages it reports."""
    messages = []
    monkeypatch.setattr(_engine, "_reporter", lambda adapter: messages.append)
    monkeypatch.setattr(_Adapter, "launch", _engine.engine_launch(_Adapter.launch))
    return messages


def _assert_same_outputs(stored, expected, rtol):
    assert len(stored) == len(expected)
    for (times, data), (want_times, want_data) in zip(stored, expected, strict=True):
        np.testing.assert_allclose(times, want_times, rtol=1e-12)
        assert data.shape == want_data.shape
        np.testing.assert_allclose(data, want_data, rtol=rtol, atol=1e-9)


def test_supported_simulation_runs_on_the_engine_and_stores_stock_outputs(hooked):
    """Case: a region simulation the engine supports: the adapter stores, sample by sample,
    what stock ``sim.run()`` returns; the operation says it ran on the engine."""
    sim, stock = _simulator(), _simulator()
    stored = _Adapter(sim).launch(None)
    assert len(hooked) == 1 and hooked[0].startswith(_engine.ENGINE_MESSAGE), hooked
    assert type(sim) is Simulator  # the simulator's class is given back
    _assert_same_outputs(stored, stock.run(), rtol=1e-5)
    assert sim.current_step == stock.current_step  # advanced, as by sim.run()
    np.testing.assert_allclose(sim.current_state, stock.current_state, rtol=1e-5)


def test_unsupported_simulation_falls_back_to_stock_with_the_reason(hooked):
    """Case: a configuration the engine does not run (Runge-Kutta here; surfaces likewise):
    TVB's own loop runs it, identical to stock, and the operation gives the engine's reason."""
    rk4 = integrators.RungeKutta4thOrderDeterministic
    sim, stock = _simulator(rk4(dt=2**-5)), _simulator(rk4(dt=2**-5))
    stored = _Adapter(sim).launch(None)
    assert len(hooked) == 1 and hooked[0].startswith(_engine.STOCK_MESSAGE), hooked
    assert "RungeKutta4thOrderDeterministic" in hooked[0]
    _assert_same_outputs(stored, stock.run(), rtol=0)


def test_engine_switched_off_runs_stock(hooked, monkeypatch):
    """Case: TVB_NGNMM_GUI_ENGINE=0: stock TVB's loop, and the operation says why."""
    monkeypatch.setenv(_engine.ENGINE_VARIABLE, "0")
    sim, stock = _simulator(), _simulator()
    stored = _Adapter(sim).launch(None)
    assert hooked == [f"{_engine.STOCK_MESSAGE}: the tvb_ngnmm engine is switched off "
                      f"({_engine.ENGINE_VARIABLE}=0)."]  # fmt: skip
    _assert_same_outputs(stored, stock.run(), rtol=0)


@pytest.mark.parametrize("value", ["yes", "2", "off"])
def test_bad_engine_variable_is_refused(monkeypatch, value):
    """Case: a value of TVB_NGNMM_GUI_ENGINE other than 0 or 1."""
    monkeypatch.setenv(_engine.ENGINE_VARIABLE, value)
    with pytest.raises(ValueError, match=rf"'TVB_NGNMM_GUI_ENGINE'.*'1'.*'0'.*got '{value}'"):
        gui.use_engine()
    assert not gui.is_engine_used()


def test_engine_outputs_follow_each_monitor_to_its_last_sample():
    """Case: monitors with different numbers of samples give None once a monitor is done."""
    fast = (np.arange(3.0), np.arange(3.0).reshape(3, 1, 1, 1))
    slow = (np.array([1.0]), np.full((1, 1, 1, 1), 7.0))
    steps = list(_engine.engine_outputs([fast, slow]))
    assert [step[1] is None for step in steps] == [False, True, True]
    assert [float(step[0][0]) for step in steps] == [0.0, 1.0, 2.0]
    assert steps[0][1][1].shape == (1, 1, 1)


def test_operations_start_through_the_engine_launcher():
    """Case: the server starts TVB's operation processes with the engine's launcher (and any
    other command unchanged)."""
    command = ["python", "-m", "tvb.core.operation_async_launcher", "7", "WEB_PROFILE"]
    assert _engine.engine_operation_command(command) == [
        "python", "-m", "tvb_ngnmm.gui._operation", "7", "WEB_PROFILE",
    ]  # fmt: skip
    other = ["python", "-m", "tvb.interfaces.web.run", "WEB_PROFILE"]
    assert _engine.engine_operation_command(other) == other


def test_use_engine_installs_and_restores():
    from tvb.adapters.simulator.simulator_adapter import SimulatorAdapter
    from tvb.core.services.backend_clients import standalone_client

    popen, launch = standalone_client.Popen, SimulatorAdapter.launch
    try:
        assert gui.use_engine() is True and gui.use_engine() is False and gui.is_engine_used()
        assert standalone_client.Popen.__wrapped__ is popen
        assert SimulatorAdapter.launch.__wrapped__ is launch
    finally:
        assert gui.stop_using_engine() is True
    assert standalone_client.Popen is popen and SimulatorAdapter.launch is launch
    assert gui.stop_using_engine() is False


@pytest.fixture
def registered():
    gui.unregister()
    gui.register()
    yield
    gui.unregister()


def _default_post():
    """NextGenEI's default parameters as the simulator page posts them."""
    model = NextGenEI()
    post = {name: f"[{getattr(model, name)[0]}]" for name in model.parameter_names}
    return {**post, "variables_of_interest": ["r_e"]}


def _nextgenei_form(tau_e):
    form = gui.model_form_class(NextGenEI)()
    post = _default_post()
    form.fill_from_post({**post, "tau_e": tau_e})
    return form


def test_model_form_refuses_what_the_model_refuses():
    """Case: tau_e = -8 in the simulator page's NextGenEI form: the form is invalid, with the
    model's own message under tau_e."""
    with pytest.raises(ValueError) as expected:
        NextGenEI().check_parameter("tau_e", np.array([-8.0]))
    form = _nextgenei_form("[-8]")
    assert form.validate() is False
    assert [str(error) for error in form.tau_e.errors] == [str(expected.value)]
    assert "tau_e" in str(expected.value) and "-8" in str(expected.value)
    assert _nextgenei_form("[8]").validate() is True


def test_simulator_page_checks_the_model_form(registered):
    from tvb.interfaces.web.controllers.simulator.simulator_controller import (
        SimulatorController,
    )

    original = SimulatorController.set_model_params
    try:
        assert gui.refuse_invalid_model_parameters() is True
        assert gui.refuse_invalid_model_parameters() is False
        assert SimulatorController.set_model_params.__wrapped__ is original
        assert SimulatorController.set_model_params.exposed
    finally:
        assert gui.accept_any_model_parameters() is True
    assert SimulatorController.set_model_params is original
    assert not gui.are_invalid_model_parameters_refused()


def test_refused_model_form_is_rendered_with_the_message(registered):
    """Case: the check in front of the simulator page: an invalid post gives the model form
    back with the message; a valid one gives None (the page goes on)."""
    from tvb_ngnmm.gui._model_form import refused_model_form

    sim = _simulator()
    context = type("Context", (), {"last_loaded_fragment_url": "/burst/set_model_params"})()
    context.get_common_params = lambda: (sim, False, False, False)
    prepare = {"prepare_adapter_form": lambda self, form_instance: form_instance}
    service = type("Service", (), prepare)
    controller = type("Controller", (), {"context": context, "algorithm_service": service()})()
    post = _default_post()
    refused = refused_model_form(controller, {**post, "tau_e": "[-8]"})
    assert refused is not None and refused.form_action_url.endswith("set_model_params")
    assert "Allowed values are > 0" in str(refused.form.tau_e.errors[0])
    assert refused_model_form(controller, post) is None
    assert float(sim.model.tau_e[0]) == 8.0  # the simulation's model is left unchanged


def test_cortex_needs_the_76_region_connectivity(tmp_path):
    """Case: seed_project(cortex=True) with a connectivity the region mapping does not fit."""
    with pytest.raises(ValueError, match=r"'connectivity'.*'connectivity_76.zip'.*got 'conn"):
        server.seed_project(tmp_path, connectivity="connectivity_68.zip", cortex=True)


def test_gui_command_refuses_a_bad_engine_variable(monkeypatch, capsys):
    """Case: ``tvb-ngnmm gui`` with TVB_NGNMM_GUI_ENGINE=yes stops before starting TVB."""
    monkeypatch.setenv(_engine.ENGINE_VARIABLE, "yes")
    assert server.main(["--port", str(server.free_port())]) == 1
    assert "Invalid value for the 'TVB_NGNMM_GUI_ENGINE'" in capsys.readouterr().err
