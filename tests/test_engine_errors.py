"""The engine's bad-input errors, blow-up detection, interruption, memory and compile cache."""

import os
import subprocess
import sys
import textwrap
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
from test_engine_agreement import make_sim, small_connectivity
from tvb.simulator import coupling as tvb_coupling
from tvb.simulator import integrators, models, monitors
from tvb.simulator.simulator import Simulator

from tvb_ngnmm import _numba
from tvb_ngnmm.backend import NumbaBackend
from tvb_ngnmm.engine import runner
from tvb_ngnmm.engine.errors import SimulationBlowUpError, UnsupportedSimulationError
from tvb_ngnmm.engine.spec import model_kernel


class OwnOscillator(models.Generic2dOscillator):
    """A user's subclass: the registry covers exactly the classes registered."""


class OwnCoupling(tvb_coupling.SparseCoupling):
    """A user's coupling with a nonlinear pre function the engine does not know."""

    def pre(self, x_i, x_j):
        return np.sin(x_j - x_i) ** 2

    def post(self, gx):
        return gx


@pytest.mark.parametrize(
    ("change", "match"),
    [
        (
            {"model": OwnOscillator()},
            "'model' .* runs models registered with engine equations .* or that declare "
            "state_variable_dfuns, but got 'OwnOscillator', which has neither",
        ),
        (
            {"coupling": OwnCoupling()},
            "'coupling' .* supports 'Linear', 'Scaling', 'Difference', .* but got 'OwnCoupling'",
        ),
        (
            {"integrator": integrators.RungeKutta4thOrderDeterministic(dt=0.01)},
            "'integrator' .* but got 'RungeKutta4thOrderDeterministic'",
        ),
        (
            {"monitors": [monitors.Raw(), monitors.GlobalAverage()]},
            r"'monitor' .* supports .*'Bold', .*'Raw', 'SpatialAverage', 'SubSample', "
            r"'TemporalAverage', .*"
            "but got 'GlobalAverage'",
        ),
    ],
)
def test_unsupported_components_are_named(change, match):
    kwargs = {"model": "NextGenEI", "length": 1.0}
    if "monitors" in change:
        kwargs["mons"] = change.pop("monitors")
    if "model" in change:
        kwargs["model"] = change.pop("model")
    sim = make_sim(**kwargs, **change)
    with pytest.raises(UnsupportedSimulationError, match=match):
        NumbaBackend().run_sim(sim)


def test_unconfigured_simulator():
    sim = Simulator(
        model=models.MontbrioPazoRoxin(),
        connectivity=small_connectivity(4),
        coupling=tvb_coupling.Linear(),
        integrator=integrators.HeunDeterministic(dt=0.01),
        monitors=[monitors.Raw()],
    )
    with pytest.raises(UnsupportedSimulationError, match="needs a configured Simulator"):
        NumbaBackend().run_sim(sim, simulation_length=1.0)


def test_parameter_array_of_the_wrong_length():
    sim = make_sim("MontbrioPazoRoxin", length=1.0)
    sim.model.eta = np.full(7, -4.6)  # 5 regions
    with pytest.raises(ValueError, match="'eta' parameter of MontbrioPazoRoxin.* one per region"):
        NumbaBackend().run_sim(sim)


def test_bad_simulation_length():
    sim = make_sim("NextGenEI", length=1.0)
    with pytest.raises(ValueError, match="'simulation_length' .* but got -1.0"):
        NumbaBackend().run_sim(sim, simulation_length=-1.0)


def test_too_large_a_time_step_blows_up_with_time_and_region():
    sim = make_sim("NextGenEI", integrator=integrators.EulerDeterministic(dt=0.5), length=100.0)
    with pytest.raises(SimulationBlowUpError, match=r"region 'region\d' .* at t = [\d.]+ ms") as e:
        NumbaBackend().run_sim(sim)
    assert e.value.state_variable in sim.model.state_variables
    # stock TVB, from the same history, is finite before that time and not after
    with np.errstate(all="ignore"):
        ((t, y),) = sim.run()
    assert np.isfinite(y[t < e.value.time]).all()
    assert not np.isfinite(y[t >= e.value.time + 2 * 0.5]).all()


def test_interrupted_run_keeps_what_was_computed(monkeypatch):
    calls = {"n": 0}
    original = runner._run_one_chunk

    def interrupt_third(*args):
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt
        return original(*args)

    monkeypatch.setattr(runner, "_run_one_chunk", interrupt_third)
    sim = make_sim("NextGenEI", length=10.0)
    with pytest.warns(RuntimeWarning, match="interrupted after 200 of 1000 steps"):
        ((t, y),) = NumbaBackend(chunk_steps=100).run_sim(sim)
    assert y.shape[0] == 200 and t[-1] == pytest.approx(2.0)


def test_progress_bar_over_chunks(capsys):
    sim = make_sim("NextGenEI", length=2.0)
    NumbaBackend(chunk_steps=50, progress=True).run_sim(sim)
    assert "4/4" in capsys.readouterr().err


def test_memory_does_not_grow_with_simulated_length():
    def peak(length):
        sim = make_sim(
            "MPRSynaptic",
            integrator=integrators.HeunDeterministic(dt=0.1),
            mons=[monitors.TemporalAverage(period=100.0)],
            length=length,
        )
        backend = NumbaBackend(chunk_steps=500, progress=False)
        backend.run_sim(sim, simulation_length=100.0)  # warm up
        tracemalloc.start()
        backend.run_sim(sim)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        return peak

    short, long = peak(500.0), peak(10_000.0)  # 5,000 vs 100,000 steps
    assert long < 1.2 * short + 64 * 1024


