"""Numba kernel of the microscopic QIF network: exact per-step flow of each neuron.

Over one step the input ``I`` of a neuron is held constant and its voltage follows the exact
solution of ``tau dV/dt = V² + I``. In projective coordinates ``V = x / y`` this equation is
linear, ``d(x, y)/dh = (I y, −x)`` with ``h = t / tau``, so one step of length ``h`` is the
Möbius map

    V ↦ (C V + S I) / (C − S V),   C = cos(√I h),   S = sin(√I h) / √I

(``cosh``/``sinh`` for ``I < 0``, ``C = 1, S = h`` for ``I = 0``; for ``|I| h² <= 0.1`` both come
from their Taylor series in ``I h²``, accurate to rounding). The neuron crosses ``V = +∞``
(spikes) and re-enters from ``−∞`` (resets) when the denominator ``y`` changes sign: the
peak-and-reset at infinity of the QIF model the mean field is exact for.
"""

from __future__ import annotations

import math

import numpy as np

from .._numba import jit

#: Largest ``|I| h²`` for which ``C`` and ``S`` are taken from their Taylor series.
TAYLOR_LIMIT = 0.1
#: Stand-in for ``−∞`` when a step ends exactly on the spike.
MINUS_INFINITY = -1e150


@jit
def _first_crossing(v0, current):
    """Scaled time ``h`` (units of tau) for ``V`` to go from ``v0`` to ``+∞``."""
    if current > 0.0:
        k = math.sqrt(current)
        return math.atan2(k, v0) / k
    if current < 0.0:
        k = math.sqrt(-current)
        return math.atanh(min(k / v0, 1.0 - 1e-16)) / k
    return 1.0 / v0


@jit
def _taylor_coefficients(current, h):
    """``(C, S)`` of the step map from their Taylor series in ``x = I h²`` (``|x| <= 0.1``)."""
    x = current * h * h
    c = 1.0 + x * (-1 / 2 + x * (1 / 24 + x * (-1 / 720 + x * (1 / 40320 - x / 3628800))))
    s = h * (1.0 + x * (-1 / 6 + x * (1 / 120 + x * (-1 / 5040 + x * (1 / 362880 - x / 39916800)))))
    return c, s


@jit
def _large_input_step(v0, current, h):
    """Exact step for ``|I| h² > TAYLOR_LIMIT``: ``(V1, n_spikes, h_first, h_between)``."""
    if current > 0.0:
        k = math.sqrt(current)
        theta0 = math.atan(v0 / k)
        theta1 = theta0 + k * h
        n_spikes = int(math.floor((theta1 + 0.5 * math.pi) / math.pi))
        h_first = (0.5 * math.pi - theta0) / k
        return k * math.tan(theta1), n_spikes, h_first, math.pi / k
    k = math.sqrt(-current)
    c = math.cosh(k * h)
    s = math.sinh(k * h) / k
    y1 = c - s * v0
    if y1 > 0.0:
        return (c * v0 + s * current) / y1, 0, 0.0, 0.0
    v1 = (c * v0 + s * current) / y1 if y1 < 0.0 else MINUS_INFINITY
    return v1, 1, _first_crossing(v0, current), 0.0


@jit
def qif_step(v0, current, h):
    """Advance one QIF neuron by the exact flow of ``dV/dh = V² + I`` over ``h``.

    Parameters
    ----------
    v0 : float
        Voltage at the start of the step (dimensionless).
    current : float
        Total input ``I`` held over the step (dimensionless).
    h : float
        Step length in units of the membrane time constant (``dt / tau``).

    Returns
    -------
    tuple
        ``(V1, n_spikes, h_first, h_between)``: voltage at the end of the step, number of
        crossings of ``+∞`` during the step, scaled time of the first crossing from the start
        of the step, scaled interval between further crossings.
    """
    if abs(current * h * h) > TAYLOR_LIMIT:
        return _large_input_step(v0, current, h)
    c, s = _taylor_coefficients(current, h)
    y1 = c - s * v0
    if y1 > 0.0:
        return (c * v0 + s * current) / y1, 0, 0.0, 0.0
    v1 = (c * v0 + s * current) / y1 if y1 < 0.0 else MINUS_INFINITY
    return v1, 1, min(_first_crossing(v0, current), h), 0.0


@jit
def _advance_bulk(voltage, previous, denominator, eta, drive, h):
    """Taylor-path step of every neuron of the (sliced) arrays.

    Branch-free and indexed from zero, so that the compiler vectorises it; ``previous`` and
    ``denominator`` receive each neuron's starting voltage and final ``y`` (``<= 0``: spike).
    """
    for j in range(voltage.size):
        current = eta[j] + drive
        c, s = _taylor_coefficients(current, h)
        v0 = voltage[j]
        y1 = c - s * v0
        previous[j] = v0
        denominator[j] = y1
        voltage[j] = (c * v0 + s * current) / y1


