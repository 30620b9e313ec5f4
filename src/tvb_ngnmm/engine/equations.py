r"""The models the engine runs, dispatched by a small integer code inside the compiled kernel.

Each model's equations are defined once: ``NextGenEI`` and ``MPRSynaptic`` reuse the package's
equation functions (:func:`~tvb_ngnmm.models.ei.next_gen_ei_equations`,
:func:`~tvb_ngnmm.models.mpr_synaptic.mpr_synaptic_equations`) compiled through the
:func:`~tvb_ngnmm._numba.jit` shim; TVB's ``MontbrioPazoRoxin`` is transcribed here from its
``dfun`` (``tvb/simulator/models/infinite_theta.py``) as :func:`montbrio_pazo_roxin_equations`,
and a test checks it against TVB's ``dfun``. Parameters are arguments of the kernel (arrays
``(n_parameter, n_node, n_batch)``), never compiled constants.
"""

from __future__ import annotations

import math

from .._numba import jit
from ..models.ei import next_gen_ei_equations
from ..models.mpr_synaptic import mpr_synaptic_equations

PI = math.pi

NEXT_GEN_EI = 0
MPR_SYNAPTIC = 1
MONTBRIO_PAZO_ROXIN = 2

#: Parameter names of TVB's ``MontbrioPazoRoxin`` in the order of
#: :func:`montbrio_pazo_roxin_equations` (``Gamma`` does not enter TVB's equations).
MPR_PARAMETERS = ("tau", "Delta", "eta", "J", "I", "cr", "cv")


def montbrio_pazo_roxin_equations(r, V, C_r, C_V, tau, Delta, eta, J, I, cr, cv):
    """Time derivatives of TVB's ``MontbrioPazoRoxin``, written as in its ``dfun``.

    Parameters
    ----------
    r, V : float or array
        Rate (kHz) and mean potential (dimensionless).
    C_r, C_V : float or array
        Coupling terms on ``r`` and on ``V`` (``cvar = [r, V]``).
    tau, Delta, eta, J, I, cr, cv : float or array
        TVB's parameters.

    Returns
    -------
    tuple
        ``(dr, dV)`` per ms.
    """
    dr = 1 / tau * (Delta / (PI * tau) + 2 * V * r)
    dV = 1 / tau * (V**2 - PI**2 * tau**2 * r**2 + eta + J * tau * r + I + cr * C_r + cv * C_V)
    return dr, dV


_ei = jit(next_gen_ei_equations)
_mpr_synaptic = jit(mpr_synaptic_equations)
_mpr = jit(montbrio_pazo_roxin_equations)


@jit(nogil=True, inline="always")
def model_dfun(code, x, C, n_cvar, p, i, b, out):
    """Write the derivatives of node ``i``, batch member ``b`` into ``out`` (one per state var).

    ``x`` holds the node's state, ``C`` its coupling terms (``n_cvar`` of them), ``p`` the
    parameters ``(n_parameter, n_node, n_batch)``.
    """
    if code == NEXT_GEN_EI:
        C_i = C[1] if n_cvar > 1 else C[0]
        d = _ei(
            x[0], x[1], x[2], x[3], x[4], x[5], C[0], C_i,
            p[0, i, b], p[1, i, b], p[2, i, b], p[3, i, b], p[4, i, b], p[5, i, b],
            p[6, i, b], p[7, i, b], p[8, i, b], p[9, i, b], p[10, i, b], p[11, i, b],
            p[12, i, b], p[13, i, b], p[14, i, b], p[15, i, b],
        )  # fmt: skip
        out[0], out[1], out[2], out[3], out[4], out[5] = d
    elif code == MPR_SYNAPTIC:
        d3 = _mpr_synaptic(
            x[0], x[1], x[2], C[0],
            p[0, i, b], p[1, i, b], p[2, i, b], p[3, i, b], p[4, i, b], p[5, i, b], p[6, i, b],
        )  # fmt: skip
        out[0], out[1], out[2] = d3
    else:
        d2 = _mpr(
            x[0], x[1], C[0], C[1],
            p[0, i, b], p[1, i, b], p[2, i, b], p[3, i, b], p[4, i, b], p[5, i, b], p[6, i, b],
        )  # fmt: skip
        out[0], out[1] = d2
