"""Run the workloads and print wall time, steps/s, peak RSS and ratios to stock TVB.

Usage: ``python -m benchmarks [compile mpr76 ei90 sweep64 scale1000 long monitors bold600 jr76
g2d76 replay real94 fit94 surf16k surf_eeg surf65k]`` (all by default; the surface workloads are in
:mod:`benchmarks.surfaces`).
Each workload runs in its own process (so peak RSS is its own). Stock TVB is timed in the same
invocation on a shortened run (stated in the output) and scaled to one simulated second. Wall
times are medians of ``--repeat`` runs after a warm-up (JIT excluded); compile times are
reported separately.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

WORKLOADS = ("compile", "mpr76", "ei90", "sweep64", "sweep64_dask", "scale1000", "long", "monitors",
             "bold600", "jr76", "g2d76", "replay", "real94", "fit94", "surf16k",
             "surf_eeg", "surf65k")  # fmt: skip


def peak_rss_mib() -> float:
    """Peak resident memory of this process (MiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def timed(function, repeat: int = 1) -> float:
    """Median wall time (s) of ``repeat`` calls."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def engine_run(sim, length, seed=1):
    from tvb_ngnmm.backend import NumbaBackend

    return NumbaBackend(progress=False).run_sim(sim, simulation_length=length, seed=seed)


def stock_per_second(make, length: float) -> float:
    """Stock ``sim.run()`` wall time on ``length`` ms, scaled to one simulated second."""
    sim = make(length)
    return timed(lambda: sim.run(simulation_length=length)) * 1000.0 / length


def engine_and_stock(engine, make, stock_ms: float, repeat: int) -> tuple[float, float]:
    """Medians of the engine's wall time (``engine()``) and of stock TVB's per simulated second
    (``make(stock_ms)`` run for ``stock_ms``), timed in turn for ``repeat`` rounds: this
    machine's speed moves by ±20 % within minutes, and a change of load then falls on both."""
    sim = make(stock_ms)
    walls, stocks = [], []
    for _ in range(repeat):
        walls.append(timed(engine))
        stocks.append(timed(lambda: sim.run(simulation_length=stock_ms)) * 1000.0 / stock_ms)
    return statistics.median(walls), statistics.median(stocks)


def bench_compile(args) -> dict:
    """First-call time in a fresh process with empty caches, then again with them filled."""
    code = (
        "import time; t=time.perf_counter();"
        "from benchmarks.workloads import mpr76, ei90; from tvb_ngnmm.backend import NumbaBackend;"
        "s1, s2 = mpr76(1.0), ei90(1.0); t0=time.perf_counter();"
        "NumbaBackend().run_sim(s1, 1.0, seed=1); NumbaBackend().run_sim(s2, 1.0);"
        "print(time.perf_counter()-t0)"
    )
    out = {}
    with tempfile.TemporaryDirectory() as cache:
        # Both caches empty: Numba's, and the directory of the engine's generated modules.
        env = dict(os.environ, NUMBA_CACHE_DIR=cache,
                   TVB_NGNMM_KERNEL_DIR=os.path.join(cache, "kernels"))  # fmt: skip
        for label in ("cold_cache_s", "warm_cache_s"):
            run = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                                 text=True, check=True)  # fmt: skip
            out[label] = float(run.stdout.split()[-1])
    out["note"] = "first engine call on MPR-76 and EI-90 in a new process (import excluded)"
    return out


