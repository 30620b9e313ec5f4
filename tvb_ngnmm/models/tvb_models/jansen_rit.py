r"""TVB's ``JansenRit`` and ``ZetterbergJansen`` (``tvb/simulator/models/jansen_rit.py``) in
the engine's form.

``JansenRit`` is transcribed from its guvectorized ``dfun``. ``cvar = [y1, y2]``: the coupling
row ``c_0`` enters the excitatory interneurons' input (``c_1`` is computed and unused, as in
TVB). JansenRit is typically run with TVB's ``SigmoidalJansenRit`` coupling (the sigmoid of
``y1 - y2`` of the sources).

``ZetterbergJansen`` is transcribed from its NumPy ``dfun``; the products TVB precomputes in
``update_derived_parameters`` (``Heke = He ke``, ``Hiki = Hi ki``, ``ke_2 = 2 ke``, ``ki_2 =
2 ki``, ``keke = ke**2``, ``kiki = ki**2``) are computed in the equations from ``He, Hi, ke,
ki``, so per-region values and sweeps of those parameters hold. ``cvar = [v6]`` (the
pyramidal potential ``y2 - y3`` integrated); the coupling enters through the model's own
sigmoid, so TVB's ``Linear`` coupling is the one its equations assume.
"""

from __future__ import annotations

import math

from tvb.simulator.models.jansen_rit import JansenRit, ZetterbergJansen

from ..._numba import jit
from .._registry import register_model


def jansen_rit_equations(
    y0, y1, y2, y3, y4, y5, c_0, nu_max, r, v0, a, a_1, a_2, a_3, a_4, A, b, B, J, mu, lc_0=0.0
):
    """TVB's ``JansenRit``: pyramidal (``y0``), excitatory (``y1``) and inhibitory (``y2``)
    post-synaptic potentials and their derivatives, through the sigmoid ``2 nu_max / (1 +
    exp(r (v0 - v)))``. ``lc_0`` is the local coupling of a surface, ``(cs · L) @ (y1 - y2)``,
    added to the excitatory input beside the long-range ``c_0``, as TVB adds it.

    Returns
    -------
    tuple
        ``(dy0, …, dy5)`` per ms.
    """
    sigm_y1_y2 = 2.0 * nu_max / (1.0 + math.exp(r * (v0 - (y1 - y2))))
    sigm_y0_1 = 2.0 * nu_max / (1.0 + math.exp(r * (v0 - a_1 * J * y0)))
    sigm_y0_3 = 2.0 * nu_max / (1.0 + math.exp(r * (v0 - a_3 * J * y0)))
    dy3 = A * a * sigm_y1_y2 - 2.0 * a * y3 - a**2 * y0
    dy4 = A * a * (mu + a_2 * J * sigm_y0_1 + c_0 + lc_0) - 2.0 * a * y4 - a**2 * y1
    dy5 = B * b * (a_4 * J * sigm_y0_3) - 2.0 * b * y5 - b**2 * y2
    return y3, y4, y5, dy3, dy4, dy5


register_model(JansenRit, equations=jansen_rit_equations, local_coupling=("y1 - y2",))


@jit
def _zetterberg_sigmoid(v, e0, rho_1, rho_2):
    """TVB's ``ZetterbergJansen.sigma_fun``: ``2 e0 / (1 + exp(rho_1 (rho_2 - v)))``, 0 where
    the exponent exceeds 709 (TVB's guard against overflow)."""
    exponent = rho_1 * (rho_2 - v)
    if exponent > 709.0:
        return 0.0
    return 2.0 * e0 / (1.0 + math.exp(exponent))


def zetterberg_jansen_equations(
    v1, y1, v2, y2, v3, y3, v4, y4, v5, y5, v6, v7, c_0,
    He, Hi, ke, ki, e0, rho_2, rho_1, gamma_1, gamma_2, gamma_3, gamma_4, gamma_5,
    gamma_1T, gamma_2T, gamma_3T, P, U, Q,
):  # fmt: skip
    """TVB's ``ZetterbergJansen`` (Zetterberg et al. 1978): excitatory input to the excitatory
    interneurons (``v1``) and to the pyramidal cells (``v2``), inhibitory input to the pyramidal
    cells (``v3``), excitatory (``v4``) and inhibitory (``v5``) input to the inhibitory
    interneurons, with their derivatives ``y1 … y5``, and the summed potentials ``v6 = ∫(y2 -
    y3)``, ``v7 = ∫(y4 - y5)``. The input of ``v5`` is damped by ``ke**2``, as in TVB.

    Returns
    -------
    tuple
        ``(dv1, dy1, …, dv5, dy5, dv6, dv7)`` per ms.
    """
    Heke, Hiki = He * ke, Hi * ki
    coupled_input = _zetterberg_sigmoid(c_0, e0, rho_1, rho_2)
    sigma_v1 = _zetterberg_sigmoid(v1, e0, rho_1, rho_2)
    sigma_v2_v3 = _zetterberg_sigmoid(v2 - v3, e0, rho_1, rho_2)
    sigma_v4_v5 = _zetterberg_sigmoid(v4 - v5, e0, rho_1, rho_2)
    dy1 = Heke * (gamma_1 * sigma_v2_v3 + gamma_1T * (U + coupled_input))
    dy2 = Heke * (gamma_2 * sigma_v1 + gamma_2T * (P + coupled_input))
    dy3 = Hiki * (gamma_4 * sigma_v4_v5)
    dy4 = Heke * (gamma_3 * sigma_v2_v3 + gamma_3T * (Q + coupled_input))
    dy5 = Hiki * (gamma_5 * sigma_v4_v5)
    return (
        y1, dy1 - 2.0 * ke * y1 - ke**2 * v1,
        y2, dy2 - 2.0 * ke * y2 - ke**2 * v2,
        y3, dy3 - 2.0 * ki * y3 - ki**2 * v3,
        y4, dy4 - 2.0 * ke * y4 - ke**2 * v4,
        y5, dy5 - 2.0 * ki * y5 - ke**2 * v5,
        y2 - y3, y4 - y5,
    )  # fmt: skip


register_model(ZetterbergJansen, equations=zetterberg_jansen_equations)
