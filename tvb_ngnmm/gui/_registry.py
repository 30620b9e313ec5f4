"""Registration of the plugin's models and couplings into tvb-framework's lists and forms.

tvb-framework has no plugin mechanism: the simulator page lists the models of the enum
``tvb.adapters.forms.model_forms.ModelsEnum`` and builds their parameter forms from
``get_model_to_form_dict()``; couplings likewise come from
``tvb.adapters.forms.coupling_forms``. Both names are imported by name into other modules, so
registering means building extended enums and form tables and re-binding every module attribute
that holds the original objects. The TVB Jupyter widgets list models from
``tvb.simulator.models.ModelsEnum``, which is extended the same way.
"""

from __future__ import annotations

import enum
import re
import sys
import threading
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version

from tvb.basic.neotraits.api import NArray, TupleEnum
from tvb.simulator import models as sim_models

from ..coupling import ChoiceAttr, registered_couplings
from ..models import registered_models

BUILT_AGAINST = "2.10.0"
"""The tvb-framework version whose internals this registration was written for."""


def plugin_models() -> tuple[tuple[str, type, str], ...]:
    """``(enum member name, class, label)`` of each registered model the GUI should list.

    The registered models declared with ``gui=True`` that are not TVB's own (those are listed
    already), e.g. ``("NEXT_GEN_EI", NextGenEI, "NextGenEI")``. Labels are the class names:
    they have no parentheses or dots, because the simulator page builds CSS selectors from them.
    """
    return tuple(
        (_member_name(d.name), d.model, d.name)
        for d in registered_models()
        if d.gui and not d.is_tvb_model
    )


