r"""The fast engine: TVB simulations of next-generation neural mass networks in compiled code.

Entry points: :class:`tvb_ngnmm.backend.NumbaBackend` (``run_sim(sim, simulation_length)``,
a drop-in for ``sim.run()`` that continues the simulation as it does) and
:func:`tvb_ngnmm.engine.batch.run_batch` (many parameter sets of one network at once, as an
``xarray.DataArray``; it leaves the simulator as it was).

What it supports (models with their state and coupling variables, couplings, monitors,
integrators) is read from the registries by :func:`support_matrix` (:mod:`.support`), never
listed by hand: models registered with :func:`tvb_ngnmm.models.register_model` (the package's,
TVB's stock models declared in :mod:`tvb_ngnmm.models.tvb_models`) and any model class that
declares ``state_variable_dfuns``; region stimuli; the variables of interest as TVB observes
them, expressions such as the Epileptors' ``'x2 - x1'`` included (:mod:`.observation`);
cortical-surface simulations (``surface=``: one node per vertex and per non-cortical region,
the local coupling as each model declares it, the long-range coupling on the regions' means,
:mod:`.surface` and :mod:`.surface_kernel`; surface stimuli).
Anything else raises :class:`~tvb_ngnmm.engine.errors.UnsupportedSimulationError`.

Semantics are TVB's (``tvb.simulator.simulator.Simulator.__call__``): the coupling of step
``n`` is computed once from the history (delayed :math:`x_j` at step ``n - 1 - d_ij``, own
:math:`x_i` at ``n - 1``) and held over both Heun stages; the history keeps the coupling
variables in float32 as TVB's ``SparseHistory`` does, so that both read the same rounded
values; boundaries are applied after each stage; the stimulus is added to dX/dt. The delayed
sums over incoming connections are formed in float32 (float32 weights times float32 history,
added in float32), as TVB's ``Linear``/``Difference`` form them, four connections at a time in
their order (so the result does not depend on how a run is cut into chunks); everything else is
float64. Deterministic runs agree with ``sim.run()`` to a few
float32 ulps of the coupling per step (TVB's ``add.reduceat`` groups the additions
differently; the package's own couplings sum in float64 on the stock path), amplified by the
dynamics: the tests use
short runs and a relative tolerance of 1e-5.

Modules: :mod:`.spec` (reading a simulator), :mod:`.surface` (a surface simulation's nodes,
regions and local coupling; :mod:`.surface_checks`, its settings and memory checked before the
first step), :mod:`.surface_kernel` (its chunk loop), :mod:`.coupling` (couplings reduced to one
linear form), :mod:`.coupling_kernel` (blocked delayed sums from the node-major history ring),
:mod:`.equations` (a model's loop over nodes, from its declaration or its expressions),
:mod:`.observation` (the variables of interest from the recorded state variables),
:mod:`._cache` (the kernel compiled once, each model's loop once, named by their sources),
:mod:`.integrate` (TVB's schemes), :mod:`.kernel` (the chunk loop), :mod:`.noise`, :mod:`.monitors`,
:mod:`.runner`
(chunks, progress, interruption), :mod:`.continuation` (the simulator advanced as ``sim.run()``
advances it, or put back), :mod:`.batch`, :mod:`.checks` (the settings checked before
the first step), :mod:`.errors` (and what a blow-up message advises), :mod:`.support` (what is
supported, and the documentation's tables of it).
"""

from .errors import SimulationBlowUpError, UnsupportedSimulationError

__all__ = ["SimulationBlowUpError", "SupportMatrix", "UnsupportedSimulationError", "support_matrix"]


def __getattr__(name: str):
    # support_matrix and SupportMatrix are imported when first asked for: .support reads the
    # monitors' and couplings' registries, whose import (about 2 s) the engine's errors alone
    # (``from tvb_ngnmm.engine.errors import ...``) do not need.
    if name in ("SupportMatrix", "support_matrix"):
        # deferred: the registries' import (about 2 s), which the engine's errors do not need
        from . import support  # noqa: PLC0415

        return getattr(support, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
