r"""The compiled loop over the steps of one chunk.

Per block of ``K`` steps (``K = min(d_min + 1, K_max)`` with ``d_min`` the shortest delay of
the edges summed in blocks, see :mod:`.delays` and :mod:`.coupling_kernel`), their sums are
accumulated in one pass, step-major. Then, step by step, the edges of shorter delay
(self-connections among them) add the values each source had ``1 + d`` steps before, as stored
(float32, or its pre channels) in a step-major buffer of the last steps, and the coupling

.. math:: C_{c,i} = a_{c,i}\,\big(S_{c,i} - \kappa_{c,i}\, x_{c,i}(n-1)\big) + b_c

is formed from the sums ``S`` and each node's own coupling variable at the previous step,
rounded to float32 (the value TVB's ``SparseHistory`` returns) (couplings with a nonlinear
``pre`` or ``post`` function: see :mod:`.coupling_kernel`), and all nodes of all batch
members are advanced together by TVB's scheme (:mod:`.integrate`; boundaries applied after
each stage). The state is held as ``(n_var, M)`` with ``M = n_node * B`` (batch member last),
so that every per-step loop runs over ``m`` contiguously and LLVM vectorises it. The new
coupling variables are staged (float32, step-major, and their pre channels when the coupling
has a pre function) and copied into the node-major ring at the end of the block, ``K``
consecutive slots per node (writing the ring step by step would touch one cache line per node
and step). A non-finite state marks its batch member as blown up (``status[:, b]``: step,
region, state variable of the first non-finite value, in node then variable order); that member
is not advanced further, the others go on. So does a state beyond :data:`STATE_LIMIT` in
magnitude: the history holds the coupling variables in float32, which cannot represent it.

:func:`run_chunk` is a template: :mod:`._cache` compiles it once for all models, in a module
named by a digest of its sources. It calls the model's loop over nodes (``model_dfun``,
:mod:`.equations`) and the coupling's pieces (:mod:`.coupling_kernel`) through its last
arguments, compiled functions passed by address (:func:`tvb_ngnmm._numba.pointer`): each is
compiled on its own, once, and only when a run calls it, so that a new model compiles only its
loop (a call per step and stage; the loop over nodes is inside it).
"""

from __future__ import annotations

import numpy as np

from .._numba import jit
from .coupling_kernel import VECTOR, recent_offsets
from .errors import STATE_LIMIT as _STATE_LIMIT
from .integrate import EULER, HEUN, IDENTITY

#: Largest magnitude of a state value (3.4e38, float32's largest): the history ring stores the
#: coupling variables in float32, where a larger value becomes infinite, and no model's state
#: means anything there (TVB's JansenRit with ``a = -5`` grows to 1e48 while staying finite in
#: float64). A state beyond it is a blow-up, as a non-finite one is.
STATE_LIMIT = _STATE_LIMIT


