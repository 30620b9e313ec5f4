r"""The contract between a monitor and the fast engine, and the registry that applies it.

A TVB monitor runs in stock ``sim.run()`` through its own ``sample(step, observed)``. For the
engine it names an *engine monitor*: a class derived from :class:`AbstractEngineMonitor` that is
fed the observed states of whole chunks of steps and returns the samples of each chunk, so that
memory depends on the chunk and the monitor's own buffers, not on the simulated length.
:func:`register_engine_monitor` ties a TVB monitor class to its engine monitor; the engine looks
monitors up here and nowhere else, so adding a monitor touches its own file only.

In a chunk, ``obs`` holds the model's variables of interest (as TVB's ``model.observe`` gives
them: state variables or expressions of them) at every step, shaped
``(n_steps, n_obs, n_node, B)`` (B batch members in place of TVB's mode axis), and ``steps`` the
step numbers (the first step of a run is ``sim.current_step + 1``; time is ``step * dt``).
In a surface simulation the nodes are TVB's: the cortical vertices followed by the regions the
surface's region mapping leaves out (TVB's ``Cortex.region_mapping`` appends them), and an
output with one value per node has the spatial axis ``'vertex'`` (:func:`node_space`).
An engine monitor starts from the state TVB's monitor holds (the block under way, a running
sum, a haemodynamic state) and, after a run that continues the simulator
(``NumbaBackend.run_sim``), leaves it there as TVB's ``sample`` would have
(:meth:`AbstractEngineMonitor.update_tvb_monitor`), so that the next run continues it.
"""

from __future__ import annotations

import abc

import numpy as np


