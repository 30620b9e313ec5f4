r"""Limit cycles of one node (or of the homogeneous network state) and their Floquet multipliers.

The orbit is found in three steps: integrate past a transient; read the period from successive
upward crossings of a Poincaré section (the first state variable through its mean value); then
refine by single shooting, Newton's method on

.. math::

    \Phi_T(x_0) - x_0 = 0, \qquad (x_0 - x_\mathrm{ref}) \cdot f(x_\mathrm{ref}) = 0

with the monodromy matrix :math:`M = \partial \Phi_T / \partial x_0` from the variational
equations :math:`\dot Y = J(x(t)) Y`, :math:`Y(0) = I`, integrated with ``scipy``'s
``solve_ivp`` alongside the orbit. The eigenvalues of :math:`M` are the Floquet multipliers
(one of them is 1, along the flow); the cycle is orbitally stable when all others lie inside the
unit circle. An orbit that does not close (the trajectory settles on a fixed point, or drifts,
or shooting does not converge) raises :class:`OrbitNotClosedError`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.integrate import solve_ivp

from .fixed_points import homogeneous_jacobian
from .jacobian import VectorField

__all__ = ["LimitCycle", "OrbitNotClosedError", "find_limit_cycle", "monodromy"]

_RTOL, _ATOL = 1e-9, 1e-11


class OrbitNotClosedError(RuntimeError):
    """Raised when no closed orbit is found."""


@dataclass(frozen=True)
class LimitCycle:
    """A periodic orbit.

    Parameters
    ----------
    period : float
        Period (ms).
    frequency : float
        :math:`1000 / T` in Hz.
    time : numpy.ndarray, shape (n_time,)
        Times along one period (ms).
    orbit : numpy.ndarray, shape (n_time, n_var)
        The orbit (rates in kHz).
    multipliers : numpy.ndarray of complex, shape (n_var,)
        Floquet multipliers, by decreasing modulus.
    closure_error : float
        :math:`\\max |\\Phi_T(x_0) - x_0|` after shooting.
    stable : bool
        True when all multipliers but the trivial one lie inside the unit circle.
    self_coupling : float
        Self-coupling gain :math:`g` of the node.
    state_variables : tuple of str
    """

    period: float
    frequency: float
    time: np.ndarray
    orbit: np.ndarray
    multipliers: np.ndarray
    closure_error: float
    stable: bool
    self_coupling: float
    state_variables: tuple

    @property
    def exponents(self) -> np.ndarray:
        """Floquet exponents :math:`\\ln|\\mu| / T` (1/ms)."""
        return np.log(np.abs(self.multipliers)) / self.period


def _rhs(field: VectorField, g: float):
    def rhs(t, x):
        return field(x, g * x[field.cvar])

    return rhs


def monodromy(field: VectorField, x0: np.ndarray, period: float, self_coupling: float = 0.0):
    """Integrate the orbit and its variational equations over ``period``.

    Returns
    -------
    end : numpy.ndarray, shape (n_var,)
        :math:`\\Phi_T(x_0)`.
    matrix : numpy.ndarray, shape (n_var, n_var)
        The monodromy matrix :math:`\\partial \\Phi_T / \\partial x_0`.
    solution : scipy OdeResult
        With a dense output of the orbit (first ``n_var`` components).
    """
    n, g = field.n_var, self_coupling

    def rhs(t, y):
        x, y_mat = y[:n], y[n:].reshape(n, n)
        jac = homogeneous_jacobian(field, x, g)
        return np.r_[field(x, g * x[field.cvar]), (jac @ y_mat).ravel()]

    y0 = np.r_[x0, np.eye(n).ravel()]
    sol = solve_ivp(rhs, (0.0, period), y0, method="DOP853", rtol=_RTOL, atol=_ATOL,
                    dense_output=True)  # fmt: skip
    return sol.y[:n, -1], sol.y[n:, -1].reshape(n, n), sol


def _section_period(field, x0, g, transient, window):
    rhs = _rhs(field, g)
    sol = solve_ivp(rhs, (0.0, transient), x0, method="RK45", rtol=1e-7, atol=1e-10)
    x = sol.y[:, -1]
    sol = solve_ivp(rhs, (0.0, window), x, method="DOP853", rtol=1e-9, atol=1e-11,
                    dense_output=True)  # fmt: skip
    first = sol.y[0]
    amplitude = first.max() - first.min()
    if not np.all(np.isfinite(sol.y)) or amplitude < 1e-6 * max(1.0, abs(first.mean())):
        raise OrbitNotClosedError(
            f"No oscillation: after {transient} ms the trajectory is stationary "
            f"(amplitude {amplitude:.3g} of {field.state_variables[0]}); it has settled on a "
            "fixed point, so there is no limit cycle to follow from this initial state."
        )
    level = 0.5 * (first.max() + first.min())
    up = np.flatnonzero((first[:-1] < level) & (first[1:] >= level))
    if len(up) < 3:
        raise OrbitNotClosedError(
            f"Fewer than 3 crossings of the Poincaré section in {window} ms: no periodic orbit."
        )
    times = sol.t[up] + (level - first[up]) / (first[up + 1] - first[up]) * (
        sol.t[up + 1] - sol.t[up]
    )
    return sol.sol(times[-2]), float(times[-1] - times[-2])


def find_limit_cycle(
    model,
    self_coupling: float = 0.0,
    *,
    state: np.ndarray | None = None,
    transient: float = 1000.0,
    window: float = 300.0,
    tol: float = 1e-8,
    n_time: int = 400,
    **parameters: float,
) -> LimitCycle:
    """Find a limit cycle by integration, a Poincaré section and shooting.

    Parameters
    ----------
    model : tvb.simulator.models.base.Model or VectorField
        The node model (one value per parameter).
    self_coupling : float
        Self-coupling gain :math:`g` of the homogeneous state (0: isolated node).
    state : numpy.ndarray, shape (n_var,), optional
        Initial state; by default 0.01 kHz for rates and synapses, -1 for potentials.
    transient, window : float
        Length (ms) of the discarded transient and of the window searched for crossings.
    tol : float
        Largest accepted closure error :math:`\\max|\\Phi_T(x_0) - x_0|`.
    n_time : int
        Number of samples of the returned orbit.
    **parameters : float
        Model parameters to override.

    Returns
    -------
    LimitCycle
        The closed orbit, its period, frequency and Floquet multipliers.

    Raises
    ------
    OrbitNotClosedError
        If the trajectory does not oscillate or the orbit does not close to ``tol``.
    """
    field = model if isinstance(model, VectorField) else VectorField(model)
    field = field.with_parameters(**parameters) if parameters else field
    g = self_coupling
    if state is None:
        state = np.array([-1.0 if n.startswith("v") else 0.01 for n in field.state_variables])
    x0, period = _section_period(field, np.asarray(state, float), g, transient, window)
    x_ref, f_ref = x0.copy(), field(x0, g * x0[field.cvar])
    n = field.n_var
    for _ in range(20):
        end, mono, sol = monodromy(field, x0, period, g)
        residual = end - x0
        error = float(np.max(np.abs(residual)))
        if error < tol:
            break
        f_end = field(end, g * end[field.cvar])
        system = np.block([[mono - np.eye(n), f_end[:, None]], [f_ref[None, :], np.zeros((1, 1))]])
        step = np.linalg.solve(system, -np.r_[residual, (x0 - x_ref) @ f_ref])
        x0, period = x0 + step[:n], period + step[n]
    else:
        raise OrbitNotClosedError(
            f"The orbit does not close: after shooting, max|Φ_T(x0) − x0| = {error:.3g} > "
            f"tol = {tol:.3g} (period estimate {period:.6g} ms)."
        )
    multipliers = np.linalg.eigvals(mono)
    multipliers = multipliers[np.argsort(-np.abs(multipliers))]
    trivial = np.argmin(np.abs(multipliers - 1.0))
    others = np.delete(multipliers, trivial)
    time = np.linspace(0.0, period, n_time)
    orbit = sol.sol(time)[:n].T
    stable = bool(np.all(np.abs(others) < 1.0))
    return LimitCycle(
        period, 1000.0 / period, time, orbit, multipliers, error, stable, g, field.state_variables
    )
