"""The errors and warnings of a simulation, raised by the engine and by the monitors alike."""

from __future__ import annotations


class UnsupportedSimulationError(ValueError):
    """The simulator uses a component (model, coupling, integrator, monitor, ...) the engine
    cannot run. The engine never falls back silently to something else."""


class SimulationBlowUpError(FloatingPointError):
    """The state (or a monitor's own state, e.g. the hemodynamics of a BOLD monitor) became
    non-finite (NaN or infinite) during a run.

    The parameters are kept as attributes of the same names (the message as ``args[0]``).

    Parameters
    ----------
    message : str
        The error message.
    time : float
        Model time (ms) of the first non-finite state.
    region : str
        Label of the first region where it happened.
    state_variable : str
        Name of the state variable (or of the monitor's output variable) that became
        non-finite.
    monitor : str or None
        Name of the monitor whose output became non-finite, or None for the model's state.
    """

    def __init__(self, message: str, time: float, region: str, state_variable: str, monitor=None):
        super().__init__(message)
        self.time = time
        self.region = region
        self.state_variable = state_variable
        self.monitor = monitor


class SimulationInterruptedWarning(RuntimeWarning):
    """A run was interrupted (Ctrl-C) and returned what it had computed.

    Attributes
    ----------
    simulated : float
        Model time (ms) computed before the interruption.
    requested : float
        Model time (ms) the run was asked for.
    """

    def __init__(self, message: str, simulated: float, requested: float):
        super().__init__(message)
        self.simulated = simulated
        self.requested = requested
