r"""Blocked accumulation of the delayed coupling sums from the node-major history ring.

The history ring ``ring[c, j, t, b]`` (channel, source node, time slot, batch member) is
node-major: for a fixed edge the samples of successive steps are contiguous, and for all
members of a batch too. The coupling of step ``n`` needs :math:`x_j` at step ``n - 1 - d_{ij}``
for every edge, so the sums for the ``K`` steps ``n, ..., n + K - 1`` need only samples up to
step ``n + K - 2 - d_min``. With ``K <= d_min + 1`` they are all known before step ``n`` is
taken, and :func:`accumulate_delayed` computes them in one pass per edge, reading ``K * B``
consecutive floats, and hands them over step-major, ``out[k, c, i*B + b]``, so that each step
reads its sums as one contiguous row per coupling variable.

The ring has ``H`` slots (slot ``s mod H`` holds step ``s``; ``H`` is TVB's history length)
followed by a mirror of its first slots (:func:`ring_slots`): every window starting in the
first ``H`` slots is contiguous, so a pass per edge is one loop without a cut where the ring
wraps, rounded up to whole vectors of 16 floats (the extra sums are scratch).

Edges of a delay below a threshold chosen by cost (:mod:`.delays`; always those of zero
delay, TVB's self-connections, which read the previous step ``x_j(n - 1)``) are left out of
the blocked sums (``d_min`` is the shortest delay of the blocked edges) and added step by step
by the kernel from the values it has just stored (:func:`accumulate_recent`). A network whose
delays are all zero and that is dense enough is summed step by step with a dense matrix instead
(:func:`accumulate_dense`).
"""

from __future__ import annotations

import numpy as np

from .._numba import jit

#: Floats per pass of the summing loops (a vector of 16 float32); windows are rounded up to it.
VECTOR = 16


def ring_slots(H: int, k_block: int) -> int:
    """Slots of a ring of ``H`` steps read in blocks of ``k_block``: ``H`` and the mirror."""
    return H + k_block + VECTOR


