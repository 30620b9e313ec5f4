r"""Standard normal draws for the stochastic integrators, generated in bulk per chunk.

TVB's additive white noise adds :math:`(\sqrt{dt}\, z)\, \sqrt{2\, nsig}` to each integrated
state variable of each node at each step, with ``z`` standard normal drawn with shape
``(n_var, n_node, n_mode)`` per step from the noise's ``random_stream``. Two sources:

- ``seed=None``: the simulator's own ``random_stream``, replayed from a copy of its state
  (:class:`.legacy_normals.LegacyNormals`): each chunk consumes the stream exactly as its
  ``n_steps`` TVB steps do, so a run reproduces ``sim.run()`` step for step (``run_sim`` then
  leaves the simulator's stream where ``sim.run()`` would, :mod:`.continuation`); only the
  draws of the state variables with a non-zero amplitude are computed.
- ``seed=int``: a :class:`.normals.NormalStream` (compiled xoshiro256++ and ziggurat, about
  three times faster than NumPy's generator); same distribution, different draws; only the
  state variables with a non-zero amplitude are drawn. A ``numpy.random.Generator`` given as
  the seed is drawn from with its own ``standard_normal``.
- batches (:func:`.batch.run_batch`), ``seed=None``: every member draws the simulator's own
  stream (a copy per group of members, the draws shared by the group's members), so each
  member reproduces and equals ``run_sim`` of the simulator with that member's parameters
  (common random numbers over the sweep);
- batches, ``seed=int``: one stream per member (``SeedSequence(seed).spawn(B)``),
  independent realisations that do not depend on how the batch is split over threads.
"""

from __future__ import annotations

import numpy as np

from .legacy_normals import LegacyNormals
from .normals import NormalStream


class NoiseSource:
    """Chunks of standard normals ``(n_steps, n_var, n_node, B)`` (empty when deterministic)."""

    def __init__(self, sim, stochastic: bool, seed=None, batch: int = 1, members=None):
        self.stochastic = stochastic
        self.noisy = None  # indices of the state variables drawn (None: all)
        self.batch = batch
        self.stream = None
        self.rng = None
        self.members = members
        if not stochastic or members is not None:
            return
        if seed is None:
            self.stream = LegacyNormals(sim.integrator.noise.random_stream)
        elif isinstance(seed, np.random.Generator):
            self.rng = seed
        else:
            self.rng = NormalStream(seed)

    def index(self, noise_scale: np.ndarray) -> np.ndarray:
        """Row of each state variable in the drawn noise (-1: none, a zero amplitude)."""
        n_var = noise_scale.shape[0]
        if not self.stochastic:
            self.noisy = np.arange(n_var)
        else:
            self.noisy = np.flatnonzero(np.any(noise_scale != 0.0, axis=1))
        index = np.full(n_var, -1, dtype=np.int64)
        index[self.noisy] = np.arange(self.noisy.size)
        return index

    def draw(self, n_steps: int, n_var: int, n_node: int) -> np.ndarray:
        """The normals of the next ``n_steps`` steps, (n_steps, n_noisy, n_node, B)."""
        if not self.stochastic:
            return np.zeros((0, 1, 1, 1))
        if self.stream is not None:  # all of TVB's draws consumed, the noisy rows kept
            draws = self.stream.normal((n_steps, n_var, n_node, 1), self.noisy)
            return draws if self.batch == 1 else np.repeat(draws, self.batch, axis=-1)
        if self.noisy is not None:
            n_var = self.noisy.size
        shape = (n_steps, n_var, n_node, self.batch)
        if self.members is not None:
            out = np.empty(shape)
            for b, rng in enumerate(self.members):
                out[..., b] = rng.standard_normal(shape[:-1])
            return out
        return self.rng.standard_normal(shape)
