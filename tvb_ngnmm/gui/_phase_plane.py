r"""Adaptations of tvb-framework's phase-plane page (Simulator > Phase plane).

Two changes, applied by :func:`adapt_phase_plane` (the launcher calls it at start-up) and undone
by :func:`restore_phase_plane`:

1. **NumPy 2.** tvb-framework 2.10's
   ``DynamicModelController._get_model_parameters_ui_model`` builds the parameter sliders with
   ``float(attr.default)``. Model parameter defaults are one-element arrays
   (``np.array([8.0])``); NumPy 2 refuses to convert them (``TypeError: only 0-dimensional
   arrays can be converted to Python scalars``), so the page fails for every model, TVB's and the
   plugin's. That one static method is replaced by :func:`model_parameters_ui_model`, the same
   code reading the default's single element. It is replaced only if calling TVB's own version
   fails (so a fixed tvb-framework is left alone).
2. **Equations under the model list.** The page shows, under the model list, the docstring of
   the model's ``dfun`` (TVB's models write their equations there). For the plugin's models it
   shows instead the beginning of the model's docstring, up to the end of its first
   ``.. math::`` block (:func:`equations_rst`): the equations have one home, the class docstring.
"""

from __future__ import annotations

import inspect
import threading
import warnings
from dataclasses import dataclass, field

import numpy as np
from tvb.basic.neotraits.info import convert_rst_to_html

from ._registry import plugin_models

_LOCK = threading.Lock()


@dataclass
class _Adaptation:
    """What :func:`adapt_phase_plane` changed: ``(owner, name, original value)`` to restore."""

    changes: list[tuple[object, str, object]] = field(default_factory=list)


_ACTIVE: _Adaptation | None = None


def model_parameters_ui_model(model) -> list[dict]:
    """The phase-plane sliders of ``model``'s parameters, as tvb-framework's page expects them.

    tvb-framework 2.10's ``DynamicModelController._get_model_parameters_ui_model`` with one change:
    the default is the single element of the trait's one-element default array (TVB's code calls
    ``float()`` on the array, which NumPy 2 rejects).

    Returns
    -------
    list of dict
        One ``{name, label, description, min, max, step, default}`` per parameter configurable
        in the phase plane that has a domain (a range).
    """
    # deferred: optional extra 'gui'
    from tvb.adapters.forms.model_forms import get_form_for_model  # noqa: PLC0415
    from tvb.interfaces.web.controllers.burst.dynamic_model_controller import (  # noqa: PLC0415
        DynamicModelController,
    )

    sliders = []
    form = get_form_for_model(type(model))()
    for parameter in form.get_params_configurable_in_phase_plane():
        trait = getattr(type(model), parameter.name)
        domain = trait.domain
        if domain is None:
            DynamicModelController.LOGGER.warning(
                "Param %s doesn't have a domain specified", parameter.name
            )
            continue
        sliders.append({
            "name": parameter.name, "label": trait.label, "description": trait.doc,
            "min": domain.lo, "max": domain.hi, "step": domain.step,
            "default": float(np.ravel(trait.default)[0]),
        })  # fmt: skip
    return sliders


def equations_rst(model_cls: type) -> str | None:
    """The model's docstring up to the end of its first ``.. math::`` block (None if it has none).

    The reStructuredText the phase-plane page shows under the model list for the plugin's models:
    the summary, the introduction of the equations and the equations.
    """
    # tvb's metaclass replaces __doc__ by a generated text and keeps the original in __doc_old__
    doc = getattr(model_cls, "__doc_old__", None) or model_cls.__doc__
    lines = inspect.cleandoc(doc or "").splitlines()
    starts = [i for i, line in enumerate(lines) if line.strip() == ".. math::"]
    if not starts:
        return None
    indent = len(lines[starts[0]]) - len(lines[starts[0]].lstrip())
    end = starts[0] + 1
    for i in range(starts[0] + 1, len(lines)):
        line = lines[i]
        if line.strip() and len(line) - len(line.lstrip()) <= indent:
            break
        if line.strip():
            end = i + 1
    return "\n".join(lines[:end]) + "\n"


def _has_numpy2_bug(controller: type) -> bool:
    """Whether tvb-framework's slider code fails on a model of its own under this NumPy."""
    # deferred: importing a TVB model family compiles its Numba code
    from tvb.simulator.models import Generic2dOscillator  # noqa: PLC0415

    try:
        with warnings.catch_warnings():
            # NumPy 1.25-1.26 only warns (DeprecationWarning) where NumPy 2 raises
            warnings.simplefilter("error", DeprecationWarning)
            controller._get_model_parameters_ui_model(Generic2dOscillator())
    except (TypeError, DeprecationWarning):
        return True
    return False


def _inline_description_with_equations(original):
    """``original`` (TVB's dfun-docstring renderer) showing the plugin models' equations."""
    plugin_classes = {cls for _, cls, _ in plugin_models()}

    def inline_description(model):
        text = equations_rst(model) if model in plugin_classes else None
        return original(model) if text is None else convert_rst_to_html(text)

    inline_description.__name__ = original.__name__
    inline_description.__doc__ = original.__doc__
    inline_description.__wrapped__ = original
    return inline_description


def adapt_phase_plane() -> bool:
    """Make tvb-framework's phase-plane page work under NumPy 2 and show the plugin's equations.

    Imports tvb-framework's web controllers (call it in the web server's process, before it
    serves; ``tvb-ngnmm gui`` does). The changes are described in the module's docstring.

    Returns
    -------
    bool
        True if this call adapted the page, False if it was already adapted (calling again
        changes nothing).
    """
    global _ACTIVE
    with _LOCK:
        if _ACTIVE is not None:
            return False
        # deferred: optional extra 'gui'
        from tvb.interfaces.web.controllers.burst import matjax  # noqa: PLC0415
        from tvb.interfaces.web.controllers.burst.dynamic_model_controller import (  # noqa: PLC0415
            DynamicModelController,
        )

        adaptation = _Adaptation()
        name = "_get_model_parameters_ui_model"
        if _has_numpy2_bug(DynamicModelController):
            adaptation.changes.append(
                (DynamicModelController, name, vars(DynamicModelController)[name])
            )
            setattr(DynamicModelController, name, staticmethod(model_parameters_ui_model))
        name = "_dfun_math_directives_to_matjax"
        original = getattr(matjax, name)
        adaptation.changes.append((matjax, name, original))
        setattr(matjax, name, _inline_description_with_equations(original))
        _ACTIVE = adaptation
        return True


def restore_phase_plane() -> bool:
    """Undo :func:`adapt_phase_plane`; False if there is nothing to undo."""
    global _ACTIVE
    with _LOCK:
        if _ACTIVE is None:
            return False
        for owner, name, original in reversed(_ACTIVE.changes):
            setattr(owner, name, original)
        _ACTIVE = None
        return True


def is_phase_plane_adapted() -> bool:
    """Whether :func:`adapt_phase_plane` is in effect."""
    return _ACTIVE is not None
