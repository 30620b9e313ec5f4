r"""TVB's own models that the package runs, registered with their engine form.

TVB's ``MontbrioPazoRoxin`` (``tvb/simulator/models/infinite_theta.py``) is transcribed here
from its ``dfun`` as :func:`montbrio_pazo_roxin_equations`; a test checks it against TVB's
``dfun`` and against the engine's compilation of its ``state_variable_dfuns``. The package does
not redefine the model; registering it lets the engine run existing TVB scripts unchanged.
"""

from __future__ import annotations

import math

from tvb.simulator.models.infinite_theta import MontbrioPazoRoxin

from ._registry import register_model

PI = math.pi


def montbrio_pazo_roxin_equations(
    r, V, Coupling_Term_r, Coupling_Term_V, tau, Delta, eta, J, I, cr, cv
):
    """Time derivatives of TVB's ``MontbrioPazoRoxin``, written as in its ``dfun``.

    Parameters
    ----------
    r, V : float or array
        Rate (kHz) and mean potential (dimensionless).
    Coupling_Term_r, Coupling_Term_V : float or array
        Coupling terms on ``r`` and on ``V`` (``cvar = [r, V]``), named as TVB names them.
    tau, Delta, eta, J, I, cr, cv : float or array
        TVB's parameters (``Gamma`` does not enter TVB's equations).

    Returns
    -------
    tuple
        ``(dr, dV)`` per ms.
    """
    dr = 1 / tau * (Delta / (PI * tau) + 2 * V * r)
    dV = (
        1 / tau
        * (V**2 - PI**2 * tau**2 * r**2 + eta + J * tau * r + I
           + cr * Coupling_Term_r + cv * Coupling_Term_V)
    )  # fmt: skip
    return dr, dV


register_model(MontbrioPazoRoxin, equations=montbrio_pazo_roxin_equations, cvar_counts=(2,))
