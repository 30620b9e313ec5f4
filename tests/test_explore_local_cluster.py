"""One local cluster kept for several calls (a fit, its validation, per-subject fits)."""

import os

import numpy as np
import psutil
import pytest
from dask_cluster import alive
from test_engine_agreement import make_sim
from tvb.simulator import monitors

from tvb_ngnmm.engine.batch import run_batch
from tvb_ngnmm.explore import local_cluster, points, sweep

distributed = pytest.importorskip("distributed")


def test_two_sweeps_on_one_cluster_then_closed(tmp_path):
    """Both sweeps run on the cluster's workers (the same processes), give run_batch's values,
    and every worker process is gone after the block."""
    sim = make_sim("NextGenEI", n=4, mons=[monitors.TemporalAverage(period=0.5)], length=20.0)
    design = points({"I_e": [10.0, 14.0]})
    (reference,) = run_batch(sim, design.values, progress=False)
    with local_cluster(1) as client:
        pids = set(client.run(os.getpid).values())  # the workers (forked by a fork server)
        first = sweep(sim, design, ["mean_rate"], tmp_path / "a.zarr", client=client,
                      progress=False, history_seed=None)  # fmt: skip
        second = sweep(sim, design, ["mean_rate"], tmp_path / "b.zarr", client=client,
                       progress=False, history_seed=None)  # fmt: skip
        assert set(client.run(os.getpid).values()) == pids  # not restarted between the calls
        assert client.status == "running"
    rates = reference.mean("time").values[:, 0] * 1000.0  # (member, region) of r_e, in Hz
    for result in (first, second):
        np.testing.assert_allclose(result.mean_rate_r_e.values, rates, rtol=1e-12)
    assert len(pids) == 1
    psutil.wait_procs([psutil.Process(pid) for pid in pids if alive(pid)], timeout=10)
    assert not any(alive(pid) for pid in pids)
    assert client.status == "closed"


@pytest.mark.parametrize("bad", [0, -1, 1.5, True, "2"])
def test_bad_worker_count(bad):
    """n_workers must be None or an integer >= 1, refused before any process starts."""
    with pytest.raises(ValueError, match=r"'n_workers' parameter.*integers >= 1"):
        with local_cluster(bad):
            pass
