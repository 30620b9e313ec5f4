"""A first run with empty caches hands the pieces other than the kernel to a helper process
(``tvb_ngnmm.engine._ahead``): the same results as compiling everything in one process, the
pieces loaded from the cache the helper wrote, and no helper left behind."""

import json
import os
import subprocess
import sys

import pytest

from tvb_ngnmm import _numba

SCRIPT = """
import hashlib, json, numpy as np
from tvb.simulator.lab import (connectivity, coupling, integrators, models, monitors, noise,
                               simulator)
from tvb_ngnmm.backend import NumbaBackend
from tvb_ngnmm.engine import _ahead, coupling_kernel, normals
conn = connectivity.Connectivity(weights=np.array([[0.0, 1.0], [1.0, 0.0]]),
                                 tract_lengths=np.array([[0.0, 10.0], [10.0, 0.0]]),
                                 region_labels=np.array(["a", "b"]), centres=np.zeros((2, 3)),
                                 speed=np.array([1.0]))
conn.configure()
sim = simulator.Simulator(
    model=models.MontbrioPazoRoxin(), connectivity=conn,
    coupling=coupling.Linear(a=np.array([0.5])),
    integrator=integrators.HeunStochastic(dt=0.1, noise=noise.Additive(nsig=np.array([1e-3]))),
    monitors=[monitors.Raw()], simulation_length=20.0,
    initial_conditions=np.full((101, 2, 2, 1), 0.1),
).configure()
(t, y), = NumbaBackend(progress=False).run_sim(sim, seed=1)
print(json.dumps({
    "helpers": [h.pid for h in _ahead._HELPERS],
    "digest": hashlib.sha256(np.ascontiguousarray(y).tobytes()).hexdigest(),
    "delayed_from_cache": len(coupling_kernel.accumulate_delayed.stats.cache_hits) > 0,
    "normals_from_cache": len(normals._fill_compiled.stats.cache_hits) > 0,
}))
"""


def _first_run(tmp_path, ahead: bool) -> dict:
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path / "numba"),
               TVB_NGNMM_KERNEL_DIR=str(tmp_path / "kernels"),
               TVB_NGNMM_COMPILE_AHEAD="1" if ahead else "0")  # fmt: skip
    out = subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True,
                         check=True)  # fmt: skip
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.skipif(not _numba.JIT_ENABLED, reason="compilation only with the JIT enabled")
def test_first_run_compiles_in_two_processes_with_the_same_results(tmp_path):
    alone = _first_run(tmp_path / "alone", ahead=False)
    shared = _first_run(tmp_path / "shared", ahead=True)
    assert alone["helpers"] == [] and len(shared["helpers"]) == 1
    assert shared["digest"] == alone["digest"]
    # The helper compiled them while the kernel compiled here; alone, this process did.
    assert shared["delayed_from_cache"] and shared["normals_from_cache"]
    assert not alone["delayed_from_cache"] and not alone["normals_from_cache"]
    with pytest.raises(ProcessLookupError):  # ended with the process that started it
        os.kill(shared["helpers"][0], 0)
    # A second first call finds the kernel in the cache: no helper.
    again = _first_run(tmp_path / "shared", ahead=True)
    assert again["helpers"] == [] and again["digest"] == alone["digest"]
