"""Focal stimulation: when does activity reach each region after a stimulus?"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from .._util import check_choice, pyplot
from ._signal_checks import (
    CONSTANT_RTOL,
    check_positive,
    check_series,
    describe_regions,
    warn_undefined,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

_KINDS = ("absolute", "std", "ratio")


@dataclass(frozen=True)
class PropagationResult:
    """Result of `propagation_onsets`.

    Parameters
    ----------
    onset_ms : ndarray, shape (n_region,)
        Onset time of each region in ms after the stimulus onset; NaN for regions never
        recruited.
    recruited : ndarray of bool, shape (n_region,)
        Whether the region crossed its threshold after the stimulus onset.
    baseline : ndarray, shape (n_region,)
        Mean of each region's signal over the baseline window (signal units).
    level : ndarray, shape (n_region,)
        The threshold level each region had to exceed (signal units).
    """

    onset_ms: np.ndarray
    recruited: np.ndarray
    baseline: np.ndarray
    level: np.ndarray

    def order(self) -> np.ndarray:
        """Indices of the recruited regions, earliest first (ties keep the region order)."""
        recruited = np.flatnonzero(self.recruited)
        return recruited[np.argsort(self.onset_ms[recruited], kind="stable")]


def _check_options(kind: str, threshold: float, min_duration_ms: float) -> None:
    check_choice("kind", kind, _KINDS)
    smallest = 1.0 if kind == "ratio" else 0.0
    if not (np.isfinite(threshold) and threshold > smallest):
        raise ValueError(
            f"Invalid value for the 'threshold' parameter. Allowed values with kind={kind!r} are "
            f"> {smallest:g}, but got {threshold!r} instead."
        )
    if not (np.isfinite(min_duration_ms) and min_duration_ms >= 0):
        raise ValueError(
            "Invalid value for the 'min_duration_ms' parameter. Allowed values are >= 0 ms, "
            f"but got {min_duration_ms!r} instead."
        )


def _baseline_window(n_time: int, dt: float, onset_ms: float, baseline_ms: float | None) -> slice:
    onset = int(np.ceil(onset_ms / dt - 1e-9))
    if not (np.isfinite(onset_ms) and 1 <= onset < n_time):
        raise ValueError(
            "Invalid value for the 'stimulus_onset_ms' parameter. Allowed are times after the "
            f"first sample and before the end of the series (0 < t < {n_time * dt:g} ms), "
            f"but got {onset_ms!r} instead."
        )
    if baseline_ms is None:
        return slice(0, onset)
    n_base = int(round(check_positive(baseline_ms, "baseline_ms") / dt))
    if not 1 <= n_base <= onset:
        raise ValueError(
            "Invalid value for the 'baseline_ms' parameter. Allowed are 1 sample up to the "
            f"{onset * dt:g} ms before the stimulus, but got {baseline_ms!r} instead."
        )
    return slice(onset - n_base, onset)


def propagation_onsets(
    data: np.ndarray,
    dt: float,
    stimulus_onset_ms: float,
    threshold: float,
    kind: str = "absolute",
    baseline_ms: float | None = None,
    min_duration_ms: float = 0.0,
) -> PropagationResult:
    """Onset time of each region after a focal stimulus: its first crossing of a threshold.

    A region's baseline is the mean (and standard deviation) of its signal in the window just
    before the stimulus. Its onset is the first sample at or after the stimulus onset at which
    the signal exceeds (strictly) the level

    - ``kind='absolute'``: baseline + threshold (signal units, e.g. kHz for rates);
    - ``kind='std'``: baseline + threshold × baseline standard deviation. The standard
      deviation is floored at ``2.2e-14 × max |baseline window|``, the tolerance below which a
      signal counts as numerically constant (the rule shared by all measures): a region
      sitting at a fixed point is not recruited by rounding errors, while an exactly zero
      baseline makes any increase count;
    - ``kind='ratio'``: threshold × baseline (threshold > 1, e.g. 2 for a doubling). A zero
      baseline makes any increase count; a ratio to a negative baseline is undefined, so such a
      region gets NaN level and onset (not recruited) and an `UndefinedMeasureWarning`.

    and stays above it for at least ``min_duration_ms`` (0 accepts a single sample).

    Parameters
    ----------
    data : ndarray, shape (n_time, n_region)
        Signals, e.g. rates ``r_e`` in kHz, sampled every ``dt`` ms; sample k is at time
        ``k * dt`` ms (pass the samples from the start of the simulation or shift
        ``stimulus_onset_ms`` accordingly).
    dt : float
        Sampling interval in ms.
    stimulus_onset_ms : float
        Stimulus onset in ms, measured from the first sample; the baseline lies before it.
    threshold : float
        Threshold, interpreted according to ``kind``.
    kind : {'absolute', 'std', 'ratio'}
        How the threshold relates to the baseline.
    baseline_ms : float, optional
        Length in ms of the baseline window before the stimulus; None uses all samples before.
    min_duration_ms : float
        Time in ms the signal must stay above the level for a crossing to count.

    Returns
    -------
    PropagationResult
        Onsets in ms after the stimulus onset (NaN and ``recruited=False`` for regions that never
        cross), the baselines and the levels.

    Raises
    ------
    ValueError
        If ``data`` holds NaN or inf or fewer than 2 samples, or an option is invalid.

    Warns
    -----
    UndefinedMeasureWarning
        With ``kind='ratio'``, once, naming the regions whose baseline is negative.
    """
    data = check_series(data, "data", ndim=(2,))
    dt = check_positive(dt, "dt")
    _check_options(kind, threshold, min_duration_ms)
    window = _baseline_window(data.shape[0], dt, stimulus_onset_ms, baseline_ms)
    baseline, level = _baseline_and_level(data[window], threshold, kind)
    start = window.stop
    above = data[start:] > level
    n_hold = int(np.ceil(min_duration_ms / dt - 1e-9)) + 1
    if n_hold > 1:  # above for n_hold consecutive samples from k on
        run = np.cumsum(np.vstack([np.zeros((1, above.shape[1])), above]), axis=0)
        held = run[n_hold:] - run[:-n_hold] == n_hold
        above = np.vstack([held, np.zeros((n_hold - 1, above.shape[1]), dtype=bool)])
    recruited = above.any(axis=0)
    first = np.argmax(above, axis=0)
    onset_ms = np.where(recruited, (start + first) * dt - stimulus_onset_ms, np.nan)
    return PropagationResult(onset_ms, recruited, baseline, level)


def _baseline_and_level(
    before: np.ndarray, threshold: float, kind: str
) -> tuple[np.ndarray, np.ndarray]:
    """Baseline mean and the level each region must exceed (NaN for a ratio to a negative).

    Mean and standard deviation are taken relative to the first sample, so that rounding in
    the mean of a long constant baseline does not pass for a fluctuation.
    """
    shifted = before - before[:1]
    baseline = before[0] + shifted.mean(axis=0)
    if kind == "absolute":
        return baseline, baseline + threshold
    if kind == "std":
        floor = CONSTANT_RTOL * np.abs(before).max(axis=0)
        return baseline, baseline + threshold * np.maximum(shifted.std(axis=0), floor)
    negative = baseline < 0
    if negative.any():
        warn_undefined(
            f"propagation_onsets: the baseline of {describe_regions(negative)} negative, so a "
            "ratio to it is undefined; their level and onset are NaN.",
            negative,
            stacklevel=4,
        )
    return baseline, np.where(negative, np.nan, threshold * baseline)


def plot_propagation(
    result: PropagationResult,
    labels: list[str] | None = None,
    ax: Axes | None = None,
    show: bool = True,
) -> Figure:
    """Onset time of each recruited region, earliest at the top; never-recruited ones listed.

    Parameters
    ----------
    result : PropagationResult
        From `propagation_onsets`.
    labels : sequence of str, optional
        Region labels; indices when None.
    ax : matplotlib Axes, optional
        Axes to draw into; a new figure is made when None.
    show : bool
        Call ``plt.show()`` at the end.

    Returns
    -------
    matplotlib.figure.Figure
        The figure drawn.
    """
    plt = pyplot("plot_propagation")
    n_region = result.onset_ms.size
    labels = [str(k) for k in range(n_region)] if labels is None else [str(x) for x in labels]
    if len(labels) != n_region:
        raise ValueError(
            f"Invalid value for the 'labels' parameter. Allowed is one label per region "
            f"({n_region}), but got {len(labels)}."
        )
    order = result.order()
    if ax is None:
        fig, ax = plt.subplots(figsize=(5, 0.25 * max(order.size, 4) + 1))
    else:
        fig = ax.figure
    ax.barh(np.arange(order.size), result.onset_ms[order], color="tab:red")
    ax.set_yticks(np.arange(order.size), [labels[k] for k in order])
    ax.invert_yaxis()
    ax.set_xlabel("onset after stimulus (ms)")
    never = n_region - order.size
    ax.set_title(
        f"recruited {order.size} of {n_region} regions" + (f", {never} never" * bool(never))
    )
    if show:
        plt.show()
    return fig
