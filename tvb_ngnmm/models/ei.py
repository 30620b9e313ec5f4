r"""``NextGenEI``: excitatory–inhibitory next-generation neural mass with first-order synapses.

The model of Delicado, Huguet & Clusella (2025, arXiv:2512.03907): two Montbrió–Pazó–Roxin
populations of quadratic integrate-and-fire neurons, excitatory (E) and inhibitory (I), each with
a first-order synaptic variable. Its E–I loop produces pyramidal–interneuron gamma (PING).
"""

from __future__ import annotations

import math

import numpy as np
from tvb.basic.neotraits.api import Final, List, NArray, Range

from ._base import NON_NEGATIVE, POSITIVE, REAL, AbstractNextGenModel
from ._registry import PopulationLayout, register_model

PI = math.pi
INV_PI = 1.0 / math.pi


def next_gen_ei_equations(
    r_e, v_e, s_e, r_i, v_i, s_i, C_e, C_i,
    tau_e, tau_i, tau_se, tau_si, eta_e, eta_i, Delta_e, Delta_i,
    J_ee, J_ei, J_ie, J_ii, I_e, I_i, c_e, c_i, lc_0=0.0,
):  # fmt: skip
    """Time derivatives of the ``NextGenEI`` state (the single definition of its equations).

    Written with arithmetic only so that it applies to scalars, NumPy arrays (broadcasting) and,
    compiled, inside Numba kernels.

    Parameters
    ----------
    r_e, v_e, s_e, r_i, v_i, s_i : float or array
        State: rates (kHz), mean potentials (dimensionless), synaptic activations (kHz).
    C_e, C_i : float or array
        Long-range input delivered by the coupling function to E and to I.
    tau_e, tau_i, tau_se, tau_si, eta_e, eta_i, Delta_e, Delta_i : float or array
        Time constants (ms) and the centres and half-widths of the excitability distributions
        (see :class:`NextGenEI`).
    J_ee, J_ei, J_ie, J_ii, I_e, I_i, c_e, c_i : float or array
        Synaptic weights, external currents and long-range input gains (see
        :class:`NextGenEI`).
    lc_0 : float or array
        Local input on a cortical surface, ``(cs · L) @ s_e`` (kHz; 0 in region simulations):
        the neighbouring vertices' excitatory synaptic activation, entering E and I where the
        long-range inputs ``C_e`` and ``C_i`` enter.

    Returns
    -------
    tuple
        ``(dr_e, dv_e, ds_e, dr_i, dv_i, ds_i)`` in units per ms.
    """
    # Reciprocals taken once: four divisions instead of eight (the compiled engine's node loop
    # is bound by division throughput).
    inv_tau_e = 1.0 / tau_e
    inv_tau_i = 1.0 / tau_i
    dr_e = (Delta_e * inv_tau_e * INV_PI + 2.0 * r_e * v_e) * inv_tau_e
    dv_e = (
        (v_e * v_e + eta_e - (PI * tau_e * r_e) ** 2 + I_e) * inv_tau_e
        + J_ee * s_e
        - J_ei * s_i
        + c_e * (C_e + lc_0)
    )
    ds_e = (r_e - s_e) * (1.0 / tau_se)
    dr_i = (Delta_i * inv_tau_i * INV_PI + 2.0 * r_i * v_i) * inv_tau_i
    dv_i = (
        (v_i * v_i + eta_i - (PI * tau_i * r_i) ** 2 + I_i) * inv_tau_i
        + J_ie * s_e
        - J_ii * s_i
        + c_i * (C_i + lc_0)
    )
    ds_i = (r_i - s_i) * (1.0 / tau_si)
    return dr_e, dv_e, ds_e, dr_i, dv_i, ds_i


def _parameter(label, default, lo, hi, step, doc):
    return NArray(
        label=label,
        default=np.array([default]),
        domain=Range(lo=lo, hi=hi, step=step),
        doc=doc,
    )