def bench_mpr76(args) -> dict:
    from tvb.simulator.backend.nb_mpr import NbMPRBackend

    from benchmarks.workloads import mpr76

    sim = mpr76(1000.0)
    engine_run(sim, 10.0)  # warm-up
    wall, stock = engine_and_stock(lambda: engine_run(sim, 1000.0), mpr76, args.stock_ms,
                                   args.repeat)  # fmt: skip
    nb_sim = mpr76(1000.0)
    NbMPRBackend().run_sim(
        nb_sim, simulation_length=100.0, chunksize=10000, compatibility_mode=True
    )  # fmt: skip  (compile)
    nb = timed(lambda: NbMPRBackend().run_sim(nb_sim, simulation_length=1000.0, chunksize=10000,
                                              compatibility_mode=True))  # fmt: skip
    return {"wall_s_per_sim_s": wall, "steps_per_s": 1e5 / wall, "stock_s_per_sim_s": stock,
            "ratio_stock": stock / wall, "nb_mpr_s_per_sim_s": nb, "ratio_nb_mpr": nb / wall,
            "stock_note": f"stock timed on {args.stock_ms:g} ms, scaled, in turn with the "
                          "engine"}  # fmt: skip


def bench_ei90(args) -> dict:
    from benchmarks.workloads import ei90

    sim = ei90(1000.0)
    engine_run(sim, 10.0)
    wall, stock = engine_and_stock(lambda: engine_run(sim, 1000.0), ei90, args.stock_ms,
                                   args.repeat)  # fmt: skip
    return {"wall_s_per_sim_s": wall, "steps_per_s": 1e5 / wall, "stock_s_per_sim_s": stock,
            "ratio_stock": stock / wall,
            "stock_note": f"stock timed on {args.stock_ms:g} ms, scaled, in turn with the "
                          "engine"}  # fmt: skip


def bench_sweep64(args) -> dict:
    from benchmarks.workloads import ei90
    from tvb_ngnmm.engine.batch import run_batch

    sim = ei90(1000.0)
    I_e, eps = np.meshgrid(np.linspace(0, 16, 8), np.linspace(0, 30, 8), indexing="ij")
    grid = {"I_e": I_e.ravel(), "a": eps.ravel()}
    run_batch(sim, {k: v[:4] for k, v in grid.items()}, 1.0, progress=False)  # warm-up
    length = args.sweep_ms
    wall, stock = engine_and_stock(
        lambda: run_batch(sim, grid, length, n_jobs=2, progress=False), ei90, args.stock_ms,
        args.repeat,
    )  # fmt: skip
    total = wall * 1000.0 / length
    return {"wall_s_total_for_64x1s": total, "member_sim_s_per_wall_s": 64 / total,
            "stock_estimate_s": 64 * stock, "ratio_stock": 64 * stock / total,
            "note": f"sweep timed on {length:g} ms per member, scaled to 1 s"}  # fmt: skip


def sweep64_dask_once(n_workers: int, length: float) -> dict:
    """SWEEP-64 through ``explore.sweep`` once, on a new local cluster, with its phases.

    Run in a new process that has built the simulator and run nothing (as a user's script):
    the time includes starting the cluster, the store, the workers' first engine call
    (loading the kernel from Numba's cache) and closing the cluster.
    """
    import sys as _sys

    from benchmarks.workloads import ei90
    from tvb_ngnmm.explore import SweepStore, grid, sweep

    sim = ei90(1000.0)
    design = grid({"I_e": np.linspace(0, 16, 8), "a": np.linspace(0, 30, 8)})
    module = _sys.modules["tvb_ngnmm.explore.sweep"]
    connect, write = module._connect, SweepStore.write
    phases, tasks = {}, []

    def timed_connect(*args, **kwargs):
        start = time.perf_counter()
        out = connect(*args, **kwargs)
        phases["cluster_start_s"] = time.perf_counter() - start
        return out

    def timed_write(self, result, *args):
        seconds = result["seconds"]
        tasks.append((time.perf_counter(), seconds["build"] + seconds["simulate"]
                      + seconds["reduce"], seconds["cpu"]))  # fmt: skip
        write(self, result, *args)

    module._connect, SweepStore.write = timed_connect, timed_write
    with tempfile.TemporaryDirectory() as folder:
        start = time.perf_counter()
        sweep(sim, design, ["mean_rate"], f"{folder}/s.zarr", length, n_workers=n_workers,
              progress=False)  # fmt: skip
        total = time.perf_counter() - start
    busy = [seconds for _, seconds, _ in tasks]
    return {"total_s": total, **phases, "first_result_s": tasks[0][0] - start,
            "tasks": len(tasks), "task_s_median": statistics.median(busy),
            "task_cpu_s_median": statistics.median(cpu for _, _, cpu in tasks),
            "after_last_result_s": start + total - tasks[-1][0],
            "overhead_s": total - sum(busy) / n_workers,
            "after_start_s": total - phases["cluster_start_s"]}  # fmt: skip


