r"""TVB's ``ZerlautAdaptationFirstOrder`` and ``ZerlautAdaptationSecondOrder``
(``tvb/simulator/models/zerlaut.py``; Zerlaut et al. 2018, di Volo et al. 2019) in the engine's
form.

Mean fields of adaptive exponential integrate-and-fire networks: the excitatory and inhibitory
rates ``E, I`` (kHz) relax with time constant ``T`` towards their transfer functions

.. math::

    F_\mu = \frac{1}{2 T_V}\,\mathrm{erfc}\!\left(
        \frac{V^{\mathrm{eff}}_{\mathrm{thre},\mu} - \mu_V}{\sqrt{2}\,\sigma_V}\right),

where the mean ``mu_V``, standard deviation ``sigma_V`` and autocorrelation time ``T_V`` of the
membrane potential follow from the shot-noise conductances of the recurrent and external rates
(:func:`fluctuations`), and the threshold ``V_thre`` is TVB's second-order polynomial in the
normalised ``(mu_V, sigma_V, T_V g_L / C_m)`` with the coefficients ``P_e`` or ``P_i``
(:func:`threshold`). ``P_e`` and ``P_i`` are one vector for the whole model; the engine passes
their elements as ``P_e_0 … P_e_9``, ``P_i_0 … P_i_9`` (``register_model(...,
coefficients=("P_e", "P_i"))``). The adaptation currents follow
``dW/dt = -W / tau_w + b nu + a (mu_V - E_L) / tau_w``, and ``ou_drift`` decays with
``tau_OU`` (driven by the integrator's noise, it enters the excitatory input scaled by
``weight_noise``).

The second-order model adds the covariances ``C_ee, C_ei, C_ii`` of the rates, driven by the
first and second derivatives of the transfer functions, which TVB takes by central differences
with step ``df = 1e-7`` kHz (divided by ``df * 1e3``: per Hz); they are reproduced here from
the same nine-point stencil, operation by operation. The differences amplify the last-bit
differences of ``erfc`` (SciPy's in TVB, :mod:`math`'s here): at random states the
second-order equations agree with TVB's dfun to about 1e-12 relative.

``cvar = [E]``: the coupling term ``c_0`` is the excitatory input from other regions. As in TVB,
the first-order model sets the external excitatory input ``c_0 + weight_noise ou_drift`` to 0
where its product with ``K_ext_e`` is negative, before adding ``external_input_*``; the
second-order model sets each population's excitatory input to 0 where it is negative, after
adding them, and scales ``c_0`` by ``S_i`` for the inhibitory population (the first-order model
has ``S_i`` but does not use it). The integer parameters ``N_tot, K_ext_e, K_ext_i`` are read as
floats.
"""

from __future__ import annotations

import math

from tvb.simulator.models.zerlaut import (
    ZerlautAdaptationFirstOrder,
    ZerlautAdaptationSecondOrder,
)

from ..._numba import jit
from .._registry import register_model

#: TVB's step of the finite-difference derivatives of the transfer functions (kHz).
DF = 1e-7


@jit
def fluctuations(Fe, Fi, Fe_ext, Fi_ext, W, E_L, cell):
    """TVB's ``get_fluct_regime_vars``: mean (mV), standard deviation (mV) and
    autocorrelation time (ms) of the membrane potential of a cell with leak reversal ``E_L``
    (mV) and adaptation current ``W`` (pA), receiving the rates ``Fe, Fi`` of its network and
    ``Fe_ext, Fi_ext`` from outside (kHz).

    ``cell = (Q_e, tau_e, E_e, Q_i, tau_i, E_i, g_L, C_m, N_tot, p_connect_e, p_connect_i, g,
    K_ext_e, K_ext_i)``.
    """
    (Q_e, tau_e, E_e, Q_i, tau_i, E_i, g_L, C_m, N_tot,
     p_connect_e, p_connect_i, g, K_ext_e, K_ext_i) = cell  # fmt: skip
    # 1e-6: spontaneous release, as in TVB
    fe = (Fe + 1.0e-6) * (1.0 - g) * p_connect_e * N_tot + Fe_ext * K_ext_e
    fi = (Fi + 1.0e-6) * g * p_connect_i * N_tot + Fi_ext * K_ext_i
    mu_Ge, mu_Gi = Q_e * tau_e * fe, Q_i * tau_i * fi
    mu_G = g_L + mu_Ge + mu_Gi
    T_m = C_m / mu_G
    mu_V = (mu_Ge * E_e + mu_Gi * E_i + g_L * E_L - W) / mu_G
    U_e, U_i = Q_e / mu_G * (E_e - mu_V), Q_i / mu_G * (E_i - mu_V)
    sigma_V = math.sqrt(
        fe * (U_e * tau_e) ** 2 / (2.0 * (tau_e + T_m))
        + fi * (U_i * tau_i) ** 2 / (2.0 * (tau_i + T_m))
    )
    T_V_numerator = fe * (U_e * tau_e) ** 2 + fi * (U_i * tau_i) ** 2
    T_V_denominator = fe * (U_e * tau_e) ** 2 / (tau_e + T_m) + fi * (U_i * tau_i) ** 2 / (
        tau_i + T_m
    )
    return mu_V, sigma_V, T_V_numerator / T_V_denominator


