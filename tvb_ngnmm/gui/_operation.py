"""Entry point of the process that runs one TVB operation, with simulations on the engine.

The TVB web server (with :func:`tvb_ngnmm.gui.use_engine`) runs
``python -m tvb_ngnmm.gui._operation OPERATION PROFILE`` where tvb-framework would run
``python -m tvb.core.operation_async_launcher OPERATION PROFILE``: this wraps
``SimulatorAdapter.launch`` (:func:`tvb_ngnmm.gui._engine.install_engine_launch`; if that
fails, a warning in the operation's log and TVB's own loop), then runs TVB's launcher as its own
main module, with the same arguments.
"""

from __future__ import annotations

import runpy
import sys

from tvb.basic.logger.builder import get_logger
from tvb.basic.profile import TvbProfile

from ._engine import TVB_LAUNCHER, install_engine_launch


def main(argv: list[str]) -> None:
    """Set TVB's profile as its launcher does, install the engine's hook, run the launcher."""
    _, profile = argv
    TvbProfile.set_profile(profile, True)
    try:
        install_engine_launch()
    except (ImportError, AttributeError, KeyError) as error:  # the operation runs anyway
        get_logger(__name__).warning("Simulations run on stock TVB: %r", error)
    runpy.run_module(TVB_LAUNCHER, run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main(sys.argv[1:])
