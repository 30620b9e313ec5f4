"""Sphinx configuration of the tvb_ngnmm documentation site (``make docs``).

The site builds offline: no intersphinx, MathJax served from the built site (the copy that the
``jupyter-server-mathjax`` package ships), notebooks and user-guide pages executed by myst-nb
with a jupyter-cache (an unchanged page is not run again). Warnings are errors (``-W``) and
references are checked (``nitpicky``), with the short list of exceptions below.
"""

import os
import sys
from pathlib import Path

import tvb_ngnmm

DOCS = Path(__file__).resolve().parent
sys.path.insert(0, str(DOCS / "_ext"))
sys.path.insert(1, str(DOCS.parent))  # the benchmarks' workloads, documented on their page

project = "tvb_ngnmm"
author = "The tvb_ngnmm developers"
copyright = "the tvb_ngnmm developers; GPL-3.0-or-later"  # noqa: A001 - Sphinx's name
release = version = tvb_ngnmm.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "numpydoc",
    "myst_nb",
    "sphinx_design",
    "sphinx_copybutton",
    "ngnmm_docs",
]

source_suffix = {".rst": "restructuredtext", ".md": "myst-nb", ".ipynb": "myst-nb"}
# gallery/full holds stored full runs, shown through their copies in gallery/ (gallery_sync).
exclude_patterns = ["_build", "jupyter_execute", "**.ipynb_checkpoints", "gallery/full"]
templates_path = ["_templates"]
html_static_path = ["_static"]
html_css_files = ["ngnmm.css"]

# -- theme ---------------------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"tvb_ngnmm {release}"
html_theme_options = {
    "navbar_align": "left",
    "show_toc_level": 2,
    "navigation_with_keys": False,
    "icon_links": [],
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version"],
}
html_show_sourcelink = False
html_last_updated_fmt = None

# -- math: MathJax 2 from the built site itself (no network) --------------------------------
mathjax_path = "mathjax/MathJax.js?config=TeX-AMS-MML_HTMLorMML-full"
# jupyter-server-mathjax ships MathJax 2 with the STIX-Web fonts of its HTML-CSS output only.
mathjax2_config = {
    "messageStyle": "none",
    "showMathMenu": False,
    # Sphinx marks the page to be ignored and each formula to be processed (class "math").
    "tex2jax": {
        "inlineMath": [["\\(", "\\)"]],
        "displayMath": [["\\[", "\\]"]],
        "processEscapes": True,
        "ignoreClass": "tex2jax_ignore|mathjax_ignore|document",
        "processClass": "tex2jax_process|mathjax_process|math|output_area",
    },
    "HTML-CSS": {
        "availableFonts": [],
        "imageFont": None,
        "preferredFont": None,
        "webFont": "STIX-Web",
    },
}
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence", "deflist", "substitution"]
myst_heading_anchors = 3

# -- API reference -------------------------------------------------------------------------
autosummary_generate = True
autosummary_imported_members = False
autodoc_typehints = "none"
autoclass_content = "class"
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False
numpydoc_attributes_as_param_list = False
# Validated on every public name (the API pages), each check below must pass: GL08 (a docstring),
# SS01/SS02 (a summary line, capitalised), PR01/PR02/PR03/PR06 (every parameter documented, and
# only those, in the signature's order, with numpydoc's type names), RT03 (returns described).
# A class is checked against its constructor: result dataclasses document their fields as
# Parameters, TVB's traited classes their ``**kwargs``. Left out as style: ES01, SA01, EX01,
# SS03, SS05, SS06, GL01, GL02, PR08, PR09, RT02, RT04, RT05, YD01.
numpydoc_validation_checks = {"GL08", "PR01", "PR02", "PR03", "PR06", "RT03", "SS01", "SS02"}
# Not validated: ``__init__`` and ``__call__`` (documented in their class), TVB's own names, and
# constants (upper-case names: a constant's docstring is its type's, e.g. ``dict``'s).
# The monitors' contract attributes are documented by ``#:`` comments (their value is None).
numpydoc_validation_exclude = {
    r"\.__init__$",
    r"^tvb\.",
    r"\.__call__$",
    r"\.[A-Z][A-Z0-9_]*$",
    r"AbstractEngineMonitor\.(block_average|blow_up)$",
    # TVB's classes as imported into modules documented with their members (their docstrings
    # are TVB's): the workloads' module, the gw dataset's
    r"^benchmarks\.workloads\.[A-Z]",
    r"\.(Connectivity|Simulator)$",
}

# -- notebooks and executed pages ----------------------------------------------------------
nb_execution_mode = os.environ.get("NB_EXECUTION_MODE", "cache")
nb_execution_cache_path = str(DOCS / "_build" / ".jupyter_cache")
nb_execution_timeout = int(os.environ.get("NB_EXECUTION_TIMEOUT", "1800"))
nb_execution_raise_on_error = True
nb_execution_show_tb = True
nb_merge_streams = True
nb_output_stderr = "remove"  # warnings and progress bars would bury what the examples print
os.environ.setdefault("TQDM_DISABLE", "1")  # no progress widgets in the executed pages
nb_execution_in_temp = True  # files that the examples write land in a temporary folder
nb_render_image_options = {"width": "100%"}

# -- cross-references ----------------------------------------------------------------------
nitpicky = True
# Types named in docstrings that are not in this site (no intersphinx: the build is offline).
nitpick_ignore_regex = [
    (
        r"py:.*",
        r"(numpy|np|xarray|xr|scipy|matplotlib|pandas|dask|distributed|mne|nibabel|zarr"
        r"|tvb|pathlib|collections|typing|concurrent|numba|os|io|h5py)\..*",
    ),
    (
        r"py:class",
        r"(Path|ndarray|DataArray|Dataset|Figure|Axes|Simulator|Connectivity|Model"
        r"|Coupling|Monitor|Integrator|Generator|Callable|Sequence|Mapping|Iterable|Iterator"
        r"|PathLike|Client|Future|np\.ndarray|array_like|array-like|optional|default)",
    ),
    # Modules named in docstrings that have no page of their own (the API reference documents
    # the subpackages' public names), by full or relative name.
    (r"py:mod", r"(tvb_ngnmm\.)?[a-z_.]+"),
    # Functions and classes named relative to a module of their subpackage (``fit.run_fit``), or
    # by a short name (an attribute of the class's Attributes section, a module's constant or
    # private helper): implementation names without a page.
    (
        r"py:(func|class|meth|attr|data|obj)",
        r"(_?[A-Za-z][A-Za-z0-9_]*|(?!tvb_ngnmm\.)[a-z_]+\.[A-Za-z_.]+)",
    ),
    # Public helpers of modules outside the API pages, named by their full name.
    (
        r"py:(func|class|attr)",
        r"tvb_ngnmm\.(seeding\.configure_seeded|engine\.spec\.(extract|checked_spec)"
        r"|models\.tvb_models\.load_family|coupling\.linear_form\.LinearForm"
        r"|datasets\.Dataset\.structure)",
    ),
]
suppress_warnings = ["myst.header", "config.cache"]
