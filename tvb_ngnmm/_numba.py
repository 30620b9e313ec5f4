"""The one place the package meets Numba.

Kernels are written in plain Python/NumPy and compiled with :func:`jit`. Setting the environment
variable ``TVB_NGNMM_DISABLE_JIT=1`` before importing the package runs them as ordinary Python
instead (slow, but debuggable and a reference for the compiled path); a test checks that both
paths agree.
"""

from __future__ import annotations

import functools
import os
import sys
import threading

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
        # deferred: Numba is imported when a kernel is first compiled, never with the JIT off
        import llvmlite.binding as llvm  # noqa: PLC0415

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
        # deferred: Numba is imported when a kernel is first compiled, never with the JIT off
        import numba  # noqa: PLC0415

        _configure_llvm()
        options.setdefault("cache", True)
        options.setdefault("error_model", "numpy")
        return numba.njit(**options)(func)

    return decorate if function is None else decorate(function)


class _Pointer:
    """A compiled function as a Numba first-class function of one signature: a compiled
    function that takes it as an argument calls it through its address, without compiling it
    in (and without compiling it again for each function it is passed to)."""

    def __init__(self, function, signature):
        self._function = function
        self._signature = signature
        self._address = None
        self._lock = threading.Lock()

    def signature(self):
        """The Numba signature (``WrapperAddressProtocol``)."""
        return self._signature

    def __wrapper_address__(self):
        """The address of the compiled function's C wrapper (compiled on first use)."""
        if self._address is None:
            with self._lock:
                if self._address is None:
                    result = self._function.get_compile_result(self._signature)
                    name = result.fndesc.llvm_cfunc_wrapper_name
                    self._address = result.library.get_pointer_to_function(name)
        return self._address


@functools.cache
def _pointer_class():
    # deferred: Numba is imported when a kernel is first compiled, never with the JIT off
    import numba.experimental.function_type  # noqa: F401, PLC0415  (types such objects as functions)
    from numba.core.types import WrapperAddressProtocol  # noqa: PLC0415

    return type("Pointer", (_Pointer, WrapperAddressProtocol), {"__slots__": ()})


def pointer(function, signature: str):
    """``function`` (compiled with :func:`jit`) as an argument of another compiled function,
    called through its address: compiled once for ``signature`` (a Numba signature string,
    e.g. ``"none(f8[:, ::1], i8)"``), on first use, whatever function it is passed to, and not
    compiled into that function. The arguments must have exactly these types. With the JIT
    disabled, ``function`` itself.
    """
    if not JIT_ENABLED:
        return function
    # deferred: Numba is imported when a kernel is first compiled, never with the JIT off
    from numba.core.sigutils import normalize_signature  # noqa: PLC0415
    from numba.core.typing import signature as make_signature  # noqa: PLC0415

    args, return_type = normalize_signature(signature)
    return _pointer_class()(function, make_signature(return_type, *args))


#: TVB's module that compiles gufuncs when it is imported (the equations of its
#: ``Generic2dOscillator`` and ``SupHopf``, whose class is the default model of TVB's
#: ``Simulator``, so that importing ``tvb.simulator.simulator`` imports it).
TVB_GUFUNC_MODULE = "tvb.simulator.models.oscillator"


class _LazyGufunc:
    """A gufunc compiled when it is first used: with ``cache=True`` (loaded from Numba's cache
    after the first process), or, where Numba has nowhere to cache, in memory as TVB does."""

    def __init__(self, guvectorize, args, kwargs, function):
        self._make = (guvectorize, args, kwargs, function)
        self._compiled = None
        self._lock = threading.Lock()
        functools.update_wrapper(self, function)

    def _gufunc(self):
        with self._lock:
            if self._compiled is None:
                guvectorize, args, kwargs, function = self._make
                try:
                    self._compiled = guvectorize(*args, **{"cache": True, **kwargs})(function)
                except RuntimeError:  # no cache locator
                    self._compiled = guvectorize(*args, **kwargs)(function)
            return self._compiled

    def __call__(self, *args, **kwargs):
        return self._gufunc()(*args, **kwargs)

    def __getattr__(self, name):
        if name.startswith("__") or name in ("_make", "_compiled", "_lock"):
            raise AttributeError(name)
        return getattr(self._gufunc(), name)


def import_tvb_simulator():
    """Import ``tvb.simulator.simulator`` without compiling TVB's import-time gufuncs.

    TVB compiles two gufuncs each time a process imports its simulator (0.35 s here; 0.27 s
    even loaded from Numba's cache), a sixth of what the local cluster's workers import before
    they start, for the equations of two of its stock models the engine never calls. Imported
    this way, each is compiled when first called (loaded from Numba's cache after the first
    process; in memory where Numba has nowhere to cache). A module already imported is left
    as it is.
    """
    if TVB_GUFUNC_MODULE not in sys.modules:
        # deferred: Numba is imported when a kernel is first compiled, never with the JIT off
        import numba  # noqa: PLC0415

        plain = numba.guvectorize

        def lazy(*args, **kwargs):
            return lambda function: _LazyGufunc(plain, args, kwargs, function)

        numba.guvectorize = lazy
        try:
            __import__(TVB_GUFUNC_MODULE)
        finally:
            numba.guvectorize = plain
    # deferred: imported once TVB's import-time gufuncs are made lazy (above)
    import tvb.simulator.simulator  # noqa: PLC0415

    return tvb.simulator.simulator