@jit
def threshold(mu_V, sigma_V, TvN, P):
    """TVB's ``threshold_func``: the effective threshold (V), a second-order polynomial with
    coefficients ``P`` (10) in the normalised mean, deviation and autocorrelation time."""
    P0, P1, P2, P3, P4, P5, P6, P7, P8, P9 = P
    V = (mu_V + 60.0) / 10.0  # about -60 mV, in units of 10 mV
    S = (sigma_V - 4.0) / 6.0  # about 4 mV, in units of 6 mV
    T = TvN - 0.5  # about 0.5, in units of 1
    return (
        P0 + P1 * V + P2 * S + P3 * T + P4 * V**2 + P5 * S**2 + P6 * T**2
        + P7 * V * S + P8 * V * T + P9 * S * T
    )  # fmt: skip


@jit
def transfer_function(Fe, Fi, Fe_ext, Fi_ext, W, E_L, P, cell):
    """TVB's ``TF``: the output rate (kHz) of a cell (:func:`fluctuations`) with threshold
    polynomial ``P``, and its mean membrane potential (mV)."""
    mu_V, sigma_V, T_V = fluctuations(Fe, Fi, Fe_ext, Fi_ext, W, E_L, cell)
    g_L, C_m = cell[6], cell[7]
    V_thre = threshold(mu_V, sigma_V, T_V * g_L / C_m, P) * 1e3  # V to mV
    rate = math.erfc((V_thre - mu_V) / (math.sqrt(2.0) * sigma_V)) / (2.0 * T_V)
    return rate, mu_V


@jit
def adaptation(W, nu, mu_V, E_L, a, b, tau_w):
    """``dW/dt`` (pA/ms) of the adaptation current driven by the rate ``nu`` and the mean
    membrane potential ``mu_V``."""
    return -W / tau_w + b * nu + a * (mu_V - E_L) / tau_w


def zerlaut_first_order_equations(
    E, I, W_e, W_i, ou_drift, c_0,
    g_L, E_L_e, E_L_i, C_m, b_e, a_e, b_i, a_i, tau_w_e, tau_w_i, E_e, E_i, Q_e, Q_i,
    tau_e, tau_i, N_tot, p_connect_e, p_connect_i, g, K_ext_e, K_ext_i, T,
    P_e_0, P_e_1, P_e_2, P_e_3, P_e_4, P_e_5, P_e_6, P_e_7, P_e_8, P_e_9,
    P_i_0, P_i_1, P_i_2, P_i_3, P_i_4, P_i_5, P_i_6, P_i_7, P_i_8, P_i_9,
    external_input_ex_ex, external_input_ex_in, external_input_in_ex, external_input_in_in,
    tau_OU, weight_noise,
):  # fmt: skip
    """TVB's ``ZerlautAdaptationFirstOrder``: ``T dE/dt = F_e - E``, ``T dI/dt = F_i - I``, the
    adaptations ``W_e, W_i`` and the noise drive ``ou_drift``.

    Returns
    -------
    tuple
        ``(dE, dI, dW_e, dW_i, dou_drift)``: kHz/ms, pA/ms and per ms.
    """
    cell = (Q_e, tau_e, E_e, Q_i, tau_i, E_i, g_L, C_m, N_tot,
            p_connect_e, p_connect_i, g, K_ext_e, K_ext_i)  # fmt: skip
    P_e = (P_e_0, P_e_1, P_e_2, P_e_3, P_e_4, P_e_5, P_e_6, P_e_7, P_e_8, P_e_9)
    P_i = (P_i_0, P_i_1, P_i_2, P_i_3, P_i_4, P_i_5, P_i_6, P_i_7, P_i_8, P_i_9)
    Fe_ext = c_0 + weight_noise * ou_drift
    if Fe_ext * K_ext_e < 0.0:
        Fe_ext = 0.0
    F_e, mu_V_e = transfer_function(
        E, I, Fe_ext + external_input_ex_ex, external_input_ex_in, W_e, E_L_e, P_e, cell
    )
    F_i, mu_V_i = transfer_function(
        E, I, Fe_ext + external_input_in_ex, external_input_in_in, W_i, E_L_i, P_i, cell
    )
    return (
        (F_e - E) / T,
        (F_i - I) / T,
        adaptation(W_e, E, mu_V_e, E_L_e, a_e, b_e, tau_w_e),
        adaptation(W_i, I, mu_V_i, E_L_i, a_i, b_i, tau_w_i),
        -ou_drift / tau_OU,
    )


