r"""TVB's ``Hopfield`` and ``Linear`` on the engine.

``Hopfield`` (``tvb/simulator/models/hopfield.py``) is transcribed from its static-threshold
``dfun``, which returns the same derivative for ``x`` and ``theta``. With ``dynamic = 1`` TVB's
``configure()`` switches to ``dfunDyn`` and two coupling variables; the engine accepts one and
refuses that configuration by its ``cvar``. ``Linear`` (``linear.py``) declares
``state_variable_dfuns``: it is registered without equations, and the engine compiles them.
Typical coupling: ``Linear`` for both (TVB's Hopfield examples also use ``PreSigmoidal``, which
the engine does not run yet).
"""

from __future__ import annotations

from tvb.simulator.models.hopfield import Hopfield
from tvb.simulator.models.linear import Linear

from .._registry import register_model


def hopfield_equations(x, theta, c_0, taux):
    """TVB's ``Hopfield`` with a static threshold: ``dx = (c_0 - x) / taux``, for both
    variables (TVB returns it twice).

    Returns
    -------
    tuple
        ``(dx, dtheta)`` per ms.
    """
    dx = (-x + c_0) / taux
    return dx, dx


register_model(Hopfield, equations=hopfield_equations, cvar_counts=(1,))
register_model(Linear)
