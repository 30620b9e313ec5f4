"""``tvb-ngnmm`` against what goes wrong around a run: a write that fails, Ctrl-C, a reused
output folder, configurations that would run without a word about what they lack, and scheduler
addresses where no scheduler answers. Nothing finished is lost, nothing ends silently."""

import errno
import json
import re
import signal
import socket
import threading
from contextlib import contextmanager

import numpy as np
import pytest
import xarray as xr
from test_cli_config import BASE, SWEEP

from tvb_ngnmm import _outputs, cli
from tvb_ngnmm.cli.config import ConfigError, parse_config, read_config
from tvb_ngnmm.engine import runner

TWO_MONITORS = BASE.replace("[run]", '[[monitors]]\nname = "Raw"\n\n[run]')
NO_FIGURE = "\n[output]\nfigure = false\n"


def _main(argv, capsys) -> tuple[int, str, str]:
    """``cli.main(argv)``: its exit status, stdout and stderr."""
    try:
        status = cli.main(argv)
    except SystemExit as exit_info:
        status = exit_info.code
    out, err = capsys.readouterr()
    return status, out, err


def _run(tmp_path, text: str, folder, capsys, *options) -> tuple[int, str, str]:
    config = tmp_path / "config.toml"
    config.write_text(text)
    argv = ["run", str(config), "--output", str(folder), "--no-progress", *options]
    return _main(argv, capsys)


def _files(folder) -> dict:
    """``{name: bytes}`` of the folder's files."""
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_a_failed_write_keeps_the_previous_outputs(tmp_path, capsys, monkeypatch):
    """Point 3: a run's outputs are replaced together or not at all; a write that fails (a
    full disk) leaves the earlier run's files as they were, and no temporary file."""
    folder = tmp_path / "out"
    assert _run(tmp_path, TWO_MONITORS + NO_FIGURE, folder, capsys)[0] == 0
    before = _files(folder)
    assert {"monitor0_TemporalAverage.nc", "monitor1_Raw.nc"} <= set(before)
    writers = []
    original = cli._netcdf_writer

    def second_fails(dataset):
        write = original(dataset)
        writers.append(write)
        if len(writers) < 2:
            return write

        def full(path):
            path.write_bytes(b"partial")
            raise OSError(errno.ENOSPC, "No space left on device")

        return full

    monkeypatch.setattr(cli, "_netcdf_writer", second_fails)
    changed = TWO_MONITORS.replace("{ I_e = 15.0 }", "{ I_e = 14.0 }") + NO_FIGURE
    status, _, err = _run(tmp_path, changed, folder, capsys)
    assert status == 1 and "No space left on device" in err and "earlier files are kept" in err
    assert _files(folder) == before


def test_a_failed_rename_puts_the_earlier_files_back(tmp_path, monkeypatch):
    """Point 3: a rename failing after others were done undoes them."""
    folder = tmp_path / "out"
    _outputs.replace_outputs(folder, "run", [(n, lambda p, n=n: p.write_text(n)) for n in "ab"])
    before = _files(folder)
    renames = []
    original = _outputs.os.replace

    def third_fails(source, target):
        renames.append(target)
        if len(renames) == 4:  # a aside, a in place, b aside, b in place
            raise OSError(errno.EIO, "Input/output error")
        return original(source, target)

    monkeypatch.setattr(_outputs.os, "replace", third_fails)
    with pytest.raises(OSError, match="Input/output error"):
        _outputs.replace_outputs(folder, "run", [(n, lambda p: p.write_text("new")) for n in "ab"])
    monkeypatch.undo()
    assert _files(folder) == before


def test_a_folder_in_the_way_of_an_output_changes_nothing(tmp_path):
    """Point 3: a name taken by a folder is refused before any file is replaced."""
    folder = tmp_path / "out"
    _outputs.replace_outputs(folder, "run", [("a", lambda p: p.write_text("a"))])
    (folder / "b").mkdir()
    with pytest.raises(IsADirectoryError, match="not a file"):
        _outputs.replace_outputs(folder, "run", [(n, lambda p: p.write_text("new")) for n in "ab"])
    assert (folder / "a").read_text() == "a" and (folder / "b").is_dir()
    assert sorted(p.name for p in folder.iterdir()) == ["a", "b", _outputs.MANIFEST]


