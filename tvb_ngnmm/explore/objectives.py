"""Objectives of a fit: losses that compare one member's simulated output with empirical data.

An objective is a picklable object called on one point's monitor outputs (a list of
``xarray.DataArray``, dims ``(time, state_variable, region)``, time in ms, as the measures of
:mod:`.reduce` receive them) on the worker. It returns ``{'loss': value, **components}``.

Sign convention: every loss is to be **minimised**, is >= 0 and is 0 for a perfect match.

- :class:`FCCorrelation` — ``1 - r``, r the Pearson correlation between the upper triangles
  (without the diagonal) of the simulated and target FC; r is recorded as ``fc_correlation``.
- :class:`FCDistance` — root mean square (or Frobenius norm) of the difference of the FCs.
- :class:`FCLevel` — ``|mean FC - mean target FC|``, the difference of the FC levels (means
  of the upper triangles, without the diagonal); the simulated level is ``fc_mean``.
- :class:`FCDDistance` — Kolmogorov–Smirnov statistic between the distributions of the FCD
  upper-triangle values (simulated vs target; the target as a time series or as FCD values).
- :class:`SpectralPeak` — ``|f - f_target|`` in Hz, f the peak of the regions' mean spectrum;
  f is recorded as ``peak_frequency`` (Hz).
- :func:`combine` (or ``w1 * obj1 + w2 * obj2``) — the weighted sum of the terms' losses,
  each recorded as ``loss_<name>``.

Each of these but :func:`combine` takes ``transient`` (ms, default 0): the samples of its
monitor's output at times < ``transient`` (the monitors' times, from 0 ms for a simulator at
step 0) are dropped before anything is computed, e.g. the hemodynamic transient of BOLD; a
transient that leaves too little of the run is refused by ``check_simulator``, before any run.

Where a loss is undefined (a numerically constant signal has no correlation, a flat spectrum
no peak, a run that produced NaN) it is NaN and one ``UndefinedMeasureWarning`` says why (the
rule of :mod:`tvb_ngnmm.analysis._signal_checks`); on the workers the warning is dropped and
the NaN is the record. :func:`objective_from_config` builds an objective from plain dicts (a
TOML table).
"""

from __future__ import annotations

import copy
import hashlib
import inspect
from pathlib import Path

import numpy as np
from scipy.stats import ks_2samp

from .._util import check_choice


def _bad(name: str, allowed: str, given) -> ValueError:
    return ValueError(
        f"Invalid value for the {name!r} parameter. Allowed {allowed}, but got {given} instead."
    )


def _upper(matrix: np.ndarray) -> np.ndarray:
    return matrix[np.triu_indices(matrix.shape[0], k=1)]


def _digest(array: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(array, dtype=float).tobytes()).hexdigest()[:12]


def check_target_fc(target, name: str = "target_fc") -> np.ndarray:
    """``target`` as an n_region × n_region correlation matrix (n_region >= 3): finite,
    symmetric, with a unit diagonal and values in [-1, 1] (to within 1e-6)."""
    try:
        fc = np.asarray(target, dtype=float)
    except (TypeError, ValueError):
        raise _bad(name, "is a numeric n_region × n_region matrix", repr(target)) from None
    if fc.ndim != 2 or fc.shape[0] != fc.shape[1] or fc.shape[0] < 3:
        raise _bad(name, "is a square n_region × n_region matrix with n_region >= 3",
                   f"shape {fc.shape}")  # fmt: skip
    if not np.isfinite(fc).all():
        raise _bad(name, "are finite values", f"{int((~np.isfinite(fc)).sum())} NaN or inf")
    asymmetry = float(np.abs(fc - fc.T).max())
    if asymmetry > 1e-8 * max(1.0, float(np.abs(fc).max())):
        raise _bad(name, "is a symmetric matrix", f"one with max |fc - fc.T| = {asymmetry:.3g}")
    diagonal = np.diag(fc)
    off = np.abs(diagonal - 1.0) > 1e-6
    if off.any():
        k = int(np.argmax(off))
        raise _bad(name, "is a correlation matrix, whose diagonal is 1 (set a zeroed diagonal "
                   "to 1)", f"{diagonal[k]:g} at [{k}, {k}]")  # fmt: skip
    beyond = np.abs(fc) > 1.0 + 1e-6
    if beyond.any():
        i, j = np.argwhere(beyond)[0]
        raise _bad(name, "is a correlation matrix, whose values lie in [-1, 1] (not Fisher "
                   "z-transformed)", f"{fc[i, j]:g} at [{i}, {j}]")  # fmt: skip
    return fc


def _is_bold(output) -> bool:
    return "bold" in str(output.name).lower()


