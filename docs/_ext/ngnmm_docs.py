"""The site's own Sphinx extension: the gallery, the model catalogue and the offline MathJax.

- **Gallery.** The notebooks are copied into ``docs/gallery/`` (:mod:`gallery_sync`: a stored
  full run in place of a small run). The ``ngnmm-gallery`` directive draws one card per
  notebook, with a thumbnail taken from the notebook's figures (the output of the cell tagged
  ``thumbnail``, else the last figure).
- **Model catalogue.** ``docs/reference/models.md`` is written from the model registry
  (:func:`tvb_ngnmm.models.registered_models`): every registered model's docstring (its
  equations), its parameters with defaults, ranges and descriptions (units), and state
  variables with their ranges.
- **API reference.** ``docs/api/*.rst``, one page per subpackage, from :mod:`api_pages`.
- **References.** A docstring's reference to an object by the module that defines it, or to a
  method by its short name, is resolved to where the object is documented (:func:`resolve_alias`).
- **MathJax.** The copy shipped by ``jupyter-server-mathjax`` is copied into the built site's
  ``_static/mathjax``, so pages render their mathematics without the network.
"""

from __future__ import annotations

import html
import shutil
import textwrap
from pathlib import Path

import api_pages
import catalogue
from docutils import nodes
from docutils.parsers.rst import Directive
from gallery_sync import gallery_notebooks, sync_gallery, write_if_changed
from sphinx.util import logging

LOGGER = logging.getLogger(__name__)
THUMBNAILS = "_images/gallery"
THUMBNAIL_WIDTH = 480  # px


def _figure_uris(doctree) -> list[tuple[bool, str]]:
    """(tagged thumbnail, image path) of every output figure of a notebook page."""
    found = []
    for image in doctree.findall(nodes.image):
        uri = image.get("candidates", {}).get("image/png") or image.get("uri", "")
        if not uri.endswith(".png"):
            continue
        tagged = False
        parent = image.parent
        while parent is not None:
            if "thumbnail" in (parent.get("classes") or []) or "tag_thumbnail" in (
                parent.get("classes") or []
            ):
                tagged = True
                break
            parent = parent.parent
        found.append((tagged, uri))
    return found


def record_thumbnail(app, doctree) -> None:
    """Remember the thumbnail figure of each gallery notebook as its page is read."""
    docname = app.env.docname
    if not docname.startswith("gallery/") or docname == "gallery/index":
        return
    figures = _figure_uris(doctree)
    store = app.env.__dict__.setdefault("ngnmm_thumbnails", {})
    if not figures:
        store.pop(docname, None)
        return
    tagged = [uri for is_tagged, uri in figures if is_tagged]
    uri = tagged[0] if tagged else figures[-1][1]
    store[docname] = str((Path(app.srcdir) / uri).resolve())


def purge_thumbnail(app, env, docname) -> None:
    env.__dict__.setdefault("ngnmm_thumbnails", {}).pop(docname, None)


def merge_thumbnails(app, env, docnames, other) -> None:
    mine = env.__dict__.setdefault("ngnmm_thumbnails", {})
    mine.update(getattr(other, "ngnmm_thumbnails", {}))


class gallery_cards(nodes.General, nodes.Element):
    """Placeholder for the gallery's cards, filled in once every page's title is known."""


class GalleryDirective(Directive):
    """``ngnmm-gallery``: one card (thumbnail and title) per gallery notebook."""

    has_content = False

    def run(self):
        return [gallery_cards()]


def _thumbnail_name(docname: str) -> str:
    return docname.rpartition("/")[2] + ".png"


def fill_gallery(app, doctree, docname) -> None:
    """Replace the gallery placeholder by its cards (links and thumbnails)."""
    for placeholder in list(doctree.findall(gallery_cards)):
        store = getattr(app.env, "ngnmm_thumbnails", {})
        cards = []
        for name in gallery_notebooks():
            target = f"gallery/{name}"
            title = app.env.titles[target].astext() if target in app.env.titles else name
            href = app.builder.get_relative_uri(docname, target)
            if target in store:
                src = app.builder.get_relative_uri(docname, "index").replace("index.html", "")
                image = f'<img src="{src}{THUMBNAILS}/{_thumbnail_name(target)}" alt="{name}">'
            else:
                image = '<div class="ngnmm-card-noimage">no figure</div>'
            cards.append(
                f'<a class="ngnmm-card" href="{href}">{image}'
                f'<span class="ngnmm-card-title">{html.escape(title)}</span></a>'
            )
        raw = nodes.raw("", '<div class="ngnmm-gallery">' + "".join(cards) + "</div>",
                        format="html")  # fmt: skip
        placeholder.replace_self(raw)


