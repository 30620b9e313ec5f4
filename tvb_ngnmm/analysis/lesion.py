"""Virtual lesions: remove each region's connections in turn and rank regions by the effect."""

from __future__ import annotations

import copy
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from scipy.linalg import solve_continuous_lyapunov
from tqdm.auto import tqdm

from .._util import check_choice
from ..seeding import configure_seeded
from ._signal_checks import UndefinedMeasureWarning, warn_undefined
from .measures import mean_functional_connectivity

if TYPE_CHECKING:
    from tvb.simulator.simulator import Simulator

_RANK_BY = ("absolute", "decrease", "increase")


def lesion_weights(weights: np.ndarray, region: int) -> np.ndarray:
    """Copy of ``weights`` with all connections to and from ``region`` set to zero.

    Parameters
    ----------
    weights : ndarray, shape (n_region, n_region)
        Structural connectivity, ``weights[i, j]`` from region j to region i (TVB's convention).
    region : int
        Index of the region to disconnect.

    Returns
    -------
    ndarray, shape (n_region, n_region)
        The weights with the lesioned region's row and column set to zero.
    """
    lesioned = np.array(weights, dtype=float, copy=True)
    lesioned[region, :] = 0.0
    lesioned[:, region] = 0.0
    return lesioned


def simulator_function(
    simulator: Simulator,
    simulation_length: float,
    transient_ms: float = 0.0,
    variable: int = 0,
    monitor: int = 0,
    backend: object | None = None,
    seed: int = 0,
) -> Callable[[np.ndarray], np.ndarray]:
    """Turn a TVB ``Simulator`` into a function ``weights -> (n_time, n_region) signals``.

    Every call runs a fresh copy of ``simulator`` with its connectivity's weights replaced. All
    runs start from the same initial history (the simulator's ``initial_conditions``, or else a
    state drawn once, uniformly in the model's ``state_variable_range`` with ``seed``, held
    constant over the history) and, for stochastic integrators, draw the same noise, so that
    differences between runs come from the weights alone.

    Parameters
    ----------
    simulator : tvb.simulator.simulator.Simulator
        A simulator with model, connectivity, coupling, integrator and monitors set.
    simulation_length : float
        Length of each run in ms.
    transient_ms : float
        Initial time in ms dropped from the output.
    variable : int
        Index of the monitored variable of interest to return (e.g. 0 for ``r_e``).
    monitor : int
        Index of the monitor whose output is returned.
    backend : object, optional
        Anything with ``run_sim(sim, simulation_length=T)`` returning what ``sim.run`` returns
        (e.g. a fast engine); None uses ``simulator.run``.
    seed : int
        Seed of the initial state when the simulator has no ``initial_conditions``.

    Returns
    -------
    callable
        ``simulate(weights)`` returning the chosen variable, shape (n_time, n_region), with the
        time step of the monitor.
    """
    if not (np.isfinite(simulation_length) and simulation_length > transient_ms >= 0):
        raise ValueError(
            "Invalid value for the 'simulation_length' parameter. Allowed values are > "
            f"transient_ms >= 0 ms, but got simulation_length={simulation_length!r}, "
            f"transient_ms={transient_ms!r} instead."
        )
    template = copy.deepcopy(simulator)
    template.current_step = 0
    if template.initial_conditions is None:
        template.initial_conditions = _initial_history(template, seed)

    def simulate(weights: np.ndarray) -> np.ndarray:
        sim = copy.deepcopy(template)
        sim.connectivity.weights = np.asarray(weights, dtype=float)
        sim.configure()
        if backend is None:
            outputs = sim.run(simulation_length=simulation_length)
        else:
            outputs = backend.run_sim(sim, simulation_length=simulation_length)
        time, data = outputs[monitor]
        return np.asarray(data[np.asarray(time) >= transient_ms, variable, :, 0])

    return simulate


def _initial_history(simulator, seed: int) -> np.ndarray:
    """History constant in time, each region's state uniform in the model's ranges."""
    # configured for its history's shape; drawing nothing from NumPy's global generator
    probe = configure_seeded(copy.deepcopy(simulator), seed)
    n_time, n_var, n_region, n_mode = probe.good_history_shape
    model = probe.model
    bounds = np.array([model.state_variable_range[name] for name in model.state_variables])
    state = np.random.default_rng(seed).uniform(
        bounds[:, :1, None], bounds[:, 1:, None], size=(n_var, n_region, n_mode)
    )
    return np.broadcast_to(state, (n_time, n_var, n_region, n_mode)).copy()


