"""Seeded initial histories: the same numbers every time, without NumPy's global generator.

TVB's ``Simulator.configure()`` draws the initial history that ``initial_conditions`` does not
give (all of it, or the steps missing from a short ``initial_conditions``): each state variable
uniformly in the model's ``state_variable_range``, ``connectivity.horizon`` steps of every node
(``Model.initial``), bounded and clamped by the integrator. A deterministic integrator draws it
from NumPy's global generator, which nothing fixes (two runs of one script differ); a stochastic
one from the noise's ``random_stream``, whose start it then uses up.

Where the package configures a simulator itself (the configuration files of the command line,
the simulators of ``sweep`` and ``fit`` with a ``history_seed``), :func:`configure_seeded` makes
TVB draw the same history from ``np.random.default_rng(history_seed)`` instead: TVB's own code
draws it (same shapes, same distribution, same padding of a short ``initial_conditions``), only
the generator differs. NumPy's global generator is neither used nor changed, and the noise
stream starts at ``RandomState(noise_seed)``, whole. A simulator the user configured keeps the
history TVB drew for it: :func:`~tvb_ngnmm.backend.NumbaBackend.run_sim` and ``run_batch`` never
draw another.
"""

from __future__ import annotations

import copy
import hashlib
import numbers

import numpy as np

from ._util import check_seed, check_values

#: The parts of a simulator a sweep's or fit's recipe copies (and the settings it keeps).
PARTS = ("model", "coupling", "integrator", "connectivity", "monitors", "stimulus",
         "conduction_speed", "initial_conditions", "simulation_length")  # fmt: skip
#: The history seed of a configuration file that names none (``[run].history_seed``).
DEFAULT_HISTORY_SEED = 0


def check_history_seed(history_seed, allow_none: bool = True) -> None:
    """``history_seed``: a non-negative integer (or None where ``allow_none``)."""
    if allow_none:
        check_seed(history_seed, allow_generator=False, name="history_seed")
    elif not (isinstance(history_seed, numbers.Integral) and not isinstance(history_seed, bool)
              and history_seed >= 0):  # fmt: skip
        raise ValueError(
            "Invalid value for the 'history_seed' parameter. Allowed values are non-negative "
            f"integers, but got {history_seed!r} instead."
        )


def check_initial_conditions(sim) -> None:
    """``sim.initial_conditions``: None, or finite values shaped (time, variable, node, mode).

    Raises
    ------
    ValueError
        Naming ``initial_conditions``, the shape allowed and the one given, or the first
        non-finite value.
    """
    initial = getattr(sim, "initial_conditions", None)
    if initial is None:
        return
    initial = np.asarray(initial)
    model, conn = sim.model, sim.connectivity
    n_var, n_mode = len(model.state_variables), int(model.number_of_modes)
    nodes = {int(conn.number_of_regions)}
    if sim.surface is not None:
        nodes.add(len(sim.surface.region_mapping))
    shapes = " or ".join(f"(n_time >= 1, {n_var}, {n}, {n_mode})" for n in sorted(nodes))
    if initial.ndim != 4 or initial.shape[0] < 1 or initial.shape[1:] not in {
        (n_var, n, n_mode) for n in nodes
    }:  # fmt: skip
        raise ValueError(
            "Invalid value for the 'initial_conditions' parameter of the simulator. Allowed are "
            f"arrays of shape {shapes} (time, state variable, node, mode), but got an array of "
            f"shape {initial.shape} instead."
        )
    check_values(initial, "the 'initial_conditions' parameter of the simulator")


