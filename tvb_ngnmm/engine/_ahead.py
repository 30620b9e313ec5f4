"""A first run's compilation split over two processes.

The first run on a machine (Numba's cache empty) compiles the kernel (:func:`.kernel.run_chunk`,
most of the time) and the functions it calls through their addresses: the coupling's pieces, the
model's loop, the noise generator. Numba compiles one function at a time in a process (a global
lock), so :func:`start` hands the functions other than the kernel to a second Python process
(``python -m tvb_ngnmm.engine._ahead``, which imports Numba and the engine, not TVB), which
compiles them into Numba's cache while this process compiles the kernel; this process then loads
them from the cache (or, if the helper has not written one yet, compiles it itself: the helper
only saves time, it changes no result). MPR-76 then EI-90 in a new process with empty caches:
7.2 s in one process, about 5 s so.

The helper is started only when the kernel is in neither this process nor Numba's cache, with
the JIT enabled, and unless ``TVB_NGNMM_COMPILE_AHEAD=0``. It is ended when this process exits.
"""

from __future__ import annotations

import atexit
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np

from .. import _numba
from . import _cache, coupling_kernel
from .legacy_normals import LegacyNormals
from .normals import NormalStream

#: Helpers started by this process and not yet seen to end.
_HELPERS: list[subprocess.Popen] = []


def _kernel_cached(run_chunk) -> bool:
    """Whether the compiled kernel is in this process or (its index) in Numba's cache; True
    where that cannot be told (no helper is then started)."""
    if getattr(run_chunk, "overloads", None):
        return True
    try:
        return Path(run_chunk._cache._cache_file._index_path).exists()
    except AttributeError:  # a Numba whose cache is laid out otherwise
        return True


def _where(pointer, module) -> dict | None:
    """How the helper finds the function behind ``pointer``, or None if it cannot (a model
    whose loop calls Python functions registered with it: importing them imports TVB)."""
    function = pointer._function

    for name in _cache.KERNEL_CALLS:
        if function is getattr(coupling_kernel, name, None):
            return {"call": name, "in": "coupling", "name": name}
        if function is getattr(_cache.shared_kernel(), f"unused_{name}", None):
            return {"call": name, "in": "kernel", "name": f"unused_{name}"}
    if function is getattr(module, "model_dfun", None) and getattr(module, "self_contained", False):
        return {"call": "model_dfun", "in": "model", "name": module.generated_name,
                "stem": module.generated_stem}  # fmt: skip
    return None


def start(module, calls, noise) -> subprocess.Popen | None:
    """Start the helper for a run of ``module`` (:func:`._cache.compiled_kernel`) with the
    pieces ``calls`` (:func:`._cache.kernel_calls`) and ``noise`` (a
    :class:`.noise.NoiseSource`); None when none is needed (see the module docstring)."""
    for helper in list(_HELPERS):
        if helper.poll() is not None:
            _HELPERS.remove(helper)
    if not _numba.JIT_ENABLED or os.environ.get("TVB_NGNMM_COMPILE_AHEAD", "1") == "0":
        return None
    if _kernel_cached(module.run_chunk):
        return None
    pieces = [p for p in (_where(pointer, module) for pointer in calls) if p is not None]
    request = {"pieces": pieces, "noise": None}
    if noise.stochastic and noise.members is None:
        request["noise"] = "replayed" if noise.stream is not None else "seeded"
    try:
        helper = subprocess.Popen(
            [sys.executable, "-m", __name__, json.dumps(request)],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
    except OSError:  # no interpreter to start: this process compiles everything
        return None
    _HELPERS.append(helper)
    return helper


@atexit.register
def _end_helpers() -> None:
    for helper in _HELPERS:
        if helper.poll() is None:
            helper.kill()
            helper.wait()


def main(argv: list[str]) -> None:
    """The helper: compile what ``argv[1]`` (JSON, see :func:`start`) names, into the cache."""
    request = json.loads(argv[1])

    for piece in request["pieces"]:
        if piece["in"] == "coupling":
            function = getattr(coupling_kernel, piece["name"])
        elif piece["in"] == "kernel":
            function = getattr(_cache.shared_kernel(), piece["name"])
        else:
            function = _cache.generated_module(piece["name"], piece["stem"]).model_dfun
        _numba.pointer(function, _cache.KERNEL_CALLS[piece["call"]]).__wrapper_address__()
    if request["noise"] == "seeded":
        NormalStream(0).standard_normal((1, 2, 3, 1))
    elif request["noise"] == "replayed":
        LegacyNormals(_Stream()).normal((1, 2, 3, 1), np.array([1]))


class _Stream:
    """What :class:`.legacy_normals.LegacyNormals` reads of a simulator's ``RandomState``."""

    def get_state(self, legacy=False):
        key = np.arange(1, 625, dtype=np.uint32)  # any state: the draws are not used
        return {"bit_generator": "MT19937", "state": {"key": key, "pos": 624}, "has_gauss": 0,
                "gauss": 0.0}  # fmt: skip


if __name__ == "__main__":
    main(sys.argv)
