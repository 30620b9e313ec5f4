r"""Standard normals for seeded runs: xoshiro256++ bits through a 256-layer ziggurat, compiled.

A seeded stochastic run draws one standard normal per noisy state variable, node and step
(MPR-76: 15 million per simulated second). NumPy's ``Generator.standard_normal`` costs about
10 ns per draw on the benchmark machine, more than the kernel's whole step; the same algorithm
family compiled with Numba, with the bit generator inlined, costs about 3 ns and releases the
GIL, so the next chunk's draws are ready before the kernel needs them.

- bits: xoshiro256++ (Blackman & Vigna, 2019; period :math:`2^{256}-1`), its 256-bit state
  seeded through :class:`numpy.random.SeedSequence` (so nearby seeds give unrelated streams);
- normals: Marsaglia & Tsang's ziggurat (2000) with 256 layers; one 64-bit word gives the layer
  (bits 0-7), the sign (bit 8) and a 53-bit uniform (bits 11-63), so about 99 % of the draws
  cost one word and one comparison; the tail beyond :math:`r \approx 3.654` uses Marsaglia's
  exponential method.

The draws have the standard normal distribution (tested: moments, Kolmogorov-Smirnov, tail
frequencies, serial correlation) but are not NumPy's draws for the same seed. With the JIT
disabled (``TVB_NGNMM_DISABLE_JIT=1``) a plain-Python transcription on Python integers gives
the same draws, slowly.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from .._numba import JIT_ENABLED, jit

__all__ = ["NormalStream"]

_LAYERS = 256
_TAIL = 3.6541528853610088  # r: the base layer's right edge for 256 layers
_U53 = 1.0 / 9007199254740992.0  # 2**-53
_MASK = (1 << 64) - 1


def _ziggurat_tables() -> tuple[np.ndarray, np.ndarray]:
    """Layer edges ``x[0..256]`` (``x[0]``: the base layer's equivalent width) and ``f(x)``."""
    f = lambda x: math.exp(-0.5 * x * x)  # noqa: E731
    area = _TAIL * f(_TAIL) + math.sqrt(math.pi / 2.0) * math.erfc(_TAIL / math.sqrt(2.0))
    x = np.empty(_LAYERS + 1)
    x[0] = area / f(_TAIL)
    x[1] = _TAIL
    for i in range(2, _LAYERS):
        x[i] = math.sqrt(-2.0 * math.log(area / x[i - 1] + f(x[i - 1])))
    x[_LAYERS] = 0.0
    return x, np.exp(-0.5 * x * x)


_X, _Y = _ziggurat_tables()


@jit(inline="always")
def _rotl(x, k):
    return (x << np.uint64(k)) | (x >> np.uint64(64 - k))


@jit(inline="always")
def _next(s):
    result = _rotl(s[0] + s[3], 23) + s[0]
    t = s[1] << np.uint64(17)
    s[2] ^= s[0]
    s[3] ^= s[1]
    s[1] ^= s[2]
    s[0] ^= s[3]
    s[2] ^= t
    s[3] = _rotl(s[3], 45)
    return result


@jit(inline="always")
def _uniform(s):
    """A uniform in [0, 1) with 53 random bits."""
    return (_next(s) >> np.uint64(11)) * _U53


@jit(nogil=True)
def _fill_compiled(s, out, x_edges, y_edges):
    for k in range(out.size):
        while True:
            u = _next(s)
            layer = np.int64(u & np.uint64(255))
            negative = (u >> np.uint64(8)) & np.uint64(1)
            z = ((u >> np.uint64(11)) * _U53) * x_edges[layer]
            if z < x_edges[layer + 1]:  # inside the layer's rectangle: ~99 % of draws
                break
            if layer == 0:  # the tail beyond r
                while True:
                    a = -math.log(1.0 - _uniform(s)) / _TAIL
                    b = -math.log(1.0 - _uniform(s))
                    if 2.0 * b > a * a:
                        break
                z = _TAIL + a
                break
            y = y_edges[layer] + _uniform(s) * (y_edges[layer + 1] - y_edges[layer])
            if y < math.exp(-0.5 * z * z):
                break
        out[k] = -z if negative else z


def _next_python(s: list) -> int:
    def rotl(x, k):
        return ((x << k) | (x >> (64 - k))) & _MASK

    result = (rotl((s[0] + s[3]) & _MASK, 23) + s[0]) & _MASK
    t = (s[1] << 17) & _MASK
    s[2] ^= s[0]
    s[3] ^= s[1]
    s[1] ^= s[2]
    s[0] ^= s[3]
    s[2] ^= t
    s[3] = rotl(s[3], 45)
    return result


def _uniform_python(s: list) -> float:
    return (_next_python(s) >> 11) * _U53


def _fill_python(state: np.ndarray, out: np.ndarray, x_edges, y_edges) -> None:
    """The compiled fill, transcribed on Python integers (the JIT-disabled path)."""
    s = [int(v) for v in state]
    for k in range(out.size):
        while True:
            u = _next_python(s)
            layer = u & 255
            negative = (u >> 8) & 1
            z = ((u >> 11) * _U53) * x_edges[layer]
            if z < x_edges[layer + 1]:
                break
            if layer == 0:
                while True:
                    a = -math.log(1.0 - _uniform_python(s)) / _TAIL
                    b = -math.log(1.0 - _uniform_python(s))
                    if 2.0 * b > a * a:
                        break
                z = _TAIL + a
                break
            y = y_edges[layer] + _uniform_python(s) * (y_edges[layer + 1] - y_edges[layer])
            if y < math.exp(-0.5 * z * z):
                break
        out[k] = -z if negative else z
    state[:] = np.array(s, dtype=np.uint64)


_fill = _fill_compiled if JIT_ENABLED else _fill_python


class NormalStream:
    """A stream of standard normals, ``standard_normal(shape)`` like NumPy's ``Generator``.

    Parameters
    ----------
    seed : int or numpy.random.SeedSequence
        Seeds the 256-bit state through ``SeedSequence`` (an int: ``SeedSequence(seed)``).

    Draws are consumed in order, so the values do not depend on how they are split into calls.
    One stream must not be drawn from by two threads at once.
    """

    def __init__(self, seed):
        if isinstance(seed, np.random.SeedSequence):
            sequence = seed
        elif isinstance(seed, numbers.Integral) and not isinstance(seed, bool) and seed >= 0:
            sequence = np.random.SeedSequence(int(seed))
        else:
            raise ValueError(
                "Invalid value for the 'seed' parameter of NormalStream. Allowed are integers "
                f">= 0 or a numpy.random.SeedSequence, but got {seed!r} instead."
            )
        self.state = sequence.generate_state(4, np.uint64)
        if not self.state.any():  # the one state xoshiro cannot leave (probability 2**-256)
            self.state[0] = np.uint64(1)

    def standard_normal(self, shape) -> np.ndarray:
        """A float64 array of ``shape`` filled with the next standard normals."""
        out = np.empty(shape)
        _fill(self.state, out.reshape(-1), _X, _Y)
        return out
