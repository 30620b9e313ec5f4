r"""Sensor projections: TVB's ``EEG``, ``MEG`` and ``iEEG`` in the engine; ``ForwardProjection``.

A projection monitor records, every ``p`` steps, the temporal average of the observed variables
over those ``p`` steps projected through a gain (lead-field) matrix ``G`` (sensors × regions),

.. math::  y_k = G \, \frac{1}{p} \sum_{n = (k-1)p + 1}^{kp} x_n \; (+\ \text{noise}) - \rho,

at time ``(k p - p / 2) dt``, with ``rho`` the reference (EEG: one electrode, or the mean of all
electrodes). Projection and average commute, so the engine averages first and applies ``G``
once per chunk to all the samples and batch members of the chunk.

TVB's monitors (``tvb.simulator.monitors.Projection``) as the engine reproduces them:

- ``config_for_sim`` reduces the surface lead field (one column per cortical vertex) to the
  regions of a region simulation by **summing** the columns of each region's vertices
  (``numpy_add_at`` over the region mapping), not averaging them: a region's gain grows with
  its vertex count (29 to 683 vertices per region in ``regionMapping_16k_76``) less what
  opposed normals cancel. Regions not marked cortical get an analytic point-dipole gain
  (Sarvas 1987), not scaled to the projection file. The reduction happens only when the
  projection has exactly as many columns as the cortical part of the region mapping; otherwise
  the vertex gain is silently kept and the first step fails. This code path is the subject of
  TVB-2634 (tvb-root pull request #59, open since 2020).
- Non-finite gains are zeroed after the reduction, so a channel without a lead field (EEG
  ``IO1``, ``IO2`` and 28 MEG channels in tvb-data) records zero; but the EEG reference mask
  meant to leave such channels out (``_ref_vec_mask``) is computed after the zeroing and keeps
  every channel: with ``reference='average'`` the mean is over all 65 channels and the dead
  ones record minus that mean.
- ``iEEG`` without a projection file (tvb-data ships none for sEEG) uses the analytic dipole
  formula on the connectivity's centres and orientations; NaN gains (a sensor on a centre) are
  zeroed.
- ``p`` is ``int(period / dt)`` (truncated, where other monitors round), sampled at the steps
  that are multiples of ``p``.
- ``obsnoise`` (default ``noise.Additive()``): white noise of standard deviation
  ``sqrt(dt)`` added to every sample, whatever ``nsig`` (``Noise.generate`` does not use it),
  from the noise's own ``random_stream`` (seed 42). For MEG and sEEG gains (of order 1e-3)
  it dominates the signal; pass ``obsnoise=None`` for the noise-free projection. The engine
  draws the same numbers from a copy of that stream (``run_sim`` then leaves the monitor's
  stream where ``sim.run()`` would); batch members share them, as they share the
  integrator's noise.
- EEG ``reference``: a sensor label or ``'average'``, subtracted after the noise.

- On a **surface** simulation (``sim.surface`` set) the projection file's vertex gain is kept
  (one column per vertex: tvb-data's ``projection_eeg_65_surface_16k.npy`` and
  ``projection_meg_276_surface_16k.npy`` for ``cortex_16384``), and each node's activity
  projects through its own column. When the connectivity has regions the surface's region
  mapping leaves out (TVB's ``Cortex`` appends them as nodes after the vertices) TVB's
  configuration goes wrong: it writes the vertices' columns at the *regions'* indices (column
  ``r`` gets the last vertex of region ``r``), leaves the other vertices at zero and puts the
  analytic gain of the left-out regions at their region index, not at their node; stock
  ``sim.run()`` then records from a handful of nodes. The engine refuses that case (a
  ``ValueError`` explaining it) rather than reproduce it; use :class:`ForwardProjection` with a
  gain of one column per node.

The engine reproduces all of this, for agreement with stock: it does not redo the
configuration but uses ``monitor.gain`` as TVB configured it (checking before the first step
that it has one row per sensor and one column per node: per region, or per vertex on a
surface), TVB's reference weights and TVB's step count. :class:`ForwardProjection` takes a gain
as given (one dipole per region, or per node of a surface simulation, e.g. from an MNE forward
model, :func:`tvb_ngnmm.imaging.surface_forward`), refuses non-finite gains and adds no noise.
"""

from __future__ import annotations

import copy

import numpy as np
from tvb.basic.neotraits.api import Attr, NArray
from tvb.simulator import monitors as tvb_monitors

