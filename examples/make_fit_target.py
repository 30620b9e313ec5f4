"""Write examples/fit_ei90_target_fc.npy: the FC of examples/fit_ei90.toml at I_e = 12, a = 6.

The FC (Pearson correlation of the regions' excitatory rates, from the configuration's own
monitor and run length) of a run at known parameters, so that ``tvb-ngnmm fit
examples/fit_ei90.toml`` has a ground truth to find. Run from the project root:
``python examples/make_fit_target.py``.
"""

import re
from pathlib import Path

import numpy as np

from tvb_ngnmm.analysis import functional_connectivity
from tvb_ngnmm.backend import NumbaBackend
from tvb_ngnmm.cli.config import parse_config

TRUTH = {"I_e": 12.0, "a": 6.0}

if __name__ == "__main__":
    here = Path(__file__).parent
    text = (here / "fit_ei90.toml").read_text()
    # The simulator of the configuration without its [fit] (which needs the target to exist).
    config = parse_config(re.sub(r"(?ms)^\[fit\].*?(?=^\[)", "", text), base=here)
    sim = config.simulator
    sim.model.I_e = np.array([TRUTH["I_e"]])
    sim.coupling.a = np.array([TRUTH["a"]])
    ((_, data),) = NumbaBackend(progress=False).run_sim(sim, config.duration)
    fc = functional_connectivity(data[:, 0, :, 0])
    np.save(here / "fit_ei90_target_fc.npy", fc)
    print(f"wrote {here / 'fit_ei90_target_fc.npy'}: FC of {fc.shape[0]} regions at {TRUTH}")