@dataclass(frozen=True)
class LesionRanking:
    """Result of `virtual_lesion_ranking`.

    Parameters
    ----------
    regions : ndarray of int, shape (n_lesion,)
        The lesioned regions, in the order they were tested.
    intact : ndarray, shape (n_lesion,)
        The measure on the intact network's output without the lesioned region.
    lesioned : ndarray, shape (n_lesion,)
        The measure on the lesioned network's output without the lesioned region.
    ranking : ndarray of int
        Region indices, most affecting first (ties keep the order of ``regions``).
    labels : list of str or None
        Region labels, when given.
    """

    regions: np.ndarray
    intact: np.ndarray
    lesioned: np.ndarray
    ranking: np.ndarray
    labels: list[str] | None = None

    @property
    def change(self) -> np.ndarray:
        """Lesioned minus intact measure for each tested region, shape (n_lesion,)."""
        return self.lesioned - self.intact

    def ranked_labels(self) -> list[str]:
        """Labels of the regions in ranking order (indices as text when no labels were given)."""
        if self.labels is None:
            return [str(r) for r in self.ranking]
        return [self.labels[r] for r in self.ranking]


def _drop_region(output: np.ndarray, region: int, region_axes: Sequence[int]) -> np.ndarray:
    for axis in region_axes:
        output = np.delete(output, region, axis=axis)
    return output


def _check_lesion_inputs(weights, regions, rank_by, labels) -> tuple[np.ndarray, np.ndarray]:
    weights = np.asarray(weights, dtype=float)
    if weights.ndim != 2 or weights.shape[0] != weights.shape[1]:
        raise ValueError(
            "Invalid shape for the 'weights' parameter. Allowed is (n_region, n_region), "
            f"but got {weights.shape}."
        )
    n = weights.shape[0]
    regions = np.arange(n) if regions is None else np.asarray(regions)
    if regions.ndim != 1 or not np.issubdtype(regions.dtype, np.integer) or regions.size == 0:
        raise ValueError(
            "Invalid value for the 'regions' parameter. Allowed is a non-empty list of region "
            f"indices, but got {regions!r} instead."
        )
    if ((regions < 0) | (regions >= n)).any():
        raise ValueError(
            "Invalid value for the 'regions' parameter. Allowed are indices 0.."
            f"{n - 1}, but got {regions.tolist()!r} instead."
        )
    check_choice("rank_by", rank_by, _RANK_BY)
    if labels is not None and len(labels) != n:
        raise ValueError(
            f"Invalid value for the 'labels' parameter. Allowed is one label per region ({n}), "
            f"but got {len(labels)}."
        )
    return weights, regions


def virtual_lesion_ranking(
    simulate: Callable[[np.ndarray], np.ndarray] | Simulator,
    weights: np.ndarray | None = None,
    measure: Callable[[np.ndarray], float] = mean_functional_connectivity,
    regions: Sequence[int] | None = None,
    rank_by: str = "absolute",
    region_axes: Sequence[int] = (-1,),
    labels: Sequence[str] | None = None,
    simulation_length: float | None = None,
    progress: bool = True,
) -> LesionRanking:
    """Rank regions by how much disconnecting each one changes a network measure.

    For each region k, all its incoming and outgoing connections are removed (`lesion_weights`)
    and the network is simulated again. The measure is compared on the outputs of the intact
    and the lesioned network, both without region k, so that the comparison is between the same
    regions (a disconnected region would otherwise bias measures such as the mean FC).

    Parameters
    ----------
    simulate : callable or tvb.simulator.simulator.Simulator
        ``simulate(weights) -> output``, any model or proxy (e.g. a linearised model's FC); the
        output's axes listed in ``region_axes`` index regions. A TVB ``Simulator`` is wrapped by
        `simulator_function` (first monitor, first variable of interest, default settings);
        ``simulation_length`` (ms) is then required and ``weights`` defaults to its
        connectivity's weights.
    weights : ndarray, shape (n_region, n_region), optional
        Intact structural connectivity, ``weights[i, j]`` from j to i.
    measure : callable
        ``measure(output) -> float``. Default: the mean off-diagonal functional connectivity of
        signals shaped (n_time, n_region).
    regions : sequence of int, optional
        Regions to lesion; all by default.
    rank_by : {'absolute', 'decrease', 'increase'}
        Order by the size of the change, by the largest decrease, or by the largest increase.
    region_axes : sequence of int
        Axes of ``simulate``'s output that index regions: ``(-1,)`` for time series,
        ``(0, 1)`` for a connectivity-like matrix.
    labels : sequence of str, optional
        Region labels carried into the result.
    simulation_length : float, optional
        Run length in ms, only with a TVB ``Simulator``.
    progress : bool
        Show a progress bar (one step per lesion).

    Returns
    -------
    LesionRanking
        Changes that are NaN (an undefined measure) are ranked last.

    Warns
    -----
    UndefinedMeasureWarning
        Once, instead of one per evaluation, when the measure warned that it is undefined (e.g.
        the mean FC of regions sitting at a fixed point), naming the lesions concerned.
    """
    simulate, weights = _as_simulate_function(simulate, weights, simulation_length)
    weights, regions = _check_lesion_inputs(weights, regions, rank_by, labels)

    intact_output = np.asarray(simulate(weights))
    intact, lesioned = np.empty(regions.size), np.empty(regions.size)
    undefined: dict[int, str] = {}
    for n, region in enumerate(tqdm(regions, desc="virtual lesions", disable=not progress)):
        output = np.asarray(simulate(lesion_weights(weights, region)))
        for values, run in ((intact, intact_output), (lesioned, output)):
            values[n], message = _quiet_measure(measure, _drop_region(run, region, region_axes))
            if message is not None:
                undefined.setdefault(int(region), message)
    if undefined:
        first = next(iter(undefined.items()))
        warn_undefined(
            f"virtual_lesion_ranking: the measure is undefined or partly undefined with the "
            f"lesions of {len(undefined)} regions {sorted(undefined)}; for region {first[0]} "
            f"(indices counted without it): {first[1]}",
            tuple(undefined),
        )
    change = lesioned - intact
    key = {"absolute": -np.abs(change), "decrease": change, "increase": -change}[rank_by]
    ranking = regions[np.argsort(key, kind="stable")]
    labels = None if labels is None else [str(label) for label in labels]
    return LesionRanking(regions, intact, lesioned, ranking, labels)


