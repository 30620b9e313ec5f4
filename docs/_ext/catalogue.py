"""The model catalogue page, written from the model registry.

Every model registered with :func:`tvb_ngnmm.models.register_model` (the package's and TVB's
stock models it runs) gets a section: where it lives, what the engine runs, its docstring (the
equations and references, as its authors wrote them), its parameters (default, range and step
of the declared domain, description with units) and its state variables with their ranges.
"""

from __future__ import annotations

import inspect
import io
import re

import numpy as np
from docutils import nodes
from docutils.core import publish_doctree
from docutils.parsers.rst import directives, roles
from tvb.basic.neotraits.api import NArray

from tvb_ngnmm.engine import support_matrix
from tvb_ngnmm.models import registered_models

HEADER = """\
# Model catalogue

Every model that the package registers (`tvb_ngnmm.models.registered_models()`), generated from
the registry when the site is built: its docstring (equations and references), its parameters
with their defaults, ranges (the declared domain: low, high, step) and descriptions (units in
the description, as the model declares them), and its state variables with their initial
ranges. The package's own models come first, then TVB's stock models in the order of their
families. What the engine does with each is in the [support matrix](support.md).

"""

_TRAITED = re.compile(r"\ATraited class \[.*?\]\n\^+\n", re.DOTALL)
_CITATION = re.compile(r"^(\s*)\.\. \[([^\]]+)\]\s*", re.MULTILINE)
_CITE_REF = re.compile(r"\[([A-Za-z0-9_.\-]+)\]_")
_SPHINX_ROLE = re.compile(r":(?:py:)?(?:class|func|meth|attr|mod|data|obj|ref|exc|term):`")
_DIRECTIVE = re.compile(r"^(\s*)\.\. (figure|image)\s*::.*?(?=^\S|\Z)", re.MULTILINE | re.DOTALL)


def _docstring(cls) -> str:
    """The class docstring without TVB's generated header and attribute list.

    Citations become plain paragraphs (labels are global in Sphinx, and several TVB models
    cite the same paper under the same label) and figures, whose files TVB does not ship,
    are left out.
    """
    doc = cls.__doc__ or ""
    doc = _TRAITED.sub("", doc)
    doc = doc.split('Attributes declared\n"""', 1)[0]
    doc = inspect.cleandoc(doc.lstrip("\n"))
    doc = _DIRECTIVE.sub("\n", doc)
    return _CITE_REF.sub(lambda m: f"[{m.group(1)}]", _plain_citations(doc)).strip()


def _plain_citations(doc: str) -> str:
    """``.. [label] text`` (with its indented continuation lines) as one plain paragraph."""
    out: list[str] = []
    lines = doc.splitlines()
    i = 0
    while i < len(lines):
        match = _CITATION.match(lines[i])
        if not match:
            out.append(lines[i])
            i += 1
            continue
        indent = len(match.group(1))
        text = [lines[i][match.end() :].strip()]
        i += 1
        while i < len(lines) and lines[i].strip() and (len(lines[i]) - len(lines[i].lstrip())
                                                       > indent):  # fmt: skip
            text.append(lines[i].strip())
            i += 1
        out += ["", " " * indent + f"[{match.group(2)}] " + " ".join(text), ""]
    return "\n".join(out)


def _cell(text: str) -> str:
    text = " ".join(str(text).split())
    text = re.sub(r":math:`([^`]*)`", r"{math}`\1`", text)
    return text.replace("|", "\\|")


def _value(value) -> str:
    array = np.asarray(value)
    if array.size == 1:
        return f"{array.item():g}"
    return ", ".join(f"{v:g}" for v in array.ravel())


def _parameters(cls) -> list[str]:
    rows = []
    for name in cls.declarative_attrs:
        attr = next((c.__dict__[name] for c in cls.__mro__ if name in c.__dict__), None)
        if not isinstance(attr, NArray) or attr.default is None:
            continue
        domain = attr.domain
        span = f"{domain.lo:g} to {domain.hi:g} (step {domain.step:g})" if domain else ""
        rows.append(
            f"| `{name}` | {_cell(attr.label or '')} | {_value(attr.default)} | {span} "
            f"| {_cell(attr.doc or '')} |"
        )
    if not rows:
        return []
    head = [
        "| Parameter | Symbol | Default | Range | Description |",
        "| --- | --- | --- | --- | --- |",
    ]
    return ["**Parameters**", "", *head, *rows, ""]


def _state_variables(cls) -> list[str]:
    attr = next(c.__dict__["state_variable_range"] for c in cls.__mro__
                if "state_variable_range" in c.__dict__)  # fmt: skip
    ranges = attr.default or {}
    rows = [
        f"| `{name}` | {_value(ranges[name]) if name in ranges else ''} |"
        for name in cls.state_variables
    ]
    return ["**State variables** (initial range)", "", "| Variable | Range |", "| --- | --- |",
            *rows, ""]  # fmt: skip


def _engine(name: str, matrix) -> str:
    row = next((m for m in matrix.models if m.name == name), None)
    if row is None:
        refused = next((r for r in matrix.refused_models if r.name == name), None)
        return f"refused: {refused.reason}" if refused else "not listed"
    form = "its registered equations" if row.engine_form == "equations" else (
        "its `state_variable_dfuns`")  # fmt: skip
    cvars = ", ".join(f"`{c}`" for c in row.coupling_variables) or "none"
    return f"runs ({form}); coupling variables {cvars}"


def renders_cleanly(doc: str) -> bool:
    """Whether reStructuredText ``doc`` parses without a warning or an error.

    Sphinx's cross-reference roles, which plain docutils does not know, are read as literals
    for this check; anything else that docutils reports (TVB's docstrings have unbalanced
    emphasis, tables written as substitutions, Sphinx directives) fails it.
    """
    text = _SPHINX_ROLE.sub(":literal:`", doc)
    settings = {"report_level": 5, "halt_level": 5, "warning_stream": io.StringIO()}
    # Plain docutils: the roles and directives that Sphinx registers (which need its build
    # environment) are set aside for the check, docutils' own (math among them) stay.
    saved = roles._roles, directives._directives
    roles._roles, directives._directives = {}, {}
    try:
        doctree = publish_doctree(text, settings_overrides=settings)
    finally:
        roles._roles, directives._directives = saved
    return not any(m["level"] >= 2 for m in doctree.findall(nodes.system_message))


def _docstring_block(cls) -> list[str]:
    doc = _docstring(cls)
    if renders_cleanly(doc):
        return ["```{eval-rst}", doc, "```"]
    note = "*The docstring as written (its markup does not render as reStructuredText):*"
    return [note, "", "```text", doc, "```"]


def section(declaration, matrix) -> str:
    """The catalogue's section of one registered model."""
    cls = declaration.model
    lines = [
        f"## {declaration.name}",
        "",
        f"`{cls.__module__}.{cls.__name__}` · engine: {_engine(declaration.name, matrix)}"
        + (" · listed in the GUI" if declaration.gui and not declaration.is_tvb_model else ""),
        "",
        *_docstring_block(cls),
        "",
        *_parameters(cls),
        *_state_variables(cls),
    ]
    return "\n".join(lines) + "\n"


def markdown() -> str:
    """The whole catalogue page (MyST Markdown)."""
    matrix = support_matrix()
    declarations = registered_models()
    ours = [d for d in declarations if not d.is_tvb_model]
    stock = [d for d in declarations if d.is_tvb_model]
    parts = [HEADER, "```{contents}\n:local:\n:depth: 1\n```\n\n"]
    parts += [section(d, matrix) for d in ours + stock]
    return "\n".join(parts)
