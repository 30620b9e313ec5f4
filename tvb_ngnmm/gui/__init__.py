"""The plugin in The Virtual Brain's web GUI (tvb-framework).

:func:`register` makes the plugin's registered models (``NextGenEI``, ``MPRSynaptic``, ...:
:func:`plugin_models`) and couplings (``Laplacian``, ``Additive``: :func:`plugin_couplings`)
selectable in the simulator page, with parameter forms generated from their traits.
``tvb-ngnmm gui`` starts the GUI on loopback with the plugin registered, an
SQLite database and a seeded project; :func:`adapt_phase_plane` makes TVB's phase-plane page
work under NumPy 2 and show the plugin models' equations (the launcher calls it).
:func:`use_engine` runs the GUI's simulations (simulator page and parameter space exploration)
on the fast engine when it supports them, on stock TVB otherwise, saying which in each
operation's log and message (``TVB_NGNMM_GUI_ENGINE=0``: always stock TVB);
:func:`refuse_invalid_model_parameters` has the simulator page refuse, at the model form, a
parameter value the model refuses, with the model's message. The launcher calls both. Needs the
``gui`` extra: ``pip install 'tvb-ngnmm[gui]'``.
"""

from ._engine import ENGINE_VARIABLE, is_engine_used, stop_using_engine, use_engine
from ._model_form import (
    accept_any_model_parameters,
    are_invalid_model_parameters_refused,
    refuse_invalid_model_parameters,
)
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
    "ENGINE_VARIABLE",
    "accept_any_model_parameters",
    "are_invalid_model_parameters_refused",
    "is_engine_used",
    "refuse_invalid_model_parameters",
    "stop_using_engine",
    "use_engine",
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