@jit(nogil=True)
def store_block(ring, H, stage, step, n_block):
    """Copy ``stage[k, c, i*B + b]`` (steps ``step .. step + K - 1``) into the ring's slots.

    ``ring`` (n_channel, n_node, slots, B) is node-major: slot ``s mod H`` holds step ``s`` and
    every slot ``s + H``, ``s + 2H``, ... below ``slots`` mirrors it; ``stage`` (K_max,
    n_channel, n_node * B) is step-major. A block longer than the ring (no delayed edges)
    leaves each slot its last step. Nodes are copied a tile at a time, so that each step's row
    of the stage is read a whole cache line at a time.
    """
    n_channel, n_node, slots, B = ring.shape
    flat = ring.reshape(n_channel * n_node * slots * B)  # (c, i, slot, b), indexed directly
    tile = max(1, VECTOR // B)
    for c in range(n_channel):
        for first in range(0, n_node, tile):
            last = min(first + tile, n_node)
            slot = step % H
            for k in range(n_block):
                src = stage[k, c]
                image = slot
                while image < slots:
                    at = (c * n_node * slots + image) * B
                    if B == 1:  # one float per node: no loop over members
                        for i in range(first, last):
                            flat[at + i * slots] = src[i]
                    else:
                        for i in range(first, last):
                            o = at + i * slots * B
                            for b in range(B):
                                flat[o + b] = src[i * B + b]
                    image += H
                slot += 1
                if slot == H:
                    slot = 0


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
    """Record the first value beyond :data:`STATE_LIMIT` or NaN (node, then variable) of each
    member still alive."""
    n_var = X.shape[0]
    for b in range(B):
        if status[0, b] >= 0:
            continue
        for i in range(n_node):
            found = False
            for v in range(n_var):
                value = X[v, i * B + b]
                if abs(value) > STATE_LIMIT or value != value:
                    status[0, b] = step
                    status[1, b] = i
                    status[2, b] = v
                    found = True
                    break
            if found:
                for j in range(n_node):
                    alive[j * B + b] = False
                break


def run_chunk(
    scheme, x, ring, raw, H, first_step, n_steps, k_block, middle_block,
    row_start, sources, idelays, weights, short_start, short_sources, short_idelays,
    short_weights, dense,
    kappa, gain, offset, cvar, coupling_pre, coupling_post, coupling_parameters,
    params, lo, hi, dt, noise, noise_index, noise_scale, sqrt_dt, stim, obs_index, obs_every,
    obs_phase, obs, sums, status,
    model_dfun, accumulate_delayed, accumulate_recent, accumulate_dense, apply_pre, apply_post,
):  # fmt: skip
    """Advance ``x`` (n_var, n_node, B) by ``n_steps`` steps starting at ``first_step``.

    The last six arguments are the functions it calls, as :func:`._cache.kernel_calls` gives
    them: the model's ``model_dfun(x, C, p, out)`` and the functions of
    :mod:`.coupling_kernel` of those names (or, for a piece a run does not call, a function of
    the same arguments that does nothing).

    ``ring`` (n_sum, n_node, slots, B) float32 is the history of the summed channels (the
    coupling variables, or their pre channels for a coupling with a pre function), ``H`` steps
    and their mirror (:func:`.coupling_kernel.ring_slots`). ``raw`` (n_cvar, n_node, H, B)
    float32, when not empty, receives the coupling variables as TVB's history holds them (slot
    ``s mod H``: step ``s``), for a ring that holds pre channels: the history a continued run
    starts from.
    ``row_start`` (n_tier, n_node + 1), ``sources``, ``idelays``, ``weights`` (n_sum, n_edge)
    float32 are the edges summed in blocks: tier 0 in blocks of ``k_block`` steps, tier 1 (if
    ``row_start`` has two rows) in blocks of ``middle_block`` steps; ``short_start``,
    ``short_sources``, ``short_idelays``, ``short_weights`` (n_sum, n_short) float32 those of
    shorter delays, summed step by step (:mod:`.delays`); ``dense`` the dense ``(n_sum, source,
    target)`` matrix of a network without delays (then it replaces all edges; else empty, see
    :meth:`.coupling.CouplingTerms.dense`); ``coupling_pre`` (the ring holds pre channels,
    which ``apply_pre`` computes as each step is stored) and ``coupling_post`` (``apply_post``
    turns the sums into the coupling; otherwise the linear ``a (S - kappa x) + b``) say how the
    ``n_sum`` sums become the coupling, ``coupling_parameters`` (float64) what those read;
    ``noise`` is (n_steps, n_noisy, n_node, B) standard normals or empty (deterministic), row
    ``noise_index[v]`` for state variable ``v`` (-1: no noise on it); ``stim`` (n_steps, n_var,
    n_node) or empty; ``obs`` (n_rows, n_obs, n_node, B) receives the state variables
    ``obs_index`` after each step, summed over ``obs_every`` consecutive steps per row: the
    chunk's first step is the ``obs_phase``-th step of row 0 (``0 <= obs_phase < obs_every``;
    when it is not the row's first, the step is added to what row 0 holds), so that with
    ``obs_every = 1`` row ``k`` is the state after step ``k``, and with a monitor's averaging
    period the rows are its block sums, added step by step in order; ``sums`` (n_tier, K_max,
    n_sum, n_node * B) float32 is scratch; ``status`` (3, B) int64 holds, per member, the step,
    region and state variable of the first non-finite state (-1 while finite). All arrays are
    C-contiguous.
    """
    n_var, n_node, B = x.shape
    M = n_node * B
    n_cvar = cvar.shape[0]
    n_sum, slots = ring.shape[0], ring.shape[2]
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
    k_max = sums.shape[1]
    stage = np.empty((k_max, n_cvar, M), dtype=np.float32)
    channels = stage  # what the ring holds: the coupling variables, or their pre channels
    if coupling_pre:
        channels = np.empty((k_max, n_sum, M), dtype=np.float32)
    # The summed channels of the last ``n_recent`` steps, step-major (step ``s`` in row
    # ``s mod n_recent``), read by the edges summed step by step and by a dense matrix.
    n_short = short_sources.shape[0]
    is_dense = dense.shape[0] > 0
    n_recent = 1 if is_dense else 0
    for e in range(n_short):
        n_recent = max(n_recent, short_idelays[e] + 1)
    # Row ``s mod n_recent + n_recent`` mirrors row ``s mod n_recent`` (reads never wrap).
    recent = np.empty((2 * max(n_recent, 1), n_sum, M), dtype=np.float32)
    offsets = recent_offsets(n_node, n_sum, M, short_sources, short_idelays)
    if n_recent > 0:
        flat = ring.reshape((n_sum, n_node, slots * B))
        for back in range(n_recent):
            past = first_step - 1 - back
            slot = (past % H + H) % H * B
            into = (past % n_recent + n_recent) % n_recent
            for p in range(n_sum):
                for i in range(n_node):
                    for b in range(B):
                        value = flat[p, i, slot + b]
                        recent[into, p, i * B + b] = value
                        recent[into + n_recent, p, i * B + b] = value
    stochastic = noise.shape[0] > 0
    stimulated = stim.shape[0] > 0
    # The variables with noise or stimulus terms (zero terms added to the others would change
    # nothing but the sign of a zero sum).
    forced = np.zeros(n_var, dtype=np.bool_)
    for v in range(n_var):
        forced[v] = stimulated or (stochastic and noise_index[v] >= 0)
    normals = noise.reshape((noise.shape[0], noise.shape[1], M))
    rows = obs.reshape((obs.shape[0], n_obs, M))
    half_dt = dt / 2.0
    st_dt = 1.0 if scheme == IDENTITY else dt  # the stimulus's factor in the update
    done = 0
    n_tier = row_start.shape[0]
    # Per step, arrays are indexed in full (``X[v, m]``), never through a view of a row: each
    # view costs two atomic reference-count updates, which were a quarter of a step's time.
    while done < n_steps:
        K = min(k_block, n_steps - done)
        if sources.shape[0] > 0:
            accumulate_delayed(
                ring, H, first_step + done, K, row_start[0], sources, idelays, weights, sums[0]
            )
        elif not is_dense:
            sums[0, :K] = 0.0
        stored = 0  # steps of the block copied into the ring
        for k in range(K):
            step = first_step + done + k
            row = done + k
            if n_tier > 1:  # the middle tier: its own blocks, from a ring stored up to here
                j = k % middle_block
                if j == 0:
                    if k > stored:
                        store_block(ring, H, channels[stored:], first_step + done + stored,
                                    k - stored)  # fmt: skip
                        stored = k
                    accumulate_delayed(ring, H, step, min(middle_block, K - k), row_start[1],
                                       sources, idelays, weights, sums[1])  # fmt: skip
                for p in range(n_sum):
                    for m in range(M):
                        sums[0, k, p, m] += sums[1, j, p, m]
            if is_dense:  # no delays: the dense matrix-vector product of the previous step
                accumulate_dense(recent[(step - 1) % n_recent], dense, sums[0, k])
            elif n_short > 0:  # short delays: the values of the last steps, step by step
                accumulate_recent(recent, step, short_start, offsets, short_weights, sums[0, k])
            if not coupling_post:
                for c in range(n_cvar):
                    v_c, b_c = cvar[c], offset[c]
                    for m in range(M):
                        own = np.float64(np.float32(X[v_c, m]))
                        C[c, m] = G[c, m] * (np.float64(sums[0, k, c, m]) - kap[c, m] * own) + b_c
            else:
                apply_post(coupling_parameters, sums[0, k], X, cvar, G, C, B)
            if stochastic:
                for v in range(n_var):
                    r = noise_index[v]
                    if r >= 0:
                        for m in range(M):
                            nz[v, m] = (sqrt_dt * normals[row, r, m]) * scale[v, m]
            if stimulated:
                for v in range(n_var):
                    for i in range(n_node):
                        s_vi = stim[row, v, i]
                        for b in range(B):
                            st[v, i * B + b] = s_vi
            model_dfun(X, C, P, k1)
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
                model_dfun(tmp, C, P, k2)
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
                    bad |= (not abs(new) <= STATE_LIMIT) & alive[m]  # beyond it, or NaN
                    X[v, m] = new
            if bad:
                _find_blow_ups(X, alive, status, step, n_node, B)
            for c in range(n_cvar):  # the history's float32 values of the new state
                v_c = cvar[c]
                for m in range(M):
                    stage[k, c, m] = np.float32(X[v_c, m])
            if coupling_pre:
                apply_pre(coupling_parameters, stage[k], channels[k])
            if n_recent > 0:
                newest = step % n_recent
                for p in range(n_sum):
                    for m in range(M):
                        value = channels[k, p, m]
                        recent[newest, p, m] = value
                        recent[newest + n_recent, p, m] = value
            at = obs_phase + row
            r = at // obs_every
            if at % obs_every == 0:  # the row's first step
                for o in range(n_obs):
                    v_o = obs_index[o]
                    for m in range(M):
                        rows[r, o, m] = X[v_o, m]
            else:
                for o in range(n_obs):
                    v_o = obs_index[o]
                    for m in range(M):
                        rows[r, o, m] += X[v_o, m]
        store_block(ring, H, channels[stored:], first_step + done + stored, K - stored)
        if raw.shape[0] > 0:
            store_block(raw, H, stage, first_step + done, K)
        done += K
