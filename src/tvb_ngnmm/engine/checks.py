"""The fast engine compared with the stock simulator, as a model conformance check."""

from __future__ import annotations

import numpy as np


def check_engine_matches_stock(model_cls: type, length: float = 10.0, rtol: float = 1e-5) -> None:
    """Deterministic Heun run of the engine equals ``sim.run()`` on a tiny delayed network.

    The tolerance is relative to each value plus ``rtol`` times the largest value (TVB keeps
    its history in float32 and sums TVB's couplings in float32; see :mod:`tvb_ngnmm.engine`).

    Raises
    ------
    AssertionError
        If times differ or values differ beyond the tolerance.
    """
    from tvb.simulator import integrators

    from ..backend import NumbaBackend
    from ..testing import build_simulator

    sim = build_simulator(model_cls(), integrators.HeunDeterministic(dt=0.01))
    ((t_fast, y_fast),) = NumbaBackend(progress=False).run_sim(sim, simulation_length=length)
    ((t_stock, y_stock),) = sim.run(simulation_length=length)
    np.testing.assert_array_equal(t_fast, t_stock)
    scale = np.abs(y_stock).max()
    np.testing.assert_allclose(y_fast, y_stock, rtol=rtol, atol=rtol * scale)
