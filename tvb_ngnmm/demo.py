"""Whole-brain demo: ``NextGenEI`` on the row-normalised AAL90 connectome at ``(I_e, ε) = (15, 9)``.

The network starts from its homogeneous (synchronous) state plus a small perturbation. At this
point of Delicado, Huguet & Clusella (2025) the synchronous gamma rhythm is unstable to
non-uniform perturbations, so regions spread apart while the network keeps oscillating.

Run with ``python -m tvb_ngnmm.demo --output demo_output`` (or ``make demo``). It writes
``next_gen_ei_aal90.nc`` (netCDF4, labelled with xarray) and ``next_gen_ei_aal90.png``.
"""

from __future__ import annotations

import argparse
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from scipy.integrate import solve_ivp

from ._util import write_atomically
from .analysis import functional_connectivity, peak_frequency, power_spectrum
from .connectomes import load_aal90
from .engine.errors import SimulationBlowUpError
from .models import NextGenEI

KHZ_TO_HZ = 1000.0


@dataclass
class DemoResult:
    """What the demo simulated: time (ms), E and I rates (Hz, shape (n_time, n_region)), and
    ``timings`` (s): the engine's first call (``"start_up_s"``: compiling its kernels, or
    loading them from the cache) and the simulation itself (``"simulation_s"``)."""

    time: np.ndarray
    rates_e: np.ndarray
    rates_i: np.ndarray
    labels: np.ndarray
    weights: np.ndarray
    parameters: dict
    timings: dict = field(default_factory=dict)


def homogeneous_state(
    model: NextGenEI, epsilon: float, settle_ms: float = 1000.0, max_evaluations: int = 1_000_000
) -> np.ndarray:
    """A point on the attractor of the synchronous network, one node's six state values.

    With row sums of ``W`` equal to 1 and ``Linear(a=ε)`` coupling, every node of a synchronous
    network receives ``C = ε s_e``: the network reduces to one node with that self-input.
    """
    model.configure()
    evaluations = 0

    def rhs(_t, y):
        nonlocal evaluations
        evaluations += 1
        if evaluations > max_evaluations:
            raise RuntimeError(
                f"The synchronous state did not settle within {max_evaluations} evaluations of "
                f"the equations over {settle_ms:g} ms: the dynamics at these parameters are too "
                "fast or unbounded for the demo (its drive I_e is meant for 0-16)."
            )
        state = y.reshape(6, 1, 1)
        coupling = epsilon * state[2:3]
        return model.dfun(state, coupling).ravel()

    y0 = np.array([0.01, -1.0, 0.01, 0.01, -1.0, 0.01])
    solution = solve_ivp(rhs, (0.0, settle_ms), y0, method="LSODA", rtol=1e-8, atol=1e-10)
    if not solution.success:
        raise RuntimeError(f"Integration of the synchronous state failed: {solution.message}")
    return solution.y[:, -1]


