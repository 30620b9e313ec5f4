r"""Fixed points of one node, or of the homogeneous state of a network, and their stability.

A network of identical nodes :math:`\dot x_i = f(x_i, C_i)` with a linear coupling
:math:`C_i = a (\sum_j \hat W_{ij} x_{c,j} - \kappa_i x_{c,i})` has a homogeneous (synchronous)
solution :math:`x_i = x` when the row sums :math:`\sigma = \sum_j \hat W_{ij} - \kappa_i` are the
same for every region; it obeys one node with *self-coupling* :math:`g = a\sigma`:

.. math:: \dot x = f(x, g\, x_c) .

For additive coupling on a row-normalised connectome :math:`g = \varepsilon`; for any Laplacian
(diffusive) coupling with ``normalize='none'`` or ``'rw'``, :math:`g = 0`. ``self_coupling=0``
is the isolated node. Rates are in kHz (spikes/ms) as in the models.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import optimize

from .jacobian import VectorField

__all__ = ["FixedPoints", "NoFixedPointError", "find_fixed_points", "homogeneous_jacobian"]


class NoFixedPointError(RuntimeError):
    """Raised when no fixed point is found at the given parameters."""


@dataclass(frozen=True)
class FixedPoints:
    """Fixed points of a node with self-coupling, sorted by the first state variable.

    Parameters
    ----------
    states : numpy.ndarray, shape (n_fixed_point, n_var)
        The fixed points in the model's units (rates in kHz).
    eigenvalues : numpy.ndarray of complex, shape (n_fixed_point, n_var)
        Eigenvalues of the Jacobian (1/ms), sorted by decreasing real part.
    stable : numpy.ndarray of bool, shape (n_fixed_point,)
        True where every eigenvalue has a negative real part.
    state_variables : tuple of str
        Names of the state variables.
    """

    states: np.ndarray
    eigenvalues: np.ndarray
    stable: np.ndarray
    state_variables: tuple

    def to_dataset(self):
        """The table as an :class:`xarray.Dataset` (one row per fixed point; rates in kHz)."""
        # deferred: xarray imports pandas (0.5 s); only the labelled outputs need it
        import xarray as xr  # noqa: PLC0415

        data = {
            name: ("fixed_point", self.states[:, k]) for k, name in enumerate(self.state_variables)
        }
        data["eigenvalue_real"] = (("fixed_point", "eig"), self.eigenvalues.real)
        data["eigenvalue_imag"] = (("fixed_point", "eig"), self.eigenvalues.imag)
        data["stable"] = ("fixed_point", self.stable)
        return xr.Dataset(data, attrs={"units": "rates kHz, eigenvalues 1/ms"})


def homogeneous_jacobian(field: VectorField, state: np.ndarray, self_coupling: float = 0.0):
    r"""Jacobian of :math:`x \mapsto f(x, g x_c)`: :math:`J + g\,\partial_C f\, E_c` (1/ms)."""
    state = np.asarray(state, dtype=float)
    coupling = self_coupling * state[..., field.cvar]
    jac = field.jacobian(state, coupling)
    b = field.coupling_jacobian(state, coupling)
    jac[..., :, field.cvar] += self_coupling * b
    return jac


def _sorted_eigenvalues(matrix: np.ndarray) -> np.ndarray:
    eig = np.linalg.eigvals(matrix)
    order = np.argsort(-eig.real, axis=-1, kind="stable")
    return np.take_along_axis(eig, order, axis=-1)


def _guesses(field: VectorField, n_guesses: int, seed: int) -> np.ndarray:
    """Initial guesses: rates log-uniform in [1e-4, 0.5] kHz, others uniform in [-3, 1]."""
    rng = np.random.default_rng(seed)
    guesses = rng.uniform(-3.0, 1.0, size=(n_guesses, field.n_var))
    for k, name in enumerate(field.state_variables):
        if name == "r" or name.startswith("r_") or name.startswith("s"):
            guesses[:, k] = 10.0 ** rng.uniform(-4.0, np.log10(0.5), size=n_guesses)
    return guesses


def _solve(field: VectorField, guess: np.ndarray, self_coupling: float):
    def residual(x):
        return field(x, self_coupling * x[field.cvar])

    def jac(x):
        return homogeneous_jacobian(field, x, self_coupling)

    sol = optimize.root(residual, guess, jac=jac, method="hybr", options={"xtol": 1e-12})
    if not sol.success or not np.all(np.isfinite(sol.x)):
        return None
    scale = np.maximum(1.0, np.abs(sol.x))
    if np.max(np.abs(residual(sol.x)) / scale) > 1e-9:
        return None
    return sol.x


def _is_physical(field: VectorField, state: np.ndarray) -> bool:
    rates = [k for k, n in enumerate(field.state_variables) if n == "r" or n.startswith("r_")]
    return bool(np.all(state[rates] >= 0.0))


def find_fixed_points(
    model,
    self_coupling: float = 0.0,
    *,
    guesses: np.ndarray | None = None,
    n_guesses: int = 64,
    seed: int = 0,
    **parameters: float,
) -> FixedPoints:
    """All fixed points found from many initial guesses, with their stability.

    Parameters
    ----------
    model : tvb.simulator.models.base.Model or VectorField
        The node model (one value per parameter).
    self_coupling : float
        Self-coupling gain :math:`g` of the homogeneous state (0: isolated node).
    guesses : numpy.ndarray, shape (n, n_var), optional
        Initial guesses; by default ``n_guesses`` random ones (seeded).
    n_guesses : int
        Number of random guesses.
    seed : int
        Seed of the guesses.
    **parameters : float
        Model parameters to override, e.g. ``I_e=15.0``.

    Returns
    -------
    FixedPoints
        The distinct fixed points with non-negative rates.

    Raises
    ------
    NoFixedPointError
        If no fixed point is found.
    """
    field = model if isinstance(model, VectorField) else VectorField(model)
    field = field.with_parameters(**parameters) if parameters else field
    if guesses is None:
        guesses = _guesses(field, n_guesses, seed)
    found: list[np.ndarray] = []
    for guess in np.atleast_2d(guesses):
        x = _solve(field, guess, self_coupling)
        if x is None or not _is_physical(field, x):
            continue
        if not any(np.allclose(x, y, rtol=1e-6, atol=1e-9) for y in found):
            found.append(x)
    if not found:
        raise NoFixedPointError(
            f"No fixed point found for {field.model_cls.__name__} with self_coupling="
            f"{self_coupling} and parameters {parameters or 'as given'} from "
            f"{len(np.atleast_2d(guesses))} initial guesses."
        )
    states = np.array(sorted(found, key=lambda x: x[0]))
    eig = _sorted_eigenvalues(homogeneous_jacobian(field, states, self_coupling))
    stable = np.all(eig.real < 0.0, axis=-1)
    return FixedPoints(states, eig, stable, field.state_variables)
