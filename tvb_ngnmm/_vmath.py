r"""``exp`` and ``log`` that the compiled loops can vectorise.

A call to the C library's ``exp``, ``log`` or ``pow`` keeps LLVM from vectorising the loop it is
in; these are written in arithmetic alone (and bit operations on the IEEE 754 representation),
so a loop over nodes that calls them runs several nodes per instruction. Without fused
multiply-adds (Numba allows none unless asked), a value gives the same bits in a vector lane
as in the scalar remainder of the loop, so results do not depend on where a node falls.

Accuracy (``tests/test_vmath.py``, against the C library over the whole range): within 1 ulp
of the correctly rounded result; subnormal arguments and results, zeros, infinities and NaN
as the C library gives them.

- ``exp(x)``: :math:`x = n \ln 2 + r` with :math:`n` the nearest integer to :math:`x/\ln 2`
  (so :math:`|r| \le \ln 2 / 2`, with :math:`\ln 2` split in two parts so that
  :math:`n \ln 2` is exact), :math:`e^r` by its Taylor polynomial of degree 13 (truncation
  below :math:`10^{-17}`), times :math:`2^n` built in two factors (so that results near the
  ends of the range, subnormal ones included, need no special case).
- ``log(x)``: :math:`x = 2^e m` with :math:`\sqrt2/2 < m \le \sqrt2`, and
  :math:`\log m = 2\,\mathrm{artanh}\, s`, :math:`s = f / (2 + f)`, :math:`f = m - 1`, written
  as :math:`f - (f^2/2 - s (f^2/2 + R))` with :math:`R = \sum_{k\ge1} 2 s^{2k} / (2k + 1)`
  (ten terms, :math:`s^2 \le 0.03`).
"""

from __future__ import annotations

import numpy as np

from ._numba import JIT_ENABLED, jit

__all__ = ["exp", "log"]

_LOG2E = 1.4426950408889634
_LN2_HI = 0.6931471803691238  # ln 2 to 32 bits: n * _LN2_HI is exact for |n| < 2**21
_LN2_LO = 1.9082149292705877e-10  # ln 2 - _LN2_HI
_SQRT2 = 1.4142135623730951
_ROUND = 6755399441055744.0  # 1.5 * 2**52: (y + _ROUND) - _ROUND is y rounded to an integer
_SMALLEST_NORMAL = 2.2250738585072014e-308
_TWO_54 = 18014398509481984.0


if JIT_ENABLED:
    from llvmlite import ir
    from numba import types
    from numba.extending import intrinsic

    @intrinsic
    def _bits(typingctx, x):
        """The IEEE 754 bits of a float64, as an int64."""

        def codegen(context, builder, signature, args):
            return builder.bitcast(args[0], ir.IntType(64))

        return types.int64(types.float64), codegen

    @intrinsic
    def _float(typingctx, i):
        """The float64 whose IEEE 754 bits are the int64 ``i``."""

        def codegen(context, builder, signature, args):
            return builder.bitcast(args[0], ir.DoubleType())

        return types.float64(types.int64), codegen

else:

    def _bits(x):
        return int(np.float64(x).view(np.int64))

    def _float(i):
        return float(np.int64(i).view(np.float64))


@jit(inline="always")
def exp(x):
    """:math:`e^x` of a float (within 1 ulp)."""
    y = min(max(x, -746.0), 710.0)  # beyond: 0 or inf; NaN is handled at the end
    n = (y * _LOG2E + _ROUND) - _ROUND
    r = (y - n * _LN2_HI) - n * _LN2_LO
    p = 1.0 / 6227020800.0
    p = p * r + 1.0 / 479001600.0
    p = p * r + 1.0 / 39916800.0
    p = p * r + 1.0 / 3628800.0
    p = p * r + 1.0 / 362880.0
    p = p * r + 1.0 / 40320.0
    p = p * r + 1.0 / 5040.0
    p = p * r + 1.0 / 720.0
    p = p * r + 1.0 / 120.0
    p = p * r + 1.0 / 24.0
    p = p * r + 1.0 / 6.0
    p = p * r + 0.5
    p = p * r + 1.0
    p = p * r + 1.0
    k = np.int64(n) if n == n else np.int64(0)
    half = k >> 1
    out = p * _float((half + 1023) << 52) * _float((k - half + 1023) << 52)
    return x if x != x else out


@jit(inline="always")
def log(x):
    """:math:`\\ln x` of a float (within 1 ulp; NaN below 0, -inf at 0)."""
    tiny = x < _SMALLEST_NORMAL  # subnormal (or not positive): scaled into the normal range
    bits = _bits(x * (_TWO_54 if tiny else 1.0))
    e = ((bits >> 52) & 0x7FF) - (1023 + 54 if tiny else 1023)
    m = _float((bits & 0x000FFFFFFFFFFFFF) | 0x3FF0000000000000)  # in [1, 2)
    above = m > _SQRT2
    m = 0.5 * m if above else m
    e = e + 1 if above else e
    f = m - 1.0
    s = f / (2.0 + f)
    z = s * s
    q = 2.0 / 21.0
    q = q * z + 2.0 / 19.0
    q = q * z + 2.0 / 17.0
    q = q * z + 2.0 / 15.0
    q = q * z + 2.0 / 13.0
    q = q * z + 2.0 / 11.0
    q = q * z + 2.0 / 9.0
    q = q * z + 2.0 / 7.0
    q = q * z + 2.0 / 5.0
    q = q * z + 2.0 / 3.0
    half_f2 = 0.5 * f * f
    d = np.float64(e)
    out = d * _LN2_HI + (d * _LN2_LO + (f - (half_f2 - s * (half_f2 + z * q))))
    out = np.nan if x < 0.0 else out
    out = -np.inf if x == 0.0 else out
    out = np.inf if x == np.inf else out
    return x if x != x else out