from .._util import check_values
from ._base import (
    AbstractEngineMonitor,
    BlockAverage,
    register_engine_monitor,
    select,
    vertex_count,
)

SENSOR_TYPES = ("EEG", "MEG", "SEEG")
#: MNE's channel types, by kind of sensor.
CHANNEL_KINDS = {
    "eeg": "EEG",
    "mag": "MEG",
    "grad": "MEG",
    "seeg": "SEEG",
    "ecog": "SEEG",
    "dbs": "SEEG",
}


def reference_vector(reference, labels, owner: str) -> np.ndarray | None:
    """Weights of the reference over the sensors: None, ``'average'`` or a sensor label."""
    if reference is None or reference == "":
        return None
    labels = [str(label) for label in labels]
    if str(reference).lower() == "average":
        return np.full(len(labels), 1.0 / len(labels))
    if reference not in labels:
        raise ValueError(
            f"Invalid value for the 'reference' parameter of {owner}. Allowed values are None, "
            f"'average' or a sensor label ({', '.join(labels[:5])}, ...), but got "
            f"{reference!r} instead."
        )
    vector = np.zeros(len(labels))
    vector[labels.index(reference)] = 1.0
    return vector


def check_variables_of_interest(monitor, model) -> None:
    """Raise if the monitor's ``variables_of_interest`` are not indices of the model's
    variables of interest (TVB fails at the first sample with an ``IndexError``)."""
    chosen = getattr(monitor, "variables_of_interest", None)
    if chosen is None or np.size(chosen) == 0:
        return
    names = [str(n) for n in model.variables_of_interest]
    chosen = np.asarray(chosen)
    valid = np.issubdtype(chosen.dtype, np.integer) and np.all(
        (chosen >= 0) & (chosen < len(names))
    )
    if not valid:
        allowed = ", ".join(f"{k}: {n!r}" for k, n in enumerate(names))
        raise ValueError(
            f"Invalid value for the 'variables_of_interest' parameter of the "
            f"{type(monitor).__name__} monitor. Allowed are indices of the model's variables of "
            f"interest ({allowed}), but got {chosen.tolist()} instead."
        )


def pick_channels(forward, sensor_type: str | None) -> tuple[np.ndarray, str]:
    """Rows of the forward model's channels of ``sensor_type`` (None: its only kind)."""
    n_rows = np.shape(forward.gain)[0] if np.ndim(forward.gain) else 0
    if not len(forward.ch_names) == len(forward.ch_types) == n_rows:
        raise ValueError(
            "Invalid value for the 'forward' parameter of ForwardProjection.from_forward. "
            "Allowed is one channel name and type per row of the gain, but got "
            f"{len(forward.ch_names)} names and {len(forward.ch_types)} types for {n_rows} rows "
            "instead."
        )
    kinds = np.array([CHANNEL_KINDS.get(str(t), "?") for t in forward.ch_types])
    found = sorted(set(kinds))
    if sensor_type is None:
        if len(found) != 1 or found[0] == "?":
            raise ValueError(
                "Invalid value for the 'ch_types' of the forward model. Allowed are channels of "
                "one kind (EEG: 'eeg'; MEG: 'mag', 'grad'; SEEG: 'seeg', 'ecog', 'dbs'), but got "
                f"{', '.join(repr(t) for t in sorted(set(forward.ch_types)))} instead. Pick one "
                "kind with sensor_type='EEG', 'MEG' or 'SEEG'."
            )
        sensor_type = found[0]
    if sensor_type not in SENSOR_TYPES or sensor_type not in found:
        raise ValueError(
            "Invalid value for the 'sensor_type' parameter of ForwardProjection.from_forward. "
            f"Allowed are the kinds of channel in the forward model ({', '.join(found)}), but "
            f"got {sensor_type!r} instead."
        )
    return np.flatnonzero(kinds == sensor_type), sensor_type


