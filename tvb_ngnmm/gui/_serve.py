"""Entry point of the TVB web server process with the plugin registered (loopback only).

Run as ``python -m tvb_ngnmm.gui._serve`` with ``TVB_USER_HOME`` pointing at a folder prepared by
:func:`tvb_ngnmm.gui.server.prepare_home`.
"""

from __future__ import annotations

import sys

from tvb.basic.profile import TvbProfile

from tvb_ngnmm.gui import (
    adapt_phase_plane,
    refuse_invalid_model_parameters,
    register,
    use_engine,
)

LOOPBACK = "127.0.0.1"


def main() -> None:
    """Register the plugin, adapt the phase-plane page, serve on loopback until terminated.

    Simulations run on the engine when it can run them (:func:`tvb_ngnmm.gui.use_engine`), and
    the simulator page refuses model parameters the model refuses.
    """
    TvbProfile.set_profile(TvbProfile.WEB_PROFILE)

    register()
    adapt_phase_plane()  # NumPy 2 fix and the plugin models' equations (see _phase_plane.py)
    use_engine()  # see _engine.py
    refuse_invalid_model_parameters()  # see _model_form.py
    # TVB binds all interfaces by default; serve on loopback only.
    TvbProfile.current.web.CHERRYPY_CONFIGURATION["global"]["server.socket_host"] = LOOPBACK
    # deferred: optional extra 'gui', imported after its profile is set
    from tvb.interfaces.web import run  # noqa: PLC0415

    run.start_tvb([], browser=False)


if __name__ == "__main__":
    sys.exit(main())
