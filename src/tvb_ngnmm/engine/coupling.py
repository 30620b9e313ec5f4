r"""Couplings reduced to one linear form the kernel evaluates.

TVB's ``Linear(a, b)`` and ``Difference(a)`` and the package's ``Laplacian``, ``Additive`` and
``MultiCoupling`` all give, per coupling variable ``c``,

.. math:: C_{c,i} = a_{c,i} \Big(\sum_j \hat W^{(c)}_{ij}\, x_{c,j}(t - d_{ij})
          - \kappa_{c,i}\, x_{c,i}(t)\Big) + b_c

as reduced by :func:`tvb_ngnmm.coupling.linear_form.linear_form` from the history's (float32)
weights; TVB's ``Linear`` and ``Difference`` with one gain ``a`` (and one offset ``b``), the
package's couplings with one gain or one per region.

The edges are the non-zero weights of TVB's ``SparseHistory`` (rows sorted), with its integer
delays. Any other coupling raises :class:`~tvb_ngnmm.engine.errors.UnsupportedSimulationError`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..coupling import MultiCoupling
from ..coupling._base import AbstractLinearCoupling
from ..coupling.linear_form import linear_form
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


def _one_value(coupling, name: str, values: np.ndarray) -> float:
    if values.size != 1:
        raise UnsupportedSimulationError(
            f"Invalid value for the {name!r} parameter of {type(coupling).__name__}: the fast "
            f"engine supports one value, but got {values.size} values."
        )
    return float(values[0])


def _one(coupling, history, n_node: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """(edge weights, kappa, gain, offset) of one coupling on the history's edges."""
    form = linear_form(coupling, history.weights)
    if form is None:
        raise _unsupported(coupling)
    if isinstance(coupling, AbstractLinearCoupling):  # one gain or one per region, no offset
        gain, offset = np.broadcast_to(form.gain, (n_node,)), 0.0
    else:  # TVB's Linear and Difference: one gain, one offset
        gain = np.full(n_node, _one_value(coupling, "a", form.gain))
        offset = _one_value(coupling, "b", form.offset)
    rows, cols = history.nnz_row_el_idx, history.nnz_col_el_idx
    return form.weights[rows, cols], form.self_weights, gain, offset


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