def simulate(
    I_e: float = 15.0,
    epsilon: float = 9.0,
    duration: float = 1000.0,
    dt: float = 0.01,
    perturbation: float = 1e-3,
    seed: int = 42,
    progress: bool = True,
) -> DemoResult:
    """Run the demo network in TVB's simulator and return E/I rates in Hz."""
    # deferred: TVB's simulator imports all of TVB's model families (1.3 s; not for --help)
    from tvb.simulator import coupling, integrators, monitors, simulator  # noqa: PLC0415

    # TVB logs a warning on every deterministic run that it ignores a random state it was given.
    logging.getLogger("tvb.simulator.integrators").setLevel(logging.ERROR)

    connectivity = load_aal90(normalize="row", tract_lengths=False)
    model = NextGenEI(I_e=np.array([I_e]))
    sync = homogeneous_state(NextGenEI(I_e=np.array([I_e])), epsilon)
    n_region = connectivity.number_of_regions
    rng = np.random.default_rng(seed)
    state = np.repeat(sync[:, None], n_region, axis=1)
    state *= 1.0 + perturbation * rng.standard_normal(state.shape)
    state[[0, 3]] = np.abs(state[[0, 3]])  # rates stay non-negative
    period = dt * max(1, round(0.1 / dt))  # about 0.1 ms, a whole number of steps
    sim = simulator.Simulator(
        model=model,
        connectivity=connectivity,
        coupling=coupling.Linear(a=np.array([epsilon])),
        integrator=integrators.HeunDeterministic(dt=dt),
        monitors=[monitors.TemporalAverage(period=period)],
        initial_conditions=state[None, :, :, None],
        simulation_length=duration,
    ).configure()

    # deferred: the engine (Numba) is kept off `tvb-ngnmm demo --help`'s path
    from .backend import NumbaBackend  # noqa: PLC0415
    from .engine.continuation import unchanged  # noqa: PLC0415

    # The engine's first call compiles its kernels (or loads them from the cache), timed apart
    # on a few steps of the same simulator, then put back where it was.
    start = time.perf_counter()
    with unchanged(sim):
        NumbaBackend(progress=False).run_sim(sim, simulation_length=period)
    started = time.perf_counter()
    ((times, data),) = NumbaBackend(progress=progress).run_sim(sim, simulation_length=duration)
    timings = {"start_up_s": started - start, "simulation_s": time.perf_counter() - started}
    samples = data[..., 0] * KHZ_TO_HZ
    parameters = {
        "I_e": I_e,
        "epsilon": epsilon,
        "dt_ms": dt,
        "duration_ms": duration,
        "perturbation": perturbation,
        "seed": seed,
    }
    return DemoResult(
        np.array(times),
        samples[:, 0],
        samples[:, 1],
        connectivity.region_labels,
        connectivity.weights,
        parameters,
        timings,
    )


@dataclass
class DemoAnalysis:
    """Spectra and FC of the demo's E rates after the transient."""

    steady: np.ndarray  # boolean mask of the samples after the transient
    freqs: np.ndarray  # Hz
    psd: np.ndarray  # Welch PSD per region, (n_freq, n_region), Hz²/Hz
    fc: np.ndarray  # Pearson correlation between regions
    summary: dict


def analyse(result: DemoResult, transient_ms: float = 200.0) -> DemoAnalysis:
    """Network spectrum (mean of the regional spectra), its peak, FC, and the regions' spread.

    The mean of the regional spectra is used rather than the spectrum of the mean rate: when
    regions oscillate out of phase, their mean cancels the common rhythm.
    """
    dt = float(result.time[1] - result.time[0])
    transient_ms = min(transient_ms, 0.25 * (result.time[-1] - result.time[0]))
    steady = result.time >= result.time[0] + transient_ms
    freqs, psd = power_spectrum(result.rates_e[steady], dt)
    fc = functional_connectivity(result.rates_e[steady])
    spread = result.rates_e.std(axis=1)
    first = slice(0, max(1, int(round(10.0 / dt))))
    summary = {
        "peak_frequency_hz": peak_frequency(freqs, psd.mean(axis=1)),
        "mean_rate_e_hz": float(result.rates_e[steady].mean()),
        "initial_spread_hz": float(spread[first].mean()),
        "final_spread_hz": float(spread[steady].mean()),
        "mean_fc": _mean_defined(fc[np.triu_indices(len(fc), 1)]),
        "transient_ms": float(transient_ms),
    }
    return DemoAnalysis(steady, freqs, psd, fc, summary)


def _mean_defined(values: np.ndarray) -> float:
    """Mean of the finite entries; NaN when there are none (FC of regions at a fixed point)."""
    finite = values[np.isfinite(values)]
    return float(finite.mean()) if finite.size else float("nan")


