"""Errors raised by the fast engine."""

from __future__ import annotations


class UnsupportedSimulationError(ValueError):
    """The simulator uses a component (model, coupling, integrator, monitor, ...) the engine
    cannot run. The engine never falls back silently to something else."""


class SimulationBlowUpError(FloatingPointError):
    """The state became non-finite (NaN or infinite) during a run.

    Attributes
    ----------
    time : float
        Model time (ms) of the first non-finite state.
    region : str
        Label of the first region where it happened.
    state_variable : str
        Name of the state variable that became non-finite.
    """

    def __init__(self, message: str, time: float, region: str, state_variable: str):
        super().__init__(message)
        self.time = time
        self.region = region
        self.state_variable = state_variable


def unsupported(what: str, given: str, allowed: tuple[str, ...]) -> UnsupportedSimulationError:
    """An :class:`UnsupportedSimulationError` naming ``what``, the allowed values and ``given``."""
    names = ", ".join(repr(a) for a in allowed)
    return UnsupportedSimulationError(
        f"Invalid value for the {what!r} of the simulator: the fast engine supports {names}, "
        f"but got {given!r} instead."
    )