class ForwardProjection(tvb_monitors.Monitor):
    r"""Sensor signals through a gain matrix given by the user (region or surface level).

    Every ``period`` ms: the temporal average of each variable of interest over the period,
    projected through ``gain`` (summed over modes, as TVB's projections do), minus the
    ``reference``; at time ``step * dt - period / 2``. No observation noise is added. The
    output has one sensor per row of ``gain``, shaped ``(n_time, n_voi, n_sensor, 1)``.

    Each region is one dipole of fixed orientation whose moment is the chosen variable of
    interest (e.g. ``v_e`` or ``r_e``), so ``gain[s, j]`` is sensor ``s``'s signal per unit of
    region ``j``'s activity (V or T per unit). A free-orientation gain (three columns per
    region) is refused: fix each region's orientation first, e.g. with TVB's
    ``Projection.oriented_gain(gain, orientations)`` or an MNE forward solution with fixed
    orientation.

    In a surface simulation the gain has one column per node: the cortical vertices, then
    the regions the surface's region mapping leaves out (as TVB's ``Cortex`` orders them; e.g.
    :func:`tvb_ngnmm.imaging.surface_forward`'s gain, with a column per left-out region
    appended).

    The period must be a whole number of integration steps (checked at ``sim.configure()``).

    Parameters
    ----------
    **kwargs
        Values of the declared attributes (``gain``, ``sensor_labels``, ``sensor_type``,
        ``reference``, ``period``, ``variables_of_interest``), as for any TVB monitor.
    """

    gain = NArray(
        label="Gain matrix (sensor x region)",
        doc="Signal at each sensor per unit of each region's activity (V or T per unit).",
    )
    sensor_labels = NArray(
        dtype="U128",
        required=False,
        label="Sensor labels",
        doc="One label per row of the gain (default: the sensor type and a number).",
    )
    sensor_type = Attr(
        field_type=str,
        default="EEG",
        label="Sensor type",
        doc="'EEG', 'MEG' or 'SEEG'.",
    )
    reference = Attr(
        field_type=str,
        required=False,
        label="Reference",
        doc="EEG and SEEG: a sensor label or 'average' (subtracted from every sensor); None "
        "gives reference-free potentials. Not allowed for MEG.",
    )

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        if self.gain is not None:
            self.check()

    @classmethod
    def from_forward(
        cls, forward, period: float = 1e3 / 1024.0, sensor_type: str | None = None, **kwargs
    ) -> ForwardProjection:
        """A monitor from a region-level forward model with fixed orientations.

        ``forward`` needs ``gain`` (n_channels × n_regions, sensor units per unit of activity),
        ``ch_names`` and ``ch_types`` (MNE's names: ``'eeg'``; ``'mag'``, ``'grad'``;
        ``'seeg'``, ``'ecog'``, ``'dbs'``). ``sensor_type`` ('EEG', 'MEG' or 'SEEG') picks the
        channels of one kind; without it the forward model must hold one kind only. A forward
        model with ``free_orientation`` true is refused. Other keywords go to the constructor.

        Parameters
        ----------
        forward : object
            The forward model (e.g. :class:`~tvb_ngnmm.imaging.RegionForward`).
        period : float
            Sampling period (ms).
        sensor_type : {'EEG', 'MEG', 'SEEG'}, optional
            The kind of channels kept.
        **kwargs
            Other attributes of the monitor.
        """
        names = ("gain", "ch_names", "ch_types")
        if not all(hasattr(forward, name) for name in names):
            raise ValueError(
                "Invalid value for the 'forward' parameter of ForwardProjection.from_forward. "
                "Allowed is an object with 'gain', 'ch_names' and 'ch_types' (a region-level "
                f"forward model), but got {type(forward).__name__} instead."
            )
        if getattr(forward, "free_orientation", False):
            raise ValueError(
                "Invalid value for the 'forward' parameter of ForwardProjection.from_forward. "
                "Allowed is a forward model with fixed orientations (one column per region), "
                "but got a free-orientation one (three columns per region) instead."
            )
        rows, sensor_type = pick_channels(forward, sensor_type)
        return cls(
            gain=np.asarray(forward.gain, dtype=float)[rows],
            sensor_labels=np.array([str(forward.ch_names[r]) for r in rows]),
            sensor_type=sensor_type,
            period=period,
            **kwargs,
        )

    def _invalid(self, name: str, allowed: str, got: str) -> ValueError:
        return ValueError(
            f"Invalid value for the {name!r} parameter of ForwardProjection. {allowed}, but got "
            f"{got} instead."
        )

    def check(self, n_region: int | None = None, columns: str | None = None) -> None:
        """Check gain, labels, sensor type and reference, and the gain's columns if
        ``n_region`` is given (``columns`` says what they stand for, default the regions).

        Parameters
        ----------
        n_region : int, optional
            The number of columns the gain must have.
        columns : str, optional
            What the gain's columns must be, as the error message states it (default: one per
            region).
        """
        gain = np.asarray(self.gain)
        if gain.ndim != 2 or gain.size == 0:
            raise self._invalid(
                "gain", "Allowed is a 2-D array (sensors × regions)", f"shape {gain.shape}"
            )
        check_values(gain, "the 'gain' parameter of ForwardProjection")
        if self.sensor_type not in SENSOR_TYPES:
            raise self._invalid(
                "sensor_type", "Allowed values are 'EEG', 'MEG', 'SEEG'", repr(self.sensor_type)
            )
        if self.sensor_labels is None:
            self.sensor_labels = np.array(
                [f"{self.sensor_type}{i + 1:03d}" for i in range(gain.shape[0])]
            )
        n_labels = np.asarray(self.sensor_labels).size
        if np.asarray(self.sensor_labels).ndim != 1 or n_labels != gain.shape[0]:
            raise self._invalid(
                "sensor_labels",
                f"Allowed is one label per row of the gain ({gain.shape[0]})",
                f"{n_labels} labels",
            )
        if self.sensor_type == "MEG" and self.reference:
            raise self._invalid(
                "reference", "Allowed is None for MEG sensors", repr(self.reference)
            )
        reference_vector(self.reference, self.sensor_labels, "ForwardProjection")
        if n_region is not None and gain.shape[1] != n_region:
            hint = ""
            if columns is not None:
                raise self._invalid("gain", f"Allowed is {columns}", f"{gain.shape[1]} columns")
            if gain.shape[1] == 3 * n_region:
                hint = (
                    " (three per region: a free-orientation gain; fix each region's "
                    "orientation first)"
                )
            raise self._invalid(
                "gain",
                f"Allowed is one column per region ({n_region})",
                f"{gain.shape[1]} columns{hint}",
            )

    def __str__(self):  # TVB's reads variables_of_interest, None until configured
        gain = "no gain" if self.gain is None else f"gain {np.shape(self.gain)}"
        return f"ForwardProjection({self.sensor_type}, {gain}, period={self.period:g} ms)"

    def config_for_sim(self, simulator) -> None:
        """Check against the simulation, set the time step, clear the running sum.

        Parameters
        ----------
        simulator : tvb.simulator.simulator.Simulator
            The simulator being configured.
        """
        check_variables_of_interest(self, simulator.model)
        super().config_for_sim(simulator)
        if simulator.surface is None:
            self.check(simulator.connectivity.number_of_regions)
        else:
            n_vertex = np.size(simulator.surface.region_mapping_data.array_data)
            self.check(simulator.number_of_nodes, node_columns(simulator.number_of_nodes, n_vertex))
        steps = float(self.period) / float(self.dt)
        if self.istep < 1 or abs(steps - self.istep) > 1e-6 * steps:
            raise self._invalid(
                "period",
                f"Allowed values are whole multiples of the time step dt = {self.dt:g} ms",
                f"{self.period:g} ms",
            )
        self._reference = reference_vector(self.reference, self.sensor_labels, "ForwardProjection")
        self._sum = np.zeros((len(self.voi), simulator.number_of_nodes))

    def sample(self, step: int, state: np.ndarray):
        """Add this step; at multiples of ``istep`` return the projected mean of the period.

        Parameters
        ----------
        step : int
            The step just taken.
        state : numpy.ndarray
            The state after it, ``(n_var, n_node, n_mode)``.
        """
        self._sum += state[self.voi].sum(axis=-1)
        if step % self.istep == 0:
            data = (self._sum / self.istep) @ np.asarray(self.gain, dtype=float).T
            self._sum[:] = 0.0
            if self._reference is not None:
                data -= (data @ self._reference)[:, np.newaxis]
            return (step - self.istep / 2.0) * self.dt, data[..., np.newaxis]
        return None


