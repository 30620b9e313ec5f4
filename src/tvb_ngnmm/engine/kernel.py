r"""The compiled loop over the steps of one chunk.

Per block of ``K`` steps (``K = min(d_min + 1, K_max)``, see :mod:`.coupling_kernel`), the
delayed sums are accumulated in one pass; then, step by step and node by node, the coupling

.. math:: C_{c,i} = a_{c,i}\,\big(S_{c,i} - \kappa_{c,i}\, x_{c,i}(n-1)\big) + b_c

is formed from the sums ``S`` and the node's own coupling variable at the previous step (read
from the float32 history ring, as TVB's ``SparseHistory`` does), the node is advanced
(:func:`.integrate.step_node`), its new coupling variables are stored in the ring (float32) and
its observed variables in the chunk's output. A non-finite state marks its batch member as
blown up (``status[b]`` = step, plus region and state variable); the member is not advanced
further, the others go on.
"""

from __future__ import annotations

import numpy as np

from .._numba import jit
from .coupling_kernel import accumulate_delayed
from .integrate import step_node


@jit(nogil=True)
def run_chunk(
    code, scheme, x, hist, first_step, n_steps, k_block,
    row_start, sources, idelays, weights, kappa, gain, offset, cvar,
    params, lo, hi, dt, noise, noise_scale, sqrt_dt, stim, obs_index, obs, sums, status,
):  # fmt: skip
    """Advance ``x`` (n_var, n_node, B) by ``n_steps`` steps starting at ``first_step``.

    ``noise`` is (n_steps, n_var, n_node, B) standard normals or empty (deterministic);
    ``stim`` (n_steps, n_var, n_node) or empty; ``obs`` (n_steps, n_obs, n_node, B) receives
    the state variables ``obs_index`` after each step; ``status`` (3, B) int64 holds, per member,
    the step, region and state variable of the first non-finite state (-1 while finite).
    """
    n_var, n_node, B = x.shape
    n_cvar = hist.shape[0]
    H = hist.shape[2]
    n_obs = obs_index.shape[0]
    xv = np.empty(n_var)
    k1 = np.empty(n_var)
    k2 = np.empty(n_var)
    tmp = np.empty(n_var)
    C = np.empty(max(n_cvar, 2))
    st = np.zeros(n_var)
    nz = np.zeros(n_var)
    stochastic = noise.shape[0] > 0
    stimulated = stim.shape[0] > 0
    done = 0
    while done < n_steps:
        K = min(k_block, n_steps - done)
        accumulate_delayed(hist, first_step + done, K, row_start, sources, idelays, weights, sums)
        for k in range(K):
            step = first_step + done + k
            row = done + k
            prev = (step - 1) % H
            slot = step % H
            for b in range(B):
                alive = status[0, b] < 0
                for i in range(n_node):
                    if alive:
                        for c in range(n_cvar):
                            own = np.float64(hist[c, i, prev, b])
                            C[c] = gain[c, i, b] * (sums[c, i, k * B + b] - kappa[c, i] * own)
                            C[c] += offset[c]
                        for v in range(n_var):
                            xv[v] = x[v, i, b]
                            if stimulated:
                                st[v] = stim[row, v, i]
                            if stochastic:
                                nz[v] = (sqrt_dt * noise[row, v, i, b]) * noise_scale[v, i]
                        step_node(scheme, code, xv, C, n_cvar, params, i, b, dt, st, nz, lo, hi,
                                  k1, k2, tmp)  # fmt: skip
                        for v in range(n_var):
                            x[v, i, b] = xv[v]
                            if not np.isfinite(xv[v]) and status[0, b] < 0:
                                status[0, b] = step
                                status[1, b] = i
                                status[2, b] = v
                    for c in range(n_cvar):
                        hist[c, i, slot, b] = np.float32(x[cvar[c], i, b])
                    for o in range(n_obs):
                        obs[row, o, i, b] = x[obs_index[o], i, b]
        done += K
