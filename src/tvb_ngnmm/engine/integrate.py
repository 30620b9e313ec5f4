r"""One integration step of one node, as TVB's integrators take it.

Reproduces ``tvb.simulator.integrators`` for a node whose coupling ``C`` is held over the
step (TVB computes the coupling once per step, before integrating), with stimulus ``I`` added
to :math:`dX/dt` and the state boundaries applied after each stage:

- ``EulerDeterministic``: :math:`X' = X + dt\,(f(X) + I)`
- ``EulerStochastic``: :math:`X' = X + dt\,f(X) + g\,\xi + dt\,I`
- ``HeunDeterministic``: :math:`\tilde X = X + dt\,(f(X) + I)`, then
  :math:`X' = X + dt\,(f(X) + f(\tilde X))/2 + dt\,I`
- ``HeunStochastic``: :math:`\tilde X = X + dt\,f(X) + g\xi + dt\,I`, then
  :math:`X' = X + dt\,(f(X) + f(\tilde X))/2 + g\xi + dt\,I`

with :math:`g\xi = (\sqrt{dt}\, z)\sqrt{2\,nsig}` for TVB's additive noise, ``z`` standard
normal (the same expression and order of operations as TVB).
"""

from __future__ import annotations

from .._numba import jit
from .equations import model_dfun

EULER = 0
HEUN = 1


@jit(nogil=True)
def bound(x, lo, hi):
    """Clip each state variable into ``[lo, hi]`` (NaN stays NaN), as TVB's ``bound_state``."""
    for v in range(x.shape[0]):
        if x[v] < lo[v]:
            x[v] = lo[v]
        elif x[v] > hi[v]:
            x[v] = hi[v]


@jit(nogil=True)
def step_node(scheme, code, x, C, n_cvar, p, i, b, dt, stim, noise, lo, hi, k1, k2, tmp):
    """Advance the state ``x`` of node ``i`` (member ``b``) by one step, in place.

    ``stim`` and ``noise`` hold the node's stimulus and noise increments (zeros when absent);
    ``k1``, ``k2``, ``tmp`` are work arrays of length ``n_var``.
    """
    n_var = x.shape[0]
    model_dfun(code, x, C, n_cvar, p, i, b, k1)
    if scheme == EULER:
        for v in range(n_var):
            x[v] = x[v] + k1[v] * dt + noise[v] + dt * stim[v]
        bound(x, lo, hi)
        return
    for v in range(n_var):
        tmp[v] = x[v] + dt * k1[v] + noise[v] + dt * stim[v]
    bound(tmp, lo, hi)
    model_dfun(code, tmp, C, n_cvar, p, i, b, k2)
    for v in range(n_var):
        x[v] = x[v] + (k1[v] + k2[v]) * dt / 2.0 + noise[v] + dt * stim[v]
    bound(x, lo, hi)