class EngineSensorProjection(AbstractEngineMonitor):
    """Block means of the observed variables, projected once per chunk, plus noise and reference.

    Subclasses set ``gain`` (n_sensor, n_node), ``space_labels``, ``istep``, ``carry`` (the
    projected sum, (n_voi, n_sensor, 1), of the block under way at the start, or None),
    ``reference`` (weights over the sensors, or None) and ``noise`` (or None), then call
    :meth:`start` (or set a ``block_average`` that continues an unprojected sum).
    """

    space = "sensor"
    noise = None
    reference = None

    def start(self, spec) -> None:
        """The block average, continuing a block under way at ``spec.current_step``."""
        n_voi, n_node = len(self.voi), len(spec.labels)
        under_way = spec.current_step % self.istep
        zeros = np.zeros((self.istep, n_voi, n_node, 1)) if under_way else None
        self.block_average = BlockAverage(self.istep, zeros, spec.current_step, self.batch)

    def project(self, means: np.ndarray) -> np.ndarray:
        """``gain @ means`` for every sample, variable and member: one matrix product.

        ``means`` is (n_sample, n_voi, n_node, B); the regions are made the leading, contiguous
        axis first (OpenBLAS is many times slower on the strided view ``tensordot`` passes it).
        """
        n_sample, n_voi, n_node, batch = means.shape
        regions_first = np.ascontiguousarray(means.transpose(2, 0, 1, 3)).reshape(n_node, -1)
        data = (self.gain @ regions_first).reshape(len(self.gain), n_sample, n_voi, batch)
        return data.transpose(1, 2, 0, 3)

    def consume(self, steps, obs):
        return self.consume_means(steps, *self.block_average.consume(select(obs, self.voi)))

    def consume_means(self, steps, ends, means):
        data = self.project(means)
        if self.carry is not None and len(ends):
            data[0] += self.carry / self.istep
            self.carry = None
        if self.noise is not None and len(ends):
            data += self.noise.draw(len(ends))
        if self.reference is not None:
            data -= np.einsum("s,tvsb->tvb", self.reference, data)[:, :, np.newaxis, :]
        return (ends - self.istep / 2.0) * self.dt, data

    def sum_under_way(self) -> np.ndarray:
        """The sum (n_voi, n_node) of the block under way over the steps this run consumed
        (batch member 0; zero rows stand for the steps of an earlier run)."""
        rows = self.block_average.rows_under_way()
        if rows is None or not len(rows):
            return np.zeros((len(self.voi), self.gain.shape[1]))
        return np.add.reduce(rows[..., 0], axis=0)


