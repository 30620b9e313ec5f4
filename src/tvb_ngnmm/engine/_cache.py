"""Keep Numba's on-disk cache of the engine's kernels in step with the sources they inline.

Numba reuses a cached kernel as long as the file defining it is unchanged, even when a function
it calls (and inlines) was edited in another file, e.g. a model's equations. At import, the
engine hashes the sources its kernels are compiled from; when the hash differs from the one
stored beside the cache, the engine's cached kernels are deleted so that they are recompiled.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

_ENGINE = Path(__file__).parent
_SOURCES = (
    _ENGINE / "equations.py",
    _ENGINE / "coupling_kernel.py",
    _ENGINE / "kernel.py",
    _ENGINE.parent / "models" / "ei.py",
    _ENGINE.parent / "models" / "mpr_synaptic.py",
    _ENGINE.parent / "_numba.py",
)


def sources_digest() -> str:
    """SHA-256 of the kernel sources."""
    digest = hashlib.sha256()
    for path in _SOURCES:
        digest.update(path.read_bytes())
    return digest.hexdigest()


def invalidate_stale_kernels(cache_dir: Path | None = None) -> bool:
    """Delete the engine's cached kernels if their sources changed; True if it deleted any."""
    cache_dir = cache_dir or _ENGINE / "__pycache__"
    stamp = cache_dir / "engine_sources.sha256"
    digest = sources_digest()
    try:
        if stamp.read_text().strip() == digest:
            return False
    except OSError:
        pass
    removed = False
    try:
        cache_dir.mkdir(exist_ok=True)
        for pattern in ("equations.*.nb*", "coupling_kernel.*.nb*", "kernel.*.nb*"):
            for path in cache_dir.glob(pattern):
                path.unlink(missing_ok=True)
                removed = True
        handle, tmp = tempfile.mkstemp(dir=cache_dir, prefix=".stamp")
        with os.fdopen(handle, "w") as f:
            f.write(digest)
        os.replace(tmp, stamp)
    except OSError:  # read-only install: Numba then caches elsewhere or not at all
        pass
    return removed