class AbstractEngineMonitor(abc.ABC):
    """The engine's side of a monitor.

    Parameters
    ----------
    monitor : tvb.simulator.monitors.Monitor
        The configured TVB monitor (``sim.configure()`` has run its ``config_for_sim``).
    spec : tvb_ngnmm.engine.spec.SimulationSpec
        What the engine read from the simulator: ``dt`` (ms), ``current_step``, ``labels`` and
        ``observation`` (its ``names``: the model's variables of interest, state variables or
        expressions of them, :mod:`tvb_ngnmm.engine.observation`).
    batch : int
        Number of batch members B.
    """

    #: Name of the output's spatial axis: ``'region'`` for one value per node (``'vertex'`` in a
    #: surface simulation, set by the constructor), ``'region'`` for the regions of a surface
    #: simulation, ``'area'`` for other groups of nodes, or ``'sensor'`` for projections.
    space = "region"

    def __init__(self, monitor, spec, batch: int):
        if self.space == "region":
            self.space = node_space(spec)
        self.monitor = monitor
        self.dt = float(spec.dt)
        self.batch = int(batch)
        self.voi = np.asarray(monitor.voi, dtype=np.int64)
        self.variable_names = tuple(spec.observation.names[v] for v in self.voi)
        self.space_labels = tuple(spec.labels)

    @property
    def sample_shape(self) -> tuple[int, int]:
        """Shape of one sample of one member: (number of output variables, space size)."""
        return len(self.variable_names), len(self.space_labels)

    #: A monitor whose samples depend on the observed states only through their means over
    #: blocks of steps sets this to its :class:`BlockAverage` of the variables ``voi`` and
    #: implements :meth:`consume_means`; when it is a run's only monitor, the engine then sums
    #: the blocks in its compiled step instead of handing over every step.
    block_average: BlockAverage | None = None

    #: A monitor with a state of its own that can become non-finite while the model's state
    #: stays finite (the hemodynamics of a BOLD monitor) sets this to an array (2, B): the step
    #: and region of each member's first non-finite sample, -1 before any, and implements
    #: :meth:`blow_up_error`. ``run_sim`` then stops with that error, ``run_batch`` flags the
    #: member as blown up, as for a blow-up of the state.
    blow_up: np.ndarray | None = None

    def blow_up_error(self, member: int = 0) -> Exception:
        """The error for member ``member``'s blow-up recorded in :attr:`blow_up`.

        Parameters
        ----------
        member : int
            The batch member.
        """
        raise NotImplementedError(f"{type(self).__name__} records no blow-up")

    @abc.abstractmethod
    def consume(self, steps: np.ndarray, obs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Times (ms) and data ``(n_samples, *sample_shape, B)`` of the samples in this chunk.

        Parameters
        ----------
        steps : numpy.ndarray of int, shape (n_step,)
            The chunk's step numbers.
        obs : numpy.ndarray, shape (n_step, n_observed, n_node, B)
            The observed states (the model's variables of interest, see
            ``tvb_ngnmm.engine.observation``) after each step.
        """

    def consume_means(
        self, steps: np.ndarray, ends: np.ndarray, means: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """As :meth:`consume`, from the means ``(n_block, n_voi, n_node, B)`` of the blocks of
        :attr:`block_average` this chunk completed (``ends``: their last steps).

        Parameters
        ----------
        steps : numpy.ndarray of int, shape (n_step,)
            The chunk's step numbers.
        ends : numpy.ndarray of int, shape (n_block,)
            The last step of each completed block.
        means : numpy.ndarray, shape (n_block, n_voi, n_node, B)
            The blocks' means.
        """
        raise NotImplementedError(f"{type(self).__name__} has no block_average")

    def update_tvb_monitor(self) -> None:
        """Leave the TVB monitor's own state (its stock, running sums, noise stream) as its
        ``sample`` would have left it after the steps consumed so far (batch member 0), so
        that a later run, stock or engine, continues from there. Monitors that keep nothing
        between steps (``Raw``, ``SubSample``) keep this default, which does nothing."""
        return None


def node_space(spec) -> str:
    """Name of the engine's node axis: ``'vertex'`` in a surface simulation (``spec.surface``
    set), ``'region'`` otherwise.

    Parameters
    ----------
    spec : tvb_ngnmm.engine.spec.SimulationSpec
        What the engine read from the simulator.
    """
    return "region" if getattr(spec, "surface", None) is None else "vertex"


def vertex_count(surface) -> int:
    """Number of cortical vertices of a spec's ``surface``: the rows of its ``vertices`` (the
    nodes after them are the regions left off the surface)."""
    vertices = getattr(surface, "vertices", None)
    return int(surface.n_vertex) if vertices is None else int(np.shape(vertices)[0])


_ENGINE_MONITORS: dict[type, type[AbstractEngineMonitor]] = {}


def register_engine_monitor(*monitor_classes: type):
    """Class decorator: the decorated engine monitor runs these TVB monitor classes.

    Lookup is by exact class: a subclass of a registered monitor may sample differently and is
    not run unless it is registered itself.

    Parameters
    ----------
    *monitor_classes : type
        The TVB monitor classes.
    """

    def register(engine_class: type[AbstractEngineMonitor]) -> type[AbstractEngineMonitor]:
        if not (isinstance(engine_class, type) and issubclass(engine_class, AbstractEngineMonitor)):
            raise TypeError(
                "Invalid value for the 'engine_class' parameter. Allowed are subclasses of "
                f"AbstractEngineMonitor, but got {engine_class!r} instead."
            )
        for monitor_class in monitor_classes:
            _ENGINE_MONITORS[monitor_class] = engine_class
        return engine_class

    return register


def engine_monitor_class(monitor) -> type[AbstractEngineMonitor] | None:
    """The engine monitor registered for ``monitor``'s class (or for ``monitor``, a class),
    or None.

    Parameters
    ----------
    monitor : tvb.simulator.monitors.Monitor or type
        The TVB monitor, or its class.
    """
    return _ENGINE_MONITORS.get(monitor if isinstance(monitor, type) else type(monitor))


def engine_monitor_classes() -> tuple[type, ...]:
    """The TVB monitor classes the engine runs, sorted by name."""
    return tuple(sorted(_ENGINE_MONITORS, key=lambda cls: cls.__name__))


def engine_monitor_names() -> tuple[str, ...]:
    """Names of the TVB monitor classes the engine runs, sorted."""
    return tuple(sorted(cls.__name__ for cls in _ENGINE_MONITORS))


def select(obs: np.ndarray, voi: np.ndarray) -> np.ndarray:
    """``obs[:, voi]``, without a copy when ``voi`` takes every observed variable in order."""
    if len(voi) == obs.shape[1] and np.array_equal(voi, np.arange(len(voi))):
        return obs
    return obs[:, voi]


def stock_rows(stock: np.ndarray, first: int, last: int, istep: int, batch: int) -> np.ndarray:
    """TVB stock rows of steps ``first..last`` (chronological), broadcast to ``batch``."""
    steps = np.arange(first, last + 1)
    rows = stock[(steps % istep) - 1]
    return np.array(np.broadcast_to(rows, rows.shape[:-1] + (batch,)), dtype=float)


class BlockAverage:
    """Means over the blocks of ``istep`` steps ending at multiples of ``istep``.

    ``pending`` starts with the rows of the block under way at ``current_step`` taken from TVB's
    stock of the monitor, as a continued TVB run would (none when ``stock`` is None). It is fed
    either every step (:meth:`consume`) or, when the engine sums the blocks as it steps, their
    sums (:meth:`start_sum`, :meth:`consume_sums`); the means are the same.
    """

    def __init__(self, istep: int, stock: np.ndarray | None, current_step: int, batch: int):
        self.istep = int(istep)
        self.boundary = current_step - current_step % self.istep
        if stock is None:
            self.pending = None
        else:
            self.pending = stock_rows(stock, self.boundary + 1, current_step, self.istep, batch)
        self.sum_under_way = None  # with consume_sums: the sum of the block under way
        self.steps_under_way = 0 if self.pending is None else len(self.pending)

    @classmethod
    def continuing(
        cls, istep: int, sum_under_way: np.ndarray, current_step: int, batch: int
    ) -> BlockAverage:
        """A block average whose block under way at ``current_step`` has summed
        ``sum_under_way`` (n_voi, n_node, B) so far: kept as that sum followed by zeros, one row
        per step, whose sum in order is the same and so are the means."""
        average = cls(istep, None, current_step, batch)
        steps = current_step % average.istep
        if steps:
            average.pending = np.zeros((steps, *np.shape(sum_under_way)))
            average.pending[0] = sum_under_way
            average.steps_under_way = steps
        return average

    def rows_under_way(self) -> np.ndarray | None:
        """The steps of the block under way, one row each (the rows kept, or their sum
        followed by zeros when only the sum is kept), or None."""
        if self.pending is not None:
            return self.pending
        if self.sum_under_way is None or not self.steps_under_way:
            return None
        rows = np.zeros((self.steps_under_way, *self.sum_under_way.shape))
        rows[0] = self.sum_under_way
        return rows

    def store_stock(self, stock: np.ndarray) -> None:
        """Write the block under way (batch member 0) into TVB's ``stock`` (istep, n_voi,
        n_node, n_mode), where a monitor's ``sample`` keeps step ``s`` in row
        ``s % istep - 1``: its first rows. The other rows are overwritten before TVB reads them.
        """
        rows = self.rows_under_way()
        if rows is not None and len(rows):
            stock[: len(rows)] = rows[..., :1]

    def consume(self, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Steps (the block ends) and means of the blocks completed by ``values``."""
        if self.sum_under_way is not None:
            raise RuntimeError("BlockAverage.consume after consume_sums: use one or the other.")
        if self.pending is None:
            self.pending = np.zeros((0,) + values.shape[1:])
        # Only the rows of the block begun in an earlier chunk are copied; the rest are
        # averaged in place.
        head = np.zeros((0,) + values.shape[1:])
        if len(self.pending):
            need = self.istep - len(self.pending)
            if len(values) < need:
                self.pending = np.concatenate([self.pending, values])
                self.steps_under_way = len(self.pending)
                return np.zeros(0, dtype=np.int64), head
            block = np.concatenate([self.pending, values[:need]])
            head = block.reshape((1,) + block.shape).mean(axis=1)
            values = values[need:]
        n_out = len(values) // self.istep
        used = n_out * self.istep
        means = values[:used].reshape((n_out, self.istep) + values.shape[1:]).mean(axis=1)
        if len(head):
            means = np.concatenate([head, means])
        self.pending = values[used:].copy()
        ends = self.boundary + self.istep * np.arange(1, len(means) + 1)
        self.boundary += self.istep * len(means)
        self.steps_under_way = len(self.pending)
        return ends, means

    def start_sum(self) -> np.ndarray | None:
        """The sum of the steps of the block under way, to which :meth:`consume_sums` expects
        the next steps to have been added (in order), or None at a block boundary."""
        if self.pending is not None:  # rows kept so far (TVB's stock): their sum, in order
            if len(self.pending):
                self.sum_under_way = np.add.reduce(self.pending, axis=0)
            self.pending = None
        return self.sum_under_way

    def consume_sums(self, n_steps: int, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Steps (the block ends) and means of the blocks completed by ``n_steps`` more steps,
        given as their sums over blocks: ``rows[0]`` continues the block under way (it includes
        :meth:`start_sum`), the others begin at block boundaries; the last may be partial.

        The engine forms these sums in its compiled step (``obs_every``), adding the steps in
        order as :meth:`consume` does, so both give the same means.
        """
        if self.pending is not None:
            self.start_sum()
        total = self.steps_under_way + int(n_steps)
        complete = total // self.istep
        means = rows[:complete] / self.istep
        self.steps_under_way = total % self.istep
        self.sum_under_way = rows[complete].copy() if self.steps_under_way else None
        ends = self.boundary + self.istep * np.arange(1, complete + 1)
        self.boundary += self.istep * complete
        return ends, means
