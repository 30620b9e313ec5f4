r"""Couplings reduced to one linear form the kernel evaluates.

TVB's ``Linear(a, b)`` and ``Difference(a)`` and the package's ``Laplacian``, ``Additive`` and
``MultiCoupling`` all give, per coupling variable ``c``,

.. math:: C_{c,i} = a_{c,i} \Big(\sum_j \hat W^{(c)}_{ij}\, x_{c,j}(t - d_{ij})
          - \kappa_{c,i}\, x_{c,i}(t)\Big) + b_c

as reduced by :func:`tvb_ngnmm.coupling.linear_form.linear_form` from the history's (float32)
weights; TVB's ``Linear`` and ``Difference`` with one gain ``a`` (and one offset ``b``), the
package's couplings with one gain or one per region.

TVB's couplings with a nonlinear function before (``pre``) or after (``post``) the delayed sum
keep that sum linear (:mod:`.coupling_kernel`): a ``pre`` of the source's values is applied to the
history ring's float32 values, so the sums run over the "pre channels", and the ``post`` per node:

- ``Scaling(a)``: linear, ``a S`` (reduced by ``linear_form`` like ``Linear`` with ``b = 0``);
- ``Sigmoidal``: ``cmin + (cmax - cmin) / (1 + exp(-a (S - midpoint) / sigma))``, post only;
- ``HyperbolicTangent``: ``S`` of ``pre = a (1 + tanh((b x_j - midpoint) / sigma))`` (``a``
  applied after the sum);
- ``SigmoidalJansenRit``: ``a S`` of ``pre = cmin + (cmax - cmin) / (1 + exp(r (midpoint -
  (x_{0,j} - x_{1,j}))))`` on the model's two coupling variables, one sum delivered on every
  coupling row (as TVB does);
- ``Kuramoto``: ``a / n_cvar sum_j w_ij sin(x_j - x_i) = a / n_cvar (cos x_i S^sin_i - sin x_i
  S^cos_i)``, sums of ``sin x_j`` and ``cos x_j`` (TVB divides by ``gx.shape[0]``, the number of
  coupling variables, not of nodes).

Their parameters are single values (the gain ``a`` can be swept by ``run_batch``).

The edges are the non-zero weights of TVB's ``SparseHistory`` (rows sorted), with its integer
delays. Any other coupling raises :class:`~tvb_ngnmm.engine.errors.UnsupportedSimulationError`.

TVB's ``PreSigmoidal`` is run as stock TVB computes it, which is not what its docstring suggests:
its ``__call__`` sums over axis 0 of the delayed state, the *targets'* axis, so with
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
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from tvb.simulator import coupling as tvb_coupling

from .._util import check_values
from ..coupling import MultiCoupling
from ..coupling._base import AbstractLinearCoupling
from ..coupling.linear_form import linear_form
from .coupling_kernel import (
    HYPERBOLIC_TANGENT,
    KURAMOTO,
    LINEAR,
    PRE_SIGMOIDAL,
    PRE_SIGMOIDAL_STATIC,
    SIGMOIDAL,
    SIGMOIDAL_JANSEN_RIT,
)
from .delays import MIDDLE_BLOCK, delay_tiers
from .errors import UnsupportedSimulationError

LINEAR_SUPPORTED = ("Linear", "Difference", "Scaling", "Laplacian", "Additive")
#: TVB's couplings with a nonlinear pre or post function: kernel kind, parameters in its order.
NONLINEAR = {
    tvb_coupling.Sigmoidal: (SIGMOIDAL, ("cmin", "cmax", "midpoint", "sigma")),
    tvb_coupling.HyperbolicTangent: (HYPERBOLIC_TANGENT, ("b", "midpoint", "sigma")),
    tvb_coupling.SigmoidalJansenRit: (SIGMOIDAL_JANSEN_RIT, ("cmin", "cmax", "midpoint", "r")),
    tvb_coupling.Kuramoto: (KURAMOTO, ()),
    tvb_coupling.PreSigmoidal: (PRE_SIGMOIDAL, ("H", "Q", "G", "P", "theta")),
}
SUPPORTED = (*LINEAR_SUPPORTED, *(cls.__name__ for cls in NONLINEAR), "MultiCoupling")


@dataclass
class CouplingTerms:
    """Edges and per-sum weights; per-coupling-row self-weights, gains and offsets.

    Linear couplings have one sum and one row per coupling variable; TVB's nonlinear ones
    (``kind`` other than :data:`.coupling_kernel.LINEAR`) as many sums as pre channels (two per
    coupling variable for ``Kuramoto``, one for ``SigmoidalJansenRit``) and as many gain rows
    as coupling rows (one for ``SigmoidalJansenRit``, whose one sum feeds every row).
    """

    row_start: np.ndarray  # (n_node + 1,) int64
    sources: np.ndarray  # (n_edge,) int64
    idelays: np.ndarray  # (n_edge,) int64
    weights: np.ndarray  # (n_sum, n_edge) float64
    kappa: np.ndarray  # (n_row, n_node) float64
    gain: np.ndarray  # (n_row, n_node) float64
    offset: np.ndarray  # (n_row,) float64
    kind: int = LINEAR
    parameters: np.ndarray = field(default_factory=lambda: np.zeros(0))
    _kernel_edges: dict = field(default_factory=dict, repr=False, compare=False)

    def dense(self, max_bytes: int = 2**26) -> np.ndarray:
        """Weights as ``(n_cvar, source, target)`` float32, for a network without delays.

        See :func:`.coupling_kernel.accumulate_dense`.

        Only for networks whose delays are all zero, with at least an eighth of the possible
        connections (sparser networks are faster edge by edge) and at most ``max_bytes``;
        otherwise an empty ``(0, 0, 0)`` array.
        """
        n_node = self.row_start.size - 1
        n_cvar = self.weights.shape[0]
        empty = np.zeros((0, 0, 0), dtype=np.float32)
        if (self.idelays.size == 0 or self.idelays.max() > 0
                or 8 * self.idelays.size < n_node * n_node
                or 4 * n_cvar * n_node * n_node > max_bytes):  # fmt: skip
            return empty
        targets = np.repeat(np.arange(n_node), np.diff(self.row_start))
        out = np.zeros((n_cvar, n_node, n_node), dtype=np.float32)
        for c in range(n_cvar):  # added: a pair can repeat (PreSigmoidal's reading)
            np.add.at(out[c], (self.sources, targets), self.weights[c])
        return out

    @property
    def min_delay(self) -> int | None:
        """Shortest delay (steps) over the edges; None without edges."""
        return int(self.idelays.min()) if self.idelays.size else None

    def kernel_edges(self, history_steps: int) -> KernelEdges:
        """The edges as :func:`.kernel.run_chunk` takes them (see :class:`KernelEdges`).

        ``history_steps``: steps the history holds (a block never spans more). The edges are
        split by delay at the thresholds of :func:`.delays.delay_tiers`: step by step, in blocks
        of :data:`.delays.MIDDLE_BLOCK` steps, in long blocks.
        """
        cached = self._kernel_edges.get(history_steps)
        if cached is not None:
            return cached
        weights = self.weights.astype(np.float32)
        dense = self.dense()
        n_node = self.row_start.size - 1
        targets = np.repeat(np.arange(n_node), np.diff(self.row_start))

        def edges(chosen):
            row_start = np.searchsorted(targets[chosen], np.arange(n_node + 1)).astype(np.int64)
            chosen_weights = np.ascontiguousarray(weights[:, chosen])
            return row_start, self.sources[chosen], self.idelays[chosen], chosen_weights

        short, long = delay_tiers(self.idelays, history_steps)
        tiers = [edges(self.idelays >= long)]
        if long > short:
            tiers.append(edges((self.idelays >= short) & (self.idelays < long)))
        offsets = np.cumsum([0] + [tier[1].size for tier in tiers[:-1]])
        row_start = np.stack(
            [tier[0] + offset for tier, offset in zip(tiers, offsets, strict=True)]
        )
        sources, idelays = (np.concatenate([tier[k] for tier in tiers]) for k in (1, 2))
        tier_weights = np.ascontiguousarray(np.concatenate([tier[3] for tier in tiers], axis=1))
        # A dense matrix, when there is one, sums all the edges (all of zero delay).
        step_by_step = edges((self.idelays < short) & (dense.shape[0] == 0))
        block = int(tiers[0][2].min()) + 1 if tiers[0][2].size else None
        recent = int(step_by_step[2].max()) + 1 if step_by_step[2].size else int(dense.size > 0)
        result = KernelEdges(row_start, sources, idelays, tier_weights, *step_by_step, dense,
                             block, MIDDLE_BLOCK if long > short else 0, recent)  # fmt: skip
        self._kernel_edges[history_steps] = result
        return result


@dataclass
class KernelEdges:
    """Edges split by delay, for the kernel (:mod:`.delays`). The blocked edges come in one or
    two tiers, ``row_start[t]`` indexing tier ``t``'s edges of each target in ``sources``,
    ``idelays``, ``weights``: tier 0 in blocks of up to ``block`` steps, tier 1 (when
    ``middle_block`` is not 0) in blocks of ``middle_block`` steps; the shorter ones (TVB's
    self-connections among them) step by step from the last ``recent`` steps' stored values;
    a network without delays and dense enough, by a ``dense`` matrix (then the lists are empty
    and ``recent`` is 1). ``block`` is None without blocked edges, ``recent`` 0 without
    step-by-step sums. Weights are float32, ``(n_sum, n_edge)``."""

    row_start: np.ndarray  # (n_tier, n_node + 1)
    sources: np.ndarray
    idelays: np.ndarray
    weights: np.ndarray
    short_start: np.ndarray
    short_sources: np.ndarray
    short_idelays: np.ndarray
    short_weights: np.ndarray
    dense: np.ndarray
    block: int | None
    middle_block: int
    recent: int


def _unsupported(coupling, supported=SUPPORTED, where="the 'coupling' of the simulator"):
    names = ", ".join(repr(s) for s in supported)
    return UnsupportedSimulationError(
        f"Invalid value for {where}: the fast engine supports {names}, "
        f"but got {type(coupling).__name__!r} instead."
    )


def _one_value(coupling, name: str, values: np.ndarray) -> float:
    if values.size != 1:
        raise UnsupportedSimulationError(
            f"Invalid value for the {name!r} parameter of {type(coupling).__name__}: the fast "
            f"engine supports one value, but got {values.size} values."
        )
    return float(values[0])


def _single_values(coupling, names) -> list[float]:
    """The coupling's parameters ``names``, one finite value each (checked, named if not)."""
    values = []
    for name in names:
        value = _one_value(coupling, name, np.asarray(getattr(coupling, name), dtype=float))
        check_values(value, f"the {name!r} parameter of {type(coupling).__name__}")
        values.append(value)
    return values


