"""Registration of the plugin's models and couplings into tvb-framework's lists and forms."""

import re
import socket
import sys
import uuid

import numpy as np
import pytest

pytest.importorskip(
    "tvb.adapters.forms.model_forms", reason="tvb-framework is not installed (the 'gui' extra)"
)

from tvb.adapters.forms import coupling_forms, model_forms  # noqa: E402
from tvb.simulator import models as sim_models  # noqa: E402

from tvb_ngnmm import gui  # noqa: E402
from tvb_ngnmm.coupling import Additive, Laplacian  # noqa: E402
from tvb_ngnmm.gui import _registry, server  # noqa: E402
from tvb_ngnmm.models import MPRSynaptic, NextGenEI  # noqa: E402
from tvb_ngnmm.testing import check_dfun_strings  # noqa: E402

# tvb-framework's dependency formencode imports the deprecated cgi module
pytestmark = pytest.mark.filterwarnings("ignore:'cgi' is deprecated:DeprecationWarning")

ORIGINALS = {
    "models": model_forms.ModelsEnum,
    "model_forms": model_forms.get_model_to_form_dict,
    "couplings": coupling_forms.CouplingFunctionsEnum,
    "coupling_forms": coupling_forms.get_coupling_to_form_dict,
    "simulator_models": sim_models.ModelsEnum,
}


@pytest.fixture
def registered():
    gui.unregister()
    assert gui.register() is True
    yield
    gui.unregister()


def _current():
    return {
        "models": model_forms.ModelsEnum,
        "model_forms": model_forms.get_model_to_form_dict,
        "couplings": coupling_forms.CouplingFunctionsEnum,
        "coupling_forms": coupling_forms.get_coupling_to_form_dict,
        "simulator_models": sim_models.ModelsEnum,
    }


def _labels(tuple_enum):
    return {str(member): member.value for member in tuple_enum}


def test_models_and_couplings_listed(registered):
    models = _labels(model_forms.ModelsEnum)
    assert models["NextGenEI"] is NextGenEI and models["MPRSynaptic"] is MPRSynaptic
    # TVB's own models stay, in their order, before the plugin's
    assert list(models)[: len(ORIGINALS["models"])] == list(_labels(ORIGINALS["models"]))
    couplings = _labels(coupling_forms.CouplingFunctionsEnum)
    assert couplings["Laplacian"] is Laplacian and couplings["Additive"] is Additive
    assert "Linear" in couplings


def test_labels_have_no_parentheses_or_dots(registered):
    plugin = {NextGenEI, MPRSynaptic, Laplacian, Additive}
    members = [*model_forms.ModelsEnum, *coupling_forms.CouplingFunctionsEnum]
    labels = [str(member) for member in members if member.value in plugin]
    assert len(labels) == 4
    for label in labels:
        assert re.fullmatch(r"[A-Za-z0-9_ -]+", label), label


def test_simulator_page_fragment_offers_the_models(registered):
    from tvb.adapters.forms.simulator_fragments import SimulatorModelFragment

    choices = {str(choice): choice.value for choice in SimulatorModelFragment().model.choices}
    assert choices["NextGenEI"] is NextGenEI and choices["MPRSynaptic"] is MPRSynaptic


def test_names_imported_elsewhere_are_rebound(registered):
    from tvb.adapters.forms import simulator_fragments
    from tvb.adapters.simulator import simulator_adapter

    assert simulator_fragments.ModelsEnum is model_forms.ModelsEnum
    assert NextGenEI in simulator_adapter.get_model_to_form_dict()
    assert simulator_adapter.CouplingFunctionsEnum is coupling_forms.CouplingFunctionsEnum


def test_widgets_enum_lists_the_models(registered):
    members = {member.name: member for member in sim_models.ModelsEnum}
    assert members["NEXT_GEN_EI"].get_class() is NextGenEI
    assert members["MPR_SYNAPTIC"].get_class() is MPRSynaptic
    assert members["JANSEN_RIT"].get_class().__name__ == "JansenRit"
    subclasses = sim_models.ModelsEnum.get_base_model_subclasses()
    assert NextGenEI in subclasses and MPRSynaptic in subclasses


