# Two commands on a fresh clone:  make start  (JupyterLab on the course, nbgrader ready)
#                                 make test   (the whole test suite)
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: setup start test lint release

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

setup: $(STAMP)

start: setup
	$(VENV)/bin/empathy-ce start

test: setup
	$(VENV)/bin/ruff check src tests benchmarks
	$(PY) -m pytest

release: setup
	$(VENV)/bin/empathy-ce release
