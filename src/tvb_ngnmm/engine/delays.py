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
per step costs several times the step's arithmetic. :func:`short_delay_threshold` picks ``D``
by cost instead: the step-by-step reads of the edges below it against the blocked passes of
those above it, whose per-edge overhead is shared by the ``D + 1`` steps of a block.

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
#: Longest coupling block (steps); the shortest blocked delay + 1 and the history bound it too.
MAX_BLOCK = 512


def block_cost_per_step(n_long: int, block: int) -> float:
    """Estimated ns per step of the blocked sums of ``n_long`` edges in blocks of ``block``."""
    if n_long == 0:
        return 0.0
    if block >= VECTOR:  # the runner rounds blocks down to whole vectors
        block = block // VECTOR * VECTOR
    floats = -(-block // VECTOR) * VECTOR
    return n_long * (BLOCK_EDGE_NS + BLOCK_FLOAT_NS * floats) / block


def short_delay_threshold(idelays: np.ndarray, history_steps: int) -> int:
    """The threshold ``D`` (steps): edges with a delay below it are summed step by step.

    Parameters
    ----------
    idelays : numpy.ndarray of int
        Delay (steps) of every edge.
    history_steps : int
        Steps the history holds (a block never spans more).

    Returns
    -------
    int
        ``D >= 1`` (edges of zero delay are always summed step by step): the shortest delay of
        the edges summed in blocks. The shortest non-zero delay unless a higher threshold, at
        most :data:`MAX_RECENT` steps, is estimated to cost at least :data:`MIN_GAIN` less per
        step. Without edges of non-zero delay, 1.
    """
    delays = np.sort(np.asarray(idelays, dtype=np.int64))
    if delays.size == 0 or delays[-1] == 0:
        return 1

    def cost(threshold: int) -> float:
        n_short = int(np.searchsorted(delays, threshold))
        n_long = delays.size - n_short
        block = int(min(delays[n_short] + 1 if n_long else MAX_BLOCK, MAX_BLOCK, history_steps))
        return STEP_EDGE_NS * n_short + block_cost_per_step(n_long, max(block, 1))

    shortest = int(delays[delays > 0][0])
    best, best_cost = shortest, cost(shortest)
    # Only the distinct delays can be optimal: between two of them the short edges are the same
    # and a longer block is never worse.
    for threshold in np.unique(delays[(delays > shortest) & (delays <= MAX_RECENT)]):
        candidate = cost(int(threshold))
        if candidate < best_cost:
            best, best_cost = int(threshold), candidate
    return best if best_cost <= (1.0 - MIN_GAIN) * cost(shortest) else shortest
