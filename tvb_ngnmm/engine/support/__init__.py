r"""What the fast engine supports, read from the registries: the support matrix.

Nothing here lists a component by hand. :func:`support_matrix` reads

- the models from the model registry (:func:`tvb_ngnmm.models.registered_models`: the package's
  models and TVB's stock models declared in :mod:`tvb_ngnmm.models.tvb_models`), those the engine
  refuses from :data:`tvb_ngnmm.models.tvb_models.NOT_ON_ENGINE`;
- the couplings from the coupling registry (:func:`tvb_ngnmm.coupling.registered_couplings`);
- the monitors from the engine-monitor registry (:func:`tvb_ngnmm.monitors.engine_monitor_classes`);
- the integrators from :data:`INTEGRATORS`.

The engine's docstrings point here, its error messages take their lists of what is allowed from
the ``*_names`` functions, and :mod:`.readme` writes the tables of supported components of the
documentation's support page from the matrix (``python -m tvb_ngnmm.engine.support
--write-readme docs/reference/support.md``; ``--check`` exits with status 1 when they differ).
A model class in a user's script that declares ``state_variable_dfuns`` runs without being
registered, and so is not listed.
"""

from __future__ import annotations

from dataclasses import dataclass

import tvb.simulator.models as tvb_models
from tvb.simulator import integrators

from ... import monitors as package_monitors
from ...coupling import registered_couplings
from ...models import registered_models
from ...models.tvb_models import NOT_ON_ENGINE
from ..integrate import EULER, HEUN, IDENTITY

#: The TVB integrators the engine runs: class -> (scheme, stochastic). Stochastic ones with
#: TVB's additive white noise (:func:`..spec.extract` refuses other noise).
INTEGRATORS = {
    integrators.EulerDeterministic: (EULER, False),
    integrators.EulerStochastic: (EULER, True),
    integrators.HeunDeterministic: (HEUN, False),
    integrators.HeunStochastic: (HEUN, True),
    integrators.Identity: (IDENTITY, False),
}


@dataclass(frozen=True)
class ModelSupport:
    """A model the engine runs.

    Attributes
    ----------
    name, module : str
        The class's name and module (``tvb.simulator.models.*`` for TVB's own).
    state_variables, coupling_variables : tuple of str
        The state variables, in order, and the default coupling variables (``cvar``).
    cvar_counts : tuple of int
        The numbers of coupling variables the engine accepts.
    modes : int
        The default ``number_of_modes`` (the engine runs one mode per node).
    engine_form : str
        ``'equations'`` (registered engine equations) or ``'state_variable_dfuns'``.
    """

    name: str
    module: str
    state_variables: tuple[str, ...]
    coupling_variables: tuple[str, ...]
    cvar_counts: tuple[int, ...]
    modes: int
    engine_form: str


@dataclass(frozen=True)
class RefusedModel:
    """One of TVB's models the engine refuses, and why."""

    name: str
    module: str
    state_variables: tuple[str, ...]
    reason: str


@dataclass(frozen=True)
class CouplingSupport:
    """A coupling the engine runs: its parameters (TVB traits), whether the engine sums it as
    one linear form (else a nonlinear ``pre``/``post`` around the delayed sum), and whether it
    has a gain ``a`` (what ``run_batch`` sweeps as ``'a'``)."""

    name: str
    module: str
    parameters: tuple[str, ...]
    linear: bool
    gain: bool


@dataclass(frozen=True)
class MonitorSupport:
    """A TVB monitor class the engine runs, with the engine monitor registered for it and the
    space of its output (``'region'`` or ``'sensor'``)."""

    name: str
    module: str
    engine_monitor: str
    space: str


@dataclass(frozen=True)
class IntegratorSupport:
    """A TVB integrator the engine runs: its scheme (``'Euler'``, ``'Heun'``) and whether it is
    stochastic (TVB's additive white noise)."""

    name: str
    scheme: str
    stochastic: bool


@dataclass(frozen=True)
class SupportMatrix:
    """What the engine supports (:func:`support_matrix`): models (and TVB's models it refuses),
    couplings and monitors sorted by module and name, integrators in the engine's order.

    Parameters
    ----------
    models : tuple of ModelSupport
        The models the engine runs.
    refused_models : tuple of RefusedModel
        TVB's models the engine refuses, with the reason.
    couplings : tuple of CouplingSupport
        The couplings the engine runs.
    monitors : tuple of MonitorSupport
        The monitors the engine runs.
    integrators : tuple of IntegratorSupport
        The integrators the engine runs.
    """

    models: tuple[ModelSupport, ...]
    refused_models: tuple[RefusedModel, ...]
    couplings: tuple[CouplingSupport, ...]
    monitors: tuple[MonitorSupport, ...]
    integrators: tuple[IntegratorSupport, ...]

    def summary(self) -> str:
        """One paragraph naming every model, coupling, monitor and integrator."""
        kinds = ("models", "couplings", "monitors", "integrators")
        rows = {kind: getattr(self, kind) for kind in kinds}
        return "; ".join(
            f"{len(rows[kind])} {kind}: {', '.join(row.name for row in rows[kind])}"
            for kind in kinds
        )


