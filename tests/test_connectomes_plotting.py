"""Connectome plots draw on the given axes, colour hemispheres, and return the Figure."""

import numpy as np
import pytest

from tvb_ngnmm.connectomes import load_connectome, plot_centres, plot_weights

plt = pytest.importorskip("matplotlib.pyplot")


def test_plot_centres_colours_hemispheres_in_the_chosen_plane():
    conn = load_connectome("tvb96", frame="RAS")
    fig, ax = plt.subplots()
    assert plot_centres(conn, view="coronal", ax=ax, show=False) is fig
    points = ax.collections[0]
    np.testing.assert_allclose(points.get_offsets(), conn.centres[:, [0, 2]])
    red = np.all(np.isclose(points.get_facecolors()[:, :3], [0.839, 0.153, 0.157], atol=1e-3), 1)
    np.testing.assert_array_equal(red, conn.hemispheres)
    assert "frame RAS" in ax.get_title()
    plt.close(fig)
    with pytest.raises(ValueError, match="'view' parameter.*'axial', 'coronal', 'sagittal'.*'top'"):
        plot_centres(conn, view="top", show=False)


def test_plot_weights_shows_log_weights_with_zeros_blank():
    weights = np.array([[0.0, 10.0], [0.1, 1.0]])
    fig = plot_weights(weights, show=False)
    shown = fig.axes[0].images[0].get_array()
    assert np.ma.is_masked(shown[0, 0]) or np.isnan(shown[0, 0])
    np.testing.assert_allclose([shown[0, 1], shown[1, 0], shown[1, 1]], [1.0, -1.0, 0.0])
    plt.close(fig)
