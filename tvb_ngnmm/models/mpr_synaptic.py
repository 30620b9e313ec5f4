r"""``MPRSynaptic``: one Montbrió–Pazó–Roxin population with a first-order synapse."""

from __future__ import annotations

import math

import numpy as np
from tvb.basic.neotraits.api import Final, List, NArray, Range

from ._base import NON_NEGATIVE, POSITIVE, REAL, AbstractNextGenModel
from ._registry import PopulationLayout, register_model

PI = math.pi


def mpr_synaptic_equations(r, v, s, C, tau, tau_s, eta, Delta, J, I, c, lc_0=0.0):
    """Time derivatives of the ``MPRSynaptic`` state (the single definition of its equations).

    Parameters
    ----------
    r, v, s : float or array
        Rate (kHz), mean potential (dimensionless), synaptic activation (kHz).
    C : float or array
        Long-range input delivered by the coupling function.
    tau, tau_s, eta, Delta, J, I, c : float or array
        Model parameters (see :class:`MPRSynaptic`).
    lc_0 : float or array
        Local input on a cortical surface, ``(cs · L) @ s`` (kHz; 0 in region simulations):
        the neighbouring vertices' synaptic activation, entering where the long-range input
        ``C`` enters.

    Returns
    -------
    tuple
        ``(dr, dv, ds)`` in units per ms.
    """
    dr = (Delta / (PI * tau) + 2.0 * r * v) / tau
    dv = (v * v + eta - (PI * tau * r) ** 2 + I) / tau + J * s + c * (C + lc_0)
    ds = (r - s) / tau_s
    return dr, dv, ds


