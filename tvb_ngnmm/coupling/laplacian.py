r"""Diffusive (Laplacian) coupling and the graph Laplacian of a connectome.

With ``W[to, from]`` and :math:`D = \mathrm{diag}(\sum_j W_{ij})` (row sums, i.e. each region's
total input):

- ``'none'``: :math:`L = D - W`,
- ``'rw'`` (random walk): :math:`L = I - D^{-1} W`,
- ``'sym'`` (symmetric): :math:`L = I - D^{-1/2} W D^{-1/2}`.

Without delays the diffusive coupling is :math:`C = -a L x`.
"""

from __future__ import annotations

import numpy as np

from .._util import check_choice
from ._base import AbstractLinearCoupling, ChoiceAttr
from ._normalize import check_weights
from .linear_form import package_linear_form
from .registry import register_coupling

LAPLACIAN_NORMALIZATIONS = ("none", "rw", "sym")


def laplacian_parts(weights: object, normalize: str = "none") -> tuple[np.ndarray, np.ndarray]:
    r"""Split the Laplacian into effective weights and self-weights, :math:`L = \mathrm{diag}
    (\kappa) - \hat W`.

    Parameters
    ----------
    weights : array_like, shape (n_node, n_node)
        Weights ``W[to, from]`` (dimensionless), finite and non-negative.
    normalize : {'none', 'rw', 'sym'}
        ``'none'``: :math:`\hat W = W`, :math:`\kappa_i = \sum_j W_{ij}`;
        ``'rw'``: :math:`\hat W = D^{-1} W`, :math:`\kappa = 1`;
        ``'sym'``: :math:`\hat W = D^{-1/2} W D^{-1/2}`, :math:`\kappa = 1`.

    Returns
    -------
    w_hat : numpy.ndarray, shape (n_node, n_node)
        Effective weights, float64.
    kappa : numpy.ndarray, shape (n_node,)
        Self-weights, float64.

    Raises
    ------
    ValueError
        For an unknown ``normalize``; non-square, non-finite or negative ``weights``; or, for
        ``'rw'`` and ``'sym'``, rows of ``weights`` with zero sum (regions without input).
    """
    check_choice("normalize", normalize, LAPLACIAN_NORMALIZATIONS)
    w = check_weights(weights, non_negative=True)
    degree = w.sum(axis=1)
    if normalize == "none":
        return w, degree
    empty = np.flatnonzero(degree <= 0)
    if empty.size:
        shown = ", ".join(str(i) for i in empty[:10]) + (", ..." if empty.size > 10 else "")
        raise ValueError(
            f"Invalid value for the 'weights' parameter with normalize={normalize!r}. Allowed "
            "are weights whose every row (target region) has a positive sum, but rows "
            f"[{shown}] ({empty.size} in all) sum to zero instead. Use normalize='none' or "
            "remove the regions that receive no input."
        )
    ones = np.ones_like(degree)
    if normalize == "rw":
        return w / degree[:, np.newaxis], ones
    scale = 1.0 / np.sqrt(degree)
    return scale[:, np.newaxis] * w * scale[np.newaxis, :], ones


def laplacian(weights: object, normalize: str = "none") -> np.ndarray:
    r"""Graph Laplacian of a connectivity matrix, for analysis (e.g. the Master Stability Function).

    Parameters
    ----------
    weights : array_like, shape (n_node, n_node)
        Weights ``W[to, from]`` (dimensionless), finite and non-negative. ``D`` is the diagonal
        matrix of row sums (in-strengths).
    normalize : {'none', 'rw', 'sym'}
        ``'none'``: :math:`L = D - W` (rows sum to 0);
        ``'rw'``: :math:`L = I - D^{-1} W` (rows sum to 0);
        ``'sym'``: :math:`L = I - D^{-1/2} W D^{-1/2}` (symmetric if ``W`` is; same eigenvalues
        as ``'rw'``).

    Returns
    -------
    numpy.ndarray, shape (n_node, n_node)
        The Laplacian, float64.

    Raises
    ------
    ValueError
        For an unknown ``normalize``; non-square, non-finite or negative ``weights``; or, for
        ``'rw'`` and ``'sym'``, rows with zero sum (named in the message).

    Examples
    --------
    >>> laplacian([[0.0, 2.0], [1.0, 0.0]])
    array([[ 2., -2.],
           [-1.,  1.]])
    """
    w_hat, kappa = laplacian_parts(weights, normalize)
    return np.diag(kappa) - w_hat


@register_coupling(
    linear=package_linear_form,
    regional_gain=True,
    subclasses=True,
    example=lambda: Laplacian(a=np.array([0.4]), normalize="rw"),
)
class Laplacian(AbstractLinearCoupling):
    r"""Diffusive (Laplacian) coupling, with delays and an optional normalisation.

    .. math::

        C_i = a_i \Big(\sum_j \hat W_{ij}\, x_j(t - d_{ij}) - \kappa_i\, x_i(t)\Big)

    with, for :math:`D = \mathrm{diag}(\sum_j W_{ij})`,

    - ``normalize='none'``: :math:`\hat W = W`, :math:`\kappa_i = \sum_j W_{ij}`; identical to
      TVB's ``Difference`` coupling, :math:`a \sum_j W_{ij}(x_j - x_i)`;
    - ``normalize='rw'``: :math:`\hat W = D^{-1} W`, :math:`\kappa_i = 1` (random-walk Laplacian);
    - ``normalize='sym'``: :math:`\hat W = D^{-1/2} W D^{-1/2}`, :math:`\kappa_i = 1`
      (symmetric normalised Laplacian).

    Without delays :math:`C = -a L x` with :math:`L` from :func:`laplacian`: the coupling
    vanishes on synchronous states for ``'none'`` and ``'rw'``. The weights must be finite and
    non-negative, and for ``'rw'``/``'sym'`` every region must receive input (positive row sum);
    this is checked at the first evaluation, when the simulator's history brings the weights.
    The gain ``a`` may be one value or one per target region.

    Parameters
    ----------
    **kwargs
        Values of the declared attributes: the gain ``a`` and ``normalize``.
    """

    normalize = ChoiceAttr(
        choices=LAPLACIAN_NORMALIZATIONS,
        default="none",
        label="Normalisation",
        doc="Normalisation of the weights: 'none' (L = D - W, as TVB's Difference), 'rw' "
        "(random walk, L = I - D^-1 W) or 'sym' (L = I - D^-1/2 W D^-1/2).",
    )

    def effective_weights(self, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """:math:`(\\hat W, \\kappa)` for ``W[to, from]`` (see :func:`laplacian_parts`).

        Parameters
        ----------
        weights : numpy.ndarray, shape (n_node, n_node)
            The connectivity's weights ``W[to, from]``.
        """
        return laplacian_parts(weights, self.normalize)
