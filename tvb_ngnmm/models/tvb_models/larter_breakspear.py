r"""TVB's ``LarterBreakspear`` (``tvb/simulator/models/larter_breakspear.py``) in the engine's
form.

Transcribed from its ``dfun``. ``c_0`` is the coupling on ``V`` (``cvar = [V]``), mixed with
the local excitatory input by ``C``; local coupling is 0 in region simulations and left out.
Typical coupling: TVB's ``HyperbolicTangent`` (Breakspear et al. 2003's coupling through the
firing rate ``QV``), which the engine does not run yet; ``Linear`` runs.
"""

from __future__ import annotations

import math

from tvb.simulator.models.larter_breakspear import LarterBreakspear

from .._registry import register_model


def larter_breakspear_equations(
    V, W, Z, c_0, gCa, gK, gL, phi, gNa, TK, TCa, TNa, VCa, VK, VL, VNa, d_K, tau_K, d_Na,
    d_Ca, aei, aie, b, C, ane, ani, aee, Iext, rNMDA, VT, d_V, ZT, d_Z, QV_max, QZ_max, t_scale,
):  # fmt: skip
    """TVB's ``LarterBreakspear``: mean membrane potentials of pyramidal (``V``) and
    inhibitory (``Z``) cells and the fraction of open potassium channels ``W``.

    Returns
    -------
    tuple
        ``(dV, dW, dZ)`` per ms.
    """
    m_Ca = 0.5 * (1 + math.tanh((V - TCa) / d_Ca))
    m_Na = 0.5 * (1 + math.tanh((V - TNa) / d_Na))
    m_K = 0.5 * (1 + math.tanh((V - TK) / d_K))
    QV = 0.5 * QV_max * (1 + math.tanh((V - VT) / d_V))
    QZ = 0.5 * QZ_max * (1 + math.tanh((Z - ZT) / d_Z))
    calcium = gCa + (1.0 - C) * (rNMDA * aee) * QV + C * rNMDA * aee * c_0
    sodium = gNa * m_Na + (1.0 - C) * aee * QV + C * aee * c_0
    dV = t_scale * (
        -calcium * m_Ca * (V - VCa) - gK * W * (V - VK) - gL * (V - VL)
        - sodium * (V - VNa) - aie * Z * QZ + ane * Iext
    )  # fmt: skip
    dW = t_scale * phi * (m_K - W) / tau_K
    dZ = t_scale * b * (ani * Iext + aei * V * QV)
    return dV, dW, dZ


register_model(LarterBreakspear, equations=larter_breakspear_equations)
