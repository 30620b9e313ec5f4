r"""Microscopic network of quadratic integrate-and-fire neurons: the exactness reference.

The ``NextGenEI`` and ``MPRSynaptic`` models are the exact mean field of all-to-all networks of
QIF neurons with Lorentzian-distributed excitabilities (Montbrió, Pazó & Roxin 2015). This module
simulates such a network for a model's parameter set, so that the mean field can be checked
against the spikes it claims to describe.

Neuron ``j`` of population ``a`` obeys

.. math::

    \tau_a \dot V_j = V_j^2 + \eta_j + I_a + I_a^{ext}(t) + \tau_a \sum_b J_{ab} s_b,
    \qquad \tau_{s,b} \dot s_b = -s_b + r_b,

signed weights :math:`J_{EE} = J_{ee}, J_{EI} = -J_{ei}, J_{IE} = J_{ie}, J_{II} = -J_{ii}`
(``NextGenEI``) or the single ``J`` (``MPRSynaptic``), deterministic Lorentzian quantiles
:math:`\eta_j = \eta_a + \Delta_a \tan(\frac{\pi}{2} \frac{2j - N - 1}{N + 1})`,
:math:`j = 1..N`, and ``r_b`` the population rate (spikes per neuron per ms). All-to-all
coupling makes ``s_b`` one variable per population, kicked by
``1 / (N tau_s)`` at each spike.

**Spikes and resets at infinity.** Each neuron is advanced with the exact solution of its
equation over the step (input held constant within the step; see ``_kernel``): a spike is the
crossing of ``V = +∞``, after which the voltage re-enters from ``−∞``. This is the
``v_peak → ∞`` limit that the mean-field theory describes, with spike times exact within the
step; no finite-peak refractory approximation is needed. ``v_peak`` only sets which neurons count
in the mean voltage: the voltage distribution is Lorentzian (it has no mean), and the mean field's
``v`` is its centre; the average over neurons with ``|V| < v_peak`` (those not "in a spike") is
the usual estimate, with a relative bias of order ``2 tau r / v_peak``.
"""

from __future__ import annotations

import math
import time as _time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ._kernel import run_network
from ._populations import (
    InputCurrent,
    NetworkParameters,
    external_current,
    initial_state_array,
    network_parameters,
)


@dataclass(frozen=True)
class PopulationActivity:
    """Population-level traces, one column per population.

    Parameters
    ----------
    time : numpy.ndarray
        Sample times (ms), shape ``(n_samples,)``.
    rates : numpy.ndarray
        Firing rates (kHz = spikes/ms), shape ``(n_samples, n_pop)``.
    voltages : numpy.ndarray
        Mean membrane potentials (dimensionless), shape ``(n_samples, n_pop)``.
    synapses : numpy.ndarray
        Synaptic activations (kHz), shape ``(n_samples, n_pop)``.
    populations : tuple of str
        Population labels, e.g. ``('E', 'I')``.
    """

    time: np.ndarray
    rates: np.ndarray
    voltages: np.ndarray
    synapses: np.ndarray
    populations: tuple[str, ...]


@dataclass(frozen=True)
class QIFNetworkResult(PopulationActivity):
    """Output of :func:`simulate_qif_network`: the traces of :class:`PopulationActivity`, plus
    the spikes and the run's settings.

    Parameters
    ----------
    time : numpy.ndarray
        Sample times (ms), shape ``(n_samples,)``.
    rates : numpy.ndarray
        Firing rates (kHz = spikes/ms), shape ``(n_samples, n_pop)``.
    voltages : numpy.ndarray
        Mean membrane potentials (dimensionless), shape ``(n_samples, n_pop)``.
    synapses : numpy.ndarray
        Synaptic activations (kHz), shape ``(n_samples, n_pop)``.
    populations : tuple of str
        Population labels, e.g. ``('E', 'I')``.
    spike_times : numpy.ndarray
        Times (ms) of the spikes of the recorded neurons.
    spike_neurons : numpy.ndarray
        Global index of the neuron of each spike: neuron ``j`` (ordered by excitability) of
        population ``a`` has index ``a * n_neurons + j``.
    n_neurons : int
        Neurons per population.
    dt : float
        Time step (ms).
    rate_window : float
        Width (ms) of the centred boxcar the rates are averaged over.
    v_peak : float
        Voltage bound of the neurons averaged into the mean voltage.
    wall_time : float
        Time (s) the integration took (includes Numba compilation on the first call in a
        session when the compiled kernel is not cached yet).
    """

    spike_times: np.ndarray
    spike_neurons: np.ndarray
    n_neurons: int
    dt: float
    rate_window: float
    v_peak: float
    wall_time: float