def configure_seeded(sim, history_seed: int = DEFAULT_HISTORY_SEED):
    """Configure ``sim``, its random initial history drawn from ``history_seed``.

    TVB's ``configure()`` runs as usual, except that the history it draws at random (where
    ``sim.initial_conditions`` does not give it) comes from ``np.random.default_rng(history_seed)``
    rather than NumPy's global generator or the noise stream; a stochastic integrator's noise
    stream is reset to ``RandomState(noise_seed)`` first. NumPy's global random state is not
    changed.

    Parameters
    ----------
    sim : tvb.simulator.simulator.Simulator
        The simulator, configured or not (configured again).
    history_seed : int
        Seed (>= 0) of the initial history.

    Returns
    -------
    tvb.simulator.simulator.Simulator
        ``sim``, configured.

    Raises
    ------
    ValueError
        A seed that is not a non-negative integer; ``initial_conditions`` of the wrong shape or
        with non-finite values (before ``configure()`` runs).
    """
    check_history_seed(history_seed, allow_none=False)
    check_initial_conditions(sim)
    noise = getattr(sim.integrator, "noise", None)
    if noise is not None:
        noise.reset_random_stream()
    model, rng = sim.model, np.random.default_rng(history_seed)

    def initial_for_simulator(integrator, shape):  # TVB's, from another generator
        return model.initial(integrator.dt, shape, rng)

    model.initial_for_simulator = initial_for_simulator  # shadows the method, then removed
    try:
        sim.configure()
    finally:
        del model.initial_for_simulator
    return sim


def fix_noise_shape(integrator) -> None:
    """Give a configured noise's ``nsig`` back as one value per variable.

    ``configure()`` leaves it ``(n_var, 1, 1)``, a shape ``configure()`` itself does not accept
    (it logs an error and keeps it).
    """
    nsig = getattr(getattr(integrator, "noise", None), "nsig", None)
    if nsig is not None and nsig.ndim == 3 and nsig.shape[1:] == (1, 1):
        integrator.noise.nsig = nsig.reshape(-1)


def seeded_simulator(sim, history_seed: int):
    """A new simulator of ``sim``'s parts, configured by :func:`configure_seeded` (step 0).

    ``sim`` itself is not changed (its parts are copied).
    """
    # deferred: TVB's simulator imports all of TVB's model families (1.3 s)
    from tvb.simulator.simulator import Simulator  # noqa: PLC0415

    parts = {name: copy.deepcopy(getattr(sim, name)) for name in PARTS}
    fix_noise_shape(parts.get("integrator"))
    return configure_seeded(Simulator(**{k: v for k, v in parts.items() if v is not None}),
                            history_seed)  # fmt: skip


def initial_state_digest(history, current_state, current_step: int, noise_state) -> str:
    """SHA-256 of where a run starts: the history ring, the current state and step, and the
    noise stream's state (None without noise)."""
    sha = hashlib.sha256()
    for array in (history, current_state):
        array = np.ascontiguousarray(array)
        sha.update(f"{array.dtype.str}{array.shape}".encode())
        sha.update(array.tobytes())
    sha.update(str(int(current_step)).encode())
    if noise_state is not None:
        name, keys, position, has_gauss, cached = noise_state
        sha.update(f"{name}|{position}|{has_gauss}|{float(cached)!r}".encode())
        sha.update(np.ascontiguousarray(keys).tobytes())
    return sha.hexdigest()


def simulator_digest(sim) -> str:
    """:func:`initial_state_digest` of a configured simulator (where its next run starts)."""
    stream = getattr(getattr(sim.integrator, "noise", None), "random_stream", None)
    return initial_state_digest(
        np.array(sim.history.buffer),
        np.array(sim.current_state),
        sim.current_step,
        None if stream is None else stream.get_state(),
    )


def seed_attributes(sim, history_seed: int | None) -> dict:
    """The seeds of a run as attributes of its output files (netCDF and zarr accept them).

    ``history_seed``: the seed of the initial history, or ``'none'`` (the simulator's own
    history, as configured by its user, or ``initial_conditions``); ``noise_seed``: the noise
    stream's seed, or ``'none'`` for a deterministic integrator.
    """
    noise = getattr(sim.integrator, "noise", None)
    return {
        "history_seed": "none" if history_seed is None else int(history_seed),
        "noise_seed": "none" if noise is None else int(noise.noise_seed),
    }