@register_model(
    equations=mpr_synaptic_equations,
    local_coupling=("s",),
    cvar_counts=(1, 2),
    populations=(
        PopulationLayout("population", "tau", "tau_s", "eta", "Delta", "I", "r", "v", "s"),
    ),
    synaptic_weights=(("J",),),
)
# The model catalogue shows this docstring on one page with every model's, where a
# 'Parameters' heading per model would repeat one ID: TVB's ``**kwargs`` (the traits,
# tabulated there) is left out of numpydoc's PR01 check.
class MPRSynaptic(AbstractNextGenModel):  # numpydoc ignore=PR01
    r"""One population of quadratic integrate-and-fire neurons with a first-order synapse.

    The Montbrió–Pazó–Roxin (2015) exact mean field with recurrent input filtered by a
    first-order synapse of time constant :math:`\tau_s`:

    .. math::

        \tau \dot r &= \frac{\Delta}{\pi\tau} + 2 r v \\
        \tau \dot v &= v^2 + \eta - (\pi\tau r)^2 + I + \tau J s + \tau c C \\
        \tau_s \dot s &= -s + r

    With :math:`\tau_s \to 0`, :math:`s = r` and it reduces to TVB's ``MontbrioPazoRoxin``
    (recurrent term :math:`J\tau r`). A slow synapse (:math:`\tau_s \sim 100` ms) with strong
    :math:`J` makes the population bistable (persistent "working memory" activity).

    Units: time in ms, ``r`` and ``s`` in spikes/ms (kHz), ``v`` dimensionless. ``C`` is the
    long-range input the coupling function delivers for the coupling variable ``s``; on a
    cortical surface the local coupling :math:`L^c = cs \cdot L` enters beside it, as
    :math:`c\,(C + \sum_k L^c_{ik} s_k)` (0 in region simulations). Stimuli
    enter as a current into ``v``. Domains: ``tau``, ``tau_s`` > 0, ``Delta`` >= 0; ``J`` may have
    either sign (negative for an inhibitory population); the rest any finite number.
    """

    tau = NArray(
        label=r":math:`\tau`", default=np.array([10.0]),
        domain=Range(lo=0.1, hi=50.0, step=0.1), doc="Membrane time constant (ms).",
    )  # fmt: skip
    tau_s = NArray(
        label=r":math:`\tau_s`", default=np.array([5.0]),
        domain=Range(lo=0.1, hi=200.0, step=0.1), doc="Synaptic time constant (ms).",
    )  # fmt: skip
    eta = NArray(
        label=r":math:`\eta`", default=np.array([-5.0]),
        domain=Range(lo=-20.0, hi=20.0, step=0.1),
        doc="Centre of the Lorentzian distribution of excitabilities (dimensionless).",
    )  # fmt: skip
    Delta = NArray(
        label=r":math:`\Delta`", default=np.array([1.0]),
        domain=Range(lo=0.0, hi=10.0, step=0.01),
        doc="Half-width of the Lorentzian distribution of excitabilities (dimensionless).",
    )  # fmt: skip
    J = NArray(
        label=":math:`J`", default=np.array([15.0]),
        domain=Range(lo=-50.0, hi=50.0, step=0.1),
        doc="Recurrent synaptic weight (negative for an inhibitory population).",
    )  # fmt: skip
    I = NArray(
        label=":math:`I`", default=np.array([0.0]),
        domain=Range(lo=-10.0, hi=30.0, step=0.1), doc="External current.",
    )  # fmt: skip
    c = NArray(
        label=":math:`c`", default=np.array([1.0]),
        domain=Range(lo=0.0, hi=2.0, step=0.01), doc="Gain of the long-range input.",
    )  # fmt: skip

    parameter_domains = {
        "tau": POSITIVE, "tau_s": POSITIVE, "eta": REAL, "Delta": NON_NEGATIVE,
        "J": REAL, "I": REAL, "c": REAL,
    }  # fmt: skip

    state_variable_range = Final(
        label="State Variable ranges [lo, hi]",
        default={
            "r": np.array([0.0, 0.1]),
            "v": np.array([-2.0, 1.0]),
            "s": np.array([0.0, 0.1]),
        },
        doc="Typical ranges, used for random initial conditions and phase-plane plots.",
    )
    state_variable_boundaries = Final(
        label="State Variable boundaries [lo, hi]",
        default={"r": np.array([0.0, np.inf])},
        doc="The firing rate cannot be negative.",
    )
    coupling_terms = Final(
        label="Coupling terms",
        default=["C"],
        doc="Names of the rows of the coupling array in state_variable_dfuns.",
    )
    state_variable_dfuns = Final(
        label="Drift functions",
        default={
            "r": "(Delta / (pi * tau) + 2 * r * v) / tau",
            "v": "(v * v + eta - (pi * tau * r) ** 2 + I) / tau + J * s + c * C",
            "s": "(r - s) / tau_s",
        },
        doc="The drift of each state variable, for TVB's code generators.",
    )
    variables_of_interest = List(
        of=str,
        label="Variables or quantities available to Monitors",
        choices=("r", "v", "s"),
        default=("r", "v"),
        doc="Quantities recorded by monitors (rates in kHz).",
    )
    parameter_names = List(
        of=str,
        label="List of parameters for this model",
        doc="Names of the model parameters, in the order of the equation functions.",
        default=("tau", "tau_s", "eta", "Delta", "J", "I", "c"),
    )

    state_variables = ("r", "v", "s")
    _nvar = 3
    cvar = np.array([2], dtype=np.int32)
    stvar = np.array([1], dtype=np.int32)

    def dfun(self, state_variables, coupling, local_coupling=0.0):
        """Time derivatives, shaped like ``state_variables`` ``(3, n_node, n_mode)``.

        Parameters
        ----------
        state_variables : numpy.ndarray
            The state ``(3, n_node, n_mode)``: ``r`` (kHz), ``v`` (dimensionless), ``s`` (kHz).
        coupling : numpy.ndarray
            The long-range coupling ``(n_cvar, n_node, n_mode)``; its first row drives ``v``.
        local_coupling : float or scipy.sparse matrix
            The local coupling ``cs · L`` on a surface (acting on ``s``), 0 in region simulations.
        """
        r, v, s = state_variables
        params = [getattr(self, name) for name in self.parameter_names]
        local = local_coupling * s  # (cs · L) @ s on a surface, 0 in region simulations
        derivatives = mpr_synaptic_equations(r, v, s, coupling[0], *params, local)
        return np.array(np.broadcast_arrays(*derivatives))
