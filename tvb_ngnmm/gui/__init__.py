"""The plugin in The Virtual Brain's web GUI (tvb-framework).

:func:`register` makes the plugin's registered models (``NextGenEI``, ``MPRSynaptic``, ...:
:func:`plugin_models`) and couplings (``Laplacian``, ``Additive``: :func:`plugin_couplings`)
selectable in the simulator page, with parameter forms generated from their traits.
``tvb-ngnmm gui`` starts the GUI on loopback with the plugin registered, an
SQLite database and a seeded project; :func:`adapt_phase_plane` makes TVB's phase-plane page
work under NumPy 2 and show the plugin models' equations (the launcher calls it). Needs the
``gui`` extra: ``pip install 'tvb-ngnmm[gui]'``.
"""

from ._phase_plane import adapt_phase_plane, is_phase_plane_adapted, restore_phase_plane
from ._registry import (
    BUILT_AGAINST,
    coupling_form_class,
    is_registered,
    model_form_class,
    plugin_couplings,
    plugin_models,
    register,
    unregister,
)

__all__ = [
    "BUILT_AGAINST",
    "adapt_phase_plane",
    "is_phase_plane_adapted",
    "restore_phase_plane",
    "coupling_form_class",
    "is_registered",
    "model_form_class",
    "plugin_couplings",
    "plugin_models",
    "register",
    "unregister",
]