def lorentzian_quantiles(centre: float, half_width: float, n: int) -> np.ndarray:
    """Deterministic Lorentzian sample ``centre + half_width tan(pi/2 (2j − n − 1)/(n + 1))``.

    Parameters
    ----------
    centre, half_width : float
        Centre and half-width at half-maximum of the distribution.
    n : int
        Number of values (``j = 1..n``).

    Returns
    -------
    numpy.ndarray
        Sorted values, shape ``(n,)``.
    """
    j = np.arange(1, n + 1)
    return centre + half_width * np.tan(0.5 * np.pi * (2 * j - n - 1) / (n + 1))


def _check_positive(name: str, value: float) -> float:
    value = float(value)
    if not (math.isfinite(value) and value > 0):
        raise ValueError(
            f"Invalid value for the {name!r} parameter. Allowed values are > 0 (finite), "
            f"but got {value!r} instead."
        )
    return value


def _steps(name: str, interval: float, dt: float) -> int:
    """``interval / dt`` as an integer; raise unless ``interval`` is a multiple of ``dt``."""
    ratio = interval / dt
    steps = round(ratio)
    if steps < 1 or abs(ratio - steps) > 1e-6 * max(ratio, 1.0):
        raise ValueError(
            f"Invalid value for the {name!r} parameter. Allowed values are positive multiples "
            f"of dt ({dt:g} ms), but got {interval!r} instead."
        )
    return steps


def _initial_voltages(params: NetworkParameters, state: np.ndarray, n: int, seed) -> np.ndarray:
    """Voltages of a Lorentzian with the initial ``(r, v)``, shuffled against the ``eta_j``."""
    rng = np.random.default_rng(seed)
    voltage = np.empty((len(params.tau), n))
    for a, (i_r, i_v, _) in enumerate(params.state_index):
        rate, mean = state[i_r], state[i_v]
        if rate < 0:
            raise ValueError(
                f"Invalid value for the 'initial_state' parameter. Allowed are rates >= 0, "
                f"but got {params.layouts[a].rate} = {rate!r} instead."
            )
        spread = lorentzian_quantiles(mean, np.pi * params.tau[a] * rate, n)
        voltage[a] = spread[rng.permutation(n)]
    return voltage


def _record_slots(n_pop: int, n: int, record_spikes: int) -> np.ndarray:
    """Mark ``record_spikes`` neurons per population, evenly spread over the excitabilities."""
    if isinstance(record_spikes, bool) or not isinstance(record_spikes, int | np.integer):
        raise ValueError(
            "Invalid value for the 'record_spikes' parameter. Allowed are integers >= 0, "
            f"but got {record_spikes!r} instead."
        )
    if record_spikes < 0:
        raise ValueError(
            "Invalid value for the 'record_spikes' parameter. Allowed are integers >= 0, "
            f"but got {record_spikes!r} instead."
        )
    slots = np.zeros((n_pop, n), dtype=np.bool_)
    slots[:, np.round(np.linspace(0, n - 1, min(record_spikes, n))).astype(int)] = True
    return slots


def _smoothed_rates(counts: np.ndarray, n: int, dt: float, window: int, every: int):
    """Rates (kHz) at every ``every``-th step from a centred boxcar of ``window`` steps."""
    n_steps = counts.shape[0]
    cumulative = np.vstack([np.zeros((1, counts.shape[1])), np.cumsum(counts, axis=0)])
    sample_steps = np.arange(0, n_steps + 1, every)
    start = sample_steps - window // 2
    lo = np.clip(start, 0, n_steps - 1)
    hi = np.clip(start + window, lo + 1, n_steps)  # at least one step, also at the ends
    spikes = cumulative[hi] - cumulative[lo]
    return spikes / (n * dt * (hi - lo))[:, None]


