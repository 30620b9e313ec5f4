"""The local cluster's fork server, forked from the calling process when that is safe.

multiprocessing's fork server is a fresh interpreter that imports what the workers need (TVB's
simulator, the engine, Dask, xarray: 1.6-1.8 s) before it can fork the first worker; on a
sweep of seconds that is the cluster's start, and each worker then loads the model's kernel
from Numba's cache in its first task (≈ 0.4 s). A script that calls :func:`~.sweep.sweep` has
already imported TVB and the engine and built the simulator. When it runs a single thread, the
fork server is forked from it instead: it imports only what the script has not (Dask, xarray)
and loads the kernel of the sweep's model, while the script opens the store and starts the
scheduler; the workers forked from it start with the kernel in memory.

Forking a process is safe when no other thread can hold a lock the child needs: the caller is
forked only when it has no Python thread but its main one (a notebook's kernel, a Dask client,
tqdm's monitor, a thread pool all count) and holds at most a quarter of a worker's share of
memory (the workers share its pages, and Dask counts shared pages in a worker's memory).
Otherwise the fresh fork server is started. Both keep running until the calling process exits.

The fork server speaks multiprocessing's protocol (``multiprocessing.forkserver.main``): its
state is set as ``ForkServer.ensure_running`` sets it. Where that state or ``main`` differ from
what this module knows (other Python versions), the fresh fork server is used.
"""

from __future__ import annotations

import inspect
import logging
import os
import signal
import socket
import sys
import threading
import traceback
import warnings
from multiprocessing import connection, forkserver, resource_tracker, util

#: Largest share of a worker's memory (physical memory / workers) the calling process may hold
#: and still be forked.
MAX_SHARE_OF_WORKER_MEMORY = 0.25

_STATE = ("_forkserver_address", "_forkserver_alive_fd", "_forkserver_pid", "_lock")
_MAIN_PARAMETERS = ["listener_fd", "alive_r", "preload", "main_path", "sys_path"]


def ensure_running(preload, warm_up=None, n_workers: int = 1, unset_environ=()) -> str:
    """Start the fork server if it is not running; what runs: ``'running'`` (already),
    ``'forked'`` (from this process; ``warm_up()`` is called in it, quietly, before it forks any
    worker) or ``'fresh'`` (a new interpreter importing ``preload``).

    The variables ``unset_environ`` are left out of the fork server's environment (and so of its
    workers'), whoever set them in this one: Dask's nannies set their ``pre-spawn-environ`` in
    the process that runs them, and it stays there after their cluster has closed.
    """
    server = forkserver._forkserver
    forkserver.set_forkserver_preload(list(preload))
    if _alive(server):
        return "running"
    if can_fork_caller(n_workers, unset_environ):
        with server._lock:
            _fork_caller(server, list(preload), warm_up, tuple(unset_environ))
        return "forked"
    saved = {name: os.environ.pop(name) for name in unset_environ if name in os.environ}
    try:
        forkserver.ensure_running()
    finally:
        os.environ.update(saved)
    return "fresh"


def pid() -> int | None:
    """The running fork server's process id (None if none runs)."""
    server = forkserver._forkserver
    return server._forkserver_pid if _alive(server) else None


def can_fork_caller(n_workers: int, unset_environ=()) -> bool:
    """Whether this process may be forked into the fork server (see the module's text), and
    did not start with any of the variables ``unset_environ`` (the C library read them then:
    a fork keeps what they set, such as glibc's ``MALLOC_TRIM_THRESHOLD_``)."""
    server = forkserver._forkserver
    if sys.platform != "linux" or not all(hasattr(server, name) for name in _STATE):
        return False
    if list(inspect.signature(forkserver.main).parameters) != _MAIN_PARAMETERS:
        return False
    if threading.active_count() != 1 or threading.current_thread() is not threading.main_thread():
        return False
    with open("/proc/self/environ", "rb") as environ:
        started = {v.split(b"=", 1)[0] for v in environ.read().split(b"\0")}
    if started & {name.encode() for name in unset_environ}:
        return False
    page = os.sysconf("SC_PAGE_SIZE")
    with open("/proc/self/statm") as statm:
        resident = int(statm.read().split()[1]) * page
    worker_share = os.sysconf("SC_PHYS_PAGES") * page / max(1, n_workers)
    return resident <= MAX_SHARE_OF_WORKER_MEMORY * worker_share


def _alive(server) -> bool:
    """Whether ``server`` runs (a dead one is reaped and forgotten, as multiprocessing does)."""
    with server._lock:
        if server._forkserver_pid is None:
            return False
        try:
            ended, _ = os.waitpid(server._forkserver_pid, os.WNOHANG)
        except ChildProcessError:
            ended = server._forkserver_pid
        if not ended:
            return True
        os.close(server._forkserver_alive_fd)
        server._forkserver_address = server._forkserver_alive_fd = None
        server._forkserver_pid = None
        return False


def _fork_caller(server, preload: list, warm_up, unset_environ: tuple) -> None:
    """Fork this process into the fork server and record it as ``ensure_running`` would."""
    resource_tracker.ensure_running()
    with socket.socket(socket.AF_UNIX) as listener:
        address = connection.arbitrary_address("AF_UNIX")
        listener.bind(address)
        if not util.is_abstract_socket_namespace(address):
            os.chmod(address, 0o600)
        listener.listen()
        # every process that may ask for a fork holds the write end of "alive"; the server
        # stops when all have exited
        alive_r, alive_w = os.pipe()
        util._flush_std_streams()  # (or the child would print what is buffered again)
        with warnings.catch_warnings():
            # Python >= 3.12 warns of the threads of the BLAS libraries, as in any fork server
            warnings.simplefilter("ignore", DeprecationWarning)
            child = os.fork()
        if child == 0:
            _serve(listener.fileno(), alive_r, alive_w, preload, warm_up, unset_environ)
        os.close(alive_r)
    server._forkserver_address = address
    server._forkserver_alive_fd = alive_w
    server._forkserver_pid = child


def _serve(listener_fd: int, alive_r: int, alive_w: int, preload: list, warm_up,
           unset_environ: tuple) -> None:  # fmt: skip
    """The forked child: warm up, then serve forks until the calling process has exited."""
    code = 1
    try:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the calling process
        os.close(alive_w)
        for name in unset_environ:
            os.environ.pop(name, None)
        if warm_up is not None:
            _quietly(warm_up)
        if not _single_threaded():
            return  # a fresh fork server is started when a worker is next asked for
        forkserver.main(listener_fd, alive_r, preload)
    except SystemExit:  # main's end: no process left that could ask for a fork
        code = 0
    except BaseException:
        traceback.print_exc()
    finally:
        os._exit(code)


def _single_threaded(timeout: float = 10.0) -> bool:
    """Whether only the main thread is left, once threads the warm-up started have ended."""
    for thread in threading.enumerate():
        if thread is not threading.main_thread():
            thread.join(timeout)
    return threading.active_count() == 1


def _quietly(warm_up) -> None:
    """Call ``warm_up`` without its log records or warnings; a failure is only a lost head
    start (the task that needs the same will report it)."""
    logging.disable(logging.CRITICAL)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            warm_up()
    except Exception:  # noqa: BLE001 - an optimisation; the tasks meet the same error
        pass
    finally:
        logging.disable(logging.NOTSET)
        sys.stdout.flush()
