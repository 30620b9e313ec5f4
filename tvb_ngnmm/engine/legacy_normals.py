r"""NumPy's legacy normals (``RandomState.normal``), replayed by compiled code, off the GIL.

Without a seed the engine replays the simulator's own noise stream (TVB's
``noise.random_stream``, a ``numpy.random.RandomState``), so that a run equals ``sim.run()``
draw for draw. NumPy draws those normals one at a time through function pointers (about 17 ns
each on the benchmark machine, more than the kernel's step costs per draw) and holds the GIL.
:class:`LegacyNormals` draws the same values from a copy of the stream's state, compiled, without
the GIL, and computes only the draws the run uses, while consuming the stream exactly as
``normal(size=shape)`` does:

- bits: MT19937 (Matsumoto & Nishimura, 1998): 624 words of state regenerated together, each
  word tempered when read; a uniform takes two words, :math:`(a \gg 5,\ b \gg 6)`, as
  :math:`(2^{26} a + b)\, 2^{-53}`;
- normals: Marsaglia's polar method as NumPy's legacy generator has it. Pairs of uniforms
  :math:`x_{1,2} = 2u - 1` are drawn until :math:`0 < r^2 = x_1^2 + x_2^2 < 1`; then
  :math:`f = \sqrt{-2 \ln r^2 / r^2}`, the draw is :math:`f x_2`, and :math:`f x_1` is kept for
  the next draw (the stream's ``has_gauss`` and cached value).

Every pair of uniforms is one attempt, accepted or not, so a draw the run does not use still
costs its attempts (four words each) but neither logarithm nor square root: with noise on one of
JansenRit's six state variables, five sixths of the draws cost only their bits. Per generation
of 624 words (156 attempts), one vectorised pass tempers the words and computes each attempt's
:math:`x_1, x_2, r^2` and whether it is accepted; draws skipped only count accepted attempts
(a whole generation at once where they can). JR-76's 456 draws per step, 76 of them used: about
1.0-1.5 µs per step on the benchmark machine, against 7-8 µs for NumPy's. The arithmetic
is NumPy's, operation for operation (no fused multiply-add, ``math.log`` and ``math.sqrt`` of
the C library); tests check the draws and the end state bit for bit against ``RandomState``.

With the JIT disabled (``TVB_NGNMM_DISABLE_JIT=1``), or for a stream whose bit generator is not
MT19937, a copy of the stream itself is drawn from (``normal(size=...)``, the rows taken).
"""

from __future__ import annotations

import copy
import math

import numpy as np

from .._numba import JIT_ENABLED, jit

__all__ = ["LegacyNormals"]

_N = 624  # words of MT19937's state
_M = 397  # MT19937's middle offset
_ATTEMPTS = _N // 4  # attempts (pairs of uniforms, four words) per generation of words
_U53 = 1.0 / 9007199254740992.0  # 2**-53
# 32-bit constants, so that the compiled loops over words stay in 32 bits (8 words per vector)
_MATRIX_A = np.uint32(0x9908B0DF)
_UPPER = np.uint32(0x80000000)
_LOWER = np.uint32(0x7FFFFFFF)
_TEMPER_B = np.uint32(0x9D2C5680)
_TEMPER_C = np.uint32(0xEFC60000)
_S1, _S5, _S6, _S7, _S11, _S15, _S18 = (np.uint32(k) for k in (1, 5, 6, 7, 11, 15, 18))
# The integer state (``ints``): the words before the first whole attempt of a generation that
# belong to the previous one (``pos % 4`` is the same all along: attempts take four words), the
# attempts of this generation consumed, how many of them were accepted, the accepted attempts
# of the generation and one past the last of them, and whether a value is kept for the next
# draw (``has_gauss``).
_LEAD, _USED, _TAKEN, _N_ACCEPTED, _END, _HAS_GAUSS = range(6)


@jit(inline="always")
def _mix(upper, lower, far):
    """One word of the regeneration: ``far`` XOR the twisted top bit of one word and the low
    bits of the next."""
    y = (upper & _UPPER) | (lower & _LOWER)
    return far ^ (y >> _S1) ^ ((y & _S1) * _MATRIX_A)


@jit(inline="always")
def _temper(y):
    """MT19937's output of a word of state (cast back to 32 bits at each step)."""
    y = np.uint32(y ^ (y >> _S11))
    y = np.uint32(y ^ ((y << _S7) & _TEMPER_B))
    y = np.uint32(y ^ ((y << _S15) & _TEMPER_C))
    return np.uint32(y ^ (y >> _S18))


@jit(inline="always")
def _uniform(a, b):
    """A uniform in [0, 1) from two words: 27 and 26 of their bits."""
    return (np.int32(a >> _S5) * 67108864.0 + np.int32(b >> _S6)) * _U53


