r"""The compiled loop over the steps of one chunk of a cortical-surface simulation.

A surface simulation has two spaces, as in TVB (``tvb.simulator.simulator.Simulator``): the
*nodes* (one per cortical vertex, then one per non-cortical region), whose state the model
advances, and the connectivity's *regions*, whose history the long-range coupling reads. Per
step:

- the long-range coupling is computed on the regions exactly as :func:`.kernel.run_chunk`
  computes it on a region network (the same blocked delayed sums of the float32 history ring,
  :mod:`.coupling_kernel`, and the same linear form or ``pre``/``post`` functions), with each
  region's own coupling variable taken from its mean at the previous step as the history holds it
  (float32), and each node receives the coupling of its region (``region_of``);
- the local coupling ``lc_k = (cs · L) @ source_k`` (:func:`local_coupling`; ``source_k`` the
  model's declared expression of the state, :mod:`.equations`) is computed before each
  evaluation of the model's equations (twice per Heun step: at the state and at the
  predictor), summed along each row of the sparse matrix in the order of its entries, as
  SciPy's product does;
- the nodes are advanced by TVB's scheme (:mod:`.integrate`), with noise and stimulus per node;
- the region means of the new state's coupling variables (sums over the region's nodes in node
  order, divided by their number, as TVB's ``surface_state_to_rois``) become the history's
  new float32 row.

The state is held as ``(n_var, N * B)`` (batch member last), the regions' arrays as ``(…, R *
B)``. Blow-ups are found as in :func:`.kernel.run_chunk` (``status[1]`` is then a node).
"""

from __future__ import annotations

import numpy as np

from .._numba import jit
from .coupling_kernel import recent_offsets
from .integrate import EULER, HEUN, IDENTITY
from .kernel import STATE_LIMIT, _clamp, _find_blow_ups, _per_node, store_block


@jit(nogil=True)
def local_coupling(start, index, weight, source, rows, out, B):
    """``out[k, i*B + b] = Σ_e weight[e] source[rows[k], index[e]*B + b]`` over the entries
    ``e`` of row ``i`` (``start[i]:start[i + 1]``), added in their order from 0 (SciPy's CSR
    product)."""
    n_term = out.shape[0]
    n_row = start.shape[0] - 1
    for k in range(n_term):
        s = rows[k]
        if B == 1:
            for i in range(n_row):
                acc = 0.0
                for e in range(start[i], start[i + 1]):
                    acc += weight[e] * source[s, index[e]]
                out[k, i] = acc
        else:
            for i in range(n_row):
                for b in range(B):
                    acc = 0.0
                    for e in range(start[i], start[i + 1]):
                        acc += weight[e] * source[s, index[e] * B + b]
                    out[k, i * B + b] = acc


@jit(nogil=True)
def region_means(X, v, region_of, count, acc, out, B):
    """``out[r*B + b]``: the mean of ``X[v, i*B + b]`` over the nodes ``i`` of region ``r``
    (summed in node order from 0, then divided by their number ``count[r]``)."""
    acc[:] = 0.0
    if B == 1:  # one float per node: no loop over members
        for i in range(region_of.shape[0]):
            acc[region_of[i]] += X[v, i]
    else:
        for i in range(region_of.shape[0]):
            r = region_of[i]
            for b in range(B):
                acc[r * B + b] += X[v, i * B + b]
    for r in range(count.shape[0]):
        for b in range(B):
            out[r * B + b] = acc[r * B + b] / count[r]


@jit(nogil=True)
def _evaluate(X, C, P, PU, out, LC, SRC, active, plain, lc_start, lc_index, lc_weight, B,
              model_dfun, model_dfun_lc, model_dfun_lcu, local_source):  # fmt: skip
    """The model's derivatives at ``X``: with its local coupling terms ``LC`` (computed when
    ``active``, else 0) when it has any, with the parameters ``PU`` of every node (one column)
    when that is not empty. ``plain[k] >= 0``: source ``k`` is that state variable (read from
    ``X`` as it is, without ``local_source``)."""
    if LC.shape[0] > 0:
        if active:
            if plain[0] >= 0:
                local_coupling(lc_start, lc_index, lc_weight, X, plain, LC, B)
            else:
                local_source(X, P, SRC)
                rows = np.arange(LC.shape[0])
                local_coupling(lc_start, lc_index, lc_weight, SRC, rows, LC, B)
        if PU.shape[1] > 0:
            model_dfun_lcu(X, C, LC, PU, out)
        else:
            model_dfun_lc(X, C, LC, P, out)
    else:
        model_dfun(X, C, P, out)