def _sweep64_dask_in_own_process(n_workers: int, length: float) -> dict:
    code = (f"import json; from benchmarks.run import sweep64_dask_once; "
            f"print(json.dumps(sweep64_dask_once({n_workers}, {length})))")  # fmt: skip
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)  # fmt: skip
    return json.loads(run.stdout.strip().splitlines()[-1])


def bench_sweep64_dask(args) -> dict:
    """SWEEP-64 through ``explore.sweep`` on a new local cluster (start included) vs run_batch.

    Each sweep runs in a new process (nothing carried over from another run); ``run_batch`` runs
    here after a warm-up (kernel loaded). Taken in turn (run_batch, 2 workers, 1 worker) for
    ``--repeat`` rounds, so that a change of machine load falls on all alike; medians.
    """
    from benchmarks.workloads import ei90
    from tvb_ngnmm.engine.batch import run_batch

    sim = ei90(1000.0)
    values = {"I_e": np.repeat(np.linspace(0, 16, 8), 8), "a": np.tile(np.linspace(0, 30, 8), 8)}
    run_batch(sim, {"I_e": [1.0], "a": [1.0]}, 1.0, progress=False)  # warm-up (JIT)
    length = args.sweep_ms
    rounds = {"run_batch": [], "two": [], "one": []}
    for _ in range(args.repeat):
        batch = timed(lambda: run_batch(sim, values, length, n_jobs=2, progress=False))
        rounds["run_batch"].append(batch)
        rounds["two"].append(_sweep64_dask_in_own_process(2, length))
        rounds["one"].append(_sweep64_dask_in_own_process(1, length))
    direct = statistics.median(rounds["run_batch"])
    out = {"run_batch_2_threads_s": direct}
    for label, runs in (("2_workers", rounds["two"]), ("1_worker", rounds["one"])):
        for key in runs[0]:
            out[f"dask_{label}_{key}"] = statistics.median(run[key] for run in runs)
    two, one = out["dask_2_workers_total_s"], out["dask_1_worker_total_s"]
    after_start = out["dask_1_worker_after_start_s"] / out["dask_2_workers_after_start_s"]
    # While tasks run: points per second of all workers, from the median task (a task of the
    # 1-worker sweep holds twice the points of one of the 2-worker sweep).
    rate = {n: n * (64 / out[f"dask_{label}_tasks"]) / out[f"dask_{label}_task_s_median"]
            for n, label in ((2, "2_workers"), (1, "1_worker"))}  # fmt: skip
    out.update({"dask_over_run_batch": two / direct, "throughput_2_over_1_workers": one / two,
                "throughput_2_over_1_after_cluster_start": after_start,
                "throughput_2_over_1_while_running": rate[2] / rate[1],
                "note": f"{length:g} ms/member; cluster start, store, mean rates included; "
                        f"medians of {args.repeat} rounds"})  # fmt: skip
    return out


def bench_scale1000(args) -> dict:
    from benchmarks.workloads import scale1000

    sim = scale1000(100.0)
    engine_run(sim, 1.0)
    length = args.scale_ms
    wall = timed(lambda: engine_run(sim, length), args.repeat) * 1000.0 / length
    stock = stock_per_second(scale1000, 10.0)
    return {"wall_s_per_sim_s": wall, "steps_per_s": 1e5 / wall, "stock_s_per_sim_s": stock,
            "ratio_stock": stock / wall,
            "note": f"engine on {length:g} ms, stock on 10 ms, both scaled"}  # fmt: skip


