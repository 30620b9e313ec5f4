"""The conformance suite of a coupling: :func:`check_coupling`, :func:`coupling_checks`."""

from __future__ import annotations

import copy
import functools
import inspect
import math
from collections.abc import Callable, Iterator

import numpy as np
from tvb.basic.neotraits.api import Final, List, NArray
from tvb.simulator import coupling as tvb_coupling
from tvb.simulator import integrators
from tvb.simulator.models import Generic2dOscillator, JansenRit, Kuramoto, MontbrioPazoRoxin
from tvb.simulator.models.base import Model
from tvb.simulator.simulator import Simulator

from ..backend import NumbaBackend
from ..coupling import coupling_declaration, registered_couplings
from ..engine.errors import UnsupportedSimulationError
from ._common import (
    DT,
    N_REGIONS,
    SIMULATION_LENGTH,
    _compare,
    _compare_outputs,
    _engine_and_stock,
    _fail,
    _run_checks,
    build_simulator,
    tiny_connectivity,
)

# --------------------------------------------------------------------------- couplings and monitors

#: Relative tolerance of the coupling values the engine computes against TVB's own, step by
#: step (:func:`check_coupling_values`), in the same form. Both sum float32 history values;
#: they differ by the grouping of the float32 additions (and TVB's package couplings sum in
#: float64), a few float32 ulps of the largest value.
COUPLING_RTOL = 1e-6


class CouplingProbe(Model):
    r"""A model that records the coupling it receives, for :func:`check_coupling_values`.

    Two coupling variables turn at the angular frequency :math:`\omega` (rad/ms); ``p`` and
    ``q`` integrate the first two coupling terms:

    .. math::

        \dot x = -\omega y, \qquad \dot y = \omega x, \qquad \dot p = c_0, \qquad \dot q = c_1

    From ``p = q = 0``, an Euler step of ``dt`` adds ``dt c`` exactly as TVB computed ``c``:
    the coupling of each step is the difference of successive samples over ``dt``. With one
    coupling variable ``c_1`` is ``c_0`` (as the engine reads coupling terms).

    Parameters
    ----------
    **kwargs
        Values of the declared attributes (e.g. ``omega``), as for any TVB model.
    """

    omega = NArray(
        label=r":math:`\omega`",
        default=np.array([1.0]),
        doc="Angular frequency (rad/ms) at which the coupling variables x and y turn.",
    )
    state_variable_range = Final(
        label="State variable ranges [lo, hi]",
        default={
            "x": np.array([-1.0, 1.0]),
            "y": np.array([-1.0, 1.0]),
            "p": np.array([0.0, 0.0]),
            "q": np.array([0.0, 0.0]),
        },
        doc="Initial values: x and y random, the integrals p and q zero.",
    )
    variables_of_interest = List(
        of=str,
        label="Variables watched by monitors",
        choices=("x", "y", "p", "q"),
        default=("x", "y", "p", "q"),
        doc="Every state variable.",
    )
    coupling_terms = Final(
        label="Coupling terms", default=["c_0", "c_1"], doc="The first two coupling rows."
    )
    state_variable_dfuns = Final(
        label="Drift functions",
        default={"x": "-omega * y", "y": "omega * x", "p": "c_0", "q": "c_1"},
        doc="The equations, for the fast engine.",
    )
    state_variables = ("x", "y", "p", "q")
    _nvar = 4
    cvar = np.array([0, 1], dtype=np.int32)

    def dfun(self, state_variables, coupling, local_coupling=0.0):
        """Time derivatives (per ms) of x, y, p, q.

        Parameters
        ----------
        state_variables : numpy.ndarray
            The state ``(4, n_node, n_mode)``: x, y, p, q.
        coupling : numpy.ndarray
            The coupling ``(n_cvar, n_node, n_mode)``; the first two rows are integrated.
        local_coupling : float or numpy.ndarray
            Ignored (the probe has no local coupling).
        """
        x, y = state_variables[0], state_variables[1]
        c_0, c_1 = coupling[0], coupling[min(1, coupling.shape[0] - 1)]
        return np.array([-self.omega * y, self.omega * x, c_0, c_1])


def engine_couplings() -> tuple[type, ...]:
    """The coupling classes the engine runs: those declared in its registry
    (:func:`tvb_ngnmm.coupling.registered_couplings`)."""
    return tuple(declaration.coupling for declaration in registered_couplings())


