r"""The compiled loop over the steps of one chunk.

Per block of ``K`` steps (``K = min(d_min + 1, K_max)``, see :mod:`.coupling_kernel`), the
delayed sums are accumulated in one pass. Then, step by step, the coupling

.. math:: C_{c,i} = a_{c,i}\,\big(S_{c,i} - \kappa_{c,i}\, x_{c,i}(n-1)\big) + b_c

is formed from the sums ``S`` and each node's own coupling variable at the previous step,
rounded to float32 (the value TVB's ``SparseHistory`` returns) (couplings with a nonlinear
``pre`` or ``post`` function: see :mod:`.coupling_kernel`), and all nodes of all batch
members are advanced together by TVB's scheme (:mod:`.integrate`; boundaries applied after
each stage). The state is held as ``(n_var, M)`` with ``M = n_node * B`` (batch member last),
so each stage is a loop over ``m`` that LLVM vectorises. The new coupling variables are staged
(float32) and copied into the node-major ring at the end of the block, ``K`` consecutive slots
per node (writing the ring step by step would touch one cache line per node and step). A
non-finite state marks its batch member as blown up (``status[:, b]``: step, region, state
variable of the first non-finite value, in node then variable order); that member is not
advanced further, the others go on.

:func:`run_chunk` is a template: :mod:`._cache` compiles it once per model, in a module where
``model_dfun`` is that model's loop over nodes (:mod:`.equations`), so that the model's equations
are inlined in the kernel.
"""

from __future__ import annotations

import numpy as np

from .._numba import jit
from .coupling_kernel import (
    LINEAR,
    accumulate_delayed,
    accumulate_dense,
    apply_post,
    apply_pre,
    has_pre,
)
from .integrate import EULER


@jit(nogil=True)
def store_block(hist, stage, step, n_block):
    """Copy ``stage[c, i, k*B + b]`` (steps ``step .. step + K - 1``) into the history ring."""
    n_cvar, n_node, H, B = hist.shape
    flat = hist.reshape((n_cvar, n_node, H * B))
    start = step % H
    first = min(n_block, H - start) * B
    width = n_block * B
    offset = start * B
    for c in range(n_cvar):
        for i in range(n_node):
            dst = flat[c, i]
            src = stage[c, i]
            for m in range(first):
                dst[offset + m] = src[m]
            for m in range(first, width):
                dst[m - first] = src[m]


@jit(nogil=True)
def _per_node(a, B):
    """``a`` (n, n_node) repeated over the batch: (n, n_node * B), member last."""
    n, n_node = a.shape
    out = np.empty((n, n_node * B))
    for r in range(n):
        for i in range(n_node):
            for b in range(B):
                out[r, i * B + b] = a[r, i]
    return out


@jit(nogil=True)
def _clamp(v, lo, hi):
    if v < lo:
        return lo
    if v > hi:
        return hi
    return v


@jit(nogil=True)
def _find_blow_ups(X, alive, status, step, n_node, B):
    """Record the first non-finite value (node, then variable) of each member still alive."""
    n_var = X.shape[0]
    for b in range(B):
        if status[0, b] >= 0:
            continue
        for i in range(n_node):
            found = False
            for v in range(n_var):
                if not np.isfinite(X[v, i * B + b]):
                    status[0, b] = step
                    status[1, b] = i
                    status[2, b] = v
                    found = True
                    break
            if found:
                for j in range(n_node):
                    alive[j * B + b] = False
                break


def model_dfun(_x, _C, _p, _out):
    """The model's derivatives of every node; each model's compiled module defines its own."""
    raise NotImplementedError("run_chunk runs only as compiled per model by engine._cache")


