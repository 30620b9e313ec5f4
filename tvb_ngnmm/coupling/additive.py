r"""Additive coupling with a choice of weight normalisation."""

from __future__ import annotations

import numpy as np

from ._base import AbstractLinearCoupling, ChoiceAttr
from ._normalize import ADDITIVE_NORMALIZATIONS, normalize_weights
from .linear_form import package_linear_form
from .registry import register_coupling


@register_coupling(
    linear=package_linear_form,
    regional_gain=True,
    subclasses=True,
    example=lambda: Additive(a=np.array([0.3]), normalize="row"),
)
class Additive(AbstractLinearCoupling):
    r"""Additive (linear) coupling of normalised weights, with delays.

    .. math::

        C_i = a_i \sum_j \hat W_{ij}\, x_j(t - d_{ij})

    where :math:`\hat W` is ``W[to, from]`` normalised by :func:`normalize_weights`:

    - ``'none'``: :math:`\hat W = W` (TVB's ``Linear`` with ``b = 0``);
    - ``'row'``: :math:`\hat W_{ij} = W_{ij} / \sum_k W_{ik}` (each region's input weights sum
      to 1);
    - ``'column'``: :math:`\hat W_{ij} = W_{ij} / \sum_k W_{kj}` (each region's output weights
      sum to 1);
    - ``'max'``: :math:`\hat W = W / \max W`;
    - ``'total'``: :math:`\hat W = W / \sum_{kl} W_{kl}`.

    Rows, columns or matrices with zero sum stay zero. Normalised weights must be finite and
    non-negative (checked at the first evaluation, when the simulator's history brings the
    weights); with ``'none'`` any finite weights are accepted. The gain ``a`` may be one value
    or one per target region.

    With row sums equal to 1, :math:`C_i = a(\sum_j \hat W_{ij} x_j - x_i) + a x_i`: additive
    coupling equals the random-walk :class:`~tvb_ngnmm.coupling.Laplacian` plus a local
    self-coupling of strength :math:`a`.

    Parameters
    ----------
    **kwargs
        Values of the declared attributes: the gain ``a`` and ``normalize``.
    """

    normalize = ChoiceAttr(
        choices=ADDITIVE_NORMALIZATIONS,
        default="none",
        label="Normalisation",
        doc="Normalisation of the weights: 'none', 'row' (input weights sum to 1), 'column' "
        "(output weights sum to 1), 'max' (largest weight is 1) or 'total' (all weights sum to 1).",
    )

    def effective_weights(self, weights: np.ndarray) -> tuple[np.ndarray, None]:
        """:math:`(\\hat W, None)`: normalised weights and no self term.

        Parameters
        ----------
        weights : numpy.ndarray, shape (n_node, n_node)
            The connectivity's weights ``W[to, from]``.
        """
        return normalize_weights(weights, self.normalize), None