def test_changing_parameters_weights_and_delays_does_not_recompile():
    if not _numba.JIT_ENABLED:
        pytest.skip("JIT disabled")
    sim = make_sim("NextGenEI", length=2.0)
    run_chunk = model_kernel(sim.model)[0].run_chunk
    NumbaBackend().run_sim(sim)
    before = len(run_chunk.signatures)
    sim = make_sim("NextGenEI", length=2.0, connectivity=small_connectivity(6, seed=3, speed=2.0))
    sim.model.I_e = np.linspace(10, 14, 6)
    NumbaBackend().run_sim(sim)
    assert len(run_chunk.signatures) == before


def test_compiled_kernels_are_cached_on_disk_across_processes():
    if not _numba.JIT_ENABLED:
        pytest.skip("JIT disabled")
    code = textwrap.dedent(
        """
        import sys
        sys.path.insert(0, sys.argv[1])
        from test_engine_agreement import make_sim
        from tvb_ngnmm.backend import NumbaBackend
        from tvb_ngnmm.engine.spec import model_kernel
        sim = make_sim("MPRSynaptic", length=0.5)
        NumbaBackend().run_sim(sim)
        stats = model_kernel(sim.model)[0].run_chunk.stats
        print(sum(stats.cache_hits.values()), sum(stats.cache_misses.values()))
        """
    )
    tests_dir = str(Path(__file__).parent)
    env = {k: v for k, v in os.environ.items() if k != "TVB_NGNMM_DISABLE_JIT"}
    runs = [
        subprocess.run(
            [sys.executable, "-c", code, tests_dir], capture_output=True, text=True, env=env
        )
        for _ in range(2)
    ]
    assert runs[1].returncode == 0, runs[1].stderr[-2000:]
    hits, misses = (int(v) for v in runs[1].stdout.split()[-2:])
    assert hits >= 1 and misses == 0


KERNEL_PIECES = """
import sys
sys.path.insert(0, sys.argv[1])
from test_engine_agreement import make_sim
from tvb.simulator import models
from tvb_ngnmm.backend import NumbaBackend
from tvb_ngnmm.engine import coupling_kernel
from tvb_ngnmm.engine._cache import shared_kernel
for model in ("NextGenEI", "MPRSynaptic"):
    NumbaBackend().run_sim(make_sim(model, length=0.5))
pieces = ("accumulate_delayed", "accumulate_recent", "accumulate_dense")
print(len(shared_kernel().run_chunk.overloads),
      *(len(getattr(coupling_kernel, name).overloads) for name in pieces),
      sum(name.startswith("tvb_ngnmm_kernels.coupling_") for name in sys.modules))
"""


def test_the_kernel_is_compiled_once_for_all_models_and_only_the_pieces_a_run_calls():
    """Two models with delays and a linear coupling: one kernel, and of the coupling's pieces
    only the delayed sums (in a new process, loaded from the cache or compiled)."""
    if not _numba.JIT_ENABLED:
        pytest.skip("JIT disabled")
    env = {k: v for k, v in os.environ.items() if k != "TVB_NGNMM_DISABLE_JIT"}
    run = subprocess.run([sys.executable, "-c", KERNEL_PIECES, str(Path(__file__).parent)],
                         capture_output=True, text=True, env=env)  # fmt: skip
    assert run.returncode == 0, run.stderr[-2000:]
    kernels, delayed, recent, dense, couplings = (int(v) for v in run.stdout.split()[-5:])
    assert kernels == 1 and delayed == 1
    assert recent == dense == couplings == 0  # no nonlinear coupling's loops


def test_a_changed_model_or_kernel_never_reuses_a_stale_kernel(tmp_path, monkeypatch):
    """The kernel module is named by a digest of everything compiled into it."""
    import tvb_ngnmm.engine._cache as cache
    from tvb_ngnmm.engine.equations import engine_model

    monkeypatch.setenv("TVB_NGNMM_KERNEL_DIR", str(tmp_path))
    model = engine_model(models.MontbrioPazoRoxin())
    first = cache.kernel_digest(model)
    changed = engine_model(type("Changed", (models.MontbrioPazoRoxin,), {})())
    assert cache.kernel_digest(changed) != first  # other equations (its expressions)
    kernel_first = cache.shared_kernel_digest()
    kernel_file = tmp_path / "kernel.py"
    kernel_file.write_text("# another kernel")
    monkeypatch.setattr(cache, "_KERNEL_SOURCES", (kernel_file,))
    assert cache.shared_kernel_digest() != kernel_first  # a changed kernel source
    assert cache.kernel_digest(model) == first  # the model's loop does not compile the kernel
    # Another digest of the model: deleted once unused for UNUSED_KERNEL_AGE, kept before (a
    # process may be about to load it)
    (tmp_path / "__pycache__").mkdir()
    versions = {}
    for digit, age in (("0", cache.UNUSED_KERNEL_AGE + 60.0), ("1", 60.0)):
        path = tmp_path / f"MontbrioPazoRoxin_{digit * 20}.py"
        path.write_text("# another version")
        compiled = tmp_path / "__pycache__" / f"{path.stem}.run_chunk-37.py311.nbi"
        compiled.write_text("x")
        then = time.time() - age
        os.utime(path, (then, then))
        versions[digit] = (path, compiled)
    monkeypatch.setattr(cache, "_LOADED", {})  # as in a new process
    module = cache.compiled_kernel(model)
    assert Path(module.__file__).parent == tmp_path
    used = Path(module.__file__).with_suffix(".used")
    assert time.time() - used.stat().st_mtime < 60.0  # marked when loaded
    assert not any(p.exists() for p in versions["0"])
    assert all(p.exists() for p in versions["1"])
