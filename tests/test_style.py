"""House rules checked on the source: no global NumPy random state anywhere in the package."""

import ast
from pathlib import Path

import tvb_ngnmm

PACKAGE = Path(tvb_ngnmm.__file__).parent
ALLOWED = {"default_rng", "Generator", "SeedSequence", "PCG64", "Philox", "BitGenerator"}


def _global_rng_calls(tree: ast.AST) -> list[str]:
    found = []
    for node in ast.walk(tree):
        # np.random.<name> / numpy.random.<name>
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Attribute)
            and node.value.attr == "random"
            and isinstance(node.value.value, ast.Name)
            and node.value.value.id in ("np", "numpy")
            and node.attr not in ALLOWED
        ):
            found.append(f"line {node.lineno}: np.random.{node.attr}")
        if isinstance(node, ast.ImportFrom) and node.module == "numpy.random":
            found += [
                f"line {node.lineno}: from numpy.random import {a.name}"
                for a in node.names
                if a.name not in ALLOWED
            ]
    return found


def test_no_global_numpy_random_state():
    offenders = {}
    for path in PACKAGE.rglob("*.py"):
        calls = _global_rng_calls(ast.parse(path.read_text(), filename=str(path)))
        if calls:
            offenders[str(path.relative_to(PACKAGE))] = calls
    assert not offenders, f"use np.random.default_rng(seed) instead: {offenders}"


def test_the_check_can_fail():
    bad = ast.parse("import numpy as np\nx = np.random.uniform(0, 1)\nnp.random.seed(1)")
    assert len(_global_rng_calls(bad)) == 2
    good = ast.parse("import numpy as np\nrng = np.random.default_rng(0)\nrng.uniform()")
    assert _global_rng_calls(good) == []
