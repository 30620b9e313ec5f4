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
    assert len(python_blocks()) >= 6


# What the examples print, as their comments in the README say.
PRINTED = [
    "(1000, 2, 90, 1)",
    "Invalid value for the 'tau_e' parameter of NextGenEI. Allowed values are > 0 (finite)",
    "RAS [ True  True  True]",
    "[ 0. 10. nan]",
    "(8, 1, 76, 1) (4000, 2, 65, 1) (4000, 2, 21, 1)",
    "('point', 'region') 8",
    "computed again: 0",
    "('s_e|s', 'r_e|r', 'v_e|v', 'r_i', 'v_i', 's_i')",
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
