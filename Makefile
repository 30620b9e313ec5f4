# Quick start: `make demo` and `make test`. Both create .venv on first use.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
EXTRAS ?= test,plot
DEMO_OUT ?= demo_output

.PHONY: demo test lint clean gui

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[$(EXTRAS)]'
	touch $(STAMP)

demo: $(STAMP)
	$(PY) -m tvb_ngnmm.demo --output $(DEMO_OUT)

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests notebooks
	$(VENV)/bin/ruff format --check src tests notebooks

test: $(STAMP) lint
	$(PY) -m pytest tests --nbmake notebooks

# The TVB web GUI with the plugin's models, on 127.0.0.1 (PORT ?= 8080); needs the gui extra.
gui: $(STAMP)
	$(PY) -m pip install --quiet -e '.[gui]'
	$(VENV)/bin/tvb-ngnmm gui --port $(or $(PORT),8080)

clean:
	rm -rf $(VENV) $(DEMO_OUT) .pytest_cache
