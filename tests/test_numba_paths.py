"""The compiled kernels and their plain-Python originals compute the same thing."""

import json
import os
import subprocess
import sys

import numpy as np

from tvb_ngnmm import _numba
from tvb_ngnmm.models import NextGenEI
from tvb_ngnmm.validation import simulate_qif_network

SCRIPT = """
import json, numpy as np
from tvb_ngnmm import _numba
from tvb_ngnmm.models import NextGenEI
from tvb_ngnmm.validation import simulate_qif_network
result = simulate_qif_network(NextGenEI(I_e=np.array([10.0])), n_neurons=60, duration=4.0,
                              dt=0.01, record_spikes=10, seed=3)
print(json.dumps({"jit": _numba.JIT_ENABLED, "rates": result.rates.tolist(),
                  "voltages": result.voltages.tolist(), "spikes": result.spike_times.tolist()}))
"""


def test_jit_and_python_paths_agree():
    assert _numba.JIT_ENABLED, "the test suite runs the compiled path"
    compiled = simulate_qif_network(
        NextGenEI(I_e=np.array([10.0])),
        n_neurons=60,
        duration=4.0,
        dt=0.01,
        record_spikes=10,
        seed=3,
    )
    env = dict(os.environ, TVB_NGNMM_DISABLE_JIT="1")
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, check=True
    )
    python = json.loads(out.stdout.strip().splitlines()[-1])
    assert python["jit"] is False
    assert len(python["spikes"]) == len(compiled.spike_times) > 0
    np.testing.assert_allclose(python["rates"], compiled.rates, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(python["voltages"], compiled.voltages, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(python["spikes"], compiled.spike_times, rtol=1e-9, atol=1e-12)


TVB_IMPORT = """
import json, sys, numpy as np
mode = sys.argv[1]
if mode == "no_locator":  # Numba with nowhere to cache: its decorator raises RuntimeError
    import numba
    plain = numba.guvectorize
    def refusing(*args, **kwargs):
        if kwargs.get("cache"):
            raise RuntimeError("cannot cache function: no locator available")
        return plain(*args, **kwargs)
    numba.guvectorize = refusing
from tvb_ngnmm._numba import import_tvb_simulator
simulator = import_tvb_simulator()
from tvb.simulator.models import oscillator
compiled_at_import = oscillator._numba_dfun_g2d._compiled is not None
# TVB's dfun (the gufunc) against its NumPy equations, on two nodes.
model = oscillator.Generic2dOscillator()
model.configure()
x, c = np.array([[[0.3], [0.1]], [[-0.2], [0.4]]]), np.array([[[0.1], [-0.3]]])
agree = np.allclose(model.dfun(x, c), model._numpy_dfun(x, c), rtol=1e-12, atol=0)
hopf = oscillator.SupHopf()
hopf.configure()
c2 = np.array([[[0.1], [-0.3]], [[0.2], [0.05]]])  # its two coupling terms
agree &= np.allclose(hopf.dfun(x, c2), hopf._numpy_dfun(x, c2), rtol=1e-12, atol=0)
print(json.dumps({"simulator": hasattr(simulator, "Simulator"), "agree": bool(agree),
                  "compiled_at_import": compiled_at_import}))
"""


def _tvb_import(tmp_path, mode):
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path))
    out = subprocess.run([sys.executable, "-c", TVB_IMPORT, mode], env=env, capture_output=True,
                         text=True, check=True)  # fmt: skip
    return json.loads(out.stdout.strip().splitlines()[-1])


EXPECTED = {"simulator": True, "agree": True, "compiled_at_import": False}


def test_tvb_simulator_import_compiles_tvbs_gufuncs_when_used_and_caches_them(tmp_path):
    assert _tvb_import(tmp_path, "cached") == EXPECTED
    for name in ("_numba_dfun_g2d", "_numba_dfun_supHopf"):
        assert any(name in p.name for p in tmp_path.rglob("*.nbi")), (
            f"TVB's gufunc {name} was not written to Numba's cache"
        )
    assert _tvb_import(tmp_path, "cached") == EXPECTED  # from it


def test_tvb_simulator_import_without_a_cache_compiles_as_tvb_does(tmp_path):
    assert _tvb_import(tmp_path / "unused", "no_locator") == EXPECTED
    assert not (tmp_path / "unused").exists() or not any((tmp_path / "unused").rglob("*.nbi"))


COUPLINGS = """
import json, numpy as np
from tvb.simulator import coupling, integrators, models
from tvb_ngnmm import _numba
from tvb_ngnmm.backend import NumbaBackend
from tvb_ngnmm.testing import build_simulator
cases = {
    "SigmoidalJansenRit": (
        models.JansenRit(), coupling.SigmoidalJansenRit(a=np.array([10.0])), 0.01
    ),
    "Kuramoto": (models.Kuramoto(), coupling.Kuramoto(a=np.array([0.5])), 1.0),
    "PreSigmoidal": (models.Generic2dOscillator(), coupling.PreSigmoidal(dynamic=False), 1.0),
}
out = {"jit": _numba.JIT_ENABLED}
for name, (model, cp, spread) in cases.items():
    sim = build_simulator(model, integrators.HeunDeterministic(dt=0.1), coupling=cp, spread=spread)
    ((_, data),) = NumbaBackend(progress=False).run_sim(sim, simulation_length=2.0)
    out[name] = data.tolist()
print(json.dumps(out))
"""


def test_nonlinear_couplings_generated_loops_agree_with_their_plain_python_path(tmp_path):
    """A nonlinear coupling's generated pre and post loops (:func:`tvb_ngnmm.engine._cache.
    coupling_source`), with the declared functions inlined, run as plain Python too: the same
    runs, post reading the nodes' own values (Kuramoto) or not (SigmoidalJansenRit)."""
    runs = {}
    for disabled in ("0", "1"):
        env = dict(os.environ, TVB_NGNMM_DISABLE_JIT=disabled,
                   TVB_NGNMM_KERNEL_DIR=str(tmp_path / disabled))  # fmt: skip
        out = subprocess.run([sys.executable, "-c", COUPLINGS], env=env, capture_output=True,
                             text=True, check=True)  # fmt: skip
        runs[disabled] = json.loads(out.stdout.strip().splitlines()[-1])
    assert runs["0"].pop("jit") is True and runs["1"].pop("jit") is False
    for name, compiled in runs["0"].items():
        assert np.ptp(compiled) > 0, name
        np.testing.assert_allclose(runs["1"][name], compiled, rtol=1e-12, atol=0, err_msg=name)
