r"""Blocked accumulation of the delayed coupling sums from the node-major history ring.

The history ring ``hist[c, j, t, b]`` (coupling variable, source node, time slot, batch member)
is node-major: for a fixed edge the samples of successive steps are contiguous, and for all
members of a batch too. The coupling of step ``n`` needs :math:`x_j` at step ``n - 1 - d_{ij}``
for every edge, so the sums for the ``K`` steps ``n, ..., n + K - 1`` need only samples up to
step ``n + K - 2 - d_min``. With ``K <= d_min + 1`` they are all known before step ``n`` is
taken, and :func:`accumulate_delayed` computes them in one pass per edge, reading ``K * B``
consecutive floats (two runs where the ring wraps). Without delays (``d_min = 0``) ``K = 1``:
the coupling is computed step by step, from the state just stored.
"""

from __future__ import annotations

from .._numba import jit


@jit(nogil=True)
def accumulate_delayed(hist, step, n_block, row_start, sources, idelays, weights, out):
    r"""``out[c, i, k*B + b] = Σ_e w[c, e] hist[c, src_e, (step - 1 - d_e + k) mod H, b]``.

    Parameters
    ----------
    hist : numpy.ndarray, float32, shape (n_cvar, n_node, H, B)
        History ring; slot ``s mod H`` holds step ``s``.
    step : int
        First step of the block.
    n_block : int
        Number of steps ``K`` of the block (``K <= d_min + 1``).
    row_start : numpy.ndarray, int64, shape (n_node + 1,)
        Edges of target ``i`` are ``row_start[i]:row_start[i + 1]``.
    sources, idelays : numpy.ndarray, int64, shape (n_edge,)
        Source node and delay (steps) of each edge.
    weights : numpy.ndarray, float32, shape (n_cvar, n_edge)
        Effective weight of each edge for each coupling variable.
    out : numpy.ndarray, float32, shape (n_cvar, n_node, K_max * B)
        Receives the sums (float32 products added in float32, as TVB's ``Linear`` does);
        entries past ``K * B`` are left untouched.
    """
    n_cvar, n_node, H, B = hist.shape
    flat = hist.reshape((n_cvar, n_node, H * B))
    width = n_block * B
    for c in range(n_cvar):
        for i in range(n_node):
            acc = out[c, i, :width]
            for m in range(width):
                acc[m] = 0.0
            for e in range(row_start[i], row_start[i + 1]):
                w = weights[c, e]
                start = (step - 1 - idelays[e]) % H
                first = min(n_block, H - start) * B
                # Slices, not ``src[offset + m]``: an index Numba cannot prove non-negative gets
                # a wrap-around select that turns the contiguous read into a gather.
                src = flat[c, sources[e], start * B : start * B + first]
                for m in range(first):
                    acc[m] += w * src[m]
                if first < width:  # the window wraps around the end of the ring
                    src = flat[c, sources[e], : width - first]
                    rest = acc[first:]
                    for m in range(width - first):
                        rest[m] += w * src[m]