@jit(inline="always")
def _attempt(x1, x2, r2, accepted, j, a, b, c, d):
    """Attempt ``j`` from four tempered words: ``x1, x2, r2`` and whether it is accepted."""
    u = 2.0 * _uniform(a, b) - 1.0
    v = 2.0 * _uniform(c, d) - 1.0
    r = u * u + v * v
    x1[j], x2[j], r2[j] = u, v, r
    accepted[j] = np.int64((r < 1.0) & (r != 0.0))


@jit(nogil=True)
def _attempts(key, carry, pairs, accepted, lead):
    """The attempts of the words of ``key`` (the first one after the ``lead`` tempered words
    of the previous generation in ``carry``): each one's ``x1, x2, r2`` into ``pairs``,
    whether it is accepted (1 or 0) into ``accepted``.

    Returns
    -------
    n_accepted, end : int
        The number of accepted attempts, and one past the last of them.
    """
    x1, x2, r2 = pairs[0], pairs[1], pairs[2]
    first = 0
    if lead > 0:  # the attempt across the two generations
        a = carry[0]
        b = carry[1] if lead > 1 else _temper(key[1 - lead])
        c = carry[2] if lead > 2 else _temper(key[2 - lead])
        _attempt(x1, x2, r2, accepted, 0, a, b, c, _temper(key[3 - lead]))
        first = 1
    # the whole attempts, indexed from views (an offset index not known to be non-negative
    # keeps the loop from being vectorised)
    words = key[4 * first - lead :]
    x1, x2, r2, flags = x1[first:], x2[first:], r2[first:], accepted[first:]
    for q in range(_ATTEMPTS - first):
        _attempt(x1, x2, r2, flags, q, _temper(words[4 * q]), _temper(words[4 * q + 1]),
                 _temper(words[4 * q + 2]), _temper(words[4 * q + 3]))  # fmt: skip
    end = _ATTEMPTS
    while end > 0 and accepted[end - 1] == 0:
        end -= 1
    return accepted.sum(), end


@jit(nogil=True)
def _next_generation(key, carry, pairs, accepted, lead):
    """MT19937's next 624 words of state, and their attempts (the first one completing the
    ``lead`` words left over from the previous generation), as :func:`_attempts`."""
    for t in range(lead):
        carry[t] = _temper(key[_N - lead + t])
    for i in range(_N - _M):
        key[i] = _mix(key[i], key[i + 1], key[i + _M])
    for i in range(_N - _M, _N - 1):
        key[i] = _mix(key[i], key[i + 1], key[i + _M - _N])
    key[_N - 1] = _mix(key[_N - 1], key[0], key[_M - 1])
    return _attempts(key, carry, pairs, accepted, lead)


@jit(inline="always")
def _factor(r2):
    return math.sqrt(-2.0 * math.log(r2) / r2)


@jit(inline="always")
def _pairs(n, out, o, cursor, key, carry, pairs, accepted, lead):
    """Use the next ``n`` accepted attempts: their two draws each into ``out[o:o + 2n]``, or
    nowhere when ``o < 0``; ``cursor``: the attempts used, accepted ones among them, accepted
    ones and one past the last of them in the generation (returned, moved on)."""
    used, taken, n_accepted, end = cursor
    while n > 0:
        if taken == n_accepted:
            (n_accepted, end), used, taken = _next_generation(key, carry, pairs, accepted,
                                                              lead), 0, 0  # fmt: skip
        if o < 0 and n >= n_accepted - taken:  # the rest of the generation, skipped
            n -= n_accepted - taken
            used, taken = end, n_accepted
        elif o < 0:  # part of it, skipped: count the accepted attempts
            while n > 0:
                n -= accepted[used]
                used += 1
            taken = -1  # counted below
        else:
            while n > 0 and used < _ATTEMPTS:
                if accepted[used]:
                    f = _factor(pairs[2, used])
                    out[o] = f * pairs[1, used]
                    out[o + 1] = f * pairs[0, used]
                    o += 2
                    n -= 1
                    taken += 1
                used += 1
        if taken < 0:
            taken = accepted[:used].sum()
    return used, taken, n_accepted, end