def example_coupling(coupling_cls: type) -> tvb_coupling.Coupling:
    """An instance of ``coupling_cls`` with its declaration's example parameters, or its
    defaults.

    Parameters
    ----------
    coupling_cls : type
        A TVB coupling class.
    """
    declaration = coupling_declaration(coupling_cls)
    exact = declaration is not None and declaration.coupling is coupling_cls
    return declaration.example() if exact and declaration.example else coupling_cls()


def _parts(coupling) -> list:
    declaration = coupling_declaration(type(coupling))
    if declaration is not None and declaration.parts is not None:
        return list(declaration.parts(coupling))
    return [coupling]


def _is_linear(coupling) -> bool:
    declaration = coupling_declaration(type(coupling))
    return declaration is not None and declaration.linear is not None


def engine_runs_coupling(coupling) -> bool:
    """Whether the engine's registry claims ``coupling``: a class declared there (TVB's by
    exact class, the package's with their subclasses), one made of parts with linear parts
    only.

    Parameters
    ----------
    coupling : tvb.simulator.coupling.Coupling
        The coupling instance.
    """
    declaration = coupling_declaration(type(coupling))
    if declaration is None:
        return False
    if declaration.parts is not None:
        return all(_is_linear(part) for part in declaration.parts(coupling))
    return True


def _n_cvar(coupling) -> int:
    """Coupling variables the checks give a model for ``coupling`` (one per part of one made of
    parts, such as ``MultiCoupling``)."""
    parts = _parts(coupling)
    return len(parts) if parts[0] is not coupling else 2


def coupling_partner(coupling) -> tuple[Model, float]:
    """The TVB model a coupling is run with in :func:`check_coupling_matches_stock`, and the
    fraction of its state ranges the initial history is drawn from.

    ``SigmoidalJansenRit``: ``JansenRit`` (its ranges are narrowed: TVB's sigmoids overflow on
    the full ones); ``Kuramoto``: the ``Kuramoto`` model with frequencies 0.5–1.5 rad/ms; any
    other: ``MontbrioPazoRoxin`` oscillating, coupled through ``r`` and ``V`` (or
    ``Generic2dOscillator`` for a one-part ``MultiCoupling``).

    Parameters
    ----------
    coupling : tvb.simulator.coupling.Coupling
        The coupling instance.
    """
    if isinstance(coupling, tvb_coupling.SigmoidalJansenRit):
        return JansenRit(), 0.01
    if isinstance(coupling, tvb_coupling.Kuramoto):
        return Kuramoto(omega=np.linspace(0.5, 1.5, N_REGIONS)), 1.0
    n_cvar = _n_cvar(coupling)
    if n_cvar == 1:
        return Generic2dOscillator(), 1.0
    if n_cvar != 2:
        raise _fail(type(coupling), f"no partner model with {n_cvar} coupling variables.")
    return _oscillating_mpr(cv=0.5), 1.0


def _oscillating_mpr(cv: float = 0.0) -> Model:
    values = {"eta": -4.6, "J": 14.5, "Delta": 0.7, "cv": cv}
    return MontbrioPazoRoxin(**{name: np.array([v]) for name, v in values.items()})


#: The networks of the coupling checks, by name: :func:`tiny_connectivity` with delays, without,
#: with delays and self-connections (of zero delay), and with connections one way only,
#: asymmetric delays and delayed self-connections.
COUPLING_NETWORKS = {
    "delays": {},
    "zero_delay": {"delays": False},
    "self_connections": {"self_connections": True},
    "one_way": {"self_connections": True, "one_way": True},
}


def _coupled_simulator(model, coupling, integrator, network: str, spread: float = 1.0):
    return build_simulator(
        model,
        integrator,
        connectivity=tiny_connectivity(**COUPLING_NETWORKS[network]),
        coupling=copy.deepcopy(coupling),
        spread=spread,
    )


def _probe_simulator(coupling, network: str = "delays") -> Simulator:
    probe = CouplingProbe()
    probe.cvar = np.arange(_n_cvar(coupling), dtype=np.int32)
    return _coupled_simulator(probe, coupling, integrators.EulerDeterministic(dt=DT), network)


def _received(data: np.ndarray, n_cvar: int) -> np.ndarray:
    """The probe's coupling of each step ``(n_step, n_cvar, n_node)`` from its output (index
    ``(step - 1, coupling row, node)``)."""
    integral = data[:, 2 : 2 + n_cvar, :, 0]
    return np.diff(integral, axis=0, prepend=np.zeros_like(integral[:1])) / DT


