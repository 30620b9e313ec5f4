r"""TVB's next-generation (infinite theta-neuron) family, in the engine's form.

Transcribed from the ``dfun`` of each class in ``tvb/simulator/models/infinite_theta.py``:
``MontbrioPazoRoxin``, ``CoombesByrne``, ``CoombesByrne2D``, ``GastSchmidtKnosche_SD``,
``GastSchmidtKnosche_SF`` and ``DumontGutkin``. Coupling term ``c_k`` is row ``k`` of TVB's
coupling array, i.e. the input on the ``k``-th coupling variable ``cvar[k]``; the terms a
``dfun`` does not read are computed and left unused, as in TVB. The common conformance suite
(``tests/test_common.py``) checks each against stock ``sim.run()``.
"""

from __future__ import annotations

import math

from tvb.simulator.models.infinite_theta import (
    CoombesByrne,
    CoombesByrne2D,
    DumontGutkin,
    GastSchmidtKnosche_SD,
    GastSchmidtKnosche_SF,
    MontbrioPazoRoxin,
)

from .._registry import register_model

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


def coombes_byrne_equations(r, V, g, q, c_0, Delta, k, v_syn, eta, alpha):
    """TVB's ``CoombesByrne``: QIF mean field with a second-order synaptic conductance ``g``.

    ``c_0`` is the coupling on ``r`` (``cvar = [r, V, g, q]``; the other three are unused).
    Note TVB's ``dr`` has ``- g r`` where its docstring writes ``- g r^2``.
    """
    dr = Delta / PI + 2 * V * r - g * r
    dV = V**2 - PI**2 * r**2 + eta + (v_syn - V) * g + c_0
    dg = alpha * q
    dq = alpha * (k * PI * r - g - 2 * q)
    return dr, dV, dg, dq


def coombes_byrne_2d_equations(r, V, c_0, Delta, k, v_syn, eta):
    """TVB's ``CoombesByrne2D``: the conductance ``g = k pi r`` instantaneous; ``c_0`` on ``r``."""
    dr = Delta / PI + 2 * V * r - k * PI * r**2
    dV = V**2 - PI**2 * r**2 + eta + (v_syn - V) * k * PI * r + c_0
    return dr, dV


def gast_schmidt_knosche_sd_equations(
    r, V, A, B, c_0, c_1, I, Delta, eta, J, alpha, cr, cv, tau_A, tau
):
    """TVB's ``GastSchmidtKnosche_SD``: synaptic depression ``A`` scales the recurrent input.

    ``c_0``, ``c_1`` are the coupling on ``r`` and ``V`` (``cvar = [r, V, A, B]``).
    """
    dr = 1 / tau * (Delta / (PI * tau) + 2 * V * r)
    dV = (
        1 / tau
        * (V**2 - PI**2 * tau**2 * r**2 + eta + J * tau * r * (1 - A) + I
           + cr * c_0 + cv * c_1)
    )  # fmt: skip
    dA = 1 / tau_A * B
    dB = 1 / tau_A * (-2 * B - A + alpha * r)
    return dr, dV, dA, dB


def gast_schmidt_knosche_sf_equations(
    r, V, A, B, c_0, c_1, I, Delta, eta, J, alpha, cr, cv, tau_A, tau
):
    """TVB's ``GastSchmidtKnosche_SF``: spike-frequency adaptation ``A`` subtracted from ``V``'s
    input. ``c_0``, ``c_1`` are the coupling on ``r`` and ``V`` (``cvar = [r, V, A, B]``)."""
    dr = 1 / tau * (Delta / (PI * tau) + 2 * V * r)
    dV = (
        1 / tau
        * (V**2 - PI**2 * tau**2 * r**2 + eta + J * tau * r + I - A
           + cr * c_0 + cv * c_1)
    )  # fmt: skip
    dA = 1 / tau_A * B
    dB = 1 / tau_A * (-2 * B - A + alpha * r)
    return dr, dV, dA, dB


def dumont_gutkin_equations(
    r_e, V_e, s_ee, s_ei, r_i, V_i, s_ie, s_ii, c_0,
    Delta_e, Delta_i, tau_e, tau_i, tau_s, eta_e, eta_i, J_ee, J_ii, J_ei, J_ie, I_e, I_i, Gamma,
):  # fmt: skip
    """TVB's ``DumontGutkin``: E and I QIF populations with first-order synapses.

    ``c_0`` is the coupling on ``r_e`` (``cvar = [r_e, V_e, s_ee, s_ei]``); it drives ``s_ee``
    and, scaled by ``Gamma``, ``s_ie``.
    """
    dr_e = 1 / tau_e * (Delta_e / (PI * tau_e) + 2 * V_e * r_e)
    dV_e = (
        1 / tau_e * (V_e**2 + eta_e - tau_e**2 * PI**2 * r_e**2 + tau_e * s_ee - tau_e * s_ei + I_e)
    )
    ds_ee = 1 / tau_s * (-s_ee + J_ee * r_e + c_0)
    ds_ei = 1 / tau_s * (-s_ei + J_ei * r_i)
    dr_i = 1 / tau_i * (Delta_i / (PI * tau_i) + 2 * V_i * r_i)
    dV_i = (
        1 / tau_i * (V_i**2 + eta_i - tau_i**2 * PI**2 * r_i**2 + tau_i * s_ie - tau_i * s_ii + I_i)
    )
    ds_ie = 1 / tau_s * (-s_ie + J_ie * r_e + Gamma * c_0)
    ds_ii = 1 / tau_s * (-s_ii + J_ii * r_i)
    return dr_e, dV_e, ds_ee, ds_ei, dr_i, dV_i, ds_ie, ds_ii


register_model(
    MontbrioPazoRoxin,
    equations=montbrio_pazo_roxin_equations,
    cvar_counts=(2,),
    signal="r",
    local_coupling=(),  # TVB's ignores local coupling
)
register_model(CoombesByrne, equations=coombes_byrne_equations, signal="r")
register_model(CoombesByrne2D, equations=coombes_byrne_2d_equations, signal="r")
register_model(GastSchmidtKnosche_SD, equations=gast_schmidt_knosche_sd_equations, signal="r")
register_model(GastSchmidtKnosche_SF, equations=gast_schmidt_knosche_sf_equations, signal="r")
register_model(DumontGutkin, equations=dumont_gutkin_equations, signal="r_e")
