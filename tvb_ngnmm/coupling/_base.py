r"""Shared machinery of the plugin's linear couplings.

Every coupling here has the form

.. math::

    C_i = a_i \Big(\sum_j \hat W_{ij}\, x_j(t - d_{ij}) - \kappa_i\, x_i(t)\Big)

with effective weights :math:`\hat W` and self-weights :math:`\kappa` computed once per
simulation history from the connectivity weights ``W[to, from]``, and a gain :math:`a` that is
one value or one value per target region. Subclasses only say how :math:`\hat W` and
:math:`\kappa` follow from ``W`` (:meth:`AbstractLinearCoupling.effective_weights`).
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass

import numpy as np
from tvb.basic.neotraits.api import Attr, NArray, Range
from tvb.basic.neotraits.ex import TraitValueError
from tvb.simulator.coupling import SparseCoupling

from .._util import check_choice, format_choices


class ChoiceAttr(Attr):
    """A string trait restricted to ``choices`` whose error names the parameter and choices.

    Parameters
    ----------
    choices : tuple of str
        The allowed values.
    default : str
        The default value, one of ``choices``.
    doc : str
        The trait's description.
    label : str
        The trait's label (as the GUI shows it).
    """

    def __init__(self, choices: tuple[str, ...], default: str, doc: str = "", label: str = ""):
        super().__init__(field_type=str, default=default, doc=doc, label=label, choices=choices)

    def _validate_set(self, instance, value):
        if not isinstance(value, str) or value not in self.choices:
            raise TraitValueError(
                f"Invalid value for the {self.field_name!r} parameter of "
                f"{type(instance).__name__}. Allowed values are {format_choices(self.choices)}, "
                f"but got {value!r} instead."
            )
        return super()._validate_set(instance, value)


@dataclass(frozen=True)
class SparseStructure:
    """Where the non-zero weights of a TVB ``SparseHistory`` sit, for summing over sources.

    Attributes
    ----------
    n_node : int
        Number of nodes.
    targets, sources : numpy.ndarray, shape (n_nnzw,)
        Row (``to``) and column (``from``) of each non-zero weight, sorted by row.
    starts : numpy.ndarray
        Index of the first non-zero weight of each row that has one.
    rows : numpy.ndarray
        The rows that have at least one non-zero weight.
    """

    n_node: int
    targets: np.ndarray
    sources: np.ndarray
    starts: np.ndarray
    rows: np.ndarray


_STRUCTURES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def sparse_structure(history) -> SparseStructure:
    """The :class:`SparseStructure` of a TVB ``SparseHistory`` (computed once per history)."""
    structure = _STRUCTURES.get(history)
    if structure is None:
        targets = np.asarray(history.nnz_row_el_idx, dtype=np.intp)
        sources = np.asarray(history.nnz_col_el_idx, dtype=np.intp)
        starts = np.flatnonzero(np.diff(np.r_[-1, targets]))
        rows = targets[starts]
        structure = SparseStructure(int(history.n_node), targets, sources, starts, rows)
        _STRUCTURES[history] = structure
    return structure


def sum_over_sources(values: np.ndarray, structure: SparseStructure) -> np.ndarray:
    """Sum edge values ``(n, n_nnzw, n_mode)`` into their targets: ``(n, n_node, n_mode)``."""
    out = np.zeros((values.shape[0], structure.n_node, values.shape[2]), dtype=values.dtype)
    if structure.targets.size:
        out[:, structure.rows] = np.add.reduceat(values, structure.starts, axis=1)
    return out


@dataclass(frozen=True)
class _CouplingTerms:
    """Effective weights of one coupling on one history's non-zero weights."""

    weights: np.ndarray  # (n_nnzw,) float64, the effective weights at the non-zero positions
    self_weights: np.ndarray | None  # (n_node,) float64, or None when kappa is zero


