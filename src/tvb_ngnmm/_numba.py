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

#: LLVM's loop vectoriser gives up on a loop that would need more than 8 run-time checks that
#: its arrays do not overlap (Numba cannot tell LLVM that they never do). The engine's loops over
#: nodes read a dozen or more arrays (state, coupling, parameters), so the limit is raised: the
#: checks are cheap next to the loops, and the compiled code computes the same values.
LLVM_OPTIONS = (
    "-runtime-memory-check-threshold=256",
    "-vectorize-memory-check-threshold=256",
)
_llvm_configured = False


def _configure_llvm() -> None:
    global _llvm_configured
    if _llvm_configured:
        return
    _llvm_configured = True
    try:
        import llvmlite.binding as llvm

        for option in LLVM_OPTIONS:
            llvm.set_option("tvb_ngnmm", option)
    except Exception:  # an LLVM without these options: slower loops, same results
        pass


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

        _configure_llvm()
        options.setdefault("cache", True)
        options.setdefault("error_model", "numpy")
        return numba.njit(**options)(func)

    return decorate if function is None else decorate(function)


#: TVB's module that compiles gufuncs when it is imported (the equations of its
#: ``Generic2dOscillator`` and ``SupHopf``, whose class is the default model of TVB's
#: ``Simulator``, so that importing ``tvb.simulator.simulator`` imports it).
TVB_GUFUNC_MODULE = "tvb.simulator.models.oscillator"


def import_tvb_simulator():
    """Import ``tvb.simulator.simulator`` with TVB's import-time gufuncs cached on disk.

    TVB compiles two gufuncs each time a process imports its simulator (about 0.35 s here, a
    sixth of what the local cluster's workers import before they start); compiled with
    ``cache=True``, the next process loads them from Numba's cache. Where Numba has nowhere to
    cache, or the module is already imported, it is imported as it is.
    """
    import sys

    if TVB_GUFUNC_MODULE not in sys.modules:
        import numba

        plain = numba.guvectorize

        def cached(*args, **kwargs):
            kwargs.setdefault("cache", True)
            return plain(*args, **kwargs)

        numba.guvectorize = cached
        try:
            __import__(TVB_GUFUNC_MODULE)
        except RuntimeError:  # no cache locator: compile in memory, as TVB does
            sys.modules.pop(TVB_GUFUNC_MODULE, None)
        finally:
            numba.guvectorize = plain
    import tvb.simulator.simulator

    return tvb.simulator.simulator
