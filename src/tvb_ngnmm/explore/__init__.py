"""Parameter sweeps on Dask into labelled zarr stores.

``sweep(sim, design, measures, store)`` runs a design (:func:`grid`, :func:`points`,
:func:`sobol`) of a configured TVB simulator as engine batches inside Dask tasks (a local
cluster by default), reduces each point on the worker (:data:`MEASURES`) and writes the results
as they arrive to a zarr store that a second call resumes. Needs the ``explore`` extra
(``pip install 'tvb-ngnmm[explore]'``: dask[distributed], zarr).
"""

from .design import Design, grid, points, sobol
from .reduce import MEASURES
from .store import SweepStore
from .sweep import sweep

__all__ = ["Design", "MEASURES", "SweepStore", "grid", "points", "sobol", "sweep"]