def ei90_in_own_process(length: float, imports: str, monitor: str, warm_up: bool) -> dict:
    """EI-90 with one monitor for ``length`` ms in a new process: its peak RSS and wall time."""
    code = (
        f"import resource, time; {imports};"
        "from benchmarks.workloads import ei90; from benchmarks.run import engine_run;"
        f"sim = ei90({length}, mons=[{monitor}]);"
        + ("engine_run(sim, 10.0);" if warm_up else "")
        + f"t=time.perf_counter(); engine_run(sim, {length}); w=time.perf_counter()-t;"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0, w)"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)  # fmt: skip
    rss, wall = (float(v) for v in run.stdout.split()[-2:])
    return {f"peak_rss_mib_{length / 1000:g}s": rss, f"wall_s_{length / 1000:g}s": wall}


def bench_long(args) -> dict:
    """Peak RSS of EI-90 with Bold for 6 s and for 60 s, each in its own process."""
    peaks = {}
    for length in (6000.0, 60000.0):
        peaks.update(ei90_in_own_process(length, "from tvb.simulator import monitors",
                                         "monitors.Bold()", warm_up=False))  # fmt: skip
    peaks["ratio_long_to_short_rss"] = peaks["peak_rss_mib_60s"] / peaks["peak_rss_mib_6s"]
    return peaks


def bench_monitors(args) -> dict:
    """EI-90 for 1 s with TemporalAverage alone, then with Balloon–Windkessel BOLD (TR 2 s) and
    with a 64-sensor ForwardProjection (1 ms) added: the cost each monitor adds (medians of runs
    taken in turn, one process)."""
    from tvb.simulator import monitors

    from benchmarks.workloads import ei90
    from tvb_ngnmm.monitors import BalloonWindkesselBold, ForwardProjection

    gain = np.random.default_rng(0).standard_normal((64, 90))
    labels = np.array([f"E{k}" for k in range(64)])
    setups = {
        "temporal_average": lambda: [monitors.TemporalAverage(period=0.1)],
        "with_bold": lambda: [monitors.TemporalAverage(period=0.1),
                              BalloonWindkesselBold(period=2000.0)],
        "with_projection": lambda: [monitors.TemporalAverage(period=0.1),
                                    ForwardProjection(gain=gain, sensor_labels=labels,
                                                      period=1.0)],
    }  # fmt: skip
    sims = {name: ei90(1000.0, mons=mons()) for name, mons in setups.items()}
    for sim in sims.values():
        engine_run(sim, 10.0)  # compile
    # Runs taken in turn, so that a change of machine load falls on every setup alike.
    walls = {name: [] for name in sims}
    for _ in range(args.repeat):
        for name, sim in sims.items():
            walls[name].append(timed(lambda sim=sim: engine_run(sim, 1000.0)))
    out = {f"{name}_s_per_sim_s": statistics.median(w) for name, w in walls.items()}
    base = out["temporal_average_s_per_sim_s"]
    out["bold_overhead_pct"] = 100.0 * (out["with_bold_s_per_sim_s"] / base - 1.0)
    out["projection_overhead_pct"] = 100.0 * (out["with_projection_s_per_sim_s"] / base - 1.0)
    return out


def bench_bold600(args) -> dict:
    """EI-90 with Balloon–Windkessel BOLD (TR 2 s) for --bold-ms (600 s) and a tenth of it, each
    in its own process (peak RSS), against stock TVB with its own ``Bold``, timed and scaled."""
    from tvb.simulator import monitors

    from benchmarks.workloads import ei90

    out = {}
    for length in (args.bold_ms / 10.0, args.bold_ms):
        out.update(ei90_in_own_process(
            length, "from tvb_ngnmm.monitors import BalloonWindkesselBold",
            "BalloonWindkesselBold(period=2000.0)", warm_up=True,
        ))  # fmt: skip
    out["ratio_rss_long_to_short"] = (
        out[f"peak_rss_mib_{args.bold_ms / 1000:g}s"]
        / out[f"peak_rss_mib_{args.bold_ms / 10000:g}s"]
    )
    stock = stock_per_second(lambda length: ei90(length, mons=[monitors.Bold(period=2000.0)]),
                             args.stock_ms)  # fmt: skip
    wall = out[f"wall_s_{args.bold_ms / 1000:g}s"]
    out["stock_bold_estimate_s"] = stock * args.bold_ms / 1000.0
    out["ratio_stock"] = out["stock_bold_estimate_s"] / wall
    out["stock_note"] = f"stock TVB with its Bold timed on {args.stock_ms:g} ms, scaled"
    return out