@jit(nogil=True)
def accumulate_delayed(ring, H, step, n_block, row_start, sources, idelays, weights, out):
    r"""``out[k, c, i*B + b] = Σ_e w[c, e] ring[c, src_e, (step - 1 - d_e + k) mod H, b]``.

    Parameters
    ----------
    ring : numpy.ndarray, float32, shape (n_cvar, n_node, ring_slots(H, K_max), B)
        History ring; slot ``s mod H`` holds step ``s``, slot ``H + s`` mirrors slot ``s``.
    H : int
        Steps the ring holds (``d_e < H``).
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
    out : numpy.ndarray, float32, shape (K_max, n_cvar, n_node * B)
        Receives the sums of step ``step + k`` in ``out[k, c, i*B + b]`` (float32 products
        added in float32, as TVB's ``Linear`` does, grouped by four connections); rows past
        ``K`` are left untouched.
    """
    if n_block == 1:
        _accumulate_one_step(ring, H, step, row_start, sources, idelays, weights, out)
        return
    n_cvar, n_node, slots, B = ring.shape
    flat = ring.reshape((n_cvar, n_node, slots * B))
    width = n_block * B
    padded = (width + VECTOR - 1) // VECTOR * VECTOR
    # The sums of a tile of targets, written out step-major a whole vector at a time (target by
    # target, each step's row would be written one float at a time, a cache line each).
    tile = max(1, VECTOR // B)
    sums = np.empty((tile, padded), dtype=np.float32)
    now = (step - 1) % H  # one division per block; per edge a subtraction (delays are < H)
    for c in range(n_cvar):
        w_c = weights[c]
        for i in range(n_node):
            acc = sums[i % tile]
            for m in range(padded):
                acc[m] = 0.0
            e = row_start[i]
            end = row_start[i + 1]
            while e + 4 <= end:
                # Four edges per pass: the sums are read and written once for four products
                # (added pairwise, then to the sum). The grouping depends only on the edge
                # order, so the result does not depend on how the run is cut into blocks.
                # Slices, not ``r[o + m]``: an index Numba cannot prove non-negative gets a
                # wrap-around select that turns the contiguous read into a gather.
                o0 = _slot(now, idelays[e], H) * B
                o1 = _slot(now, idelays[e + 1], H) * B
                o2 = _slot(now, idelays[e + 2], H) * B
                o3 = _slot(now, idelays[e + 3], H) * B
                w0, w1, w2, w3 = w_c[e], w_c[e + 1], w_c[e + 2], w_c[e + 3]
                x0 = flat[c, sources[e], o0 : o0 + padded]
                x1 = flat[c, sources[e + 1], o1 : o1 + padded]
                x2 = flat[c, sources[e + 2], o2 : o2 + padded]
                x3 = flat[c, sources[e + 3], o3 : o3 + padded]
                for m in range(padded):
                    acc[m] += (w0 * x0[m] + w1 * x1[m]) + (w2 * x2[m] + w3 * x3[m])
                e += 4
            while e < end:
                w = w_c[e]
                o = _slot(now, idelays[e], H) * B
                x = flat[c, sources[e], o : o + padded]
                for m in range(padded):
                    acc[m] += w * x[m]
                e += 1
            if i % tile == tile - 1 or i == n_node - 1:  # the tile's sums, step-major
                first = i - i % tile
                for k in range(n_block):
                    row = out[k, c]
                    for t in range(i + 1 - first):
                        for b in range(B):
                            row[(first + t) * B + b] = sums[t, k * B + b]


@jit(nogil=True)
def _accumulate_one_step(ring, H, step, row_start, sources, idelays, weights, out):
    """:func:`accumulate_delayed` for a block of one step (the last step of a chunk).

    The same sums in the same grouping, read sample by sample into a register: with one step
    per block the windows are ``B`` floats long, too short for the contiguous passes to pay.
    """
    n_cvar, n_node, slots, B = ring.shape
    now = (step - 1) % H  # one division; per edge only a subtraction (delays are < H)
    for c in range(n_cvar):
        flat = ring[c].reshape(n_node * slots * B)  # sample (j, t, b) at (j * slots + t) * B + b
        w_c = weights[c]
        for i in range(n_node):
            first, end = row_start[i], row_start[i + 1]
            for b in range(B):
                acc = np.float32(0.0)
                e = first
                while e + 4 <= end:
                    x0 = flat[(sources[e] * slots + _slot(now, idelays[e], H)) * B + b]
                    x1 = flat[(sources[e + 1] * slots + _slot(now, idelays[e + 1], H)) * B + b]
                    x2 = flat[(sources[e + 2] * slots + _slot(now, idelays[e + 2], H)) * B + b]
                    x3 = flat[(sources[e + 3] * slots + _slot(now, idelays[e + 3], H)) * B + b]
                    acc += (w_c[e] * x0 + w_c[e + 1] * x1) + (w_c[e + 2] * x2 + w_c[e + 3] * x3)
                    e += 4
                while e < end:
                    acc += w_c[e] * flat[(sources[e] * slots + _slot(now, idelays[e], H)) * B + b]
                    e += 1
                out[0, c, i * B + b] = acc


_ONE, _TWO, _THREE, _FOUR = np.uint64(1), np.uint64(2), np.uint64(3), np.uint64(4)


@jit(nogil=True)
def recent_offsets(n_node, n_sum, M, sources, idelays):
    """Where :func:`accumulate_recent` finds each edge's source, relative to the previous
    step's row: ``sources[e] * B - idelays[e] * n_sum * M`` (``B = M / n_node``)."""
    B = M // n_node
    out = np.empty(sources.shape[0], dtype=np.int64)
    for e in range(sources.shape[0]):
        out[e] = sources[e] * B - idelays[e] * n_sum * M
    return out


@jit(nogil=True)
def accumulate_recent(recent, step, row_start, offsets, weights, S):
    r"""``S[c, i*B + b] += Σ_e w[c, e] x_{c, src_e, b}(step - 1 - d_e)``, from recent steps.

    The sums of one step over the edges too short to be summed in blocks (:mod:`.delays`),
    read from the step-major buffer of the last ``R`` steps' stored (float32) values. Each
    target's edges are added in float32, four products at a time as
    :func:`accumulate_delayed` adds them, into a sum of their own that is then added to the
    blocked sum; with a batch the members are the inner, contiguous loop, each with the
    arithmetic of a single run.

    Parameters
    ----------
    recent : numpy.ndarray, float32, shape (2 R, n_sum, n_node * B)
        Rows ``s mod R`` and ``s mod R + R`` hold the summed channels stored at step ``s``, for
        the last ``R`` steps (the mirror: a read ``d < R`` rows back never wraps).
    step : int
        The step whose coupling is summed (it reads steps ``step - 1 - d_e``, ``d_e < R``).
    row_start : numpy.ndarray, int64, shape (n_node + 1,)
        Edges of target ``i`` are ``row_start[i]:row_start[i + 1]``.
    offsets : numpy.ndarray, int64, shape (n_edge,)
        ``src_e * B - d_e * n_sum * n_node * B``: the source's values ``d_e`` rows back.
    weights : numpy.ndarray, float32, shape (n_sum, n_edge)
        Weight of each edge for each summed channel.
    S : numpy.ndarray, float32, shape (n_sum, n_node * B)
        The step's sums, added to.
    """
    rows, n_sum, M = recent.shape
    R = rows // 2
    n_node = row_start.shape[0] - 1
    B = M // n_node
    flat = recent.reshape(rows * n_sum * M)
    # A single run indexes the arrays in full, without views of rows (each view costs two
    # atomic reference-count updates) or a scratch array, as this runs every step.
    acc = np.empty(B if B > 1 else 0, dtype=np.float32)
    for c in range(n_sum):
        at = ((step - 1) % R + R) * n_sum * M + c * M  # the previous step's row, mirrored
        for i in range(n_node):
            e, end = row_start[i], row_start[i + 1]
            if e == end:
                continue
            if B == 1:  # unsigned indices: no wrap-around test per read (~1.7 -> 1.0 ns)
                u, u_end, base = np.uint64(e), np.uint64(end), np.uint64(at)
                total = np.float32(0.0)
                while u + _FOUR <= u_end:
                    x0 = flat[base + np.uint64(offsets[u])]
                    x1 = flat[base + np.uint64(offsets[u + _ONE])]
                    x2 = flat[base + np.uint64(offsets[u + _TWO])]
                    x3 = flat[base + np.uint64(offsets[u + _THREE])]
                    total += (weights[c, u] * x0 + weights[c, u + _ONE] * x1) + (
                        weights[c, u + _TWO] * x2 + weights[c, u + _THREE] * x3
                    )
                    u += _FOUR
                while u < u_end:
                    total += weights[c, u] * flat[base + np.uint64(offsets[u])]
                    u += _ONE
                S[c, i] += total
                continue
            # A batch: the members are the inner, contiguous loop.
            for b in range(B):
                acc[b] = 0.0
            while e + 4 <= end:
                w0, w1, w2, w3 = (
                    weights[c, e],
                    weights[c, e + 1],
                    weights[c, e + 2],
                    weights[c, e + 3],
                )
                o0, o1 = at + offsets[e], at + offsets[e + 1]
                o2, o3 = at + offsets[e + 2], at + offsets[e + 3]
                x0, x1 = flat[o0 : o0 + B], flat[o1 : o1 + B]
                x2, x3 = flat[o2 : o2 + B], flat[o3 : o3 + B]
                for b in range(B):
                    acc[b] += (w0 * x0[b] + w1 * x1[b]) + (w2 * x2[b] + w3 * x3[b])
                e += 4
            while e < end:
                w, o = weights[c, e], at + offsets[e]
                x = flat[o : o + B]
                for b in range(B):
                    acc[b] += w * x[b]
                e += 1
            for b in range(B):
                S[c, i * B + b] += acc[b]


@jit(nogil=True)
def accumulate_dense(x, dense, out):
    r"""The coupling sums of one step of a network without delays, from a dense weight matrix.

    ``out[c, i*B + b] = Σ_j dense[c, j, i] x[c, j*B + b]``, summed over sources ``j`` four at a
    time. The loop runs over targets ``i`` for each group of sources, which LLVM vectorises; on
    a nearly complete connectome this is several times faster than reading the edges one by one.

    Parameters
    ----------
    x : numpy.ndarray, float32, shape (n_cvar, n_node * B)
        The summed channels at the previous step (as the history ring holds them).
    dense : numpy.ndarray, float32, shape (n_cvar, n_node, n_node)
        ``dense[c, j, i]``: weight from source ``j`` to target ``i`` (zero without an edge).
    out : numpy.ndarray, float32, shape (n_cvar, n_node * B)
        Receives the sums.
    """
    n_cvar, n_node = dense.shape[0], dense.shape[1]
    B = x.shape[1] // n_node
    for c in range(n_cvar):
        xc, d, acc = x[c], dense[c], out[c]
        for m in range(n_node * B):
            acc[m] = 0.0
        j = 0
        while j + 4 <= n_node:
            d0, d1, d2, d3 = d[j], d[j + 1], d[j + 2], d[j + 3]
            if B == 1:
                x0, x1, x2, x3 = xc[j], xc[j + 1], xc[j + 2], xc[j + 3]
                for i in range(n_node):
                    acc[i] += (d0[i] * x0 + d1[i] * x1) + (d2[i] * x2 + d3[i] * x3)
            else:
                for i in range(n_node):
                    a = acc[i * B : (i + 1) * B]
                    for b in range(B):
                        a[b] += (d0[i] * xc[j * B + b] + d1[i] * xc[(j + 1) * B + b]) + (
                            d2[i] * xc[(j + 2) * B + b] + d3[i] * xc[(j + 3) * B + b]
                        )
            j += 4
        while j < n_node:
            dj = d[j]
            for i in range(n_node):
                for b in range(B):
                    acc[i * B + b] += dj[i] * xc[j * B + b]
            j += 1


@jit(nogil=True, inline="always")
def _slot(now, delay, H):
    """Ring slot of the sample ``delay`` steps before slot ``now`` (``0 <= delay < H``)."""
    t = now - delay
    return t + H if t < 0 else t
