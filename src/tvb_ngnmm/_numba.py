"""The one place the package meets Numba.

Kernels are written in plain Python/NumPy and compiled with :func:`jit`. Setting the environment
variable ``TVB_NGNMM_DISABLE_JIT=1`` before importing the package runs them as ordinary Python
instead (slow, but debuggable and a reference for the compiled path); a test checks that both
paths agree.
"""

from __future__ import annotations

import os

JIT_ENABLED = os.environ.get("TVB_NGNMM_DISABLE_JIT", "").strip().lower() not in (
    "1",
    "true",
    "yes",
)


def jit(function=None, **options):
    """Compile ``function`` in nopython mode, cached on disk (``numba.njit``).

    Defaults: ``cache=True`` (compiled code is reused across processes) and
    ``error_model='numpy'`` (division by zero gives inf/nan as in NumPy). With the JIT disabled,
    the function is returned unchanged.
    """

    def decorate(func):
        if not JIT_ENABLED:
            return func
        import numba

        options.setdefault("cache", True)
        options.setdefault("error_model", "numpy")
        return numba.njit(**options)(func)

    return decorate if function is None else decorate(function)
