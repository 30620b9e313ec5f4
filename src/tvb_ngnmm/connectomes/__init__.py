"""Connectomes as configured TVB ``Connectivity`` objects: bundled, from files, from NIfTI
parcellations, synthetic; and their preprocessing."""

from ._checks import ConnectomeFileError, make_connectivity
from .aal90 import load_aal90
from .bundled import BUNDLES, CoordinateFrame, bundle_names, load_connectome
from .files import load_connectivity, read_connectivity, save_connectivity
from .io import read_array, read_edge_list, read_labels, save_array, save_edge_list
from .preprocessing import (
    lengths_to_delays,
    normalize,
    remove_self_connections,
    symmetrize,
    threshold,
)
from .tvb_zip import read_tvb_zip, write_tvb_zip

__all__ = [
    "BUNDLES",
    "ConnectomeFileError",
    "CoordinateFrame",
    "bundle_names",
    "lengths_to_delays",
    "load_aal90",
    "load_connectivity",
    "load_connectome",
    "make_connectivity",
    "normalize",
    "read_array",
    "read_connectivity",
    "read_edge_list",
    "read_labels",
    "read_tvb_zip",
    "remove_self_connections",
    "save_array",
    "save_connectivity",
    "save_edge_list",
    "symmetrize",
    "threshold",
    "write_tvb_zip",
]
