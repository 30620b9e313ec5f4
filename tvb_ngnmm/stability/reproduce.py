"""The core stability analysis of Delicado, Huguet & Clusella (2025) on AAL90, end to end.

``python -m tvb_ngnmm.stability.reproduce --full --output stability_output`` runs it in full (a
100 × 100 MSF map over ``(I_e, ε)``, finely sampled diagrams) and writes figures and a netCDF
file; without ``--full`` a small version runs in well under a minute. Notebook
``04_stability.ipynb`` calls the same functions (``FULL=1`` in its environment for the full run).

All rates are reported in Hz; growth rates in 1/ms.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from scipy.integrate import solve_ivp

from .._util import write_atomically
from ..analysis.measures import peak_frequency, power_spectrum
from ..connectomes import load_aal90
from ..models import NextGenEI
from .continuation import continue_fixed_points
from .jacobian import VectorField
from .limit_cycles import OrbitNotClosedError, find_limit_cycle
from .lyapunov import network_vector_field
from .msf import coupling_modes, msf_map, transverse_modes
from .plot import plot_bifurcation_diagram, plot_dispersion, plot_msf_map

__all__ = ["homogeneous_diagram", "msf_grid", "network_simulation", "single_node_diagram"]


def single_node_diagram(full: bool = False, self_coupling: float = 0.0):
    """Fixed points of one node (or the homogeneous system) along ``I_e`` ∈ [0, 16], with
    limit cycles past the Hopf point.

    Returns
    -------
    branch : Branch
    cycles : list of (float, LimitCycle)
    """
    branch = continue_fixed_points(NextGenEI(), "I_e", 0.0, 16.0, self_coupling=self_coupling)
    hopf = sorted(b.parameter for b in branch.bifurcations if b.kind == "hopf")
    cycles = []
    if hopf:
        # Between the first Hopf point and the next one (where the fixed point regains stability).
        stop = hopf[1] - 0.2 if len(hopf) > 1 else 16.0
        for value in np.linspace(hopf[0] + 0.2, stop, 16 if full else 2):
            try:
                cycles.append((value, find_limit_cycle(NextGenEI(), self_coupling, I_e=value)))
            except OrbitNotClosedError:
                continue
    return branch, cycles


def homogeneous_diagram(coupling_strength: float = 9.0, full: bool = False):
    """The homogeneous (synchronous) system of the row-normalised network: one node with
    self-coupling ``ε`` (``J_ee → J_ee + ε``, ``J_ie → J_ie + ε``)."""
    return single_node_diagram(full, self_coupling=coupling_strength)


def msf_grid(full: bool = False, n_jobs: int = 2, progress: bool = True):
    """The MSF map over ``I_e`` ∈ [0, 16] and ``ε`` ∈ [0, 30] on the row-normalised AAL90."""
    modes = coupling_modes(load_aal90(normalize="row").weights)
    n = 100 if full else 8
    return msf_map(
        NextGenEI(), modes, "I_e", np.linspace(0.0, 16.0, n), np.linspace(0.0, 30.0, n),
        n_jobs=n_jobs, progress=progress,
    )  # fmt: skip


def network_simulation(
    I_e: float = 15.0,
    coupling_strength: float = 9.0,
    duration: float = 1000.0,
    perturbation: float = 1e-3,
    seed: int = 0,
):
    """AAL90 without delays from the homogeneous fixed point plus a small perturbation.

    Integrated with ``scipy``'s ``solve_ivp`` (DOP853) on the network ODE built from the model's
    ``dfun``; returns ``(time_ms, rates_hz (n_time, n_region), spectrum)`` with the MSF
    spectrum of the homogeneous state at that point.
    """
    weights = load_aal90(normalize="row").weights
    model = NextGenEI(I_e=np.array([I_e]))
    spectrum = transverse_modes(model, coupling_modes(weights), coupling_strength)
    rhs = network_vector_field(VectorField(model), weights, coupling_strength)
    n = len(weights)
    rng = np.random.default_rng(seed)
    x0 = spectrum.homogeneous_state[:, None] * (1.0 + perturbation * rng.standard_normal((6, n)))
    time = np.arange(0.0, duration, 0.1)
    sol = solve_ivp(lambda t, y: rhs(y.reshape(6, n)).ravel(), (0.0, duration), x0.ravel(),
                    method="DOP853", rtol=1e-7, atol=1e-10, t_eval=time)  # fmt: skip
    return sol.t, sol.y[:n].T * 1000.0, spectrum


def main(argv: list[str] | None = None) -> None:
    """Command line: run the analysis, print the headline numbers, write figures and data."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="100 × 100 map, fine diagrams")
    parser.add_argument("--output", default="stability_output", help="output folder")
    args = parser.parse_args(argv)
    out = Path(args.output)
    out.mkdir(parents=True, exist_ok=True)
    # deferred: optional extra 'plot'
    import matplotlib  # noqa: PLC0415

    matplotlib.use("Agg")

    branch, cycles = single_node_diagram(args.full)
    hopf = [b for b in branch.bifurcations if b.kind == "hopf"]
    print(f"single-node Hopf: I_e = {hopf[0].parameter:.4f} at {hopf[0].frequency:.2f} Hz")
    cycle = find_limit_cycle(NextGenEI(), I_e=10.0)
    print(f"limit cycle at I_e = 10: {cycle.frequency:.3f} Hz (period {cycle.period:.4f} ms)")
    plot_bifurcation_diagram(branch, cycles=cycles, show=False).savefig(out / "single_node.png")
    modes = coupling_modes(load_aal90(normalize="row").weights)
    for eps in (9.0, 15.0):
        spectrum = transverse_modes(NextGenEI(I_e=np.array([15.0])), modes, eps)
        k = spectrum.fastest
        print(f"(I_e, ε) = (15, {eps:g}): {spectrum.n_unstable} unstable transverse modes; "
              f"fastest mode {k}: {spectrum.growth_rate[k]:.5f}/ms at "
              f"{spectrum.frequency[k]:.2f} Hz")  # fmt: skip
        plot_dispersion(spectrum, show=False).savefig(out / f"dispersion_15_{eps:g}.png")
    grid = msf_grid(args.full)
    plot_msf_map(grid, show=False).savefig(out / "msf_map.png")
    write_atomically(out / "msf_map.nc", lambda path: grid.to_netcdf(path, engine="h5netcdf"))
    time, rates, _ = network_simulation()
    freqs, psd = power_spectrum(rates[time >= 500.0], dt=0.1)
    print(f"simulation at (15, 9): peak {peak_frequency(freqs, psd):.1f} Hz")
    print(f"written to {out}/")


if __name__ == "__main__":
    main()
