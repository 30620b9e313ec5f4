"""The cortical-surface workloads: SURF-16k (deterministic and stochastic), SURF-EEG, SURF-65k.

SURF-16k: TVB's ``Generic2dOscillator`` on tvb-data's ``cortex_16384`` with
``regionMapping_16k_76``, ``local_connectivity_16384`` (coupling strength 1) and tvb76 (3 mm/ms,
``Linear(a=0.0152)``), dt 2⁻⁴ ms, ``TemporalAverage`` (TVB's default period), 1 s. Stochastic:
``HeunStochastic`` with TVB's ``Additive`` noise (``nsig`` 1e-5 on both variables), run as
``run_sim(sim)`` without a seed (TVB's own stream, replayed). SURF-EEG: the same with TVB's
65-channel ``EEG`` from tvb-data's 16k projection (period 1 ms) as the only monitor. SURF-65k:
SURF-16k deterministic on the cortex refined once (:func:`surf65k`), its peak memory for two run
lengths and its time per step against SURF-16k's.
"""

from __future__ import annotations

import logging

import numpy as np


def surf16k(length: float = 1000.0, stochastic: bool = False, eeg: bool = False):
    """A configured SURF-16k simulator (see the module docstring)."""
    from tvb.datatypes.connectivity import Connectivity
    from tvb.datatypes.cortex import Cortex
    from tvb.simulator import coupling, integrators, models, monitors, noise
    from tvb.simulator.simulator import Simulator

    logging.getLogger("tvb").setLevel(logging.ERROR)  # "Memory estimate exceeds ..." per sim
    connectivity = Connectivity.from_file()
    connectivity.speed = np.array([3.0])
    cortex = Cortex.from_file(local_connectivity_file="local_connectivity_16384.mat")
    cortex.region_mapping_data.connectivity = connectivity
    cortex.coupling_strength = np.array([1.0])
    if stochastic:
        integrator = integrators.HeunStochastic(
            dt=2**-4, noise=noise.Additive(nsig=np.array([1e-5, 1e-5]))
        )
    else:
        integrator = integrators.HeunDeterministic(dt=2**-4)
    if eeg:
        monitor = monitors.EEG.from_file()
        monitor.period = 1.0
    else:
        monitor = monitors.TemporalAverage()
    sim = Simulator(
        model=models.Generic2dOscillator(),
        connectivity=connectivity,
        coupling=coupling.Linear(a=np.array([0.0152])),
        integrator=integrator,
        monitors=(monitor,),
        surface=cortex,
        simulation_length=length,
    )
    return sim.configure()


def bench_surf16k(args) -> dict:
    """SURF-16k deterministic and stochastic: the engine on 1 s, stock on ``--surf-stock-ms``."""
    out = {}
    for stochastic in (False, True):
        label = "stochastic" if stochastic else "deterministic"
        out.update(_one(label, lambda ms, s=stochastic: surf16k(ms, s), args))
    return out


def bench_surf_eeg(args) -> dict:
    """SURF-EEG: SURF-16k (deterministic) with the 65-channel EEG, against SURF-16k alone."""
    out = _one("eeg", lambda ms: surf16k(ms, eeg=True), args)
    out.update(_one("tavg", lambda ms: surf16k(ms), args))
    out["eeg_over_tavg"] = out["eeg_wall_s_per_sim_s"] / out["tavg_wall_s_per_sim_s"]
    return out


def _one(label: str, make, args) -> dict:
    """Engine (1 s, TVB's noise stream where stochastic) against stock on a short run."""
    from benchmarks.run import engine_and_stock, engine_run

    sim = make(1000.0)
    engine_run(sim, 5.0, seed=None)  # warm-up (compile)
    wall, stock = engine_and_stock(lambda: engine_run(sim, 1000.0, seed=None), make,
                                   args.surf_stock_ms, args.repeat)  # fmt: skip
    steps = 1000.0 * 16
    return {f"{label}_wall_s_per_sim_s": wall, f"{label}_us_per_step": wall / steps * 1e6,
            f"{label}_stock_s_per_sim_s": stock, f"{label}_ratio_stock": stock / wall,
            f"{label}_stock_note": f"stock timed on {args.surf_stock_ms:g} ms, scaled, in turn "
                                   "with the engine"}  # fmt: skip


def surf65k(length: float = 1000.0):
    """SURF-65k: SURF-16k (deterministic) on the 16k cortex refined once (about 65,000
    vertices, its local connectivity rebuilt by the same rule: ``load_cortex('65k')``)."""
    from tvb.simulator import coupling, integrators, models, monitors
    from tvb.simulator.simulator import Simulator

    from tvb_ngnmm.connectomes import load_cortex

    logging.getLogger("tvb").setLevel(logging.ERROR)
    cortex, connectivity = load_cortex("65k", coupling_strength=1.0)
    sim = Simulator(
        model=models.Generic2dOscillator(),
        connectivity=connectivity,
        coupling=coupling.Linear(a=np.array([0.0152])),
        integrator=integrators.HeunDeterministic(dt=2**-4),
        monitors=(monitors.TemporalAverage(),),
        surface=cortex,
        simulation_length=length,
    )
    return sim.configure()


_SURF65K_RUN = (
    "import json, resource, time; from benchmarks.surfaces import surf65k;"
    "from benchmarks.run import engine_run; sim = surf65k({length}); engine_run(sim, 2.0);"
    "t = time.perf_counter(); engine_run(sim, {length}, seed=None);"
    "wall = time.perf_counter() - t;"
    "print(json.dumps({{'wall': wall, 'nodes': sim.number_of_nodes, 'rss': "
    "resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0}}))"
)


def bench_surf65k(args) -> dict:
    """SURF-65k: time per step against SURF-16k's, and peak memory of two run lengths (each in
    a process of its own): memory must not grow with the length."""
    import json
    import subprocess
    import sys

    out = {}
    for length in (100.0, 400.0):
        run = subprocess.run([sys.executable, "-c", _SURF65K_RUN.format(length=length)],
                             capture_output=True, text=True, check=True)  # fmt: skip
        result = json.loads(run.stdout.strip().splitlines()[-1])
        out[f"peak_rss_mib_{length:g}ms"] = result["rss"]
        out[f"us_per_step_{length:g}ms"] = result["wall"] / (length * 16) * 1e6
        out["nodes"] = result["nodes"]
    from benchmarks.run import engine_run, timed

    sim = surf16k(100.0)
    engine_run(sim, 2.0)
    out["surf16k_us_per_step"] = timed(lambda: engine_run(sim, 100.0), args.repeat) / 1600 * 1e6
    out["per_step_over_surf16k"] = out["us_per_step_400ms"] / out["surf16k_us_per_step"]
    return out
