r"""TVB's Wong–Wang family in the engine's form.

``ReducedWongWang`` (``tvb/simulator/models/wong_wang.py``), ``ReducedWongWangExcInh`` and
``DecoBalancedExcInh`` (``wong_wang_exc_inh.py``), transcribed from their guvectorized
``dfun`` kernels. ``c_0`` is the coupling on ``S`` (``S_e``); local coupling is 0 in region
simulations and left out. The gating variables are kept in [0, 1] by TVB's
``state_variable_boundaries``, which the engine applies after each stage as TVB does.
Typical coupling: ``Linear``.
"""

from __future__ import annotations

import math

from tvb.simulator.models.wong_wang import ReducedWongWang
from tvb.simulator.models.wong_wang_exc_inh import DecoBalancedExcInh, ReducedWongWangExcInh

from .._registry import register_model


def reduced_wong_wang_equations(S, c_0, a, b, d, gamma, tau_s, w, J_N, I_o):
    """TVB's ``ReducedWongWang``: NMDA gating ``S`` driven by the rate ``H(x)``.

    Returns
    -------
    tuple
        ``(dS,)`` per ms.
    """
    x = w * J_N * S + I_o + J_N * c_0
    H = (a * x - b) / (1 - math.exp(-d * (a * x - b)))
    return (-(S / tau_s) + (1.0 - S) * H * gamma,)


def reduced_wong_wang_exc_inh_equations(
    S_e, S_i, c_0, a_e, b_e, d_e, gamma_e, tau_e, w_p, W_e, J_N,
    a_i, b_i, d_i, gamma_i, tau_i, W_i, J_i, G, lamda, I_o, I_ext,
):  # fmt: skip
    """TVB's ``ReducedWongWangExcInh`` (Deco et al. 2014): excitatory and inhibitory gating,
    the coupling ``G J_N c_0`` entering both (the inhibitory one scaled by ``lamda``)."""
    coupling = G * J_N * c_0
    x_e = a_e * (w_p * J_N * S_e - J_i * S_i + W_e * I_o + coupling + I_ext) - b_e
    H_e = x_e / (1 - math.exp(-d_e * x_e))
    x_i = a_i * (J_N * S_e - S_i + W_i * I_o + lamda * coupling) - b_i
    H_i = x_i / (1 - math.exp(-d_i * x_i))
    return -(S_e / tau_e) + (1.0 - S_e) * H_e * gamma_e, -(S_i / tau_i) + H_i * gamma_i


def deco_balanced_exc_inh_equations(
    S_e, S_i, c_0, M_i, a_e, b_e, d_e, gamma_e, tau_e, w_p, W_e, J_N,
    a_i, b_i, d_i, gamma_i, tau_i, W_i, J_i, G, lamda, I_o, I_ext,
):  # fmt: skip
    """TVB's ``DecoBalancedExcInh``: ``ReducedWongWangExcInh`` with both transfer functions'
    arguments scaled by the neuromodulation ``M_i``."""
    coupling = G * J_N * c_0
    x_e = (a_e * (w_p * J_N * S_e - J_i * S_i + W_e * I_o + coupling + I_ext) - b_e) * M_i
    H_e = x_e / (1 - math.exp(-d_e * x_e))
    x_i = (a_i * (J_N * S_e - S_i + W_i * I_o + lamda * coupling) - b_i) * M_i
    H_i = x_i / (1 - math.exp(-d_i * x_i))
    return -(S_e / tau_e) + (1.0 - S_e) * H_e * gamma_e, -(S_i / tau_i) + H_i * gamma_i


register_model(ReducedWongWang, equations=reduced_wong_wang_equations)
register_model(ReducedWongWangExcInh, equations=reduced_wong_wang_exc_inh_equations)
register_model(DecoBalancedExcInh, equations=deco_balanced_exc_inh_equations)
