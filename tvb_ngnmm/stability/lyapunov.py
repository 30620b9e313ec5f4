r"""Lyapunov exponents of a network without delays, and of its homogeneous system.

The network ODE is :math:`\dot x_i = f(x_i, \varepsilon \sum_j M_{ij} x_{c,j})` with the coupling
operator :math:`M = \hat W - \mathrm{diag}\,\kappa` (see :mod:`~tvb_ngnmm.stability.msf`). The
leading exponents follow Benettin's method: the state and ``n_exponents`` tangent vectors are
advanced together with the classical fourth-order Runge–Kutta scheme, the tangent dynamics
:math:`\dot Q = J(x) Q` being obtained exactly by complex-step differentiation of the model's
``dfun`` (:math:`J q = \operatorname{Im} F(x + i h q)/h`, all vectors in one evaluation), and the
tangent vectors are re-orthonormalised by a QR decomposition at fixed intervals; the exponents
are the time averages of :math:`\ln |R_{kk}|`.

Delays are not supported: the analysis is of the network without delays (a delayed network has
an infinite-dimensional tangent space). The homogeneous system is one node with self-coupling
:math:`g = \varepsilon\sigma`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from tqdm.auto import tqdm

from .jacobian import VectorField
from .msf import _operator

__all__ = ["LyapunovSpectrum", "lyapunov_exponents", "network_vector_field"]

_STEP = 1e-30


@dataclass(frozen=True)
class LyapunovSpectrum:
    """Leading Lyapunov exponents.

    Parameters
    ----------
    exponents : numpy.ndarray, shape (n_exponents,)
        In 1/ms, in the order of the QR columns (decreasing once converged; nearly equal
        exponents, e.g. several neutral ones of a quasi-periodic orbit, need long runs to
        separate — check ``running``).
    time : numpy.ndarray, shape (n_renormalisation,)
        Times of the QR steps after the transient (ms).
    running : numpy.ndarray, shape (n_renormalisation, n_exponents)
        Running estimates (1/ms), to judge convergence.
    final_state : numpy.ndarray, shape (n_var, n_node)
        The state at the end of the run.
    """

    exponents: np.ndarray
    time: np.ndarray
    running: np.ndarray
    final_state: np.ndarray


def network_vector_field(field: VectorField, operator: np.ndarray, coupling_strength: float):
    """The network's vector field ``F(x)`` for states shaped ``(n_var, n_node, ...)``.

    Parameters
    ----------
    field : VectorField
        The node model.
    operator : numpy.ndarray, shape (n_node, n_node)
        The coupling operator :math:`M` (``W[to, from]``-oriented).
    coupling_strength : float
        :math:`\\varepsilon`.

    Returns
    -------
    callable
        ``F(x)``; works on real and complex states (trailing axes are independent copies).
    """

    def rhs(x):
        n_var, n_node = x.shape[:2]
        coupling = coupling_strength * np.einsum("ij,cj...->ci...", operator, x[field.cvar])
        out = field(x.reshape(n_var, -1), coupling.reshape(len(field.cvar), -1))
        return out.reshape(x.shape)

    return rhs


def _tangent_rhs(rhs, x, q):
    """``(F(x), J(x) q)`` by one complex-step evaluation; ``q`` is ``(n_var, n_node, k)``."""
    out = rhs(x[..., None] + 1j * _STEP * q)
    return out[..., 0].real, out.imag / _STEP


def _rk4(rhs, x, q, dt):
    k1x, k1q = _tangent_rhs(rhs, x, q)
    k2x, k2q = _tangent_rhs(rhs, x + 0.5 * dt * k1x, q + 0.5 * dt * k1q)
    k3x, k3q = _tangent_rhs(rhs, x + 0.5 * dt * k2x, q + 0.5 * dt * k2q)
    k4x, k4q = _tangent_rhs(rhs, x + dt * k3x, q + dt * k3q)
    x = x + dt / 6.0 * (k1x + 2 * k2x + 2 * k3x + k4x)
    q = q + dt / 6.0 * (k1q + 2 * k2q + 2 * k3q + k4q)
    return x, q


def lyapunov_exponents(
    model,
    state: np.ndarray,
    weights: np.ndarray | None = None,
    coupling=None,
    *,
    coupling_strength: float | None = None,
    n_exponents: int = 4,
    duration: float = 2000.0,
    transient: float = 200.0,
    dt: float = 0.02,
    renormalise_every: float = 1.0,
    seed: int = 0,
    progress: bool = False,
) -> LyapunovSpectrum:
    """Leading Lyapunov exponents of a network without delays (Benettin's QR method).

    Parameters
    ----------
    model : tvb.simulator.models.base.Model or VectorField
        The node model (one value per parameter).
    state : numpy.ndarray, shape (n_var, n_node) or (n_var,)
        Initial state (rates in kHz); ``(n_var,)`` with ``weights=None`` for one node.
    weights : numpy.ndarray, shape (n_node, n_node), optional
        Connectivity ``W[to, from]``; None for the homogeneous system, a single node with
        self-coupling ``coupling_strength`` (i.e. :math:`g = \\varepsilon\\sigma`).
    coupling : optional
        As in :func:`~tvb_ngnmm.stability.coupling_modes` (None: :math:`M = W`).
    coupling_strength : float, optional
        :math:`\\varepsilon`; by default the coupling's gain (0 for a lone node).
    n_exponents : int
        Number of exponents.
    duration, transient : float
        Averaging time and discarded transient (ms).
    dt : float
        Runge–Kutta step (ms).
    renormalise_every : float
        Interval between QR re-orthonormalisations (ms).
    seed : int
        Seed of the initial tangent vectors.
    progress : bool
        Show a tqdm progress bar.

    Returns
    -------
    LyapunovSpectrum
        Exponents in 1/ms.
    """
    field = model if isinstance(model, VectorField) else VectorField(model)
    x = np.asarray(state, dtype=float).reshape(field.n_var, -1).copy()
    if weights is None:
        operator, gain = np.ones((1, 1)), 0.0
    else:
        operator, gain = _operator(weights, coupling)
    if operator.shape != (x.shape[1], x.shape[1]):
        raise ValueError(
            f"Invalid shape for the 'state' parameter: the weights have {operator.shape[0]} "
            f"regions, but the state has {x.shape[1]}."
        )
    strength = gain if coupling_strength is None else float(coupling_strength)
    rhs = network_vector_field(field, operator, strength)
    dimension = x.size
    if not 1 <= n_exponents <= dimension:
        raise ValueError(
            f"Invalid value for the 'n_exponents' parameter. Allowed values are 1 to "
            f"{dimension}, but got {n_exponents} instead."
        )
    q = np.linalg.qr(np.random.default_rng(seed).standard_normal((dimension, n_exponents)))[0]
    q = q.reshape(*x.shape, n_exponents)
    steps = max(1, int(round(renormalise_every / dt)))
    n_blocks = int(round((transient + duration) / (steps * dt)))
    n_transient = int(round(transient / (steps * dt)))
    logs, times = np.zeros(n_exponents), []
    running = []
    for block in tqdm(range(n_blocks), desc="Lyapunov", disable=not progress):
        for _ in range(steps):
            x, q = _rk4(rhs, x, q, dt)
        if not np.all(np.isfinite(x)):
            raise FloatingPointError(f"The run blew up at t = {(block + 1) * steps * dt} ms.")
        qr, r = np.linalg.qr(q.reshape(dimension, n_exponents))
        q = qr.reshape(*x.shape, n_exponents)
        if block >= n_transient:
            logs += np.log(np.abs(np.diag(r)))
            elapsed = (block + 1 - n_transient) * steps * dt
            times.append(elapsed)
            running.append(logs / elapsed)
    running = np.array(running)
    return LyapunovSpectrum(running[-1], np.array(times), running, x)
