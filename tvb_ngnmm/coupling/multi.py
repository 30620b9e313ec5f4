r"""Different couplings on different coupling variables."""

from __future__ import annotations

import numpy as np
from tvb.basic.neotraits.api import List
from tvb.simulator.coupling import Linear, SparseCoupling

from ._base import compute_on_cvars
from .laplacian import Laplacian
from .registry import register_coupling


def _example() -> MultiCoupling:
    return MultiCoupling(
        couplings=[Laplacian(a=np.array([0.4]), normalize="sym"), Linear(a=np.array([0.2]))]
    )


@register_coupling(parts=lambda coupling: list(coupling.couplings), gui=False, example=_example)
class MultiCoupling(SparseCoupling):
    r"""One coupling per coupling variable of the model.

    Coupling ``k`` of ``couplings`` acts on the model's ``k``-th coupling variable
    (``model.cvar[k]``) and delivers the ``k``-th coupling term:

    .. math::

        C^{(k)}_i = \mathcal{C}_k\big[x^{(k)}\big]_i, \qquad k = 0, \dots, n_{cvar} - 1

    e.g. ``MultiCoupling(couplings=[Laplacian(a=1.0), Additive(a=0.5)])`` on TVB's
    ``MontbrioPazoRoxin`` (``cvar`` = ``r``, ``V``) couples the rates diffusively and the
    potentials additively. The number of couplings must equal the number of coupling
    variables (checked at the first evaluation). The plugin's couplings
    (:class:`~tvb_ngnmm.coupling.Laplacian`, :class:`~tvb_ngnmm.coupling.Additive`) and TVB's
    sparse couplings (``Linear``, ``Scaling``, ``Difference``, ``HyperbolicTangent``) may be
    mixed in TVB's own simulator; the engine runs the linear ones (the plugin's, ``Linear``,
    ``Scaling``, ``Difference``) and refuses a mix that contains a nonlinear coupling, naming
    it.

    Parameters
    ----------
    **kwargs
        Values of the declared attributes: ``couplings``, one sparse coupling per coupling
        variable of the model.
    """

    couplings = List(
        of=SparseCoupling,
        default=(),
        label="Couplings",
        doc="One sparse coupling per coupling variable of the model, in the order of model.cvar.",
    )

    def configure(self) -> None:
        """Check that there is at least one coupling, then configure each of them."""
        super().configure()
        if len(self.couplings) == 0:
            raise ValueError(
                "Invalid value for the 'couplings' parameter of MultiCoupling. Allowed are one "
                "coupling per coupling variable of the model, but got an empty list instead."
            )
        for coupling in self.couplings:
            coupling.configure()

    def __call__(self, step: int, history) -> np.ndarray:
        """Coupling at ``step``, ``(n_cvar, n_node, n_mode)``; coupling ``k`` acts on cvar ``k``."""
        if len(self.couplings) != history.n_cvar:
            raise ValueError(
                "Invalid value for the 'couplings' parameter of MultiCoupling. Allowed is one "
                f"coupling per coupling variable of the model ({history.n_cvar}), but got "
                f"{len(self.couplings)} couplings instead."
            )
        x_i, x_j = history.query_sparse(step)
        out = np.empty(x_i.shape, dtype=float)
        for k, coupling in enumerate(self.couplings):
            out[k : k + 1] = compute_on_cvars(coupling, x_i[k : k + 1], x_j[k : k + 1], history)
        return out

    def __str__(self) -> str:
        return f"MultiCoupling({', '.join(str(c) for c in self.couplings)})"
