# Two commands on a fresh clone:  make start  (JupyterLab on the course, nbgrader ready)
#                                 make test   (the whole test suite)
# Publishers:                     make site   (the course website in _site/; needs Quarto, not npm)
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# JavaScript for the tests only (axe-core, accessibility checks), pinned in package-lock.json. The site needs none.
NODE_STAMP := node_modules/.installed

.PHONY: setup start test test-unit lint release site site-notebooks

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

$(NODE_STAMP): package.json package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
		npm ci --no-audit --no-fund && touch $(NODE_STAMP); \
	else \
		echo "npm not found: the website's accessibility tests need Node.js and npm (the site build does not)"; \
	fi

setup: $(STAMP) $(NODE_STAMP)

start: setup
	$(VENV)/bin/empathy-ce start

test: setup
	$(VENV)/bin/ruff check src tests $(wildcard benchmarks)
	$(PY) -m pytest

# The unit tests alone (no kernels, nbgrader runs, renders or browser): under a minute on two cores.
test-unit: setup
	$(PY) -m pytest -m "not slow and not browser"

release: setup
	$(VENV)/bin/empathy-ce release

# The course website (Quarto). Executes only the embedded notebooks whose source changed (see README).
site: $(STAMP)
	@command -v quarto >/dev/null 2>&1 || { echo "make site needs Quarto on PATH: run ../shared/tools/quarto/install-quarto (see README)" >&2; exit 1; }
	QUARTO_PYTHON=$(abspath $(PY)) quarto render

# Re-execute the notebooks the pages embed (site/notebooks/) after a change, without Quarto; commit the result.
site-notebooks: setup
	$(PY) -m empathy_ce.site.notebooks
