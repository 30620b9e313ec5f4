r"""Which edges are summed step by step and which in blocks: the short-delay threshold.

The coupling of step ``n`` reads each edge's source at step ``n - 1 - d`` (``d`` its delay in
steps). Edges with ``d >= D`` are summed in blocks of up to ``D + 1`` steps, one contiguous pass
per edge and block over the node-major history ring (:func:`.coupling_kernel.accumulate_delayed`):
every value a block reads is known before the block starts. Edges with ``d < D`` read values of
the block under way, so they are summed step by step from a small step-major buffer of the last
``D`` steps' stored values (:func:`.coupling_kernel.accumulate_recent`); TVB's self-connections
(``d = 0``) are the shortest of them.

Tractography gives a few short tracts (the five subjects of :mod:`tvb_ngnmm.datasets` have
edges of 0 to 249 steps at 9.2 mm/ms and ``dt = 0.1`` ms, 710 of 8,732 under 20 steps). Blocks
as long as the shortest delay allows would then be one or two steps long, and a pass per edge
per step costs several times the step's arithmetic. :func:`delay_tiers` picks ``D`` by cost
instead: the step-by-step reads of the edges below it against the blocked passes of those above
it, whose per-edge overhead is shared by the steps of a block; and, where that is cheaper, a
middle tier of edges summed in blocks of :data:`MIDDLE_BLOCK` steps, so that the longest edges
get longer blocks (the gw connectome: 558 edges step by step, 2,362 in blocks of 16, 5,812 in
blocks of 48).

The threshold depends only on the delays (not on the batch size, nor on how a run is cut into
chunks), so every run of one simulator sums the same edges the same way and ``run_sim``,
``run_batch`` and any chunking give the same float32 sums.
"""

from __future__ import annotations

import numpy as np

from .coupling_kernel import VECTOR

# The costs were measured on the edges of the five subjects' group connectome (one core, one
# member): the step-by-step sums 1.0-1.1 ns per edge; a blocked pass 4.8 ns per edge for 16
# floats, 5.7 for 32 and 8.9 for 64.
#: Cost (ns) of one edge's read and product in the step-by-step sums.
STEP_EDGE_NS = 1.0
#: Cost (ns) of one edge's blocked pass, whatever its length (slots, loop set-up)...
BLOCK_EDGE_NS = 4.0
#: ... and of each float it sums (16 per vector: a block is rounded up to whole vectors).
BLOCK_FLOAT_NS = 0.08
#: Highest threshold (steps) considered: the step-by-step sums read a buffer of that many steps
#: (kept small enough to stay in the fastest caches).
MAX_RECENT = 64
#: Least estimated saving (fraction of the cost per step) for which short edges leave the blocks.
MIN_GAIN = 0.1
#: Cost (ns per step) of having a middle tier at all: its sums added to the others, the history
#: stored every :data:`MIDDLE_BLOCK` steps instead of once per long block, a pass over the
#: targets per middle block (EI-90's middle tier, estimated to save 10 %, saved nothing).
MIDDLE_TIER_NS = 150.0
#: Block (steps) of the middle tier: edges too short for the long blocks, too many to be summed
#: step by step.
MIDDLE_BLOCK = VECTOR
#: Longest coupling block (steps); the shortest blocked delay + 1 and the history bound it too.
MAX_BLOCK = 512


def block_cost_per_step(n_long, block):
    """Estimated ns per step of the blocked sums of ``n_long`` edges in blocks of ``block``
    steps (numbers or arrays)."""
    block = np.asarray(block)
    block = np.where(block >= VECTOR, block // VECTOR * VECTOR, block)  # the runner's rounding
    floats = -(-block // VECTOR) * VECTOR
    return np.asarray(n_long) * (BLOCK_EDGE_NS + BLOCK_FLOAT_NS * floats) / np.maximum(block, 1)


def delay_tiers(idelays: np.ndarray, history_steps: int) -> tuple[int, int]:
    """The thresholds ``(D, D_long)`` (steps) that split the edges by delay ``d``.

    Edges with ``d < D`` are summed step by step; those with ``D <= d < D_long`` in blocks of
    :data:`MIDDLE_BLOCK` steps; those with ``d >= D_long`` in blocks as long as the shortest of
    them allows. ``D_long == D`` when there is no middle tier.

    Parameters
    ----------
    idelays : numpy.ndarray of int
        Delay (steps) of every edge.
    history_steps : int
        Steps the history holds (a block never spans more).

    Returns
    -------
    tuple of int
        ``D >= 1`` (edges of zero delay are always summed step by step): the shortest non-zero
        delay, with no middle tier, unless another split (``D`` at most :data:`MAX_RECENT`) is
        estimated to cost at least :data:`MIN_GAIN` less per step. Without edges of non-zero
        delay, ``(1, 1)``.
    """
    delays = np.sort(np.asarray(idelays, dtype=np.int64))
    if delays.size == 0 or delays[-1] == 0:
        return 1, 1
    # Only the distinct delays can be optimal thresholds: between two of them the edges on each
    # side are the same and a longer block is never worse.
    distinct = np.unique(delays[delays > 0])
    shortest = int(distinct[0])
    below = np.searchsorted(delays, distinct)  # edges below each threshold
    blocks = np.minimum(np.minimum(distinct + 1, MAX_BLOCK), history_steps)
    per_long_edge = block_cost_per_step(1, blocks)
    long_cost = per_long_edge * (delays.size - below)  # the edges at and above each threshold
    per_middle_edge = block_cost_per_step(1, MIDDLE_BLOCK)
    # cost[s, l]: step by step below distinct[s], middle tier up to distinct[l], long above
    shorts = np.flatnonzero((distinct == shortest) | (distinct <= MAX_RECENT))
    middle = distinct[None, :] > distinct[shorts, None]
    cost = (STEP_EDGE_NS * below[shorts, None] + long_cost[None, :] + MIDDLE_TIER_NS * middle
            + per_middle_edge * (below[None, :] - below[shorts, None]))  # fmt: skip
    allowed = (~middle) | (
        (distinct[shorts, None] + 1 >= MIDDLE_BLOCK) & (history_steps >= 2 * MIDDLE_BLOCK)
    )
    allowed &= distinct[None, :] >= distinct[shorts, None]
    cost = np.where(allowed, cost, np.inf)
    s, l = np.unravel_index(np.argmin(cost), cost.shape)  # the first of equal costs
    baseline = STEP_EDGE_NS * below[0] + long_cost[0]  # every non-zero delay in one tier
    if cost[s, l] > (1.0 - MIN_GAIN) * baseline:
        return shortest, shortest
    return int(distinct[shorts[s]]), int(distinct[l])