def _check_n_neurons(n_neurons) -> int:
    if isinstance(n_neurons, bool) or not isinstance(n_neurons, int | np.integer) or n_neurons < 1:
        raise ValueError(
            "Invalid value for the 'n_neurons' parameter. Allowed are integers >= 1, "
            f"but got {n_neurons!r} instead."
        )
    return int(n_neurons)


def simulate_qif_network(
    model,
    n_neurons: int = 10_000,
    duration: float = 100.0,
    dt: float = 0.01,
    input_current: InputCurrent | None = None,
    initial_state: Sequence[float] | None = None,
    record_spikes: int = 200,
    v_peak: float = 100.0,
    sample_interval: float = 0.1,
    rate_window: float = 0.5,
    seed: int | None = 0,
) -> QIFNetworkResult:
    """Simulate the spiking QIF network that a mean-field parameter set describes.

    Parameters
    ----------
    model : NextGenEI or MPRSynaptic
        Configured or not; every parameter must hold one value. Long-range coupling is absent.
    n_neurons : int
        Neurons per population.
    duration : float
        Simulated time (ms).
    dt : float
        Time step (ms). The neurons' flow is exact for the input held over a step; the error
        comes from that hold (the synaptic input lags by ``dt / 2``).
    input_current : callable, optional
        ``f(t)`` → sequence of one extra current per population (dimensionless, added to
        ``I_e``, ``I_i`` or ``I``) at time ``t`` (ms), e.g. :class:`StepCurrent`. Evaluated at
        the middle of each step.
    initial_state : sequence of float, optional
        Mean-field state to start from, in the model's state-variable order (e.g.
        ``r_e, v_e, s_e, r_i, v_i, s_i``; rates in kHz). The voltages start as the Lorentzian
        of centre ``v`` and half-width ``pi tau r``, assigned to neurons in a random order
        independent of their excitability. Default: all zero.
    record_spikes : int
        Neurons per population whose spike times are kept, evenly spread over the
        excitabilities.
    v_peak : float
        Neurons with ``|V| >= v_peak`` are in a spike and left out of the mean voltage.
    sample_interval : float
        Interval (ms) between output samples; a multiple of ``dt``.
    rate_window : float
        Width (ms) of the boxcar over which the output rates are averaged: the spikes of the
        ``round(rate_window / dt)`` steps around each sample time (centred; with an odd number
        of steps, half a step later), divided by ``n_neurons`` and the window width; truncated
        at the ends of the run.
    seed : int or None
        Seed of the shuffle of initial voltages against excitabilities.

    Returns
    -------
    QIFNetworkResult
        Rates (kHz), mean voltages, synaptic activations at ``time`` (ms, from 0), and spikes.
    """
    params = network_parameters(model)
    n = _check_n_neurons(n_neurons)
    duration = _check_positive("duration", duration)
    dt = _check_positive("dt", dt)
    v_peak = _check_positive("v_peak", v_peak)
    n_steps = _steps("duration", duration, dt)
    every = _steps("sample_interval", _check_positive("sample_interval", sample_interval), dt)
    window = max(1, round(_check_positive("rate_window", rate_window) / dt))
    state = initial_state_array(model, initial_state)
    voltage = _initial_voltages(params, state, n, seed)
    slots = _record_slots(len(params.tau), n, record_spikes)
    eta = np.array(
        [lorentzian_quantiles(e, d, n) for e, d in zip(params.eta, params.Delta, strict=True)]
    )
    external = external_current(input_current, (np.arange(n_steps) + 0.5) * dt, len(params.tau))
    start = _time.perf_counter()
    counts, voltages, synapses, spike_times, spike_neurons = run_network(
        voltage, eta, params.tau, params.tau_s, params.weights, params.current, external,
        state[params.state_index[:, 2]], dt, every, v_peak, slots,
    )  # fmt: skip
    wall_time = _time.perf_counter() - start
    return QIFNetworkResult(
        time=np.arange(voltages.shape[0]) * every * dt,
        rates=_smoothed_rates(counts, n, dt, window, every),
        voltages=voltages,
        synapses=synapses,
        populations=params.labels,
        spike_times=spike_times,
        spike_neurons=spike_neurons,
        n_neurons=n,
        dt=dt,
        rate_window=window * dt,
        v_peak=v_peak,
        wall_time=wall_time,
    )
