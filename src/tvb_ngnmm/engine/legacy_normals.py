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
JansenRit's six state variables, five sixths of the draws cost only their bits. The arithmetic
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
# attempts consumed in this generation, the accepted ones and how many of those were used, and
# whether a value is kept for the next draw (``has_gauss``).
_LEAD, _USED, _N_ACCEPTED, _TAKEN, _HAS_GAUSS = range(5)


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


@jit(nogil=True)
def _attempts(key, words, pairs, accepted, lead):
    """Temper the words of ``key`` after the ``lead`` words kept in ``words``; the attempts'
    ``x1, x2, r2`` into ``pairs``, the indices of the accepted ones into ``accepted``.

    Returns
    -------
    int
        The number of accepted attempts.
    """
    for i in range(_N):
        words[lead + i] = _temper(key[i])
    x1, x2, r2 = pairs[0], pairs[1], pairs[2]
    for j in range(_ATTEMPTS):
        x1[j] = 2.0 * _uniform(words[4 * j], words[4 * j + 1]) - 1.0
        x2[j] = 2.0 * _uniform(words[4 * j + 2], words[4 * j + 3]) - 1.0
        r2[j] = x1[j] * x1[j] + x2[j] * x2[j]
    n = 0
    for j in range(_ATTEMPTS):
        accepted[n] = j
        n += (r2[j] < 1.0) & (r2[j] != 0.0)
    return n


@jit(nogil=True)
def _next_generation(key, words, pairs, accepted, lead):
    """MT19937's next 624 words of state, and their attempts (the first one completing the
    ``lead`` words left over from the previous generation); returns the number accepted."""
    for i in range(lead):
        words[i] = words[_N + i]
    for i in range(_N - _M):
        key[i] = _mix(key[i], key[i + 1], key[i + _M])
    for i in range(_N - _M, _N - 1):
        key[i] = _mix(key[i], key[i + 1], key[i + _M - _N])
    key[_N - 1] = _mix(key[_N - 1], key[0], key[_M - 1])
    return _attempts(key, words, pairs, accepted, lead)


@jit(inline="always")
def _factor(r2):
    return math.sqrt(-2.0 * math.log(r2) / r2)


@jit(inline="always")
def _pairs(n, out, o, taken, n_accepted, key, words, pairs, accepted, lead):
    """Use the next ``n`` accepted attempts: their two draws each into ``out[o:o + 2n]``, or
    nowhere when ``o < 0``. Returns the new ``taken`` and ``n_accepted``."""
    while n > 0:
        if taken == n_accepted:
            n_accepted, taken = _next_generation(key, words, pairs, accepted, lead), 0
        m = min(n, n_accepted - taken)
        if o >= 0:
            for q in range(m):
                j = accepted[taken + q]
                f = _factor(pairs[2, j])
                out[o + 2 * q] = f * pairs[1, j]
                out[o + 2 * q + 1] = f * pairs[0, j]
            o += 2 * m
        taken += m
        n -= m
    return taken, n_accepted


@jit(nogil=True)
def _fill_compiled(runs, n_steps, out, key, words, pairs, accepted, ints, cached):
    """``n_steps`` times the ``runs`` (draws skipped, then draws taken) of one step's draws;
    the draws taken written into ``out`` in order. Draws skipped cost no logarithm, except
    one kept for the next draw."""
    lead, taken, n_accepted = ints[_LEAD], ints[_TAKEN], ints[_N_ACCEPTED]
    has_gauss, gauss = ints[_HAS_GAUSS], cached[0]
    o, pending, consumed = 0, 0, 0
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
            consumed += n // 2 + n % 2
            taken, n_accepted = _pairs(n // 2, out, into, taken, n_accepted, key, words,
                                       pairs, accepted, lead)  # fmt: skip
            if n % 2:
                taken, n_accepted = _pairs(1, out, -1, taken, n_accepted, key, words, pairs,
                                           accepted, lead)  # fmt: skip
                j = accepted[taken - 1]
                f = _factor(pairs[2, j])
                if into >= 0:
                    out[into + n - 1] = f * pairs[1, j]
                has_gauss, gauss = 1, f * pairs[0, j]
        o += n_take
        pending = 0
    if consumed > 0:
        ints[_USED] = accepted[taken - 1] + 1
    ints[_TAKEN], ints[_N_ACCEPTED], ints[_HAS_GAUSS] = taken, n_accepted, has_gauss
    cached[0] = gauss


class LegacyNormals:
    """The draws of ``random_stream.normal(size=...)`` from a copy of the stream, some rows.

    Parameters
    ----------
    random_stream : numpy.random.RandomState
        The stream to replay; it is copied and not touched.

    Draws are consumed in order, so the values do not depend on how they are split into calls.
    One instance must not be drawn from by two threads at once.
    """

    def __init__(self, random_stream: np.random.RandomState):
        state = random_stream.get_state(legacy=False)
        self._stream = None
        if not JIT_ENABLED or state["bit_generator"] != "MT19937":
            self._stream = copy.deepcopy(random_stream)
            return
        self._key = np.array(state["state"]["key"], dtype=np.uint32)
        pos = int(state["state"]["pos"])
        lead = -pos % 4
        self._words = np.zeros(_N + 4, dtype=np.uint32)
        self._pairs = np.empty((3, _ATTEMPTS))
        self._accepted = np.empty(_ATTEMPTS, dtype=np.int64)
        self._ints = np.zeros(5, dtype=np.int64)
        self._ints[_LEAD] = lead
        self._ints[_N_ACCEPTED] = _attempts(self._key, self._words, self._pairs, self._accepted,
                                            lead)  # fmt: skip
        used = (lead + pos) // 4  # the attempts before ``pos`` (the first: the lead's, unknown)
        self._ints[_USED] = used
        self._ints[_TAKEN] = np.searchsorted(self._accepted[: self._ints[_N_ACCEPTED]], used)
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
                       self._key, self._words, self._pairs, self._accepted, self._ints,
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
