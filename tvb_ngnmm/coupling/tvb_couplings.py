r"""TVB's own couplings, declared for the engine (:mod:`.registry`).

The linear ones reduce to :class:`~.linear_form.LinearForm`:

- ``Linear(a, b)``: :math:`\hat W = W`, :math:`\kappa = 0`, gain ``a``, offset ``b``;
- ``Scaling(a)``: :math:`\hat W = W`, :math:`\kappa = 0`, gain ``a``;
- ``Difference(a)``: :math:`\hat W = W`, :math:`\kappa_i = \sum_j W_{ij}`, gain ``a``.

The nonlinear ones keep the delayed sum linear over their pre channels:

- ``Sigmoidal``: ``cmin + (cmax - cmin) / (1 + exp(-a (S - midpoint) / sigma))``, post only;
- ``HyperbolicTangent``: ``a S`` of ``pre = 1 + tanh((b x_j - midpoint) / sigma)``;
- ``SigmoidalJansenRit``: ``a S`` of ``pre = cmin + (cmax - cmin) / (1 + exp(r (midpoint -
  (x_{0,j} - x_{1,j}))))`` on the model's two coupling variables, one sum delivered on every
  coupling row (as TVB does);
- ``Kuramoto``: ``a / n_cvar sum_j w_ij sin(x_j - x_i) = a / n_cvar (cos x_i S^sin_i - sin x_i
  S^cos_i)``, sums of ``sin x_j`` and ``cos x_j`` (TVB divides by ``gx.shape[0]``, the number of
  coupling variables, not of nodes);
- ``PreSigmoidal``: as stock TVB computes it, which is not what its docstring suggests.

TVB's ``PreSigmoidal`` sums over axis 0 of the delayed state, the *targets'* axis, so with
:math:`f(u) = H (Q + \tanh(G u))` and :math:`W_{ij}`, :math:`d_{ij}` the weight and delay of
the edge from :math:`j` to :math:`i` (TVB's history), node :math:`j` receives

- dynamic threshold: :math:`c_{0,j} = \sum_i W_{ij}\, f(P x_{0,j}(t - d_{ij}) - x_{1,j}(t -
  d_{ij}))`, a function of its *own* delayed state through its out-edges, and :math:`c_{1,j} =
  f(P x_{0,j}(t - d_{jj}) - x_{1,j}(t - d_{jj}))` if it has a self-connection, else
  :math:`f(0) = H Q` (TVB's sparse history holds zeros where a weight is zero);
- static threshold, per coupling variable: :math:`c_j = \sum_i W_{ji}\, f(P x_j(t - d_{ij}) -
  \theta)` over the :math:`i` with :math:`W_{ij} \ne 0`, plus :math:`W_{ji} f(-\theta)` for each
  :math:`i` with :math:`W_{ji} \ne 0 = W_{ij}`.

The engine sums the pre values :math:`f(\cdot)` of each node over a transposed edge list (for
node :math:`j`, itself at the delays :math:`d_{ij}`), with those weights, and adds the constants
per node after the sum. ``globalT`` with a dynamic threshold (each target's threshold read from
node 0's delayed state inside the sigmoid) is refused.

Their parameters are single values (the gain ``a`` can be swept by ``run_batch``).
"""

from __future__ import annotations

from math import cos, exp, sin, tanh

import numpy as np
from tvb.simulator import coupling as tvb_coupling

from ..errors import UnsupportedSimulationError
from .linear_form import LinearForm
from .registry import register_coupling


def _flat(values) -> np.ndarray:
    return np.asarray(values, dtype=float).ravel()


def _one(value: float) -> np.ndarray:
    return np.array([value])


# -- linear ----------------------------------------------------------------------------------


def _linear(coupling, weights):
    return LinearForm(weights, np.zeros(weights.shape[0]), _flat(coupling.a), _flat(coupling.b))


def _scaling(coupling, weights):
    return LinearForm(weights, np.zeros(weights.shape[0]), _flat(coupling.a), np.zeros(1))


def _difference(coupling, weights):
    return LinearForm(weights, weights.sum(axis=1), _flat(coupling.a), np.zeros(1))