@pytest.mark.parametrize("model_cls", [NextGenEI, MPRSynaptic])
def test_model_form_has_one_field_per_parameter(registered, model_cls):
    form = model_forms.get_form_for_model(model_cls)()
    names = [field.name for field in form.fields]
    expected = [*model_cls.parameter_names.default, "variables_of_interest"]
    assert names == expected
    voi = form.variables_of_interest
    assert list(voi.trait_attribute.element_choices) == list(model_cls.state_variables)
    assert len(form.get_params_configurable_in_phase_plane()) == len(expected) - 1


def test_model_form_round_trip_from_post(registered):
    form = model_forms.get_form_for_model(NextGenEI)()
    form.fill_from_trait(NextGenEI())
    post = {field.name: field.value for field in form.fields}
    post.update(eta_e="[-3.5]", J_ee="[7.25]", variables_of_interest=["r_e", "v_i"])
    form = model_forms.get_form_for_model(NextGenEI)()
    form.fill_from_post(post)
    assert form.validate()
    model = NextGenEI()
    form.fill_trait(model)
    assert model.eta_e.tolist() == [-3.5] and model.J_ee.tolist() == [7.25]
    assert model.tau_e.tolist() == [8.0]
    assert list(model.variables_of_interest) == ["r_e", "v_i"]


def test_coupling_form_fields_and_choices(registered):
    form = coupling_forms.get_form_for_coupling(Laplacian)()
    assert sorted(field.name for field in form.fields) == ["a", "normalize"]
    form.fill_from_post({"a": "[0.25]", "normalize": "sym"})
    coupling = Laplacian()
    form.fill_trait(coupling)
    assert coupling.normalize == "sym" and coupling.a.tolist() == [0.25]
    bad = coupling_forms.get_form_for_coupling(Additive)()
    bad.fill_from_post({"a": "[0.25]", "normalize": "rw"})
    assert not bad.validate()


def test_simulation_saved_and_reloaded(registered, tmp_path):
    from tvb.core.entities.file.simulator.view_model import SimulatorAdapterModel
    from tvb.core.neocom import h5

    config = SimulatorAdapterModel()
    config.connectivity = uuid.uuid4()
    config.model = NextGenEI(eta_e=np.array([-4.25]), variables_of_interest=["r_e", "s_i"])
    config.coupling = Laplacian(a=np.array([0.3]), normalize="sym")
    h5.store_view_model(config, str(tmp_path))
    back = h5.load_view_model(config.gid, str(tmp_path))
    assert type(back.model) is NextGenEI and type(back.coupling) is Laplacian
    assert back.model.eta_e.tolist() == [-4.25]
    assert list(back.model.variables_of_interest) == ["r_e", "s_i"]
    assert back.coupling.normalize == "sym" and back.coupling.a.tolist() == [0.3]
    form = model_forms.get_form_for_model(NextGenEI)()
    form.fill_from_trait(back.model)
    assert form.eta_e.value == "[-4.25]"
    # TVB reads the drift expressions back as 0-d arrays, into the class's shared default: the
    # package still reads them as expressions (the common suite's dfun-string check passes)
    check_dfun_strings(NextGenEI)


def test_register_is_idempotent(registered):
    enum_before = model_forms.ModelsEnum
    assert gui.register() is False
    assert model_forms.ModelsEnum is enum_before
    labels = [str(member) for member in model_forms.ModelsEnum]
    assert labels.count("NextGenEI") == 1 and labels.count("MPRSynaptic") == 1
    assert gui.is_registered()


def test_unregister_restores_tvb_lists():
    gui.unregister()
    gui.register()
    assert gui.unregister() is True
    assert _current() == ORIGINALS
    assert "NextGenEI" not in vars(sim_models)
    assert gui.unregister() is False
    assert not gui.is_registered()


def test_moved_internals_give_clear_message_and_register_nothing(monkeypatch):
    gui.unregister()
    monkeypatch.delattr(model_forms, "get_model_to_form_dict")
    with pytest.raises(RuntimeError, match=r"built against tvb-framework 2\.10\.0.*get_model_to"):
        gui.register()
    monkeypatch.undo()
    assert not gui.is_registered() and _current() == ORIGINALS


def test_failure_midway_leaves_nothing_registered(monkeypatch):
    gui.unregister()
    rebind = _registry._rebind_everywhere

    def rebind_then_fail(replacements, registration):
        rebind(replacements, registration)
        assert registration.rebinds, "the failure must come after some re-binding"
        raise RuntimeError("simulated failure")

    monkeypatch.setattr(_registry, "_rebind_everywhere", rebind_then_fail)
    with pytest.raises(RuntimeError, match="simulated failure"):
        gui.register()
    assert not gui.is_registered() and _current() == ORIGINALS


