"""The gallery's notebooks copied into ``docs/gallery/`` (no Sphinx needed: the tests use it).

``notebooks/*.ipynb`` are copied only when they changed, so that myst-nb's cache sees an
unchanged page as unchanged; a stored full run, ``docs/gallery/full/<name>.ipynb`` (executed with
``FULL=1`` by ``make docs-full NOTEBOOK=<name>``), takes the place of the small run of the same
notebook and is shown as stored (not executed). A small run of a notebook that has a full version
gets a note saying so.
"""

from __future__ import annotations

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks"
GALLERY = ROOT / "docs" / "gallery"
FULL = GALLERY / "full"
#: Notebooks whose full run takes minutes to an hour (FULL=1); their small run is marked as such.
HAVE_FULL_RUN = ("04_", "05_", "06_", "07_", "08_")

SMALL_RUN_NOTE = (
    ":::{{note}}\nThis page shows the notebook's **small run** (`FULL=0`), executed when the "
    "site was built. The full run (`FULL=1`, {what}) is not stored with the site yet: "
    "`make docs-full NOTEBOOK={name}` runs it and stores its outputs under `docs/gallery/full/`, "
    "which this page then shows instead.\n:::"
)
FULL_RUN_NOTE = (
    ":::{{note}}\nThis page shows the stored outputs of the notebook's **full run** (`FULL=1`), "
    "refreshed by `make docs-full NOTEBOOK={name}`; it is not executed when the site is built.\n:::"
)


def write_if_changed(path: Path, text: str) -> None:
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)


def _with_note(notebook: dict, note: str) -> dict:
    cell = {"cell_type": "markdown", "metadata": {}, "source": note}
    cells = notebook["cells"]
    notebook["cells"] = [*cells[:1], cell, *cells[1:]]
    return notebook


def gallery_notebooks() -> list[str]:
    """The gallery's notebooks, by file stem, in order."""
    return sorted(p.stem for p in NOTEBOOKS.glob("*.ipynb"))


def sync_gallery(app, config=None) -> None:
    """Copy the notebooks (or their stored full runs) into ``docs/gallery/``."""
    wanted = set()
    for name in gallery_notebooks():
        full = FULL / f"{name}.ipynb"
        source = full if full.exists() else NOTEBOOKS / f"{name}.ipynb"
        notebook = json.loads(source.read_text(encoding="utf-8"))
        if full.exists():
            notebook = _with_note(notebook, FULL_RUN_NOTE.format(name=name))
            notebook.setdefault("metadata", {})["mystnb"] = {"execution_mode": "off"}
        elif name.startswith(HAVE_FULL_RUN):
            what = "minutes to an hour on two cores"
            notebook = _with_note(notebook, SMALL_RUN_NOTE.format(name=name, what=what))
        text = json.dumps(notebook, indent=1, ensure_ascii=False) + "\n"
        write_if_changed(GALLERY / f"{name}.ipynb", text)
        wanted.add(f"{name}.ipynb")
    for stale in GALLERY.glob("*.ipynb"):
        if stale.name not in wanted:
            stale.unlink()