def check_coupling_values(
    coupling, network: str = "delays", length: float = SIMULATION_LENGTH / 2
) -> float:
    """The engine's coupling equals TVB's own, step by step, on the same delayed history.

    :class:`CouplingProbe` on one of :data:`COUPLING_NETWORKS` (delays 1–4 ms; none; with
    self-connections; one-way connections) starts from a
    random history and records the coupling of every step in both simulators; they must agree
    within :data:`COUPLING_RTOL`, and the coupling must vary (otherwise the check could not
    fail). Returns the largest difference relative to the largest value.

    Parameters
    ----------
    coupling : tvb.simulator.coupling.Coupling
        The coupling instance.
    network : str
        A key of :data:`COUPLING_NETWORKS`.
    length : float
        Simulation length (ms).
    """
    n_cvar = _n_cvar(coupling)
    sim = _probe_simulator(coupling, network)
    ((_, fast),), ((_, stock),) = _engine_and_stock(sim, length)
    expected = _received(stock, n_cvar)
    if not np.ptp(expected[:, 0]) > 0:
        raise _fail(type(coupling), "the coupling is constant on the checks' network.")
    what = f"the coupling (network {network!r})"
    return _compare(type(coupling), what, _received(fast, n_cvar), expected, COUPLING_RTOL)


def check_coupling_matches_stock(
    coupling, network: str = "delays", length: float = SIMULATION_LENGTH
) -> float:
    """A deterministic Heun run of :func:`coupling_partner` with this coupling on the engine
    equals ``sim.run()`` (every state variable, within :data:`ENGINE_RTOL`).

    Parameters
    ----------
    coupling : tvb.simulator.coupling.Coupling
        The coupling instance.
    network : str
        A key of :data:`COUPLING_NETWORKS`.
    length : float
        Simulation length (ms).
    """
    model, spread = coupling_partner(coupling)
    model.variables_of_interest = tuple(model.state_variables)
    integrator = integrators.HeunDeterministic(dt=DT)
    sim = _coupled_simulator(model, coupling, integrator, network, spread)
    fast, stock = _engine_and_stock(sim, length)
    return _compare_outputs(type(coupling), fast, stock)


def _array_parameters(coupling) -> list[str]:
    """Names of the coupling's numeric array parameters (its float ``NArray`` traits)."""
    cls = type(coupling)
    return [
        name
        for name in cls.declarative_attrs
        if isinstance(getattr(cls, name), NArray)
        and np.issubdtype(np.asarray(getattr(coupling, name)).dtype, np.floating)
    ]


def _engine_error(coupling) -> Exception | None:
    """The ``ValueError`` raised configuring a probe simulator with ``coupling`` or running the
    engine one step with it, or None."""
    try:
        NumbaBackend(progress=False).run_sim(_probe_simulator(coupling), simulation_length=DT)
    except ValueError as error:
        return error
    return None


def _with_part_parameter(coupling, index: int, name: str, value: np.ndarray):
    changed = copy.deepcopy(coupling)
    setattr(_parts(changed)[index], name, value)
    return changed


def _regional_gain(coupling) -> bool:
    declaration = coupling_declaration(type(coupling))
    return declaration is not None and declaration.regional_gain


def check_coupling_per_region_parameters(coupling) -> None:
    """Per-region gains run as in TVB; parameters the engine takes one value of are refused.

    Couplings declared with ``regional_gain`` (the package's, also inside a ``MultiCoupling``)
    take a gain ``a`` per region: a heterogeneous one must pass
    :func:`check_coupling_values`. Every other array parameter given one value per region
    must be refused with ``UnsupportedSimulationError`` naming it (TVB's couplings broadcast
    such arrays over the wrong axis).

    Parameters
    ----------
    coupling : tvb.simulator.coupling.Coupling
        The coupling instance, with scalar parameters.
    """
    heterogeneous = copy.deepcopy(coupling)
    gains = [p for p in _parts(heterogeneous) if _regional_gain(p)]
    for part in gains:
        part.a = float(np.ravel(part.a)[0]) * np.linspace(0.5, 1.5, N_REGIONS)
    if gains:
        check_coupling_values(heterogeneous)
    for index, part in enumerate(_parts(coupling)):
        if _regional_gain(part):
            continue
        for name in _array_parameters(part):
            values = np.full(N_REGIONS, float(np.ravel(getattr(part, name))[0]))
            error = _engine_error(_with_part_parameter(coupling, index, name, values))
            if not isinstance(error, UnsupportedSimulationError) or f"'{name}'" not in str(error):
                raise _fail(
                    type(coupling),
                    f"{N_REGIONS} values of {type(part).__name__}.{name} were not refused with "
                    f"an UnsupportedSimulationError naming {name!r} (got {error!r}).",
                )


