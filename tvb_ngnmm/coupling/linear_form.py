r"""Linear couplings reduced to one form, for the fast engine and the stability analysis.

TVB's ``Linear(a, b)``, ``Scaling(a)`` and ``Difference(a)`` and the plugin's couplings
(:class:`~tvb_ngnmm.coupling._base.AbstractLinearCoupling`: ``Laplacian``, ``Additive``) all give

.. math:: C_i = a_i \Big(\sum_j \hat W_{ij}\, x_j(t - d_{ij}) - \kappa_i\, x_i(t)\Big) + b

- ``Linear``: :math:`\hat W = W`, :math:`\kappa = 0`, gain ``a``, offset ``b``;
- ``Scaling``: :math:`\hat W = W`, :math:`\kappa = 0`, gain ``a``;
- ``Difference``: :math:`\hat W = W`, :math:`\kappa_i = \sum_j W_{ij}`, gain ``a``;
- the plugin's couplings: :math:`(\hat W, \kappa)` from their ``effective_weights``, gain ``a``
  (one value or one per region).

:func:`linear_form` is the one place where this reduction is made; the engine evaluates it on the
history's edges, the Master Stability Function decomposes its operator
:math:`M = \hat W - \mathrm{diag}\,\kappa`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from tvb.simulator import coupling as tvb_coupling

from ._base import AbstractLinearCoupling

__all__ = ["LinearForm", "linear_form"]


@dataclass(frozen=True)
class LinearForm:
    """A coupling as effective weights, self-weights, gain and offset.

    Attributes
    ----------
    weights : numpy.ndarray, shape (n_node, n_node)
        Effective weights :math:`\\hat W` ``[to, from]``, float64.
    self_weights : numpy.ndarray, shape (n_node,)
        Self-weights :math:`\\kappa`, float64 (zeros when the coupling has no self term).
    gain : numpy.ndarray
        The gain ``a``, float64, flat: one value, or one per region (the plugin's couplings).
    offset : numpy.ndarray
        The offset ``b``, float64, flat (TVB's ``Linear``; ``[0.0]`` otherwise).
    """

    weights: np.ndarray
    self_weights: np.ndarray
    gain: np.ndarray
    offset: np.ndarray

    @property
    def operator(self) -> np.ndarray:
        """The coupling operator :math:`M = \\hat W - \\mathrm{diag}\\,\\kappa` (n_node, n_node)."""
        return self.weights - np.diag(self.self_weights)


def linear_form(coupling, weights: np.ndarray) -> LinearForm | None:
    """Reduce ``coupling`` on the connectivity ``weights`` ``W[to, from]`` to a :class:`LinearForm`.

    Returns None for a coupling that is none of TVB's ``Linear``, ``Scaling`` and ``Difference``
    (exactly those classes) and the plugin's linear couplings; each caller says what it supports.
    """
    weights = np.asarray(weights, dtype=float)
    n_node = weights.shape[0]
    no_offset = np.zeros(1)
    if isinstance(coupling, AbstractLinearCoupling):
        w_hat, kappa = coupling.effective_weights(weights)
        kappa = np.zeros(n_node) if kappa is None else np.asarray(kappa, dtype=float)
        gain = np.asarray(coupling.gain(n_node), dtype=float).ravel()
        return LinearForm(np.asarray(w_hat, dtype=float), kappa, gain, no_offset)
    if type(coupling) is tvb_coupling.Linear:
        gain, offset = _flat(coupling.a), _flat(coupling.b)
        return LinearForm(weights, np.zeros(n_node), gain, offset)
    if type(coupling) is tvb_coupling.Scaling:
        return LinearForm(weights, np.zeros(n_node), _flat(coupling.a), no_offset)
    if type(coupling) is tvb_coupling.Difference:
        return LinearForm(weights, weights.sum(axis=1), _flat(coupling.a), no_offset)
    return None


def _flat(values) -> np.ndarray:
    return np.asarray(values, dtype=float).ravel()
