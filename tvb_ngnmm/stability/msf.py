r"""The Master Stability Function: stability of the homogeneous state against each eigenmode.

A network of identical nodes :math:`\dot x_i = f(x_i, C_i)` with the linear coupling
:math:`C_i = \varepsilon (\sum_j \hat W_{ij} x_{c,j} - \kappa_i x_{c,i})`, i.e.
:math:`C = \varepsilon M x_c` with the *coupling operator*
:math:`M = \hat W - \mathrm{diag}\,\kappa`, has a homogeneous solution :math:`x_i = x` when
every row of :math:`M` sums to the same :math:`\sigma`; then :math:`C = \varepsilon\sigma x_c`
(for additive coupling on a row-normalised connectome :math:`\sigma = 1` and
:math:`C = \varepsilon s_e`; for Laplacian coupling ``'none'`` or ``'rw'``, :math:`\sigma = 0`).
Writing a perturbation as :math:`\delta x_i = \sum_k v_{k,i} \xi_k` with
:math:`M v_k = \Lambda_k v_k`, each mode obeys

.. math::

    \dot \xi_k = \big[ J(x, \varepsilon\sigma x_c)
                   + \varepsilon \Lambda_k\, \partial_C f\, E_c \big]\, \xi_k ,

with :math:`J = \partial_x f` and :math:`E_c` selecting the coupling variables. The mode with
:math:`\Lambda = \sigma` (eigenvector :math:`\propto 1`) is the synchronous one; the others are
transverse. Around a fixed point the growth rate of mode :math:`k` is the largest real part of the
eigenvalues of that matrix and its frequency the imaginary part; around a limit cycle, the
largest Floquet exponent of the same equation over one period. :math:`\Lambda_k` may be complex
(AAL90's weights are not symmetric). A coupling operator that is not diagonalisable (ill-
conditioned eigenvector matrix) raises :class:`NonDiagonalisableError`. Delays are not taken into
account (the analysis is of the network without delays).
"""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

import numpy as np
from scipy.integrate import solve_ivp
from tqdm.auto import tqdm

from ..coupling.linear_form import linear_form
from .fixed_points import (
    NoFixedPointError,
    _solve,
    _sorted_eigenvalues,
    find_fixed_points,
    homogeneous_jacobian,
)
from .jacobian import VectorField
from .limit_cycles import LimitCycle, OrbitNotClosedError, find_limit_cycle

__all__ = [
    "CouplingModes",
    "NonDiagonalisableError",
    "TransverseSpectrum",
    "coupling_modes",
    "msf_map",
    "transverse_floquet",
    "transverse_modes",
]


class NonDiagonalisableError(ValueError):
    """Raised when the coupling operator has no well-conditioned eigenvector basis."""


@dataclass(frozen=True)
class CouplingModes:
    """Eigendecomposition of the coupling operator :math:`M = \\hat W - \\mathrm{diag}\\,\\kappa`.

    Parameters
    ----------
    eigenvalues : numpy.ndarray of complex, shape (n_node,)
        :math:`\\Lambda_k`.
    eigenvectors : numpy.ndarray of complex, shape (n_node, n_node)
        Right eigenvectors as columns (unit norm).
    left_eigenvectors : numpy.ndarray of complex, shape (n_node, n_node)
        Rows of the inverse of ``eigenvectors``: the projection of a network pattern onto modes.
    synchronous : int
        Index of the synchronous mode (eigenvector along the uniform vector).
    row_sum : float
        :math:`\\sigma`, the common row sum of :math:`M`.
    gain : float
        The coupling gain :math:`\\varepsilon` of the coupling given (1 if none).
    condition : float
        Condition number of the eigenvector matrix.
    """

    eigenvalues: np.ndarray
    eigenvectors: np.ndarray
    left_eigenvectors: np.ndarray
    synchronous: int
    row_sum: float
    gain: float
    condition: float

    def project(self, pattern: np.ndarray) -> np.ndarray:
        """Mode amplitudes of a network pattern ``(..., n_node)``: :math:`V^{-1} p`.

        Parameters
        ----------
        pattern : numpy.ndarray, shape (..., n_node)
            A value per node (e.g. a perturbation of one state variable).
        """
        return np.asarray(pattern) @ self.left_eigenvectors.T