def _one(coupling, history, n_node: int, part: bool = False) -> tuple:
    """(edge weights, kappa, gain, offset) of one coupling on the history's edges.

    ``part``: the coupling is one of a ``MultiCoupling``'s (linear couplings only).
    """
    form = linear_form(coupling, history.weights)
    if form is None and part:
        raise _unsupported(coupling, LINEAR_SUPPORTED, "the 'couplings' of MultiCoupling")
    if form is None:
        raise _unsupported(coupling)
    if isinstance(coupling, AbstractLinearCoupling):  # one gain or one per region, no offset
        gain, offset = np.broadcast_to(form.gain, (n_node,)), 0.0
    else:  # TVB's Linear, Scaling and Difference: one gain, one offset
        gain = np.full(n_node, _one_value(coupling, "a", form.gain))
        offset = _one_value(coupling, "b", form.offset)
    rows, cols = history.nnz_row_el_idx, history.nnz_col_el_idx
    return form.weights[rows, cols], form.self_weights, gain, offset


def reduce_coupling(sim) -> CouplingTerms:
    """The simulator's coupling as :class:`CouplingTerms`."""
    history = sim.history
    n_node, n_cvar = sim.number_of_nodes, len(sim.model.cvar)
    coupling = sim.coupling
    if type(coupling) in NONLINEAR:
        return _nonlinear(coupling, history, n_node, n_cvar)
    if isinstance(coupling, MultiCoupling):
        parts = list(coupling.couplings)
        if len(parts) != n_cvar:
            raise ValueError(
                "Invalid value for the 'couplings' parameter of MultiCoupling. Allowed is one "
                f"coupling per coupling variable of the model ({n_cvar}), but got {len(parts)} "
                "couplings instead."
            )
        terms = [_one(c, history, n_node, part=True) for c in parts]
    else:
        terms = [_one(coupling, history, n_node)] * n_cvar
    row_start, sources, idelays = _edges(history, n_node)
    return CouplingTerms(
        row_start=row_start,
        sources=sources,
        idelays=idelays,
        weights=np.array([t[0] for t in terms], dtype=float).reshape(n_cvar, sources.size),
        kappa=np.array([t[1] for t in terms], dtype=float),
        gain=np.array([t[2] for t in terms], dtype=float),
        offset=np.array([t[3] for t in terms], dtype=float),
    )


