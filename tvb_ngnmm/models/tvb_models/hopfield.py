r"""TVB's ``Hopfield`` and ``Linear`` on the engine.

``Hopfield`` (``tvb/simulator/models/hopfield.py``) is transcribed from both of its drift
functions: with ``dynamic = 0`` ``dfun``, which returns the same derivative for ``x`` and
``theta`` (one coupling variable); with ``dynamic = 1`` TVB's ``configure()`` switches to
``dfunDyn`` and two coupling variables, ``c_1`` driving the threshold ``theta``. ``Linear``
(``linear.py``) declares ``state_variable_dfuns``: it is registered without equations, and the
engine compiles them. Typical couplings: ``Linear``, or TVB's ``PreSigmoidal`` (static or
dynamic threshold, as TVB's Hopfield examples use it; see :mod:`tvb_ngnmm.engine.coupling` for
what stock TVB's ``PreSigmoidal`` sums).
"""

from __future__ import annotations

from tvb.simulator.models.hopfield import Hopfield
from tvb.simulator.models.linear import Linear

from .._registry import register_model


def hopfield_equations(x, theta, c_0, c_1, taux, tauT, dynamic):
    """TVB's ``Hopfield``: ``dx = (c_0 - x) / taux``; ``dtheta`` is ``dx`` again with a static
    threshold (TVB's ``dfun`` returns it twice), ``(c_1 - theta) / tauT`` with a dynamic one
    (``dfunDyn``).

    Returns
    -------
    tuple
        ``(dx, dtheta)`` per ms.
    """
    dx = (-x + c_0) / taux
    if dynamic:
        return dx, (-theta + c_1) / tauT
    return dx, dx


register_model(Hopfield, equations=hopfield_equations, cvar_counts=(1, 2))
register_model(Linear)