class AbstractLinearCoupling(SparseCoupling):
    r"""Base of the plugin's linear couplings.

    They compute :math:`C_i = a_i (\sum_j \hat W_{ij} x_j(t-d_{ij}) - \kappa_i x_i(t))`.
    Subclasses implement :meth:`effective_weights`. The computation itself is in
    :meth:`compute`, which works on any subset of the coupling variables, so that
    :class:`~tvb_ngnmm.coupling.MultiCoupling` can apply different couplings to different ones.

    Parameters
    ----------
    **kwargs
        Values of the declared attributes (the gain ``a``, and ``normalize`` in subclasses
        that declare it), as for any TVB coupling.
    """

    a = NArray(
        label=":math:`a`",
        default=np.array([1.0]),
        domain=Range(lo=0.0, hi=30.0, step=0.1),
        doc="Coupling strength (global gain). One value, or one value per target region "
        "(shape (n_node,)) for heterogeneous gains.",
    )

    def effective_weights(self, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """Effective weights :math:`\\hat W` and self-weights :math:`\\kappa` from ``W[to, from]``.

        Returns ``(w_hat, kappa)``: ``w_hat`` float64 (n_node, n_node), zero wherever ``W`` is
        zero; ``kappa`` float64 (n_node,), or None when there is no self term.

        Parameters
        ----------
        weights : numpy.ndarray, shape (n_node, n_node)
            The connectivity's weights ``W[to, from]``.
        """
        raise NotImplementedError

    def configure(self) -> None:
        """Check the traits (``a`` finite and non-empty, ``normalize`` one of its choices)."""
        super().configure()
        name = type(self).__name__
        normalize = getattr(self, "normalize", None)
        if normalize is not None:
            check_choice("normalize", normalize, type(self).normalize.choices, owner=name)
        a = np.asarray(self.a, dtype=float)
        if a.size == 0 or not np.all(np.isfinite(a)):
            given = "an empty array" if a.size == 0 else np.array2string(a.ravel(), threshold=6)
            raise ValueError(
                f"Invalid value for the 'a' parameter of {name}. Allowed values are finite "
                f"numbers (one, or one per region), but got {given} instead."
            )

    def gain(self, n_node: int) -> np.ndarray:
        """The gain ``a`` shaped to broadcast over ``(n_cvar, n_node, n_mode)``.

        Parameters
        ----------
        n_node : int
            Number of nodes of the network.
        """
        a = np.asarray(self.a, dtype=float).ravel()
        if a.size == 1:
            return a.reshape((1, 1, 1))
        if a.size != n_node:
            raise ValueError(
                f"Invalid shape for the 'a' parameter of {type(self).__name__}. Allowed are one "
                f"value or one per region ({n_node}), but got {a.size} values."
            )
        return a.reshape((1, n_node, 1))

    def post(self, gx: np.ndarray) -> np.ndarray:
        """Apply the gain to the summed input ``gx`` of shape ``(n_cvar, n_node, n_mode)``.

        Parameters
        ----------
        gx : numpy.ndarray, shape (n_cvar, n_node, n_mode)
            The summed input.
        """
        return self.gain(gx.shape[1]) * gx

    def _terms(self, history) -> _CouplingTerms:
        key = getattr(self, "normalize", None)
        cache = self.__dict__.get("_terms_cache")
        if cache is not None and cache[0]() is history and cache[1] == key:
            return cache[2]
        try:
            w_hat, kappa = self.effective_weights(np.asarray(history.weights, dtype=float))
        except ValueError as err:
            raise ValueError(f"{self} cannot couple this connectivity. {err}") from err
        structure = sparse_structure(history)
        terms = _CouplingTerms(w_hat[structure.targets, structure.sources], kappa)
        self.__dict__["_terms_cache"] = (weakref.ref(history), key, terms)
        return terms

    def compute(self, x_i: np.ndarray, x_j: np.ndarray, history) -> np.ndarray:
        """Coupling for a subset of the coupling variables.

        Parameters
        ----------
        x_i : numpy.ndarray, shape (n, n_node, n_mode)
            Current state of the coupling variables at every node.
        x_j : numpy.ndarray, shape (n, n_nnzw, n_mode)
            Delayed source values, one per non-zero weight (``history.query_sparse``).
        history : tvb.simulator.history.SparseHistory
            The history the values come from (for the weights and their sparse structure).

        Returns
        -------
        numpy.ndarray, shape (n, n_node, n_mode)
            The coupling :math:`C`, float64.
        """
        terms = self._terms(history)
        edges = terms.weights[np.newaxis, :, np.newaxis] * np.asarray(x_j, dtype=float)
        total = sum_over_sources(edges, sparse_structure(history))
        if terms.self_weights is not None:
            total -= terms.self_weights[np.newaxis, :, np.newaxis] * x_i
        return self.post(total)

    def __call__(self, step: int, history) -> np.ndarray:
        """Coupling at ``step`` for all coupling variables, shape ``(n_cvar, n_node, n_mode)``."""
        x_i, x_j = history.query_sparse(step)
        return self.compute(x_i, x_j, history)

    def __str__(self) -> str:
        a = np.asarray(self.a).ravel()
        gain = repr(float(a[0])) if a.size == 1 else f"<{a.size} values>"
        normalize = getattr(self, "normalize", None)
        extra = f", normalize={normalize!r}" if normalize is not None else ""
        return f"{type(self).__name__}(a={gain}{extra})"

    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        state.pop("_terms_cache", None)
        return state


def compute_on_cvars(
    coupling: SparseCoupling, x_i: np.ndarray, x_j: np.ndarray, history
) -> np.ndarray:
    """Apply ``coupling`` to a subset of the coupling variables (``n`` of them).

    The plugin's couplings use their own :meth:`~AbstractLinearCoupling.compute`; other TVB
    sparse couplings (``Linear``, ``Difference``, ...) are evaluated through their ``pre`` and
    ``post`` with the history's weights, as TVB does.

    Parameters
    ----------
    coupling : tvb.simulator.coupling.SparseCoupling
        The coupling to apply.
    x_i : numpy.ndarray, shape (n, n_node, n_mode)
        Current state of the selected coupling variables.
    x_j : numpy.ndarray, shape (n, n_nnzw, n_mode)
        Their delayed source values, one per non-zero weight.
    history : tvb.simulator.history.SparseHistory
        The history the values come from.

    Returns
    -------
    numpy.ndarray, shape (n, n_node, n_mode)
        The coupling terms for the selected variables.
    """
    if isinstance(coupling, AbstractLinearCoupling):
        return coupling.compute(x_i, x_j, history)
    structure = sparse_structure(history)
    pre = coupling.pre(x_i[:, structure.targets], x_j)
    weights = np.asarray(history.nnz_weights)[np.newaxis, :, np.newaxis]
    return coupling.post(sum_over_sources(weights * pre, structure))
