"""The QIF populations a mean-field parameter set describes, and external input currents."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from ..models import PopulationLayout, declaration_of, registered_models

InputCurrent = Callable[[float], Sequence[float]]


@dataclass(frozen=True)
class NetworkParameters:
    """Scalar parameters of the QIF populations of a model, one entry per population.

    Attributes
    ----------
    layouts : tuple of PopulationLayout
        Parameter and state-variable names of each population.
    tau, tau_s, eta, Delta, current : numpy.ndarray
        Membrane and synaptic time constants (ms), centre and half-width of the Lorentzian
        excitabilities and constant external current (dimensionless), shape ``(n_pop,)``.
    weights : numpy.ndarray
        Signed synaptic weights ``weights[a, b]`` from population ``b`` onto ``a``,
        shape ``(n_pop, n_pop)``: the voltage of ``a`` receives ``tau_a Σ_b weights[a, b] s_b``.
    state_index : numpy.ndarray
        Index of ``(r, v, s)`` of each population in the model's state, shape ``(n_pop, 3)``.
    """

    layouts: tuple[PopulationLayout, ...]
    tau: np.ndarray
    tau_s: np.ndarray
    eta: np.ndarray
    Delta: np.ndarray
    current: np.ndarray
    weights: np.ndarray
    state_index: np.ndarray

    @property
    def labels(self) -> tuple[str, ...]:
        """Population labels, e.g. ``('E', 'I')``."""
        return tuple(layout.label for layout in self.layouts)


def _scalar_parameters(model) -> dict[str, float]:
    """The model's parameters as floats; raise if any holds more than one value."""
    name = type(model).__name__
    values = {}
    for param in model.parameter_names:
        value = np.asarray(getattr(model, param), dtype=float)
        if value.size != 1:
            raise ValueError(
                f"Invalid shape for the {param!r} parameter of {name}. The QIF network needs "
                f"one value per parameter, but got {value.size} values."
            )
        values[param] = float(value.ravel()[0])
    return values


def _signed(p: dict[str, float], name: str) -> float:
    return -p[name[1:]] if name.startswith("-") else p[name]


def network_parameters(model) -> NetworkParameters:
    """Read the QIF populations described by an instance of a model that declares them.

    Parameters
    ----------
    model : NextGenEI or MPRSynaptic
        Or any model registered with ``populations`` (:func:`tvb_ngnmm.models.register_model`).
        Configured or not; every parameter must hold a single value.

    Returns
    -------
    NetworkParameters
        The populations' scalar parameters and signed synaptic weights.
    """
    declaration = declaration_of(type(model))
    if declaration is None or not declaration.populations:
        allowed = ", ".join(d.name for d in registered_models() if d.populations)
        raise ValueError(
            f"Invalid value for the 'model' parameter. Allowed are instances of {allowed}, "
            f"but got {type(model).__name__} instead."
        )
    model.validate_parameters()
    p = _scalar_parameters(model)
    layouts = declaration.populations
    weights = [[_signed(p, name) for name in row] for row in declaration.synaptic_weights]
    states = list(model.state_variables)

    def column(field: str) -> np.ndarray:
        return np.array([p[getattr(layout, field)] for layout in layouts])

    return NetworkParameters(
        layouts=layouts,
        tau=column("tau"),
        tau_s=column("tau_s"),
        eta=column("eta"),
        Delta=column("Delta"),
        current=column("current"),
        weights=np.array(weights, dtype=float),
        state_index=np.array(
            [[states.index(x.rate), states.index(x.voltage), states.index(x.synapse)]
             for x in layouts]
        ),
    )  # fmt: skip


@dataclass(frozen=True)
class StepCurrent:
    """An external current that switches on at ``onset`` and stays on.

    Parameters
    ----------
    onset : float
        Switch-on time (ms); the current is ``amplitude`` for ``t >= onset``, zero before.
    amplitude : sequence of float
        Current added to each population's ``I`` (dimensionless, like ``I_e``), one value per
        population (E then I for ``NextGenEI``).
    """

    onset: float
    amplitude: Sequence[float]

    @property
    def breakpoints(self) -> tuple[float, ...]:
        """Times (ms) where the current jumps, for ODE solvers to stop at."""
        return (float(self.onset),)

    def __call__(self, t: float) -> np.ndarray:
        """The current at time ``t`` (ms), shape ``(n_pop,)``."""
        amplitude = np.asarray(self.amplitude, dtype=float)
        return amplitude if t >= self.onset else np.zeros_like(amplitude)


def external_current(input_current: InputCurrent | None, times: np.ndarray, n_pop: int):
    """Evaluate an external current at ``times`` (ms), shape ``(len(times), n_pop)``."""
    if input_current is None:
        return np.zeros((len(times), n_pop))
    values = np.array([np.asarray(input_current(float(t)), dtype=float) for t in times])
    values = values.reshape(len(times), -1)
    if values.shape[1] != n_pop:
        raise ValueError(
            f"Invalid value for the 'input_current' parameter. Allowed are callables returning "
            f"{n_pop} value(s) per time (one per population), but got {values.shape[1]}."
        )
    if not np.all(np.isfinite(values)):
        raise ValueError(
            "Invalid value for the 'input_current' parameter. Allowed are finite currents, "
            "but got non-finite values."
        )
    return values


def initial_state_array(model, initial_state: Sequence[float] | None) -> np.ndarray:
    """The initial mean-field state as an array in the model's state-variable order.

    ``None`` means all rates, voltages and synaptic activations zero.
    """
    n_var = len(model.state_variables)
    if initial_state is None:
        return np.zeros(n_var)
    state = np.asarray(initial_state, dtype=float).ravel()
    if state.size != n_var or not np.all(np.isfinite(state)):
        names = ", ".join(model.state_variables)
        raise ValueError(
            f"Invalid value for the 'initial_state' parameter. Allowed are {n_var} finite "
            f"values ({names}), but got {np.array2string(state, threshold=8)} instead."
        )
    return state