def _bench_stock_model(make, args) -> dict:
    """A 10 s workload at dt = 0.1 (100,000 steps) against stock TVB timed on at least 1 s."""
    sim = make(10000.0)
    engine_run(sim, 100.0)  # warm-up (compile)
    stock_ms = max(args.stock_ms, 1000.0)
    wall, stock = engine_and_stock(lambda: engine_run(sim, 10000.0), make, stock_ms, args.repeat)
    wall /= 10.0
    with_diagonal = make(10000.0, diagonal=True)
    engine_run(with_diagonal, 100.0)
    wall_diagonal = timed(lambda: engine_run(with_diagonal, 10000.0), args.repeat) / 10.0
    return {"wall_s_per_sim_s": wall, "wall_s_10s": 10.0 * wall, "steps_per_s": 1e4 / wall,
            "stock_s_per_sim_s": stock, "ratio_stock": stock / wall,
            "wall_s_per_sim_s_with_diagonal": wall_diagonal,
            "ratio_stock_with_diagonal": stock / wall_diagonal,
            "stock_note": f"stock timed on {stock_ms:g} ms (diagonal zeroed), scaled; "
                          "'with_diagonal': tvb76's self-connections kept (zero delay: "
                          "one-step coupling blocks)"}  # fmt: skip


def bench_jr76(args) -> dict:
    """JR-76: TVB's JansenRit with SigmoidalJansenRit on tvb76, HeunStochastic(dt=0.1), 10 s."""
    from benchmarks.workloads import jr76

    return _bench_stock_model(jr76, args)


def bench_g2d76(args) -> dict:
    """G2D-76: TVB's Generic2dOscillator with Linear on tvb76, HeunStochastic(dt=0.1), 10 s."""
    from benchmarks.workloads import g2d76

    return _bench_stock_model(g2d76, args)


def bench_real94(args) -> dict:
    """REAL-94: 20 s on the gw group tractography, seeded and with TVB's own noise stream,
    against the same simulator with every delay >= 20 steps and with the weights zeroed, a
    batch of 4 members, and stock TVB."""
    from benchmarks.workloads import real94
    from tvb_ngnmm.engine.batch import run_batch

    length, steps = 20000.0, 200000
    sims = {v: real94(length, v) for v in ("as is", "long delays", "no coupling")}
    for sim in sims.values():
        engine_run(sim, 200.0)  # warm-up (compile)
    wall, stock = engine_and_stock(lambda: engine_run(sims["as is"], length),
                                   lambda ms: real94(ms), args.stock_ms, args.repeat)  # fmt: skip
    replayed = timed(lambda: engine_run(sims["as is"], length, seed=None), args.repeat)
    long_delays = timed(lambda: engine_run(sims["long delays"], length), args.repeat)
    floor = timed(lambda: engine_run(sims["no coupling"], length), args.repeat)
    values = {"I_e": np.array([2.1, 2.2, 2.3, 2.4])}

    def batch():
        run_batch(sims["as is"], values, length, n_jobs=1, seed=1, progress=False)

    batch()
    batch_wall = timed(batch, args.repeat)
    per_second = 1000.0 / length
    return {"wall_s_per_sim_s": wall * per_second, "us_per_step": wall / steps * 1e6,
            "replayed_s_per_sim_s": replayed * per_second,
            "long_delays_us_per_step": long_delays / steps * 1e6,
            "ratio_to_long_delays": wall / long_delays,
            "no_coupling_us_per_step": floor / steps * 1e6,
            "batch4_s_per_member_sim_s": batch_wall * per_second / 4,
            "stock_s_per_sim_s": stock, "ratio_stock": stock / (wall * per_second),
            "stock_note": f"stock timed on {args.stock_ms:g} ms, scaled; engine seeded unless "
                          "'replayed' (TVB's own noise stream); batch: 4 values of I_e, one "
                          "thread, seeded"}  # fmt: skip


