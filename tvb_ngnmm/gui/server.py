"""Start The Virtual Brain's web GUI with the plugin active: loopback only, SQLite, seeded project.

``tvb-ngnmm gui`` runs :func:`main`. The server runs in a child process (``tvb_ngnmm.gui._serve``)
with its own ``TVB_USER_HOME``; :class:`GuiServer` stops it by its PID.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import tvb_data

from .._util import write_atomically
from ._engine import engine_enabled
from ._registry import _internals
from ._serve import LOOPBACK

PROJECT_NAME = "tvb_ngnmm"
DEFAULT_CONNECTIVITY = "connectivity_76.zip"
CORTEX = ("surfaceData/cortex_16384.zip", "regionMapping/regionMapping_16k_76.txt")
"""tvb-data's cortex and its region mapping onto ``connectivity_76`` (:func:`seed_project`)."""
ADMIN_USER, ADMIN_PASSWORD = "admin", "pass"  # TVB's default administrator account


def free_port() -> int:
    """A TCP port that is free on 127.0.0.1 now (chosen by the operating system)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


def check_port_free(port: int) -> None:
    """Raise ``OSError`` naming the port if something already listens on 127.0.0.1:``port``."""
    if not isinstance(port, int) or not 0 < port < 65536:
        raise ValueError(
            f"Invalid value for the 'port' parameter. Allowed values are integers from 1 to "
            f"65535, but got {port!r} instead."
        )
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((LOOPBACK, port))
        except OSError as error:
            raise OSError(
                f"Port {port} on {LOOPBACK} is already in use; choose another with --port "
                f"(or stop what listens there)."
            ) from error


def prepare_home(home: str | os.PathLike, port: int) -> Path:
    """Write a TVB configuration in ``home``: storage there, SQLite, loopback, ``port``.

    The version check points at a dead local address so that TVB never calls out.

    Returns
    -------
    pathlib.Path
        The configuration file (``home/.tvb.configuration``).
    """
    home = Path(home).resolve()
    storage = home / "TVB"
    storage.mkdir(parents=True, exist_ok=True)
    settings = {
        "TVB_STORAGE": storage,
        "SELECTED_DB": "sqlite",
        "URL_VALUE": f"sqlite:///{storage / 'tvb-database.db'}",
        "WEB_SERVER_PORT": port,
        "SERVER_IP": LOOPBACK,
        "URL_TVB_VERSION": f"http://{LOOPBACK}:9/version",
    }
    path = home / ".tvb.configuration"
    text = "".join(f"{key}={value}\n" for key, value in settings.items())
    write_atomically(path, lambda temporary: temporary.write_text(text, encoding="utf-8"))
    return path


def _environment(home: Path) -> dict[str, str]:
    return dict(os.environ, TVB_USER_HOME=str(home), PYTHONUNBUFFERED="1")


def seed_project(
    home: str | os.PathLike,
    connectivity: str = DEFAULT_CONNECTIVITY,
    timeout: float = 300.0,
    cortex: bool = False,
) -> None:
    """Create the project ``tvb_ngnmm`` with a connectivity from tvb-data (skipped if present).

    Parameters
    ----------
    home : path
        A folder prepared by :func:`prepare_home`.
    connectivity : str
        File name of a connectivity zip of tvb-data (e.g. ``'connectivity_76.zip'``).
    timeout : float
        Seconds before giving up.
    cortex : bool
        Also import tvb-data's cortex (``cortex_16384.zip``, 16,384 vertices), its region
        mapping onto the 76-region connectivity (``regionMapping_16k_76.txt``) and its local
        connectivity (``local_connectivity_16384.mat``), for surface simulations;
        ``connectivity`` must then be ``'connectivity_76.zip'``.
    """
    data = Path(tvb_data.__file__).parent
    zip_path = data / "connectivity" / connectivity
    if not zip_path.is_file():
        raise FileNotFoundError(f"No connectivity {connectivity!r} in tvb-data ({zip_path}).")
    command = [sys.executable, "-m", "tvb_ngnmm.gui._seed", PROJECT_NAME, str(zip_path)]
    if cortex:
        if connectivity != DEFAULT_CONNECTIVITY:
            raise ValueError(
                f"Invalid value for the 'connectivity' parameter. Allowed values with "
                f"cortex=True are {DEFAULT_CONNECTIVITY!r} (the cortex's region mapping is onto "
                f"76 regions), but got {connectivity!r} instead."
            )
        cortex_files = (data / CORTEX[0], data / CORTEX[1])
        command += [str(path) for path in cortex_files]
    log = Path(home) / "seed.log"
    with open(log, "w", encoding="utf-8") as out:
        done = subprocess.run(
            command, env=_environment(Path(home)), stdout=out, stderr=subprocess.STDOUT,
            timeout=timeout, check=False,
        )  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"Seeding the TVB project failed; see {log}.")


@dataclass
class GuiServer:
    """A running TVB web server (child process) on 127.0.0.1."""

    process: subprocess.Popen
    port: int
    home: Path
    log: Path

    @property
    def url(self) -> str:
        """Base address of the GUI, e.g. ``http://127.0.0.1:8080/``."""
        return f"http://{LOOPBACK}:{self.port}/"

    @property
    def pid(self) -> int:
        """Process id of the server."""
        return self.process.pid

    def stop(self, timeout: float = 20.0) -> None:
        """Stop the server by its PID (SIGTERM to its process group, then SIGKILL)."""
        if self.process.poll() is not None:
            return
        for sig, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, 5.0)):
            try:
                os.killpg(self.pid, sig)
            except ProcessLookupError:
                return
            try:
                self.process.wait(wait)
                return
            except subprocess.TimeoutExpired:
                continue


