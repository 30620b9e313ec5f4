"""The mean-field trajectory of one node, integrated with the model's own ``dfun``.

The comparison with the spiking network (:func:`~tvb_ngnmm.validation.simulate_qif_network`)
uses the TVB model's equations, not a copy: the node is integrated by evaluating ``model.dfun``
with zero long-range coupling, the external current added to the model's own ``I`` parameters.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy.integrate import solve_ivp

from ._populations import InputCurrent, external_current, initial_state_array, network_parameters
from .qif_network import PopulationActivity, _check_positive


def _right_hand_side(model, params, input_current, t_end):
    """``f(t, y)`` of the node, with the input evaluated just before ``t_end`` at ``t_end``."""
    node = type(model)(**{name: np.array([v]) for name, v in _parameter_values(model).items()})
    coupling = np.zeros((len(model.cvar), 1, 1))
    n_pop = len(params.tau)
    last = np.nextafter(t_end, -np.inf)

    def rhs(t, y):
        extra = external_current(input_current, np.array([min(t, last)]), n_pop)[0]
        for layout, base, value in zip(params.layouts, params.current, extra, strict=True):
            setattr(node, layout.current, np.array([base + value]))
        return node.dfun(y.reshape(-1, 1, 1), coupling).ravel()

    return rhs


def _parameter_values(model) -> dict[str, float]:
    return {name: float(np.ravel(getattr(model, name))[0]) for name in model.parameter_names}


def _pieces(duration: float, input_current) -> list[tuple[float, float]]:
    """Integration intervals split at the input's ``breakpoints`` (if it declares any)."""
    inner = sorted(b for b in getattr(input_current, "breakpoints", ()) if 0.0 < b < duration)
    edges = [0.0, *inner, duration]
    return list(zip(edges[:-1], edges[1:], strict=True))


def simulate_mean_field(
    model,
    duration: float = 100.0,
    input_current: InputCurrent | None = None,
    initial_state: Sequence[float] | None = None,
    sample_interval: float = 0.1,
    rtol: float = 1e-9,
    atol: float = 1e-12,
) -> PopulationActivity:
    """Integrate one node of ``model`` (no long-range input) with an adaptive ODE solver.

    Parameters
    ----------
    model : NextGenEI or MPRSynaptic
        Every parameter must hold one value. The model itself is not modified.
    duration : float
        Simulated time (ms).
    input_current : callable, optional
        ``f(t)`` → one extra current per population, added to ``I_e``, ``I_i`` (or ``I``), as
        for :func:`~tvb_ngnmm.validation.simulate_qif_network`. If it has a ``breakpoints``
        attribute (times in ms where it jumps), the solver stops there.
    initial_state : sequence of float, optional
        State in the model's state-variable order (rates in kHz). Default: all zero.
    sample_interval : float
        Interval (ms) between output samples.
    rtol, atol : float
        Tolerances of the solver (``scipy.integrate.solve_ivp``, method ``DOP853``).

    Returns
    -------
    PopulationActivity
        Rates (kHz), mean voltages and synaptic activations at ``time`` (ms, from 0).
    """
    params = network_parameters(model)
    duration = _check_positive("duration", duration)
    sample_interval = _check_positive("sample_interval", sample_interval)
    rtol, atol = _check_positive("rtol", rtol), _check_positive("atol", atol)
    state = initial_state_array(model, initial_state)
    time = np.arange(int(np.floor(duration / sample_interval + 1e-9)) + 1) * sample_interval
    trajectory = np.empty((time.size, state.size))
    for t0, t1 in _pieces(duration, input_current):
        last = t1 == duration
        keep = (time >= t0) & ((time <= t1) if last else (time < t1))
        rhs = _right_hand_side(model, params, input_current, t1)
        solution = solve_ivp(
            rhs, (t0, t1), state, method="DOP853", dense_output=True, rtol=rtol, atol=atol
        )
        if not solution.success:
            raise RuntimeError(
                f"The mean-field integration failed between {t0} and {t1} ms: {solution.message}"
            )
        trajectory[keep] = solution.sol(time[keep]).T
        state = solution.y[:, -1]
    index = params.state_index
    return PopulationActivity(
        time=time,
        rates=trajectory[:, index[:, 0]],
        voltages=trajectory[:, index[:, 1]],
        synapses=trajectory[:, index[:, 2]],
        populations=params.labels,
    )