register_coupling(
    tvb_coupling.Linear,
    linear=_linear,
    example=lambda: tvb_coupling.Linear(a=_one(0.3), b=_one(0.05)),
)
register_coupling(
    tvb_coupling.Scaling, linear=_scaling, example=lambda: tvb_coupling.Scaling(a=_one(0.3))
)
register_coupling(
    tvb_coupling.Difference,
    linear=_difference,
    example=lambda: tvb_coupling.Difference(a=_one(0.3)),
)


# -- Sigmoidal: post only --------------------------------------------------------------------


def sigmoidal_post(c, i, m, S, x, a, p):
    """``cmin + (cmax - cmin) / (1 + exp(-a (S - midpoint) / sigma))``."""
    cmin, cmax, midpoint, sigma = p[0], p[1], p[2], p[3]
    return cmin + (cmax - cmin) / (1.0 + exp(-a * ((np.float64(S[c, m]) - midpoint) / sigma)))


register_coupling(
    tvb_coupling.Sigmoidal,
    parameters=("cmin", "cmax", "midpoint", "sigma"),
    post=sigmoidal_post,
    example=lambda: tvb_coupling.Sigmoidal(
        a=_one(2.0), cmin=_one(-1.0), cmax=_one(1.0), midpoint=_one(0.1), sigma=_one(2.0)
    ),
)


# -- HyperbolicTangent -----------------------------------------------------------------------


def hyperbolic_tangent_pre(q, m, x, p):
    """``1 + tanh((b x - midpoint) / sigma)`` per coupling variable (``a`` after the sum)."""
    return 1.0 + tanh((p[0] * np.float64(x[q, m]) - p[1]) / p[2])


def gain_times_sum(c, i, m, S, x, a, p):
    """``a S``: the gain times the row's sum."""
    return a * np.float64(S[c, m])


register_coupling(
    tvb_coupling.HyperbolicTangent,
    parameters=("b", "midpoint", "sigma"),
    pre=hyperbolic_tangent_pre,
    post=gain_times_sum,
    example=lambda: tvb_coupling.HyperbolicTangent(
        a=_one(0.3), b=_one(0.8), midpoint=_one(0.1), sigma=_one(0.2)
    ),
)


# -- SigmoidalJansenRit ----------------------------------------------------------------------


def sigmoidal_jansen_rit_pre(q, m, x, p):
    """The sigmoid of the difference of the two coupling variables (in float32, as TVB)."""
    cmin, cmax, midpoint, r = p[0], p[1], p[2], p[3]
    return cmin + (cmax - cmin) / (1.0 + exp(r * (midpoint - np.float64(x[0, m] - x[1, m]))))


def gain_times_first_sum(c, i, m, S, x, a, p):
    """``a S``: one sum, delivered on every coupling row (TVB repeats it)."""
    return a * np.float64(S[0, m])


register_coupling(
    tvb_coupling.SigmoidalJansenRit,
    parameters=("cmin", "cmax", "midpoint", "r"),
    pre=sigmoidal_jansen_rit_pre,
    post=gain_times_first_sum,
    channels=lambda coupling, n_cvar: 1,
    gain_rows=lambda coupling, n_cvar: 1,
    cvar_counts=(2,),
)


# -- Kuramoto --------------------------------------------------------------------------------