def bench_replay(args) -> dict:
    """JR-76 as loaded (10 s): ``run_sim`` without a seed (TVB's own noise stream, replayed, the
    drop-in default) against a seeded run, taken in turn for ``--repeat`` rounds; medians."""
    from benchmarks.workloads import jr76

    sim = jr76(10000.0)
    engine_run(sim, 100.0, seed=None)  # warm-up (compile), both generators
    engine_run(sim, 100.0, seed=1)
    walls = {"replayed": [], "seeded": []}
    for _ in range(args.repeat):
        for label, seed in (("replayed", None), ("seeded", 1)):
            walls[label].append(timed(lambda seed=seed: engine_run(sim, 10000.0, seed)) / 10.0)
    replayed, seeded = (statistics.median(walls[k]) for k in ("replayed", "seeded"))
    return {"replayed_s_per_sim_s": replayed, "seeded_s_per_sim_s": seeded,
            "ratio_replayed_to_seeded": replayed / seeded,
            "note": f"JR-76 for 10 s, in turn; medians of {args.repeat} rounds"}  # fmt: skip


def fit94_once(budget: int, length: float) -> dict:
    """FIT-94 through ``explore.fit`` once (new local cluster, 2 workers), with its phases.

    Run in a new process that has built the simulator and run nothing (as a user's script): the
    time includes the fork server, starting and closing the cluster, the workers' first engine
    call, every generation's sweep and store. Returns the totals, the cluster's start, each
    task's seconds on its worker (``'tasks'``: point, wall in ``run_batch``, all of the task,
    CPU) and the fit's evaluations (``'points'``: ``{name: value}`` in the fit's order).
    """
    import sys as _sys

    from benchmarks.workloads import fit94
    from tvb_ngnmm.explore import SweepStore, fit

    work = fit94(length)
    module = _sys.modules["tvb_ngnmm.explore.fit"]
    connect, write = module._connect, SweepStore.write
    phases, tasks = {}, []

    def timed_connect(*args, **kwargs):
        start = time.perf_counter()
        out = connect(*args, **kwargs)
        phases["cluster_start_s"] = time.perf_counter() - start
        return out

    def timed_write(self, result, *args):
        seconds = result["seconds"]
        tasks.append({"simulate_s": seconds["simulate"], "cpu_s": seconds["cpu"],
                      "task_s": seconds["build"] + seconds["simulate"] + seconds["reduce"],
                      "build_s": seconds["build"], "reduce_s": seconds["reduce"],
                      "started_at": seconds["started_at"], "written_at": time.time(),
                      "generation": self.path.name})  # fmt: skip
        write(self, result, *args)

    module._connect, SweepStore.write = timed_connect, timed_write
    started_at, start, cpu = time.time(), time.perf_counter(), time.process_time()
    result = fit(work["sim"], work["objective"], work["bounds"], method="cma", budget=budget,
                 seed=0, n_workers=2, simulation_length=length, options=work["options"],
                 progress=False)  # fmt: skip
    total = time.perf_counter() - start
    history = result.history
    points = [{name: float(history[name].values[k]) for name in work["bounds"]}
              for k in range(history.sizes["evaluation"])]  # fmt: skip
    return {"total_s": total, "caller_cpu_s": time.process_time() - cpu, **phases,
            "started_at": started_at, "ended_at": time.time(),
            "evaluations": len(points), "generations": int(history.generation.max()) + 1,
            "best_loss": result.best_loss, "tasks": tasks, "points": points}  # fmt: skip