def test_a_reused_folder_keeps_only_this_runs_outputs(tmp_path, capsys):
    """Point 9: an earlier run's files that this run does not write (its other monitors) are
    removed; files the package did not write stay."""
    folder = tmp_path / "out"
    assert _run(tmp_path, TWO_MONITORS + NO_FIGURE, folder, capsys)[0] == 0
    (folder / "notes.txt").write_text("mine")
    assert _run(tmp_path, BASE + NO_FIGURE, folder, capsys)[0] == 0
    names = set(_files(folder))
    assert names == {"monitor0_TemporalAverage.nc", "notes.txt", _outputs.MANIFEST}
    manifest = json.loads((folder / _outputs.MANIFEST).read_text())
    assert manifest == {"run": ["monitor0_TemporalAverage.nc"]}


@pytest.fixture
def interrupt_second_chunk(monkeypatch):
    """Ctrl-C during the second chunk of each run (chunks of at most 500 steps, 5 ms)."""
    monkeypatch.setattr(runner, "MAX_CHUNK_STEPS", 500)
    original, calls = runner._run_one_chunk, []

    def interrupted(*args):
        calls.append(1)
        if len(calls) % 2 == 0:
            raise KeyboardInterrupt
        return original(*args)

    monkeypatch.setattr(runner, "_run_one_chunk", interrupted)
    return calls


def _status(path) -> tuple:
    with xr.open_dataset(path, engine="h5netcdf") as ds:
        return ds.attrs["status"], ds.attrs["simulated_ms"], float(ds.time.max())


def test_an_interrupted_run_says_so_and_keeps_the_complete_result(tmp_path, capsys, request):
    """Point 4: Ctrl-C ends the run with exit status 130, says how far it got, records it in
    the file (``status``, ``simulated_ms``) and writes beside a complete result, not over it."""
    folder = tmp_path / "out"
    assert _run(tmp_path, BASE + NO_FIGURE, folder, capsys)[0] == 0
    complete = folder / "monitor0_TemporalAverage.nc"
    assert _status(complete)[:2] == ("complete", 20.0)
    before = complete.read_bytes()
    request.getfixturevalue("interrupt_second_chunk")
    status, out, err = _run(tmp_path, BASE + NO_FIGURE, folder, capsys)
    match = re.fullmatch(
        r"tvb-ngnmm run: error: interrupted after ([\d.]+) of 20 ms; the partial outputs "
        rf"\(status 'interrupted'\) are in {re.escape(repr(str(folder)))}\n",
        err,
    )
    assert status == 130 and match and f"{match[1]} of 20 ms simulated" in out
    assert complete.read_bytes() == before
    state, simulated, last = _status(folder / "monitor0_TemporalAverage.interrupted.nc")
    assert state == "interrupted" and simulated == float(match[1])
    assert 0 < simulated - 0.1 < last <= simulated < 20.0  # one chunk, not the whole run


@pytest.mark.usefixtures("interrupt_second_chunk")
def test_an_interrupted_run_replaces_or_discards_when_asked(tmp_path, capsys):
    """Point 4: ``--on-interrupt replace`` writes under the usual names, ``discard`` nothing."""
    folder = tmp_path / "out"
    status, _, err = _run(tmp_path, BASE + NO_FIGURE, folder, capsys, "--on-interrupt", "discard")
    assert status == 130 and "nothing written (--on-interrupt discard)" in err
    assert not folder.exists()
    assert _run(tmp_path, BASE + NO_FIGURE, folder, capsys)[0] == 130
    assert _run(tmp_path, BASE + NO_FIGURE, folder, capsys, "--on-interrupt", "replace")[0] == 130
    assert set(_files(folder)) == {"monitor0_TemporalAverage.nc", _outputs.MANIFEST}
    state, simulated, _ = _status(folder / "monitor0_TemporalAverage.nc")
    assert state == "interrupted" and simulated <= 5.0


#: Ctrl-C needs POSIX signals, and a Python that turns SIGINT into KeyboardInterrupt (a process
#: started in the background by a shell without job control ignores SIGINT from the start).
CTRL_C = pytest.mark.skipif(
    not hasattr(signal, "pthread_kill")
    or signal.getsignal(signal.SIGINT) is not signal.default_int_handler,
    reason="needs POSIX signals and SIGINT raising KeyboardInterrupt (not ignored)",
)