def _operator(weights: np.ndarray, coupling) -> tuple[np.ndarray, float]:
    weights = np.asarray(weights, dtype=float)
    if coupling is None:
        return weights, 1.0
    name = type(coupling).__name__
    gain = np.asarray(coupling.a, dtype=float).ravel()
    if gain.size != 1:
        raise ValueError(
            f"Invalid value for the 'a' parameter of {name}: the MSF needs one gain for all "
            f"regions, but got {gain.size} values."
        )
    form = linear_form(coupling, weights)
    if form is not None and np.all(form.offset == 0.0):
        return form.operator, float(gain[0])
    raise ValueError(
        "Invalid value for the 'coupling' parameter. Allowed values are None, "
        "tvb_ngnmm.coupling.Additive, tvb_ngnmm.coupling.Laplacian, TVB's Linear (with b=0) and "
        f"Difference, but got {name} instead."
    )


def coupling_modes(weights: np.ndarray, coupling=None, *, max_condition: float = 1e8):
    """Eigenmodes of the coupling operator of a connectome and a linear coupling.

    Parameters
    ----------
    weights : numpy.ndarray, shape (n_node, n_node)
        Connectivity ``W[to, from]``.
    coupling : optional
        ``Additive`` or ``Laplacian`` (any normalisation), TVB's ``Linear`` or ``Difference``;
        None means :math:`M = W` with gain 1.
    max_condition : float
        Largest accepted condition number of the eigenvector matrix.

    Returns
    -------
    CouplingModes
        The eigenmodes of the coupling operator.

    Raises
    ------
    ValueError
        If the rows of :math:`M` do not all sum to the same value (no homogeneous state).
    NonDiagonalisableError
        If the eigenvector matrix's condition number exceeds ``max_condition``.
    """
    operator, gain = _operator(weights, coupling)
    sums = operator.sum(axis=1)
    if np.ptp(sums) > 1e-9 * max(1.0, np.max(np.abs(sums))):
        raise ValueError(
            f"Invalid value for the 'weights' parameter: the homogeneous state needs equal row "
            f"sums of the coupling operator, but they range from {sums.min():.6g} to "
            f"{sums.max():.6g} (normalise the weights by row, or use normalize='rw')."
        )
    eigenvalues, vectors = np.linalg.eig(operator)
    condition = float(np.linalg.cond(vectors))
    if not np.isfinite(condition) or condition > max_condition:
        raise NonDiagonalisableError(
            f"The coupling operator is not diagonalisable: the condition number of its "
            f"eigenvector matrix is {condition:.3g} > max_condition={max_condition:.3g}."
        )
    uniform = np.ones(len(sums)) / np.sqrt(len(sums))
    synchronous = int(np.argmax(np.abs(uniform @ vectors)))
    left = np.linalg.inv(vectors)
    return CouplingModes(eigenvalues, vectors, left, synchronous, float(sums[0]), gain, condition)


@dataclass(frozen=True)
class TransverseSpectrum:
    """Growth rate and frequency of every eigenmode around the homogeneous state.

    Parameters
    ----------
    kind : str
        ``'fixed point'`` or ``'limit cycle'``.
    coupling_eigenvalues : numpy.ndarray of complex, shape (n_mode,)
    exponents : numpy.ndarray of complex, shape (n_mode, n_var)
        Eigenvalues (fixed point) or Floquet exponents (limit cycle) per mode, 1/ms.
    growth_rate : numpy.ndarray, shape (n_mode,)
        Largest real part per mode (1/ms).
    frequency : numpy.ndarray, shape (n_mode,)
        Frequency of the fastest-growing direction of each mode (Hz).
    synchronous : int
        Index of the synchronous mode.
    homogeneous_state : numpy.ndarray, shape (n_var,)
        The fixed point, or the start of the orbit (rates in kHz).
    homogeneous_stable : bool
        Stability of the homogeneous state within the synchronous manifold.
    """

    kind: str
    coupling_eigenvalues: np.ndarray
    exponents: np.ndarray
    growth_rate: np.ndarray
    frequency: np.ndarray
    synchronous: int
    homogeneous_state: np.ndarray
    homogeneous_stable: bool

    @property
    def transverse(self) -> np.ndarray:
        """Indices of the transverse modes."""
        return np.delete(np.arange(len(self.growth_rate)), self.synchronous)

    @property
    def n_unstable(self) -> int:
        """Number of transverse modes with a positive growth rate.

        Around a limit cycle, rates below 1e-6/ms count as neutral (a multiplier numerically at 1).
        """
        threshold = 1e-6 if self.kind == "limit cycle" else 0.0
        return int(np.sum(self.growth_rate[self.transverse] > threshold))

    @property
    def fastest(self) -> int:
        """Index of the transverse mode with the largest growth rate."""
        return int(self.transverse[np.argmax(self.growth_rate[self.transverse])])

    def to_dataset(self):
        """The spectrum as an :class:`xarray.Dataset` (dimension ``mode``)."""
        # deferred: xarray imports pandas (0.5 s); only the labelled outputs need it
        import xarray as xr  # noqa: PLC0415

        data = {
            "coupling_eigenvalue_real": ("mode", self.coupling_eigenvalues.real),
            "coupling_eigenvalue_imag": ("mode", self.coupling_eigenvalues.imag),
            "growth_rate": ("mode", self.growth_rate, {"units": "1/ms"}),
            "frequency": ("mode", self.frequency, {"units": "Hz"}),
        }
        attrs = {"kind": self.kind, "synchronous": self.synchronous,
                 "n_unstable": self.n_unstable, "fastest": self.fastest}  # fmt: skip
        return xr.Dataset(data, attrs=attrs)


