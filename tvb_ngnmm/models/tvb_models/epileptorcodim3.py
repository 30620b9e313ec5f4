r"""TVB's ``EpileptorCodim3`` and ``EpileptorCodim3SlowMod`` (``tvb/simulator/models/
epileptorcodim3.py``, Saggio et al. 2017) in the engine's form.

Transcribed from their guvectorized ``dfun`` kernels. The fast subsystem ``(x, y)`` is the
unfolding of a degenerate Takens–Bogdanov singularity whose parameters ``(mu2, -mu1, nu)`` move
on a great arc of the sphere of radius ``R`` as the slow variable ``z`` turns:

.. math::

    (\mu_2, -\mu_1, \nu) = R (E \cos z + F \sin z), \qquad
    E = \frac{A}{\|A\|}, \quad F = \frac{(A \times B) \times A}{\|(A \times B) \times A\|}

with ``A = (mu2_start, -mu1_start, nu_start)`` and ``B = (mu2_stop, -mu1_stop, nu_stop)``
(``EpileptorCodim3``), or ``A`` and ``B`` themselves moving on great arcs with the ultra-slow
variables ``uA, uB`` (``EpileptorCodim3SlowMod``). TVB computes the unit vectors once, in
``update_derived_parameters``, from the *first* region's values; the equations here compute them
per region from the parameters, so per-region values and sweeps hold (with uniform values both
agree). The resting state ``x_s`` solves ``x_s^3 - mu2 x_s - mu1 = 0`` by Cardano's formula on
branch ``N`` (1, 2 or 3; any other value gives NaN) with TVB's principal complex cube roots,
taking the real part; the complex arithmetic is written out in real numbers. ``c_0`` is the
coupling on ``x``, entering ``z`` through ``Ks`` (the permittivity coupling).
"""

from __future__ import annotations

import math

from tvb.simulator.models.epileptorcodim3 import EpileptorCodim3, EpileptorCodim3SlowMod

from ..._numba import jit
from .._registry import register_model

_SQRT3 = 3.0**0.5


@jit
def _unit(a0, a1, a2):
    """``a / ‖a‖``."""
    norm = math.sqrt(a0 * a0 + a1 * a1 + a2 * a2)
    return a0 / norm, a1 / norm, a2 / norm


@jit
def _great_arc(a0, a1, a2, b0, b1, b2):
    """The unit vectors ``E = A / ‖A‖`` and ``F ∝ (A × B) × A`` spanning the great arc from ``A``
    towards ``B``."""
    c0, c1, c2 = a1 * b2 - a2 * b1, a2 * b0 - a0 * b2, a0 * b1 - a1 * b0
    f0, f1, f2 = c1 * a2 - c2 * a1, c2 * a0 - c0 * a2, c0 * a1 - c1 * a0
    return _unit(a0, a1, a2), _unit(f0, f1, f2)


@jit
def _on_arc(R, e, f, angle):
    """The point ``R (e cos angle + f sin angle)`` of the great arc spanned by ``e, f``."""
    cos_angle, sin_angle = math.cos(angle), math.sin(angle)
    return (
        R * (e[0] * cos_angle + f[0] * sin_angle),
        R * (e[1] * cos_angle + f[1] * sin_angle),
        R * (e[2] * cos_angle + f[2] * sin_angle),
    )


@jit
def _principal_cube_root(re, im):
    """The principal cube root of ``re + i im`` as (real, imaginary) parts."""
    modulus = math.hypot(re, im) ** (1.0 / 3.0)
    angle = math.atan2(im, re) / 3.0
    return modulus * math.cos(angle), modulus * math.sin(angle)