@jit(nogil=True)
def _fill_compiled(runs, n_steps, out, key, carry, pairs, accepted, ints, cached):
    """``n_steps`` times the ``runs`` (draws skipped, then draws taken) of one step's draws;
    the draws taken written into ``out`` in order. Draws skipped cost no logarithm, except
    one kept for the next draw."""
    lead, has_gauss, gauss = ints[_LEAD], ints[_HAS_GAUSS], cached[0]
    cursor = ints[_USED], ints[_TAKEN], ints[_N_ACCEPTED], ints[_END]
    o, pending = 0, 0
    for r in range(n_steps * runs.shape[0] + 1):
        last = r == n_steps * runs.shape[0]
        n_take = 0 if last else runs[r % runs.shape[0], 1]
        pending += 0 if last else runs[r % runs.shape[0], 0]
        if n_take == 0 and not last:
            continue
        for n, into in ((pending, -1), (n_take, o)):  # skip, then take
            if n > 0 and has_gauss:
                if into >= 0:
                    out[into] = gauss
                    into += 1
                has_gauss, gauss, n = 0, 0.0, n - 1
            cursor = _pairs(n // 2, out, into, cursor, key, carry, pairs, accepted, lead)
            if n % 2:
                cursor = _pairs(1, out, -1, cursor, key, carry, pairs, accepted, lead)
                j = cursor[0] - 1
                f = _factor(pairs[2, j])
                if into >= 0:
                    out[into + n - 1] = f * pairs[1, j]
                has_gauss, gauss = 1, f * pairs[0, j]
        o += n_take
        pending = 0
    ints[_USED], ints[_TAKEN], ints[_N_ACCEPTED], ints[_END] = cursor
    ints[_HAS_GAUSS], cached[0] = has_gauss, gauss


class LegacyNormals:
    """The draws of ``random_stream.normal(size=...)`` from a copy of the stream, some rows.

    Parameters
    ----------
    random_stream : numpy.random.RandomState
        The stream to replay; it is copied and not touched.

    Draws are consumed in order, so the values do not depend on how they are split into calls.
    One instance must not be drawn from by two threads at once.
    """

    def __init__(self, random_stream):
        state = random_stream.get_state(legacy=False)
        self._stream = None
        if not JIT_ENABLED or state["bit_generator"] != "MT19937":
            self._stream = copy.deepcopy(random_stream)
            return
        self._key = np.array(state["state"]["key"], dtype=np.uint32)
        pos = int(state["state"]["pos"])
        lead = -pos % 4
        self._carry = np.zeros(4, dtype=np.uint32)
        self._pairs = np.empty((3, _ATTEMPTS))
        self._accepted = np.empty(_ATTEMPTS, dtype=np.int64)
        self._ints = np.zeros(6, dtype=np.int64)
        self._ints[_LEAD] = lead
        n_accepted, end = _attempts(self._key, self._carry, self._pairs, self._accepted, lead)
        used = (lead + pos) // 4  # the attempts before ``pos`` (the first: the lead's, unknown)
        self._ints[_USED], self._ints[_N_ACCEPTED], self._ints[_END] = used, n_accepted, end
        self._ints[_TAKEN] = self._accepted[:used].sum()
        self._ints[_HAS_GAUSS] = state["has_gauss"]
        self._cached = np.array([state["gauss"]], dtype=float)

    def normal(self, shape: tuple, rows=None) -> np.ndarray:
        """The next ``normal(size=shape)`` draws, ``shape = (n, n_row, ...)``, rows ``rows`` only.

        Parameters
        ----------
        shape : tuple of int
            The shape drawn, at least two axes; all its draws are consumed.
        rows : array of int, optional
            Indices along the second axis returned, increasing (default: all).

        Returns
        -------
        numpy.ndarray
            float64, ``shape`` with the second axis reduced to ``rows``.
        """
        shape = tuple(int(n) for n in shape)
        rows = np.arange(shape[1]) if rows is None else np.asarray(rows, dtype=np.int64)
        if self._stream is not None:
            return self._stream.normal(size=shape)[:, rows]
        out = np.empty((shape[0], rows.size) + shape[2:])
        _fill_compiled(_runs(shape[1], rows, math.prod(shape[2:])), shape[0], out.reshape(-1),
                       self._key, self._carry, self._pairs, self._accepted, self._ints,
                       self._cached)  # fmt: skip
        return out

    def get_state(self) -> dict:
        """The stream's state as ``RandomState.get_state(legacy=False)`` gives it."""
        if self._stream is not None:
            return self._stream.get_state(legacy=False)
        pos = 4 * int(self._ints[_USED]) - int(self._ints[_LEAD])
        return {
            "bit_generator": "MT19937",
            "state": {"key": self._key.copy(), "pos": pos},
            "has_gauss": int(self._ints[_HAS_GAUSS]),
            "gauss": float(self._cached[0]),
        }


def _runs(n_row: int, rows: np.ndarray, inner: int) -> np.ndarray:
    """One step's draws as runs ``(skipped, taken)``: rows not in ``rows``, then rows in it."""
    kept = np.zeros(n_row, dtype=bool)
    kept[rows] = True
    runs, skipped = [], 0
    for row in range(n_row):
        if kept[row]:
            runs.append((skipped, inner))
            skipped = 0
        else:
            skipped += inner
    runs.append((skipped, 0))
    return np.array(runs, dtype=np.int64)
