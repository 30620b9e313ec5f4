"""Connectomes as configured TVB ``Connectivity`` objects: bundled, from files, from NIfTI
parcellations, synthetic; and their preprocessing. Cortical surfaces for surface simulations."""

from ._budget import get_max_load_bytes, set_max_load_bytes
from ._checks import (
    ConnectomeFileError,
    check_matrix,
    hemispheres_from_labels,
    make_connectivity,
)
from .aal90 import load_aal90
from .bundled import BUNDLES, bundle_names, load_connectome
from .edge_lists import read_edge_list, save_edge_list
from .files import load_connectivity, read_connectivity, save_connectivity
from .frames import CoordinateFrame
from .io import read_array, read_labels, save_array
from .nifti import (
    Parcellation,
    connectivity_from_parcellation,
    read_label_table,
    read_parcellation,
    region_values_to_nifti,
)
from .plotting import plot_centres, plot_weights
from .preprocessing import (
    lengths_to_delays,
    normalize,
    remove_self_connections,
    symmetrize,
    threshold,
)
from .surfaces import load_cortex, load_surface_projection, refine_cortex
from .synthetic import (
    hub_network,
    modular_network,
    random_network,
    ring_network,
    small_world_network,
)
from .tvb_zip import read_tvb_zip, write_tvb_zip

__all__ = [
    "BUNDLES",
    "ConnectomeFileError",
    "CoordinateFrame",
    "Parcellation",
    "bundle_names",
    "check_matrix",
    "connectivity_from_parcellation",
    "get_max_load_bytes",
    "hemispheres_from_labels",
    "hub_network",
    "lengths_to_delays",
    "load_aal90",
    "load_connectivity",
    "load_connectome",
    "load_cortex",
    "load_surface_projection",
    "make_connectivity",
    "modular_network",
    "normalize",
    "plot_centres",
    "plot_weights",
    "random_network",
    "read_array",
    "read_connectivity",
    "read_edge_list",
    "read_label_table",
    "read_labels",
    "read_parcellation",
    "read_tvb_zip",
    "refine_cortex",
    "region_values_to_nifti",
    "remove_self_connections",
    "ring_network",
    "save_array",
    "save_connectivity",
    "save_edge_list",
    "set_max_load_bytes",
    "small_world_network",
    "symmetrize",
    "threshold",
    "write_tvb_zip",
]