def fit94_run_batch(points: list, length: float) -> dict:
    """Seconds of points run in this process as a fit's worker runs them (the simulator of the
    point's configuration built from the same recipe, then ``run_batch``, one thread each),
    after a warm-up; no Dask, no objective, no store. ``'alone'``: each point's wall time, one
    at a time; ``'cpu'``: its CPU time (the kernel's thread and the noise drawer's);
    ``'pairs'``: the wall time of each two consecutive points run side by side in two threads
    (as on the fit's 2 workers)."""
    from concurrent.futures import ThreadPoolExecutor

    from benchmarks.workloads import fit94
    from tvb_ngnmm.engine.batch import run_batch
    from tvb_ngnmm.explore.recipe import SimulatorRecipe
    from tvb_ngnmm.seeding import seeded_simulator

    recipe = SimulatorRecipe.from_simulator(seeded_simulator(fit94(length)["sim"], 0))
    runs = []
    for point in points:
        settings = {name: point[name] for name in ("noise_amplitude", "conduction_speed")}
        values = {name: np.array([point[name]]) for name in ("a", "I_e")}
        runs.append(functools.partial(run_batch, recipe.build(settings), values, length,
                                      n_jobs=1, progress=False))  # fmt: skip
    runs[0].func(*runs[0].args[:2], 2000.0, n_jobs=1, progress=False)  # warm-up (kernel)
    out = {"alone": [], "cpu": [], "pairs": []}
    for run in runs:
        cpu = time.process_time()
        out["alone"].append(timed(run))
        out["cpu"].append(time.process_time() - cpu)
    with ThreadPoolExecutor(2) as pool:
        for first, second in zip(runs[::2], runs[1::2], strict=False):
            out["pairs"].append(timed(lambda a=first, b=second: [
                f.result() for f in (pool.submit(a), pool.submit(b))]))  # fmt: skip
    return out


def _in_own_process(call: str) -> object:
    code = f"import json; from benchmarks.run import *; print(json.dumps({call}))"
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)  # fmt: skip
    return json.loads(run.stdout.strip().splitlines()[-1])


def bench_fit94(args) -> dict:
    """FIT-94: notebook 06's fit (CMA-ES, 48 evaluations of 200 s, 2 workers) in a new process,
    against the engine alone: six of the fit's own points (spanning its conduction speeds, which
    set the delays and so the cost) run through ``run_batch`` in another new process, one at a
    time and two side by side. Also where the workers' time went: in tasks (``run_batch``,
    building the simulator, the objective), idle within generations (waiting for the slowest
    point), between generations, before the first task and after the last result."""
    length = args.fit_ms
    fitted = _in_own_process(f"fit94_once({args.fit_budget}, {length})")
    points = sorted(fitted.pop("points"), key=lambda p: p["conduction_speed"])
    chosen = [points[round(q * (len(points) - 1))] for q in np.linspace(0.0, 1.0, 6)]
    engine = _in_own_process(f"fit94_run_batch({chosen!r}, {length})")
    alone = engine["alone"]
    tasks = fitted.pop("tasks")
    n, total = fitted["evaluations"], fitted["total_s"]
    started_at, ended_at = fitted.pop("started_at"), fitted.pop("ended_at")
    per_point = statistics.mean(alone)
    worker_wall = sum(t["task_s"] for t in tasks)
    generations = {}
    for task in tasks:
        generations.setdefault(task["generation"], []).append(task)
    spans = [(min(t["started_at"] for t in g), max(t["written_at"] for t in g),
              sum(t["task_s"] for t in g)) for g in generations.values()]  # fmt: skip
    spans.sort()
    return {**fitted, "wall_s_per_evaluation": total / n,
            "worker_s_per_evaluation": 2 * total / n,
            "run_batch_alone_s_per_point": per_point,
            "run_batch_alone_s_min_max": f"{min(alone):.2f}-{max(alone):.2f}",
            "ratio_fit_to_run_batch": 2 * total / n / per_point,
            "run_batch_alone_cpu_s_per_point": statistics.mean(engine["cpu"]),
            "run_batch_side_by_side_s_per_point": statistics.mean(engine["pairs"]),
            "ratio_fit_to_side_by_side": 2 * total / n / statistics.mean(engine["pairs"]),
            "task_s_per_point": worker_wall / n,
            "task_run_batch_s_per_point": statistics.mean(t["simulate_s"] for t in tasks),
            "task_cpu_s_per_point": statistics.mean(t["cpu_s"] for t in tasks),
            "task_cpu_s_min_max": f"{min(t['cpu_s'] for t in tasks):.2f}-"
                                  f"{max(t['cpu_s'] for t in tasks):.2f}",
            "workers_cpu_s_in_tasks": sum(t["cpu_s"] for t in tasks),
            "task_build_s_total": sum(t["build_s"] for t in tasks),
            "task_reduce_s_total": sum(t["reduce_s"] for t in tasks),
            "workers_idle_s": 2 * total - worker_wall,
            "in_generations_idle_s": sum(2 * (end - start) - busy for start, end, busy in spans),
            "between_generations_s": sum(spans[k + 1][0] - spans[k][1]
                                         for k in range(len(spans) - 1)),
            "before_first_task_s": spans[0][0] - started_at,
            "after_last_result_s": ended_at - spans[-1][1],
            "note": f"{n} evaluations of {length / 1000:g} s on 2 workers; run_batch alone: "
                    f"{len(chosen)} of its points (spanning its conduction speeds), one process, "
                    "one at a time or two side by side (threads); 'worker_s_per_evaluation' = "
                    "2 x wall / evaluations"}  # fmt: skip


