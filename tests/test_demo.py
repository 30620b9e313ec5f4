"""The whole-brain demo writes a labelled data file and a figure, atomically."""

import re

import numpy as np
import pytest
import xarray as xr

from tvb_ngnmm import cli, demo
from tvb_ngnmm._util import write_atomically
from tvb_ngnmm.backend import NumbaBackend
from tvb_ngnmm.engine.errors import SimulationBlowUpError
from tvb_ngnmm.models import NextGenEI


def test_demo_writes_figure_and_labelled_data(tmp_path):
    summary = demo.main(
        ["--output", str(tmp_path), "--duration", "60", "--dt", "0.05", "--no-progress"]
    )
    figure = tmp_path / "next_gen_ei_aal90.png"
    data = tmp_path / "next_gen_ei_aal90.nc"
    assert figure.stat().st_size > 10_000
    with xr.open_dataset(data, engine="h5netcdf") as ds:
        assert ds.rate_e.dims == ("time", "region")
        assert ds.rate_e.shape == (600, 90)
        assert ds.rate_e.attrs["units"] == "Hz"
        assert ds.region.values[0] == "PreCG.L"
        assert np.isfinite(ds.rate_e.values).all()
        assert ds.attrs["epsilon"] == 9.0
        np.testing.assert_allclose(ds.weights.values.sum(axis=1), 1.0, rtol=1e-12)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")], "temporary files left"
    assert set(summary) >= {"peak_frequency_hz", "initial_spread_hz", "final_spread_hz"}


def test_demo_prints_the_simulation_time_apart_from_the_engine_start_up(tmp_path, capsys,
                                                                        monkeypatch):  # fmt: skip
    """The engine's first call (compiling its kernels on a first run) is timed on its own,
    before the simulation, whose time is printed alone (a clock that advances 5 s over the
    first call and 0.25 s over the simulation)."""
    clock = iter([100.0, 105.0, 105.25])

    class Clock:
        @staticmethod
        def perf_counter():
            return next(clock)

    lengths = []
    original = NumbaBackend.run_sim

    def recording(self, sim, simulation_length=None, seed=None):
        lengths.append(simulation_length)
        return original(self, sim, simulation_length, seed)

    monkeypatch.setattr(NumbaBackend, "run_sim", recording)
    monkeypatch.setattr(demo, "time", Clock)
    demo.main(["--output", str(tmp_path), "--duration", "20", "--dt", "0.05", "--no-progress"])
    out = capsys.readouterr().out
    assert "20 ms simulated in 0.25 s" in out
    assert re.search(r"engine start-up +: 5\.0 s \(compiling", out)
    assert lengths[0] < lengths[1] == 20.0  # a few steps first, then the run


def test_homogeneous_state_is_a_state_of_the_synchronous_network():
    """At the returned point, one node with self-input ε s_e is at rest or on its cycle."""
    epsilon = 9.0
    model = NextGenEI(I_e=np.array([15.0]))
    state = demo.homogeneous_state(model, epsilon)
    # The synchronous network is one node with J_ee + ε, J_ie + ε and no coupling (SPEC §2.1).
    shifted = NextGenEI(
        I_e=np.array([15.0]), J_ee=np.array([5.0 + epsilon]), J_ie=np.array([13.0 + epsilon])
    )
    shifted.configure()
    derivative = shifted.dfun(state.reshape(6, 1, 1), np.zeros((1, 1, 1))).ravel()
    assert np.abs(derivative).max() < 1e-6, "expected the synchronous fixed point at (15, 9)"


def test_atomic_write_leaves_nothing_on_failure(tmp_path):
    def failing_writer(path):
        with open(path, "w") as handle:
            handle.write("half")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        write_atomically(tmp_path / "out.nc", failing_writer)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--duration", "0"], r"'--duration' parameter. Allowed values are finite and >= 10 ms"),
        (["--duration", "inf"], r"'--duration' parameter.*but got inf"),
        (["--dt", "0"], r"'--dt' parameter. Allowed values are 0 < dt <= 0.1 ms, but got 0.0"),
        (["--dt", "5"], r"'--dt' parameter.*but got 5.0 instead"),
        (["--dt", "-0.01"], r"'--dt' parameter"),
        (["--epsilon", "nan"], r"'--epsilon' parameter. Allowed values are finite numbers"),
        (["--I-e", "inf"], r"'--I-e' parameter.*but got inf"),
    ],
)
def test_demo_command_refuses_bad_options_before_running(tmp_path, capsys, options, message):
    output = tmp_path / "out"
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["demo", "--output", str(output), "--no-progress", *options])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: tvb-ngnmm demo")
    assert re.search(message, err), err
    assert "Traceback" not in err
    assert not output.exists(), "a failed run left its output folder behind"


def test_demo_help_names_the_command(capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["demo", "--help"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.startswith("usage: tvb-ngnmm demo")


def test_demo_reports_a_failed_run_in_one_line_and_writes_nothing(tmp_path, capsys, monkeypatch):
    def blowing_up(*_args, **_kwargs):
        raise SimulationBlowUpError("The simulation blew up at t = 1 ms.", 1.0, "PreCG.L", "r_e")

    monkeypatch.setattr(demo, "simulate", blowing_up)
    output = tmp_path / "out"
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["demo", "--output", str(output), "--no-progress"])
    assert exit_info.value.code == 1
    assert capsys.readouterr().err == "tvb-ngnmm demo: error: The simulation blew up at t = 1 ms.\n"
    assert not output.exists()


def test_demo_reports_an_output_it_cannot_write(tmp_path, capsys):
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    with pytest.raises(SystemExit) as exit_info:
        demo.main(
            ["--output", str(blocker / "out"), "--duration", "10", "--dt", "0.05", "--no-progress"]
        )
    assert exit_info.value.code == 1
    assert "cannot write to" in capsys.readouterr().err
    assert blocker.read_text() == "not a folder"


def test_homogeneous_state_gives_up_on_unbounded_dynamics():
    with pytest.raises(RuntimeError, match="did not settle within 100 evaluations"):
        demo.homogeneous_state(NextGenEI(I_e=np.array([15.0])), 9.0, max_evaluations=100)


def test_demo_analysis_of_a_network_at_a_fixed_point_is_nan_not_a_number(tmp_path):
    """Regions sitting exactly at a fixed point have no FC and no spectral peak: NaN, warned."""
    from tvb_ngnmm.analysis import UndefinedMeasureWarning

    time = np.arange(0.0, 100.0, 0.1)
    rates = np.full((time.size, 4), 6.1)
    labels = np.array(["a", "b", "c", "d"])
    result = demo.DemoResult(time, rates, rates, labels, np.eye(4), {})
    with pytest.warns(UndefinedMeasureWarning):
        analysis = demo.analyse(result)
    assert np.isnan(analysis.fc).all()
    assert np.isnan(analysis.summary["mean_fc"])
    assert np.isnan(analysis.summary["peak_frequency_hz"])
    figure = demo.plot(result, analysis, show=False)  # no log-axis warnings for an empty spectrum
    figure.savefig(tmp_path / "fixed_point.png")
