"""Imported first by the command line: what it loads differently from a kernel or formgrader.

jsonschema (which nbformat loads) registers checks for the "iri" formats by importing rfc3987_syntax, which
compiles about forty Lark grammars as it loads: a second at the start of every command (and in each of
`empathy-ce grade`'s workers, forked from it). No validation that a command runs checks formats: nbformat,
nbgrader and the course's own checks give their validators no format checker, and no schema of the course names
a format (tests/cli/test_startup.py). So the command line loads jsonschema without it. Kernels, JupyterLab
(`empathy-ce start` replaces this process with it) and formgrader load it as usual.
"""

from __future__ import annotations

import sys

sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[assignment]  (import then fails; jsonschema skips it)
