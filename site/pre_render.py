"""Quarto pre-render step: execute the notebooks the pages embed whose source changed (see notebooks.py)."""

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

try:
    from empathy_ce.site.notebooks import SiteNotebookError, project_root, refresh
except ImportError as err:
    sys.exit(f"pre-render: {err}. Quarto must run the project's Python: use `make site`, "
             "or set QUARTO_PYTHON=.venv/bin/python")

root = project_root()
inputs = [root / line for line in os.environ.get("QUARTO_PROJECT_INPUT_FILES", "").splitlines() if line.strip()]
try:
    done = refresh(root, inputs or None, log=lambda text: print(f"pre-render: {text}"))
except SiteNotebookError as err:
    sys.exit(f"pre-render: {err}")
print(f"pre-render: {len(done)} embedded notebook(s) executed; the others were up to date")
