"""The documentation site's generated parts (docs/_ext): the API pages cover every subpackage's
public names, the model catalogue every registered model, the gallery every notebook (a stored
full run in place of the small one), and the configuration builds offline."""

import json
import sys
from pathlib import Path

import pytest

import tvb_ngnmm

REPOSITORY = Path(__file__).resolve().parents[1]
DOCS = REPOSITORY / "docs"
sys.path.insert(0, str(DOCS / "_ext"))

import api_pages  # noqa: E402 - the site's extension modules, from docs/_ext
import catalogue  # noqa: E402


def _subpackages() -> list[str]:
    return sorted(
        p.parent.name
        for p in (REPOSITORY / "tvb_ngnmm").glob("*/__init__.py")
        if not p.parent.name.startswith("_")
    )


def test_every_subpackage_has_an_api_page():
    """A subpackage added to the package without a page in the API reference fails here."""
    pages = {module.removeprefix("tvb_ngnmm.") for _, module, _ in api_pages.PAGES}
    assert set(_subpackages()) <= pages, set(_subpackages()) - pages


def test_an_api_page_lists_every_name_of_its_all():
    """Each page's autosummary holds every name of the subpackage's ``__all__``."""
    import tvb_ngnmm.explore

    text = api_pages.rst("explore", "tvb_ngnmm.explore", "summary")
    listed = {line.strip() for line in text.splitlines() if line.startswith("   ") and
              not line.strip().startswith(":")}  # fmt: skip
    assert set(tvb_ngnmm.explore.__all__) <= listed
    backend = api_pages.rst("backend", "tvb_ngnmm.backend", "summary")
    assert "   NumbaBackend" in backend.splitlines()


def test_the_catalogue_has_every_registered_model():
    """Every registered model has its section with its docstring's equations and parameters."""
    from tvb_ngnmm.models import registered_models

    text = catalogue.markdown()
    for declaration in registered_models():
        assert f"\n## {declaration.name}\n" in text
    nextgen = text.split("\n## NextGenEI\n", 1)[1].split("\n## ", 1)[0]
    assert r"\tau_e \dot r_e" in nextgen  # the docstring's equations
    row = "| `tau_e` | {math}`\\tau_e` | 8 | 0.1 to 50 (step 0.1) | Membrane time constant"
    assert row in nextgen


def test_the_catalogue_makes_tvb_citations_plain():
    """TVB's docstrings cite with ``.. [label]`` (global labels in Sphinx, repeated across
    models): the catalogue makes each a plain paragraph, continuation lines joined."""
    doc = "Text [JR_1995]_.\n\n.. [JR_1995]  Jansen, B., *Electro\n    encephalogram*, 1995.\n"
    plain = catalogue._plain_citations(doc)
    assert "[JR_1995] Jansen, B., *Electro encephalogram*, 1995." in plain
    assert ".. [" not in plain


def test_a_docstring_whose_markup_fails_is_shown_as_written():
    """A docstring that docutils reports on (here, unbalanced emphasis as in some of TVB's) is
    shown as a literal block rather than breaking the build; Sphinx's roles do not count."""

    class Broken:
        """Summary with *unbalanced emphasis.

        .. math:: x = 1
        """

    class Clean:
        """Summary naming :class:`tvb_ngnmm.models.NextGenEI` and :math:`x`."""

    assert catalogue._docstring_block(Broken)[2] == "```text"
    assert catalogue._docstring_block(Clean)[0] == "```{eval-rst}"


def _notebook(source: str) -> dict:
    return {
        "cells": [
            {"cell_type": "markdown", "metadata": {}, "source": "# Title"},
            {"cell_type": "code", "metadata": {}, "source": source, "outputs": [],
             "execution_count": None},
        ],
        "metadata": {},
        "nbformat": 4,
        "nbformat_minor": 5,
    }  # fmt: skip


@pytest.fixture
def gallery(tmp_path, monkeypatch):
    import gallery_sync as ngnmm_docs

    notebooks, target = tmp_path / "notebooks", tmp_path / "gallery"
    notebooks.mkdir()
    for name in ("01_small", "05_long"):
        (notebooks / f"{name}.ipynb").write_text(json.dumps(_notebook(f"print('{name}')")))
    monkeypatch.setattr(ngnmm_docs, "NOTEBOOKS", notebooks)
    monkeypatch.setattr(ngnmm_docs, "GALLERY", target)
    monkeypatch.setattr(ngnmm_docs, "FULL", target / "full")
    return ngnmm_docs, target


def test_the_gallery_copies_notebooks_and_marks_small_runs(gallery):
    """Notebooks are copied; one with a full run says that the page shows its small run."""
    ngnmm_docs, target = gallery
    ngnmm_docs.sync_gallery(None)
    assert sorted(p.name for p in target.glob("*.ipynb")) == ["01_small.ipynb", "05_long.ipynb"]
    small = json.loads((target / "05_long.ipynb").read_text())
    assert "**small run**" in small["cells"][1]["source"]
    assert len(json.loads((target / "01_small.ipynb").read_text())["cells"]) == 2
    mtime = (target / "01_small.ipynb").stat().st_mtime_ns
    ngnmm_docs.sync_gallery(None)  # unchanged: not written again (myst-nb's cache sees no change)
    assert (target / "01_small.ipynb").stat().st_mtime_ns == mtime


def test_a_stored_full_run_replaces_the_small_run(gallery):
    """``docs/gallery/full/<name>.ipynb`` is shown as stored (not executed), with its note."""
    ngnmm_docs, target = gallery
    (target / "full").mkdir(parents=True)
    full = _notebook("print('full')")
    full["cells"][1]["outputs"] = [{"output_type": "stream", "name": "stdout", "text": "full\n"}]
    (target / "full" / "05_long.ipynb").write_text(json.dumps(full))
    ngnmm_docs.sync_gallery(None)
    shown = json.loads((target / "05_long.ipynb").read_text())
    assert "**full run**" in shown["cells"][1]["source"]
    assert shown["cells"][2]["outputs"][0]["text"] == "full\n"
    assert shown["metadata"]["mystnb"] == {"execution_mode": "off"}


def test_the_site_builds_offline():
    """No intersphinx (it fetches inventories), MathJax from the site itself, and the notebooks
    executed with a cache."""
    conf = (DOCS / "conf.py").read_text()
    namespace: dict = {"__file__": str(DOCS / "conf.py")}
    exec(compile(conf, str(DOCS / "conf.py"), "exec"), namespace)
    assert not any("intersphinx" in name for name in namespace["extensions"])
    assert "://" not in namespace["mathjax_path"]
    assert namespace["nb_execution_mode"] == "cache"
    assert namespace["release"] == tvb_ngnmm.__version__


def test_the_committed_catalogue_is_what_the_registry_gives():
    """docs/reference/models.md (linked from the README, rewritten by every ``make docs``) is
    the catalogue of the registered models as they are."""
    page = (DOCS / "reference" / "models.md").read_text(encoding="utf-8")
    assert page == catalogue.markdown(), "run make docs (it rewrites docs/reference/models.md)"
