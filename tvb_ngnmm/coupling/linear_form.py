r"""Linear couplings reduced to one form, for the fast engine and the stability analysis.

TVB's ``Linear(a, b)``, ``Scaling(a)`` and ``Difference(a)`` and the plugin's couplings
(:class:`~tvb_ngnmm.coupling._base.AbstractLinearCoupling`: ``Laplacian``, ``Additive``) all give

.. math:: C_i = a_i \Big(\sum_j \hat W_{ij}\, x_j(t - d_{ij}) - \kappa_i\, x_i(t)\Big) + b

- ``Linear``: :math:`\hat W = W`, :math:`\kappa = 0`, gain ``a``, offset ``b``;
- ``Scaling``: :math:`\hat W = W`, :math:`\kappa = 0`, gain ``a``;
- ``Difference``: :math:`\hat W = W`, :math:`\kappa_i = \sum_j W_{ij}`, gain ``a``;
- the plugin's couplings: :math:`(\hat W, \kappa)` from their ``effective_weights``, gain ``a``
  (one value or one per region).

Each coupling's declaration (:mod:`.registry`) names its reduction; :func:`linear_form` is the
one place where it is looked up; the engine evaluates it on the
history's edges, the Master Stability Function decomposes its operator
:math:`M = \hat W - \mathrm{diag}\,\kappa`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._base import AbstractLinearCoupling
from .registry import coupling_declaration

__all__ = ["LinearForm", "linear_form", "package_linear_form"]


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

    The reduction is the one its declaration gives (``linear``, :mod:`.registry`); returns None
    for a coupling declared without one, or not declared (each caller says what it supports).
    """
    declaration = coupling_declaration(type(coupling))
    if declaration is None or declaration.linear is None:
        return None
    return declaration.linear(coupling, np.asarray(weights, dtype=float))


def package_linear_form(coupling: AbstractLinearCoupling, weights: np.ndarray) -> LinearForm:
    """The form of the package's couplings: their ``effective_weights`` and gain ``a`` (one
    value or one per region)."""
    w_hat, kappa = coupling.effective_weights(weights)
    kappa = np.zeros(weights.shape[0]) if kappa is None else np.asarray(kappa, dtype=float)
    gain = np.asarray(coupling.gain(weights.shape[0]), dtype=float).ravel()
    return LinearForm(np.asarray(w_hat, dtype=float), kappa, gain, np.zeros(1))
