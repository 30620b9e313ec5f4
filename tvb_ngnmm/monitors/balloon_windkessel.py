r"""Balloon–Windkessel BOLD: the nonlinear hemodynamic model run alongside the neural model.

A neural signal :math:`x(t)` of each region (default: the signal the model declares,
``register_model(..., signal=...)``, e.g. the excitatory rate ``r_e`` of ``NextGenEI``, the rate
``r`` of ``MPRSynaptic`` and of TVB's ``MontbrioPazoRoxin``; rates in kHz) drives the balloon
model through :math:`z = \mathrm{gain}\,(x - \mathrm{baseline})` (:math:`z` in s⁻²). Time is
in **seconds inside the hemodynamics** and in ms at the interface (``period``,
``hemodynamic_step``, sample times).

Equations (Friston et al. 2000 and 2003; Stephan et al. 2007, eqs. 4–10), with vasodilatory
signal :math:`s` (s⁻¹), normalised inflow :math:`f`, venous volume :math:`v` and
deoxyhemoglobin :math:`q`:

.. math::

    \dot s &= z - \kappa s - \gamma (f - 1), \qquad \dot f = s,\\
    \tau \dot v &= f - v^{1/\alpha}, \qquad
    \tau \dot q = f\,\frac{E(f, E_0)}{E_0} - v^{1/\alpha}\,\frac{q}{v},
    \qquad E(f, E_0) = 1 - (1 - E_0)^{1/f},

from the physiological rest :math:`s = 0,\ f = v = q = 1`, and the BOLD signal in percent
signal change (Stephan et al. 2007, eq. 13, nonlinear form)

.. math::

    y = 100\,V_0\,\big[k_1 (1 - q) + k_2 (1 - q/v) + k_3 (1 - v)\big].

Convention (one named set, ``FRISTON_2003`` with a :data:`FIELD_STRENGTHS` preset):

- hemodynamics: Friston, Harrison & Penny 2003 (NeuroImage 19:1273), Table 1 priors as rates:
  κ = 0.65 s⁻¹, γ = 0.41 s⁻¹, τ = 0.98 s, α = 0.32. The resting oxygen extraction E₀ of the
  balloon is the preset's, the same E₀ as in the signal equation.
- ``coefficients='revised'`` (default): Stephan et al. 2007 (NeuroImage 38:387), eq. 12,
  after Obata et al. 2004 (NeuroImage 21:144): :math:`k_1 = 4.3\,\vartheta_0 E_0 T_E`,
  :math:`k_2 = \varepsilon r_0 E_0 T_E`, :math:`k_3 = 1 - \varepsilon`.
- ``coefficients='classic'``: Buxton et al. 1998 as in Friston et al. 2000 (NeuroImage 12:466)
  and Stephan et al. 2007, eq. 3: :math:`k_1 = 7 E_0`, :math:`k_2 = 2`,
  :math:`k_3 = 2 E_0 - 0.2` (derived for 1.5 T, TE ≈ 40 ms; the preset's E₀ and V₀ are used).

Field-strength presets (E₀ = 0.4 and V₀ = 0.04 at every field: Obata et al. 2004 and
Stephan et al. 2007, as in SPM's ``spm_gx_fmri``; ϑ₀ = 40.3 s⁻¹ · B₀ / 1.5 T, i.e.
ϑ₀ = Δχ γ_H Hct B₀ with Δχ = 0.264 ppm, γ_H = 2π · 42.6 MHz/T, Hct = 0.38, which gives
Stephan's 40.3 s⁻¹ at 1.5 T — the expression of Havlicek et al. 2015, NeuroImage 122:355):

========  =========  ===========  =========  ================================================
field     T_E (s)    ϑ₀ (s⁻¹)     r₀ (s⁻¹)   ε
========  =========  ===========  =========  ================================================
1.5 T     0.040      40.3         25         1.43 (Obata et al. 2004; T_E, r₀: Stephan 2007)
3 T       0.030      80.6         108        0.621
7 T       0.028      188.1        228        0.233
========  =========  ===========  =========  ================================================

At 3 T and 7 T, r₀ and ε follow Havlicek et al. 2015 (their ``spm_gx_fmri_pdcm``) and, for
7 T, Havlicek & Uludağ 2020 (NeuroImage 204:116209, Table 1, T_E = 28 ms):
ε = (ρ_b/ρ_t) exp(−T_E (R₂*_b − R₂*_t)) with ρ_t = 0.89, ρ_b = 0.95 − 0.22 Hct
(Lu et al. 2002) and R₂* (s⁻¹) of tissue/venous blood 25/40 at 3 T and 34/85 at 7 T.
T_E = 30 ms at 3 T is a usual gradient-echo EPI choice, not a value from these papers.

Numerics: the neural signal is averaged over each hemodynamic step (``hemodynamic_step`` ms,
default 1 ms; the largest multiple of ``dt`` not above it that divides the TR) and the balloon
model advanced by one classical Runge–Kutta (RK4) step of that length. Measured against
``scipy.integrate.solve_ivp`` (DOP853, rtol 1e-13) of the same equations
(``tests/test_monitors_bold.py``), as a fraction of the largest |BOLD|: a piecewise-constant drive
(a 1 s pulse, a sustained drive) ≤ 1e-10 with 1 ms steps (the RK4 error; 4e-10 with 10 ms); a
drive varying over seconds (0.1 Hz) 3e-8 with 1 ms and 3e-6 with 10 ms steps (second order,
from averaging the drive over the step); a 40 Hz component adds < 1e-8 (the hemodynamics
filter it out). The neural signal is taken at the end of each neural step, as TVB's monitors
take it.

Response: a drive of 1 s⁻² for 1 s gives at 3 T a peak of 4.9 % at 3.5 s after onset and an
undershoot of −1.0 % at 9.8 s (1.5 T: 3.8 % at 3.3 s, −0.76 %; 7 T: 9.0 % at 3.5 s, −1.8 %).
The transit time τ = 0.98 s of Friston et al. 2003 peaks earlier than the canonical HRF
(≈ 5 s, transit times near 2 s as in later DCM priors).

Sampling: one sample per TR (``period``, ms) at the steps with ``step % istep == 0``, at
time ``step * dt`` (as TVB's ``Bold``), of the hemodynamic state at that instant (the TR is a
whole number of hemodynamic steps). Output: one variable ``'BOLD'``, shape
``(n_time, 1, n_node, n_mode)``, in percent signal change, identical in stock ``sim.run()``
and in the engine (both run the compiled :func:`advance`).

Surfaces (``spatial``): in a surface simulation one balloon model per region is driven by the
mean of the neural signal over the region's vertices (``spatial='region'``, the default; a
region the surface's region mapping leaves out is one node, its own mean), giving one BOLD
signal per region of the connectivity, shape ``(n_time, 1, n_region, n_mode)``; with
``spatial='node'`` every vertex has its own (shape ``(n_time, 1, n_node, n_mode)``; the state
is 5 floats per node and member, 0.7 MB for ``cortex_16384``, whatever the run length). In a
region simulation both are the same. The mean over a region is taken at every neural step,
before the hemodynamic averaging, in stock ``sim.run()``; the engine, when it sums the
hemodynamic blocks in its compiled step, takes it after (the two commute, up to rounding).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import scipy.sparse
from tvb.basic.neotraits.api import Attr, Float
from tvb.simulator import monitors as tvb_monitors
from tvb.simulator.backend.ref import ReferenceBackend

from .. import _vmath
from .._numba import jit
from ..errors import SimulationBlowUpError
from ..models import default_signal
from ._base import AbstractEngineMonitor, BlockAverage, register_engine_monitor

__all__ = [
    "FIELD_STRENGTHS",
    "FRISTON_2003",
    "BalloonWindkesselBold",
    "BoldConstants",
    "HemodynamicConstants",
    "balloon_derivatives",
]


@dataclass(frozen=True)
class HemodynamicConstants:
    """Balloon-model rates (Friston et al. 2003, Table 1).

    Attributes
    ----------
    kappa : float
        Rate of signal decay κ (s⁻¹).
    gamma : float
        Rate of flow-dependent elimination γ (s⁻¹).
    tau : float
        Hemodynamic transit time τ (s).
    alpha : float
        Grubb's exponent α (dimensionless).
    """

    kappa: float = 0.65
    gamma: float = 0.41
    tau: float = 0.98
    alpha: float = 0.32


FRISTON_2003 = HemodynamicConstants()

_PLASMA_FREQUENCY_PER_TESLA = 40.3 / 1.5  # s⁻¹ T⁻¹: Stephan et al. 2007's ϑ₀ at 1.5 T


def _signal_ratio(echo_time: float, r2s_blood: float, r2s_tissue: float) -> float:
    """ε = (ρ_b/ρ_t) exp(−T_E (R₂*_b − R₂*_t)) (Havlicek et al. 2015), Hct = 0.38."""
    rho_blood, rho_tissue = 0.95 - 0.22 * 0.38, 0.89
    return rho_blood / rho_tissue * math.exp(-echo_time * (r2s_blood - r2s_tissue))


@dataclass(frozen=True)
class BoldConstants:
    """Constants of the BOLD signal equation for one field strength.

    Attributes
    ----------
    field_strength : float
        B₀ (T).
    echo_time : float
        T_E (s).
    resting_oxygen_extraction : float
        E₀, also used in the balloon model's oxygen extraction.
    resting_venous_volume : float
        V₀ (fraction).
    frequency_offset : float
        ϑ₀ (s⁻¹), at the outer surface of magnetised vessels for fully deoxygenated blood.
    relaxation_slope : float
        r₀ (s⁻¹), slope of the intravascular relaxation rate against oxygen saturation.
    signal_ratio : float
        ε, ratio of intra- to extravascular signal at rest.
    source : str
        Where the values come from.
    """

    field_strength: float
    echo_time: float
    relaxation_slope: float
    signal_ratio: float
    source: str
    resting_oxygen_extraction: float = 0.4
    resting_venous_volume: float = 0.04

    @property
    def frequency_offset(self) -> float:
        """ϑ₀ = 40.3 s⁻¹ · B₀ / 1.5 T."""
        return _PLASMA_FREQUENCY_PER_TESLA * self.field_strength

    def coefficients(self, kind: str = "revised") -> tuple[float, float, float]:
        """(k₁, k₂, k₃): ``'revised'`` (Stephan et al. 2007, eq. 12) or ``'classic'`` (eq. 3)."""
        e0, te = self.resting_oxygen_extraction, self.echo_time
        if kind == "classic":
            return 7.0 * e0, 2.0, 2.0 * e0 - 0.2
        if kind == "revised":
            eps = self.signal_ratio
            return (
                4.3 * self.frequency_offset * e0 * te,
                eps * self.relaxation_slope * e0 * te,
                1.0 - eps,
            )
        raise ValueError(
            "Invalid value for the 'coefficients' parameter. Allowed values are 'revised', "
            f"'classic', but got {kind!r} instead."
        )


FIELD_STRENGTHS = {
    "1.5T": BoldConstants(1.5, 0.040, 25.0, 1.43, "Stephan et al. 2007; ε: Obata et al. 2004"),
    "3T": BoldConstants(
        3.0, 0.030, 108.0, _signal_ratio(0.030, 40.0, 25.0), "Havlicek et al. 2015"
    ),
    "7T": BoldConstants(
        7.0,
        0.028,
        228.0,
        _signal_ratio(0.028, 85.0, 34.0),
        "Havlicek et al. 2015; Havlicek & Uludağ 2020",
    ),  # fmt: skip
}

#: Largest hemodynamic step (ms): RK4 stays accurate (|h λ| ≤ 0.33 for λ = −1/(τα)).
MAX_HEMODYNAMIC_STEP = 100.0


def balloon_derivatives(s, f, v, q, z, kappa, gamma, tau, alpha, e0):
    """Time derivatives (per second) of (s, f, v, q) for the drive ``z`` (s⁻²).

    Works elementwise on floats or arrays; compiled into :func:`advance`.
    """
    outflow = v ** (1.0 / alpha)
    extraction = 1.0 - (1.0 - e0) ** (1.0 / f)
    ds = z - kappa * s - gamma * (f - 1.0)
    dv = (f - outflow) / tau
    dq = (f * extraction / e0 - outflow * q / v) / tau
    return ds, s, dv, dq


@jit(nogil=True, inline="always")
def _derivatives(s, f, v, q, z, constants):
    """:func:`balloon_derivatives` with the powers written through :mod:`.._vmath`'s ``exp``
    and ``log`` (:math:`v^{1/\\alpha} = e^{\\ln v / \\alpha}`,
    :math:`(1 - E_0)^{1/f} = e^{\\ln(1 - E_0) / f}`) and reciprocals of the constants, so that
    the loops over nodes vectorise with few divisions. ``constants``: κ, γ, 1/τ, 1/α, 1/E₀ and
    :math:`\\ln(1 - E_0)`."""
    kappa, gamma, inv_tau, inv_alpha, inv_e0, log_residual = constants
    outflow = _vmath.exp(inv_alpha * _vmath.log(v))
    extraction = 1.0 - _vmath.exp(log_residual / f)
    ds = z - kappa * s - gamma * (f - 1.0)
    dv = (f - outflow) * inv_tau
    dq = (f * extraction * inv_e0 - outflow * q / v) * inv_tau
    return ds, s, dv, dq


@jit(nogil=True)
def _rk4(x, z, h, kappa, gamma, tau, alpha, e0):
    """One RK4 step of length ``h`` (s) of every column of ``x`` (4, n) holding (s, f, v, q),
    column ``m`` driven by ``z[m]`` (s⁻²)."""
    c = (kappa, gamma, 1.0 / tau, 1.0 / alpha, 1.0 / e0, _vmath.log(1.0 - e0))
    g = 0.5 * h
    w = h / 6.0
    for m in range(x.shape[1]):
        s, f, v, q, zm = x[0, m], x[1, m], x[2, m], x[3, m], z[m]
        a1, b1, c1, d1 = _derivatives(s, f, v, q, zm, c)
        a2, b2, c2, d2 = _derivatives(s + g * a1, f + g * b1, v + g * c1, q + g * d1, zm, c)
        a3, b3, c3, d3 = _derivatives(s + g * a2, f + g * b2, v + g * c2, q + g * d2, zm, c)
        a4, b4, c4, d4 = _derivatives(s + h * a3, f + h * b3, v + h * c3, q + h * d3, zm, c)
        x[0, m] = s + w * (a1 + 2.0 * a2 + 2.0 * a3 + a4)
        x[1, m] = f + w * (b1 + 2.0 * b2 + 2.0 * b3 + b4)
        x[2, m] = v + w * (c1 + 2.0 * c2 + 2.0 * c3 + c4)
        x[3, m] = q + w * (d1 + 2.0 * d2 + 2.0 * d3 + d4)


#: Columns the hemodynamic state is padded to a multiple of (at rest, with no drive), so that
#: the RK4 loop runs in whole vectors of 8 float64 (AVX-512), with no slower scalar remainder.
_LANES = 8


@jit(nogil=True)
def _padded(state, n):
    """``state`` (4, n) copied into (4, n rounded up to _LANES), the extra columns at rest."""
    width = (n + _LANES - 1) // _LANES * _LANES
    x = np.empty((4, width))
    for r in range(4):
        for m in range(width):
            x[r, m] = state[r, m] if m < n else (0.0 if r == 0 else 1.0)
    return x


@jit(nogil=True)
def advance(first_step, obs, variable, n_h, istep, params, state, drive_sum, out):
    """Feed ``obs[t, variable]`` (steps ``first_step + t``) to the balloon models; return samples.

    All arrays C-contiguous: ``obs`` (n_steps, n_obs, n_node, B), ``state`` (4, n_node, B)
    holding (s, f, v, q), ``drive_sum`` (n_node, B), ``out`` (n_out, n_node, B).
    ``params`` = (gain, baseline, h (s), κ, γ, τ, α, E₀, V₀, k₁, k₂, k₃). The signal is summed
    into ``drive_sum``; at each step with ``step % n_h == 0`` the drive
    ``z = gain * (sum / n_h - baseline)`` advances ``state`` by one RK4 step; at each
    ``step % istep == 0`` the BOLD (percent) goes to the next row of ``out``. Returns the
    number of rows written.
    """
    gain, baseline, h = params[0], params[1], params[2]
    kappa, gamma, tau, alpha, e0 = params[3], params[4], params[5], params[6], params[7]
    scale, k1, k2, k3 = 100.0 * params[8], params[9], params[10], params[11]
    n_steps, _, n_node, n_b = obs.shape
    n = n_node * n_b  # nodes of all batch members, member last
    x = _padded(state.reshape((4, n)), n)
    z = np.zeros(x.shape[1])
    total = drive_sum.reshape(n)
    rows = out.reshape((out.shape[0], n))
    block = first_step % n_h  # steps since the last hemodynamic step / sample
    sample = first_step % istep
    k = 0
    for t in range(n_steps):
        signal = obs[t, variable].reshape(n)
        for m in range(n):
            total[m] += signal[m]
        if block == 0:
            for m in range(n):
                z[m] = gain * (total[m] / n_h - baseline)
                total[m] = 0.0
            _rk4(x, z, h, kappa, gamma, tau, alpha, e0)
        if sample == 0:
            for m in range(n):
                v, q = x[2, m], x[3, m]
                rows[k, m] = scale * (k1 * (1.0 - q) + k2 * (1.0 - q / v) + k3 * (1.0 - v))
            k += 1
        block = block + 1 if block + 1 < n_h else 0
        sample = sample + 1 if sample + 1 < istep else 0
    state.reshape((4, n))[:] = x[:, :n]
    return k


@jit(nogil=True)
def advance_blocks(ends, means, istep, params, state, out):
    """As :func:`advance`, from the signal's means over the hemodynamic blocks (``means``
    (n_block, n_node, B), the blocks ending at steps ``ends``, multiples of ``n_h``): one RK4
    step per block, a BOLD row at each end that is a multiple of ``istep``. Returns the number
    of rows written."""
    gain, baseline, h = params[0], params[1], params[2]
    kappa, gamma, tau, alpha, e0 = params[3], params[4], params[5], params[6], params[7]
    scale, k1, k2, k3 = 100.0 * params[8], params[9], params[10], params[11]
    n_block, n_node, n_b = means.shape
    n = n_node * n_b
    x = _padded(state.reshape((4, n)), n)
    z = np.zeros(x.shape[1])
    drive = means.reshape((n_block, n))
    rows = out.reshape((out.shape[0], n))
    k = 0
    for j in range(n_block):
        for m in range(n):
            z[m] = gain * (drive[j, m] - baseline)
        _rk4(x, z, h, kappa, gamma, tau, alpha, e0)
        if ends[j] % istep == 0:
            for m in range(n):
                v, q = x[2, m], x[3, m]
                rows[k, m] = scale * (k1 * (1.0 - q) + k2 * (1.0 - q / v) + k3 * (1.0 - v))
            k += 1
    state.reshape((4, n))[:] = x[:, :n]
    return k


def hemodynamic_blow_up(
    monitor, time: float, step: int, label: str, region: int
) -> SimulationBlowUpError:
    """The error for a BOLD output that became non-finite at ``time`` (ms) in a region.

    The balloon model has a rest with positive inflow only for a drive z above −γ
    (f = 1 + z/γ at rest): a drive held below it drives the inflow, then the
    venous volume, to zero and the state to NaN, typically from a ``baseline`` or ``gain`` of
    the wrong scale or sign (a baseline in Hz where rates are in kHz).
    """
    name = type(monitor).__name__
    signal = getattr(monitor, "resolved_variable", None) or monitor.variable
    message = (
        f"The {name} monitor blew up: its BOLD output of region {label!r} (index {region}) "
        f"became non-finite at t = {time:g} ms (step {step}), the hemodynamic model having "
        "left its range (inflow or venous volume at or below zero). The likely cause is a "
        f"drive z = gain * (signal - baseline) out of the hemodynamic model's range (a "
        f"sustained z below -gamma = -{FRISTON_2003.gamma:g} s^-2 has no rest with positive "
        f"inflow): here gain = {monitor.gain:g} and baseline = {monitor.baseline:g} for the "
        f"signal {signal!r} (rates are in kHz: a baseline given in Hz is 1000 times too large)."
        " Check the monitor's 'gain' and 'baseline'."
    )
    return SimulationBlowUpError(message, time=time, region=label, state_variable="BOLD",
                                 monitor=name)  # fmt: skip


def _first_non_finite(samples: np.ndarray) -> tuple[int, int] | None:
    """(row, node) of the first non-finite value of ``samples`` (n_row, n_node), or None."""
    bad = ~np.isfinite(samples)
    if not bad.any():
        return None
    row, node = np.argwhere(bad)[0]
    return int(row), int(node)


def _invalid(name: str, allowed: str, given) -> ValueError:
    return ValueError(
        f"Invalid value for the {name!r} parameter of BalloonWindkesselBold. Allowed values "
        f"are {allowed}, but got {given!r} instead."
    )


def _quoted(names) -> str:
    return ", ".join(repr(str(n)) for n in names)


def _steps_per_hemodynamic_step(istep: int, dt: float, step_ms: float) -> int:
    """Neural steps per hemodynamic step: the largest divisor of ``istep`` with
    ``n * dt <= step_ms`` (at least 1)."""
    cap = max(1, min(istep, int(math.floor(step_ms / dt * (1.0 + 1e-9)))))
    return next(n for n in range(cap, 0, -1) if istep % n == 0)


class _NamedFloat(Float):
    """TVB's ``Float`` whose bad values are refused naming the parameter (TVB's own message
    names neither parameter nor monitor for NaN: "can't be set to nan. No safe cast.")."""

    def _validate_set(self, instance, value):
        number = isinstance(value, int | float | np.number) and not isinstance(value, bool)
        if not number or not math.isfinite(float(value)):
            raise _invalid(self.field_name, "finite numbers", value)
        return super()._validate_set(instance, value)


class BalloonWindkesselBold(tvb_monitors.Monitor):
    """BOLD (percent signal change) from the Balloon–Windkessel model, one sample per TR.

    See :mod:`tvb_ngnmm.monitors.balloon_windkessel` for the equations, constants, sources
    and numerical error. ``variables_of_interest`` is not used: ``variable`` names the signal.

    Parameters
    ----------
    **kwargs
        Values of the declared attributes (``period``, ``variable``, ``gain``, ``baseline``,
        ``field_strength``, ``coefficients``, ``spatial``, ``hemodynamic_step``), as for any
        TVB monitor.
    """

    period = _NamedFloat(
        label="Repetition time TR (ms)",
        default=2000.0,
        doc="Sampling period (TR) in ms; a multiple of the integration step dt.",
    )
    variable = Attr(
        field_type=str,
        required=False,
        default=None,
        label="Neural signal",
        doc="Variable of interest of the model that drives the hemodynamics (default: the "
        "model's declared signal, e.g. 'r_e' for NextGenEI, 'r' for MPRSynaptic and "
        "MontbrioPazoRoxin; see register_model).",
    )
    gain = _NamedFloat(
        label="Gain (s⁻² per unit of the signal)",
        default=1.0,
        doc="Drive z = gain * (signal - baseline), z in s⁻²; rates are in kHz.",
    )
    baseline = _NamedFloat(
        label="Baseline (units of the signal)",
        default=0.0,
        doc="Signal value with no hemodynamic drive (kHz for rates); set it to the resting "
        "value to start at equilibrium.",
    )
    field_strength = Attr(
        field_type=str, default="3T", label="Field strength",
        doc="BOLD constants preset: '1.5T', '3T' or '7T'.",
    )  # fmt: skip
    coefficients = Attr(
        field_type=str, default="revised", label="BOLD coefficients",
        doc="'revised' (Stephan et al. 2007, eq. 12) or 'classic' (eq. 3).",
    )  # fmt: skip
    spatial = Attr(
        field_type=str, default="region", label="Spatial resolution on surfaces",
        doc="Surface simulations: 'region' (one BOLD signal per region, from the mean of its "
        "vertices' signal) or 'node' (one per vertex and left-out region). Region "
        "simulations: both give one per region.",
    )  # fmt: skip
    hemodynamic_step = _NamedFloat(
        label="Hemodynamic step (ms)",
        default=1.0,
        doc="Step of the RK4 integration of the balloon model (ms), 0 < step <= 100; the "
        "largest multiple of dt not above it that divides the TR is used.",
    )

    def __str__(self):
        return f"BalloonWindkesselBold(period={self.period:g} ms, variable={self.variable!r})"

    def constants(self) -> BoldConstants:
        """The :class:`BoldConstants` of ``field_strength``."""
        if self.field_strength not in FIELD_STRENGTHS:
            raise _invalid("field_strength", _quoted(FIELD_STRENGTHS), self.field_strength)
        return FIELD_STRENGTHS[self.field_strength]

    def _check_settings(self) -> None:
        consts = self.constants()
        if self.coefficients not in ("revised", "classic"):
            raise _invalid("coefficients", "'revised', 'classic'", self.coefficients)
        if self.spatial not in ("region", "node"):
            raise _invalid("spatial", "'region', 'node'", self.spatial)
        for name in ("gain", "baseline"):
            if not math.isfinite(getattr(self, name)):
                raise _invalid(name, "finite numbers", getattr(self, name))
        step = self.hemodynamic_step
        if not (math.isfinite(step) and 0.0 < step <= MAX_HEMODYNAMIC_STEP):
            raise _invalid("hemodynamic_step", f"0 < step <= {MAX_HEMODYNAMIC_STEP:g} ms", step)
        if self.variables_of_interest is not None and self.variables_of_interest.size:
            raise _invalid("variables_of_interest", "None (name the signal with 'variable')",
                           self.variables_of_interest.tolist())  # fmt: skip
        self._k = consts.coefficients(self.coefficients)

    def _config_vois(self, simulator):
        model = simulator.model
        names = [str(n) for n in model.variables_of_interest]
        variable = self.variable or default_signal(model)
        if variable not in names:
            allowed = f"the variables of interest of {type(model).__name__}: {_quoted(names)}"
            raise _invalid("variable", allowed, self.variable)
        self.resolved_variable = variable
        self.voi = np.array([names.index(variable)])
        connectivity = getattr(simulator, "connectivity", None)
        labels = [] if connectivity is None else connectivity.region_labels
        self.region_labels = [str(label) for label in labels]

    def _config_time(self, simulator):
        self.dt = float(simulator.integrator.dt)
        steps = self.period / self.dt
        if not (
            math.isfinite(steps)
            and steps >= 1.0 - 1e-9
            and abs(steps - round(steps)) <= 1e-6 * steps
        ):
            raise _invalid("period", f"multiples of dt = {self.dt:g} ms and >= dt", self.period)
        self.istep = ReferenceBackend.iround(steps)
        self.hemodynamic_steps = _steps_per_hemodynamic_step(
            self.istep, self.dt, self.hemodynamic_step
        )
        self.hemodynamic_dt = self.hemodynamic_steps * self.dt

    def config_for_sim(self, simulator):
        """Check the settings, resolve the signal, set the physiological rest state.

        Parameters
        ----------
        simulator : tvb.simulator.simulator.Simulator
            The simulator being configured.
        """
        self._check_settings()
        self._config_vois(simulator)
        self._config_time(simulator)
        consts, hemo = self.constants(), FRISTON_2003
        self.kernel_parameters = np.array([
            self.gain, self.baseline, self.hemodynamic_dt / 1000.0, hemo.kappa, hemo.gamma,
            hemo.tau, hemo.alpha, consts.resting_oxygen_extraction,
            consts.resting_venous_volume, *self._k,
        ])  # fmt: skip
        self.region_mean = region_mean_matrix(simulator, self.spatial)
        n_out = simulator.number_of_nodes if self.region_mean is None else len(self.region_labels)
        shape = (n_out, simulator.model.number_of_modes)
        self.hemodynamic_state = np.ones((4,) + shape)  # s, f, v, q
        self.hemodynamic_state[0] = 0.0
        self.drive_sum = np.zeros(shape)
        self._stock = self.hemodynamic_state
        self._out = np.zeros((1,) + shape)

    def sample(self, step, state):
        """Advance the hemodynamics by this step's signal; the BOLD at multiples of ``istep``.

        Parameters
        ----------
        step : int
            The step just taken.
        state : numpy.ndarray
            The state after it, ``(n_var, n_node, n_mode)``.
        """
        variable = int(self.voi[0])
        if self.region_mean is not None:
            state, variable = (self.region_mean @ state[variable])[np.newaxis], 0
        observed = np.ascontiguousarray(state, dtype=float)[np.newaxis]
        settings = (variable, self.hemodynamic_steps, self.istep, self.kernel_parameters)
        n = advance(step, observed, *settings, self.hemodynamic_state, self.drive_sum, self._out)
        if n:
            bad = _first_non_finite(self._out[0].reshape(1, -1))  # (node, mode) flattened
            if bad is not None:
                node = bad[1] // self._out.shape[-1]
                labels = self.region_labels
                label = labels[node] if node < len(labels) else f"node {node}"
                raise hemodynamic_blow_up(self, step * self.dt, step, label, node)
            return [step * self.dt, self._out.copy()]
        return None


def region_mean_matrix(simulator, spatial: str):
    """(n_region, n_node) sparse matrix of the means over each region's nodes (the surface's
    region mapping), or None when each node keeps its own signal (``spatial='node'`` or a region
    simulation)."""
    surface = getattr(simulator, "surface", None)
    if surface is None or spatial == "node":
        return None
    mapping = np.asarray(surface.region_mapping, dtype=np.int64)
    n_region = simulator.connectivity.number_of_regions
    counts = np.bincount(mapping, minlength=n_region)
    if counts.size != n_region or np.any(counts == 0):
        raise ValueError(
            "Invalid value for the surface's 'region_mapping' for BalloonWindkesselBold. Allowed "
            f"is a mapping that gives every region of the connectivity ({n_region}) at least one "
            f"node, but got {int(np.sum(counts[:n_region] == 0))} regions without one and "
            f"indices up to {mapping.max()} instead."
        )
    nodes = np.arange(mapping.size)
    weights = 1.0 / counts[mapping]
    return scipy.sparse.csr_matrix((weights, (mapping, nodes)), shape=(n_region, mapping.size))


def region_means(matrix, signal: np.ndarray) -> np.ndarray:
    """``matrix @ signal`` over the nodes of ``signal`` (n_time, n_node, B)."""
    n_time, n_node, batch = signal.shape
    nodes_first = np.ascontiguousarray(signal.transpose(1, 0, 2)).reshape(n_node, -1)
    means = (matrix @ nodes_first).reshape(matrix.shape[0], n_time, batch)
    return np.ascontiguousarray(means.transpose(1, 0, 2))


@register_engine_monitor(BalloonWindkesselBold)
class EngineBalloonWindkesselBold(AbstractEngineMonitor):
    """The same :func:`advance` over chunks, all nodes and batch members; state kept between
    chunks (memory independent of the run length), starting from the TVB monitor's state."""

    def __init__(self, monitor, spec, batch):
        super().__init__(monitor, spec, batch)
        self.variable_names = ("BOLD",)
        self.istep = int(monitor.istep)
        self.n_h = int(monitor.hemodynamic_steps)
        self.params = monitor.kernel_parameters.copy()
        self.region_mean = monitor.region_mean
        if self.region_mean is not None:
            self.space, self.space_labels = "region", tuple(monitor.region_labels)
        n_node = len(self.space_labels)
        self.state = np.array(
            np.broadcast_to(monitor.hemodynamic_state[..., :1], (4, n_node, batch))
        )
        self.drive_sum = np.array(np.broadcast_to(monitor.drive_sum[:, :1], (n_node, batch)))
        # The drive's means over the hemodynamic blocks, continuing the block under way from
        # the TVB monitor's sum of it (read only when the engine forms the block sums). With
        # region means on a surface the engine's block sums are per node and the TVB monitor's
        # sum per region: a run that starts within a hemodynamic step hands over every step.
        self.block_average = None
        if self.region_mean is None or spec.current_step % self.n_h == 0:
            self.block_average = BlockAverage(self.n_h, None, spec.current_step, batch)
        if self.region_mean is None and spec.current_step % self.n_h:
            self.block_average.sum_under_way = self.drive_sum[np.newaxis].copy()
            self.block_average.steps_under_way = spec.current_step % self.n_h
        self.summed = False  # whether the engine formed the block sums (consume_means)
        self.blow_up = np.full((2, batch), -1, dtype=np.int64)

    def _record_blow_ups(self, sampled: np.ndarray, out: np.ndarray) -> None:
        """Note each member's first non-finite sample (step, region) in :attr:`blow_up`."""
        for b in np.flatnonzero(self.blow_up[0] < 0):
            bad = _first_non_finite(out[..., b])
            if bad is not None:
                self.blow_up[:, b] = int(sampled[bad[0]]), bad[1]

    def blow_up_error(self, member: int = 0) -> SimulationBlowUpError:
        step, region = (int(v) for v in self.blow_up[:, member])
        label = self.space_labels[region]
        return hemodynamic_blow_up(self.monitor, step * self.dt, step, label, region)

    def update_tvb_monitor(self):
        """The haemodynamic state and the drive summed over the hemodynamic step under way."""
        self.monitor.hemodynamic_state[:] = self.state[..., :1]
        drive_sum = self.drive_sum
        if self.summed:
            under_way = self.block_average.sum_under_way
            if under_way is None:
                drive_sum = np.zeros_like(drive_sum)
            elif self.region_mean is None:
                drive_sum = under_way[0]
            else:  # the nodes' sums to their regions' (the mean of the sums)
                drive_sum = region_means(self.region_mean, under_way[0][np.newaxis])[0]
        self.monitor.drive_sum[:] = drive_sum[:, :1]

    def consume_means(self, steps, ends, means):
        self.summed = True
        sampled = steps[steps % self.istep == 0]
        out = np.empty((len(sampled), len(self.space_labels), self.batch))
        drive = means[:, 0]
        if self.region_mean is not None:
            drive = region_means(self.region_mean, drive)
        if len(ends):
            advance_blocks(np.ascontiguousarray(ends), np.ascontiguousarray(drive),
                           self.istep, self.params, self.state, out)  # fmt: skip
        self._record_blow_ups(sampled, out)
        return sampled * self.dt, out[:, np.newaxis]

    def consume(self, steps, obs):
        sampled = steps[steps % self.istep == 0]
        out = np.empty((len(sampled), len(self.space_labels), self.batch))
        variable = int(self.voi[0])
        if self.region_mean is not None:
            obs, variable = region_means(self.region_mean, obs[:, variable])[:, np.newaxis], 0
        if len(steps):
            advance(int(steps[0]), np.ascontiguousarray(obs), variable, self.n_h,
                    self.istep, self.params, self.state, self.drive_sum, out)  # fmt: skip
        self._record_blow_ups(sampled, out)
        return sampled * self.dt, out[:, np.newaxis]
