"""Sweeps on Dask: labelled results equal ``run_batch``, resume after an interrupted client or a
killed worker computes only what is missing, blow-ups per point, bounded retries, bad input."""

import contextlib
import functools
import importlib
import logging
import os
import re
import signal
import sys
import threading
import time

import numpy as np
import pytest
from dask_cluster import alive, local_cluster
from test_engine_agreement import make_sim
from tvb.simulator import monitors

from tvb_ngnmm.analysis import functional_connectivity
from tvb_ngnmm.engine.batch import run_batch
from tvb_ngnmm.explore import SweepStore, grid, points, sobol
from tvb_ngnmm.explore import sweep as seeded_sweep
from tvb_ngnmm.explore.sweep import SECONDS_PER_NODE_STEP, _auto_batch_size

distributed = pytest.importorskip("distributed")

MEASURES = ["mean_rate", "fc", "kuramoto"]
# These tests compare sweeps with run_batch on the simulator they configured: every point starts
# from that simulator's own history (the default, a seeded history, is tested in
# test_reproducibility.py).
sweep = functools.partial(seeded_sweep, history_seed=None)
sweep_module = importlib.import_module("tvb_ngnmm.explore.sweep")  # the attribute is the function


@pytest.fixture(scope="module")
def client():
    with local_cluster(2) as (_, client):
        yield client


@pytest.fixture(scope="module")
def sim():
    return make_sim("NextGenEI", n=6, mons=[monitors.TemporalAverage(period=0.5)], length=30.0)


DESIGN = grid({"I_e": [10.0, 12.0, 14.0, 16.0], "a": [0.1, 0.5]})


def _reference(sim, design):
    (out,) = run_batch(sim, design.values, progress=False)
    return out


def _assert_equal_reference(ds, reference):
    rates = reference.mean("time").values * 1000.0
    np.testing.assert_allclose(ds.mean_rate_r_e.values, rates[:, 0], rtol=1e-12)
    np.testing.assert_allclose(ds.mean_rate_r_i.values, rates[:, 1], rtol=1e-12)
    for k in range(reference.sizes["member"]):
        fc = functional_connectivity(reference.isel(member=k, state_variable=0).values)
        np.testing.assert_allclose(ds.fc.values[k], fc, rtol=1e-12)
    assert ds.done.all()


@pytest.mark.parametrize("inline", [True, False], ids=["recipe-in-each-task", "recipe-as-task"])
def test_labelled_results_equal_run_batch(client, sim, tmp_path, monkeypatch, inline):
    if not inline:  # a recipe too large to send with every task: one task's result
        monkeypatch.setattr(sweep_module, "INLINE_RECIPE_BYTES", 0)
    ds = sweep(sim, DESIGN, MEASURES, tmp_path / "s.zarr", client=client, batch_size=3,
               progress=False)  # fmt: skip
    _assert_equal_reference(ds, _reference(sim, DESIGN))
    np.testing.assert_array_equal(ds.I_e.values, DESIGN.values["I_e"])
    assert ds.a.attrs["units"] == "1 (coupling gain)"
    assert ds.mean_rate_r_e.attrs["units"] == "Hz"
    assert list(ds.region.values) == list(sim.connectivity.region_labels)
    assert ds.attrs["tasks_run"] == 3 and ds.attrs["points_run"] == 8
    assert '"NextGenEI"' in ds.attrs["simulator"]
    assert ds.kuramoto.dims == ("point",) and np.isfinite(ds.kuramoto).all()


def test_interrupted_client_then_resume_computes_only_the_missing(client, sim, tmp_path,
                                                                  monkeypatch):  # fmt: skip
    store = tmp_path / "s.zarr"
    write = SweepStore.write
    calls = []

    def interrupt_on_third(self, *args):
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt
        write(self, *args)

    monkeypatch.setattr(SweepStore, "write", interrupt_on_third)
    with pytest.warns(RuntimeWarning, match="4 of 8 points are done"):
        partial = sweep(sim, DESIGN, MEASURES, store, client=client, batch_size=2, progress=False)
    monkeypatch.setattr(SweepStore, "write", write)
    assert partial.done.sum() == 4 and np.isnan(partial.kuramoto.values[~partial.done]).all()
    resumed = sweep(sim, DESIGN, MEASURES, store, client=client, batch_size=2, progress=False)
    assert resumed.attrs["tasks_run"] == 2 and resumed.attrs["points_run"] == 4
    _assert_equal_reference(resumed, _reference(sim, DESIGN))
    again = sweep(sim, DESIGN, MEASURES, store, client=client, batch_size=2, progress=False)
    assert again.attrs["tasks_run"] == 0


