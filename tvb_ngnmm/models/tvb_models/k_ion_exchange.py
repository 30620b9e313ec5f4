r"""TVB's ``KIonEx`` (``tvb/simulator/models/k_ion_exchange.py``) in the engine's form.

Transcribed from its NumPy ``dfun``: the mean field of Hodgkin–Huxley-type neurons whose firing
is shaped by the potassium exchanged with the extracellular space (Bandyopadhyay, Rabuffo et al.
2023). The ion currents use the Nernst potentials ``26.64 log(out / in)`` (mV) of the
concentrations moved by ``DKi`` and ``Kg``; the constants (conductances, pump, volumes, resting
concentrations) are TVB's, written in the function as TVB writes them in ``dfun``. The
coupling term is named as the model names it, ``Coupling_Term`` (on ``x``); it enters ``dV``
scaled by ``R_minus / pi`` on both branches, and the rate ``r = R_minus x / pi`` uses
``R_minus`` on both branches, as in TVB.

The extracellular potassium ``K_o = 4.8 - 3 DKi + Kg`` must stay positive: TVB's own
``state_variable_range`` (``DKi`` in [-10, 0], ``Kg`` in [-20, -5]) reaches ``K_o < 0``, where
the logarithm is NaN in stock TVB and on the engine alike; start from states with ``K_o > 0``
(:data:`~tvb_ngnmm.models.tvb_models.DEFINED_STATE_RANGES`).
"""

from __future__ import annotations

import math

from tvb.simulator.models.k_ion_exchange import KIonEx

from ..._numba import jit
from .._registry import register_model

W_I, W_O = 2160.0, 720.0  # intra- and extracellular volumes (µm³)
NERNST = 26.64  # RT/F (mV) as TVB writes it


@jit
def _logistic(u):
    """``1 / (1 + exp(u))``."""
    return 1.0 / (1.0 + math.exp(u))


@jit
def _currents(V, n, DKi, Kg):
    """TVB's potassium, sodium, chloride and pump currents (pA) and the extracellular
    potassium ``K_o`` (mM), from the membrane potential, the gating and the concentrations."""
    beta = W_I / W_O
    K_i, Na_i = 130.0 + DKi, 16.0 - DKi
    Na_o = 138.0 + beta * DKi
    K_o = 4.80 - beta * DKi + Kg
    m_inf = _logistic((-24.0 - V) / 12.0)
    h = 1.1 - _logistic(-8.0 * (n - 0.4))
    I_K = (0.12 + 22.0 * n) * (V - NERNST * math.log(K_o / K_i))
    I_Na = (0.02 + 40.0 * m_inf * h) * (V - NERNST * math.log(Na_o / Na_i))
    I_Cl = 7.5 * (V + NERNST * math.log(112.0 / 5.0))
    I_pump = 250.0 * (_logistic((21.0 - Na_i) / 2.0) * _logistic((5.5 - K_o) / 1.0))
    return I_K, I_Na, I_Cl, I_pump, K_o


def k_ion_exchange_equations(
    x, V, n, DKi, Kg, Coupling_Term,
    E, K_bath, J, eta, Delta, c_minus, R_minus, c_plus, R_plus, Vstar, Cm, tau_n, gamma, epsilon,
):  # fmt: skip
    r"""TVB's ``KIonEx``: the rate-like ``x`` and mean potential ``V`` of two parabolic branches
    (:math:`V \le V^\star`: ``c_minus, R_minus``; above: ``c_plus, R_plus``), the potassium
    gating ``n``, the intracellular potassium change ``DKi`` and the bath buffering ``Kg``.

    Returns
    -------
    tuple
        ``(dx, dV, dn, dDKi, dKg)`` per ms.
    """
    I_K, I_Na, I_Cl, I_pump, K_o = _currents(V, n, DKi, Kg)
    r = R_minus * x / math.pi
    Vdot = (-1.0 / Cm) * (I_Na + I_K + I_Cl + I_pump)
    synaptic = (R_minus / math.pi) * Coupling_Term * (E - V)
    if V <= Vstar:
        dx = Delta + 2 * R_minus * (V - c_minus) * x - J * r * x
        dV = Vdot - R_minus * x**2 + eta + synaptic
    else:
        dx = Delta + 2 * R_plus * (V - c_plus) * x - J * r * x
        dV = Vdot - R_plus * x**2 + eta + synaptic
    dn = (_logistic((-19.0 - V) / 18.0) - n) / tau_n
    dDKi = -(gamma / W_I) * (I_K - 2.0 * I_pump)
    dKg = epsilon * (K_bath - K_o)
    return dx, dV, dn, dDKi, dKg


register_model(KIonEx, equations=k_ion_exchange_equations)
