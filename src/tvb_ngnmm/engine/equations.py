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


@jit(nogil=True)
def model_dfun(code, x, C, n_cvar, p, out):
    """Derivatives of every node of every batch member: ``out[v, m] = f_v(x[:, m], C[:, m])``.

    ``x`` (n_var, M) holds the states of the ``M = n_node * B`` nodes (batch member last), ``C``
    (n_cvar, M) their coupling terms, ``p`` (n_parameter, M) their parameters. One loop over
    ``m`` per model, written so that LLVM vectorises it (no branches or calls in the body).
    """
    M = x.shape[1]
    if code == NEXT_GEN_EI:
        ci = 1 if n_cvar > 1 else 0
        for m in range(M):
            d = _ei(
                x[0, m], x[1, m], x[2, m], x[3, m], x[4, m], x[5, m], C[0, m], C[ci, m],
                p[0, m], p[1, m], p[2, m], p[3, m], p[4, m], p[5, m], p[6, m], p[7, m],
                p[8, m], p[9, m], p[10, m], p[11, m], p[12, m], p[13, m], p[14, m], p[15, m],
            )  # fmt: skip
            out[0, m] = d[0]
            out[1, m] = d[1]
            out[2, m] = d[2]
            out[3, m] = d[3]
            out[4, m] = d[4]
            out[5, m] = d[5]
    elif code == MPR_SYNAPTIC:
        for m in range(M):
            d3 = _mpr_synaptic(
                x[0, m], x[1, m], x[2, m], C[0, m],
                p[0, m], p[1, m], p[2, m], p[3, m], p[4, m], p[5, m], p[6, m],
            )  # fmt: skip
            out[0, m] = d3[0]
            out[1, m] = d3[1]
            out[2, m] = d3[2]
    else:
        for m in range(M):
            d2 = _mpr(
                x[0, m], x[1, m], C[0, m], C[1, m],
                p[0, m], p[1, m], p[2, m], p[3, m], p[4, m], p[5, m], p[6, m],
            )  # fmt: skip
            out[0, m] = d2[0]
            out[1, m] = d2[1]
