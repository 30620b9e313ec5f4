"""Functional connectivity dynamics (FCD): how the FC of sliding windows changes over time."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ._signal_checks import check_positive, check_series
from .measures import correlation_matrix

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure


def sliding_window_fc(
    data: np.ndarray, dt: float, window_ms: float, step_ms: float
) -> tuple[np.ndarray, np.ndarray]:
    """Functional connectivity in sliding windows.

    Parameters
    ----------
    data : ndarray, shape (n_time, n_region)
        Signals sampled every ``dt`` ms (e.g. rates in kHz, or BOLD).
    dt : float
        Sampling interval in ms.
    window_ms : float
        Window length in ms.
    step_ms : float
        Shift between consecutive windows in ms.

    Returns
    -------
    fc_windows : ndarray, shape (n_window, n_region, n_region)
        Pearson correlation matrix of each window (NaN where a signal is constant in a window).
    window_centres : ndarray, shape (n_window,)
        Centre of each window in ms, measured from the first sample (time 0).
    """
    data = check_series(data, "data", ndim=(2,))
    dt = check_positive(dt, "dt")
    n_window_samples = int(round(check_positive(window_ms, "window_ms") / dt))
    n_step = int(round(check_positive(step_ms, "step_ms") / dt))
    if n_step < 1 or n_window_samples < 3 or n_window_samples > data.shape[0]:
        raise ValueError(
            "Invalid value for the 'window_ms' parameter. Allowed are windows of 3 samples up to "
            f"the series' length ({data.shape[0] * dt:g} ms) and steps of at least one sample "
            f"(dt = {dt:g} ms), but got window_ms={window_ms!r}, step_ms={step_ms!r} instead."
        )
    starts = np.arange(0, data.shape[0] - n_window_samples + 1, n_step)
    fc_windows = np.stack([correlation_matrix(data[s : s + n_window_samples]) for s in starts])
    centres = (starts + (n_window_samples - 1) / 2) * dt
    return fc_windows, centres


def functional_connectivity_dynamics(
    data: np.ndarray, dt: float, window_ms: float, step_ms: float
) -> tuple[np.ndarray, np.ndarray]:
    """FCD matrix: correlation between the FC patterns of every pair of sliding windows.

    The FC of each window (`sliding_window_fc`) is reduced to its upper triangle (without the
    diagonal); entry ``(a, b)`` of the FCD is the Pearson correlation between the FC vectors of
    windows ``a`` and ``b`` (Hansen et al. 2015). A stationary network gives an FCD close to 1
    everywhere; switching between FC states shows as blocks.

    Parameters
    ----------
    data : ndarray, shape (n_time, n_region)
        Signals sampled every ``dt`` ms, at least 3 regions.
    dt : float
        Sampling interval in ms.
    window_ms, step_ms : float
        Window length and shift in ms.

    Returns
    -------
    fcd : ndarray, shape (n_window, n_window)
        Symmetric FCD matrix in [-1, 1]. Rows of windows whose FC vector is constant (all pairs
        equally correlated) or holds NaN are NaN: their correlation with other windows is
        undefined.
    window_centres : ndarray, shape (n_window,)
        Centre of each window in ms.
    """
    data = check_series(data, "data", ndim=(2,))
    if data.shape[1] < 3:
        raise ValueError(
            "Invalid shape for the 'data' parameter. Allowed are at least 3 regions (an FC "
            f"pattern needs several pairs), but got {data.shape[1]} regions."
        )
    fc_windows, centres = sliding_window_fc(data, dt, window_ms, step_ms)
    upper = np.triu_indices(data.shape[1], k=1)
    patterns = fc_windows[:, upper[0], upper[1]].T  # (n_pair, n_window)
    finite = np.isfinite(patterns).all(axis=0)
    patterns = np.where(finite, patterns, 0.0)
    undefined = ~finite | (patterns.std(axis=0) < 1e-12)
    fcd = correlation_matrix(patterns)
    fcd[undefined, :] = np.nan
    fcd[:, undefined] = np.nan
    return fcd, centres


def plot_fcd(
    fcd: np.ndarray,
    window_centres: np.ndarray,
    ax: Axes | None = None,
    show: bool = True,
    cmap: str = "viridis",
) -> Figure:
    """Show an FCD matrix with time (s) on both axes.

    Parameters
    ----------
    fcd : ndarray, shape (n_window, n_window)
        From `functional_connectivity_dynamics`.
    window_centres : ndarray, shape (n_window,)
        Window centres in ms (shown in s).
    ax : matplotlib Axes, optional
        Axes to draw into; a new figure is made when None.
    show : bool
        Call ``plt.show()`` at the end.
    cmap : str
        Colour map.

    Returns
    -------
    matplotlib.figure.Figure
    """
    try:
        import matplotlib.pyplot as plt
    except ImportError as err:  # pragma: no cover - depends on the environment
        raise ImportError("plot_fcd needs matplotlib: pip install 'tvb-ngnmm[plot]'") from err
    fcd = np.asarray(fcd, dtype=float)
    centres = np.asarray(window_centres, dtype=float)
    if fcd.ndim != 2 or fcd.shape != (centres.size, centres.size):
        raise ValueError(
            "Invalid shape for the 'fcd' parameter. Allowed is (n_window, n_window) with n_window "
            f"= len(window_centres) = {centres.size}, but got {fcd.shape}."
        )
    if ax is None:
        fig, ax = plt.subplots(figsize=(4.5, 4))
    else:
        fig = ax.figure
    half = (centres[1] - centres[0]) / 2 if centres.size > 1 else 0.5
    extent = np.array([centres[0] - half, centres[-1] + half]) / 1000.0
    image = ax.imshow(fcd, origin="lower", cmap=cmap, vmin=-1, vmax=1, extent=(*extent, *extent))
    fig.colorbar(image, ax=ax, label="correlation of FC patterns")
    ax.set_xlabel("window centre (s)")
    ax.set_ylabel("window centre (s)")
    ax.set_title("FCD")
    if show:
        plt.show()
    return fig
