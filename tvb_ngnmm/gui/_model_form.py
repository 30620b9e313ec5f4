"""The simulator page refuses a model parameter the model refuses, at the model form's step.

tvb-framework 2.10's simulator page (``SimulatorController.set_model_params``) copies the posted
model parameters onto the simulation's model without checking them, and moves on to the
integrator's form; a value the model refuses (``NextGenEI``'s ``tau_e = -8``) then fails only at
Launch, with an HTTP 500 and the model's message in the server's log alone.
:func:`refuse_invalid_model_parameters` (``tvb-ngnmm gui`` calls it at start-up) puts a check in
front: the posted form is validated (``form.validate()``: the fields' own checks, and for the
plugin's models the model's ``check_parameter``, see :func:`tvb_ngnmm.gui.model_form_class`); if
it is invalid, the page gets the model form back, with the posted values and each message under
its field, in place of the one posted, and the simulation's model is left unchanged. Valid
forms go on as before.
"""

from __future__ import annotations

import threading

_LOCK = threading.Lock()
_ACTIVE: list[tuple[object, str, object]] = []

# The refused form replaces the one posted: the page appends the answer after the posted form
# (disabled), so the posted form is removed (scripts in the fragment run when it is appended).
_REPLACE_POSTED_FORM = """
<script>
(function () {{
    var forms = document.querySelectorAll('form[id="{form_id}"]');
    for (var i = 0; i < forms.length - 1; i++) {{ forms[i].remove(); }}
}})();
</script>
"""
# Once accepted, the model form keeps no message of an earlier refusal.
_CLEAR_MESSAGES = """
<script>
document.querySelectorAll('form[id="{form_id}"] p.errorMessage').forEach(function (message) {{
    message.replaceChildren();
}});
</script>
"""


def refused_model_form(controller, data: dict):
    """The rendering rules of the model form with its errors, or None if ``data`` is valid.

    Parameters
    ----------
    controller : tvb.interfaces.web.controllers.simulator.simulator_controller.SimulatorController
        The simulator page's controller (holds the session's simulation).
    data : dict
        The posted model form.
    """
    # deferred: optional extra 'gui', web server only
    from tvb.adapters.forms.model_forms import get_form_for_model  # noqa: PLC0415
    from tvb.interfaces.web.controllers.simulator.simulator_fragment_rendering_rules import (  # noqa: PLC0415
        SimulatorFragmentRenderingRules,
    )
    from tvb.interfaces.web.controllers.simulator.simulator_wizzard_urls import (  # noqa: PLC0415
        SimulatorWizzardURLs,
    )

    simulator, is_copy, is_load, is_branch = controller.context.get_common_params()
    form = get_form_for_model(type(simulator.model))(is_branch)
    posted = dict(data)
    if is_branch:  # as tvb-framework does: a branch keeps the variables of interest
        posted["variables_of_interest"] = list(simulator.model.variables_of_interest)
    form.fill_from_post(posted)
    if form.validate():
        return None
    form = controller.algorithm_service.prepare_adapter_form(form_instance=form)
    urls = SimulatorWizzardURLs
    return SimulatorFragmentRenderingRules(
        form, urls.SET_MODEL_PARAMS_URL, urls.SET_MODEL_URL, is_copy, is_load,
        controller.context.last_loaded_fragment_url, "POST", is_branch=is_branch,
    )  # fmt: skip


def _checked_set_model_params(original):
    """``SimulatorController.set_model_params`` (``original``) refusing invalid model forms."""
    # deferred: optional extra 'gui', web server only
    import cherrypy  # noqa: PLC0415
    from tvb.interfaces.web.controllers.decorators import (  # noqa: PLC0415
        check_user,
        handle_error,
        using_template,
    )
    from tvb.interfaces.web.controllers.simulator.simulator_wizzard_urls import (  # noqa: PLC0415
        SimulatorWizzardURLs,
    )

    render = using_template("simulator_fragment")(lambda **values: values)
    form_id = SimulatorWizzardURLs.SET_MODEL_PARAMS_URL

    def set_model_params(self, **data):
        if cherrypy.request.method != "POST":
            return original(self, **data)
        refused = refused_model_form(self, data)
        if refused is not None:
            page, script = render(**refused.to_dict()), _REPLACE_POSTED_FORM
        else:
            page, script = original(self, **data), _CLEAR_MESSAGES
        return page + script.format(form_id=form_id) if isinstance(page, str) else page

    checked = cherrypy.expose(handle_error(redirect=False)(check_user(set_model_params)))
    checked.__wrapped__ = original
    return checked


def refuse_invalid_model_parameters() -> bool:
    """Have the simulator page refuse invalid model forms (see the module's docstring).

    Imports tvb-framework's web controllers (call it in the web server's process before it
    serves; ``tvb-ngnmm gui`` does).

    Returns
    -------
    bool
        True if this call installed the check, False if it was installed already.
    """
    with _LOCK:
        if _ACTIVE:
            return False
        # deferred: optional extra 'gui', web server only
        from tvb.interfaces.web.controllers.simulator.simulator_controller import (  # noqa: PLC0415
            SimulatorController,
        )

        original = vars(SimulatorController)["set_model_params"]
        SimulatorController.set_model_params = _checked_set_model_params(original)
        _ACTIVE.append((SimulatorController, "set_model_params", original))
        return True


def accept_any_model_parameters() -> bool:
    """Undo :func:`refuse_invalid_model_parameters`; False if there is nothing to undo."""
    with _LOCK:
        if not _ACTIVE:
            return False
        for owner, name, original in reversed(_ACTIVE):
            setattr(owner, name, original)
        _ACTIVE.clear()
        return True


def are_invalid_model_parameters_refused() -> bool:
    """Whether :func:`refuse_invalid_model_parameters` is in effect."""
    return bool(_ACTIVE)