@CTRL_C
def test_ctrl_c_during_a_run_exits_130(tmp_path, capsys, monkeypatch):
    """Point 4, with a real SIGINT two seconds into a long simulation."""
    folder = tmp_path / "out"
    assert _run(tmp_path, BASE + NO_FIGURE, folder, capsys)[0] == 0  # compiled before the clock
    long = BASE.replace("duration = 20.0", "duration = 100000.0")
    long = long.replace("period = 0.1", "period = 10.0")
    simulate, timers = cli._simulate, []

    def interrupted_later(*args, **kwargs):
        main = threading.main_thread().ident
        timers.append(threading.Timer(2.0, signal.pthread_kill, (main, signal.SIGINT)))
        timers[0].start()
        return simulate(*args, **kwargs)

    monkeypatch.setattr(cli, "_simulate", interrupted_later)
    try:
        status, _, err = _run(tmp_path, long + NO_FIGURE, folder, capsys)
    finally:
        for timer in timers:
            timer.cancel()
            timer.join()
    match = re.fullmatch(r"tvb-ngnmm run: error: interrupted after ([\d.]+) of 100000 ms.*\n", err)
    assert status == 130 and match
    state, simulated, _ = _status(folder / "monitor0_TemporalAverage.interrupted.nc")
    # the message rounds the time the file records exactly (steps * dt)
    assert state == "interrupted" and float(match[1]) < 100000.0
    assert simulated == pytest.approx(float(match[1]), rel=1e-9)
    assert _status(folder / "monitor0_TemporalAverage.nc")[:2] == ("complete", 20.0)


def test_a_run_that_would_write_nothing_is_refused_before_simulating(tmp_path, capsys,
                                                                     monkeypatch):  # fmt: skip
    """Point 11: ``netcdf = false`` and ``figure = false`` is refused naming the keys."""
    monkeypatch.setattr(cli, "_simulate", lambda *a, **k: pytest.fail("simulated"))
    text = BASE + "\n[output]\nnetcdf = false\nfigure = false\n"
    status, _, err = _run(tmp_path, text, tmp_path / "out", capsys)
    assert status == 2 and err == (
        "tvb-ngnmm run: error: Invalid value for [output].netcdf and [output].figure. Allowed is "
        "at least one of them true (a run writes netCDF files, a figure or both), but got false "
        "for both instead.\n"
    )
    assert not (tmp_path / "out").exists()


@pytest.fixture
def weights_only(tmp_path):
    weights = np.random.default_rng(0).uniform(0.0, 1.0, (4, 4))
    np.savetxt(tmp_path / "w.txt", weights)
    return BASE.replace('name = "aal90"', 'weights = "w.txt"')


def test_weights_without_tract_lengths_warn_that_there_are_no_delays(tmp_path, weights_only):
    """Point 5: weights alone give tract lengths (and centres) of 0: a warning says so."""
    (tmp_path / "c.toml").write_text(weights_only)
    message = (r"\[connectome\] gives 'weights' without 'tract_lengths': every tract length is "
               r"0, so the network has no conduction delays; without 'centres' every region "
               r"centre is 0")  # fmt: skip
    with pytest.warns(UserWarning, match=message):
        sim = read_config(tmp_path / "c.toml").simulator
    assert not sim.connectivity.tract_lengths.any()


def test_a_conduction_speed_without_tract_lengths_is_refused(tmp_path, weights_only):
    """Point 5: a speed given for weights without tract lengths would be ignored: refused."""
    text = weights_only.replace('normalize = "row"', 'normalize = "row"\nconduction_speed = 5')
    message = (r"Invalid value for \[connectome\].conduction_speed. Allowed only with "
               r"\[connectome\].tract_lengths .*but got 5 instead")  # fmt: skip
    with pytest.raises(ConfigError, match=message):
        parse_config(text, base=tmp_path)


@pytest.mark.parametrize(
    ("design", "values", "given"),
    [("grid", "[true, false]", r"\[True, False\]"), ("points", "[1.0, true]", r"\[1.0, True\]"),
     ("grid", "true", "True")],
)  # fmt: skip
def test_booleans_are_not_swept_as_numbers(design, values, given):
    """Point 10: ``a = [true, false]`` in a sweep is refused naming the key."""
    sweep = SWEEP.replace('"grid"', f'"{design}"').replace("I_e = [10.0, 15.0]", f"a = {values}")
    message = (r"Invalid value for \[sweep\].parameters.a. Allowed are numbers \(true and false "
               rf"are not swept as 1 and 0\), but got {given} instead")  # fmt: skip
    with pytest.raises(ConfigError, match=message):
        parse_config(BASE + sweep, require_sweep=True)