@jit
def _resting_x(mu1, mu2, N):
    """Real part of the root ``x_s`` of ``x^3 - mu2 x - mu1 = 0`` on branch ``N``, as TVB
    takes it from Cardano's formula in complex numbers."""
    discriminant = mu1**2 / 4.0 - mu2**3 / 27.0
    if discriminant >= 0.0:
        root = math.sqrt(discriminant)
        a1, b1 = _principal_cube_root(mu1 / 2.0 + root, 0.0)
        a2, b2 = _principal_cube_root(mu1 / 2.0 - root, 0.0)
    else:
        root = math.sqrt(-discriminant)
        a1, b1 = _principal_cube_root(mu1 / 2.0, root)
        a2, b2 = _principal_cube_root(mu1 / 2.0, -root)
    if N == 1.0:
        return a1 + a2
    if N == 2.0:  # -(1 - i√3)/2 w1 - (1 + i√3)/2 w2
        return -0.5 * (a1 + _SQRT3 * b1) - 0.5 * (a2 - _SQRT3 * b2)
    if N == 3.0:  # -(1 + i√3)/2 w1 - (1 - i√3)/2 w2
        return -0.5 * (a1 - _SQRT3 * b1) - 0.5 * (a2 + _SQRT3 * b2)
    return math.nan


@jit
def _burster(x, y, z, c_0, e, f, b, R, c, dstar, Ks, modification, N):
    """``(dx, dy, dz)`` of the fast–slow burster on the great arc ``R (e cos z + f sin z)``."""
    mu2, minus_mu1, nu = _on_arc(R, e, f, z)
    mu1 = -minus_mu1
    xs = _resting_x(mu1, mu2, N)
    dx = -y
    dy = x**3 - mu2 * x - mu1 - y * (nu + b * x + x**2)
    distance = math.sqrt((x - xs) ** 2 + y**2)
    dz = -c * (distance - dstar + modification * 0.1 * (z - 0.5) ** 7 + Ks * c_0)
    return dx, dy, dz


def epileptor_codim3_equations(
    x, y, z, c_0,
    mu1_start, mu2_start, nu_start, mu1_stop, mu2_stop, nu_stop,
    b, R, c, dstar, Ks, N, modification,
):  # fmt: skip
    r"""TVB's ``EpileptorCodim3``: :math:`\dot x = -y`, :math:`\dot y = x^3 - \mu_2 x - \mu_1
    - y (\nu + b x + x^2)`, :math:`\dot z = -c (\sqrt{(x - x_s)^2 + y^2} - d^* + 0.1 (z -
    0.5)^7 + K_s c_0)` (the ``(z - 0.5)^7`` term with ``modification`` only).

    Returns
    -------
    tuple
        ``(dx, dy, dz)`` per ms.
    """
    e, f = _great_arc(mu2_start, -mu1_start, nu_start, mu2_stop, -mu1_stop, nu_stop)
    return _burster(x, y, z, c_0, e, f, b, R, c, dstar, Ks, modification, N)


def epileptor_codim3_slow_mod_equations(
    x, y, z, uA, uB, c_0,
    mu1_Ain, mu2_Ain, nu_Ain, mu1_Bin, mu2_Bin, nu_Bin,
    mu1_Aend, mu2_Aend, nu_Aend, mu1_Bend, mu2_Bend, nu_Bend,
    b, R, c, cA, cB, dstar, Ks, N, modification,
):  # fmt: skip
    r"""TVB's ``EpileptorCodim3SlowMod``: the ``EpileptorCodim3`` burster whose offset and
    onset points :math:`A = R (G \cos u_A + H \sin u_A)`, :math:`B = R (L \cos u_B + M \sin
    u_B)` drift on their own great arcs (from ``Ain`` towards ``Aend``, ``Bin`` towards
    ``Bend``) at the constant speeds :math:`\dot u_A = c_A`, :math:`\dot u_B = c_B`.

    Returns
    -------
    tuple
        ``(dx, dy, dz, duA, duB)`` per ms.
    """
    G, H = _great_arc(mu2_Ain, -mu1_Ain, nu_Ain, mu2_Aend, -mu1_Aend, nu_Aend)
    L, M = _great_arc(mu2_Bin, -mu1_Bin, nu_Bin, mu2_Bend, -mu1_Bend, nu_Bend)
    offset = _on_arc(R, G, H, uA)
    onset = _on_arc(R, L, M, uB)
    e, f = _great_arc(offset[0], offset[1], offset[2], onset[0], onset[1], onset[2])
    dx, dy, dz = _burster(x, y, z, c_0, e, f, b, R, c, dstar, Ks, modification, N)
    return dx, dy, dz, cA, cB


register_model(EpileptorCodim3, equations=epileptor_codim3_equations)
register_model(EpileptorCodim3SlowMod, equations=epileptor_codim3_slow_mod_equations)