def _choose_output(outputs, monitor: int | None, prefer_bold: bool):
    """The monitor output used: ``monitor`` if given, else BOLD or non-BOLD as preferred."""
    if monitor is not None:
        return outputs[monitor]
    preferred = [o for o in outputs if _is_bold(o) == prefer_bold]
    return (preferred or list(outputs))[0]


def _check_transient(transient, name: str = "transient") -> float:
    """``transient`` (ms) as a float, or raise if it is not a finite number >= 0."""
    number = isinstance(transient, int | float | np.integer | np.floating)
    if isinstance(transient, bool) or not number or not (np.isfinite(transient) and transient >= 0):
        raise _bad(name, "are finite numbers >= 0 (ms)", repr(transient))
    return float(transient)


def _after_transient(output, transient: float):
    """``output`` without its samples at times < ``transient`` (ms)."""
    if transient == 0.0:
        return output
    return output.isel(time=np.flatnonzero(np.asarray(output.time.values) >= transient))


def _series(outputs, monitor, variable, prefer_bold: bool, who: str, transient: float = 0.0):
    """(data (time, region), dt in ms) of one variable after ``transient`` ms, or None (with a
    warning) if not finite or shorter than 2 samples."""
    # deferred: the analysis package imports scipy.signal, which sweep workers need not load
    from ..analysis import warn_undefined  # noqa: PLC0415

    output = _choose_output(outputs, monitor, prefer_bold)
    dt = float(output.time.values[1] - output.time.values[0])
    output = _after_transient(output, transient)
    variable = output.state_variable.values[0] if variable is None else variable
    data = np.asarray(output.sel(state_variable=variable).values, dtype=float)
    if len(data) < 2:
        warn_undefined(f"{who}: {len(data)} sample(s) after the transient of {transient:g} ms, "
                       "so the loss is undefined and NaN.", stacklevel=4)  # fmt: skip
        return None
    if not np.isfinite(data).all():
        warn_undefined(f"{who}: the simulated signal holds NaN or inf, so the loss is undefined "
                       "and NaN.", stacklevel=4)  # fmt: skip
        return None
    return data, dt


class AbstractObjective:
    """A loss of one member's outputs, minimised by :func:`~tvb_ngnmm.explore.fit`.

    Subclasses set :attr:`name` and implement :meth:`evaluate`; ``+`` and ``*`` build weighted
    sums (:class:`Combined`).
    """

    name = "objective"

    def evaluate(self, outputs) -> dict:
        """``{'loss': float, **components}`` of one member's outputs: a dict of numbers named
        by strings (NaN where undefined); :func:`fit` refuses, before anything runs, an
        objective that returns anything else or raises on outputs shaped as the monitors'.

        Parameters
        ----------
        outputs : list of xarray.DataArray
            One member's monitor outputs, one per monitor of the simulator, in its order (dims
            ``time`` in ms, ``state_variable`` and the monitor's space).
        """
        raise NotImplementedError

    def check_simulator(self, sim, simulation_length: float) -> None:
        """Raise ``ValueError`` if the objective cannot apply to the simulator's output.

        Parameters
        ----------
        sim : tvb.simulator.simulator.Simulator
            The simulator the objective will judge.
        simulation_length : float
            Length of each run (ms).
        """

    def terms(self) -> list:
        """``[(objective, weight)]``: the terms of a weighted sum (itself, weight 1)."""
        return [(self, 1.0)]

    def with_data(self, dataset, subjects=None) -> AbstractObjective:
        """The same objective with its targets taken from a dataset's subjects.

        Parameters
        ----------
        dataset : tvb_ngnmm.datasets.Dataset
            The empirical data.
        subjects : sequence of str, optional
            The subjects whose data make the target (a training group, one held-out subject);
            default all of the dataset's.

        Returns
        -------
        AbstractObjective
            A copy: FC objectives target the group FC of ``subjects``
            (:meth:`~tvb_ngnmm.datasets.Dataset.group_fc`), :class:`FCDDistance` their FCD
            values pooled (each session's FCD with the objective's window and step), a weighted
            sum each of its terms; an objective without an empirical target is returned as is.
        """
        return self

    def __call__(self, outputs) -> dict:
        return self.evaluate(outputs)

    def __add__(self, other):
        if not isinstance(other, AbstractObjective):
            return NotImplemented
        return Combined(self.terms() + other.terms())

    def __mul__(self, weight):
        if isinstance(weight, AbstractObjective):
            return NotImplemented
        return Combined([(term, w * _check_weight(weight)) for term, w in self.terms()])

    __rmul__ = __mul__

    def __repr__(self) -> str:
        options = ", ".join(f"{k}={v!r}" for k, v in self._options().items())
        return f"{type(self).__name__}({options})"

    def _options(self) -> dict:
        return {}