def _mode_matrices(field, state, strength, modes):
    g = strength * modes.row_sum
    c = g * state[field.cvar]
    jac = field.jacobian(state, c)
    b = np.zeros_like(jac)
    b[:, field.cvar] = field.coupling_jacobian(state, c)
    return jac[None] + strength * modes.eigenvalues[:, None, None] * b[None], g


def _homogeneous_fixed_point(field, g, state):
    if state is not None:
        x = _solve(field, np.asarray(state, dtype=float), g)
        if x is not None:
            return x
    fixed = find_fixed_points(field, g)
    stable = np.flatnonzero(fixed.stable)
    return fixed.states[stable[0] if stable.size else 0]


def transverse_modes(
    model,
    modes: CouplingModes,
    coupling_strength: float | None = None,
    *,
    state: np.ndarray | None = None,
    **parameters: float,
) -> TransverseSpectrum:
    """Growth rates and frequencies of all modes around the homogeneous fixed point.

    Parameters
    ----------
    model : tvb.simulator.models.base.Model or VectorField
        The node model (one value per parameter).
    modes : CouplingModes
        From :func:`coupling_modes`.
    coupling_strength : float, optional
        :math:`\\varepsilon`; by default the gain of the coupling given to :func:`coupling_modes`.
    state : numpy.ndarray, shape (n_var,), optional
        A guess of the homogeneous fixed point; by default the stable one with the lowest first
        state variable (see :func:`~tvb_ngnmm.stability.find_fixed_points`).
    **parameters : float
        Model parameters to override.

    Returns
    -------
    TransverseSpectrum
        Growth rate and frequency of every mode.
    """
    field = model if isinstance(model, VectorField) else VectorField(model)
    field = field.with_parameters(**parameters) if parameters else field
    strength = modes.gain if coupling_strength is None else float(coupling_strength)
    x = _homogeneous_fixed_point(field, strength * modes.row_sum, state)
    matrices, g = _mode_matrices(field, x, strength, modes)
    exponents = _sorted_eigenvalues(matrices)
    homogeneous = _sorted_eigenvalues(homogeneous_jacobian(field, x, g))
    return TransverseSpectrum(
        "fixed point", modes.eigenvalues, exponents, exponents[:, 0].real,
        np.abs(exponents[:, 0].imag) / (2 * np.pi) * 1000.0, modes.synchronous, x,
        bool(np.all(homogeneous.real < 0)),
    )  # fmt: skip


