r"""Couplings reduced to one linear form the kernel evaluates.

TVB's ``Linear(a, b)`` and ``Difference(a)`` and the package's ``Laplacian``, ``Additive`` and
``MultiCoupling`` all give, per coupling variable ``c``,

.. math:: C_{c,i} = a_{c,i} \Big(\sum_j \hat W^{(c)}_{ij}\, x_{c,j}(t - d_{ij})
          - \kappa_{c,i}\, x_{c,i}(t)\Big) + b_c

as reduced by :func:`tvb_ngnmm.coupling.linear_form.linear_form` from the history's (float32)
weights; TVB's ``Linear`` and ``Difference`` with one gain ``a`` (and one offset ``b``), the
package's couplings with one gain or one per region.

Couplings with a nonlinear function before (``pre``) or after (``post``) the delayed sum
keep that sum linear: a ``pre`` of the source's values is applied to the history ring's float32
values, so the sums run over the "pre channels", and the ``post`` per node. What each coupling
is, linear or not, is its declaration (:mod:`tvb_ngnmm.coupling.registry`; TVB's own in
:mod:`tvb_ngnmm.coupling.tvb_couplings`); its ``pre`` and ``post`` are compiled into the loops of
its own generated module (:func:`._cache.compiled_coupling`), which the kernel calls.

The edges are the non-zero weights of TVB's ``SparseHistory`` (rows sorted), with its integer
delays, unless the declaration gives its own (``edges``). A coupling that is not declared raises
:class:`~tvb_ngnmm.engine.errors.UnsupportedSimulationError`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .._util import check_values
from ..coupling import CouplingDeclaration, coupling_declaration, registered_couplings
from ..coupling.linear_form import linear_form
from ._cache import compiled_coupling
from .delays import MIDDLE_BLOCK, delay_tiers
from .errors import UnsupportedSimulationError


def supported_couplings(linear_only: bool = False) -> tuple[str, ...]:
    """The names of the couplings the engine runs (the registry's), or of its linear ones."""
    return tuple(d.name for d in registered_couplings() if d.linear or not linear_only)


@dataclass
class CouplingTerms:
    """Edges and per-sum weights; per-coupling-row self-weights, gains and offsets.

    Linear couplings have one sum and one row per coupling variable; nonlinear ones as many sums
    as pre channels (two per coupling variable for ``Kuramoto``, one for ``SigmoidalJansenRit``)
    and the gain rows their declaration gives (one for ``SigmoidalJansenRit``, whose one sum
    feeds every row). ``pre`` and ``post`` are the compiled loops of a nonlinear coupling
    (:func:`._cache.compiled_coupling`; None: no pre channels, or the linear ``a S - kappa x +
    b``), ``parameters`` what they read.
    """

    row_start: np.ndarray  # (n_node + 1,) int64
    sources: np.ndarray  # (n_edge,) int64
    idelays: np.ndarray  # (n_edge,) int64
    weights: np.ndarray  # (n_sum, n_edge) float64
    kappa: np.ndarray  # (n_row, n_node) float64
    gain: np.ndarray  # (n_row, n_node) float64
    offset: np.ndarray  # (n_row,) float64
    pre: object = None
    post: object = None
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


def _unsupported(coupling, linear_only=False, where="the 'coupling' of the simulator"):
    names = ", ".join(repr(s) for s in supported_couplings(linear_only))
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
    """(edge weights, kappa, gain, offset) of one linear coupling on the history's edges.

    ``part``: the coupling is one of a ``MultiCoupling``'s (linear couplings only).
    """
    form = linear_form(coupling, history.weights)
    if form is None:
        raise _unsupported(coupling, *((True, "the 'couplings' of MultiCoupling") if part else ()))
    if coupling_declaration(type(coupling)).regional_gain:  # one or one per region, no offset
        gain, offset = np.broadcast_to(form.gain, (n_node,)), 0.0
    else:  # TVB's Linear, Scaling and Difference: one gain, one offset
        gain = np.full(n_node, _one_value(coupling, "a", form.gain))
        offset = _one_value(coupling, "b", form.offset)
    rows, cols = history.nnz_row_el_idx, history.nnz_col_el_idx
    return form.weights[rows, cols], form.self_weights, gain, offset


def reduce_coupling(sim) -> CouplingTerms:
    """The simulator's coupling as :class:`CouplingTerms`, as its declaration says."""
    history = sim.history
    # the coupling's nodes are the connectivity's regions (on a surface too: TVB couples them)
    n_node, n_cvar = sim.connectivity.number_of_regions, len(sim.model.cvar)
    coupling = sim.coupling
    declaration = coupling_declaration(type(coupling))
    if declaration is None:
        raise _unsupported(coupling)
    if not declaration.is_linear:
        return _nonlinear(declaration, coupling, history, n_node, n_cvar)
    if declaration.parts is not None:
        parts = list(declaration.parts(coupling))
        if len(parts) != n_cvar:
            raise ValueError(
                f"Invalid value for the 'couplings' parameter of {declaration.name}. Allowed is "
                f"one coupling per coupling variable of the model ({n_cvar}), but got "
                f"{len(parts)} couplings instead."
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


def _default_edges(coupling, history, n_cvar: int, n_sum: int) -> tuple:
    """The history's non-zero weights for each of ``n_sum`` sums (targets, sources, delays,
    weights ``(n_sum, n_edge)``), nothing added to the parameters."""
    rows = np.asarray(history.nnz_row_el_idx, dtype=np.int64)
    cols = np.asarray(history.nnz_col_el_idx, dtype=np.int64)
    weights = np.asarray(history.weights, dtype=float)[rows, cols]
    delays = np.asarray(history.nnz_idelays, dtype=np.int64)
    return rows, cols, delays, np.tile(weights, (n_sum, 1)), np.zeros(0)


def _nonlinear(declaration: CouplingDeclaration, coupling, history, n_node, n_cvar):
    """A coupling with a nonlinear pre and/or post function (see the module docstring)."""
    owner = declaration.name
    counts = declaration.cvar_counts
    if counts is not None and n_cvar not in counts:
        allowed = " or ".join(str(n) for n in counts)
        raise ValueError(
            f"Invalid value for the 'cvar' of the model: {owner} reads its coupling variables "
            f"together, so allowed are {allowed} coupling variables, but got {n_cvar} instead."
        )
    gain_name = () if declaration.gain is None else (declaration.gain,)
    values = _single_values(coupling, (*gain_name, *declaration.parameters))
    gain_value = values.pop(0) if gain_name else 1.0
    n_sum = declaration.n_channels(coupling, n_cvar)
    n_row = declaration.n_gain_rows(coupling, n_cvar)
    parameters = np.array(values, dtype=float)
    if declaration.edges is None:
        targets, sources, idelays, weights, extra = _default_edges(coupling, history, n_cvar, n_sum)
    else:
        targets, sources, idelays, weights, extra = declaration.edges(
            coupling, history, n_cvar, parameters
        )
    order = np.argsort(targets, kind="stable")  # by the node that receives the sum
    compiled = compiled_coupling(declaration)
    return CouplingTerms(
        row_start=np.searchsorted(targets[order], np.arange(n_node + 1)).astype(np.int64),
        sources=np.asarray(sources, dtype=np.int64)[order],
        idelays=np.asarray(idelays, dtype=np.int64)[order],
        weights=np.asarray(weights, dtype=float).reshape(n_sum, -1)[:, order],
        kappa=np.zeros((n_row, n_node)),
        gain=np.full((n_row, n_node), gain_value),
        offset=np.zeros(n_row),
        pre=getattr(compiled, "apply_pre", None),
        post=getattr(compiled, "apply_post", None),
        parameters=np.concatenate([parameters, np.asarray(extra, dtype=float)]),
    )
