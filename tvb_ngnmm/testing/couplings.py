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

from .. import coupling as package_couplings
from ..backend import NumbaBackend
from ..coupling import AbstractLinearCoupling, Additive, Laplacian, MultiCoupling
from ..coupling.linear_form import linear_form
from ..engine.coupling import NONLINEAR, SUPPORTED
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
        """Time derivatives (per ms) of x, y, p, q."""
        x, y = state_variables[0], state_variables[1]
        c_0, c_1 = coupling[0], coupling[min(1, coupling.shape[0] - 1)]
        return np.array([-self.omega * y, self.omega * x, c_0, c_1])


def _coupling_examples() -> dict:
    """Parameters under which each coupling of the engine acts visibly on the checks' network
    (a class without an entry is checked with its defaults)."""

    def one(value: float) -> np.ndarray:
        return np.array([value])

    return {
        tvb_coupling.Linear: lambda: tvb_coupling.Linear(a=one(0.3), b=one(0.05)),
        tvb_coupling.Scaling: lambda: tvb_coupling.Scaling(a=one(0.3)),
        tvb_coupling.Difference: lambda: tvb_coupling.Difference(a=one(0.3)),
        tvb_coupling.Sigmoidal: lambda: tvb_coupling.Sigmoidal(
            a=one(2.0), cmin=one(-1.0), cmax=one(1.0), midpoint=one(0.1), sigma=one(2.0)
        ),
        tvb_coupling.HyperbolicTangent: lambda: tvb_coupling.HyperbolicTangent(
            a=one(0.3), b=one(0.8), midpoint=one(0.1), sigma=one(0.2)
        ),
        tvb_coupling.Kuramoto: lambda: tvb_coupling.Kuramoto(a=one(0.5)),
        tvb_coupling.PreSigmoidal: lambda: tvb_coupling.PreSigmoidal(
            H=one(0.5), Q=one(1.0), G=one(2.0), P=one(1.2), theta=one(0.3), dynamic=True
        ),
        Laplacian: lambda: Laplacian(a=one(0.4), normalize="rw"),
        Additive: lambda: Additive(a=one(0.3), normalize="row"),
        MultiCoupling: lambda: MultiCoupling(
            couplings=[Laplacian(a=one(0.4), normalize="sym"), tvb_coupling.Linear(a=one(0.2))]
        ),
    }


def engine_couplings() -> tuple[type, ...]:
    """The coupling classes the engine's registry names (``tvb_ngnmm.engine.coupling.SUPPORTED``).

    Raises
    ------
    LookupError
        If the registry names a class that is neither TVB's nor the package's.
    """
    found = []
    for name in SUPPORTED:
        cls = getattr(package_couplings, name, None) or getattr(tvb_coupling, name, None)
        if cls is None:
            raise LookupError(
                f"The engine's registry names the coupling {name!r}, which is neither one of "
                "TVB's (tvb.simulator.coupling) nor one of the package's (tvb_ngnmm.coupling)."
            )
        found.append(cls)
    return tuple(found)


def example_coupling(coupling_cls: type) -> tvb_coupling.Coupling:
    """An instance of ``coupling_cls`` with the checks' example parameters, or its defaults."""
    make = _coupling_examples().get(coupling_cls, coupling_cls)
    return make()


def _parts(coupling) -> list:
    return list(coupling.couplings) if isinstance(coupling, MultiCoupling) else [coupling]


def engine_runs_coupling(coupling) -> bool:
    """Whether the engine's dispatch (:func:`tvb_ngnmm.engine.coupling.reduce_coupling`)
    claims ``coupling``: TVB's nonlinear couplings by exact class, linear ones as
    :func:`~tvb_ngnmm.coupling.linear_form.linear_form` reduces them, a ``MultiCoupling`` of
    linear ones."""
    ring = np.ones((2, 2)) - np.eye(2)

    def linear(c) -> bool:
        return linear_form(c, ring) is not None

    if isinstance(coupling, MultiCoupling):
        return all(linear(part) for part in coupling.couplings)
    return type(coupling) in NONLINEAR or linear(coupling)


def _n_cvar(coupling) -> int:
    """Coupling variables the checks give a model for ``coupling`` (one per MultiCoupling part)."""
    return len(coupling.couplings) if isinstance(coupling, MultiCoupling) else 2


def coupling_partner(coupling) -> tuple[Model, float]:
    """The TVB model a coupling is run with in :func:`check_coupling_matches_stock`, and the
    fraction of its state ranges the initial history is drawn from.

    ``SigmoidalJansenRit``: ``JansenRit`` (its ranges are narrowed: TVB's sigmoids overflow on
    the full ones); ``Kuramoto``: the ``Kuramoto`` model with frequencies 0.5–1.5 rad/ms; any
    other: ``MontbrioPazoRoxin`` oscillating, coupled through ``r`` and ``V`` (or
    ``Generic2dOscillator`` for a one-part ``MultiCoupling``).
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
    equals ``sim.run()`` (every state variable, within :data:`ENGINE_RTOL`)."""
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


def check_coupling_per_region_parameters(coupling) -> None:
    """Per-region gains run as in TVB; parameters the engine takes one value of are refused.

    The package's couplings (``AbstractLinearCoupling``, also inside a ``MultiCoupling``)
    take a gain ``a`` per region: a heterogeneous one must pass
    :func:`check_coupling_values`. Every other array parameter given one value per region
    must be refused with ``UnsupportedSimulationError`` naming it (TVB's couplings broadcast
    such arrays over the wrong axis).
    """
    heterogeneous = copy.deepcopy(coupling)
    gains = [p for p in _parts(heterogeneous) if isinstance(p, AbstractLinearCoupling)]
    for part in gains:
        part.a = float(np.ravel(part.a)[0]) * np.linspace(0.5, 1.5, N_REGIONS)
    if gains:
        check_coupling_values(heterogeneous)
    for index, part in enumerate(_parts(coupling)):
        if isinstance(part, AbstractLinearCoupling):
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
    """A coupling the engine does not run raises ``UnsupportedSimulationError`` naming it."""
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
