"""The layout of the package: a subpackage is used through its face (its ``__init__`` and its
public modules); no module imports a private module or a private name of another subpackage.

The package's own private helpers at its top level (``tvb_ngnmm._util``, ``tvb_ngnmm._numba``,
...) are shared by every subpackage and may be imported anywhere in the package.

Imports sit at the top of a module (ruff's PLC0415); one kept inside a function says why on the
line above it (``# deferred: optional extra 'plot'``).
"""

import ast
from pathlib import Path

import tvb_ngnmm

PACKAGE = Path(tvb_ngnmm.__file__).parent

#: Modules whose imports of other subpackages' private names are still to be replaced (they are
#: being reworked); each entry should go once its module imports public names only.
STILL_TO_MOVE: set[str] = set()


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def _imported_modules(node: ast.AST, package: list[str]) -> list[tuple[list[str], list[str]]]:
    """The absolute module paths an import names, each with the names taken from it."""
    if isinstance(node, ast.Import):
        return [(alias.name.split("."), []) for alias in node.names]
    if not isinstance(node, ast.ImportFrom):
        return []
    if node.level:
        base = package[: len(package) - node.level + 1]
        target = base + (node.module.split(".") if node.module else [])
    else:
        target = (node.module or "").split(".")
    return [(target, [alias.name for alias in node.names])]


def private_imports(tree: ast.AST, package: str) -> list[str]:
    """The imports in ``tree`` (a module of the package named ``package``) that reach into a
    private module or take a private name of another subpackage of ``tvb_ngnmm``."""
    parts = package.split(".")
    own = parts[1] if len(parts) > 1 else None  # the module's subpackage (None: the top level)
    found = []
    for node in ast.walk(tree):
        for target, names in _imported_modules(node, parts):
            if target[0] != "tvb_ngnmm" or len(target) < 2 or target[1] == own:
                continue
            if _private(target[1]):  # the package's own helpers, tvb_ngnmm._util ...
                continue
            private_module = any(_private(part) for part in target[2:])
            if private_module or any(_private(name) for name in names):
                taken = f" import {', '.join(names)}" if names else ""
                found.append(f"line {node.lineno}: {'.'.join(target)}{taken}")
    return found


def _package_name(path: Path) -> str:
    """The dotted name of the package ``path`` belongs to (an ``__init__``: its own)."""
    return ".".join(path.relative_to(PACKAGE.parent).parent.parts)


def test_no_private_names_across_subpackages():
    """Case: a module imports ``..models._registry`` or ``..engine.batch._swept_values``."""
    offenders = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE).as_posix()
        if relative in STILL_TO_MOVE:
            continue
        tree = ast.parse(path.read_text(), filename=str(path))
        found = private_imports(tree, _package_name(path))
        if found:
            offenders[relative] = found
    assert not offenders, f"import these from the subpackage's face instead: {offenders}"


def test_the_still_to_move_list_holds_only_modules_still_to_move():
    """Case: an entry of the list outlives its module, or its module imports public names only."""
    stale = []
    for relative in sorted(STILL_TO_MOVE):
        path = PACKAGE / relative
        tree = ast.parse(path.read_text()) if path.is_file() else None
        if tree is None or not private_imports(tree, _package_name(path)):
            stale.append(relative)
    assert not stale, f"drop these from STILL_TO_MOVE: {stale}"


def test_the_check_can_fail():
    """Case: each form of a private import across subpackages is found, and allowed ones not."""
    package = "tvb_ngnmm.explore"
    bad = [
        "from ..models._registry import declaration_of",
        "from ..engine.batch import _swept_values",
        "from tvb_ngnmm.models._base import AbstractNextGenModel",
        "from ..models import _registry",
        "import tvb_ngnmm.analysis._signal_checks",
        "from ..coupling import (\n    MultiCoupling,\n    _base,\n)",
    ]
    found = [private_imports(ast.parse(source), package) for source in bad]
    assert [len(f) for f in found] == [1] * len(bad)
    good = [
        "from ..models import declaration_of",
        "from .._util import check_values",  # the package's own helpers
        "from .. import _numba",
        "import tvb_ngnmm._util",
        "from ._cache import compiled",  # the module's own subpackage
        "from .batch import _swept_values",
        "import tvb_ngnmm.engine",
    ]
    assert [private_imports(ast.parse(source), package) for source in good] == [[]] * len(good)


def undeferred_reasons(source: str) -> list[int]:
    """Lines of the imports in ``source`` kept inside a function (``# noqa: PLC0415``) with no
    ``# deferred: <why>`` comment on the line above them (or above their run of such imports)."""
    lines = source.splitlines()
    missing = []
    for node in ast.walk(ast.parse(source)):
        body = getattr(node, "body", None)
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) or not body:
            continue
        for index, statement in enumerate(body):
            if not isinstance(statement, ast.Import | ast.ImportFrom):
                continue
            if "PLC0415" not in lines[statement.lineno - 1]:
                continue
            first = index
            while (
                first > 0
                and isinstance(body[first - 1], ast.Import | ast.ImportFrom)
                and body[first - 1].end_lineno == body[first].lineno - 1
            ):
                first -= 1
            above = lines[body[first].lineno - 2].strip() if body[first].lineno > 1 else ""
            if not above.startswith("# deferred: ") or len(above) < len("# deferred: ") + 5:
                missing.append(statement.lineno)
    return missing


def test_every_import_kept_in_a_function_says_why():
    """Case: an import kept inside a function with ``# noqa: PLC0415`` and no reason above it."""
    offenders = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        missing = undeferred_reasons(path.read_text())
        if missing:
            offenders[path.relative_to(PACKAGE).as_posix()] = missing
    assert not offenders, f"say why on the line above ('# deferred: ...'): {offenders}"


def test_the_reason_check_can_fail():
    """Case: a kept import without a reason is found; one with a reason (alone or first of a run
    of imports) is not."""
    bad = "def f():\n    x = 1\n    import numba  # noqa: PLC0415\n"
    assert undeferred_reasons(bad) == [3]
    good = (
        "def f():\n"
        "    # deferred: optional extra 'plot'\n"
        "    import matplotlib  # noqa: PLC0415\n"
        "    import matplotlib.pyplot as plt  # noqa: PLC0415\n"
    )
    assert undeferred_reasons(good) == []
    assert undeferred_reasons(good.replace("    # deferred: optional extra 'plot'\n", "")) == [2, 3]