register_model(
    ZerlautAdaptationFirstOrder,
    equations=zerlaut_first_order_equations,
    coefficients=("P_e", "P_i"),
)


@jit
def transfer_stencil(Fe, Fi, Fe_ext, Fi_ext, W, E_L, P, cell):
    """The transfer function (:func:`transfer_function`) and TVB's central-difference first
    and second derivatives in the rates ``Fe, Fi`` (step ``DF``, divided by ``DF * 1e3``),
    from its values on the 3 x 3 stencil around ``(Fe, Fi)``.

    Returns
    -------
    tuple
        ``(F, dF/dFe, dF/dFi, d2F/dFe2, d2F/dFe dFi, d2F/dFi dFe, d2F/dFi2, mu_V)``: the mixed
        derivatives are TVB's ``_diff2_fe_fi`` (the difference in ``Fi`` of ``dF/dFe``) and
        ``_diff2_fi_fe`` (the difference in ``Fe`` of ``dF/dFi``).
    """
    step, step_squared = 2.0 * DF * 1e3, (DF * 1e3) ** 2
    rest = (Fe_ext, Fi_ext, W, E_L, P, cell)
    F, mu_V = transfer_function(Fe, Fi, *rest)
    F_e_up = transfer_function(Fe + DF, Fi, *rest)[0]
    F_e_down = transfer_function(Fe - DF, Fi, *rest)[0]
    F_i_up = transfer_function(Fe, Fi + DF, *rest)[0]
    F_i_down = transfer_function(Fe, Fi - DF, *rest)[0]
    F_up_up = transfer_function(Fe + DF, Fi + DF, *rest)[0]
    F_up_down = transfer_function(Fe + DF, Fi - DF, *rest)[0]
    F_down_up = transfer_function(Fe - DF, Fi + DF, *rest)[0]
    F_down_down = transfer_function(Fe - DF, Fi - DF, *rest)[0]
    dF_dFe = (F_e_up - F_e_down) / step
    dF_dFi = (F_i_up - F_i_down) / step
    d2F_dFe2 = (F_e_up - 2 * F + F_e_down) / step_squared
    d2F_dFi2 = (F_i_up - 2 * F + F_i_down) / step_squared
    d2F_dFe_dFi = ((F_up_up - F_down_up) / step - (F_up_down - F_down_down) / step) / step
    d2F_dFi_dFe = ((F_up_up - F_up_down) / step - (F_down_up - F_down_down) / step) / step
    return F, dF_dFe, dF_dFi, d2F_dFe2, d2F_dFe_dFi, d2F_dFi_dFe, d2F_dFi2, mu_V