def test_a_killed_worker_loses_and_duplicates_nothing(client, sim, tmp_path, monkeypatch):
    long_sim = make_sim("NextGenEI", n=8, mons=[monitors.TemporalAverage(period=0.5)],
                        length=300.0)  # fmt: skip
    design = grid({"I_e": np.linspace(10.0, 16.0, 6), "a": [0.1, 0.5]})
    written = []
    write = SweepStore.write

    def counting_write(self, result, *args):
        written.extend(result["points"])
        write(self, result, *args)

    monkeypatch.setattr(SweepStore, "write", counting_write)
    pids = client.run(os.getpid)
    killed = []

    def kill_a_busy_worker():
        deadline = time.monotonic() + 60.0
        while time.monotonic() < deadline and not killed:
            busy = [w for w, keys in client.processing().items() if keys and w in pids]
            for worker in busy:
                if any(str(k).startswith("run_task") for k in client.processing()[worker]):
                    os.kill(pids[worker], signal.SIGKILL)
                    killed.append(pids[worker])
                    break
            time.sleep(0.05)

    killer = threading.Thread(target=kill_a_busy_worker)
    killer.start()
    ds = sweep(long_sim, design, MEASURES, tmp_path / "s.zarr", client=client, batch_size=2,
               progress=False)  # fmt: skip
    killer.join()
    assert killed and not alive(killed[0])
    assert sorted(written) == list(range(12))  # each point written once
    _assert_equal_reference(ds, _reference(long_sim, design))
    client.wait_for_workers(2, timeout=30)  # the nanny restarted the killed worker


def test_blow_ups_are_recorded_per_point(client, sim, tmp_path):
    design = points({"I_e": [15.0, 1e7, 14.0]})
    ds = sweep(sim, design, MEASURES, tmp_path / "s.zarr", client=client, progress=False)
    assert ds.blown_up.values.tolist() == [False, True, False]
    assert 0 < float(ds.blow_up_time[1]) < 30.0
    assert str(ds.blow_up_region.values[1]).startswith("region")
    assert np.isnan(ds.kuramoto.values[1]) and np.isfinite(ds.kuramoto.values[[0, 2]]).all()
    assert ds.done.all()


def failing_measure(outputs, path):
    """Fails on a worker (the trial of the measures before the sweep, in the client, passes)."""
    try:
        distributed.get_worker()
    except ValueError:
        return 0.0
    with open(path, "a") as log:
        log.write("attempt\n")
    raise ArithmeticError("this measure always fails")


def test_retries_are_bounded(client, sim, tmp_path):
    log = tmp_path / "attempts.txt"
    measure = functools.partial(failing_measure, path=str(log))
    with pytest.raises(RuntimeError, match="1 task\\(s\\) failed after their retries"):
        sweep(sim, points({"I_e": [15.0]}), [measure], tmp_path / "s.zarr", client=client,
              retries=1, progress=False)  # fmt: skip
    assert log.read_text().count("attempt") == 2


def test_configuration_parameters_are_grouped(client, sim, tmp_path):
    design = grid({"conduction_speed": [5.0, 2.0], "I_e": [12.0, 15.0]})
    ds = sweep(sim, design, ["mean_rate"], tmp_path / "s.zarr", client=client, progress=False)
    assert ds.conduction_speed.attrs["units"] == "mm/ms" and ds.done.all()
    (same,) = run_batch(sim, {"I_e": [12.0, 15.0]}, progress=False)  # the simulator's speed, 5
    np.testing.assert_allclose(ds.mean_rate_r_e.values[:2], same.mean("time").values[:, 0] * 1e3,
                               rtol=1e-12)  # fmt: skip
    assert not np.allclose(ds.mean_rate_r_e.values[:2], ds.mean_rate_r_e.values[2:])


