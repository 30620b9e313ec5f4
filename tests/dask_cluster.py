"""A small local Dask cluster for the tests, and the clean-up every test that starts one owes.

Worker processes (one thread each); the scheduler's HTTP server on a free port (by default it
takes 8787, which another cluster on the machine may hold). On leaving, every worker and nanny
process the cluster ever had (a worker killed by a test is restarted under a new id) is killed
by process id if closing the cluster left it running.
"""

from __future__ import annotations

import contextlib
import os
import signal

import pytest


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def worker_pids(client) -> set[int]:
    """The workers' process ids and their nannies' (this process left out)."""
    pids = set(client.run(os.getpid).values()) | set(client.run(os.getppid).values())
    return pids - {os.getpid()}


@contextlib.contextmanager
def local_cluster(n_workers: int = 2):
    """``(cluster, client)`` of a new local cluster, closed (and its processes killed) after."""
    distributed = pytest.importorskip("distributed")
    cluster = distributed.LocalCluster(
        n_workers=n_workers, threads_per_worker=1, processes=True, dashboard_address=None,
        scheduler_kwargs={"dashboard_address": "127.0.0.1:0"}, silence_logs=40,
    )  # fmt: skip
    client = distributed.Client(cluster)
    started = worker_pids(client)
    try:
        yield cluster, client
    finally:
        try:
            started |= worker_pids(client)
        except Exception:  # noqa: BLE001 - the cluster may be half down; kill what we know
            pass
        client.close()
        cluster.close()
        for pid in started:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)
