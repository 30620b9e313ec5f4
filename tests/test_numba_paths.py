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