class _SignalObjective(AbstractObjective):
    """An objective of one variable of one monitor (BOLD first when ``prefer_bold``)."""

    prefer_bold = True

    def __init__(self, variable: str | None = None, monitor: int | None = None,
                 transient: float = 0.0):  # fmt: skip
        if monitor is not None and (isinstance(monitor, bool) or not isinstance(monitor, int)):
            raise _bad("monitor", "are None or the index of a monitor (int)", repr(monitor))
        self.variable = variable
        self.monitor = monitor
        self.transient = _check_transient(transient)

    def check_simulator(self, sim, simulation_length: float) -> None:
        if self.monitor is not None and not 0 <= self.monitor < len(sim.monitors):
            raise _bad("monitor", f"are indices 0..{len(sim.monitors) - 1} of the simulator's "
                       "monitors", repr(self.monitor))  # fmt: skip
        names = list(sim.model.variables_of_interest)
        if self.variable is not None and self.variable not in names:
            raise _bad("variable", f"are the monitored variables {names}", repr(self.variable))
        if self.transient > 0:
            self._check_transient_leaves_enough(sim, simulation_length)

    def _check_transient_leaves_enough(self, sim, simulation_length: float) -> None:
        """Refuse a transient that leaves the chosen monitor less than :meth:`_needed_ms`."""
        monitors = list(sim.monitors)
        if self.monitor is not None:
            monitor = monitors[self.monitor]
        else:
            preferred = [m for m in monitors
                         if ("bold" in type(m).__name__.lower()) == self.prefer_bold]  # fmt: skip
            monitor = (preferred or monitors)[0]
        dt = float(sim.integrator.dt)
        period = float(getattr(monitor, "period", None) or dt)
        start = int(sim.current_step) * dt  # the monitors' times run on from the current step
        needed = self._needed_ms(period)
        latest = start + simulation_length - needed
        if start + simulation_length - max(self.transient, start) < needed:
            raise _bad("transient", f"are transients (ms) leaving at least {needed:g} ms of the "
                       f"{type(monitor).__name__} monitor's output (period {period:g} ms) in "
                       f"the run of {simulation_length:g} ms from {start:g} ms: at most "
                       f"{max(latest, 0.0):g} ms", f"{self.transient:g}")  # fmt: skip

    def _needed_ms(self, period: float) -> float:
        """Length of output (ms) the objective needs: 2 samples by default."""
        return 2 * period

    def _options(self) -> dict:
        options = {"variable": self.variable, "monitor": self.monitor}
        if self.transient > 0:  # without one, recorded as before (a fit's store resumes)
            options["transient"] = self.transient
        return options


class _FCObjective(_SignalObjective):
    def __init__(self, target_fc, variable=None, monitor=None, transient=0.0):
        super().__init__(variable, monitor, transient)
        self.target_fc = check_target_fc(target_fc)

    def check_simulator(self, sim, simulation_length: float) -> None:
        super().check_simulator(sim, simulation_length)
        n_region = int(sim.connectivity.number_of_regions)
        if self.target_fc.shape != (n_region, n_region):
            raise _bad("target_fc", f"is an n_region × n_region matrix ({n_region} regions)",
                       f"shape {self.target_fc.shape}")  # fmt: skip

    def _simulated_fc(self, outputs):
        """Upper triangle of the simulated FC, or None (with a warning) where undefined."""
        # deferred: the analysis package imports scipy.signal, which sweep workers need not load
        from ..analysis import functional_connectivity  # noqa: PLC0415

        signal = _series(outputs, self.monitor, self.variable, self.prefer_bold, self.name,
                         self.transient)  # fmt: skip
        if signal is None:
            return None
        fc = functional_connectivity(signal[0])  # warns of constant regions
        if fc.shape != self.target_fc.shape:
            raise _bad("target_fc", f"is an n_region × n_region matrix ({fc.shape[0]} regions "
                       "simulated)", f"shape {self.target_fc.shape}")  # fmt: skip
        upper = _upper(fc)
        return None if np.isnan(upper).any() else upper

    def _options(self) -> dict:
        return {**super()._options(), "target_fc": f"<sha256 {_digest(self.target_fc)}>"}

    def with_data(self, dataset, subjects=None) -> AbstractObjective:
        group = dataset if subjects is None else dataset.subset(subjects)
        target = check_target_fc(group.group_fc())
        if target.shape != self.target_fc.shape:
            raise _bad("dataset", f"is a dataset of {len(self.target_fc)} regions (the "
                       "objective's target FC)", f"{len(target)} regions")  # fmt: skip
        copied = copy.copy(self)
        copied.target_fc = target
        return copied