def _quiet_measure(measure: Callable, output: np.ndarray) -> tuple[float, str | None]:
    """``measure(output)`` and the text of its `UndefinedMeasureWarning`, if any (not shown)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        value = measure(output)
    message = None
    for warning in caught:
        if issubclass(warning.category, UndefinedMeasureWarning):
            message = str(warning.message) if message is None else message
        else:  # anything else is passed on unchanged
            warnings.warn_explicit(
                warning.message, warning.category, warning.filename, warning.lineno
            )
    return value, message


def _as_simulate_function(simulate, weights, simulation_length):
    # deferred: TVB's simulator imports all of TVB's model families (1.3 s)
    from tvb.simulator.simulator import Simulator  # noqa: PLC0415

    if isinstance(simulate, Simulator):
        if simulation_length is None:
            raise ValueError(
                "Invalid value for the 'simulation_length' parameter. Allowed is a length in ms "
                "when 'simulate' is a TVB Simulator, but got None."
            )
        if weights is None:
            weights = simulate.connectivity.weights
        return simulator_function(simulate, simulation_length), weights
    if not callable(simulate):
        raise TypeError(
            "Invalid type for the 'simulate' parameter. Allowed are a callable "
            f"simulate(weights) or a TVB Simulator, but got {type(simulate).__name__}."
        )
    if weights is None:
        raise ValueError(
            "Invalid value for the 'weights' parameter. Allowed is an (n_region, n_region) array "
            "when 'simulate' is a function, but got None."
        )
    return simulate, weights


def linear_stochastic_fc(weights: np.ndarray, coupling: float, noise: float = 1.0) -> np.ndarray:
    """FC of the linear stochastic network ``dx/dt = -x + coupling W x + noise``: a cheap proxy.

    The stationary covariance S solves the Lyapunov equation ``A S + S A^T + noise^2 I = 0``
    with ``A = -I + coupling W`` (time in units of the nodes' time constant). It stands in for a
    simulation when ranking many lesions (Honey & Sporns 2008 use such linear models).

    Parameters
    ----------
    weights : ndarray, shape (n_region, n_region)
        ``weights[i, j]`` from j to i.
    coupling : float
        Global coupling; the network must be stable, i.e. every eigenvalue of ``coupling W``
        has real part < 1.
    noise : float
        Noise amplitude (the FC does not depend on it; kept for the covariance's scale).

    Returns
    -------
    ndarray, shape (n_region, n_region)
        Correlation matrix of the stationary fluctuations.
    """
    weights = np.asarray(weights, dtype=float)
    if weights.ndim != 2 or weights.shape[0] != weights.shape[1]:
        raise ValueError(
            "Invalid shape for the 'weights' parameter. Allowed is (n_region, n_region), "
            f"but got {weights.shape}."
        )
    drift = -np.eye(weights.shape[0]) + coupling * weights
    growth = np.linalg.eigvals(drift).real.max()
    if growth >= 0:
        raise ValueError(
            "Invalid value for the 'coupling' parameter. Allowed are values for which the linear "
            f"network is stable (largest real part of -I + coupling W < 0), but got {coupling!r} "
            f"(largest real part {growth:.3g})."
        )
    covariance = solve_continuous_lyapunov(drift, -(noise**2) * np.eye(weights.shape[0]))
    scale = np.sqrt(np.diag(covariance))
    return covariance / np.outer(scale, scale)