def _thumbnail(source: Path, target: Path) -> None:
    # deferred: Pillow comes with matplotlib (the plot extra), needed only here
    from PIL import Image  # noqa: PLC0415

    target.parent.mkdir(parents=True, exist_ok=True)
    with Image.open(source) as image:
        ratio = THUMBNAIL_WIDTH / image.width
        if ratio < 1:
            image = image.resize((THUMBNAIL_WIDTH, round(image.height * ratio)))
        image.save(target)


def finish(app, exception) -> None:
    """Write the thumbnails and copy MathJax into the built site."""
    if exception is not None or app.builder.format != "html":
        return
    out = Path(app.outdir)
    for docname, source in getattr(app.env, "ngnmm_thumbnails", {}).items():
        _thumbnail(Path(source), out / THUMBNAILS / _thumbnail_name(docname))
    copy_mathjax(out / "_static" / "mathjax")


def copy_mathjax(target: Path) -> None:
    """MathJax 2 (from ``jupyter-server-mathjax``) into the site, once."""
    # deferred: only the HTML build needs it, and the package is the docs extra's
    import jupyter_server_mathjax  # noqa: PLC0415

    source = Path(jupyter_server_mathjax.__file__).parent / "static"
    if not (target / "MathJax.js").exists():
        shutil.copytree(source, target, dirs_exist_ok=True)


def resolve_alias(app, env, node, contnode):
    """Resolve a Python reference to the name under which the object is documented.

    The API reference documents each object where users import it (``tvb_ngnmm.engine.
    UnsupportedSimulationError``); docstrings may name the module that defines it
    (``tvb_ngnmm.engine.errors.UnsupportedSimulationError``), or a method of their own class
    by its short name (``validate``). Such a reference is resolved when exactly one documented
    object fits: the same last name in a package above the named module, or a member of the
    class (or module) the reference is written in.
    """
    if node.get("refdomain") != "py":
        return None
    target = node["reftarget"].lstrip("~.")
    objects = env.get_domain("py").objects
    last = target.rpartition(".")[2]
    candidates = [name for name in objects if name.rpartition(".")[2] == last]
    if "." in target:
        module = target.rpartition(".")[0]
        fits = [c for c in candidates if module.startswith(c.rpartition(".")[0] + ".")]
    else:
        context = node.get("py:class") or ""
        module = node.get("py:module") or ""
        prefix = f"{module}.{context}." if context else f"{module}."
        fits = [c for c in candidates if c.startswith(prefix)]
    if len(fits) != 1:
        return None
    entry = objects[fits[0]]
    # deferred: Sphinx's node helper, needed only for a reference being resolved
    from sphinx.util.nodes import make_refnode  # noqa: PLC0415

    return make_refnode(app.builder, node["refdoc"], entry.docname, entry.node_id, contnode,
                        fits[0])  # fmt: skip


def strip_tvb_trait_listing(app, what, name, obj, options, lines) -> None:
    """A TVB class's docstring as its authors wrote it: without the header and the list of
    declared attributes that TVB's traits add (mixed into the last numpydoc section, they
    break its parsing; the model catalogue lists the parameters instead)."""
    if what != "class" or not lines or not lines[0].startswith("Traited class ["):
        return
    body = lines[2:] if len(lines) > 1 and set(lines[1]) == {"^"} else lines[1:]
    if "Attributes declared" in body:
        body = body[: body.index("Attributes declared")]
    text = textwrap.dedent("\n".join(body)).strip("\n")
    lines[:] = [*text.splitlines(), ""]


def write_catalogue(app, config=None) -> None:
    write_if_changed(Path(app.srcdir) / "reference" / "models.md", catalogue.markdown())


def write_api_pages(app, config=None) -> None:
    """The API reference's pages (``docs/api/``), from the package's ``__all__`` lists."""
    folder = Path(app.srcdir) / "api"
    write_if_changed(folder / "index.rst", api_pages.index())
    for page, module, summary in api_pages.PAGES:
        write_if_changed(folder / f"{page}.rst", api_pages.rst(page, module, summary))


def setup(app):
    # config-inited: before Sphinx looks for the source files (and autosummary for its lists)
    app.connect("config-inited", sync_gallery)
    app.connect("config-inited", write_catalogue)
    app.connect("config-inited", write_api_pages)
    app.connect("doctree-read", record_thumbnail)
    app.connect("env-purge-doc", purge_thumbnail)
    app.connect("env-merge-info", merge_thumbnails)
    app.connect("doctree-resolved", fill_gallery)
    app.connect("build-finished", finish)
    app.connect("missing-reference", resolve_alias)
    # before numpydoc (priority 500) reads the docstring
    app.connect("autodoc-process-docstring", strip_tvb_trait_listing, priority=400)
    app.add_node(gallery_cards)
    app.add_directive("ngnmm-gallery", GalleryDirective)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