class FCCorrelation(_FCObjective):
    """``1 - r``: r the Pearson correlation of the simulated and target FC's upper triangles.

    Parameters
    ----------
    target_fc : array_like, shape (n_region, n_region)
        Empirical FC, a correlation matrix (finite, symmetric, unit diagonal, values in
        [-1, 1]); its upper triangle must not be constant.
    variable : str, optional
        Monitored variable (default the monitor's first).
    monitor : int, optional
        Index of the monitor; default the first BOLD monitor, else the first monitor.
    transient : float
        Samples of the monitor's output at times < ``transient`` (ms) are dropped first (the
        monitors' times: a run of a simulator at step 0 starts at 0 ms); >= 0, default 0.
        A transient leaving the run fewer than 2 samples is refused before anything runs.

    Notes
    -----
    The loss lies in [0, 2]; ``fc_correlation`` records r. NaN, with an
    ``UndefinedMeasureWarning``, when a region is numerically constant or all simulated
    pairs are equally correlated.
    """

    name = "fc_correlation"

    def __init__(self, target_fc, variable: str | None = None, monitor: int | None = None,
                 transient: float = 0.0):  # fmt: skip
        # deferred: the analysis package imports scipy.signal, which sweep workers need not load
        from ..analysis import constant_signals  # noqa: PLC0415

        super().__init__(target_fc, variable, monitor, transient)
        if constant_signals(_upper(self.target_fc)):
            raise _bad("target_fc", "is a matrix whose off-diagonal entries vary (else r is "
                       "undefined)", "constant off-diagonal entries")  # fmt: skip

    def evaluate(self, outputs) -> dict:
        """The loss and its components for one run's outputs.

        See :meth:`AbstractObjective.evaluate`.

        Parameters
        ----------
        outputs : list of xarray.DataArray
            One member's monitor outputs, one per monitor of the simulator, in its order (dims
            ``time`` in ms, ``state_variable`` and the monitor's space).
        """
        upper = self._simulated_fc(outputs)
        r = np.nan if upper is None else _pearson(upper, _upper(self.target_fc), self.name)
        return {"loss": 1.0 - r, "fc_correlation": r}


def _pearson(simulated: np.ndarray, target: np.ndarray, who: str) -> float:
    # deferred: the analysis package imports scipy.signal, which sweep workers need not load
    from ..analysis import CONSTANT_REASON, constant_signals, warn_undefined  # noqa: PLC0415

    if constant_signals(simulated):
        warn_undefined(f"{who}: the simulated FC's upper triangle is {CONSTANT_REASON} "
                       "(every pair equally correlated), so r is undefined and NaN.",
                       stacklevel=4)  # fmt: skip
        return np.nan
    return float(np.corrcoef(simulated, target)[0, 1])


class FCDistance(_FCObjective):
    """Distance between the simulated and target FC (root mean square of the upper triangle).

    Parameters
    ----------
    target_fc : array_like, shape (n_region, n_region)
        Empirical FC, a correlation matrix (finite, symmetric, unit diagonal, values in
        [-1, 1]).
    metric : {'rms', 'frobenius'}
        ``'rms'``: root mean square difference over the upper triangle (no diagonal);
        ``'frobenius'``: Frobenius norm of the difference of the off-diagonal entries.
    variable, monitor, transient
        As for :class:`FCCorrelation`.
    """

    name = "fc_distance"

    def __init__(self, target_fc, metric: str = "rms", variable=None, monitor=None,
                 transient: float = 0.0):  # fmt: skip
        super().__init__(target_fc, variable, monitor, transient)
        self.metric = check_choice("metric", metric, ("rms", "frobenius"))

    def evaluate(self, outputs) -> dict:
        """The loss and its components for one run's outputs.

        See :meth:`AbstractObjective.evaluate`.

        Parameters
        ----------
        outputs : list of xarray.DataArray
            One member's monitor outputs, one per monitor of the simulator, in its order (dims
            ``time`` in ms, ``state_variable`` and the monitor's space).
        """
        upper = self._simulated_fc(outputs)
        if upper is None:
            return {"loss": np.nan}
        squared = (upper - _upper(self.target_fc)) ** 2
        value = np.sqrt(squared.mean()) if self.metric == "rms" else np.sqrt(2 * squared.sum())
        return {"loss": float(value)}

    def _options(self) -> dict:
        return {**super()._options(), "metric": self.metric}


