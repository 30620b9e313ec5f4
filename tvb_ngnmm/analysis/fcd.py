"""Functional connectivity dynamics (FCD): how the FC of sliding windows changes over time."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .._util import pyplot
from ._signal_checks import (
    CONSTANT_REASON,
    check_positive,
    check_series,
    constant_signals,
    describe_regions,
    warn_undefined,
)
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
        Window length in ms (at least 3 samples).
    step_ms : float
        Shift between consecutive windows in ms.

    Returns
    -------
    fc_windows : ndarray, shape (n_window, n_region, n_region)
        Pearson correlation matrix of each window. The row and column (diagonal included) of a
        region whose signal is numerically constant in a window are NaN in that window.
    window_centres : ndarray, shape (n_window,)
        Centre of each window in ms, measured from the first sample (time 0).

    Raises
    ------
    ValueError
        If ``data`` holds NaN or inf, or the window is shorter than 3 samples or longer than
        the series.

    Warns
    -----
    UndefinedMeasureWarning
        Once, naming the regions that are numerically constant (``std <= 2.2e-14 *
        max|value|`` within a window; see `functional_connectivity`) in some window.
    """
    fc_windows, centres, constant = _sliding_window_fc(data, dt, window_ms, step_ms)
    if constant.any():
        warn_undefined(
            f"sliding_window_fc: {describe_regions(constant.any(axis=0))} {CONSTANT_REASON} in "
            f"{int(constant.any(axis=1).sum())} of {len(constant)} windows: their correlations "
            "there are undefined and NaN.",
            constant.any(axis=0),
        )
    return fc_windows, centres


def _sliding_window_fc(
    data: np.ndarray, dt: float, window_ms: float, step_ms: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """`sliding_window_fc` without warnings, and the (n_window, n_region) constant mask."""
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
    windows = [data[s : s + n_window_samples] for s in starts]
    constant = np.stack([constant_signals(window) for window in windows])
    fc_windows = np.stack(
        [correlation_matrix(window, c) for window, c in zip(windows, constant, strict=True)]
    )
    centres = (starts + (n_window_samples - 1) / 2) * dt
    return fc_windows, centres, constant


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
        Symmetric FCD matrix in [-1, 1]. The rows and columns of a window are NaN when its FC
        vector holds NaN (a region numerically constant in that window) or is itself
        numerically constant (all pairs equally correlated): its correlation with other windows
        is undefined.
    window_centres : ndarray, shape (n_window,)
        Centre of each window in ms.

    Raises
    ------
    ValueError
        If ``data`` holds NaN or inf or fewer than 3 regions, or the window is shorter than 3
        samples or longer than the series.

    Warns
    -----
    UndefinedMeasureWarning
        Once, naming the windows left undefined and why (constant regions, named; or a flat FC
        pattern). ``std <= 2.2e-14 * max|value|`` counts as constant, as everywhere.
    """
    data = check_series(data, "data", ndim=(2,))
    if data.shape[1] < 3:
        raise ValueError(
            "Invalid shape for the 'data' parameter. Allowed are at least 3 regions (an FC "
            f"pattern needs several pairs), but got {data.shape[1]} regions."
        )
    fc_windows, centres, constant = _sliding_window_fc(data, dt, window_ms, step_ms)
    upper = np.triu_indices(data.shape[1], k=1)
    patterns = fc_windows[:, upper[0], upper[1]].T  # (n_pair, n_window)
    with_constant = constant.any(axis=1)
    patterns = np.where(with_constant, 0.0, patterns)
    flat = ~with_constant & constant_signals(patterns)
    fcd = correlation_matrix(patterns, with_constant | flat)
    if with_constant.any() or flat.any():
        _warn_undefined_windows(constant, flat)
    return fcd, centres


def _warn_undefined_windows(constant: np.ndarray, flat: np.ndarray) -> None:
    n_window = len(flat)
    reasons = []
    if constant.any():
        reasons.append(
            f"{describe_regions(constant.any(axis=0))} {CONSTANT_REASON} in "
            f"{int(constant.any(axis=1).sum())} of them"
        )
    if flat.any():
        reasons.append(f"in {int(flat.sum())} every pair of regions is equally correlated")
    n_undefined = int((constant.any(axis=1) | flat).sum())
    warn_undefined(
        f"functional_connectivity_dynamics: {n_undefined} of {n_window} windows have an "
        f"undefined FC pattern and their rows and columns are NaN: {'; '.join(reasons)}.",
        constant.any(axis=0),
        stacklevel=4,
    )


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
        The figure drawn.
    """
    plt = pyplot("plot_fcd")
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
