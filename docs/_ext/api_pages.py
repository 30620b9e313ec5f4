"""The API reference's pages, one per subpackage, written from the package's ``__all__`` lists.

Every public name gets an entry (and a page of its own, by autosummary): the names in each
subpackage's ``__all__``, plus the public entry points that live in a module of their own
(:data:`EXTRA`). A name added to an ``__all__`` appears in the reference at the next build.
"""

from __future__ import annotations

import importlib

#: (page, module, summary) in the order of the reference's index.
PAGES = [
    ("backend", "tvb_ngnmm.backend", "The fast engine as a drop-in for ``sim.run()``."),
    ("engine", "tvb_ngnmm.engine", "The engine's batches, continuation, errors, support matrix."),
    ("models", "tvb_ngnmm.models", "Models, presets and the model registry."),
    ("coupling", "tvb_ngnmm.coupling", "Couplings and the coupling registry."),
    ("monitors", "tvb_ngnmm.monitors", "Monitors (BOLD, projections) and their engine side."),
    ("connectomes", "tvb_ngnmm.connectomes", "Connectomes: bundled, files, NIfTI, synthetic."),
    ("datasets", "tvb_ngnmm.datasets", "Empirical datasets, their readers and splits."),
    ("imaging", "tvb_ngnmm.imaging", "Sensors, head models, forward solutions, MNE export."),
    ("analysis", "tvb_ngnmm.analysis", "Measures of simulated signals."),
    ("stability", "tvb_ngnmm.stability", "Fixed points, continuation, cycles, MSF, Lyapunov."),
    ("validation", "tvb_ngnmm.validation", "The spiking network behind the mean field."),
    ("explore", "tvb_ngnmm.explore", "Sweeps, fits and their validation on Dask."),
    ("cli", "tvb_ngnmm.cli", "The ``tvb-ngnmm`` command line."),
    ("gui", "tvb_ngnmm.gui", "The plugin's models in TVB's web GUI."),
    ("testing", "tvb_ngnmm.testing", "Conformance suites for new models, couplings and monitors."),
]

#: Public entry points outside an ``__all__`` (full names).
EXTRA = {
    "backend": ["tvb_ngnmm.backend.NumbaBackend"],
    "engine": [
        "tvb_ngnmm.engine.batch.run_batch",
        "tvb_ngnmm.engine.continuation.unchanged",
    ],
    "cli": ["tvb_ngnmm.cli.main", "tvb_ngnmm.cli.config.read_config"],
}


def public_names(page: str, module: str) -> list[str]:
    """Full names of the page's public names."""
    names = [f"{module}.{name}" for name in getattr(importlib.import_module(module), "__all__", ())]
    return sorted(set(names + EXTRA.get(page, [])), key=str.lower)


def rst(page: str, module: str, summary: str) -> str:
    """The reStructuredText of one API page."""
    title = f"``{module}``"
    lines = [
        f".. _api-{page}:",
        "",
        title,
        "=" * len(title),
        "",
        summary,
        "",
        f".. automodule:: {module}",
        "   :no-members:",
        "",
        f".. currentmodule:: {module}",
        "",
        ".. autosummary::",
        "   :toctree: generated",
        "   :nosignatures:",
        "",
    ]
    lines += [f"   {name.removeprefix(module + '.')}" for name in public_names(page, module)]
    return "\n".join(lines) + "\n"


def index() -> str:
    """The reference's index page."""
    lines = [
        "API reference",
        "=============",
        "",
        "Every public name of the package, one page per subpackage (the names of its",
        "``__all__``, and the entry points of its modules).",
        "",
        ".. toctree::",
        "   :maxdepth: 1",
        "",
    ]
    lines += [f"   {page}" for page, _, _ in PAGES]
    return "\n".join(lines) + "\n"
