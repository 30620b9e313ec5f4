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

from math import cos, exp, sin, tanh

import numpy as np

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
        Receives the sums (float32 products added in float32, as TVB's ``Linear`` does,
        grouped by four connections); entries past ``K * B`` are left untouched.
    """
    if n_block == 1:
        _accumulate_one_step(hist, step, row_start, sources, idelays, weights, out)
        return
    n_cvar, n_node, H, B = hist.shape
    flat = hist.reshape((n_cvar, n_node, H * B))
    width = n_block * B
    for c in range(n_cvar):
        for i in range(n_node):
            acc = out[c, i, :width]
            for m in range(width):
                acc[m] = 0.0
            e = row_start[i]
            end = row_start[i + 1]
            while e + 4 <= end:
                # Four edges per pass: the sums are read and written once for four products
                # (added pairwise, then to the sum). The grouping depends only on the edge
                # order, so the result does not depend on how the run is cut into blocks.
                s0 = (step - 1 - idelays[e]) % H * B
                s1 = (step - 1 - idelays[e + 1]) % H * B
                s2 = (step - 1 - idelays[e + 2]) % H * B
                s3 = (step - 1 - idelays[e + 3]) % H * B
                w0, w1 = weights[c, e], weights[c, e + 1]
                w2, w3 = weights[c, e + 2], weights[c, e + 3]
                r0, r1 = flat[c, sources[e]], flat[c, sources[e + 1]]
                r2, r3 = flat[c, sources[e + 2]], flat[c, sources[e + 3]]
                ring = H * B
                # The block is cut where a window wraps around the end of the ring (at most
                # four cuts); within a piece every window is contiguous. Slices, not
                # ``r0[s0 + m]``: an index Numba cannot prove non-negative gets a wrap-around
                # select that turns the contiguous read into a gather.
                a = 0
                while a < width:
                    b = width
                    for cut in (ring - s0, ring - s1, ring - s2, ring - s3):
                        if a < cut < b:
                            b = cut
                    o0 = s0 + a if a < ring - s0 else s0 + a - ring
                    o1 = s1 + a if a < ring - s1 else s1 + a - ring
                    o2 = s2 + a if a < ring - s2 else s2 + a - ring
                    o3 = s3 + a if a < ring - s3 else s3 + a - ring
                    n = b - a
                    x0, x1 = r0[o0 : o0 + n], r1[o1 : o1 + n]
                    x2, x3 = r2[o2 : o2 + n], r3[o3 : o3 + n]
                    part = acc[a:b]
                    for m in range(n):
                        part[m] += (w0 * x0[m] + w1 * x1[m]) + (w2 * x2[m] + w3 * x3[m])
                    a = b
                e += 4
            while e < end:
                w = weights[c, e]
                start = (step - 1 - idelays[e]) % H
                first = min(n_block, H - start) * B
                src = flat[c, sources[e], start * B : start * B + first]
                for m in range(first):
                    acc[m] += w * src[m]
                if first < width:  # the window wraps around the end of the ring
                    src = flat[c, sources[e], : width - first]
                    rest = acc[first:]
                    for m in range(width - first):
                        rest[m] += w * src[m]
                e += 1


@jit(nogil=True)
def _accumulate_one_step(hist, step, row_start, sources, idelays, weights, out):
    """:func:`accumulate_delayed` for a block of one step (a network with a zero delay).

    The same sums in the same grouping, read sample by sample into a register: with one step
    per block the windows are ``B`` floats long, too short for the contiguous passes to pay.
    """
    n_cvar, n_node, H, B = hist.shape
    now = (step - 1) % H  # one division; per edge only a subtraction (delays are < H)
    for c in range(n_cvar):
        ring = hist[c].reshape(n_node * H * B)  # sample (j, t, b) at (j * H + t) * B + b
        w_c = weights[c]
        for i in range(n_node):
            first, end = row_start[i], row_start[i + 1]
            for b in range(B):
                acc = np.float32(0.0)
                e = first
                while e + 4 <= end:
                    x0 = ring[(sources[e] * H + _slot(now, idelays[e], H)) * B + b]
                    x1 = ring[(sources[e + 1] * H + _slot(now, idelays[e + 1], H)) * B + b]
                    x2 = ring[(sources[e + 2] * H + _slot(now, idelays[e + 2], H)) * B + b]
                    x3 = ring[(sources[e + 3] * H + _slot(now, idelays[e + 3], H)) * B + b]
                    acc += (w_c[e] * x0 + w_c[e + 1] * x1) + (w_c[e + 2] * x2 + w_c[e + 3] * x3)
                    e += 4
                while e < end:
                    acc += w_c[e] * ring[(sources[e] * H + _slot(now, idelays[e], H)) * B + b]
                    e += 1
                out[c, i, b] = acc


@jit(nogil=True)
def accumulate_dense(hist, dense, out):
    r"""The coupling sums of a network without delays, from a dense weight matrix.

    ``out[c, i, b] = Σ_j dense[c, j, i] hist[c, j, 0, b]`` (the ring has one slot when every
    delay is zero), summed over sources ``j`` four at a time. The loop runs over targets ``i``
    for each group of sources, which LLVM vectorises; on a nearly complete connectome this is
    several times faster than reading the edges one by one.

    Parameters
    ----------
    hist : numpy.ndarray, float32, shape (n_cvar, n_node, 1, B)
    dense : numpy.ndarray, float32, shape (n_cvar, n_node, n_node)
        ``dense[c, j, i]``: weight from source ``j`` to target ``i`` (zero without an edge).
    out : numpy.ndarray, float32, shape (n_cvar, n_node, K_max * B)
        Receives the sums in ``out[c, i, :B]``.
    """
    n_cvar, n_node, H, B = hist.shape
    acc = np.empty(n_node * B, dtype=np.float32)
    for c in range(n_cvar):
        x = hist[c].reshape(n_node * H * B)  # H == 1: sample (j, b) at j * B + b
        d = dense[c]
        for m in range(n_node * B):
            acc[m] = 0.0
        j = 0
        while j + 4 <= n_node:
            d0, d1, d2, d3 = d[j], d[j + 1], d[j + 2], d[j + 3]
            if B == 1:
                x0, x1, x2, x3 = x[j], x[j + 1], x[j + 2], x[j + 3]
                for i in range(n_node):
                    acc[i] += (d0[i] * x0 + d1[i] * x1) + (d2[i] * x2 + d3[i] * x3)
            else:
                for i in range(n_node):
                    a = acc[i * B : (i + 1) * B]
                    for b in range(B):
                        a[b] += (d0[i] * x[j * B + b] + d1[i] * x[(j + 1) * B + b]) + (
                            d2[i] * x[(j + 2) * B + b] + d3[i] * x[(j + 3) * B + b]
                        )
            j += 4
        while j < n_node:
            dj = d[j]
            for i in range(n_node):
                for b in range(B):
                    acc[i * B + b] += dj[i] * x[j * B + b]
            j += 1
        for i in range(n_node):
            for b in range(B):
                out[c, i, b] = acc[i * B + b]


@jit(nogil=True, inline="always")
def _slot(now, delay, H):
    """Ring slot of the sample ``delay`` steps before slot ``now`` (``0 <= delay < H``)."""
    t = now - delay
    return t + H if t < 0 else t


# Couplings with a nonlinear function before or after the delayed sum (TVB's ``pre``/``post``).
# A ``pre`` that depends only on the source's delayed values is applied to the float32 values of
# the history ring (the raw state, as TVB stores it) and rounded to float32 again, into a second
# ring of "pre channels"; the delayed sums over that ring stay the linear, blocked sums above.
# The ``post`` is applied per node after the sums.
#: Linear couplings (TVB's Linear, Difference, Scaling; the package's): the kernel's own path.
LINEAR = 0
#: TVB's ``Sigmoidal``: a sigmoid of the sum (post only). Parameters ``cmin, cmax, midpoint,
#: sigma`` (the gain ``a`` is the kernel's per-node gain).
SIGMOIDAL = 1
#: TVB's ``HyperbolicTangent``: ``pre = 1 + tanh((b x_j - midpoint) / sigma)``, post ``a S``.
#: Parameters ``b, midpoint, sigma``.
HYPERBOLIC_TANGENT = 2
#: TVB's ``SigmoidalJansenRit``: ``pre = cmin + (cmax - cmin) / (1 + exp(r (midpoint - (y1_j -
#: y2_j))))`` on the two coupling variables (one pre channel), post ``a S``. Parameters ``cmin,
#: cmax, midpoint, r``.
SIGMOIDAL_JANSEN_RIT = 3
#: TVB's ``Kuramoto``: ``sum_j w_ij sin(x_j - x_i) = cos x_i S^sin_i - sin x_i S^cos_i``, two pre
#: channels (``sin x_j``, ``cos x_j``) per coupling variable, post ``a / n_cvar`` times it.
KURAMOTO = 4


@jit(nogil=True, inline="always")
def has_pre(kind):
    """Whether coupling ``kind`` sums a function of the delayed values (a second ring)."""
    return kind == HYPERBOLIC_TANGENT or kind == SIGMOIDAL_JANSEN_RIT or kind == KURAMOTO


@jit(nogil=True)
def apply_pre(kind, parameters, raw, out, width):
    r"""``out[p, j, :width] = pre(raw[:, j, :width])``: the pre channels of raw float32 values.

    Parameters
    ----------
    kind : int
        :data:`HYPERBOLIC_TANGENT`, :data:`SIGMOIDAL_JANSEN_RIT` or :data:`KURAMOTO`.
    parameters : numpy.ndarray, float64
        The coupling's parameters (see each kind).
    raw : numpy.ndarray, float32, shape (n_cvar, n_node, L)
        Coupling variables as the history ring stores them (slots, batch members flattened).
    out : numpy.ndarray, float32, shape (n_pre, n_node, L)
        Receives the pre channels, evaluated in float64 from the float32 values (as TVB evaluates
        ``pre`` on its float32 history) and rounded to float32.
    width : int
        Number of leading entries of the last axis to transform.
    """
    n_cvar, n_node = raw.shape[0], raw.shape[1]
    if kind == HYPERBOLIC_TANGENT:
        b, midpoint, sigma = parameters[0], parameters[1], parameters[2]
        for c in range(n_cvar):
            for j in range(n_node):
                x, y = raw[c, j], out[c, j]
                for m in range(width):
                    y[m] = np.float32(1.0 + tanh((b * np.float64(x[m]) - midpoint) / sigma))
    elif kind == SIGMOIDAL_JANSEN_RIT:
        cmin, cmax, midpoint, r = parameters[0], parameters[1], parameters[2], parameters[3]
        for j in range(n_node):
            x0, x1, y = raw[0, j], raw[1, j], out[0, j]
            for m in range(width):
                difference = np.float64(x0[m] - x1[m])  # float32 difference, as in TVB
                y[m] = np.float32(cmin + (cmax - cmin) / (1.0 + exp(r * (midpoint - difference))))
    else:  # KURAMOTO
        for c in range(n_cvar):
            for j in range(n_node):
                x, s, co = raw[c, j], out[2 * c, j], out[2 * c + 1, j]
                for m in range(width):
                    s[m] = np.float32(sin(np.float64(x[m])))
                    co[m] = np.float32(cos(np.float64(x[m])))


@jit(nogil=True)
def apply_post(kind, parameters, sums, base, X, cvar, G, C):
    r"""The coupling ``C[c, i*B + b]`` of one step from its sums ``sums[p, i, base + b]``.

    ``X`` (n_var, n_node * B) is the state at the previous step (its coupling variables rounded
    to float32 as TVB's history holds them, for :data:`KURAMOTO`), ``G`` (n_gain, n_node * B)
    the gain ``a`` per node and member, ``C`` (n_cvar, n_node * B) receives the coupling.
    """
    n_cvar, M = C.shape
    n_node = sums.shape[1]
    B = M // n_node
    if kind == SIGMOIDAL:
        cmin, cmax, midpoint, sigma = parameters[0], parameters[1], parameters[2], parameters[3]
        for c in range(n_cvar):
            for i in range(n_node):
                for b in range(B):
                    m = i * B + b
                    gx = np.float64(sums[c, i, base + b])
                    exponent = -G[c, m] * ((gx - midpoint) / sigma)
                    C[c, m] = cmin + (cmax - cmin) / (1.0 + exp(exponent))
    elif kind == SIGMOIDAL_JANSEN_RIT:  # one coupling row, as TVB returns; the others zero
        for i in range(n_node):
            for b in range(B):
                m = i * B + b
                C[0, m] = G[0, m] * np.float64(sums[0, i, base + b])
                for c in range(1, n_cvar):
                    C[c, m] = 0.0
    elif kind == KURAMOTO:  # TVB's post divides by gx.shape[0], the number of coupling variables
        for c in range(n_cvar):
            xc = X[cvar[c]]
            for i in range(n_node):
                for b in range(B):
                    m = i * B + b
                    own = np.float64(np.float32(xc[m]))
                    total = cos(own) * np.float64(sums[2 * c, i, base + b]) - sin(own) * np.float64(
                        sums[2 * c + 1, i, base + b]
                    )
                    C[c, m] = G[c, m] / n_cvar * total
    else:  # HYPERBOLIC_TANGENT: the sum of the pre values times a
        for c in range(n_cvar):
            for i in range(n_node):
                for b in range(B):
                    m = i * B + b
                    C[c, m] = G[c, m] * np.float64(sums[c, i, base + b])
