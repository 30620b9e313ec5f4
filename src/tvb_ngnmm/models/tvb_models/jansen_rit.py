r"""TVB's ``JansenRit`` (``tvb/simulator/models/jansen_rit.py``) in the engine's form.

Transcribed from its guvectorized ``dfun``. ``cvar = [y1, y2]``: the coupling row ``c_0``
enters the excitatory interneurons' input (``c_1`` is computed and unused, as in TVB). JansenRit
is typically run with TVB's ``SigmoidalJansenRit`` coupling (the sigmoid of ``y1 - y2`` of the
sources), which the engine does not run yet; ``Linear`` runs. ``ZetterbergJansen`` (same file)
is not registered: its ``cvar`` is the derived potential ``v6``, run with sigmoidal couplings.
"""

from __future__ import annotations

import math

from tvb.simulator.models.jansen_rit import JansenRit

from .._registry import register_model


def jansen_rit_equations(
    y0, y1, y2, y3, y4, y5, c_0, nu_max, r, v0, a, a_1, a_2, a_3, a_4, A, b, B, J, mu
):
    """TVB's ``JansenRit``: pyramidal (``y0``), excitatory (``y1``) and inhibitory (``y2``)
    post-synaptic potentials and their derivatives, through the sigmoid ``2 nu_max / (1 +
    exp(r (v0 - v)))``.

    Returns
    -------
    tuple
        ``(dy0, …, dy5)`` per ms.
    """
    sigm_y1_y2 = 2.0 * nu_max / (1.0 + math.exp(r * (v0 - (y1 - y2))))
    sigm_y0_1 = 2.0 * nu_max / (1.0 + math.exp(r * (v0 - a_1 * J * y0)))
    sigm_y0_3 = 2.0 * nu_max / (1.0 + math.exp(r * (v0 - a_3 * J * y0)))
    dy3 = A * a * sigm_y1_y2 - 2.0 * a * y3 - a**2 * y0
    dy4 = A * a * (mu + a_2 * J * sigm_y0_1 + c_0) - 2.0 * a * y4 - a**2 * y1
    dy5 = B * b * (a_4 * J * sigm_y0_3) - 2.0 * b * y5 - b**2 * y2
    return y3, y4, y5, dy3, dy4, dy5


register_model(JansenRit, equations=jansen_rit_equations)