def _wait_until_serving(server: GuiServer, timeout: float) -> None:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback: no proxy
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(
                f"The TVB server exited with code {server.process.returncode}; see {server.log}."
            )
        try:
            with opener.open(server.url + "user/", timeout=5) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.5)
    server.stop()
    raise TimeoutError(f"The TVB server did not answer within {timeout:g} s; see {server.log}.")


def start_server(home: str | os.PathLike, port: int, timeout: float = 180.0) -> GuiServer:
    """Start the TVB web server on 127.0.0.1:``port`` with the plugin registered.

    ``home`` must be prepared by :func:`prepare_home` with the same port. Returns once the
    login page answers; raises ``OSError`` if the port is in use, ``TimeoutError`` after
    ``timeout`` seconds (server stopped).
    """
    check_port_free(port)
    home = Path(home).resolve()
    log = home / "server.log"
    with open(log, "w", encoding="utf-8") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "tvb_ngnmm.gui._serve"], env=_environment(home),
            stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True,
        )  # fmt: skip
    server = GuiServer(process, port, home, log)
    try:
        _wait_until_serving(server, timeout)
    except BaseException:
        server.stop()
        raise
    return server


def launch(
    home: str | os.PathLike, port: int, seed: bool = True, cortex: bool = False
) -> GuiServer:
    """Prepare ``home``, seed the project (``seed=True``; with tvb-data's cortex if ``cortex``,
    see :func:`seed_project`) and start the server."""
    check_port_free(port)
    prepare_home(home, port)
    if seed:
        seed_project(home, cortex=cortex)
    return start_server(home, port)


def main(argv: list[str] | None = None) -> int:
    """``tvb-ngnmm gui``: run the TVB GUI with the plugin until interrupted."""
    parser = argparse.ArgumentParser(
        prog="tvb-ngnmm gui",
        description="Start The Virtual Brain's web GUI with the tvb_ngnmm models on "
        "127.0.0.1, with an SQLite database and a project holding a connectivity.",
        epilog="Simulations launched from the GUI run on the tvb_ngnmm engine when it supports "
        "them, on stock TVB otherwise (each operation's message says which); set "
        "TVB_NGNMM_GUI_ENGINE=0 to run them all on stock TVB.",
    )
    parser.add_argument("--port", type=int, default=8080, help="web port (default 8080)")
    default_home = Path.home() / ".tvb_ngnmm_gui"
    parser.add_argument("--home", default=default_home, help=f"TVB home (default {default_home})")
    parser.add_argument(
        "--cortex", action="store_true",
        help="when the project is first made, also import tvb-data's 16k cortex, its region "
        "mapping and local connectivity (for surface simulations)",
    )  # fmt: skip
    args = parser.parse_args(argv)

    try:
        _internals()  # tvb-framework present, with the expected internals
        engine_enabled()  # a bad TVB_NGNMM_GUI_ENGINE, before the server starts
        check_port_free(args.port)
    except (ImportError, RuntimeError, OSError, ValueError) as error:
        print(error, file=sys.stderr)
        return 1
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # stop the server on SIGTERM too
    print(f"Preparing {args.home} (first start: about a minute)...", flush=True)
    server = launch(args.home, args.port, cortex=args.cortex)
    print(f"TVB is serving on {server.url} (user {ADMIN_USER!r}, password {ADMIN_PASSWORD!r}); "
          "Ctrl-C stops it.", flush=True)  # fmt: skip
    try:
        server.process.wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0
