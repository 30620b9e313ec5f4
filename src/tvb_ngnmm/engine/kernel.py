r"""The compiled loop over the steps of one chunk.

Per block of ``K`` steps (``K = min(d_min + 1, K_max)``, see :mod:`.coupling_kernel`), the
delayed sums are accumulated in one pass; then, step by step and node by node, the coupling

.. math:: C_{c,i} = a_{c,i}\,\big(S_{c,i} - \kappa_{c,i}\, x_{c,i}(n-1)\big) + b_c

is formed from the sums ``S`` and the node's own coupling variable at the previous step,
rounded to float32 (the value TVB's ``SparseHistory`` returns). The node is advanced by TVB's
scheme (:mod:`.integrate`; boundaries applied after each stage), its new coupling variables are
staged (float32, time-major) and its observed variables written to the chunk's output. At the
end of the block the staged values are copied into the node-major ring, ``K`` consecutive slots
per node (writing the ring step by step would touch one cache line per node and step). A
non-finite state marks its batch member as blown up (``status[:, b]``: step, region, state
variable); that member is not advanced further, the others go on.
"""

from __future__ import annotations

import numpy as np

from .._numba import jit
from ._cache import invalidate_stale_kernels
from .coupling_kernel import accumulate_delayed
from .equations import model_dfun
from .integrate import EULER

invalidate_stale_kernels()


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
def run_chunk(
    code, scheme, x, hist, first_step, n_steps, k_block,
    row_start, sources, idelays, weights, kappa, gain, offset, cvar,
    params, lo, hi, dt, noise, noise_index, noise_scale, sqrt_dt, stim, obs_index, obs, sums,
    status,
):  # fmt: skip
    """Advance ``x`` (n_var, n_node, B) by ``n_steps`` steps starting at ``first_step``.

    ``noise`` is (n_steps, n_noisy, n_node, B) standard normals or empty (deterministic), row
    ``noise_index[v]`` for state variable ``v`` (-1: no noise on it);
    ``stim`` (n_steps, n_var, n_node) or empty; ``obs`` (n_steps, n_obs, n_node, B) receives
    the state variables ``obs_index`` after each step; ``status`` (3, B) int64 holds, per member,
    the step, region and state variable of the first non-finite state (-1 while finite).
    """
    n_var, n_node, B = x.shape
    n_cvar = hist.shape[0]
    n_obs = obs_index.shape[0]
    xv = np.empty(n_var)
    k1 = np.empty(n_var)
    k2 = np.empty(n_var)
    tmp = np.empty(n_var)
    C = np.empty(max(n_cvar, 2))
    st = np.zeros(n_var)
    nz = np.zeros(n_var)
    stage = np.empty((n_cvar, n_node, sums.shape[2]), dtype=np.float32)
    stochastic = noise.shape[0] > 0
    stimulated = stim.shape[0] > 0
    done = 0
    while done < n_steps:
        K = min(k_block, n_steps - done)
        accumulate_delayed(hist, first_step + done, K, row_start, sources, idelays, weights, sums)
        for k in range(K):
            step = first_step + done + k
            row = done + k
            for i in range(n_node):
                for b in range(B):  # members innermost: contiguous in every array
                    if status[0, b] < 0:
                        for c in range(n_cvar):
                            own = np.float64(np.float32(x[cvar[c], i, b]))
                            C[c] = gain[c, i, b] * (sums[c, i, k * B + b] - kappa[c, i] * own)
                            C[c] += offset[c]
                        for v in range(n_var):
                            xv[v] = x[v, i, b]
                            if stimulated:
                                st[v] = stim[row, v, i]
                            if stochastic and noise_index[v] >= 0:
                                z = noise[row, noise_index[v], i, b]
                                nz[v] = (sqrt_dt * z) * noise_scale[v, i]
                        model_dfun(code, xv, C, n_cvar, params, i, b, k1)
                        if scheme == EULER:
                            for v in range(n_var):
                                xv[v] = xv[v] + k1[v] * dt + nz[v] + dt * st[v]
                        else:
                            for v in range(n_var):
                                tmp[v] = xv[v] + dt * k1[v] + nz[v] + dt * st[v]
                                if tmp[v] < lo[v]:
                                    tmp[v] = lo[v]
                                elif tmp[v] > hi[v]:
                                    tmp[v] = hi[v]
                            model_dfun(code, tmp, C, n_cvar, params, i, b, k2)
                            for v in range(n_var):
                                xv[v] = xv[v] + (k1[v] + k2[v]) * dt / 2.0 + nz[v] + dt * st[v]
                        for v in range(n_var):
                            if xv[v] < lo[v]:
                                xv[v] = lo[v]
                            elif xv[v] > hi[v]:
                                xv[v] = hi[v]
                        for v in range(n_var):
                            x[v, i, b] = xv[v]
                            if not np.isfinite(xv[v]) and status[0, b] < 0:
                                status[0, b] = step  # this member stops here
                                status[1, b] = i
                                status[2, b] = v
                    for c in range(n_cvar):
                        stage[c, i, k * B + b] = np.float32(x[cvar[c], i, b])
                    for o in range(n_obs):
                        obs[row, o, i, b] = x[obs_index[o], i, b]
        store_block(hist, stage, first_step + done, K)
        done += K