def zerlaut_second_order_equations(
    E, I, C_ee, C_ei, C_ii, W_e, W_i, ou_drift, c_0,
    g_L, E_L_e, E_L_i, C_m, b_e, a_e, b_i, a_i, tau_w_e, tau_w_i, E_e, E_i, Q_e, Q_i,
    tau_e, tau_i, N_tot, p_connect_e, p_connect_i, g, K_ext_e, K_ext_i, T,
    P_e_0, P_e_1, P_e_2, P_e_3, P_e_4, P_e_5, P_e_6, P_e_7, P_e_8, P_e_9,
    P_i_0, P_i_1, P_i_2, P_i_3, P_i_4, P_i_5, P_i_6, P_i_7, P_i_8, P_i_9,
    external_input_ex_ex, external_input_ex_in, external_input_in_ex, external_input_in_in,
    tau_OU, weight_noise, S_i,
):  # fmt: skip
    """TVB's ``ZerlautAdaptationSecondOrder``: the rates ``E, I`` corrected by the curvature of
    the transfer functions times the covariances ``C_ee, C_ei, C_ii``, whose own equations
    (finite-size noise ``F (1/T - F) / N`` on the variances) use the transfer functions' slopes;
    the adaptations ``W_e, W_i`` and the noise drive ``ou_drift``.

    Returns
    -------
    tuple
        ``(dE, dI, dC_ee, dC_ei, dC_ii, dW_e, dW_i, dou_drift)``: kHz/ms, kHz²/ms, pA/ms and
        per ms.
    """
    cell = (Q_e, tau_e, E_e, Q_i, tau_i, E_i, g_L, C_m, N_tot,
            p_connect_e, p_connect_i, g, K_ext_e, K_ext_i)  # fmt: skip
    P_e = (P_e_0, P_e_1, P_e_2, P_e_3, P_e_4, P_e_5, P_e_6, P_e_7, P_e_8, P_e_9)
    P_i = (P_i_0, P_i_1, P_i_2, P_i_3, P_i_4, P_i_5, P_i_6, P_i_7, P_i_8, P_i_9)
    N_e, N_i = N_tot * (1 - g), N_tot * g
    drive = weight_noise * ou_drift
    Fe_ext_e = c_0 + external_input_ex_ex + drive
    if Fe_ext_e < 0.0:  # as in TVB: a negative input is set to 0
        Fe_ext_e = 0.0
    Fe_ext_i = S_i * c_0 + external_input_in_ex + drive
    if Fe_ext_i < 0.0:
        Fe_ext_i = 0.0
    F_e, De_e, Di_e, De2_e, DeDi_e, DiDe_e, Di2_e, mu_V_e = transfer_stencil(
        E, I, Fe_ext_e, external_input_ex_in, W_e, E_L_e, P_e, cell
    )
    F_i, De_i, Di_i, De2_i, DeDi_i, DiDe_i, Di2_i, mu_V_i = transfer_stencil(
        E, I, Fe_ext_i, external_input_in_in, W_i, E_L_i, P_i, cell
    )
    dE = (F_e - E + 0.5 * C_ee * De2_e + 0.5 * C_ei * DeDi_e + 0.5 * C_ei * DiDe_e
          + 0.5 * C_ii * Di2_e) / T  # fmt: skip
    dI = (F_i - I + 0.5 * C_ee * De2_i + 0.5 * C_ei * DeDi_i + 0.5 * C_ei * DiDe_i
          + 0.5 * C_ii * Di2_i) / T  # fmt: skip
    dC_ee = (F_e * (1.0 / T - F_e) / N_e + (F_e - E) ** 2 + 2.0 * C_ee * De_e
             + 2.0 * C_ei * Di_e - 2.0 * C_ee) / T  # fmt: skip
    dC_ei = ((F_e - E) * (F_i - I) + C_ee * De_e + C_ei * De_i + C_ei * Di_e + C_ii * Di_i
             - 2.0 * C_ei) / T  # fmt: skip
    dC_ii = (F_i * (1.0 / T - F_i) / N_i + (F_i - I) ** 2 + 2.0 * C_ii * Di_i
             + 2.0 * C_ei * De_i - 2.0 * C_ii) / T  # fmt: skip
    return (
        dE, dI, dC_ee, dC_ei, dC_ii,
        adaptation(W_e, E, mu_V_e, E_L_e, a_e, b_e, tau_w_e),
        adaptation(W_i, I, mu_V_i, E_L_i, a_i, b_i, tau_w_i),
        -ou_drift / tau_OU,
    )  # fmt: skip


register_model(
    ZerlautAdaptationSecondOrder,
    equations=zerlaut_second_order_equations,
    coefficients=("P_e", "P_i"),
)