def run_surface_chunk(
    scheme, x, ring, raw, H, first_step, n_steps, k_block, middle_block,
    row_start, sources, idelays, weights, short_start, short_sources, short_idelays,
    short_weights, dense,
    kappa, gain, offset, cvar, coupling_pre, coupling_post, coupling_parameters,
    params, lo, hi, dt, noise, noise_index, noise_scale, sqrt_dt, stim, obs_index, obs_every,
    obs_phase, obs, sums, status,
    region_of, region_count, region_x, lc_start, lc_index, lc_weight, n_local, lc_active,
    lc_plain, uniform,
    model_dfun, accumulate_delayed, accumulate_recent, accumulate_dense, apply_pre, apply_post,
    model_dfun_lc, model_dfun_lcu, local_source,
):  # fmt: skip
    """Advance the nodes ``x`` (n_var, N, B) of a surface simulation by ``n_steps`` steps.

    The arguments are those of :func:`.kernel.run_chunk`, with the coupling's arrays (``ring``,
    ``raw``, the edges, ``kappa``, ``gain``, ``sums``) over the R regions, and: ``region_of``
    (N,) uint32, the region of each node; ``region_count`` (R,) float64, the number of nodes of
    each region; ``region_x`` (n_var, R, B) float64, whose coupling variables' rows hold the
    region means of the last step (updated as the run goes); ``lc_start`` (N + 1,),
    ``lc_index`` (nnz,) int64 and ``lc_weight`` (nnz,) float64, the local coupling matrix
    ``cs · L`` as CSR, with ``n_local`` terms (0: none, and ``model_dfun`` is called instead of
    ``model_dfun_lc``), computed if ``lc_active`` (else 0); ``lc_plain`` (n_local,) int64,
    the state variable each source is, when every source is one (else -1); ``uniform``,
    whether every node of every member has the same parameters (``model_dfun_lcu`` then reads
    them once); the model's ``model_dfun_lc``, ``model_dfun_lcu`` and ``local_source`` last
    (:mod:`.equations`).
    """
    n_var, n_node, B = x.shape
    M = n_node * B
    n_region = region_count.shape[0]
    MR = n_region * B
    n_cvar = cvar.shape[0]
    n_sum, slots = ring.shape[0], ring.shape[2]
    n_obs = obs_index.shape[0]
    X = x.reshape((n_var, M))
    XR = region_x.reshape((n_var, MR))
    P = params.reshape((params.shape[0], M))
    G = gain.reshape((gain.shape[0], MR))
    kap = _per_node(kappa, B)
    scale = _per_node(noise_scale, B)
    CR = np.empty((n_cvar, MR))
    C = np.empty((n_cvar, M))
    LC = np.zeros((n_local, M))
    SRC = np.zeros((n_local if lc_plain.shape[0] == 0 or lc_plain[0] < 0 else 0, M))
    PU = np.ascontiguousarray(P[:, :1]) if uniform else np.zeros((P.shape[0], 0))
    acc = np.empty(MR)
    k1 = np.empty((n_var, M))
    k2 = np.empty((n_var, M))
    tmp = np.empty((n_var, M))
    nz = np.zeros((n_var, M))
    st = np.zeros((n_var, M))
    alive = np.empty(M, dtype=np.bool_)
    for b in range(B):
        for i in range(n_node):
            alive[i * B + b] = status[0, b] < 0
    k_max = sums.shape[1]
    stage = np.empty((k_max, n_cvar, MR), dtype=np.float32)
    channels = stage
    if coupling_pre:
        channels = np.empty((k_max, n_sum, MR), dtype=np.float32)
    n_short = short_sources.shape[0]
    is_dense = dense.shape[0] > 0
    n_recent = 1 if is_dense else 0
    for e in range(n_short):
        n_recent = max(n_recent, short_idelays[e] + 1)
    recent = np.empty((2 * max(n_recent, 1), n_sum, MR), dtype=np.float32)
    offsets = recent_offsets(n_region, n_sum, MR, short_sources, short_idelays)
    if n_recent > 0:
        flat = ring.reshape((n_sum, n_region, slots * B))
        for back in range(n_recent):
            past = first_step - 1 - back
            slot = (past % H + H) % H * B
            into = (past % n_recent + n_recent) % n_recent
            for p in range(n_sum):
                for r in range(n_region):
                    for b in range(B):
                        value = flat[p, r, slot + b]
                        recent[into, p, r * B + b] = value
                        recent[into + n_recent, p, r * B + b] = value
    stochastic = noise.shape[0] > 0
    stimulated = stim.shape[0] > 0
    forced = np.zeros(n_var, dtype=np.bool_)
    for v in range(n_var):
        forced[v] = stimulated or (stochastic and noise_index[v] >= 0)
    normals = noise.reshape((noise.shape[0], noise.shape[1], M))
    rows = obs.reshape((obs.shape[0], n_obs, M))
    half_dt = dt / 2.0
    st_dt = 1.0 if scheme == IDENTITY else dt  # the stimulus's factor in the update
    done = 0
    n_tier = row_start.shape[0]
    while done < n_steps:
        K = min(k_block, n_steps - done)
        if sources.shape[0] > 0:
            accumulate_delayed(
                ring, H, first_step + done, K, row_start[0], sources, idelays, weights, sums[0]
            )
        elif not is_dense:
            sums[0, :K] = 0.0
        stored = 0
        for k in range(K):
            step = first_step + done + k
            row = done + k
            if n_tier > 1:
                j = k % middle_block
                if j == 0:
                    if k > stored:
                        store_block(ring, H, channels[stored:], first_step + done + stored,
                                    k - stored)  # fmt: skip
                        stored = k
                    accumulate_delayed(ring, H, step, min(middle_block, K - k), row_start[1],
                                       sources, idelays, weights, sums[1])  # fmt: skip
                for p in range(n_sum):
                    for m in range(MR):
                        sums[0, k, p, m] += sums[1, j, p, m]
            if is_dense:
                accumulate_dense(recent[(step - 1) % n_recent], dense, sums[0, k])
            elif n_short > 0:
                accumulate_recent(recent, step, short_start, offsets, short_weights, sums[0, k])
            if not coupling_post:
                for c in range(n_cvar):
                    v_c, b_c = cvar[c], offset[c]
                    for m in range(MR):
                        own = np.float64(np.float32(XR[v_c, m]))
                        CR[c, m] = G[c, m] * (np.float64(sums[0, k, c, m]) - kap[c, m] * own) + b_c
            else:
                apply_post(coupling_parameters, sums[0, k], XR, cvar, G, CR, B)
            for c in range(n_cvar):  # each node receives its region's coupling
                if B == 1:
                    for i in range(n_node):
                        C[c, i] = CR[c, region_of[i]]
                else:
                    for i in range(n_node):
                        at = region_of[i] * B
                        for b in range(B):
                            C[c, i * B + b] = CR[c, at + b]
            if stochastic:
                for v in range(n_var):
                    r_v = noise_index[v]
                    if r_v >= 0:
                        for m in range(M):
                            nz[v, m] = (sqrt_dt * normals[row, r_v, m]) * scale[v, m]
            if stimulated:
                for v in range(n_var):
                    for i in range(n_node):
                        s_vi = stim[row, v, i]
                        for b in range(B):
                            st[v, i * B + b] = s_vi
            _evaluate(X, C, P, PU, k1, LC, SRC, lc_active, lc_plain, lc_start, lc_index,
                      lc_weight, B, model_dfun, model_dfun_lc, model_dfun_lcu,
                      local_source)  # fmt: skip
            if scheme == HEUN:
                for v in range(n_var):
                    lo_v, hi_v = lo[v], hi[v]
                    if forced[v]:
                        for m in range(M):
                            tmp[v, m] = _clamp(X[v, m] + dt * k1[v, m] + nz[v, m] + dt * st[v, m],
                                               lo_v, hi_v)  # fmt: skip
                    else:
                        for m in range(M):
                            tmp[v, m] = _clamp(X[v, m] + dt * k1[v, m], lo_v, hi_v)
                _evaluate(tmp, C, P, PU, k2, LC, SRC, lc_active, lc_plain, lc_start, lc_index,
                          lc_weight, B, model_dfun, model_dfun_lc, model_dfun_lcu,
                          local_source)  # fmt: skip
            bad = False
            for v in range(n_var):
                lo_v, hi_v = lo[v], hi[v]
                if scheme == EULER:
                    for m in range(M):
                        tmp[v, m] = X[v, m] + k1[v, m] * dt
                elif scheme == IDENTITY:
                    for m in range(M):
                        tmp[v, m] = k1[v, m]
                else:
                    for m in range(M):
                        tmp[v, m] = X[v, m] + (k1[v, m] + k2[v, m]) * half_dt
                if forced[v]:
                    for m in range(M):
                        tmp[v, m] = tmp[v, m] + nz[v, m] + st_dt * st[v, m]
                for m in range(M):
                    new = _clamp(tmp[v, m], lo_v, hi_v)
                    new = new if alive[m] else X[v, m]
                    bad |= (not abs(new) <= STATE_LIMIT) & alive[m]
                    X[v, m] = new
            if bad:
                _find_blow_ups(X, alive, status, step, n_node, B)
            for c in range(n_cvar):  # the history's float32 region means of the new state
                v_c = cvar[c]
                region_means(X, v_c, region_of, region_count, acc, XR[v_c], B)
                for m in range(MR):
                    stage[k, c, m] = np.float32(XR[v_c, m])
            if coupling_pre:
                apply_pre(coupling_parameters, stage[k], channels[k])
            if n_recent > 0:
                newest = step % n_recent
                for p in range(n_sum):
                    for m in range(MR):
                        value = channels[k, p, m]
                        recent[newest, p, m] = value
                        recent[newest + n_recent, p, m] = value
            at = obs_phase + row
            r_o = at // obs_every
            if at % obs_every == 0:
                for o in range(n_obs):
                    v_o = obs_index[o]
                    for m in range(M):
                        rows[r_o, o, m] = X[v_o, m]
            else:
                for o in range(n_obs):
                    v_o = obs_index[o]
                    for m in range(M):
                        rows[r_o, o, m] += X[v_o, m]
        store_block(ring, H, channels[stored:], first_step + done + stored, K - stored)
        if raw.shape[0] > 0:
            store_block(raw, H, stage, first_step + done, K)
        done += K
