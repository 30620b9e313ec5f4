"""The README's Python examples run as they are written, in order, in one namespace."""

import re
import warnings
from pathlib import Path

import matplotlib

README = Path(__file__).resolve().parents[1] / "README.md"
BLOCK = re.compile(r"^```python\n(.*?)^```", re.DOTALL | re.MULTILINE)


def python_blocks() -> list[str]:
    return BLOCK.findall(README.read_text(encoding="utf-8"))


def test_readme_has_python_examples():
    assert len(python_blocks()) >= 1


# What the examples print, as their comments in the README say. (The user guide's examples,
# which were the README's, run as executed cells when the site is built: tests/test_docs.py.)
PRINTED = [
    "(1000, 2, 90, 1)",
]


def test_readme_examples_run_as_written(tmp_path, monkeypatch, capsys):
    """Every ```python block, top to bottom, in a fresh folder (files it writes land there)."""
    matplotlib.use("Agg")
    monkeypatch.chdir(tmp_path)
    namespace: dict = {"__name__": "__main__"}  # as a script (the Dask example is guarded)
    for number, block in enumerate(python_blocks(), start=1):
        code = compile(block, f"README.md, Python block {number}", "exec")
        with warnings.catch_warnings():
            # The examples call plt.show() as a user would; under Agg it only warns.
            warnings.filterwarnings("ignore", message=".*non-interactive.*", category=UserWarning)
            warnings.filterwarnings("ignore", message=".*cannot show the figure.*")
            try:
                exec(code, namespace)
            except Exception as err:  # name the block so a failure points at the README
                err.add_note(f"in README.md, Python block {number}")
                raise
    printed = capsys.readouterr().out
    for text in PRINTED:
        assert text in printed, f"the README says an example prints {text!r}; it printed {printed}"


LINK = re.compile(r"\]\(((?!https?://)[^)#\s]+)(#[^)]*)?\)")


def test_readme_is_short_and_its_links_are_in_the_repository():
    """The README fits in 150 lines, and every relative link (the documentation's pages, its
    figure) names a file of the repository (the model catalogue is written by ``make docs``)."""
    text = README.read_text(encoding="utf-8")
    assert len(text.splitlines()) <= 150
    targets = [match.group(1) for match in LINK.finditer(text)]
    assert "docs/_static/readme_example.png" in targets and "docs/index.md" in targets
    missing = [t for t in targets if not (README.parent / t).is_file()]
    assert not missing, f"the README links to files that do not exist: {missing}"


def test_the_link_check_can_fail():
    assert LINK.findall("see [a](docs/a.md#x), [b](https://example.org/b)") == [("docs/a.md", "#x")]