def _member_name(class_name: str) -> str:
    """``'NextGenEI'`` -> ``'NEXT_GEN_EI'``, ``'MPRSynaptic'`` -> ``'MPR_SYNAPTIC'``."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", class_name).upper()


def plugin_couplings() -> tuple[tuple[str, type, str], ...]:
    """``(enum member name, class, label)`` of each registered coupling the GUI should list.

    The registered couplings declared with ``gui=True`` that are not TVB's own, e.g.
    ``("LAPLACIAN", Laplacian, "Laplacian")``.
    """
    return tuple(
        (_member_name(d.name), d.coupling, d.name)
        for d in registered_couplings()
        if d.gui and not d.is_tvb_coupling
    )


_LOCK = threading.Lock()


class _Label(str):
    """A list label shown as written.

    tvb-framework's select fields title-case their labels (``str(choice).title()`` in
    ``tvb.core.neotraits.forms.SelectField.options``), which suits TVB's labels ("Montbrio Pazo
    Roxin") but would show ``NextGenEI`` as "Nextgenei"; a label of this type keeps its case.
    """

    __slots__ = ()

    def title(self) -> str:
        return str.__str__(self)


@dataclass
class _Registration:
    """What :func:`register` changed: ``(namespace, name, original value)`` to restore."""

    rebinds: list[tuple[object, str, object]] = field(default_factory=list)
    added: list[tuple[object, str]] = field(default_factory=list)
    replacements: dict = field(default_factory=dict)


_ACTIVE: _Registration | None = None


def _framework_version() -> str:
    try:
        return version("tvb-framework")
    except PackageNotFoundError:
        return "unknown"


def _internals() -> dict:
    """The tvb-framework objects the registration replaces, checked to look as expected."""
    try:
        # deferred: optional extra 'gui'
        from tvb.adapters.forms import coupling_forms, model_forms  # noqa: PLC0415
        from tvb.adapters.forms.form_with_ranges import FormWithRanges  # noqa: PLC0415
        from tvb.core.neotraits.forms import ArrayField, DynamicSelectField, MultiSelectField  # noqa: PLC0415
    except ModuleNotFoundError as error:
        if error.name is not None and error.name.startswith("tvb"):
            raise ImportError(
                "The TVB GUI integration needs tvb-framework, which is not installed. Install it "
                "with: pip install 'tvb-ngnmm[gui]'"
            ) from error
        raise
    except ImportError as error:
        raise _moved(f"an import failed ({error})") from error
    found = {
        "model_forms.ModelsEnum": getattr(model_forms, "ModelsEnum", None),
        "model_forms.get_model_to_form_dict": getattr(model_forms, "get_model_to_form_dict", None),
        "model_forms.ModelForm": getattr(model_forms, "ModelForm", None),
        "coupling_forms.CouplingFunctionsEnum": getattr(
            coupling_forms, "CouplingFunctionsEnum", None
        ),
        "coupling_forms.get_coupling_to_form_dict": getattr(
            coupling_forms, "get_coupling_to_form_dict", None
        ),
        "tvb.simulator.models.ModelsEnum": getattr(sim_models, "ModelsEnum", None),
    }
    missing = [name for name, value in found.items() if value is None]
    if missing:
        raise _moved(f"{', '.join(missing)} not found")
    for name in ("model_forms.ModelsEnum", "coupling_forms.CouplingFunctionsEnum"):
        if not (isinstance(found[name], type) and issubclass(found[name], TupleEnum)):
            raise _moved(f"{name} is no longer a TupleEnum")
    if not issubclass(found["tvb.simulator.models.ModelsEnum"], enum.Enum):
        raise _moved("tvb.simulator.models.ModelsEnum is no longer an Enum")
    found.update(
        model_forms=model_forms, coupling_forms=coupling_forms, sim_models=sim_models,
        FormWithRanges=FormWithRanges, ArrayField=ArrayField,
        DynamicSelectField=DynamicSelectField, MultiSelectField=MultiSelectField,
    )  # fmt: skip
    return found


def _moved(what: str) -> RuntimeError:
    return RuntimeError(
        f"Cannot register the tvb_ngnmm models in the TVB GUI: tvb_ngnmm.gui was built against "
        f"tvb-framework {BUILT_AGAINST}, but the installed tvb-framework "
        f"{_framework_version()} differs: {what}. Nothing was registered."
    )


def model_form_class(model_cls: type, internals: dict | None = None) -> type:
    """A tvb-framework model form generated from the model's traits.

    One array field per entry of ``parameter_names`` and a multi-select field for
    ``variables_of_interest``; all parameters are configurable in the phase-plane page. Its
    ``validate()`` also runs the model's own check of each parameter (``check_parameter``, when
    the model has one) and adds the model's message to the field's errors.

    Parameters
    ----------
    model_cls : type
        The model class, with ``parameter_names``.
    internals : dict, optional
        The tvb-framework classes the form is built from (``model_forms.ModelForm``,
        ``ArrayField``, ``MultiSelectField``); default those of the installed tvb-framework.

    Returns
    -------
    type
        The form class.
    """
    internals = internals or _internals()
    base, array_field = internals["model_forms.ModelForm"], internals["ArrayField"]
    multi_select = internals["MultiSelectField"]
    names = tuple(model_cls.parameter_names.default)

    def __init__(self, are_voi_disabled=False):
        base.__init__(self, are_voi_disabled)
        for name in names:
            setattr(self, name, array_field(getattr(model_cls, name)))
        self.variables_of_interest = multi_select(model_cls.variables_of_interest)

    def get_params_configurable_in_phase_plane(self):
        return [getattr(self, name) for name in names]

    def validate(self):
        valid = base.validate(self)
        check = getattr(model_cls(), "check_parameter", None)
        for name in names if check is not None else ():
            parameter = getattr(self, name)
            if parameter.errors or parameter.data is None:
                continue
            try:
                check(name, parameter.data)
            except ValueError as error:
                parameter.errors.append(error)
                valid = False
        return valid

    namespace = {
        "__init__": __init__,
        "get_params_configurable_in_phase_plane": get_params_configurable_in_phase_plane,
        "validate": validate,
        "__module__": __name__,
        "__doc__": f"Parameter form of {model_cls.__name__}, generated from its traits.",
    }
    return type(f"{model_cls.__name__}ModelForm", (base,), namespace)


def coupling_form_class(coupling_cls: type, internals: dict | None = None) -> type:
    """A tvb-framework coupling form generated from the coupling's traits.

    Array fields for its array traits (gain ``a``) and a select field for each choice trait
    (``normalize``).

    Parameters
    ----------
    coupling_cls : type
        The coupling class.
    internals : dict, optional
        The tvb-framework classes the form is built from (``FormWithRanges``, ``ArrayField``,
        ``DynamicSelectField``); default those of the installed tvb-framework.

    Returns
    -------
    type
        The form class.
    """
    internals = internals or _internals()
    base, array_field = internals["FormWithRanges"], internals["ArrayField"]
    select = internals["DynamicSelectField"]
    traits = [(name, getattr(coupling_cls, name)) for name in coupling_cls.declarative_attrs]
    fields = [(n, t) for n, t in traits if isinstance(t, NArray | ChoiceAttr)]

    def __init__(self):
        base.__init__(self)
        for name, trait in fields:
            if isinstance(trait, NArray):
                setattr(self, name, array_field(trait))
            else:
                choices = list(trait.choices)
                setattr(self, name, select(trait, choices=choices, display_none_choice=False))

    namespace = {
        "__init__": __init__,
        "__module__": __name__,
        "__doc__": f"Parameter form of {coupling_cls.__name__}, generated from its traits.",
    }
    return type(f"{coupling_cls.__name__}CouplingForm", (base,), namespace)


def _extended_tuple_enum(original: type, additions: tuple, tuple_enum: type) -> type:
    """A copy of a TupleEnum of classes with ``additions`` appended (labels must stay unique)."""
    labels = {str(member): member.value for member in original}
    members = [(member.name, member._value_) for member in original]
    for name, cls, label in additions:
        if label in labels and labels[label] is not cls:
            raise ValueError(
                f"Cannot register {cls.__name__} in the TVB GUI: the label {label!r} of "
                f"{original.__module__}.{original.__name__} already names "
                f"{labels[label].__module__}.{labels[label].__name__}. Nothing was registered."
            )
        if label not in labels:
            members.append((name, (cls, _Label(label))))
    return tuple_enum(original.__name__, members, module=original.__module__)


def _extended_simulator_enum(original: type) -> type:
    """A copy of ``tvb.simulator.models.ModelsEnum`` with the plugin models appended."""
    members = [(member.name, member.value) for member in original]
    known = {value for _, value in members}
    plugin = [(name, cls.__name__) for name, cls, _ in plugin_models()]
    members += [(name, value) for name, value in plugin if value not in known]
    extended = enum.Enum(original.__name__, members, module=original.__module__)
    for attr, value in vars(original).items():
        if not attr.startswith("_") and attr not in original.__members__:
            setattr(extended, attr, value)
    return extended


def _extended_form_table(original, additions: dict):
    """``original`` (a function returning {class: form}) with ``additions`` merged in."""

    def form_table():
        table = original()
        table.update(additions)
        return table

    form_table.__name__ = original.__name__
    form_table.__doc__ = original.__doc__
    form_table.__wrapped__ = original
    return form_table


def _replacements(found: dict) -> dict:
    """``{id(original): (original, replacement)}`` for every object the registration replaces."""
    models = plugin_models()
    model_forms = {cls: model_form_class(cls, found) for _, cls, _ in models}
    coupling_forms = {cls: coupling_form_class(cls, found) for _, cls, _ in plugin_couplings()}
    pairs = [
        (
            found["model_forms.ModelsEnum"],
            _extended_tuple_enum(found["model_forms.ModelsEnum"], models, TupleEnum),
        ),
        (
            found["coupling_forms.CouplingFunctionsEnum"],
            _extended_tuple_enum(
                found["coupling_forms.CouplingFunctionsEnum"], plugin_couplings(), TupleEnum
            ),
        ),
        (
            found["model_forms.get_model_to_form_dict"],
            _extended_form_table(found["model_forms.get_model_to_form_dict"], model_forms),
        ),
        (
            found["coupling_forms.get_coupling_to_form_dict"],
            _extended_form_table(found["coupling_forms.get_coupling_to_form_dict"], coupling_forms),
        ),
        (
            found["tvb.simulator.models.ModelsEnum"],
            _extended_simulator_enum(found["tvb.simulator.models.ModelsEnum"]),
        ),
    ]
    return {id(original): (original, new) for original, new in pairs}


def _modules_holding(replacements: dict):
    """``(module, name, old, new)`` for every loaded module whose ``name`` holds a key object."""
    names = {old.__name__ for old, _ in replacements.values()}
    for module in list(sys.modules.values()):
        namespace = getattr(module, "__dict__", None)
        if not isinstance(namespace, dict):
            continue
        for name in names:
            value = namespace.get(name)
            if value is not None and id(value) in replacements:
                old, new = replacements[id(value)]
                if value is old:
                    yield module, name, old, new


def _rebind_everywhere(replacements: dict, registration: _Registration) -> None:
    """Re-bind, in every loaded module, the names that hold a replaced object."""
    registration.replacements = {id(new): (new, old) for old, new in replacements.values()}
    for module, name, original, new in _modules_holding(replacements):
        registration.rebinds.append((module, name, original))
        setattr(module, name, new)


def register() -> bool:
    """Make the plugin's models and couplings selectable in the TVB GUI and widgets.

    Adds the registered models (:func:`plugin_models`: ``NextGenEI``, ``MPRSynaptic``, and any
    registered later with ``gui=True``) to the simulator page's model list (with parameter
    forms generated from their traits) and to ``tvb.simulator.models.ModelsEnum``, and the
    ``Laplacian`` and ``Additive`` couplings to the coupling list. Call it before the web server
    serves its first request (``tvb-ngnmm gui`` does).

    Returns
    -------
    bool
        True if this call registered the plugin, False if it was already registered (calling
        again changes nothing).

    Raises
    ------
    ImportError
        If tvb-framework is not installed.
    RuntimeError
        If tvb-framework's internals differ from those of the version this was built against
        (:data:`BUILT_AGAINST`); nothing is registered then.
    """
    global _ACTIVE
    with _LOCK:
        if _ACTIVE is not None:
            return False
        found = _internals()
        replacements = _replacements(found)
        registration = _Registration()
        sim_models = found["sim_models"]
        try:
            _rebind_everywhere(replacements, registration)
            for _, cls, _ in plugin_models():
                if cls.__name__ not in vars(sim_models):
                    setattr(sim_models, cls.__name__, cls)
                    registration.added.append((sim_models, cls.__name__))
        except BaseException:
            _restore(registration)
            raise
        _ACTIVE = registration
        return True


def _restore(registration: _Registration) -> None:
    for module, name, original in reversed(registration.rebinds):
        setattr(module, name, original)
    # modules imported while registered took the replacements by name
    for module, name, _, original in _modules_holding(registration.replacements):
        setattr(module, name, original)
    for module, name in registration.added:
        if name in vars(module):
            delattr(module, name)


def unregister() -> bool:
    """Undo :func:`register` (restore tvb-framework's own lists); False if nothing to undo."""
    global _ACTIVE
    with _LOCK:
        if _ACTIVE is None:
            return False
        _restore(_ACTIVE)
        _ACTIVE = None
        return True


def is_registered() -> bool:
    """Whether the plugin is currently registered in tvb-framework's lists."""
    return _ACTIVE is not None