class FCLevel(_FCObjective):
    """``|m - m_target|``: m the FC level, the mean of the simulated FC's upper triangle.

    The FC level (mean correlation over the region pairs, without the diagonal) is what
    :class:`FCCorrelation` leaves free: a pattern can match while every correlation is too
    high. Combine the two (and :class:`FCDDistance`) in a weighted sum, e.g.
    ``FCCorrelation(fc) + 2 * FCLevel(fc) + FCDDistance(...)``, whose loss is the weighted sum
    of the terms' losses (each a loss to minimise, >= 0 and 0 for a perfect match).

    Parameters
    ----------
    target_fc : array_like, shape (n_region, n_region)
        Empirical FC, a correlation matrix (finite, symmetric, unit diagonal, values in
        [-1, 1]).
    variable, monitor, transient
        As for :class:`FCCorrelation`.

    Notes
    -----
    The loss lies in [0, 2]; ``fc_mean`` records the simulated level m. NaN, with an
    ``UndefinedMeasureWarning``, when a region is numerically constant.
    """

    name = "fc_level"

    def evaluate(self, outputs) -> dict:
        """The loss and its components for one run's outputs.

        See :meth:`AbstractObjective.evaluate`.

        Parameters
        ----------
        outputs : list of xarray.DataArray
            One member's monitor outputs, one per monitor of the simulator, in its order (dims
            ``time`` in ms, ``state_variable`` and the monitor's space).
        """
        upper = self._simulated_fc(outputs)
        if upper is None:
            return {"loss": np.nan, "fc_mean": np.nan}
        level = float(upper.mean())
        return {"loss": abs(level - float(_upper(self.target_fc).mean())), "fc_mean": level}


class FCDDistance(_SignalObjective):
    """Kolmogorov–Smirnov statistic between simulated and target FCD value distributions.

    The FCD (:func:`~tvb_ngnmm.analysis.functional_connectivity_dynamics`) of the simulated
    signal uses windows of ``window_ms`` shifted by ``step_ms``; its upper-triangle values
    (without the diagonal) are compared with the target's by ``scipy.stats.ks_2samp``.

    Parameters
    ----------
    window_ms, step_ms : float
        Window length and shift in ms (the target series' FCD uses the same).
    target_fcd : array_like, optional
        Target FCD values: an FCD matrix (symmetric; its upper triangle is used) or 1-D values.
    target_series : array_like, shape (n_time, n_region), optional
        Target time series (e.g. empirical BOLD) sampled every ``target_dt`` ms; give this or
        ``target_fcd``.
    target_dt : float, optional
        Sampling interval of ``target_series`` in ms.
    variable, monitor, transient
        As for :class:`FCCorrelation` (a transient must leave at least ``window_ms +
        step_ms``, 2 windows; the target series is used whole).
    """

    name = "fcd_distance"

    def __init__(self, window_ms: float, step_ms: float, target_fcd=None, target_series=None,
                 target_dt: float | None = None, variable=None, monitor=None,
                 transient: float = 0.0):  # fmt: skip
        # deferred: the analysis package imports scipy.signal, which sweep workers need not load
        from ..analysis import check_positive  # noqa: PLC0415

        super().__init__(variable, monitor, transient)
        self.window_ms = check_positive(window_ms, "window_ms")
        self.step_ms = check_positive(step_ms, "step_ms")
        if (target_fcd is None) == (target_series is None):
            raise _bad("target_fcd", "is exactly one of target_fcd and target_series",
                       "both" if target_fcd is not None else "neither")  # fmt: skip
        if target_series is not None:
            target_fcd = self._target_from_series(target_series, target_dt)
        self.target_values = _target_fcd_values(target_fcd)

    def _target_from_series(self, series, dt) -> np.ndarray:
        # deferred: the analysis package imports scipy.signal, which sweep workers need not load
        from ..analysis import check_positive, functional_connectivity_dynamics  # noqa: PLC0415

        dt = check_positive(dt, "target_dt")
        fcd, _ = functional_connectivity_dynamics(series, dt, self.window_ms, self.step_ms)
        return fcd

    def check_simulator(self, sim, simulation_length: float) -> None:
        """Refuse a simulator this objective cannot judge.

        See :meth:`AbstractObjective.check_simulator`.

        Parameters
        ----------
        sim : tvb.simulator.simulator.Simulator
            The simulator the objective will judge.
        simulation_length : float
            Length of each run (ms).
        """
        super().check_simulator(sim, simulation_length)
        if simulation_length < self.window_ms + self.step_ms:
            raise _bad("window_ms", "are windows and steps giving at least 2 windows in the "
                       f"run of {simulation_length:g} ms",
                       f"window_ms={self.window_ms:g}, step_ms={self.step_ms:g}")  # fmt: skip

    def _needed_ms(self, period: float) -> float:
        return self.window_ms + self.step_ms

    def evaluate(self, outputs) -> dict:
        """The loss and its components for one run's outputs.

        See :meth:`AbstractObjective.evaluate`.

        Parameters
        ----------
        outputs : list of xarray.DataArray
            One member's monitor outputs, one per monitor of the simulator, in its order (dims
            ``time`` in ms, ``state_variable`` and the monitor's space).
        """
        # deferred: the analysis package imports scipy.signal, which sweep workers need not load
        from ..analysis import functional_connectivity_dynamics  # noqa: PLC0415

        signal = _series(outputs, self.monitor, self.variable, self.prefer_bold, self.name,
                         self.transient)  # fmt: skip
        if signal is None:
            return {"loss": np.nan}
        fcd, _ = functional_connectivity_dynamics(signal[0], signal[1], self.window_ms,
                                                  self.step_ms)  # fmt: skip
        values = _upper(fcd)
        if values.size == 0 or np.isnan(values).any():  # undefined windows: already warned
            return {"loss": np.nan}
        return {"loss": float(ks_2samp(values, self.target_values).statistic)}

    def _options(self) -> dict:
        return {**super()._options(), "window_ms": self.window_ms, "step_ms": self.step_ms,
                "target_fcd": f"<sha256 {_digest(self.target_values)}>"}  # fmt: skip

    def with_data(self, dataset, subjects=None) -> AbstractObjective:
        """This objective with its targets from a dataset.

        See :meth:`AbstractObjective.with_data`.

        Parameters
        ----------
        dataset : tvb_ngnmm.datasets.Dataset
            The empirical data.
        subjects : sequence of str, optional
            The subjects whose data make the target; default all of the dataset's.
        """
        names = dataset.subjects if subjects is None else dataset.subset(subjects).subjects
        values = [_upper(dataset.fcd(name, self.window_ms, self.step_ms, session=session)[0])
                  for name in names for session in dataset.sessions[name]]  # fmt: skip
        copied = copy.copy(self)
        copied.target_values = _target_fcd_values(np.concatenate(values))
        return copied