def node_columns(n_node: int, n_vertex: int) -> str:
    """What a surface simulation's gain must have: one column per node, in words."""
    left_out = n_node - n_vertex
    return (
        f"one column per node of the surface simulation ({n_node}: {n_vertex} vertices and "
        f"{left_out} region{'s' if left_out != 1 else ''} left out of the region mapping)"
    )


def check_gain_shape(gain: np.ndarray, n_sensor: int, spec, name: str) -> None:
    """The configured gain has one row per sensor and one column per node (region or vertex);
    on a surface, TVB's gain is refused when regions are left out of the region mapping."""
    n_node = len(spec.labels)
    surface = getattr(spec, "surface", None)
    n_vertex = None if surface is None else vertex_count(surface)
    if surface is not None and n_node > n_vertex:
        raise ValueError(
            f"Invalid value for the 'projection' of the {name} monitor on a surface simulation "
            f"whose connectivity has regions left out of the region mapping "
            f"({n_node - n_vertex} nodes after the {n_vertex} vertices). "
            "Allowed are surfaces whose region mapping covers every region, but got one that "
            "does not: TVB's configuration writes the vertices' gain columns at the regions' "
            "indices and the left-out regions' gain at their region index, so stock sim.run() "
            "records from the first few nodes only. Use ForwardProjection with a gain of one "
            "column per node (vertices, then the left-out regions) instead."
        )
    if gain.ndim != 2 or gain.shape[1] != n_node:
        if surface is None:
            columns = (
                f"one column per region ({n_node}) after TVB's reduction over the region mapping"
            )
        else:
            columns = f"one column per vertex of the surface ({n_node})"
        raise ValueError(
            f"Invalid value for the 'projection' of the {name} monitor. Allowed is a gain with "
            f"{columns}, but got shape {gain.shape} instead (check that the projection, the "
            "region mapping, the surface and the connectivity belong together)."
        )
    if gain.shape[0] != n_sensor:
        raise ValueError(
            f"Invalid value for the 'sensors' of the {name} monitor. Allowed is one sensor per "
            f"row of the projection ({gain.shape[0]}), but got {n_sensor} sensors instead."
        )


