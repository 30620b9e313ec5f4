"""Raster and population-rate plots of the QIF network (rates shown in Hz)."""

from __future__ import annotations

from .._util import pyplot
from .qif_network import PopulationActivity, QIFNetworkResult

_COLOURS = ("tab:red", "tab:blue", "tab:green", "tab:purple")


def _axes(ax):
    plt = pyplot()
    if ax is None:
        fig, ax = plt.subplots(figsize=(8, 3))
    return plt, ax.figure, ax


def plot_raster(result: QIFNetworkResult, ax=None, show: bool = True):
    """Spike raster of the recorded neurons, one colour per population.

    Parameters
    ----------
    result : QIFNetworkResult
        Output of :func:`~tvb_ngnmm.validation.simulate_qif_network`.
    ax : matplotlib.axes.Axes, optional
        Axes to draw in; a new figure is made if ``None``.
    show : bool
        Call ``matplotlib.pyplot.show()`` at the end.

    Returns
    -------
    matplotlib.figure.Figure
        The figure holding the raster. Neurons are ordered by excitability within each
        population, populations stacked (first at the bottom).
    """
    plt, fig, ax = _axes(ax)
    population = result.spike_neurons // max(result.n_neurons, 1)
    for a, label in enumerate(result.populations):
        mask = population == a
        ax.plot(
            result.spike_times[mask], result.spike_neurons[mask], linestyle="none",
            marker="|", markersize=2, color=_COLOURS[a % len(_COLOURS)], label=label,
        )  # fmt: skip
    ax.set_xlabel("time (ms)")
    ax.set_ylabel("neuron")
    ax.set_xlim(result.time[0], result.time[-1])
    if len(result.populations) > 1:
        ax.legend(loc="upper right", markerscale=4)
    if show:
        plt.show()
    return fig


def plot_population_rate(
    result: PopulationActivity, mean_field: PopulationActivity | None = None, ax=None,
    show: bool = True,
):  # fmt: skip
    """Population firing rates (Hz) of the network, with the mean field overlaid.

    Parameters
    ----------
    result : PopulationActivity
        Output of :func:`~tvb_ngnmm.validation.simulate_qif_network` (or of
        :func:`~tvb_ngnmm.validation.simulate_mean_field`).
    mean_field : PopulationActivity, optional
        Output of :func:`~tvb_ngnmm.validation.simulate_mean_field`, drawn dashed in black.
    ax : matplotlib.axes.Axes, optional
        Axes to draw in; a new figure is made if ``None``.
    show : bool
        Call ``matplotlib.pyplot.show()`` at the end.

    Returns
    -------
    matplotlib.figure.Figure
        The figure holding the rates (Hz = 1000 × kHz).
    """
    plt, fig, ax = _axes(ax)
    for a, label in enumerate(result.populations):
        colour = _COLOURS[a % len(_COLOURS)]
        ax.plot(result.time, 1000.0 * result.rates[:, a], color=colour, lw=1, label=label)
        if mean_field is not None:
            ax.plot(
                mean_field.time, 1000.0 * mean_field.rates[:, a], color="k", lw=1,
                linestyle="--", label=f"{label} (mean field)",
            )  # fmt: skip
    ax.set_xlabel("time (ms)")
    ax.set_ylabel("rate (Hz)")
    ax.legend(loc="upper right")
    if show:
        plt.show()
    return fig