def run_chunk(
    scheme, x, hist, first_step, n_steps, k_block,
    row_start, sources, idelays, weights, dense, kappa, gain, offset, cvar,
    coupling_kind, coupling_parameters,
    params, lo, hi, dt, noise, noise_index, noise_scale, sqrt_dt, stim, obs_index, obs, sums,
    status,
):  # fmt: skip
    """Advance ``x`` (n_var, n_node, B) by ``n_steps`` steps starting at ``first_step``.

    ``weights`` (n_sum, n_edge) float32 weights of the edges, ``dense`` their dense
    ``(n_sum, source, target)`` matrix when no edge has a delay (else empty, see
    :meth:`.coupling.CouplingTerms.dense`); ``coupling_kind`` (:data:`.coupling_kernel.LINEAR`,
    or a coupling with a pre and/or post function) and ``coupling_parameters`` (float64) say how
    the ``n_sum`` delayed sums (``sums``, float32) become the coupling; ``noise`` is
    (n_steps, n_noisy, n_node, B) standard normals or empty (deterministic), row
    ``noise_index[v]`` for state variable ``v`` (-1: no noise on it);
    ``stim`` (n_steps, n_var, n_node) or empty; ``obs`` (n_steps, n_obs, n_node, B) receives
    the state variables ``obs_index`` after each step; ``status`` (3, B) int64 holds, per member,
    the step, region and state variable of the first non-finite state (-1 while finite).
    All arrays are C-contiguous.
    """
    n_var, n_node, B = x.shape
    M = n_node * B
    n_cvar, H = hist.shape[0], hist.shape[2]
    n_obs = obs_index.shape[0]
    X = x.reshape((n_var, M))
    P = params.reshape((params.shape[0], M))
    G = gain.reshape((gain.shape[0], M))
    kap = _per_node(kappa, B)
    scale = _per_node(noise_scale, B)
    C = np.empty((n_cvar, M))
    k1 = np.empty((n_var, M))
    k2 = np.empty((n_var, M))
    tmp = np.empty((n_var, M))
    nz = np.zeros((n_var, M))
    st = np.zeros((n_var, M))
    alive = np.empty(M, dtype=np.bool_)
    for b in range(B):
        for i in range(n_node):
            alive[i * B + b] = status[0, b] < 0
    stage = np.empty((n_cvar, n_node, sums.shape[2]), dtype=np.float32)
    # A coupling with a pre function sums its pre channels, kept in a second ring rebuilt from
    # the raw one at the start of each chunk (both are written at the end of each block).
    ring = hist
    pre_stage = stage
    if has_pre(coupling_kind):
        n_pre = weights.shape[0]
        ring = np.empty((n_pre, n_node, H, B), dtype=np.float32)
        apply_pre(coupling_kind, coupling_parameters, hist.reshape((n_cvar, n_node, H * B)),
                  ring.reshape((n_pre, n_node, H * B)), H * B)  # fmt: skip
        pre_stage = np.empty((n_pre, n_node, sums.shape[2]), dtype=np.float32)
    stochastic = noise.shape[0] > 0
    stimulated = stim.shape[0] > 0
    half_dt = dt / 2.0
    done = 0
    while done < n_steps:
        K = min(k_block, n_steps - done)
        if dense.shape[0] > 0:  # no delays (K == 1): the dense matrix-vector product
            accumulate_dense(ring, dense, sums)
        else:
            accumulate_delayed(
                ring, first_step + done, K, row_start, sources, idelays, weights, sums
            )
        for k in range(K):
            step = first_step + done + k
            row = done + k
            if coupling_kind == LINEAR:
                for c in range(n_cvar):
                    xc = X[cvar[c]]
                    Cc = C[c]
                    g = G[c]
                    kc = kap[c]
                    b_c = offset[c]
                    S = sums[c]
                    base = k * B
                    for i in range(n_node):
                        for b in range(B):
                            m = i * B + b
                            own = np.float64(np.float32(xc[m]))
                            Cc[m] = g[m] * (np.float64(S[i, base + b]) - kc[m] * own) + b_c
            else:
                apply_post(coupling_kind, coupling_parameters, sums, k * B, X, cvar, G, C)
            if stochastic:
                z = noise[row].reshape((noise.shape[1], M))
                for v in range(n_var):
                    if noise_index[v] >= 0:
                        zv = z[noise_index[v]]
                        sv = scale[v]
                        nv = nz[v]
                        for m in range(M):
                            nv[m] = (sqrt_dt * zv[m]) * sv[m]
            if stimulated:
                for v in range(n_var):
                    for i in range(n_node):
                        s_vi = stim[row, v, i]
                        for b in range(B):
                            st[v, i * B + b] = s_vi
            model_dfun(X, C, P, k1)
            if scheme != EULER:
                for v in range(n_var):
                    xv, kv, nv, sv, tv = X[v], k1[v], nz[v], st[v], tmp[v]
                    lo_v, hi_v = lo[v], hi[v]
                    for m in range(M):
                        tv[m] = _clamp(xv[m] + dt * kv[m] + nv[m] + dt * sv[m], lo_v, hi_v)
                model_dfun(tmp, C, P, k2)
            bad = False
            for v in range(n_var):
                xv, kv, k2v, nv, sv = X[v], k1[v], k2[v], nz[v], st[v]
                lo_v, hi_v = lo[v], hi[v]
                if scheme == EULER:
                    for m in range(M):
                        new = _clamp(xv[m] + kv[m] * dt + nv[m] + dt * sv[m], lo_v, hi_v)
                        new = new if alive[m] else xv[m]
                        bad |= ((new - new) != 0.0) & alive[m]  # NaN exactly when not finite
                        xv[m] = new
                else:
                    for m in range(M):
                        new = xv[m] + (kv[m] + k2v[m]) * half_dt + nv[m] + dt * sv[m]
                        new = _clamp(new, lo_v, hi_v)
                        new = new if alive[m] else xv[m]
                        bad |= ((new - new) != 0.0) & alive[m]
                        xv[m] = new
            if bad:
                _find_blow_ups(X, alive, status, step, n_node, B)
            for c in range(n_cvar):
                xc = X[cvar[c]]
                dst = stage[c]
                base = k * B
                for i in range(n_node):
                    for b in range(B):
                        dst[i, base + b] = np.float32(xc[i * B + b])
            out = obs[row].reshape((n_obs, M))
            for o in range(n_obs):
                xo = X[obs_index[o]]
                oo = out[o]
                for m in range(M):
                    oo[m] = xo[m]
        store_block(hist, stage, first_step + done, K)
        if has_pre(coupling_kind):
            apply_pre(coupling_kind, coupling_parameters, stage, pre_stage, K * B)
            store_block(ring, pre_stage, first_step + done, K)
        done += K