def test_a_simulator_the_engine_cannot_run_is_refused_naming_the_key():
    """The reader's outcome is a simulator the engine runs or a ``ConfigError`` naming the key
    (found by the property test of the reader): per-region coupling values are refused."""
    text = BASE.replace("{ a = 9.0 }", "{ a = [" + ", ".join(["9.0"] * 90) + "] }")
    message = (r"\[coupling\].parameters.a: Invalid value for the 'a' parameter of Linear: the "
               r"fast engine supports one value, but got 90 values")  # fmt: skip
    with pytest.raises(ConfigError, match=message) as error:
        parse_config(text)
    assert error.value.key == "[coupling].parameters.a"


# --- scheduler addresses where no scheduler answers ----------------------------------------


@contextmanager
def tcp_service(banner: bytes | None):
    """A local TCP service that accepts connections and sends ``banner`` (or stays silent)."""
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.05)
    stop, accepted = threading.Event(), []

    def serve():
        while not stop.is_set():
            try:
                connection, _ = server.accept()
            except TimeoutError:
                continue
            accepted.append(connection)
            if banner is not None:
                connection.sendall(banner)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"tcp://127.0.0.1:{server.getsockname()[1]}"
    finally:
        stop.set()
        thread.join()
        for connection in accepted:
            connection.close()
        server.close()


def _sweep_at(address, tmp_path, capsys) -> tuple[int, str]:
    config = tmp_path / "sweep.toml"
    config.write_text(BASE + SWEEP)
    argv = ["sweep", str(config), "--scheduler", address, "--scheduler-timeout", "0.5",
            "--store", str(tmp_path / "s.zarr"), "--no-progress"]  # fmt: skip
    status, _, err = _main(argv, capsys)
    assert not (tmp_path / "s.zarr").exists()
    return status, err


def _free_port() -> int:
    with socket.create_server(("127.0.0.1", 0)) as server:
        return server.getsockname()[1]


@pytest.mark.parametrize(
    ("banner", "found"),
    [
        (None, r"a service there accepted the connection but gave no Dask handshake within "
               r"0.5 s \(it is not a Dask scheduler, or one too busy to answer\)"),
        (b"SSH-2.0-OpenSSH_9.2\r\n",
         r"a service there does not speak Dask's protocol \(what it sent is not a Dask message: "
         r"MemoryError\)"),
        (b"HTTP/1.0 400 Bad Request\r\n\r\n", r"a service there does not speak Dask's protocol"),
    ],
)  # fmt: skip
def test_a_service_that_is_not_a_scheduler_is_named_in_one_line(banner, found, tmp_path,
                                                                capsys):  # fmt: skip
    """The hang and the crash: a silent service (an HTTP server waiting for its request) or one
    that sends a banner ends within the timeout, naming the address and what is there."""
    with tcp_service(banner) as address:
        status, err = _sweep_at(address, tmp_path, capsys)
    assert status == 2 and err.count("\n") == 1
    assert re.fullmatch(rf"tvb-ngnmm sweep: error: Invalid value for --scheduler. Allowed is "
                        rf"the address of a Dask scheduler \('tcp://host:port'\), but got "
                        rf"'{address}' instead: {found}.*\.\n", err)  # fmt: skip


def test_an_unreachable_scheduler_is_named_in_one_line(tmp_path, capsys):
    """An address where nothing listens ends with what the connection found."""
    address = f"tcp://127.0.0.1:{_free_port()}"
    status, err = _sweep_at(address, tmp_path, capsys)
    assert status == 2 and err.count("\n") == 1
    assert f"but got '{address}' instead: nothing is reachable there (Connection" in err


@pytest.mark.parametrize(("given", "shown"), [("0", "0.0"), ("nan", "nan"), ("inf", "inf")])
def test_a_bad_scheduler_timeout_is_refused(given, shown, tmp_path, capsys):
    config = tmp_path / "sweep.toml"
    config.write_text(BASE + SWEEP)
    argv = ["sweep", str(config), "--scheduler", "tcp://127.0.0.1:1", "--scheduler-timeout", given]
    status, _, err = _main(argv, capsys)
    assert status == 2 and err == (
        "tvb-ngnmm sweep: error: Invalid value for --scheduler-timeout. Allowed are finite "
        f"numbers > 0 (seconds), but got {shown} instead.\n"
    )
