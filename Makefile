# Quick start: `make demo` and `make test`. Both create .venv on first use.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
DEMO_OUT ?= demo_output

.PHONY: demo test lint clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test,plot]'
	touch $(STAMP)

demo: $(STAMP)
	$(PY) -m tvb_ngnmm.demo --output $(DEMO_OUT)

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests notebooks
	$(VENV)/bin/ruff format --check src tests notebooks

test: $(STAMP) lint
	$(PY) -m pytest tests --nbmake notebooks

clean:
	rm -rf $(VENV) $(DEMO_OUT) .pytest_cache
