"""Helpers shared by the tests (one package; no test file imports another).

Modules: ``course`` (a throwaway nbgrader course), ``golden`` (one item of every kind), ``learners`` (simulated
learners in real kernels), ``gold_course`` (the golden course released and graded), ``instructor_course`` (a copy
of the real course, learners through nbgrader's exchange, PostgreSQL), ``hardening`` (counting bad inputs and
attacks), ``browser`` (the one headless Chromium and the site's HTTP server), ``lab`` (a real JupyterLab server),
``node`` (JavaScript run in node against Python's rules), ``kernels`` (a notebook graded by a kernel and by the
kernel-free grader, compared).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
# Screenshots the browser tests take for a person to look at: EMPATHY_CE_SHOTS names the folder (a temporary one
# otherwise, so a test run never writes outside the temporary area).
SHOTS = Path(os.environ.get("EMPATHY_CE_SHOTS") or Path(os.environ.get("TMPDIR", "/tmp")) / "empathy-ce-shots")
# The course pages tests/test_content.py checks (embed targets, cell labels); the site tests compare against it.
CONTENT_PAGES = sorted((ROOT / "course").glob("*.qmd"))