def _target_fcd_values(target) -> np.ndarray:
    try:
        fcd = np.asarray(target, dtype=float)
    except (TypeError, ValueError):
        raise _bad("target_fcd", "is an FCD matrix or 1-D FCD values", repr(target)) from None
    if fcd.ndim == 2 and fcd.shape[0] == fcd.shape[1] and fcd.shape[0] >= 2:
        if not np.allclose(fcd, fcd.T, equal_nan=True):
            raise _bad("target_fcd", "is a symmetric FCD matrix", "an asymmetric matrix")
        fcd = _upper(fcd)
    elif fcd.ndim != 1 or fcd.size == 0:
        raise _bad("target_fcd", "is a square FCD matrix (at least 2 windows) or 1-D values",
                   f"shape {fcd.shape}")  # fmt: skip
    if not np.isfinite(fcd).all():
        raise _bad("target_fcd", "are finite values (every window defined)",
                   f"{int((~np.isfinite(fcd)).sum())} NaN or inf")  # fmt: skip
    if np.abs(fcd).max() > 1.0 + 1e-6:
        raise _bad("target_fcd", "are FCD values, correlations in [-1, 1]",
                   f"{fcd[np.argmax(np.abs(fcd))]:g}")  # fmt: skip
    return fcd


class SpectralPeak(_SignalObjective):
    """``|f - target_hz|`` in Hz, f the peak frequency of the regions' mean Welch spectrum.

    Parameters
    ----------
    target_hz : float
        Target peak frequency in Hz (> 0).
    variable : str, optional
        Monitored variable (default the monitor's first).
    monitor : int, optional
        Index of the monitor; default the first monitor that is not BOLD.
    fmin : float
        Lowest frequency searched (Hz).
    segment_ms : float, optional
        Welch segment (ms); default the shorter of 250 ms and the run.
    transient : float
        As for :class:`FCCorrelation`.
    """

    name = "spectral_peak"
    prefer_bold = False

    def __init__(self, target_hz: float, variable=None, monitor=None, fmin: float = 1.0,
                 segment_ms: float | None = None, transient: float = 0.0):  # fmt: skip
        # deferred: the analysis package imports scipy.signal, which sweep workers need not load
        from ..analysis import check_positive  # noqa: PLC0415

        super().__init__(variable, monitor, transient)
        self.target_hz = check_positive(target_hz, "target_hz", "Hz")
        if isinstance(fmin, bool) or not isinstance(fmin, int | float | np.integer | np.floating):
            raise _bad("fmin", "are finite numbers >= 0 (Hz)", repr(fmin))
        if not (np.isfinite(fmin) and fmin >= 0):  # NaN would leave every peak undefined
            raise _bad("fmin", "are finite numbers >= 0 (Hz)", repr(fmin))
        self.fmin = float(fmin)
        self.segment_ms = None if segment_ms is None else check_positive(segment_ms, "segment_ms")

    def evaluate(self, outputs) -> dict:
        """The loss and its components for one run's outputs.

        See :meth:`AbstractObjective.evaluate`.

        Parameters
        ----------
        outputs : list of xarray.DataArray
            One member's monitor outputs, one per monitor of the simulator, in its order (dims
            ``time`` in ms, ``state_variable`` and the monitor's space).
        """
        # deferred: the analysis package imports scipy.signal, which sweep workers need not load
        from ..analysis import peak_frequency, power_spectrum  # noqa: PLC0415

        signal = _series(outputs, self.monitor, self.variable, self.prefer_bold, self.name,
                         self.transient)  # fmt: skip
        if signal is None:
            return {"loss": np.nan, "peak_frequency": np.nan}
        data, dt = signal
        segment_ms = min(250.0, len(data) * dt) if self.segment_ms is None else self.segment_ms
        freqs, psd = power_spectrum(data, dt, segment_ms)
        peak = peak_frequency(freqs, psd, fmin=self.fmin)  # NaN with a warning if flat
        return {"loss": abs(peak - self.target_hz), "peak_frequency": peak}

    def _options(self) -> dict:
        return {**super()._options(), "target_hz": self.target_hz, "fmin": self.fmin,
                "segment_ms": self.segment_ms}  # fmt: skip


