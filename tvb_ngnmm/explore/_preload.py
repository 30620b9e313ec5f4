"""Imported by the local cluster's fork server before it forks the workers: TVB's simulator,
with the gufuncs TVB compiles at import loaded from Numba's cache (:mod:`tvb_ngnmm._numba`)."""

from .._numba import import_tvb_simulator

import_tvb_simulator()
