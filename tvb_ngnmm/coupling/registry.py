r"""The one declaration per coupling that the engine, the GUI and the conformance suite read.

A coupling is declared once, next to its class, with :func:`register_coupling`::

    @register_coupling(parameters=("cmin", "cmax"), post=my_post)
    class MyCoupling(SparseCoupling): ...

TVB's own couplings are registered the same way, in :mod:`.tvb_couplings`. Everything else
derives from the registry (:func:`registered_couplings`, :func:`coupling_declaration`): the
engine reduces a linear coupling with its ``linear`` function and compiles a nonlinear one's
``pre`` and ``post`` into the generated code of its run, ``run_batch`` sweeps the ``gain``, the GUI
lists the declarations made with ``gui=True``, and the conformance suite checks every declared
coupling with its ``example``.

The engine form of a coupling: the delayed sum over the edges stays linear,

.. math:: S_{p,i} = \sum_j w_{ij}\, \mathrm{pre}_p\big(x_j(t - d_{ij})\big),

and ``post`` turns the sums into the coupling :math:`C_{c,i}` of each coupling row ``c``. Both are
functions of scalars and small arrays, written with arithmetic and :mod:`math` only (they are
compiled with Numba and called from the engine's generated loops):

- ``pre(q, m, x, p)``: pre channel ``q`` of sample ``m``, from column ``m`` of ``x`` (float32,
  ``(n_cvar, n)``), the coupling variables as TVB's history holds them, and ``p``
  (float64), the coupling's parameters (``parameters``, in order, then what ``edges`` adds);
  the engine rounds it to float32.
- ``post(c, i, m, S, x, a, p)``: the coupling of row ``c`` at node ``i`` from column ``m`` of
  the sums ``S`` (float32, ``(n_sum, M)``: one row per pre channel, or per coupling variable
  without ``pre``) and of the nodes' own coupling variables ``x`` (float64 of their float32
  values, ``(n_cvar, M)``), the gain ``a`` (float64) and ``p``; ``m`` is ``i`` in a single run
  (a batch of ``B`` members has its nodes' columns at ``i B + b``).

Without ``post`` the coupling is ``a S``; without ``pre`` the sums are over the coupling variables
themselves.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass

from tvb.simulator.coupling import Coupling


@dataclass(frozen=True)
class CouplingDeclaration:
    """What the package needs to know about a coupling class, beyond its TVB traits.

    Parameters
    ----------
    coupling : type
        The TVB ``Coupling`` subclass.
    parameters : tuple of str
        The parameters the engine form reads (besides the gain), one value each, in the order
        ``p`` holds them; each is checked to be one finite value.
    gain : str or None
        The name of the gain parameter (``'a'``; one value, or one per region where ``linear``
        gives one per region), which ``run_batch`` may sweep (for ``parts``, the gain of every
        part); None: the coupling has no gain.
    regional_gain : bool
        Whether the gain may be one value per region (the package's couplings; TVB's broadcast
        such an array over the wrong axis).
    linear : callable or None
        ``linear(coupling, weights) -> LinearForm``: the coupling is linear, reduced to
        :class:`~tvb_ngnmm.coupling.linear_form.LinearForm` on ``weights[to, from]``.
    pre, post : callable or None
        The engine form of a nonlinear coupling (see the module docstring).
    channels : callable or None
        ``channels(coupling, n_cvar) -> int``: the number of pre channels (None: one per
        coupling variable).
    gain_rows : callable or None
        ``gain_rows(coupling, n_cvar) -> int``: the rows of the gain (row ``c`` of the coupling
        reads gain row ``min(c, n - 1)``; None: one per coupling variable).
    cvar_counts : tuple of int or None
        The numbers of coupling variables the coupling takes (None: any).
    edges : callable or None
        ``edges(coupling, history, n_cvar, p) -> (targets, sources, idelays, weights, extra)``:
        the edges a node's sums run over (``weights`` ``(n_sum, n_edge)``; ``targets`` is the
        node that receives each sum), and values appended to ``p``; None: the history's
        non-zero weights for every pre channel. It also refuses settings the engine cannot run.
    parts : callable or None
        ``parts(coupling) -> list``: the coupling applies one linear coupling per coupling
        variable (``MultiCoupling``).
    subclasses : bool
        Whether subclasses are covered (the package's couplings, whose subclasses override how
        the weights are formed); TVB's couplings are declared for their exact class.
    example : callable or None
        ``example() -> coupling``: parameters under which the coupling acts visibly on the
        conformance suite's network (None: its defaults).
    gui : bool
        List the coupling in the TVB GUI (TVB's own couplings are listed there already).
    """

    coupling: type
    parameters: tuple[str, ...] = ()
    gain: str | None = "a"
    regional_gain: bool = False
    linear: Callable | None = None
    pre: Callable | None = None
    post: Callable | None = None
    channels: Callable | None = None
    gain_rows: Callable | None = None
    cvar_counts: tuple[int, ...] | None = None
    edges: Callable | None = None
    parts: Callable | None = None
    subclasses: bool = False
    example: Callable | None = None
    gui: bool = True

    @property
    def name(self) -> str:
        """The class name, as the GUI and the messages show it."""
        return self.coupling.__name__

    @property
    def is_tvb_coupling(self) -> bool:
        """Whether the class is one of TVB's own (already listed in TVB's GUI)."""
        return self.coupling.__module__.split(".")[0] == "tvb"

    @property
    def is_linear(self) -> bool:
        """Whether the engine reduces the coupling to its linear form (or its parts)."""
        return self.linear is not None or self.parts is not None

    def n_channels(self, coupling, n_cvar: int) -> int:
        """The number of summed channels for ``n_cvar`` coupling variables.

        Parameters
        ----------
        coupling : tvb.simulator.coupling.Coupling
            The coupling instance.
        n_cvar : int
            Number of coupling variables.
        """
        return n_cvar if self.channels is None else int(self.channels(coupling, n_cvar))

    def n_gain_rows(self, coupling, n_cvar: int) -> int:
        """The number of gain rows for ``n_cvar`` coupling variables.

        Parameters
        ----------
        coupling : tvb.simulator.coupling.Coupling
            The coupling instance.
        n_cvar : int
            Number of coupling variables.
        """
        return n_cvar if self.gain_rows is None else int(self.gain_rows(coupling, n_cvar))


_REGISTRY: dict[type, CouplingDeclaration] = {}


def _check_declaration(declaration: CouplingDeclaration) -> None:
    cls = declaration.coupling
    if not (inspect.isclass(cls) and issubclass(cls, Coupling)):
        raise TypeError(
            "Invalid value for the 'coupling' parameter of register_coupling. Allowed are TVB "
            f"Coupling classes, but got {cls!r} instead."
        )
    forms = [declaration.linear is not None, declaration.parts is not None,
             declaration.pre is not None or declaration.post is not None]  # fmt: skip
    if sum(forms) != 1:
        raise ValueError(
            f"Invalid declaration of {cls.__name__}: allowed is exactly one engine form, "
            "'linear', 'parts', or 'pre' and/or 'post', but got "
            f"{sum(forms)} of them."
        )
    missing = [name for name in declaration.parameters if not hasattr(cls, name)]
    if (
        declaration.gain is not None
        and declaration.parts is None
        and not hasattr(cls, declaration.gain)
    ):
        missing.append(declaration.gain)
    if missing:
        raise ValueError(
            f"Invalid value for the 'parameters' of {cls.__name__}. Allowed are its traits, but "
            f"got {', '.join(map(repr, missing))}, which it does not have."
        )


def register_coupling(coupling: type | None = None, **declared):
    """Register a coupling class with what the package needs to know about it.

    Use as a class decorator (``@register_coupling(post=...)``) or call it on a class
    (``register_coupling(Sigmoidal, ...)``). Registering a class again replaces its declaration.

    Parameters
    ----------
    coupling : type, optional
        The TVB ``Coupling`` subclass; omitted when used as a decorator.
    **declared
        The fields of :class:`CouplingDeclaration`.

    Returns
    -------
    type or callable
        The class (unchanged), or the decorator.
    """

    def register(cls: type) -> type:
        declaration = CouplingDeclaration(cls, **declared)
        _check_declaration(declaration)
        _REGISTRY[cls] = declaration
        return cls

    return register if coupling is None else register(coupling)


def unregister_coupling(coupling: type) -> bool:
    """Remove ``coupling`` from the registry; False if it was not registered.

    Parameters
    ----------
    coupling : type
        The coupling class.
    """
    return _REGISTRY.pop(coupling, None) is not None


def coupling_declaration(coupling: type) -> CouplingDeclaration | None:
    """The declaration of exactly this class, or of the nearest base class declared with
    ``subclasses=True``; None if there is none.

    Parameters
    ----------
    coupling : type
        The coupling class.
    """
    declaration = _REGISTRY.get(coupling)
    if declaration is not None:
        return declaration
    for base in inspect.getmro(coupling)[1:]:
        declaration = _REGISTRY.get(base)
        if declaration is not None and declaration.subclasses:
            return declaration
    return None


def registered_couplings() -> tuple[CouplingDeclaration, ...]:
    """Every declaration, in the order of registration (the package's couplings loaded)."""
    return tuple(_REGISTRY.values())
