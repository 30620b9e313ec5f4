r"""TVB's integration schemes for one node, as the kernel (:mod:`.kernel`) takes them.

Reproduces ``tvb.simulator.integrators`` for a node whose coupling ``C`` is held over the
step (TVB computes the coupling once per step, before integrating), with stimulus ``I`` added
to :math:`dX/dt` and the state boundaries applied after each stage:

- ``EulerDeterministic``: :math:`X' = X + dt\,(f(X) + I)`
- ``EulerStochastic``: :math:`X' = X + dt\,f(X) + g\,\xi + dt\,I`
- ``HeunDeterministic``: :math:`\tilde X = X + dt\,(f(X) + I)`, then
  :math:`X' = X + dt\,(f(X) + f(\tilde X))/2 + dt\,I`
- ``HeunStochastic``: :math:`\tilde X = X + dt\,f(X) + g\xi + dt\,I`, then
  :math:`X' = X + dt\,(f(X) + f(\tilde X))/2 + g\xi + dt\,I`
- ``Identity``: :math:`X' = f(X) + I` (difference equations)

with :math:`g\xi = (\sqrt{dt}\, z)\sqrt{2\,nsig}` for TVB's additive noise, ``z`` standard
normal (the same expression and order of operations as TVB).
"""

from __future__ import annotations

EULER = 0
HEUN = 1
#: TVB's ``Identity``: :math:`X' = f(X) + I` (the model's equations give the next state).
IDENTITY = 2

# The kernel writes each stage out as a loop over all nodes of all batch members (one per state
# variable), so that LLVM vectorises it; the stages are not helper functions of their own.
