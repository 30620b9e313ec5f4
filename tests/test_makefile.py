"""`make demo` then `make test` installs what the tests need, with a stand-in Python that logs."""

import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

REPOSITORY = Path(__file__).resolve().parents[1]

# "-m venv DIR" makes DIR/bin/python, DIR/bin/ruff and DIR/bin/sphinx-build, which only log how
# they were called.
FAKE_PYTHON = """#!/bin/sh
if [ "$1" = "-m" ] && [ "$2" = "venv" ]; then
  mkdir -p "$3/bin"
  for tool in python ruff sphinx-build; do
    printf '#!/bin/sh\\necho "%s $*" >> "{log}"\\n' "$tool" > "$3/bin/$tool"
    chmod +x "$3/bin/$tool"
  done
fi
"""


@pytest.fixture
def make(tmp_path):
    if shutil.which("make") is None or not (REPOSITORY / "Makefile").exists():
        pytest.skip("make or the Makefile is missing")
    log = tmp_path / "log"
    python = tmp_path / "python3"
    python.write_text(FAKE_PYTHON.replace("{log}", str(log)))
    python.chmod(python.stat().st_mode | stat.S_IXUSR)

    def run(*targets: str) -> list[str]:
        log.write_text("")
        env = {key: value for key, value in os.environ.items() if not key.startswith("MAKE")}
        subprocess.run(
            ["make", "-s", "-C", str(REPOSITORY), f"VENV={tmp_path / 'venv'}",
             f"PYTHON={python}", *targets],
            check=True, env=env, capture_output=True,
        )  # fmt: skip
        return log.read_text().splitlines()

    return run


def test_make_test_after_make_demo_installs_every_extra_the_tests_need(make):
    demo = make("demo")
    assert "python -m pip install --quiet -e .[plot]" in demo
    assert "python -m tvb_ngnmm.demo --output demo_output" in demo
    test = make("test")
    assert test[0] == "python -m pip install --quiet -e .[test,plot,gui]"
    assert test[-1] == "python -m pytest tests --nbmake notebooks"
    assert "ruff check tvb_ngnmm tests notebooks" in test
    again = make("test")  # installed once per set of extras
    assert not any("pip install" in line for line in again)
    assert not any("pip install" in line for line in make("demo"))


def test_make_docs_installs_the_docs_extra_and_builds_the_site(make):
    """``make docs`` creates the environment, installs the docs extra once, and builds the site
    with warnings as errors, in one process, into docs/_build/html."""
    first = make("docs")
    assert first[0] == "python -m pip install --quiet --upgrade pip"
    assert "python -m pip install --quiet -e .[docs]" in first
    build = [line for line in first if line.startswith("sphinx-build")]
    assert build == ["sphinx-build -b html -W --keep-going -j 1 docs docs/_build/html"]
    again = make("docs")
    assert again == build  # the extra is installed once