def _check_weight(weight) -> float:
    ok = isinstance(weight, int | float | np.integer | np.floating) and not isinstance(weight, bool)
    if not ok or not (np.isfinite(weight) and weight > 0):
        raise _bad("weight", "are finite numbers > 0", repr(weight))
    return float(weight)


class Combined(AbstractObjective):
    """Weighted sum of objectives: ``loss = sum(weight * loss_term)``.

    Each term's loss is recorded as ``loss_<name>`` (``<name>_2``, ... for repeated kinds)
    with its components; the sum is NaN when any term is.

    Parameters
    ----------
    terms : list of tuple
        ``(objective, weight)`` pairs, weights > 0; repeated objectives have their weights
        added.
    """

    name = "combined"

    def __init__(self, terms: list):
        merged: dict = {}
        for objective, weight in terms:
            if not isinstance(objective, AbstractObjective):
                raise _bad("objective", "are objectives (FCCorrelation, FCDistance, FCLevel, "
                           "FCDDistance, SpectralPeak, ...)", repr(objective))  # fmt: skip
            merged[objective] = merged.get(objective, 0.0) + _check_weight(weight)
        if not merged:
            raise _bad("objective", "is a weighted sum of one or more objectives", "none")
        self._terms = list(merged.items())
        self.labels = _labels([objective.name for objective, _ in self._terms])

    def terms(self) -> list:
        """The ``(objective, weight)`` pairs of the sum."""
        return list(self._terms)

    def check_simulator(self, sim, simulation_length: float) -> None:
        """Refuse a simulator this objective cannot judge.

        See :meth:`AbstractObjective.check_simulator`.

        Parameters
        ----------
        sim : tvb.simulator.simulator.Simulator
            The simulator the objective will judge.
        simulation_length : float
            Length of each run (ms).
        """
        for objective, _ in self._terms:
            objective.check_simulator(sim, simulation_length)

    def with_data(self, dataset, subjects=None) -> AbstractObjective:
        """This objective with its targets from a dataset.

        See :meth:`AbstractObjective.with_data`.

        Parameters
        ----------
        dataset : tvb_ngnmm.datasets.Dataset
            The empirical data.
        subjects : sequence of str, optional
            The subjects whose data make the target; default all of the dataset's.
        """
        return Combined([(o.with_data(dataset, subjects), w) for o, w in self._terms])

    def evaluate(self, outputs) -> dict:
        """The loss and its components for one run's outputs.

        See :meth:`AbstractObjective.evaluate`.

        Parameters
        ----------
        outputs : list of xarray.DataArray
            One member's monitor outputs, one per monitor of the simulator, in its order (dims
            ``time`` in ms, ``state_variable`` and the monitor's space).
        """
        total, parts = 0.0, {}
        for (objective, weight), label in zip(self._terms, self.labels, strict=True):
            result = objective.evaluate(outputs)
            suffix = label[len(objective.name) :]
            total += weight * result["loss"]
            parts[f"loss_{label}"] = result["loss"]
            parts.update({f"{k}{suffix}": v for k, v in result.items() if k != "loss"})
        return {"loss": float(total), **parts}

    def __repr__(self) -> str:
        return " + ".join(f"{w!r} * {o!r}" for o, w in self._terms)


def _labels(names: list) -> list:
    seen: dict = {}
    labels = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        labels.append(name if seen[name] == 1 else f"{name}_{seen[name]}")
    return labels