def _cvar_counts(declaration) -> tuple[int, ...]:
    """As the engine reads them (:func:`..equations.coupling_term_names`), from the class."""
    if declaration.cvar_counts:
        return tuple(declaration.cvar_counts)
    cls = declaration.model
    terms = _class_default(cls, "coupling_terms")
    return (len(terms) if terms else len(_class_default(cls, "cvar")),)


def _class_default(cls: type, name: str):
    """The default of the class's attribute ``name`` (a TVB trait's ``default``), or None."""
    value = getattr(cls, name, None)
    return getattr(value, "default", value)


def _model_row(declaration) -> ModelSupport:
    cls = declaration.model
    states = tuple(cls.state_variables)
    return ModelSupport(
        name=cls.__name__,
        module=cls.__module__,
        state_variables=states,
        coupling_variables=tuple(states[int(i)] for i in _class_default(cls, "cvar")),
        cvar_counts=_cvar_counts(declaration),
        modes=int(_class_default(cls, "number_of_modes") or 1),
        engine_form="equations" if declaration.equations is not None else "state_variable_dfuns",
    )


def _runs(declaration) -> bool:
    cls = declaration.model
    return declaration.equations is not None or bool(getattr(cls, "state_variable_dfuns", None))


def model_support() -> tuple[tuple[ModelSupport, ...], tuple[RefusedModel, ...]]:
    """The models the engine runs and TVB's models it refuses, sorted by module and name.

    Loads every TVB model family (a few seconds in a fresh process).
    """
    runs = [_model_row(d) for d in registered_models() if _runs(d)]
    refused = [
        RefusedModel(cls.__name__, cls.__module__, tuple(cls.state_variables), reason)
        for cls, reason in ((getattr(tvb_models, n), r) for n, r in NOT_ON_ENGINE.items())
    ]

    def order(row):
        return row.module, row.name

    return tuple(sorted(runs, key=order)), tuple(sorted(refused, key=order))


def _coupling_rows() -> tuple[CouplingSupport, ...]:
    """The couplings the engine runs: the coupling registry's declarations
    (:func:`tvb_ngnmm.coupling.registered_couplings`)."""
    rows = []
    for declaration in registered_couplings():
        cls = declaration.coupling
        parameters = tuple(n for n in cls.declarative_attrs if n != "gid")
        rows.append(
            CouplingSupport(
                declaration.name,
                cls.__module__,
                parameters,
                declaration.is_linear,
                declaration.gain is not None,
            )
        )
    return tuple(rows)


def coupling_support() -> tuple[CouplingSupport, ...]:
    """The couplings the engine runs, sorted by module and name."""
    return tuple(sorted(_coupling_rows(), key=lambda row: (row.module, row.name)))


def monitor_support() -> tuple[MonitorSupport, ...]:
    """The TVB monitor classes the engine runs, sorted by module and name."""
    rows = []
    for cls in package_monitors.engine_monitor_classes():
        engine = package_monitors.engine_monitor_class(cls)
        rows.append(MonitorSupport(cls.__name__, cls.__module__, engine.__name__, engine.space))
    return tuple(sorted(rows, key=lambda row: (row.module, row.name)))


def integrator_support() -> tuple[IntegratorSupport, ...]:
    """The TVB integrators the engine runs, in the order of
    :data:`INTEGRATORS`."""
    names = {EULER: "Euler", HEUN: "Heun", IDENTITY: "Identity"}
    return tuple(
        IntegratorSupport(cls.__name__, names[scheme], stochastic)
        for cls, (scheme, stochastic) in INTEGRATORS.items()
    )


def support_matrix() -> SupportMatrix:
    """What the fast engine supports: models, couplings, monitors and integrators.

    Returns
    -------
    SupportMatrix
        Read from the registries at the time of the call (a component registered later is
        listed by a later call). See the module docstring.
    """
    models, refused = model_support()
    return SupportMatrix(
        models, refused, coupling_support(), monitor_support(), integrator_support()
    )


def model_names() -> tuple[str, ...]:
    """Names of the models the engine runs (registered; see :func:`model_support`)."""
    return tuple(row.name for row in model_support()[0])


def coupling_names() -> tuple[str, ...]:
    """Names of the couplings the engine runs."""
    return tuple(row.name for row in coupling_support())


def monitor_names() -> tuple[str, ...]:
    """Names of the TVB monitor classes the engine runs."""
    return tuple(row.name for row in monitor_support())


def integrator_names() -> tuple[str, ...]:
    """Names of the TVB integrators the engine runs."""
    return tuple(row.name for row in integrator_support())
