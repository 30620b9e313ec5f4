r"""Continuation of fixed points in one parameter, with Hopf and saddle-node detection.

Pseudo-arclength continuation of :math:`F(x, p) = f(x, g x_c; p) = 0` (one node with
self-coupling :math:`g`, see :mod:`~tvb_ngnmm.stability.fixed_points`): a tangent predictor along
the null vector of :math:`[F_x\; F_p]` and a Newton corrector on the hyperplane orthogonal to
it, with step-size control. Passing a fold (saddle-node) therefore continues onto the other
branch, so S-shaped branches (bistability) are traced whole. The parameter is any model
parameter or ``'self_coupling'`` (the gain :math:`g`, e.g. :math:`\varepsilon` for additive
coupling on a row-normalised connectome).

Bifurcations between two consecutive points are detected from the eigenvalues: a complex pair
crossing the imaginary axis is a Hopf point (refined by root finding on the real part of that
pair at fixed parameter), a real eigenvalue crossing zero is a saddle-node (refined on the
extended system :math:`F = 0,\ \det F_x = 0`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import optimize

from .fixed_points import (
    NoFixedPointError,
    _solve,
    _sorted_eigenvalues,
    find_fixed_points,
    homogeneous_jacobian,
)
from .jacobian import VectorField

__all__ = ["Bifurcation", "Branch", "continue_fixed_points"]

SELF_COUPLING = "self_coupling"


@dataclass(frozen=True)
class Bifurcation:
    """A local bifurcation of fixed points.

    Parameters
    ----------
    kind : str
        ``'hopf'`` or ``'saddle-node'``.
    parameter : float
        Parameter value at the bifurcation.
    state : numpy.ndarray, shape (n_var,)
        Fixed point at the bifurcation (rates in kHz).
    frequency : float
        Hopf frequency :math:`\\omega / 2\\pi` in Hz (0 for a saddle-node).
    """

    kind: str
    parameter: float
    state: np.ndarray
    frequency: float


@dataclass(frozen=True)
class Branch:
    """A branch of fixed points: a table with one row per continuation point.

    Parameters
    ----------
    parameter_name : str
        The continued parameter.
    parameter : numpy.ndarray, shape (n_point,)
        Its values.
    states : numpy.ndarray, shape (n_point, n_var)
        Fixed points (rates in kHz).
    eigenvalues : numpy.ndarray of complex, shape (n_point, n_var)
        Eigenvalues (1/ms), by decreasing real part.
    stable : numpy.ndarray of bool, shape (n_point,)
    bifurcations : list of Bifurcation
    state_variables : tuple of str
    """

    parameter_name: str
    parameter: np.ndarray
    states: np.ndarray
    eigenvalues: np.ndarray
    stable: np.ndarray
    bifurcations: list
    state_variables: tuple

    def to_dataset(self):
        """The branch as an :class:`xarray.Dataset` (dimension ``point``; rates in kHz)."""
        # deferred: xarray imports pandas (0.5 s); only the labelled outputs need it
        import xarray as xr  # noqa: PLC0415

        data = {n: ("point", self.states[:, k]) for k, n in enumerate(self.state_variables)}
        data[self.parameter_name] = ("point", self.parameter)
        data["eigenvalue_real"] = (("point", "eig"), self.eigenvalues.real)
        data["eigenvalue_imag"] = (("point", "eig"), self.eigenvalues.imag)
        data["stable"] = ("point", self.stable)
        attrs = {
            "bifurcations": "; ".join(
                f"{b.kind} at {self.parameter_name}={b.parameter:.6g}" for b in self.bifurcations
            )
        }
        return xr.Dataset(data, attrs=attrs)


class _Problem:
    """:math:`F(x, p)` and its derivatives for one continued parameter."""

    def __init__(self, field: VectorField, name: str, self_coupling: float):
        self.field, self.name, self.g = field, name, self_coupling

    def at(self, p: float) -> tuple[VectorField, float]:
        if self.name == SELF_COUPLING:
            return self.field, p
        return self.field.with_parameters(**{self.name: p}), self.g

    def residual(self, y: np.ndarray) -> np.ndarray:
        field, g = self.at(y[-1])
        x = y[:-1]
        return field(x, g * x[field.cvar])

    def jacobian(self, y: np.ndarray) -> np.ndarray:
        field, g = self.at(y[-1])
        x = y[:-1]
        jx = homogeneous_jacobian(field, x, g)
        if self.name == SELF_COUPLING:
            jp = field.coupling_jacobian(x, g * x[field.cvar]) @ x[field.cvar]
        else:
            jp = field.parameter_derivative(self.name, x, g * x[field.cvar])
        return np.column_stack([jx, jp])

    def eigenvalues(self, y: np.ndarray) -> np.ndarray:
        field, g = self.at(y[-1])
        return _sorted_eigenvalues(homogeneous_jacobian(field, y[:-1], g))


def _tangent(problem: _Problem, y: np.ndarray, previous: np.ndarray) -> np.ndarray:
    t = np.linalg.svd(problem.jacobian(y))[2][-1]
    return t if t @ previous >= 0 else -t


def _correct(problem: _Problem, y_pred: np.ndarray, t: np.ndarray, max_iter: int = 12):
    y = y_pred.copy()
    for iteration in range(max_iter):
        rhs = np.r_[problem.residual(y), t @ (y - y_pred)]
        if not np.all(np.isfinite(rhs)):
            return None, iteration
        step = np.linalg.solve(np.vstack([problem.jacobian(y), t]), -rhs)
        y += step
        if np.max(np.abs(step)) < 1e-11 * max(1.0, np.max(np.abs(y))):
            return y, iteration
    return None, max_iter


def _march(problem, y, t, stop, lo, hi, ds, ds_max, max_points):
    """Pseudo-arclength steps from ``y`` along ``t`` until the parameter leaves [lo, hi]."""
    points = [y]
    while len(points) < max_points:
        y_new, iterations = _correct(problem, y + ds * t, t)
        if y_new is None or not np.all(y_new[:-1][_rate_index(problem.field)] >= -1e-12):
            ds /= 2.0
            if ds < 1e-8:
                break
            continue
        y, points = y_new, points + [y_new]
        if not lo <= y[-1] <= hi:
            break
        t = _tangent(problem, y, t)
        ds = min(ds * (1.3 if iterations <= 3 else 1.0), ds_max)
    return np.array(points)


def _rate_index(field: VectorField) -> list[int]:
    return [k for k, n in enumerate(field.state_variables) if n == "r" or n.startswith("r_")]


def continue_fixed_points(
    model,
    parameter: str,
    start: float,
    stop: float,
    *,
    self_coupling: float = 0.0,
    state: np.ndarray | None = None,
    step: float | None = None,
    max_points: int = 2000,
) -> Branch:
    """Follow a branch of fixed points from ``start`` to ``stop`` of one parameter.

    Parameters
    ----------
    model : tvb.simulator.models.base.Model or VectorField
        The node model (one value per parameter).
    parameter : str
        A model parameter name, or ``'self_coupling'``.
    start, stop : float
        The parameter interval; continuation starts at ``start``.
    self_coupling : float
        Self-coupling gain :math:`g` (ignored when it is the continued parameter).
    state : numpy.ndarray, shape (n_var,), optional
        A guess of the fixed point at ``start``; by default the stable fixed point with the
        lowest first state variable (or the lowest one if none is stable).
    step : float, optional
        Largest arclength step; by default ``|stop - start| / 100``.
    max_points : int
        Upper bound on the number of points.

    Returns
    -------
    Branch
        The branch with its stability and bifurcations.
    """
    field = model if isinstance(model, VectorField) else VectorField(model)
    if parameter != SELF_COUPLING and parameter not in field.parameters:
        raise ValueError(
            f"Invalid value for the 'parameter' parameter. Allowed values are "
            f"{[SELF_COUPLING, *sorted(field.parameters)]}, but got {parameter!r} instead."
        )
    problem = _Problem(field, parameter, self_coupling)
    x0 = _initial_state(problem, start, state)
    y0 = np.r_[x0, start]
    ds_max = step if step is not None else abs(stop - start) / 100.0
    t = _tangent(problem, y0, np.r_[np.zeros(field.n_var), np.sign(stop - start)])
    lo, hi = min(start, stop), max(start, stop)
    points = _march(problem, y0, t, stop, lo, hi, ds_max / 4.0, ds_max, max_points)
    eig = np.array([problem.eigenvalues(y) for y in points])
    bifurcations = _detect(problem, points, eig)
    return Branch(
        parameter, points[:, -1], points[:, :-1], eig, np.all(eig.real < 0, axis=1),
        bifurcations, field.state_variables,
    )  # fmt: skip


def _initial_state(problem: _Problem, start: float, state) -> np.ndarray:
    field, g = problem.at(start)
    if state is not None:
        x = _solve(field, np.asarray(state, dtype=float), g)
        if x is None:
            raise NoFixedPointError(
                f"No fixed point found near the given state at {problem.name}={start}."
            )
        return x
    fixed = find_fixed_points(field, g)
    index = np.flatnonzero(fixed.stable)
    return fixed.states[index[0] if index.size else 0]


def _detect(problem: _Problem, points: np.ndarray, eig: np.ndarray) -> list[Bifurcation]:
    found = []
    for k in range(len(points) - 1):
        a, b = eig[k], eig[k + 1]
        complex_a = a[np.abs(a.imag) > 1e-9].real.max(initial=-np.inf)
        complex_b = b[np.abs(b.imag) > 1e-9].real.max(initial=-np.inf)
        if np.isfinite(complex_a) and np.isfinite(complex_b) and complex_a * complex_b < 0:
            found.append(_refine_hopf(problem, points[k], points[k + 1]))
        det_a, det_b = np.prod(a).real, np.prod(b).real
        if det_a * det_b < 0:
            found.append(_refine_fold(problem, points[k], points[k + 1]))
    return found


def _refine_hopf(problem: _Problem, ya: np.ndarray, yb: np.ndarray) -> Bifurcation:
    def corrected(s):
        y = ya + s * (yb - ya)
        field, g = problem.at(y[-1])
        x = _solve(field, y[:-1], g)
        return np.r_[x if x is not None else y[:-1], y[-1]]

    def test(s):
        e = problem.eigenvalues(corrected(s))
        return e[np.abs(e.imag) > 1e-9].real.max()

    s = optimize.brentq(test, 0.0, 1.0, xtol=1e-12)
    y = corrected(s)
    e = problem.eigenvalues(y)
    omega = np.abs(e[np.abs(e.imag) > 1e-9][0].imag)
    return Bifurcation("hopf", float(y[-1]), y[:-1], float(omega / (2 * np.pi) * 1000.0))


def _refine_fold(problem: _Problem, ya: np.ndarray, yb: np.ndarray) -> Bifurcation:
    n = len(ya) - 1

    def system(y):
        return np.r_[problem.residual(y), np.linalg.det(problem.jacobian(y)[:, :n])]

    sol = optimize.root(system, (ya + yb) / 2.0, method="hybr", options={"xtol": 1e-12})
    y = sol.x if sol.success else (ya + yb) / 2.0
    return Bifurcation("saddle-node", float(y[-1]), y[:-1], 0.0)
