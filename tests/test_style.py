"""House rules checked on the source: no global NumPy random state anywhere in the package, and
nothing that refers to files outside the repository."""

import ast
import shutil
import subprocess
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


REPOSITORY = Path(__file__).resolve().parents[1]
OUTSIDE = "../" + "shared"  # a folder beside a checkout that users do not have
NOT_SOURCES = {"build", "dist", "demo_output", "TEST_OUTPUT", "__pycache__"}


def _tracked_files(root: Path) -> list[Path]:
    """The tracked files under ``root`` (git), or its files outside hidden and build folders."""
    if shutil.which("git") and (root / ".git").exists():
        listed = subprocess.run(
            ["git", "ls-files", "-z"], cwd=root, capture_output=True, check=True
        ).stdout.decode()
        return [root / name for name in listed.split("\0") if name]
    return [
        path
        for path in root.rglob("*")
        if path.is_file()
        and not any(
            part.startswith(".") or part in NOT_SOURCES
            for part in path.relative_to(root).parts[:-1]
        )
    ]


def _mentions_outside(paths: list[Path], root: Path) -> list[str]:
    """The files among ``paths`` whose bytes name the folder beside the repository."""
    return [
        str(path.relative_to(root))
        for path in paths
        if path.is_file() and OUTSIDE.encode() in path.read_bytes()
    ]


def test_nothing_refers_to_a_folder_outside_the_repository():
    files = _tracked_files(REPOSITORY)
    assert len(files) > 100 and REPOSITORY / "README.md" in files
    found = _mentions_outside(files, REPOSITORY)
    assert not found, f"data and documents must be inside the repository: {found}"


def test_the_outside_check_can_fail(tmp_path):
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "notebooks" / "nb.ipynb").write_text(f'"data = Path(\\"../{OUTSIDE}/data\\")"')
    (tmp_path / "fine.py").write_text("x = '../data'")
    (tmp_path / ".venv").mkdir()
    (tmp_path / ".venv" / "ignored.txt").write_text(OUTSIDE)
    files = _tracked_files(tmp_path)  # not a git checkout: the walk
    assert sorted(_mentions_outside(files, tmp_path)) == ["notebooks/nb.ipynb"]