def to_dataset(result: DemoResult, analysis: DemoAnalysis):
    """The demo's data as a labelled ``xarray.Dataset``."""
    # deferred: xarray (with pandas, 0.5 s) is kept off `tvb-ngnmm demo --help`'s path
    import xarray as xr  # noqa: PLC0415

    coords = {
        "time": ("time", result.time, {"units": "ms"}),
        "region": result.labels,
        "source": result.labels,
        "frequency": ("frequency", analysis.freqs, {"units": "Hz"}),
    }
    steady = f"after the first {analysis.summary['transient_ms']:g} ms"
    data = {
        "rate_e": (
            ("time", "region"),
            result.rates_e,
            {"units": "Hz", "long_name": "excitatory firing rate"},
        ),
        "rate_i": (
            ("time", "region"),
            result.rates_i,
            {"units": "Hz", "long_name": "inhibitory firing rate"},
        ),
        "weights": (
            ("region", "source"),
            result.weights,
            {"long_name": "row-normalised AAL90 weights W[to, from]"},
        ),
        "fc": (
            ("region", "source"),
            analysis.fc,
            {"long_name": f"Pearson correlation of excitatory rates {steady}"},
        ),
        "psd_e": (
            ("frequency", "region"),
            analysis.psd,
            {"units": "Hz^2/Hz", "long_name": f"Welch PSD of excitatory rates {steady}"},
        ),
    }
    attrs = {
        "title": "NextGenEI on the row-normalised AAL90 connectome",
        "model": "NextGenEI",
        "coupling": "Linear(a=epsilon) on s_e",
        "integrator": "HeunDeterministic",
        **result.parameters,
        **analysis.summary,
    }
    return xr.Dataset(data, coords=coords, attrs=attrs)


def plot(result: DemoResult, analysis: DemoAnalysis, show: bool = True, n_shown: int = 6):
    """Figure: E rates of a few regions, the network power spectrum, the FC matrix."""
    # deferred: optional extra 'plot'
    import matplotlib.pyplot as plt  # noqa: PLC0415

    fig, axes = plt.subplot_mosaic("AA;BC", figsize=(11, 8), layout="constrained")
    shown = np.linspace(0, result.rates_e.shape[1] - 1, n_shown).astype(int)
    window = result.time >= result.time[-1] - 200.0
    for k in shown:
        axes["A"].plot(result.time[window], result.rates_e[window, k], lw=1, label=result.labels[k])
    axes["A"].set(xlabel="time (ms)", ylabel="E rate (Hz)", title="Excitatory rates, last 200 ms")
    axes["A"].legend(loc="upper right", ncol=n_shown, fontsize="small")
    psd = analysis.psd.mean(axis=1)
    peak = analysis.summary["peak_frequency_hz"]
    if psd.max() > 0:
        axes["B"].semilogy(analysis.freqs, psd, color="k")
        axes["B"].set_ylim(psd.max() * 1e-8, psd.max() * 10)
    else:  # every region at a fixed point: no power to show on a log axis
        axes["B"].plot(analysis.freqs, psd, color="k")
    if np.isfinite(peak):
        axes["B"].axvline(peak, color="C3", ls="--", label=f"peak {peak:.1f} Hz")
        axes["B"].legend()
    axes["B"].set(
        xlim=(0, 300),
        xlabel="frequency (Hz)",
        ylabel="PSD (Hz²/Hz)",
        title="Network power spectrum (mean over regions)",
    )
    image = axes["C"].imshow(analysis.fc, vmin=-1, vmax=1, cmap="RdBu_r")
    axes["C"].set(title="Functional connectivity (E rates)", xlabel="region", ylabel="region")
    fig.colorbar(image, ax=axes["C"], label="Pearson r")
    if show:
        plt.show()
    return fig


MAX_DT_MS = 0.1  # the demo samples every 0.1 ms; Heun stays accurate for NextGenEI up to here
MIN_DURATION_MS = 10.0  # enough samples for a spectrum and FC after the transient


