r"""The one declaration per model that the engine, the GUI, the validation and the tests read.

A model is declared once, next to its class, with :func:`register_model`::

    @register_model(equations=my_equations, populations=(...), synaptic_weights=(...))
    class MyModel(AbstractNextGenModel): ...

TVB's own models are registered the same way (``register_model(MontbrioPazoRoxin, ...)``,
:mod:`.tvb_models`). Everything else derives from the registry (:func:`registered_models`):
the engine compiles ``equations`` (or, without them, the model's ``state_variable_dfuns``), the
GUI lists the models declared with ``gui=True``, the spiking-network validation reads
``populations`` and ``synaptic_weights``, and the common test suite runs every registered model.

The engine form of the equations is a function of scalars, named as the model names them:
its arguments are the state variables (in order), the coupling terms (the model's
``coupling_terms``, or ``c_0, c_1, …``) and parameters (any subset of ``parameter_names``, in any
order); it returns the derivatives in the order of the state variables, written with arithmetic
and :mod:`math` only (it is compiled with Numba and inlined in the engine's loop).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass

from tvb.simulator.models.base import Model


@dataclass(frozen=True)
class PopulationLayout:
    """How one QIF population appears in a model: its parameter and state-variable names.

    Parameters
    ----------
    label : str
        The population's label (e.g. ``'E'``).
    tau : str
        Name of its membrane time-constant parameter.
    tau_s : str
        Name of its synaptic time-constant parameter.
    eta : str
        Name of its mean-excitability parameter.
    Delta : str
        Name of its excitability-width parameter.
    current : str
        Name of its external-current parameter.
    rate : str
        Name of its firing-rate state variable.
    voltage : str
        Name of its mean-voltage state variable.
    synapse : str
        Name of its synaptic state variable.
    """

    label: str
    tau: str
    tau_s: str
    eta: str
    Delta: str
    current: str
    rate: str
    voltage: str
    synapse: str


@dataclass(frozen=True)
class ModelDeclaration:
    """What the package needs to know about a model class, beyond its TVB traits.

    Parameters
    ----------
    model : type
        The TVB ``Model`` subclass.
    equations : callable or None
        Engine form of the equations (see the module docstring); None: the engine compiles
        the model's ``state_variable_dfuns``.
    cvar_counts : tuple of int or None
        Numbers of coupling variables the engine accepts (coupling term ``k`` reads coupling
        row ``min(k, n_cvar - 1)``); None: exactly one per coupling term.
    populations : tuple of PopulationLayout
        The QIF populations of the spiking-network comparison (empty: no comparison).
    synaptic_weights : tuple of tuple of str
        ``synaptic_weights[a][b]``: the parameter (``'-'`` prefix: negated) weighting population
        ``b`` onto ``a``, one row and column per population.
    gui : bool
        List the model in the TVB GUI (TVB's own models are listed there already).
    coefficients : tuple of str
        Parameters that are one vector for the whole model (e.g. a transfer function's
        polynomial coefficients ``P_e``): the engine form takes their elements as ``P_e_0,
        P_e_1, …`` (one value each, the same in every region).
    signal : str or None
        The state variable standing for the model's firing (e.g. ``'r_e'``): what monitors that
        need one neural signal (the Balloon–Windkessel BOLD) read by default. None: the rate of
        the first population, if any.
    local_coupling : tuple of str or None
        How the model takes the local coupling of a cortical surface (TVB's ``local_coupling``,
        the sparse matrix ``cs · L``, no delay): term ``k`` of the equations, named ``lc_k``, is
        ``(cs · L) @ source_k`` with ``source_k`` the ``k``-th expression of the model's state
        variables given here (``('V',)`` for ``Generic2dOscillator``, ``('y1 - y2',)`` for
        ``JansenRit``). ``()``: the model ignores it (TVB's ``MontbrioPazoRoxin``). None: not
        declared (the engine runs the model on a surface only without local coupling). In
        region simulations every ``lc_k`` is 0.
    """

    model: type
    equations: Callable | None = None
    cvar_counts: tuple[int, ...] | None = None
    populations: tuple[PopulationLayout, ...] = ()
    synaptic_weights: tuple[tuple[str, ...], ...] = ()
    gui: bool = True
    coefficients: tuple[str, ...] = ()
    signal: str | None = None
    local_coupling: tuple[str, ...] | None = None

    @property
    def default_signal(self) -> str | None:
        """``signal``, or the rate of the first population, or None."""
        if self.signal is not None:
            return self.signal
        return self.populations[0].rate if self.populations else None

    @property
    def name(self) -> str:
        """The class name, as the GUI and the messages show it."""
        return self.model.__name__

    @property
    def is_tvb_model(self) -> bool:
        """Whether the class is one of TVB's own (already listed in TVB's GUI)."""
        return self.model.__module__.split(".")[0] == "tvb"


_REGISTRY: dict[type, ModelDeclaration] = {}


def _check_declaration(declaration: ModelDeclaration) -> None:
    cls = declaration.model
    if not (inspect.isclass(cls) and issubclass(cls, Model)):
        raise TypeError(
            f"Invalid value for the 'model' parameter of register_model. Allowed are TVB Model "
            f"classes, but got {cls!r} instead."
        )
    if declaration.signal is not None and declaration.signal not in cls.state_variables:
        raise ValueError(
            f"Invalid value for the 'signal' of {cls.__name__}. Allowed are its state variables "
            f"({', '.join(map(repr, cls.state_variables))}), but got {declaration.signal!r}."
        )
    n_pop = len(declaration.populations)
    shape = [len(row) for row in declaration.synaptic_weights]
    if shape != [n_pop] * n_pop:
        raise ValueError(
            f"Invalid value for the 'synaptic_weights' of {cls.__name__}. Allowed is one row "
            f"of {n_pop} names per population ({n_pop} populations), but got rows of {shape}."
        )


def register_model(model: type | None = None, **declared):
    """Register a model class with what the package needs to know about it.

    Use as a class decorator (``@register_model(equations=...)``) or call it on a class
    (``register_model(MontbrioPazoRoxin, equations=...)``). Registering a class again replaces
    its declaration.

    Parameters
    ----------
    model : type, optional
        The TVB ``Model`` subclass; omitted when used as a decorator.
    **declared
        The fields of :class:`ModelDeclaration` (``equations``, ``cvar_counts``,
        ``populations``, ``synaptic_weights``, ``gui``).

    Returns
    -------
    type or callable
        The class (unchanged), or the decorator.
    """

    def register(cls: type) -> type:
        declaration = ModelDeclaration(cls, **declared)
        _check_declaration(declaration)
        _REGISTRY[cls] = declaration
        return cls

    return register if model is None else register(model)


def unregister_model(model: type) -> bool:
    """Remove ``model`` from the registry; False if it was not registered.

    Parameters
    ----------
    model : type
        The model class.
    """
    return _REGISTRY.pop(model, None) is not None


def declaration_of(model: type) -> ModelDeclaration | None:
    """The declaration registered for exactly this class (subclasses are not covered), or None.

    A class of TVB's own ``tvb.simulator.models`` not registered yet has its family loaded first
    (:func:`~tvb_ngnmm.models.tvb_models.load_family`).

    Parameters
    ----------
    model : type
        The model class.
    """
    declaration = _REGISTRY.get(model)
    module = getattr(model, "__module__", None) or ""
    if declaration is None and module.startswith(_TVB_MODELS) and _FAMILIES["one"] is not None:
        if _FAMILIES["one"](module[len(_TVB_MODELS) :]):
            declaration = _REGISTRY.get(model)
    return declaration


_TVB_MODELS = "tvb.simulator.models."

#: How TVB's model families are registered when needed: ``one(tvb_module_name) -> bool`` and
#: ``every()``, set by :mod:`.tvb_models` as it is imported (with the package).
_FAMILIES: dict = {"one": None, "every": None}


def register_family_loaders(one, every) -> None:
    """Let the registry load TVB's model families when needed (see :mod:`.tvb_models`)."""
    _FAMILIES["one"], _FAMILIES["every"] = one, every


def default_signal(model) -> str | None:
    """The declared neural signal of a model instance (see ``ModelDeclaration.signal``).

    For a :class:`~tvb_ngnmm.models.mixed.MixedModel`, the slot holding every group's signal,
    if they share one; otherwise (or for an undeclared model) None.

    Parameters
    ----------
    model : tvb.simulator.models.Model
        The model instance.
    """
    groups = getattr(model, "models", None)
    if isinstance(groups, dict) and hasattr(model, "slot"):
        slots = {model.slot(g, s) if s else None for g, s in
                 ((g, default_signal(m)) for g, m in groups.items())}  # fmt: skip
        if len(slots) == 1 and None not in slots:
            return model.state_variables[slots.pop()]
        return None
    declaration = declaration_of(type(model))
    return declaration.default_signal if declaration is not None else None


def registered_models() -> tuple[ModelDeclaration, ...]:
    """Every declaration (TVB's models loaded first), in the order of registration."""
    if _FAMILIES["every"] is not None:
        _FAMILIES["every"]()
    return tuple(_REGISTRY.values())