def kuramoto_pre(q, m, x, p):
    """``sin x`` (even channels) and ``cos x`` (odd) of each coupling variable."""
    value = np.float64(x[q // 2, m])
    return sin(value) if q % 2 == 0 else cos(value)


def kuramoto_post(c, i, m, S, x, a, p):
    """``a / n_cvar (cos x_i S^sin_i - sin x_i S^cos_i)`` (TVB divides by ``n_cvar``)."""
    own = x[c, m]
    total = cos(own) * np.float64(S[2 * c, m]) - sin(own) * np.float64(S[2 * c + 1, m])
    return a / x.shape[0] * total


register_coupling(
    tvb_coupling.Kuramoto,
    pre=kuramoto_pre,
    post=kuramoto_post,
    channels=lambda coupling, n_cvar: 2 * n_cvar,
    example=lambda: tvb_coupling.Kuramoto(a=_one(0.5)),
)


# -- PreSigmoidal ----------------------------------------------------------------------------


def pre_sigmoidal_pre(q, m, x, p):
    """``H (Q + tanh(G u))``: ``u = P x_0 - x_1`` (dynamic threshold, the same on both
    channels) or ``P x_q - theta`` per coupling variable."""
    if p[5] > 0.0:  # dynamic: the threshold is the second coupling variable
        u = p[3] * np.float64(x[0, m]) - np.float64(x[1, m])
    else:
        u = p[3] * np.float64(x[q, m]) - p[4]
    return p[0] * (p[1] + tanh(p[2] * u))


def pre_sigmoidal_post(c, i, m, S, x, a, p):
    """The sum and a constant per coupling row and node (``p[7:]``, ``p[6]`` nodes a row)."""
    return np.float64(S[c, m]) + p[7 + c * int(p[6]) + i]


def _pre_sigmoidal_edges(coupling, history, n_cvar, p):
    """The transposed edges of stock TVB's sums, and ``[dynamic, n_node, offsets...]``."""
    h, q, g, theta = p[0], p[1], p[2], p[4]
    dynamic = bool(coupling.dynamic)
    if dynamic and n_cvar != 2:
        raise ValueError(
            "Invalid value for the 'cvar' of the model: PreSigmoidal with a dynamic threshold "
            "reads the threshold from the second coupling variable and gives two coupling "
            f"terms, so allowed are 2 coupling variables, but got {n_cvar} instead."
        )
    if dynamic and bool(coupling.globalT):
        raise _unsupported_global_threshold()
    weights = np.asarray(history.weights, dtype=float)
    n_node = weights.shape[0]
    rows = np.asarray(history.nnz_row_el_idx, dtype=np.int64)  # i: TVB's target axis
    cols = np.asarray(history.nnz_col_el_idx, dtype=np.int64)  # j: receives the term
    delays = np.asarray(history.nnz_idelays, dtype=np.int64)
    if dynamic:
        edge_weights = [weights[rows, cols], np.where(rows == cols, 1.0, 0.0)]
        own = np.zeros(n_node, dtype=bool)
        own[rows[rows == cols]] = True
        offsets = [np.zeros(n_node), np.where(own, 0.0, h * q)]
    else:
        mirrored = weights[cols, rows]  # W_ji, the weight TVB's static branch applies
        at_zero = h * (q + np.tanh(-g * theta))  # the pre value of TVB's zeros
        unmatched = (weights != 0.0) & (weights.T == 0.0)  # W_ji != 0 = W_ij: a constant
        offset = at_zero * np.where(unmatched, weights, 0.0).sum(axis=1)
        edge_weights = [mirrored] * n_cvar
        offsets = [offset] * n_cvar
    extra = np.concatenate([[float(dynamic), n_node], np.ravel(offsets)])
    return cols, cols, delays, np.array(edge_weights, dtype=float), extra


def _unsupported_global_threshold() -> UnsupportedSimulationError:
    return UnsupportedSimulationError(
        "Invalid value for the 'globalT' parameter of PreSigmoidal: the fast engine supports "
        "globalT=False with a dynamic threshold (with globalT=True stock TVB reads each target's "
        "threshold from node 0's delayed state inside the sigmoid, which is not a sum of per-node "
        "values), but got True."
    )


register_coupling(
    tvb_coupling.PreSigmoidal,
    parameters=("H", "Q", "G", "P", "theta"),
    gain=None,
    pre=pre_sigmoidal_pre,
    post=pre_sigmoidal_post,
    channels=lambda coupling, n_cvar: 2 if coupling.dynamic else n_cvar,
    gain_rows=lambda coupling, n_cvar: 2 if coupling.dynamic else n_cvar,
    edges=_pre_sigmoidal_edges,
    example=lambda: tvb_coupling.PreSigmoidal(
        H=_one(0.5), Q=_one(1.0), G=_one(2.0), P=_one(1.2), theta=_one(0.3), dynamic=True
    ),
)