def run_one(name: str, args) -> dict:
    """One workload in this process."""
    from benchmarks import surfaces

    bench = globals().get(f"bench_{name}") or getattr(surfaces, f"bench_{name}")
    result = bench(args)
    result["peak_rss_mib"] = peak_rss_mib()
    return result


def main(argv=None) -> None:
    """Entry point: each workload in its own process, results printed as they come."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("workloads", nargs="*", choices=[*WORKLOADS, []])
    parser.add_argument("--repeat", type=int, default=3, help="repetitions (median)")
    parser.add_argument("--stock-ms", type=float, default=100.0, help="stock TVB run length")
    parser.add_argument("--sweep-ms", type=float, default=1000.0, help="SWEEP-64 length/member")
    parser.add_argument("--scale-ms", type=float, default=100.0, help="SCALE-1000 length")
    parser.add_argument("--bold-ms", type=float, default=600000.0, help="BOLD-600 length")
    parser.add_argument("--fit-ms", type=float, default=200000.0, help="FIT-94 length/point")
    parser.add_argument("--fit-budget", type=int, default=48, help="FIT-94 evaluations")
    parser.add_argument("--surf-stock-ms", type=float, default=20.0,
                        help="stock TVB run length on a surface")  # fmt: skip
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one:
        print(json.dumps(run_one(args.one, args)))
        return
    passthrough = [f"--repeat={args.repeat}", f"--stock-ms={args.stock_ms}",
                   f"--sweep-ms={args.sweep_ms}", f"--scale-ms={args.scale_ms}",
                   f"--bold-ms={args.bold_ms}", f"--fit-ms={args.fit_ms}",
                   f"--fit-budget={args.fit_budget}",
                   f"--surf-stock-ms={args.surf_stock_ms}"]  # fmt: skip
    for name in args.workloads or WORKLOADS:
        run = subprocess.run(
            [sys.executable, "-m", "benchmarks", f"--one={name}", *passthrough],
            capture_output=True, text=True,
        )  # fmt: skip
        if run.returncode != 0:
            print(f"{name}: FAILED\n{run.stderr[-3000:]}", flush=True)
            continue
        result = json.loads(run.stdout.strip().splitlines()[-1])
        print(f"== {name}", flush=True)
        for key, value in result.items():
            shown = f"{value:.4g}" if isinstance(value, float) else value
            print(f"   {key:28s} {shown}", flush=True)


if __name__ == "__main__":
    main()