def _edges(history, n_node: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(row_start, sources, idelays) of the history's non-zero weights, int64."""
    rows = np.asarray(history.nnz_row_el_idx, dtype=np.int64)
    row_start = np.searchsorted(rows, np.arange(n_node + 1)).astype(np.int64)
    sources = np.asarray(history.nnz_col_el_idx, dtype=np.int64)
    return row_start, sources, np.asarray(history.nnz_idelays, dtype=np.int64)


def _nonlinear(coupling, history, n_node: int, n_cvar: int) -> CouplingTerms:
    """One of TVB's couplings with a nonlinear pre or post function (see the module docstring)."""
    kind, names = NONLINEAR[type(coupling)]
    owner = type(coupling).__name__
    if kind == PRE_SIGMOIDAL:
        return _pre_sigmoidal(coupling, history, n_node, n_cvar)
    if kind == SIGMOIDAL_JANSEN_RIT and n_cvar != 2:
        raise ValueError(
            f"Invalid value for the 'cvar' of the model: {owner} takes the sigmoid of the "
            f"difference of two coupling variables, so allowed are 2 coupling variables, but got "
            f"{n_cvar} instead."
        )
    values = _single_values(coupling, ("a", *names))
    n_sum = {SIGMOIDAL_JANSEN_RIT: 1, KURAMOTO: 2 * n_cvar}.get(kind, n_cvar)
    n_row = 1 if kind == SIGMOIDAL_JANSEN_RIT else n_cvar
    row_start, sources, idelays = _edges(history, n_node)
    edge_weights = np.asarray(history.weights, dtype=float)[
        history.nnz_row_el_idx, history.nnz_col_el_idx
    ]
    return CouplingTerms(
        row_start=row_start,
        sources=sources,
        idelays=idelays,
        weights=np.tile(edge_weights, (n_sum, 1)),
        kappa=np.zeros((n_row, n_node)),
        gain=np.full((n_row, n_node), values[0]),
        offset=np.zeros(n_row),
        kind=kind,
        parameters=np.array(values[1:], dtype=float),
    )


def _pre_sigmoidal(coupling, history, n_node: int, n_cvar: int) -> CouplingTerms:
    """TVB's ``PreSigmoidal`` as stock TVB sums it (see the module docstring)."""
    _, names = NONLINEAR[tvb_coupling.PreSigmoidal]
    owner = "PreSigmoidal"
    h, q, g, p, theta = _single_values(coupling, names)
    dynamic = bool(coupling.dynamic)
    if dynamic and n_cvar != 2:
        raise ValueError(
            f"Invalid value for the 'cvar' of the model: {owner} with a dynamic threshold reads "
            "the threshold from the second coupling variable and gives two coupling terms, so "
            f"allowed are 2 coupling variables, but got {n_cvar} instead."
        )
    if dynamic and bool(coupling.globalT):
        raise UnsupportedSimulationError(
            f"Invalid value for the 'globalT' parameter of {owner}: the fast engine supports "
            "globalT=False with a dynamic threshold (with globalT=True stock TVB reads each "
            "target's threshold from node 0's delayed state inside the sigmoid, which is not a "
            "sum of per-node values), but got True."
        )
    weights = np.asarray(history.weights, dtype=float)
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
    order = np.argsort(cols, kind="stable")  # by the node that receives the term
    row_start = np.searchsorted(cols[order], np.arange(n_node + 1)).astype(np.int64)
    n_row = 2 if dynamic else n_cvar
    return CouplingTerms(
        row_start=row_start,
        sources=cols[order],
        idelays=delays[order],
        weights=np.array([w[order] for w in edge_weights], dtype=float),
        kappa=np.zeros((n_row, n_node)),
        gain=np.ones((n_row, n_node)),
        offset=np.zeros(n_row),
        kind=PRE_SIGMOIDAL if dynamic else PRE_SIGMOIDAL_STATIC,
        parameters=np.concatenate([[h, q, g, p, theta], np.ravel(offsets)]).astype(float),
    )