def test_sobol_design_is_in_its_bounds():
    design = sobol({"I_e": (0.0, 16.0), "a": (0.0, 30.0)}, 16, seed=1)
    assert design.n_point == 16 and design.kind == "sobol"
    assert (design.values["I_e"] >= 0).all() and (design.values["I_e"] < 16).all()


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda: grid({}), "'design' parameter. Allowed is a dict"),
        (lambda: grid({"I_e": []}), "Allowed is one or more values of 'I_e'"),
        (lambda: grid({"I_e": [[1.0, 2.0]]}), "Allowed are 1-D values of 'I_e'"),
        (lambda: grid({"I_e": [1.0, np.nan]}), "Allowed are finite values of 'I_e'"),
        (lambda: points([{"I_e": 1.0}, {"a": 2.0}]), "Allowed are points with the names"),
        (lambda: points({"I_e": [1.0], "a": [1.0, 2.0]}), "the same number of values"),
        (lambda: points([]), "Allowed is a non-empty list"),
        (lambda: sobol({"I_e": (5.0, 5.0)}, 8), "'bounds' parameter. Allowed is a pair"),
        (lambda: sobol({"I_e": (0.0, 5.0)}, 0), "'n_point' parameter. Allowed are integers"),
    ],
)
def test_bad_designs(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_bad_sweep_arguments(sim, tmp_path):
    store = tmp_path / "s.zarr"
    with pytest.raises(ValueError, match="Allowed parameter names are 'tau_e'.*'a', "
                       "'conduction_speed'.*but got 'I_x' instead"):  # fmt: skip
        sweep(sim, {"I_x": [1.0]}, MEASURES, store)
    with pytest.raises(ValueError, match="'measures' parameter. Allowed are one or more of"):
        sweep(sim, DESIGN, ["fc", "entropy"], store)
    with pytest.raises(ValueError, match="I_e"):  # run_batch's domain check of every value
        sweep(sim, {"I_e": [[1.0, 2.0]]}, MEASURES, store)
    with pytest.raises(ValueError, match="'client' parameter.*'tcp://127.0.0.1:1'.*cannot reach"):
        sweep(sim, DESIGN, MEASURES, store, client="tcp://127.0.0.1:1")
    assert not store.exists()


UNREACHABLE = "tcp://127.0.0.1:1"  # a client that is never reached: the checks come first


def test_sweeping_a_mixed_models_group_is_refused(tmp_path):
    """Point 6: 'group' is a MixedModel's assignment of regions to its models (nodes of no
    group ran frozen or NaN, not blown up); each group's parameters can still be swept."""
    from test_mixed_networks import mixed_sim, thalamocortical

    from tvb_ngnmm.engine.spec import extract
    from tvb_ngnmm.explore.recipe import classify

    sim = mixed_sim(thalamocortical(), length=2.0)
    store = tmp_path / "s.zarr"
    with pytest.raises(ValueError, match=r"Allowed parameter names are 'cortex.tau_e'.*but got "
                       r"'group' instead \('group' is the MixedModel's assignment"):  # fmt: skip
        sweep(sim, {"group": [0.0, 1.0]}, ["mean_rate"], store, client=UNREACHABLE)
    assert not store.exists()
    # a group's parameter outside its model's domain ran without a word (tau_e = -1)
    with pytest.raises(ValueError, match=r"'tau_e' parameter of NextGenEI \(group 'cortex', "
                       r"swept\). Allowed values are > 0.*but got -1.0"):  # fmt: skip
        sweep(sim, {"cortex.tau_e": [-1.0, 8.0]}, ["mean_rate"], store, client=UNREACHABLE)
    assert classify(sim, extract(sim), ["cortex.I_e", "thalamus.eta"])[0] == [
        "cortex.I_e",
        "thalamus.eta",
    ]


@pytest.mark.parametrize(
    "name",
    ["connectivity.delays", "connectivity.number_of_regions", "connectivity.idelays",
     "integrator.bounded_state_variable_indices", "coupling.gid"],
)  # fmt: skip
def test_attributes_configure_derives_cannot_be_swept(sim, tmp_path, name):
    """Hostile input: attributes that configure() computes again (the delays from the tract
    lengths, the number of regions from the weights) were swept without effect, silently."""
    with pytest.raises(ValueError, match=f"'connectivity.speed'.*but got '{name}' instead"):
        sweep(sim, {name: [1.0]}, ["mean_rate"], tmp_path / "s.zarr", client=UNREACHABLE)


@pytest.mark.parametrize(
    ("names", "match"),
    [
        (["a", "coupling.a"], r"names of different parameters, but got 'a' and 'coupling.a'"),
        (["conduction_speed", "connectivity.speed"], r"'conduction_speed' and "
         r"'connectivity.speed', which set the same one"),
        (["noise_amplitude"], r"but got 'noise_amplitude' instead \(the integrator "
         r"HeunDeterministic has no noise\)"),
    ],
)  # fmt: skip
def test_names_that_cannot_be_swept_together_or_here_are_refused(sim, tmp_path, names, match):
    """Hostile input: two names of one attribute were both set, the last one silently winning;
    'noise_amplitude' of a deterministic simulator was refused as unknown while the message
    listed it as allowed."""
    design = points({name: [1.0] for name in names})
    with pytest.raises(ValueError, match=match):
        sweep(sim, design, ["mean_rate"], tmp_path / "s.zarr", client=UNREACHABLE)


def returns_text(outputs):
    return "hello"


def divides_by_zero(outputs):
    return 1 / 0


def done(outputs):
    return 1.0


@pytest.mark.parametrize(
    ("measures", "match"),
    [
        ({"fc": {"variable": "nope"}},
         r"option 'variable' of 'fc' are the variables of the TemporalAverage monitor "
         r"\['r_e', 'r_i'\], but got 'nope' instead"),
        ({"fc": {"monitor": 3}}, r"option 'monitor' of 'fc' are None or the index.*0..0.*got 3"),
        ({"fcd": {"window": 10.0}}, r"options of 'fcd' are \['window_ms'.*got 'window'"),
        ({"bold_fc": {}}, r"'bold_fc' with a simulator that has a BOLD monitor, but got "
         r"'bold_fc' with the monitors \['TemporalAverage'\]"),
        ([returns_text], r"the measure 'returns_text' must return numbers.*returned 'hello'"),
        ([divides_by_zero], r"the measure 'divides_by_zero' raised ZeroDivisionError: division "
         r"by zero \(tried before any simulation"),
        ([done], r"results are not named as the store's.*the measure 'done' giving 'done'"),
        (["fc", "fc"], r"not named as the measure 'fc''s.*the measure 'fc' giving 'fc'"),
        ({"fcd": {"window_ms": "long"}}, r"the measure 'fcd' raised TypeError"),
        # the options of a function were dropped without a word
        ({returns_text: {"scale": 2}}, r"the measure 'returns_text' raised TypeError: "
         r"returns_text\(\) got an unexpected keyword argument 'scale'"),
    ],
)  # fmt: skip
def test_measures_that_cannot_apply_are_refused_before_any_run(sim, tmp_path, measures, match):
    """Unclear errors: a measure naming a variable that does not exist was found only after
    every point ran and its retries (a raw xarray KeyError, the store left behind); a custom
    measure returning a string failed on every worker. Now refused before anything runs."""
    store = tmp_path / "s.zarr"
    with pytest.raises(ValueError, match=match):
        sweep(sim, DESIGN, measures, store, client=UNREACHABLE)
    assert not store.exists()


@pytest.mark.parametrize(
    ("change", "match"),
    [
        ({"batch_size": 0}, r"'batch_size' parameter. Allowed are None or integers >= 1.*got 0"),
        ({"batch_size": 2.5}, r"'batch_size'.*but got 2.5"),
        ({"n_workers": 0}, r"'n_workers' parameter. Allowed are None or integers >= 1.*got 0"),
        ({"raw": "yes"}, r"'raw' parameter. Allowed are True or False, but got 'yes'"),
        ({"store": None}, r"'store' parameter. Allowed is the path of a zarr store.*got None"),
        ({"simulation_length": "30"}, r"'simulation_length'.*None or numbers \(ms\).*'30'"),
        ({"simulation_length": 0.2}, r"'simulation_length'.*at least the longest sampling "
         r"period of the monitors \(0.5 ms, TemporalAverage\), but got 0.2"),
        ({"design": {"I_e": [True, False]}}, r"'design'.*'I_e' are numbers \(not true or "
         r"false\), but got \[True, False\]"),
        ({"design": {"conduction_speed": [2.0, -1.0]}}, r"swept parameter 'conduction_speed'. "
         r"Allowed values are finite numbers > 0 \(mm/ms\), but got -1.0"),
        ({"design": {"connectivity.weights": [-1.0]}}, r"'connectivity.weights'.*>= 0.*-1.0"),
        ({"design": {"integrator.dt": [0.0]}}, r"'integrator.dt'.*> 0 \(ms\), but got 0.0"),
    ],
)  # fmt: skip
def test_bad_run_settings_are_refused_before_any_run(sim, tmp_path, change, match):
    """Hostile input: batch_size 0 or 2.5 failed after the cluster started (raw errors),
    n_workers=0 started the default cluster, raw='yes' and a design of booleans were taken as
    true and 1.0/0.0, simulation_length=0 ran the default length and a length shorter than a
    sampling period left nothing to measure; a negative speed or weight, or a zero time step,
    failed on every worker after its retries."""
    arguments = {"design": DESIGN, "measures": ["mean_rate"], "store": tmp_path / "s.zarr",
                 "client": UNREACHABLE, **change}  # fmt: skip
    with pytest.raises(ValueError, match=match):
        sweep(sim, **arguments)
    assert not (tmp_path / "s.zarr").exists()


def test_a_store_that_is_a_file_is_refused(sim, tmp_path):
    (tmp_path / "s.zarr").write_text("")
    with pytest.raises(ValueError, match="'store' parameter.*'.*s.zarr' instead: it is a file"):
        sweep(sim, DESIGN, ["mean_rate"], tmp_path / "s.zarr", client=UNREACHABLE)


def test_a_store_of_another_configuration_is_refused(client, sim, tmp_path):
    store = tmp_path / "s.zarr"
    design = points({"I_e": [15.0]})
    sweep(sim, design, ["mean_rate"], store, client=client, progress=False)
    other = make_sim("NextGenEI", n=6, mons=[monitors.TemporalAverage(period=0.5)], length=30.0)
    other.coupling.a = np.array([0.7])
    with pytest.raises(ValueError, match="different simulator configuration"):
        sweep(other, design, ["mean_rate"], store, client=client, progress=False)
    with pytest.raises(ValueError, match="different design"):
        sweep(sim, points({"I_e": [14.0]}), ["mean_rate"], store, client=client, progress=False)
    with pytest.raises(ValueError, match="different set of measures"):
        sweep(sim, design, ["fc"], store, client=client, progress=False)
    (tmp_path / "plain").mkdir()
    with pytest.raises(ValueError, match="it is not"):
        sweep(sim, design, ["fc"], tmp_path / "plain", client=client, progress=False)


def test_a_scheduler_address_is_connected_to_and_let_go(client, sim, tmp_path):
    """Given an address, the sweep opens its own client and closes it at the end."""

    def n_clients(dask_scheduler):
        return len(dask_scheduler.clients)

    before = client.run_on_scheduler(n_clients)
    address = client.scheduler.address
    ds = sweep(sim, DESIGN, MEASURES, tmp_path / "s.zarr", client=address, batch_size=4,
               progress=False)  # fmt: skip
    assert bool(ds.done.all())
    deadline = time.monotonic() + 10.0
    while client.run_on_scheduler(n_clients) > before and time.monotonic() < deadline:
        time.sleep(0.1)
    assert client.run_on_scheduler(n_clients) == before


CLIENT = {"pid": os.getpid()}


def forked_by_another_process(outputs):
    """1.0 where the worker's parent is not the client (a fork server, not a fork of it)."""
    return float(os.getppid() != CLIENT["pid"])


def worker_settings_applied(outputs):
    """1.0 where the worker runs with the local cluster's settings (WORKER_CONFIG): no
    MALLOC_TRIM_THRESHOLD_, no statistical profiler, Dask's settings as given."""
    import dask
    from distributed import get_worker

    from tvb_ngnmm.explore.sweep import WORKER_CONFIG

    given = {key: value for key, value in WORKER_CONFIG.items() if "pre-spawn-environ" not in key}
    if not all(dask.config.get(key) == value for key, value in given.items()):
        return 0.0
    profiling = "profile" in get_worker().periodic_callbacks
    with open("/proc/self/environ", "rb") as environ:  # what the C library started with
        started = environ.read().split(b"\0")
    trim = "MALLOC_TRIM_THRESHOLD_" in os.environ or any(
        v.startswith(b"MALLOC_TRIM_THRESHOLD_=") for v in started)  # fmt: skip
    return float(not profiling and not trim)


def _is_fork_server(psutil, process) -> bool:
    """Whether ``process`` is multiprocessing's fork server, fresh or forked from this process
    (an exited, unreaped worker — a zombie — has no command line left: not the fork server)."""
    from tvb_ngnmm.explore import _forkserver

    if process.pid == _forkserver.pid():
        return True
    try:
        return "forkserver" in " ".join(process.cmdline())
    except (psutil.ZombieProcess, psutil.NoSuchProcess):
        return False


@pytest.mark.skipif(sys.platform != "linux", reason="the fork server is used on Linux only")
def test_a_local_cluster_starts_workers_from_a_fork_server_and_closes_them(sim, tmp_path,
                                                                           caplog):  # fmt: skip
    """... and holds back Dask's INFO messages while it runs (TVB prints them on stdout)."""
    psutil = pytest.importorskip("psutil")
    before = {p.pid for p in psutil.Process().children(recursive=True)}
    level = logging.getLogger("distributed").level
    try:
        with caplog.at_level(logging.INFO):
            ds = sweep(sim, DESIGN, ["mean_rate", forked_by_another_process,
                                     worker_settings_applied], tmp_path / "s.zarr",
                       n_workers=1, progress=False)  # fmt: skip
        left = [p for p in psutil.Process().children(recursive=True) if p.pid not in before]
    finally:
        for process in psutil.Process().children(recursive=True):
            if process.pid not in before and not _is_fork_server(psutil, process):
                with contextlib.suppress(psutil.NoSuchProcess):
                    process.kill()
    assert bool(ds.done.all()) and (ds.forked_by_another_process.values == 1.0).all()
    assert (ds.worker_settings_applied.values == 1.0).all()
    rates = _reference(sim, DESIGN).mean("time").values * 1000.0
    np.testing.assert_allclose(ds.mean_rate_r_e.values, rates[:, 0], rtol=1e-12)
    workers = [p for p in left if not _is_fork_server(psutil, p)]
    assert not [p for p in workers if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
    dask_info = [r for r in caplog.records if r.name.startswith("distributed")
                 and r.levelno < logging.WARNING]  # fmt: skip
    assert not dask_info, dask_info[:3]
    assert logging.getLogger("distributed").level == level  # as it was before the sweep


FORK_SERVER_SCRIPT = """
import functools, json, multiprocessing, os, sys, threading
sys.path.insert(0, {tests!r})
from test_engine_agreement import make_sim
from tvb.simulator import integrators, monitors, noise
import numpy as np
from tvb_ngnmm.explore import _forkserver
from tvb_ngnmm.explore import sweep as seeded_sweep
sweep = functools.partial(seeded_sweep, history_seed=None)


def probe():
    from tvb_ngnmm.engine import _cache
    return os.getppid(), len(_cache._LOADED), "xarray" in sys.modules, threading.active_count()


def no_trim_threshold(outputs):
    with open("/proc/self/environ", "rb") as environ:  # what the C library started with
        initial = environ.read().split(b"\\0")
    started = any(v.startswith(b"MALLOC_TRIM_THRESHOLD_=") for v in initial)
    return float(not started and "MALLOC_TRIM_THRESHOLD_" not in os.environ)


if __name__ == "__main__":
    os.environ["MALLOC_TRIM_THRESHOLD_"] = "65536"  # as an earlier Dask cluster's nanny leaves it
    stop = threading.Event()
    if {other_thread}:
        threading.Thread(target=stop.wait, daemon=True).start()
    nsig = np.array([0.0, 0.01, 0.0, 0.0, 0.01, 0.0])
    integrator = integrators.HeunStochastic(dt=0.01, noise=noise.Additive(nsig=nsig))
    sim = make_sim("NextGenEI", n=4, integrator=integrator, length=5.0,
                   mons=[monitors.TemporalAverage(period=0.5)])
    ds = sweep(sim, {{"I_e": [10.0, 12.0], "a": [0.1]}}, ["mean_rate", no_trim_threshold],
               {store!r}, n_workers=1, seed=3, progress=False)
    stop.set()
    with multiprocessing.get_context("forkserver").Pool(1) as pool:
        parent, loaded, xarray, threads = pool.apply(probe)
    import psutil
    server = psutil.Process(_forkserver.pid())
    print(json.dumps({{"server": server.pid, "server_parent": server.ppid(),
                      "fresh": "forkserver" in " ".join(server.cmdline()),
                      "me": os.getpid(), "parent": parent, "loaded": loaded, "xarray": xarray,
                      "threads": threads, "rates": ds.mean_rate_r_e.values.tolist(),
                      "no_trim": ds.no_trim_threshold.values.tolist()}}))
"""


@pytest.mark.skipif(sys.platform != "linux", reason="the fork server is used on Linux only")
@pytest.mark.parametrize(
    "other_thread, started_with_threshold",
    [(False, False), (True, False), (False, True)],
    ids=["one-thread", "other-thread", "started-with-MALLOC_TRIM_THRESHOLD_"],
)
def test_the_fork_server_is_forked_from_a_single_threaded_script_with_its_kernel(
    tmp_path, other_thread, started_with_threshold
):
    """A script's sweep: with one thread the fork server is a fork of the script with the
    model's kernel loaded and xarray imported before its first worker; with another thread, or
    when the script started with MALLOC_TRIM_THRESHOLD_ (its malloc keeps it, and so would a
    fork), a fresh interpreter. Either way its workers start without the MALLOC_TRIM_THRESHOLD_
    a Dask nanny left in the script's environment, and the results are run_batch's."""
    import json
    import subprocess

    script = tmp_path / "script.py"
    tests = os.path.dirname(os.path.abspath(__file__))
    script.write_text(FORK_SERVER_SCRIPT.format(tests=tests, store=str(tmp_path / "s.zarr"),
                                                other_thread=other_thread))  # fmt: skip
    env = {k: v for k, v in os.environ.items() if k != "MALLOC_TRIM_THRESHOLD_"}
    if started_with_threshold:
        env["MALLOC_TRIM_THRESHOLD_"] = "65536"
    run = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                         check=True, timeout=300, env=env)  # fmt: skip
    got = json.loads(run.stdout.strip().splitlines()[-1])
    assert got["server_parent"] == got["me"] and got["parent"] == got["server"]
    fresh = other_thread or started_with_threshold
    assert got["fresh"] is fresh
    assert (got["loaded"] >= 1) is not fresh
    assert got["xarray"] and got["threads"] == 1 and got["no_trim"] == [1.0, 1.0]
    # The workers' own Dask INFO messages (a dozen lines per worker as it starts and stops) are
    # held back as the script's are; warnings would still show.
    info = re.compile(r"\bINFO\b.*\bdistributed\.|\bdistributed\.\S+ - INFO\b")
    dask_info = [line for line in (run.stdout + run.stderr).splitlines() if info.search(line)]
    assert not dask_info, dask_info[:3]
    from tvb.simulator import integrators, noise

    from tvb_ngnmm.explore.sweep import point_seed

    nsig = np.array([0.0, 0.01, 0.0, 0.0, 0.01, 0.0])
    integrator = integrators.HeunStochastic(dt=0.01, noise=noise.Additive(nsig=nsig))
    sim = make_sim("NextGenEI", n=4, integrator=integrator, length=5.0,
                   mons=[monitors.TemporalAverage(period=0.5)])  # fmt: skip
    (out,) = run_batch(sim, {"I_e": [10.0, 12.0], "a": [0.1, 0.1]},
                       seed=[point_seed(3, p) for p in range(2)], progress=False)  # fmt: skip
    np.testing.assert_allclose(got["rates"], out.mean("time").values[:, 0] * 1000.0, rtol=1e-12)


def test_a_process_with_other_threads_or_much_memory_is_not_forked(monkeypatch):
    """Another Python thread (it could hold a lock the fork server needs) or a resident size
    above a quarter of a worker's share of memory: the fresh fork server is started instead."""
    from tvb_ngnmm.explore import _forkserver

    if threading.active_count() == 1:
        assert _forkserver.can_fork_caller(1) is (sys.platform == "linux")
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        assert not _forkserver.can_fork_caller(1)
    finally:
        stop.set()
        thread.join()
    monkeypatch.setattr(_forkserver, "MAX_SHARE_OF_WORKER_MEMORY", 1e-6)
    assert not _forkserver.can_fork_caller(1)


def test_automatic_batch_size_is_whole_groups_and_balanced(sim):
    n_node = sim.connectivity.number_of_regions
    steps_of = {"short": 100, "long": 10**8,
                "five_seconds": int(5.0 / (SECONDS_PER_NODE_STEP * n_node) / 16)}  # fmt: skip
    # 64 points on 2 workers: whole groups of 8 (four tasks per worker: eight would split them)
    assert _auto_batch_size(sim, steps_of["five_seconds"], 64, 2) == 8
    # eight tasks per worker where whole groups allow it
    assert _auto_batch_size(sim, steps_of["five_seconds"], 128, 2) == 8
    assert _auto_batch_size(sim, steps_of["five_seconds"], 256, 2) == 16
    # long runs keep whole groups (members together run faster), short ones gather many
    assert _auto_batch_size(sim, steps_of["long"], 10_000, 8) == 8
    size = _auto_batch_size(sim, steps_of["short"], 10_000, 2)
    assert size % 8 == 0 and size <= 10_000 // 8
    # few points: smaller tasks, so that every worker has some
    assert _auto_batch_size(sim, steps_of["long"], 8, 2) == 1
    assert _auto_batch_size(sim, steps_of["long"], 24, 2) == 3


def test_a_seeded_points_noise_does_not_depend_on_the_batching(tmp_path):
    """Per-point seeds: the same point gives the same output in tasks of 1 and of 3 points."""
    from tvb.simulator import integrators, noise

    from tvb_ngnmm.explore.sweep import point_seed

    integrator = integrators.HeunStochastic(
        dt=0.01, noise=noise.Additive(nsig=np.array([0.0, 0.01, 0.0, 0.0, 0.01, 0.0]))
    )
    sim = make_sim("NextGenEI", integrator=integrator, length=5.0)
    values = {"I_e": [10.0, 12.0, 14.0]}
    together = run_batch(sim, values, seed=[point_seed(3, p) for p in range(3)], progress=False)
    alone = run_batch(sim, {"I_e": [12.0]}, seed=[point_seed(3, 1)], progress=False)
    np.testing.assert_array_equal(together[0].values[1], alone[0].values[0])
    other = run_batch(sim, {"I_e": [12.0]}, seed=[point_seed(4, 1)], progress=False)
    assert not np.array_equal(other[0].values[0], alone[0].values[0])
    with pytest.raises(ValueError, match=r"'seed'.*one integer per member \(3\), but got 2"):
        run_batch(sim, values, seed=[1, 2], progress=False)
    with pytest.raises(ValueError, match=r"'seed'.*non-negative integer.*-1"):
        run_batch(sim, values, seed=[1, -1, 2], progress=False)


def test_noise_amplitude_sets_the_noisy_variables_only():
    from tvb.simulator import integrators, noise

    from tvb_ngnmm.explore.recipe import _set

    pattern = np.array([0.0, 0.05, 0.0, 0.0, 0.05, 0.0])
    integrator = integrators.HeunStochastic(dt=0.01, noise=noise.Additive(nsig=pattern))
    sim = make_sim("NextGenEI", integrator=integrator, length=1.0)
    _set(sim, "noise_amplitude", 0.2)
    np.testing.assert_array_equal(np.ravel(sim.integrator.noise.nsig), 4 * pattern)


def test_the_workers_preload_leaves_out_the_fits_signal_processing():
    """The fork server imports WORKER_PRELOAD before the first worker starts (on the sweep's
    critical path); the objectives' scipy.signal is imported where a measure needs it."""
    import subprocess

    from tvb_ngnmm.explore.sweep import WORKER_PRELOAD

    code = (
        f"import importlib, sys; [importlib.import_module(m) for m in {list(WORKER_PRELOAD)!r}]; "
        "print('scipy.signal' in sys.modules, 'tvb_ngnmm.analysis' in sys.modules)"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert run.stdout.split() == ["False", "False"]


def test_sweeping_the_noise_seed_gives_each_point_that_seeds_noise(client, tmp_path):
    """'integrator.noise.noise_seed' as a design parameter: each point runs the noise stream of
    its seed from its start, ``RandomState(seed)`` (the recipe's saved stream, or the one TVB
    keeps on configure(), would give every point the same noise)."""
    from tvb.simulator import integrators, noise

    def noisy_sim(noise_seed):
        nsig = np.array([0.0, 0.01, 0.0, 0.0, 0.01, 0.0])
        additive = noise.Additive(nsig=nsig, noise_seed=noise_seed)
        integrator = integrators.HeunStochastic(dt=0.01, noise=additive)
        return make_sim("NextGenEI", n=4, integrator=integrator, length=5.0,
                        mons=[monitors.Raw()])  # fmt: skip

    sim = noisy_sim(5)
    design = points({"integrator.noise.noise_seed": [5, 6, 5]})
    ds = sweep(sim, design, ["mean_rate"], tmp_path / "s.zarr", client=client, batch_size=1,
               raw=True, progress=False)  # fmt: skip
    raw = ds.raw_Raw.values
    for point, noise_seed in enumerate([5, 6, 5]):
        sim.integrator.noise.random_stream = np.random.RandomState(noise_seed)
        (expected,) = run_batch(sim, {"I_e": [float(sim.model.I_e[0])]}, progress=False)
        np.testing.assert_array_equal(raw[point], expected.values[0])
    assert not np.array_equal(raw[0], raw[1])
    with pytest.raises(ValueError, match=r"'integrator.noise.noise_seed'.*whole numbers.*5.5"):
        sweep(noisy_sim(5), points({"integrator.noise.noise_seed": [5.5]}), ["mean_rate"],
              tmp_path / "t.zarr", client=client, progress=False)  # fmt: skip


def test_a_configured_measure_naming_a_missing_variable_is_refused_naming_the_key():
    """The same check when the configuration is read: the key, before the command starts."""
    from test_cli_config import BASE, SWEEP

    from tvb_ngnmm.cli.config import ConfigError, parse_config

    text = BASE + SWEEP.replace('["mean_rate"]', '{ fc = { variable = "v_e" } }')
    with pytest.raises(ConfigError, match=r"\[sweep\].measures: Invalid value for the 'measures' "
                       r"parameter. Allowed values of the option 'variable' of 'fc' are the "
                       r"variables of the TemporalAverage monitor \['r_e', 'r_i'\], but got "
                       r"'v_e' instead"):  # fmt: skip
        parse_config(text, require_sweep=True)