def check_coupling_non_finite_parameters(coupling) -> None:
    """NaN and infinite values of each parameter are refused before the first step.

    ``Simulator.configure()`` or the engine must raise ``ValueError`` naming the parameter
    and showing the value given.

    Parameters
    ----------
    coupling : tvb.simulator.coupling.Coupling
        The coupling instance.
    """
    for index, part in enumerate(_parts(coupling)):
        for name in _array_parameters(part):
            for bad in (math.nan, math.inf, -math.inf):
                error = _engine_error(_with_part_parameter(coupling, index, name, np.array([bad])))
                message = str(error)
                if error is None or f"'{name}'" not in message or repr(bad) not in message:
                    raise _fail(
                        type(coupling),
                        f"{type(part).__name__}.{name} = {bad!r} was not refused with an "
                        f"error naming {name!r} and {bad!r} (got {error!r}).",
                    )


def check_coupling_refused(coupling) -> None:
    """A coupling the engine does not run raises ``UnsupportedSimulationError`` naming it.

    Parameters
    ----------
    coupling : tvb.simulator.coupling.Coupling
        A coupling instance the engine's registry does not claim.
    """
    error = _engine_error(coupling)
    names = {type(c).__name__ for c in [coupling, *_parts(coupling)]}
    if not isinstance(error, UnsupportedSimulationError):
        raise _fail(
            type(coupling),
            f"the engine does not claim it, but it raised {error!r} instead of an "
            "UnsupportedSimulationError.",
        )
    if not any(repr(name) in str(error) for name in names):
        raise _fail(type(coupling), f"the engine's refusal does not name it: {error}")


def _component(component, base: type, what: str, example: Callable):
    """``component`` if it is an instance of ``base``; ``example(component)`` if a subclass."""
    if inspect.isclass(component) and issubclass(component, base):
        return example(component)
    if isinstance(component, base):
        return component
    raise TypeError(
        f"{what} expects a TVB {base.__name__} instance or class, but got {component!r} instead."
    )


def coupling_checks(coupling) -> Iterator[tuple[str, Callable[[], object]]]:
    """The conformance checks for a coupling, one by one.

    Parameters
    ----------
    coupling : Coupling or type
        A TVB coupling (not yet configured), or a class, checked with
        :func:`example_coupling`'s parameters.

    Yields
    ------
    name : str
        The check's name, e.g. ``'coupling_values[zero_delay]'``.
    check : callable
        Runs the check; raises ``AssertionError`` on failure.
    """
    coupling = _component(coupling, tvb_coupling.Coupling, "check_coupling", example_coupling)
    if not engine_runs_coupling(coupling):
        yield "refused_by_engine", functools.partial(check_coupling_refused, coupling)
        return
    for network in COUPLING_NETWORKS:
        check = functools.partial(check_coupling_values, coupling, network)
        yield f"coupling_values[{network}]", check
    for network in ("delays", "zero_delay"):
        check = functools.partial(check_coupling_matches_stock, coupling, network)
        yield f"matches_stock[{network}]", check
    check = functools.partial(check_coupling_per_region_parameters, coupling)
    yield "per_region_parameters", check
    yield "non_finite_parameters", functools.partial(check_coupling_non_finite_parameters, coupling)


def check_coupling(coupling) -> None:
    """Run every conformance check on a coupling.

    A coupling the engine runs (:func:`engine_runs_coupling`) must give TVB's coupling values
    and runs, with and without delays (the values also with self-connections), take per-region
    gains where it has them and refuse non-finite parameters; one it does not run must be
    refused naming it.

    Parameters
    ----------
    coupling : Coupling or type
        A TVB coupling instance (not yet configured), or a class (see :func:`coupling_checks`).

    Raises
    ------
    AssertionError
        At the first failing check, naming the check and what is wrong.
    """
    _run_checks(coupling_checks(coupling))
