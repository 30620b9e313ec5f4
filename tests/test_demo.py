"""The whole-brain demo writes a labelled data file and a figure, atomically."""

import numpy as np
import pytest
import xarray as xr

from tvb_ngnmm import demo
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
        demo._atomic_write(tmp_path / "out.nc", failing_writer)
    assert list(tmp_path.iterdir()) == []