def transverse_floquet(
    model,
    modes: CouplingModes,
    cycle: LimitCycle,
    coupling_strength: float | None = None,
    *,
    n_steps: int = 2000,
    **parameters: float,
) -> TransverseSpectrum:
    """Floquet exponents of all modes around the homogeneous limit cycle.

    The orbit and the variational equation of every mode are integrated together over one
    period with the classical fourth-order Runge–Kutta scheme (``n_steps`` steps).

    Parameters
    ----------
    model : tvb.simulator.models.base.Model or VectorField
        The node model (the same parameters as the cycle's).
    modes : CouplingModes
        From :func:`coupling_modes`.
    cycle : LimitCycle
        The homogeneous orbit, found with ``self_coupling = ε σ``.
    coupling_strength : float, optional
        :math:`\\varepsilon`; by default the gain of the coupling given to :func:`coupling_modes`.
    n_steps : int
        Runge–Kutta steps per period.
    **parameters : float
        Model parameters to override.

    Returns
    -------
    TransverseSpectrum
        With ``kind='limit cycle'``; frequencies are :math:`\\arg\\mu / (2\\pi T)` in Hz.
    """
    field = model if isinstance(model, VectorField) else VectorField(model)
    field = field.with_parameters(**parameters) if parameters else field
    strength = modes.gain if coupling_strength is None else float(coupling_strength)
    g = strength * modes.row_sum
    if not np.isclose(g, cycle.self_coupling):
        raise ValueError(
            f"Invalid value for the 'cycle' parameter: it was found with self_coupling="
            f"{cycle.self_coupling}, but ε σ = {g} here."
        )
    monodromy = _transverse_monodromy(field, modes, strength, cycle, n_steps)
    multipliers = np.linalg.eigvals(monodromy)
    order = np.argsort(-np.abs(multipliers), axis=-1)
    multipliers = np.take_along_axis(multipliers, order, axis=-1)
    exponents = (np.log(np.abs(multipliers)) + 1j * np.angle(multipliers)) / cycle.period
    growth = exponents[:, 0].real.copy()
    sync = modes.synchronous
    growth[sync] = exponents[sync, 1].real  # skip the trivial multiplier along the flow
    return TransverseSpectrum(
        "limit cycle", modes.eigenvalues, exponents, growth,
        np.abs(exponents[:, 0].imag) / (2 * np.pi) * 1000.0, sync, cycle.orbit[0],
        cycle.stable,
    )  # fmt: skip


def _transverse_monodromy(field, modes, strength, cycle, n_steps):
    """RK4 on the variational equation of every mode along the (accurately integrated) orbit."""
    n = field.n_var
    g = strength * modes.row_sum
    orbit = solve_ivp(
        lambda t, x: field(x, g * x[field.cvar]), (0.0, cycle.period), cycle.orbit[0],
        method="DOP853", rtol=1e-10, atol=1e-12, dense_output=True,
    ).sol  # fmt: skip
    h = cycle.period / n_steps
    x = orbit(np.arange(2 * n_steps + 1) * (h / 2.0)).T  # states at every half step
    c = g * x[:, field.cvar]
    b = np.zeros((len(x), n, n))
    b[:, :, field.cvar] = field.coupling_jacobian(x, c)
    jac = field.jacobian(x, c)
    lam = strength * modes.eigenvalues[:, None, None]
    y = np.broadcast_to(np.eye(n, dtype=complex), (len(modes.eigenvalues), n, n)).copy()
    for m in range(n_steps):
        a0, a1, a2 = (jac[2 * m + k][None] + lam * b[2 * m + k][None] for k in range(3))
        k1 = a0 @ y
        k2 = a1 @ (y + 0.5 * h * k1)
        k3 = a1 @ (y + 0.5 * h * k2)
        k4 = a2 @ (y + h * k3)
        y = y + h / 6.0 * (k1 + 2 * k2 + 2 * k3 + k4)
    return y


def _cycle_spectrum(field, modes, strength, fixed_point):
    """The Floquet MSF around the homogeneous cycle born where the fixed point is unstable."""
    g = strength * modes.row_sum
    try:
        cycle = find_limit_cycle(field, g, state=fixed_point * 1.01, transient=500.0, window=200.0)
    except OrbitNotClosedError:
        return None
    return transverse_floquet(field, modes, cycle, strength, n_steps=500)