def _parser(prog: str | None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=prog, description=__doc__.splitlines()[0])
    parser.add_argument("--output", default="demo_output", help="folder for the figure and data")
    parser.add_argument(
        "--duration",
        type=float,
        default=1000.0,
        help=f"model time (ms, at least {MIN_DURATION_MS:g}; default 1000)",
    )
    parser.add_argument(
        "--dt", type=float, default=0.01, help=f"integration step (ms, 0 < dt <= {MAX_DT_MS:g})"
    )
    parser.add_argument("--I-e", dest="I_e", type=float, default=15.0, help="drive to E")
    parser.add_argument("--epsilon", type=float, default=9.0, help="global coupling ε")
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    return parser


def check_arguments(args: argparse.Namespace) -> None:
    """Raise ``ValueError`` naming the first option whose value the demo cannot run with."""

    def invalid(option: str, allowed: str, given: float) -> ValueError:
        return ValueError(
            f"Invalid value for the {option!r} parameter. Allowed values are {allowed}, "
            f"but got {given!r} instead."
        )

    if not (np.isfinite(args.dt) and 0 < args.dt <= MAX_DT_MS):
        raise invalid("--dt", f"0 < dt <= {MAX_DT_MS:g} ms", args.dt)
    if not (np.isfinite(args.duration) and args.duration >= MIN_DURATION_MS):
        raise invalid("--duration", f"finite and >= {MIN_DURATION_MS:g} ms", args.duration)
    for option, value in (("--I-e", args.I_e), ("--epsilon", args.epsilon)):
        if not np.isfinite(value):
            raise invalid(option, "finite numbers", value)


def main(argv: list[str] | None = None, prog: str | None = None) -> dict:
    """Command-line entry point; returns the summary.

    Bad options end with a one-line error (exit status 2) and a run that fails (it blows up,
    or the output cannot be written) with its reason (exit status 1); neither leaves an output
    folder behind that was not there before.
    """
    parser = _parser(prog)
    args = parser.parse_args(argv)
    try:
        check_arguments(args)
    except ValueError as err:
        parser.error(str(err))
    # deferred: optional extra 'plot'
    import matplotlib  # noqa: PLC0415

    matplotlib.use("Agg")
    output = Path(args.output)
    try:
        result = simulate(
            args.I_e, args.epsilon, args.duration, args.dt, progress=not args.no_progress
        )
    except (SimulationBlowUpError, ValueError, RuntimeError) as err:
        parser.exit(1, f"{parser.prog}: error: {err}\n")
    analysis = analyse(result)
    summary = analysis.summary
    created = not output.exists()
    try:
        output.mkdir(parents=True, exist_ok=True)
        dataset = to_dataset(result, analysis)
        write_atomically(
            output / "next_gen_ei_aal90.nc", lambda p: dataset.to_netcdf(p, engine="h5netcdf")
        )
        figure = plot(result, analysis, show=False)
        write_atomically(output / "next_gen_ei_aal90.png", lambda p: figure.savefig(p, dpi=120))
    except OSError as err:
        if created and output.is_dir() and not any(output.iterdir()):
            output.rmdir()
        parser.exit(1, f"{parser.prog}: error: cannot write to {str(output)!r}: {err}\n")
    print(
        f"NextGenEI on AAL90 (90 regions), I_e = {args.I_e:g}, ε = {args.epsilon:g}: "
        f"{args.duration:g} ms simulated in {result.timings['simulation_s']:.2f} s"
    )
    print(
        f"  engine start-up        : {result.timings['start_up_s']:.1f} s (compiling its kernels "
        "on a first run; later runs load them from the cache)"
    )
    print(f"  network peak frequency : {summary['peak_frequency_hz']:.1f} Hz")
    print(f"  mean E rate            : {summary['mean_rate_e_hz']:.1f} Hz")
    print(
        f"  spread across regions  : {summary['initial_spread_hz']:.3g} Hz at start → "
        f"{summary['final_spread_hz']:.3g} Hz after the transient (std of E rates)"
    )
    print(f"  mean functional connectivity : {summary['mean_fc']:.2f}")
    print(f"  wrote {output / 'next_gen_ei_aal90.nc'} and {output / 'next_gen_ei_aal90.png'}")
    return summary


if __name__ == "__main__":
    main(prog="python -m tvb_ngnmm.demo")
