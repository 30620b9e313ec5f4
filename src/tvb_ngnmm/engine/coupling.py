r"""Couplings reduced to one linear form the kernel evaluates.

TVB's ``Linear(a, b)`` and ``Difference(a)`` and the package's ``Laplacian``, ``Additive`` and
``MultiCoupling`` all give, per coupling variable ``c``,

.. math:: C_{c,i} = a_{c,i} \Big(\sum_j \hat W^{(c)}_{ij}\, x_{c,j}(t - d_{ij})
          - \kappa_{c,i}\, x_{c,i}(t)\Big) + b_c

- ``Linear``: :math:`\hat W = W`, :math:`\kappa = 0`, gain ``a``, offset ``b``;
- ``Difference``: :math:`\hat W = W`, :math:`\kappa_i = \sum_j W_{ij}`, gain ``a``;
- the package's couplings: :math:`(\hat W, \kappa)` from their ``effective_weights`` of the
  history's (float32) weights, gain ``a`` (one value or one per region).

The edges are the non-zero weights of TVB's ``SparseHistory`` (rows sorted), with its integer
delays. Any other coupling raises :class:`~tvb_ngnmm.engine.errors.UnsupportedSimulationError`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from tvb.simulator import coupling as tvb_coupling

from ..coupling import MultiCoupling
from ..coupling._base import AbstractLinearCoupling
from .errors import UnsupportedSimulationError

SUPPORTED = ("Linear", "Difference", "Laplacian", "Additive", "MultiCoupling")


@dataclass
class CouplingTerms:
    """Edges and per-coupling-variable weights, self-weights, gains and offsets."""

    row_start: np.ndarray  # (n_node + 1,) int64
    sources: np.ndarray  # (n_edge,) int64
    idelays: np.ndarray  # (n_edge,) int64
    weights: np.ndarray  # (n_cvar, n_edge) float64
    kappa: np.ndarray  # (n_cvar, n_node) float64
    gain: np.ndarray  # (n_cvar, n_node) float64
    offset: np.ndarray  # (n_cvar,) float64

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
        for c in range(n_cvar):
            out[c, self.sources, targets] = self.weights[c]
        return out

    @property
    def min_delay(self) -> int | None:
        """Shortest delay (steps) over the edges; None without edges."""
        return int(self.idelays.min()) if self.idelays.size else None


def _unsupported(coupling) -> UnsupportedSimulationError:
    names = ", ".join(repr(s) for s in SUPPORTED)
    return UnsupportedSimulationError(
        f"Invalid value for the 'coupling' of the simulator: the fast engine supports {names}, "
        f"but got {type(coupling).__name__!r} instead."
    )


def _tvb_gain(coupling, name: str) -> float:
    value = np.asarray(getattr(coupling, name), dtype=float).ravel()
    if value.size != 1:
        raise UnsupportedSimulationError(
            f"Invalid value for the {name!r} parameter of {type(coupling).__name__}: the fast "
            f"engine supports one value, but got {value.size} values."
        )
    return float(value[0])


def _one(coupling, history, n_node: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """(edge weights, kappa, gain, offset) of one coupling on the history's edges."""
    rows, cols = history.nnz_row_el_idx, history.nnz_col_el_idx
    w32 = np.asarray(history.nnz_weights, dtype=np.float64)
    if isinstance(coupling, AbstractLinearCoupling):
        w_hat, kappa = coupling.effective_weights(np.asarray(history.weights, dtype=float))
        kappa = np.zeros(n_node) if kappa is None else np.asarray(kappa, dtype=float)
        gain = np.asarray(coupling.gain(n_node), dtype=float).reshape(-1)
        return w_hat[rows, cols], kappa, np.broadcast_to(gain, (n_node,)), 0.0
    if type(coupling) is tvb_coupling.Linear:
        a, b = _tvb_gain(coupling, "a"), _tvb_gain(coupling, "b")
        return w32, np.zeros(n_node), np.full(n_node, a), b
    if type(coupling) is tvb_coupling.Difference:
        kappa = np.zeros(n_node)
        np.add.at(kappa, rows, w32)
        return w32, kappa, np.full(n_node, _tvb_gain(coupling, "a")), 0.0
    raise _unsupported(coupling)


def reduce_coupling(sim) -> CouplingTerms:
    """The simulator's coupling as :class:`CouplingTerms`."""
    history = sim.history
    n_node, n_cvar = sim.number_of_nodes, len(sim.model.cvar)
    coupling = sim.coupling
    if isinstance(coupling, MultiCoupling):
        parts = list(coupling.couplings)
        if len(parts) != n_cvar:
            raise ValueError(
                "Invalid value for the 'couplings' parameter of MultiCoupling. Allowed is one "
                f"coupling per coupling variable of the model ({n_cvar}), but got {len(parts)} "
                "couplings instead."
            )
        terms = [_one(c, history, n_node) for c in parts]
    else:
        terms = [_one(coupling, history, n_node)] * n_cvar
    rows = np.asarray(history.nnz_row_el_idx, dtype=np.int64)
    row_start = np.searchsorted(rows, np.arange(n_node + 1)).astype(np.int64)
    return CouplingTerms(
        row_start=row_start,
        sources=np.asarray(history.nnz_col_el_idx, dtype=np.int64),
        idelays=np.asarray(history.nnz_idelays, dtype=np.int64),
        weights=np.array([t[0] for t in terms], dtype=float).reshape(n_cvar, rows.size),
        kappa=np.array([t[1] for t in terms], dtype=float),
        gain=np.array([t[2] for t in terms], dtype=float),
        offset=np.array([t[3] for t in terms], dtype=float),
    )