def _map_row(field, modes, parameter, value, strengths, limit_cycles=False):
    """One row of :func:`msf_map`: all coupling strengths at one parameter value."""
    field = field.with_parameters(**{parameter: value})
    out = np.full((8, len(strengths)), np.nan)
    state = None
    for j, strength in enumerate(strengths):
        try:
            spectrum = transverse_modes(field, modes, strength, state=state)
        except NoFixedPointError:
            state = None
            continue
        state = spectrum.homogeneous_state
        stable, on_cycle = spectrum.homogeneous_stable, False
        if limit_cycles and not stable:
            cycle_spectrum = _cycle_spectrum(field, modes, strength, state)
            if cycle_spectrum is not None:
                spectrum, on_cycle = cycle_spectrum, True
        fastest = spectrum.fastest
        out[:, j] = (
            spectrum.growth_rate[fastest], fastest, spectrum.frequency[fastest],
            spectrum.n_unstable, state[0] * 1000.0, stable, 1.0, on_cycle,
        )  # fmt: skip
    return out


def msf_map(
    model,
    modes: CouplingModes,
    parameter: str,
    values: np.ndarray,
    coupling_strengths: np.ndarray,
    *,
    n_jobs: int = 2,
    progress: bool = True,
    limit_cycles: bool = False,
):
    """The MSF around the homogeneous state over a grid of (parameter, coupling strength).

    Along each row the homogeneous fixed point is continued from one strength to the next
    (starting from the lowest stable one), so the map follows one branch. With
    ``limit_cycles=True``, where that fixed point is unstable the homogeneous limit cycle is
    found (:func:`~tvb_ngnmm.stability.find_limit_cycle`) and its Floquet MSF used instead
    (about a second or two per such point).

    Parameters
    ----------
    model : tvb.simulator.models.base.Model or VectorField
        The node model.
    modes : CouplingModes
        From :func:`coupling_modes`.
    parameter : str
        A model parameter, e.g. ``'I_e'``.
    values, coupling_strengths : numpy.ndarray
        The grid.
    n_jobs : int
        Worker processes (1: in this process).
    progress : bool
        Show a tqdm progress bar over the rows.
    limit_cycles : bool
        Use the Floquet MSF of the homogeneous limit cycle where the fixed point is unstable.

    Returns
    -------
    xarray.Dataset
        On dimensions ``(parameter, 'coupling_strength')``: ``max_growth_rate`` (1/ms) and
        ``fastest_mode``, ``fastest_frequency`` (Hz), ``n_unstable``, ``homogeneous_rate`` (first
        state variable, Hz), ``homogeneous_stable`` and ``found`` (False where no homogeneous
        fixed point was found: those points are NaN) and ``on_limit_cycle`` (True where the values
        are Floquet exponents of the homogeneous cycle).
    """
    # deferred: xarray imports pandas (0.5 s); only the labelled outputs need it
    import xarray as xr  # noqa: PLC0415

    field = model if isinstance(model, VectorField) else VectorField(model)
    if parameter not in field.parameters:
        raise ValueError(
            f"Invalid value for the 'parameter' parameter. Allowed values are "
            f"{sorted(field.parameters)}, but got {parameter!r} instead."
        )
    values = np.asarray(values, dtype=float)
    strengths = np.asarray(coupling_strengths, dtype=float)
    args = [(field, modes, parameter, v, strengths, limit_cycles) for v in values]
    bar = tqdm(total=len(values), desc="MSF map", disable=not progress)
    if n_jobs == 1:
        rows = []
        for a in args:
            rows.append(_map_row(*a))
            bar.update()
    else:
        with ProcessPoolExecutor(max_workers=n_jobs) as pool:
            futures = [pool.submit(_map_row, *a) for a in args]
            for future in futures:
                future.result()
                bar.update()
            rows = [future.result() for future in futures]
    bar.close()
    grid = np.stack(rows, axis=1)  # (8, n_value, n_strength)
    dims = (parameter, "coupling_strength")
    names = ["max_growth_rate", "fastest_mode", "fastest_frequency", "n_unstable",
             "homogeneous_rate", "homogeneous_stable", "found", "on_limit_cycle"]  # fmt: skip
    data = {name: (dims, grid[k]) for k, name in enumerate(names)}
    data["homogeneous_stable"] = (dims, grid[5] == 1.0)
    data["found"] = (dims, grid[6] == 1.0)
    data["on_limit_cycle"] = (dims, grid[7] == 1.0)
    coords = {parameter: values, "coupling_strength": strengths}
    attrs = {"units": "growth rate 1/ms, frequency and rate Hz"}
    return xr.Dataset(data, coords=coords, attrs=attrs)
