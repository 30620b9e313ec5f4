"""Plots of the stability analysis: bifurcation diagram, dispersion relation, MSF map.

Rates are shown in Hz. Each function takes ``ax=None`` and ``show=True`` and returns the Figure.
"""

from __future__ import annotations

import numpy as np

from .._util import pyplot
from .continuation import Branch
from .msf import TransverseSpectrum

__all__ = ["plot_bifurcation_diagram", "plot_dispersion", "plot_msf_map"]


def _axes(ax):
    plt = pyplot()
    if ax is None:
        fig, ax = plt.subplots(figsize=(6, 4), layout="constrained")
    return plt, ax.figure, ax


def _is_rate(name: str) -> bool:
    return name == "r" or name.startswith("r_") or name.startswith("s")


def plot_bifurcation_diagram(
    branch: Branch,
    variable: str | None = None,
    cycles=None,
    ax=None,
    show: bool = True,
):
    """Fixed points along a branch (stable solid, unstable dashed) and limit-cycle extrema.

    Parameters
    ----------
    branch : Branch
        From :func:`~tvb_ngnmm.stability.continue_fixed_points`.
    variable : str, optional
        State variable on the vertical axis (default: the first). Rates are shown in Hz.
    cycles : sequence of (float, LimitCycle), optional
        Limit cycles with the parameter value each was found at; their minimum and maximum
        of ``variable`` are drawn as dots.
    ax : matplotlib.axes.Axes, optional
    show : bool
        Call ``matplotlib.pyplot.show()``.

    Returns
    -------
    matplotlib.figure.Figure
        The figure drawn.
    """
    plt, fig, ax = _axes(ax)
    variable = variable or branch.state_variables[0]
    k = branch.state_variables.index(variable)
    scale = 1000.0 if _is_rate(variable) else 1.0
    y = branch.states[:, k] * scale
    for stable, style in ((True, "-"), (False, "--")):
        masked = np.where(branch.stable == stable, y, np.nan)
        label = "stable fixed point" if stable else "unstable fixed point"
        ax.plot(branch.parameter, masked, style, color="k", label=label)
    for b in branch.bifurcations:
        marker = "o" if b.kind == "hopf" else "s"
        ax.plot(b.parameter, b.state[k] * scale, marker, color="C3", label=b.kind)
    if cycles:
        p = [c[0] for c in cycles]
        ax.plot(p, [c[1].orbit[:, k].max() * scale for c in cycles], ".", color="C0",
                label="limit cycle max/min")  # fmt: skip
        ax.plot(p, [c[1].orbit[:, k].min() * scale for c in cycles], ".", color="C0")
    handles, labels = ax.get_legend_handles_labels()
    unique = dict(zip(labels, handles, strict=True))
    ax.legend(unique.values(), unique.keys(), fontsize="small")
    ax.set_xlabel(branch.parameter_name)
    ax.set_ylabel(f"{variable} (Hz)" if scale != 1.0 else variable)
    if show:
        plt.show()
    return fig


def plot_dispersion(spectrum: TransverseSpectrum, ax=None, show: bool = True):
    """Growth rate of each mode against the real part of its coupling eigenvalue.

    Parameters
    ----------
    spectrum : TransverseSpectrum
        From :func:`~tvb_ngnmm.stability.transverse_modes` or ``transverse_floquet``.
    ax : matplotlib.axes.Axes, optional
    show : bool

    Returns
    -------
    matplotlib.figure.Figure
        The figure drawn.
    """
    plt, fig, ax = _axes(ax)
    lam = spectrum.coupling_eigenvalues.real
    points = ax.scatter(lam, spectrum.growth_rate * 1000.0, c=spectrum.frequency, cmap="viridis",
                        s=18)  # fmt: skip
    fig.colorbar(points, ax=ax, label="frequency (Hz)")
    sync = spectrum.synchronous
    ax.plot(lam[sync], spectrum.growth_rate[sync] * 1000.0, "x", color="C3", label="synchronous")
    ax.axhline(0.0, color="k", lw=0.8)
    ax.set_xlabel(r"Re $\Lambda_k$ (coupling eigenvalue)")
    ax.set_ylabel("growth rate (1/s)")
    ax.set_title(f"{spectrum.n_unstable} unstable transverse modes", fontsize="medium")
    ax.legend(fontsize="small")
    if show:
        plt.show()
    return fig


def plot_msf_map(dataset, variable: str = "max_growth_rate", ax=None, show: bool = True):
    """A map from :func:`~tvb_ngnmm.stability.msf_map`, with the zero contour.

    Points where the homogeneous fixed point itself is unstable are hatched grey (there the
    homogeneous state oscillates and the fixed-point MSF does not apply; ``limit_cycles=True`` in
    :func:`~tvb_ngnmm.stability.msf_map` fills them with the Floquet MSF); points without a fixed
    point are grey.

    Parameters
    ----------
    dataset : xarray.Dataset
    variable : str
        ``'max_growth_rate'`` (shown in 1/s), ``'n_unstable'`` or ``'fastest_frequency'``.
    ax : matplotlib.axes.Axes, optional
    show : bool

    Returns
    -------
    matplotlib.figure.Figure
        The figure drawn.
    """
    plt, fig, ax = _axes(ax)
    parameter = [d for d in dataset[variable].dims if d != "coupling_strength"][0]
    x, y = dataset["coupling_strength"].values, dataset[parameter].values
    z = dataset[variable].values.astype(float)
    growth = dataset["max_growth_rate"].values * 1000.0
    unstable = ~dataset["homogeneous_stable"].values & dataset["found"].values
    if "on_limit_cycle" in dataset:
        unstable &= ~dataset["on_limit_cycle"].values
    z = np.where(unstable, np.nan, z)
    ax.set_facecolor("0.85")
    if variable == "max_growth_rate":
        z = np.where(unstable, np.nan, growth)
        # deferred: optional extra 'plot'
        from matplotlib.colors import TwoSlopeNorm  # noqa: PLC0415

        finite = z[np.isfinite(z)]
        low = min(finite.min(), -1e-3) if finite.size else -1.0
        high = max(finite.max(), 1e-3) if finite.size else 1.0
        norm = TwoSlopeNorm(vcenter=0.0, vmin=low, vmax=high)  # each sign on its own scale
        mesh = ax.pcolormesh(x, y, z, cmap="RdBu_r", norm=norm, shading="auto")
        label = "largest transverse growth rate (1/s)"
    else:
        mesh = ax.pcolormesh(x, y, z, cmap="viridis", shading="auto")
        label = variable.replace("_", " ")
    fig.colorbar(mesh, ax=ax, label=label)
    if np.any(np.isfinite(z)) and np.nanmin(z) < 0 < np.nanmax(z) and variable == "max_growth_rate":
        ax.contour(x, y, z, levels=[0.0], colors="k", linewidths=1.0)
    if unstable.any():
        ax.contourf(x, y, unstable.astype(float), levels=[0.5, 1.5], colors="none",
                    hatches=["///"])  # fmt: skip
    ax.set_xlabel(r"coupling strength $\varepsilon$")
    ax.set_ylabel(parameter)
    if show:
        plt.show()
    return fig
