# Quick start: `make demo` and `make test`. Both create .venv on first use.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
# The extras the tests need (all of them; the GUI tests need `gui`), and the demo's (quick).
EXTRAS ?= test,plot,gui
DEMO_EXTRAS ?= plot
DEMO_OUT ?= demo_output
# One stamp per set of extras, remade when pyproject.toml changes: `make test` installs what the
# tests need whatever ran before (e.g. `make demo`, which installs less).
CREATED := $(VENV)/.created
TEST_STAMP := $(VENV)/.installed-$(EXTRAS)
DEMO_STAMP := $(VENV)/.installed-$(DEMO_EXTRAS)

.PHONY: demo test lint clean gui docs docs-full

$(CREATED):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	touch $@

$(VENV)/.installed-%: pyproject.toml $(CREATED)
	$(PY) -m pip install --quiet -e '.[$*]'
	touch $@

demo: $(DEMO_STAMP)
	$(PY) -m tvb_ngnmm.demo --output $(DEMO_OUT)

lint: $(TEST_STAMP)
	$(VENV)/bin/ruff check tvb_ngnmm tests notebooks
	$(VENV)/bin/ruff format --check tvb_ngnmm tests notebooks

test: $(TEST_STAMP) lint
	$(PY) -m pytest tests --nbmake notebooks

# The TVB web GUI with the plugin's models, on 127.0.0.1 (PORT ?= 8080); needs the gui extra.
gui: $(VENV)/.installed-gui
	$(VENV)/bin/tvb-ngnmm gui --port $(or $(PORT),8080)

# The documentation site, offline, into docs/_build/html (warnings are errors). Notebooks and the
# user guide's code cells run with FULL=0, once: a jupyter-cache under docs/_build keeps the
# outputs of pages that did not change. SPHINXOPTS adds options (e.g. SPHINXOPTS=-E to rebuild).
DOCS_STAMP := $(VENV)/.installed-docs
SPHINXOPTS ?=
docs: $(DOCS_STAMP)
	FULL=0 $(VENV)/bin/sphinx-build -b html -W --keep-going -j 1 $(SPHINXOPTS) docs docs/_build/html

# A notebook's full run (FULL=1; minutes to an hour), its outputs stored under docs/gallery/full/,
# which the site then shows instead of the small run: make docs-full NOTEBOOK=05_bold_eeg
docs-full: $(DOCS_STAMP)
	@test -n "$(NOTEBOOK)" || { echo "NOTEBOOK=<name> is required, e.g. NOTEBOOK=05_bold_eeg"; exit 2; }
	mkdir -p docs/gallery/full
	FULL=1 $(VENV)/bin/jupyter nbconvert --to notebook --execute --ExecutePreprocessor.timeout=14400 \
		--output-dir docs/gallery/full notebooks/$(NOTEBOOK).ipynb

clean:
	rm -rf $(VENV) $(DEMO_OUT) .pytest_cache docs/_build
