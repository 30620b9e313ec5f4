r"""TVB's ``WilsonCowan`` (``tvb/simulator/models/wilson_cowan.py``) in the engine's form.

Transcribed from its guvectorized ``dfun``, with its branch on ``shift_sigmoid`` (a boolean
parameter, 1.0 or 0.0 in the kernel: the sigmoids shifted so that ``S(0) = 0``). ``cvar =
[E, I]``; only ``c_0`` enters (the excitatory input), as in TVB. Local coupling is 0 in region
simulations and left out. Typical coupling: ``Linear``.
"""

from __future__ import annotations

import math

from tvb.simulator.models.wilson_cowan import WilsonCowan

from .._registry import register_model


def wilson_cowan_equations(
    E, I, c_0, c_ee, c_ei, c_ie, c_ii, tau_e, tau_i, a_e, b_e, c_e, theta_e,
    a_i, b_i, theta_i, c_i, r_e, r_i, k_e, k_i, P, Q, alpha_e, alpha_i, shift_sigmoid,
):  # fmt: skip
    """TVB's ``WilsonCowan``: excitatory ``E`` and inhibitory ``I`` activity.

    Returns
    -------
    tuple
        ``(dE, dI)`` per ms.
    """
    x_e = alpha_e * (c_ee * E - c_ei * I + P - theta_e + c_0)
    x_i = alpha_i * (c_ie * E - c_ii * I + Q - theta_i)
    s_e = c_e / (1.0 + math.exp(-a_e * (x_e - b_e)))
    s_i = c_i / (1.0 + math.exp(-a_i * (x_i - b_i)))
    if shift_sigmoid:
        s_e = s_e - c_e / (1.0 + math.exp(-a_e * -b_e))
        s_i = s_i - c_i / (1.0 + math.exp(-a_i * -b_i))
    dE = (-E + (k_e - r_e * E) * s_e) / tau_e
    dI = (-I + (k_i - r_i * I) * s_i) / tau_i
    return dE, dI


register_model(WilsonCowan, equations=wilson_cowan_equations)