@register_model(
    equations=next_gen_ei_equations,
    local_coupling=("s_e",),
    cvar_counts=(1, 2),
    populations=(
        PopulationLayout("E", "tau_e", "tau_se", "eta_e", "Delta_e", "I_e", "r_e", "v_e", "s_e"),
        PopulationLayout("I", "tau_i", "tau_si", "eta_i", "Delta_i", "I_i", "r_i", "v_i", "s_i"),
    ),
    synaptic_weights=(("J_ee", "-J_ei"), ("J_ie", "-J_ii")),
)
# The model catalogue shows this docstring on one page with every model's, where a
# 'Parameters' heading per model would repeat one ID: TVB's ``**kwargs`` (the traits,
# tabulated there) is left out of numpydoc's PR01 check.
class NextGenEI(AbstractNextGenModel):  # numpydoc ignore=PR01
    r"""Excitatory–inhibitory next-generation neural mass model with first-order synapses.

    Exact mean field of two large populations of quadratic integrate-and-fire neurons with
    Lorentzian-distributed excitabilities (Montbrió, Pazó & Roxin 2015), coupled through
    first-order synapses, as in Delicado, Huguet & Clusella (2025, arXiv:2512.03907).

    .. math::

        \tau_e \dot r_e &= \frac{\Delta_e}{\pi\tau_e} + 2 r_e v_e \\
        \tau_e \dot v_e &= v_e^2 + \eta_e - (\pi\tau_e r_e)^2 + I_e
                           + \tau_e (J_{ee} s_e - J_{ei} s_i) + \tau_e c_e C \\
        \tau_{se} \dot s_e &= -s_e + r_e \\
        \tau_i \dot r_i &= \frac{\Delta_i}{\pi\tau_i} + 2 r_i v_i \\
        \tau_i \dot v_i &= v_i^2 + \eta_i - (\pi\tau_i r_i)^2 + I_i
                           + \tau_i (J_{ie} s_e - J_{ii} s_i) + \tau_i c_i C \\
        \tau_{si} \dot s_i &= -s_i + r_i

    Units: time in ms, rates ``r`` and synaptic activations ``s`` in spikes/ms (kHz), ``v``
    dimensionless. ``C`` is the long-range input delivered by the coupling function for the
    coupling variable ``s_e``; e.g. ``Linear(a=ε)`` gives :math:`C_i = ε \sum_j W_{ij}
    s_{e,j}(t - d_{ij})`. A model with two coupling variables (``cvar = [s_e, s_e]`` or
    ``[s_e, s_i]``, e.g. with :class:`tvb_ngnmm.coupling.MultiCoupling`) sends the first
    coupling term to E and the second to I.

    On a cortical surface the local coupling (TVB's ``local_coupling``, the sparse
    :math:`L^c = cs \cdot L` between neighbouring vertices, no delay) is one more source of the
    same synaptic drive: it enters where the long-range input enters, as
    :math:`c_e (C_e + \sum_k L^c_{ik} s_{e,k})` in :math:`\dot v_e` and
    :math:`c_i (C_i + \sum_k L^c_{ik} s_{e,k})` in :math:`\dot v_i` (0 in region simulations).

    Stimuli enter as a current into ``v_e`` (``stvar``). Domains: time constants > 0, widths
    :math:`\Delta \ge 0`, all :math:`J \ge 0` (signs are in the equations), other parameters any
    finite number. Parameters may be one value or one per region.
    """

    tau_e = _parameter(r":math:`\tau_e`", 8.0, 0.1, 50.0, 0.1, "Membrane time constant of E (ms).")
    tau_i = _parameter(r":math:`\tau_i`", 8.0, 0.1, 50.0, 0.1, "Membrane time constant of I (ms).")
    tau_se = _parameter(
        r":math:`\tau_{se}`", 1.0, 0.1, 50.0, 0.1, "Time constant of the E synapse (ms)."
    )
    tau_si = _parameter(
        r":math:`\tau_{si}`", 5.0, 0.1, 50.0, 0.1, "Time constant of the I synapse (ms)."
    )
    eta_e = _parameter(
        r":math:`\eta_e`", -5.0, -20.0, 20.0, 0.1,
        "Centre of the Lorentzian distribution of E excitabilities (dimensionless).",
    )  # fmt: skip
    eta_i = _parameter(
        r":math:`\eta_i`", -5.0, -20.0, 20.0, 0.1,
        "Centre of the Lorentzian distribution of I excitabilities (dimensionless).",
    )  # fmt: skip
    Delta_e = _parameter(
        r":math:`\Delta_e`", 1.0, 0.0, 10.0, 0.01,
        "Half-width of the Lorentzian distribution of E excitabilities (dimensionless).",
    )  # fmt: skip
    Delta_i = _parameter(
        r":math:`\Delta_i`", 1.0, 0.0, 10.0, 0.01,
        "Half-width of the Lorentzian distribution of I excitabilities (dimensionless).",
    )  # fmt: skip
    J_ee = _parameter(r":math:`J_{ee}`", 5.0, 0.0, 50.0, 0.1, "Synaptic weight E → E.")
    J_ei = _parameter(r":math:`J_{ei}`", 13.0, 0.0, 50.0, 0.1, "Synaptic weight I → E.")
    J_ie = _parameter(r":math:`J_{ie}`", 13.0, 0.0, 50.0, 0.1, "Synaptic weight E → I.")
    J_ii = _parameter(r":math:`J_{ii}`", 5.0, 0.0, 50.0, 0.1, "Synaptic weight I → I.")
    I_e = _parameter(r":math:`I_e`", 0.0, -10.0, 30.0, 0.1, "External current to E.")
    I_i = _parameter(r":math:`I_i`", 0.0, -10.0, 30.0, 0.1, "External current to I.")
    c_e = _parameter(r":math:`c_e`", 1.0, 0.0, 2.0, 0.01, "Gain of the long-range input to E.")
    c_i = _parameter(r":math:`c_i`", 1.0, 0.0, 2.0, 0.01, "Gain of the long-range input to I.")

    parameter_domains = {
        "tau_e": POSITIVE, "tau_i": POSITIVE, "tau_se": POSITIVE, "tau_si": POSITIVE,
        "eta_e": REAL, "eta_i": REAL, "Delta_e": NON_NEGATIVE, "Delta_i": NON_NEGATIVE,
        "J_ee": NON_NEGATIVE, "J_ei": NON_NEGATIVE, "J_ie": NON_NEGATIVE, "J_ii": NON_NEGATIVE,
        "I_e": REAL, "I_i": REAL, "c_e": REAL, "c_i": REAL,
    }  # fmt: skip

    state_variable_range = Final(
        label="State Variable ranges [lo, hi]",
        default={
            "r_e": np.array([0.0, 0.1]),
            "v_e": np.array([-2.0, 1.0]),
            "s_e": np.array([0.0, 0.1]),
            "r_i": np.array([0.0, 0.1]),
            "v_i": np.array([-2.0, 1.0]),
            "s_i": np.array([0.0, 0.1]),
        },
        doc="Typical ranges, used for random initial conditions and phase-plane plots.",
    )
    state_variable_boundaries = Final(
        label="State Variable boundaries [lo, hi]",
        default={"r_e": np.array([0.0, np.inf]), "r_i": np.array([0.0, np.inf])},
        doc="Firing rates cannot be negative.",
    )
    coupling_terms = Final(
        label="Coupling terms",
        default=["C_e", "C_i"],
        doc="Names of the rows of the coupling array in state_variable_dfuns.",
    )
    state_variable_dfuns = Final(
        label="Drift functions",
        default={
            "r_e": "(Delta_e / (pi * tau_e) + 2 * r_e * v_e) / tau_e",
            "v_e": "(v_e * v_e + eta_e - (pi * tau_e * r_e) ** 2 + I_e) / tau_e"
            " + J_ee * s_e - J_ei * s_i + c_e * C_e",
            "s_e": "(r_e - s_e) / tau_se",
            "r_i": "(Delta_i / (pi * tau_i) + 2 * r_i * v_i) / tau_i",
            "v_i": "(v_i * v_i + eta_i - (pi * tau_i * r_i) ** 2 + I_i) / tau_i"
            " + J_ie * s_e - J_ii * s_i + c_i * C_i",
            "s_i": "(r_i - s_i) / tau_si",
        },
        doc="The drift of each state variable, for TVB's code generators.",
    )
    variables_of_interest = List(
        of=str,
        label="Variables or quantities available to Monitors",
        choices=("r_e", "v_e", "s_e", "r_i", "v_i", "s_i"),
        default=("r_e", "r_i"),
        doc="Quantities recorded by monitors (rates in kHz).",
    )
    parameter_names = List(
        of=str,
        label="List of parameters for this model",
        doc="Names of the model parameters, in the order of the equation functions.",
        default=tuple(
            "tau_e tau_i tau_se tau_si eta_e eta_i Delta_e Delta_i "
            "J_ee J_ei J_ie J_ii I_e I_i c_e c_i".split()
        ),
    )

    state_variables = ("r_e", "v_e", "s_e", "r_i", "v_i", "s_i")
    _nvar = 6
    cvar = np.array([2], dtype=np.int32)
    stvar = np.array([1], dtype=np.int32)

    def dfun(self, state_variables, coupling, local_coupling=0.0):
        """Time derivatives, shaped like ``state_variables`` ``(6, n_node, n_mode)``.

        Parameters
        ----------
        state_variables : numpy.ndarray
            The state ``(6, n_node, n_mode)``: ``r_e``, ``v_e``, ``s_e``, ``r_i``, ``v_i``, ``s_i``.
        coupling : numpy.ndarray
            The long-range coupling ``(n_cvar, n_node, n_mode)``: row 0 drives E, row 1 (else row 0)
            drives I.
        local_coupling : float or scipy.sparse matrix
            The local coupling ``cs · L`` on a surface (acting on ``s_e``), 0 in region simulations.
        """
        C_e = coupling[0]
        C_i = coupling[1] if coupling.shape[0] > 1 else C_e
        params = [getattr(self, name) for name in self.parameter_names]
        local = local_coupling * state_variables[2]  # (cs · L) @ s_e on a surface, else 0
        derivatives = next_gen_ei_equations(*state_variables, C_e, C_i, *params, local)
        return np.array(np.broadcast_arrays(*derivatives))