@jit
def _advance_population(voltage, eta, drive, h, scratch, events):
    """One step of every neuron of a population; returns the number of spike events.

    ``events`` rows are ``(neuron, n_spikes, h_first, h_between)``. Neurons are sorted by
    ``eta``, so the few that need the non-Taylor path sit at both ends.
    """
    limit = TAYLOR_LIMIT / (h * h)
    lo = np.searchsorted(eta, -limit - drive, side="left")
    hi = np.searchsorted(eta, limit - drive, side="right")
    previous, denominator = scratch[0], scratch[1]
    _advance_bulk(voltage[lo:hi], previous[lo:hi], denominator[lo:hi], eta[lo:hi], drive, h)
    n_events = 0
    for i in range(hi - lo):
        if denominator[lo + i] <= 0.0:
            j = lo + i
            if denominator[j] == 0.0:
                voltage[j] = MINUS_INFINITY
            h_first = min(_first_crossing(previous[j], eta[j] + drive), h)
            events[n_events, 0], events[n_events, 1] = j, 1.0
            events[n_events, 2], events[n_events, 3] = h_first, 0.0
            n_events += 1
    n_events = _advance_exactly(voltage, eta, drive, h, 0, lo, events, n_events)
    return _advance_exactly(voltage, eta, drive, h, hi, voltage.size, events, n_events)


@jit
def _advance_exactly(voltage, eta, drive, h, start, stop, events, n_events):
    """General-path step of neurons ``start..stop-1``; appends their spikes to ``events``."""
    for j in range(start, stop):
        v1, n_spikes, h_first, h_between = qif_step(voltage[j], eta[j] + drive, h)
        voltage[j] = v1
        if n_spikes > 0:
            events[n_events, 0], events[n_events, 1] = j, n_spikes
            events[n_events, 2], events[n_events, 3] = h_first, h_between
            n_events += 1
    return n_events


@jit
def _grow(buffer):
    bigger = np.empty(2 * buffer.size, dtype=buffer.dtype)
    bigger[: buffer.size] = buffer
    return bigger


@jit
def _mean_voltage(voltages, v_peak):
    total = 0.0
    count = 0
    for v in voltages:
        if abs(v) < v_peak:
            total += v
            count += 1
    return total / count if count > 0 else np.nan


@jit
def run_network(
    voltage, eta, tau, tau_s, weights, current, external, s0,
    dt, steps_per_sample, v_peak, record_slot,
):  # fmt: skip
    """Integrate the all-to-all QIF network; the state ``voltage`` is updated in place.

    Parameters
    ----------
    voltage, eta : ndarray, shape (n_pop, n_neurons)
        Voltages (dimensionless) and excitabilities (sorted along each row) of every neuron.
    tau, tau_s, current : ndarray, shape (n_pop,)
        Membrane and synaptic time constants (ms), constant current.
    weights : ndarray, shape (n_pop, n_pop)
        Signed synaptic weights, target × source.
    external : ndarray, shape (n_steps, n_pop)
        External current at the middle of each step.
    s0 : ndarray, shape (n_pop,)
        Initial synaptic activations (kHz).
    dt : float
        Time step (ms).
    steps_per_sample : int
        Steps between recorded samples of the mean voltage and synaptic activation.
    v_peak : float
        Neurons with ``|V| >= v_peak`` are left out of the mean voltage.
    record_slot : ndarray of bool, shape (n_pop, n_neurons)
        Neurons whose spikes are recorded.

    Returns
    -------
    tuple
        ``(counts, voltages, synapses, spike_times, spike_neurons)``: spikes per step and
        population ``(n_steps, n_pop)``, sampled mean voltages and synaptic activations
        ``(n_samples, n_pop)``, and the recorded spikes (ms, global neuron index).
    """
    n_pop, n_neurons = voltage.shape
    n_steps = external.shape[0]
    counts = np.zeros((n_steps, n_pop), dtype=np.int64)
    mean_v = np.empty((n_steps // steps_per_sample + 1, n_pop))
    synapses = np.empty_like(mean_v)
    spike_times = np.empty(1024)
    spike_neurons = np.empty(1024, dtype=np.int64)
    n_recorded = 0
    scratch = np.empty((2, n_neurons))
    events = np.empty((n_neurons, 4))
    s = s0.copy()
    drive = np.empty(n_pop)
    deposit = np.empty(n_pop)
    for a in range(n_pop):
        mean_v[0, a] = _mean_voltage(voltage[a], v_peak)
        synapses[0, a] = s[a]
    for n in range(n_steps):
        t = n * dt
        for a in range(n_pop):
            drive[a] = current[a] + external[n, a]
            for b in range(n_pop):
                drive[a] += tau[a] * weights[a, b] * s[b]
        for a in range(n_pop):
            n_events = _advance_population(
                voltage[a], eta[a], drive[a], dt / tau[a], scratch, events
            )
            deposit[a] = 0.0
            for e in range(n_events):
                j = int(events[e, 0])
                for m in range(int(events[e, 1])):
                    t_spike = t + tau[a] * (events[e, 2] + m * events[e, 3])
                    deposit[a] += math.exp(-(t + dt - t_spike) / tau_s[a])
                    counts[n, a] += 1
                    if record_slot[a, j]:
                        if n_recorded == spike_times.size:
                            spike_times = _grow(spike_times)
                            spike_neurons = _grow(spike_neurons)
                        spike_times[n_recorded] = t_spike
                        spike_neurons[n_recorded] = a * n_neurons + j
                        n_recorded += 1
        for a in range(n_pop):
            s[a] = s[a] * math.exp(-dt / tau_s[a]) + deposit[a] / (n_neurons * tau_s[a])
        if (n + 1) % steps_per_sample == 0:
            for a in range(n_pop):
                mean_v[(n + 1) // steps_per_sample, a] = _mean_voltage(voltage[a], v_peak)
                synapses[(n + 1) // steps_per_sample, a] = s[a]
    return counts, mean_v, synapses, spike_times[:n_recorded], spike_neurons[:n_recorded]
