"""Plots of the stability analysis return Figures showing the data given."""

import matplotlib
import numpy as np
import pytest

from tvb_ngnmm.models import NextGenEI
from tvb_ngnmm.models.presets import make_model
from tvb_ngnmm.stability import (
    continue_fixed_points,
    coupling_modes,
    msf_map,
    plot_bifurcation_diagram,
    plot_dispersion,
    plot_msf_map,
    transverse_modes,
)

matplotlib.use("Agg")
plt = pytest.importorskip("matplotlib.pyplot")


def _ring(n=6):
    return np.roll(np.eye(n), 1, axis=1) * 0.6 + np.roll(np.eye(n), -1, axis=1) * 0.4


def test_bifurcation_diagram_shows_branch_in_hz():
    branch = continue_fixed_points(make_model("working_memory"), "I", -2.0, 3.0)
    fig = plot_bifurcation_diagram(branch, show=False)
    ax = fig.axes[0]
    solid = ax.lines[0].get_ydata()
    np.testing.assert_allclose(np.nanmax(solid), np.max(branch.states[branch.stable, 0]) * 1000)
    assert "(Hz)" in ax.get_ylabel() and ax.get_xlabel() == "I"
    plt.close(fig)


def test_dispersion_and_map_plots():
    modes = coupling_modes(_ring())
    spectrum = transverse_modes(NextGenEI(), modes, 9.0, I_e=15.0)
    fig = plot_dispersion(spectrum, show=False)
    offsets = fig.axes[0].collections[0].get_offsets()
    np.testing.assert_allclose(offsets[:, 1], spectrum.growth_rate * 1000.0)
    plt.close(fig)
    ds = msf_map(NextGenEI(), modes, "I_e", [5.0, 15.0], [0.0, 9.0], n_jobs=1, progress=False)
    fig, ax = plt.subplots()
    assert plot_msf_map(ds, ax=ax, show=False) is fig
    assert ax.get_ylabel() == "I_e"
    plt.close(fig)
