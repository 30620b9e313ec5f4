"""Plots of a connectome: its weight matrix and its region centres (the ``plot`` extra)."""

from __future__ import annotations

import numpy as np
from tvb.datatypes.connectivity import Connectivity

from .._util import check_choice, pyplot

VIEWS = {"axial": (0, 1), "coronal": (0, 2), "sagittal": (1, 2)}


def _axes(ax: object) -> tuple[object, object]:
    plt = pyplot()
    if ax is None:
        fig, ax = plt.subplots(figsize=(4.5, 4))
    return ax.figure, ax


def _show(show: bool) -> None:
    if show:
        # deferred: optional extra 'plot'
        import matplotlib.pyplot as plt  # noqa: PLC0415

        plt.show()


def plot_weights(
    weights: np.ndarray | Connectivity, log: bool = True, ax: object = None, show: bool = True
) -> object:
    """Draw the weight matrix ``W[to, from]`` (rows: target region; columns: source region).

    Parameters
    ----------
    weights : array_like or Connectivity
    log : bool
        Show ``log10(W)`` of the non-zero weights (zeros blank), for weights spanning decades.
    ax : matplotlib.axes.Axes, optional
    show : bool
        Call ``plt.show()``.

    Returns
    -------
    matplotlib.figure.Figure
        The figure drawn.
    """
    w = np.asarray(weights.weights if isinstance(weights, Connectivity) else weights, float)
    fig, ax = _axes(ax)
    shown = np.log10(np.where(w > 0, w, np.nan)) if log else w
    image = ax.imshow(shown, cmap="magma", interpolation="nearest")
    fig.colorbar(image, ax=ax, shrink=0.8, label="log10 weight" if log else "weight")
    ax.set(xlabel="from region", ylabel="to region")
    _show(show)
    return fig


def plot_centres(
    connectivity: Connectivity, view: str = "axial", ax: object = None, show: bool = True
) -> object:
    """Draw the region centres in one plane, right hemisphere red, left blue (unknown grey).

    The centres are drawn in the ``Connectivity``'s own frame: load with ``frame='RAS'`` for
    x = left → right, y = posterior → anterior, z = inferior → superior.

    Parameters
    ----------
    connectivity : Connectivity
    view : {'axial', 'coronal', 'sagittal'}
        The plane: axial (x–y), coronal (x–z) or sagittal (y–z) coordinates.
    ax : matplotlib.axes.Axes, optional
    show : bool

    Returns
    -------
    matplotlib.figure.Figure
        The figure drawn.
    """
    check_choice("view", view, tuple(VIEWS))
    first, second = VIEWS[view]
    centres = np.asarray(connectivity.centres, float)
    hemispheres = connectivity.hemispheres
    if hemispheres is None or np.size(hemispheres) != len(centres):
        colours = np.full(len(centres), "tab:grey")
    else:
        colours = np.where(hemispheres, "tab:red", "tab:blue")
    fig, ax = _axes(ax)
    ax.scatter(centres[:, first], centres[:, second], c=colours, s=14)
    frame = getattr(connectivity, "coordinate_frame", None)
    names = "xyz"
    ax.set(xlabel=f"{names[first]} (mm)", ylabel=f"{names[second]} (mm)")
    ax.set_title(f"{view} view" + (f", frame {frame.axes}" if frame is not None else ""))
    ax.set_aspect("equal")
    _show(show)
    return fig
