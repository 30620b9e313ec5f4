r"""TVB's ``Epileptor`` and ``Epileptor2D`` (``tvb/simulator/models/epileptor.py``) and
``EpileptorRestingState`` (``epileptor_rs.py``) in the engine's form.

Transcribed from their guvectorized ``dfun`` kernels, with their branches on the state
(``x1 < 0``, ``z < 0``, ``x2 < -0.25``) and on the boolean parameter ``modification`` (1.0 or
0.0 in the kernel). ``Epileptor``: ``c_0`` is the coupling on ``x1`` (entering ``x1`` by
``Kvf`` and ``z`` by ``Ks``), ``c_1`` on ``x2`` (by ``Kf``); ``Epileptor2D``: ``c_0`` on ``x1``.
Local coupling is 0 in region simulations and left out. The default ``variables_of_interest``
of the ``Epileptor`` and ``EpileptorRestingState`` begin with the expression ``'x2 - x1'`` (the
LFP proxy), which the engine evaluates as TVB does (:mod:`tvb_ngnmm.engine.observation`).
Typical coupling: ``Difference`` (Proix et al. 2014's permittivity coupling) or ``Linear``.
``EpileptorRestingState``: the ``Epileptor`` (without ``modification``) and a generic 2D
oscillator (``x_rs, y_rs``), ``cvar = [x1, x2, x_rs]`` read as ``c_0, c_1, c_2``; its LFP
``output`` (a side effect of TVB's NumPy ``dfun``) is not computed.
"""

from __future__ import annotations

import math

from tvb.simulator.models.epileptor import Epileptor, Epileptor2D
from tvb.simulator.models.epileptor_rs import EpileptorRestingState

from .._registry import register_model


def epileptor_equations(
    x1, y1, z, x2, y2, g, c_0, c_1,
    x0, Iext, Iext2, a, b, slope, tt, Kvf, c, d, r, Ks, Kf, aa, bb, tau, modification,
):  # fmt: skip
    """TVB's ``Epileptor`` (Jirsa et al. 2014): fast (``x1, y1``), slow (``z``) and spike-wave
    (``x2, y2``) subsystems and the filter ``g``.

    Returns
    -------
    tuple
        ``(dx1, dy1, dz, dx2, dy2, dg)`` per ms.
    """
    if x1 < 0.0:
        f1 = -a * x1**2 + b * x1
    else:
        f1 = slope - x2 + 0.6 * (z - 4.0) ** 2
    dx1 = tt * (y1 - z + Iext + Kvf * c_0 + f1 * x1)
    dy1 = tt * (c - d * x1**2 - y1)
    if modification:
        h = x0 + 3.0 / (1.0 + math.exp(-(x1 + 0.5) / 0.1))
    else:
        h = 4.0 * (x1 - x0) + (-0.1 * z**7 if z < 0.0 else 0.0)
    dz = tt * (r * (h - z + Ks * c_0))
    dx2 = tt * (-y2 + x2 - x2**3 + Iext2 + bb * g - 0.3 * (z - 3.5) + Kf * c_1)
    f2 = 0.0 if x2 < -0.25 else aa * (x2 + 0.25)
    dy2 = tt * ((-y2 + f2) / tau)
    dg = tt * (-0.01 * (g - 0.1 * x1))
    return dx1, dy1, dz, dx2, dy2, dg


def epileptor_2d_equations(x1, z, c_0, x0, Iext, a, b, slope, c, d, r, Kvf, Ks, tt, modification):
    """TVB's ``Epileptor2D`` (Proix et al. 2014): the fast and slow subsystems only.

    Returns
    -------
    tuple
        ``(dx1, dz)`` per ms.
    """
    if x1 < 0.0:
        f1 = a * x1**2 + (d - b) * x1
    else:
        f1 = -slope - 0.6 * (z - 4.0) ** 2 + d * x1
    dx1 = tt * (c - z + Iext + Kvf * c_0 - f1 * x1)
    if modification:
        h = x0 + 3.0 / (1.0 + math.exp(-(x1 + 0.5) / 0.1))
    else:
        h = 4.0 * (x1 - x0) + (-0.1 * z**7 if z < 0.0 else 0.0)
    dz = tt * (r * (h - z + Ks * c_0))
    return dx1, dz


def epileptor_resting_state_equations(
    x1, y1, z, x2, y2, g, x_rs, y_rs, c_0, c_1, c_2,
    x0, Iext, Iext2, a, b, slope, tt, Kvf, c, d, r, Ks, Kf, aa, bb, tau,
    tau_rs, I_rs, a_rs, b_rs, d_rs, e_rs, f_rs, beta_rs, alpha_rs, gamma_rs, K_rs,
):  # fmt: skip
    """TVB's ``EpileptorRestingState`` (Courtiol et al. 2020): the ``Epileptor``'s subsystems
    (``x1 … g``, slow variable as with ``modification`` off) and a resting-state oscillator
    ``x_rs, y_rs`` coupled through ``c_2`` by ``K_rs``.

    Returns
    -------
    tuple
        ``(dx1, dy1, dz, dx2, dy2, dg, dx_rs, dy_rs)`` per ms.
    """
    if x1 < 0.0:
        f1 = -a * x1**2 + b * x1
    else:
        f1 = slope - x2 + 0.6 * (z - 4.0) ** 2
    dx1 = tt * (y1 - z + Iext + Kvf * c_0 + f1 * x1)
    dy1 = tt * (c - d * x1**2 - y1)
    h = -0.1 * z**7 if z < 0.0 else 0.0
    dz = tt * (r * (4.0 * (x1 - x0) + h - z + Ks * c_0))
    dx2 = tt * (-y2 + x2 - x2**3 + Iext2 + bb * g - 0.3 * (z - 3.5) + Kf * c_1)
    f2 = 0.0 if x2 < -0.25 else aa * (x2 + 0.25)
    dy2 = tt * ((-y2 + f2) / tau)
    dg = tt * (-0.01 * (g - 0.1 * x1))
    drive = gamma_rs * I_rs + gamma_rs * K_rs * c_2
    dx_rs = d_rs * tau_rs * (alpha_rs * y_rs - f_rs * x_rs**3 + e_rs * x_rs**2 + drive)
    dy_rs = d_rs * (a_rs + b_rs * x_rs - beta_rs * y_rs) / tau_rs
    return dx1, dy1, dz, dx2, dy2, dg, dx_rs, dy_rs


register_model(Epileptor, equations=epileptor_equations)
register_model(Epileptor2D, equations=epileptor_2d_equations)
register_model(EpileptorRestingState, equations=epileptor_resting_state_equations)