def test_label_clash_is_reported():
    from tvb.basic.neotraits.api import TupleEnum

    clash = TupleEnum("ModelsEnum", [("OTHER", (MPRSynaptic, "NextGenEI"))])
    with pytest.raises(ValueError, match=r"label 'NextGenEI' .* already names .*MPRSynaptic"):
        _registry._extended_tuple_enum(clash, _registry.plugin_models(), TupleEnum)


def test_missing_framework_message(monkeypatch):
    gui.unregister()
    monkeypatch.setitem(sys.modules, "tvb.adapters.forms", None)
    with pytest.raises(ImportError, match=r"needs tvb-framework.*pip install 'tvb-ngnmm\[gui\]'"):
        gui.register()
    assert not gui.is_registered()


def test_port_in_use_is_reported():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(1)
        port = sock.getsockname()[1]
        with pytest.raises(OSError, match=f"Port {port} on 127.0.0.1 is already in use"):
            server.check_port_free(port)
    with pytest.raises(ValueError, match="Invalid value for the 'port' parameter.*got 70000"):
        server.check_port_free(70000)


def test_configuration_binds_loopback_and_sqlite(tmp_path):
    path = server.prepare_home(tmp_path, 8123)
    settings = dict(line.split("=", 1) for line in path.read_text().splitlines())
    assert settings["SERVER_IP"] == "127.0.0.1" and settings["WEB_SERVER_PORT"] == "8123"
    assert settings["SELECTED_DB"] == "sqlite"
    assert settings["URL_VALUE"].startswith("sqlite:///" + str(tmp_path.resolve()))
    assert settings["URL_TVB_VERSION"].startswith("http://127.0.0.1:")
    assert len(settings) >= 3  # fewer sends TVB to its first-run page


def test_model_labels_keep_their_case_in_the_lists(registered):
    from tvb.adapters.forms.simulator_fragments import SimulatorModelFragment

    labels = [option.label for option in SimulatorModelFragment().model.options()]
    assert "NextGenEI" in labels and "MPRSynaptic" in labels
    assert "Nextgenei" not in labels and "Mprsynaptic" not in labels
    # TVB's own labels are title-cased as before
    assert "Generic 2D Oscillator" in labels
    from tvb.adapters.simulator.simulator_adapter import SimulatorAdapterForm

    coupling_labels = [option.label for option in SimulatorAdapterForm().coupling.options()]
    assert "Laplacian" in coupling_labels and "Additive" in coupling_labels


# The phase-plane page (Simulator > Phase plane). Importing its controller makes tvb-framework
# introspect its adapters, which takes a few seconds once per test session.


@pytest.fixture
def phase_plane():
    from tvb.interfaces.web.controllers.burst import dynamic_model_controller, matjax

    gui.unregister()
    gui.restore_phase_plane()
    assert gui.register() is True
    originals = (
        vars(dynamic_model_controller.DynamicModelController)["_get_model_parameters_ui_model"],
        matjax._dfun_math_directives_to_matjax,
    )
    assert gui.adapt_phase_plane() is True
    yield dynamic_model_controller
    gui.restore_phase_plane()
    gui.unregister()
    restored = (
        vars(dynamic_model_controller.DynamicModelController)["_get_model_parameters_ui_model"],
        matjax._dfun_math_directives_to_matjax,
    )
    assert restored == originals


def test_tvb_phase_plane_sliders_fail_under_numpy_2():
    """The bug the adaptation works around (tvb-framework 2.10, NumPy >= 2)."""
    import warnings

    from tvb.interfaces.web.controllers.burst.dynamic_model_controller import (
        DynamicModelController,
    )

    gui.restore_phase_plane()
    if np.lib.NumpyVersion(np.__version__) < "2.0.0":
        pytest.skip("NumPy 1 converts one-element arrays to float")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises((TypeError, DeprecationWarning)):
            DynamicModelController._get_model_parameters_ui_model(sim_models.Generic2dOscillator())