class ObservationNoise:
    """The draws of a TVB monitor's ``obsnoise``, from a copy of it, shaped like the samples."""

    #: What ``configure_white``/``configure_coloured`` set outside the traits.
    CONFIGURED = ("dt", "_E", "_sqrt_1_E2", "_eta", "_h", "_dt_sqrt_lambda")

    def __init__(self, noise, n_sensor: int, n_voi: int):
        # HasTraits' deepcopy copies the traits only (and may share the stream): copy the rest
        self.noise = copy.deepcopy(noise)
        self.noise.random_stream = copy.deepcopy(noise.random_stream)
        for name in self.CONFIGURED:
            if hasattr(noise, name):
                setattr(self.noise, name, copy.deepcopy(getattr(noise, name)))
        self.shape = (n_sensor, n_voi)

    def draw(self, n_sample: int) -> np.ndarray:
        """``(n_sample, n_voi, n_sensor, 1)``: consumes the stream as ``n_sample`` samples do."""
        if self.noise.ntau > 0.0:
            draws = np.array([self.noise.generate(shape=self.shape) for _ in range(n_sample)])
        else:  # one call draws what n_sample calls of Noise.white draw
            normals = self.noise.random_stream.normal(size=(n_sample, *self.shape))
            draws = np.sqrt(self.noise.dt) * normals
        return draws.transpose(0, 2, 1)[..., np.newaxis]

    def store(self, noise) -> None:
        """Leave ``noise`` (the TVB monitor's) where this copy's stream has got to."""
        noise.random_stream.set_state(self.noise.random_stream.get_state())
        for name in self.CONFIGURED:
            if hasattr(self.noise, name):
                setattr(noise, name, copy.deepcopy(getattr(self.noise, name)))


@register_engine_monitor(tvb_monitors.EEG, tvb_monitors.MEG, tvb_monitors.iEEG)
class EngineTvbProjection(EngineSensorProjection):
    """TVB's ``EEG``, ``MEG`` and ``iEEG`` with the gain TVB configured."""

    def __init__(self, monitor, spec, batch):
        super().__init__(monitor, spec, batch)
        name = type(monitor).__name__
        self.gain = np.asarray(monitor.gain, dtype=float)
        labels = monitor.sensors.labels
        check_gain_shape(self.gain, len(labels), spec, name)
        self.space_labels = tuple(str(label) for label in labels)
        self.istep = int(monitor._period_in_steps)  # TVB truncates period / dt here
        if self.istep < 1:
            raise ValueError(
                f"Invalid value for the 'period' parameter of the {name} monitor. Allowed values "
                f"are >= dt = {self.dt:g} ms, but got {float(monitor.period):g} ms instead "
                "(TVB takes int(period / dt) = 0 steps per sample)."
            )
        carry = np.asarray(monitor._state, dtype=float).T[..., np.newaxis]
        self.carry = carry if np.any(carry) else None
        if monitor.obsnoise is not None:
            self.noise = ObservationNoise(monitor.obsnoise, len(labels), len(self.voi))
        ref = getattr(monitor, "_ref_vec", None)
        if ref is not None and np.any(ref):
            self.reference = np.zeros(len(labels))
            self.reference[monitor._ref_vec_mask] = ref
        self.start(spec)

    def update_tvb_monitor(self):
        """TVB's projected running sum ``_state`` (n_sensor, n_voi) and observation noise."""
        projected = self.sum_under_way() @ self.gain.T
        if self.carry is not None:  # no block completed: the sum begun before this run
            projected += self.carry[..., 0]
        self.monitor._state[:] = projected.T
        if self.noise is not None:
            self.noise.store(self.monitor.obsnoise)


@register_engine_monitor(ForwardProjection)
class EngineForwardProjection(EngineSensorProjection):
    """:class:`ForwardProjection` in the engine."""

    def __init__(self, monitor, spec, batch):
        super().__init__(monitor, spec, batch)
        # again: the gain may have changed since configure()
        surface = getattr(spec, "surface", None)
        n_node = len(spec.labels)
        columns = None if surface is None else node_columns(n_node, vertex_count(surface))
        monitor.check(n_node, columns)
        self.gain = np.asarray(monitor.gain, dtype=float)
        self.space_labels = tuple(str(label) for label in monitor.sensor_labels)
        self.istep = int(monitor.istep)
        self.carry = None  # the sum of the block under way is continued unprojected
        self.reference = monitor._reference
        under_way = np.broadcast_to(monitor._sum[..., np.newaxis], (*monitor._sum.shape, batch))
        self.block_average = BlockAverage.continuing(
            self.istep, under_way, spec.current_step, batch
        )

    def update_tvb_monitor(self):
        self.monitor._sum[:] = self.sum_under_way()