def combine(weights: dict) -> Combined:
    """``{objective: weight}`` -> the weighted sum of the objectives' losses (weights > 0).

    Parameters
    ----------
    weights : dict
        ``{objective: weight}``, weights > 0.
    """
    if not isinstance(weights, dict) or not weights:
        raise _bad("weights", "is a dict {objective: weight} of one or more objectives",
                   repr(weights))  # fmt: skip
    return Combined(list(weights.items()))


def evaluate_objective(outputs, objective: AbstractObjective) -> dict:
    """A sweep measure: the objective's loss and components of one member.

    Raises
    ------
    ValueError
        If ``objective.evaluate`` breaks the contract: a dict ``{'loss': number,
        **components}`` whose values are numbers (NaN where undefined).
    """
    result = objective.evaluate(outputs)
    bad = None
    if not isinstance(result, dict) or "loss" not in result:
        bad = result
    else:
        for key, value in result.items():
            kind = np.asarray(value).dtype.kind if np.ndim(value) == 0 else "O"
            if not isinstance(key, str) or kind not in "biuf":
                bad = {key: value}
                break
    if bad is not None:
        shown = repr(bad) if len(repr(bad)) <= 80 else f"a {type(bad).__name__}"
        raise _bad("objective", "is an objective whose evaluate(outputs) returns a dict "
                   "{'loss': number, **components} of numbers (named by strings)",
                   f"{objective!r} returning {shown}")  # fmt: skip
    return result


OBJECTIVES = {
    "fc_correlation": FCCorrelation,
    "fc_distance": FCDistance,
    "fc_level": FCLevel,
    "fcd_distance": FCDDistance,
    "spectral_peak": SpectralPeak,
}
"""The objectives by name (the ``kind`` of :func:`objective_from_config`)."""

ARRAY_KEYS = ("target_fc", "target_fcd", "target_series")


def objective_from_config(config: dict, base_dir=None) -> AbstractObjective:
    """An objective from plain values, e.g. a TOML table.

    Parameters
    ----------
    config : dict
        ``{'kind': name, **options}`` with ``name`` in :data:`OBJECTIVES` and the options of
        its class (``target_fc``, ``target_fcd`` and ``target_series`` as arrays or as paths
        to ``.npy`` or text files; ``transient`` in ms), optionally ``'weight'``; or
        ``{'terms': [config, ...]}`` for a weighted sum (each term its own ``transient``).
    base_dir : str or Path, optional
        Folder that relative target paths are read from (default the working directory).

    Returns
    -------
    AbstractObjective
        The objective the table describes.
    """
    if not isinstance(config, dict):
        raise _bad("objective", "is a table {kind = name, ...} or {terms = [...]}", repr(config))
    if "terms" in config:
        extra = sorted(set(config) - {"terms"})
        if extra or not isinstance(config["terms"], list) or not config["terms"]:
            raise _bad("objective", "is {terms = [table, ...]} (a non-empty list, no other key)",
                       repr(config))  # fmt: skip
        terms = [_single_from_config(term, base_dir) for term in config["terms"]]
        return Combined(terms)
    objective, weight = _single_from_config(config, base_dir)
    return objective if weight == 1.0 else weight * objective


def _single_from_config(config, base_dir) -> tuple:
    if not isinstance(config, dict):
        raise _bad("objective", "are tables {kind = name, ...}", repr(config))
    options = dict(config)
    kind = check_choice("objective.kind", options.pop("kind", None), tuple(OBJECTIVES))
    weight = _check_weight(options.pop("weight", 1.0))
    cls = OBJECTIVES[kind]
    allowed = [p for p in inspect.signature(cls).parameters if p != "self"]
    for key in options:
        if key not in allowed:
            raise _bad(f"objective.{key}", f"keys of {kind!r} are {allowed}", repr(key))
    if "transient" in options:  # named as the configuration's key
        options["transient"] = _check_transient(options["transient"], "objective.transient")
    for key in ARRAY_KEYS:
        if isinstance(options.get(key), str | Path):
            options[key] = _load_array(options[key], base_dir, key)
    return cls(**options), weight


def _load_array(path, base_dir, key: str) -> np.ndarray:
    path = Path(path)
    if not path.is_absolute() and base_dir is not None:
        path = Path(base_dir) / path
    if not path.is_file():
        raise _bad(f"objective.{key}", "is an array or the path of a .npy or text file",
                   f"{str(path)!r}, which does not exist")  # fmt: skip
    try:
        if path.suffix == ".npy":
            return np.load(path)
        return np.loadtxt(path, delimiter="," if path.suffix == ".csv" else None)
    except (OSError, ValueError) as err:
        raise _bad(
            f"objective.{key}",
            "is an array or the path of a .npy or text file of numbers",
            f"{str(path)!r}, which could not be read ({err})",
        ) from None
