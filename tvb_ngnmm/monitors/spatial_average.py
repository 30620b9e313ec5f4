"""TVB's ``SpatialAverage`` in the engine: means over groups of nodes, every ``istep`` steps.

TVB's monitor (``tvb.simulator.monitors.SpatialAverage``) groups the nodes by its
``spatial_mask`` (one group index per node, contiguous from zero) and records, at the steps that
are multiples of ``istep`` and at time ``step * dt``, the mean of each group:
``spatial_mean @ state``, with ``spatial_mean`` (n_group, n_node) holding ``1 / size`` of each
group. Without a mask TVB takes

- in a surface simulation, the surface's region mapping (``Cortex.region_mapping``: the
  vertices' regions followed by the regions it leaves out, one node each), so the output is the
  mean of each region's vertices, one value per region of the connectivity; a region left out of
  the mapping is its own one-node group, its value the node's;
- in a region simulation, ``default_mask``: ``'cortical'`` (two groups, non-cortical then
  cortical regions, or one group when all regions are of one kind) or ``'hemispheres'`` (left
  then right, or one group).

The engine uses the ``spatial_mean`` TVB configured, as a sparse matrix (TVB's is dense: 10 MB
read at every sample for ``cortex_16384``, where the sparse one holds one entry per node), so
both give the same numbers up to the order of the sums (float rounding). The output's
spatial axis is ``'region'`` (labelled with the connectivity's region labels) when the groups
are the regions of a surface simulation, and ``'area'`` (labelled ``'area 0'``, ``'area 1'``,
...) otherwise.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse
from tvb.simulator import monitors as tvb_monitors

from ._base import AbstractEngineMonitor, register_engine_monitor, select


def nodes_first_product(matrix: np.ndarray, values: np.ndarray) -> np.ndarray:
    """``matrix @ values`` over the node axis of ``values`` (n_sample, n_voi, n_node, B).

    The nodes are made the leading, contiguous axis first, so that one matrix product covers
    every sample, variable and member. Returns (n_sample, n_voi, n_row, B).
    """
    n_sample, n_voi, n_node, batch = values.shape
    nodes_first = np.ascontiguousarray(values.transpose(2, 0, 1, 3)).reshape(n_node, -1)
    product = np.asarray(matrix @ nodes_first).reshape(matrix.shape[0], n_sample, n_voi, batch)
    return product.transpose(1, 2, 0, 3)


def group_labels(mask: np.ndarray, spec) -> tuple[str, tuple[str, ...]]:
    """The output's axis name and labels for the groups of ``mask``."""
    surface = getattr(spec, "surface", None)
    n_group = int(mask.max()) + 1
    if surface is not None and np.array_equal(mask, surface.region_mapping):
        labels = tuple(str(label) for label in surface.region_labels)
        if len(labels) == n_group:
            return "region", labels
    return "area", tuple(f"area {k}" for k in range(n_group))


@register_engine_monitor(tvb_monitors.SpatialAverage)
class EngineSpatialAverage(AbstractEngineMonitor):
    """Group means of the observed variables at every ``istep``-th step."""

    def __init__(self, monitor, spec, batch):
        super().__init__(monitor, spec, batch)
        self.istep = int(monitor.istep)
        self.spatial_mean = scipy.sparse.csr_matrix(monitor.spatial_mean, dtype=float)
        mask = np.asarray(monitor.spatial_mask).ravel()
        n_node = len(spec.labels)
        if self.spatial_mean.shape[1] != n_node or mask.size != n_node:
            raise ValueError(
                "Invalid value for the 'spatial_mask' parameter of the SpatialAverage monitor. "
                f"Allowed is one group index per node of the simulation ({n_node}), but got "
                f"{mask.size} instead (configure the simulator again after changing it)."
            )
        self.space, self.space_labels = group_labels(mask, spec)

    def consume(self, steps, obs):
        keep = steps % self.istep == 0
        values = select(obs[keep], self.voi)
        return steps[keep] * self.dt, nodes_first_product(self.spatial_mean, values)
