r"""TVB's oscillators (``tvb/simulator/models/oscillator.py``) in the engine's form.

``Generic2dOscillator``, ``Kuramoto`` and ``SupHopf``, transcribed from their ``dfun`` (the
guvectorized kernels and ``_numpy_dfun``). ``Generic2dOscillator`` takes a surface's local
coupling as TVB does (``lc_0``, 0 in region simulations); ``Kuramoto`` and ``SupHopf`` do not
declare it (the engine runs them on a surface only without local coupling). Typical couplings:
``Generic2dOscillator`` with ``Linear``;
``Kuramoto`` with TVB's ``Kuramoto`` coupling (the mean of ``sin(theta_j - theta_i)``), which
the engine does not run yet (``Linear`` runs, but is not the Kuramoto model); ``SupHopf`` with
``Difference`` (diffusive, as in Deco et al. 2017) or ``Linear``.
"""

from __future__ import annotations

from tvb.simulator.models.oscillator import Generic2dOscillator, Kuramoto, SupHopf

from .._registry import register_model


def generic_2d_oscillator_equations(
    V, W, c_0, tau, I, a, b, c, d, e, f, g, beta, alpha, gamma, lc_0=0.0
):
    """TVB's ``Generic2dOscillator``: ``c_0`` is the coupling on ``V`` (``cvar = [V]``), ``lc_0``
    the local coupling of a surface, ``(cs · L) @ V``, added to dV/dt's bracket as TVB adds it.

    Returns
    -------
    tuple
        ``(dV, dW)`` per ms.
    """
    dV = d * tau * (alpha * W - f * V**3 + e * V**2 + g * V + gamma * I + gamma * c_0 + lc_0)
    dW = d * (a + b * V + c * V**2 - beta * W) / tau
    return dV, dW


def kuramoto_equations(theta, c_0, omega):
    """TVB's ``Kuramoto``: the phase ``theta`` turns at ``omega`` plus the coupling ``c_0``."""
    return (omega + c_0,)


def sup_hopf_equations(x, y, c_0, c_1, a, omega):
    """TVB's ``SupHopf``, the normal form of a supercritical Hopf bifurcation at ``a = 0``.

    ``c_0``, ``c_1`` are the coupling on ``x`` and ``y`` (``cvar = [x, y]``).
    """
    radial = a - x**2 - y**2
    dx = radial * x - omega * y + c_0
    dy = radial * y + omega * x + c_1
    return dx, dy


register_model(
    Generic2dOscillator, equations=generic_2d_oscillator_equations, local_coupling=("V",)
)
register_model(Kuramoto, equations=kuramoto_equations)
register_model(SupHopf, equations=sup_hopf_equations)