@pytest.mark.parametrize("model_cls", [NextGenEI, sim_models.Generic2dOscillator])
def test_phase_plane_sliders_after_adaptation(phase_plane, model_cls):
    controller = phase_plane.DynamicModelController
    sliders = controller._get_model_parameters_ui_model(model_cls())
    form = model_forms.get_form_for_model(model_cls)()
    names = [field.name for field in form.get_params_configurable_in_phase_plane()]
    assert [slider["name"] for slider in sliders] == names
    for slider in sliders:
        trait = getattr(model_cls, slider["name"])
        assert slider["default"] == trait.default[0] and isinstance(slider["default"], float)
        assert (slider["min"], slider["max"]) == (trait.domain.lo, trait.domain.hi)


def test_phase_plane_draws_nextgenei_and_a_trajectory(phase_plane):
    """The controller's steps for NextGenEI: select it, draw the plane, integrate a trajectory."""
    import json

    dynamic = phase_plane.Dynamic(NextGenEI())
    graph = phase_plane.DynamicModelController._get_graph_ui_model(dynamic)
    x, y = graph["state_variables"][:2]
    assert graph["default_sv"] == ["r_e", "v_e"] == [x["name"], y["name"]]
    dynamic.phase_plane.update_axis(
        0, "r_e", "v_e", [x["lo"], x["hi"]], [y["lo"], y["hi"]], {"s_e": 0.05}
    )
    plane = dynamic.phase_plane.compute_phase_plane()
    assert len(plane["plane"]) == (84 // 2) ** 2 and np.isfinite(plane["plane"]).all()
    start = {"r_e": 0.05, "v_e": -1.0, "s_e": 0.05, "r_i": 0.05, "v_i": -1.0, "s_i": 0.05}
    trajectories, signals = dynamic.phase_plane.trajectories([start], 64)
    trajectory = np.array(trajectories[0])
    assert trajectory.shape == (65, 2) and np.isfinite(trajectory).all()
    assert trajectory[0].tolist() == [0.05, -1.0] and len(signals) == 2
    json.dumps({"trajectories": trajectories, "signals": signals})  # what the page receives


def test_phase_plane_adaptation_is_idempotent_and_skipped_when_fixed(phase_plane, monkeypatch):
    from tvb_ngnmm.gui import _phase_plane

    controller = phase_plane.DynamicModelController
    fixed = vars(controller)["_get_model_parameters_ui_model"]
    assert gui.adapt_phase_plane() is False and gui.is_phase_plane_adapted()
    assert vars(controller)["_get_model_parameters_ui_model"] is fixed
    # a tvb-framework without the bug keeps its own code
    gui.restore_phase_plane()
    monkeypatch.setattr(controller, "_get_model_parameters_ui_model", fixed)
    assert not _phase_plane._has_numpy2_bug(controller)
    assert gui.adapt_phase_plane() is True
    assert vars(controller)["_get_model_parameters_ui_model"] is fixed
    gui.restore_phase_plane()
    monkeypatch.undo()
    assert gui.adapt_phase_plane() is True  # as the fixture left it


# tvb-framework renders docstrings with docutils' deprecated publish_parts(writer_name=...)
@pytest.mark.filterwarnings('ignore:Argument "writer_name":PendingDeprecationWarning')
def test_equations_shown_under_the_model_list(phase_plane):
    from tvb.interfaces.web.controllers.burst import matjax

    docs = {entry["name"]: entry["inline_description"] for entry in matjax.configure_matjax_doc()}
    assert r"\tau_e \dot r_e" in docs["NextGenEI"] and r"\tau_s \dot s" in docs["MPRSynaptic"]
    assert 'class="math' in docs["NextGenEI"] and "Time derivatives" not in docs["NextGenEI"]
    assert "Units" not in docs["NextGenEI"]  # the text ends with the equations
    tvb_model = sim_models.MontbrioPazoRoxin
    original = matjax._dfun_math_directives_to_matjax.__wrapped__
    assert docs["Montbrio_Pazo_Roxin"] == original(tvb_model)


def test_equations_rst_is_the_docstring_up_to_the_equations():
    from tvb_ngnmm.gui._phase_plane import equations_rst

    text = equations_rst(MPRSynaptic)
    assert text.startswith("One population of quadratic integrate-and-fire neurons")
    assert text.rstrip().endswith(r"\tau_s \dot s &= -s + r")

    class NoEquations:
        """A docstring without a math block."""

    assert equations_rst(NoEquations) is None
