"""What a submitted notebook file is: a notebook nbformat reads, or why not in plain words, and errors in one line.

Used by the grader (a learner's file it cannot read fails that learner alone, with the reason), by the check that
a graded submission is complete, and by the notes an instructor sees (instructor/notes.py).
"""

from __future__ import annotations

import json
from pathlib import Path

import nbformat


def parses_as_notebook(path: Path) -> bool:
    try:
        content = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return False
    return isinstance(content, dict) and isinstance(content.get("cells"), list) and "nbformat" in content


JSON_KINDS = {list: "a JSON list", str: "a JSON string", int: "a number", float: "a number", bool: "true or false",
              type(None): "null"}


def notebook_problem(path: str | Path) -> str | None:
    """Why nbformat (and so nbgrader) cannot read this file as a notebook, in plain words; None if it can."""
    try:
        data = Path(path).read_bytes()
    except OSError as err:
        return f"cannot be read ({err.strerror or err})"
    try:
        text = data.decode("utf-8")
        nbformat.reads(text, as_version=4)
        return None
    except UnicodeDecodeError as err:
        return (f"not a Jupyter notebook: not UTF-8 text (byte 0x{data[err.start]:02x} at position {err.start}); "
                "it may be another kind of file renamed to .ipynb")
    except Exception as err:  # nbformat raises many kinds of error for files that are no notebook
        failure = err
    if not text.strip():
        blank = "is empty" if not data else "holds only white space"
        return f"NotJSONError: the file {blank}, so not a notebook"
    try:
        content = json.loads(text)
    except json.JSONDecodeError as err:
        return f"NotJSONError: not valid JSON (line {err.lineno}, column {err.colno}: {err.msg})"
    if not isinstance(content, dict):
        return f"not a Jupyter notebook: the file holds {JSON_KINDS.get(type(content), 'JSON')}, not a notebook"
    version = content.get("nbformat")
    readable = f"nbformat {nbformat.__version__} reads versions 1 to {nbformat.current_nbformat}"
    if version is None:
        return "not a Jupyter notebook: JSON without the 'nbformat' version that every notebook has"
    if not isinstance(version, int) or isinstance(version, bool) or version not in nbformat.versions:
        return f"a notebook of nbformat version {version!r}, which nbgrader cannot read ({readable})"
    cells = content.get("cells") if version >= 4 else content.get("worksheets")
    key = "cells" if version >= 4 else "worksheets"
    if cells is None:
        return f"not a Jupyter notebook: an nbformat {version} notebook must have '{key}', and this one has none"
    if not isinstance(cells, list):
        return (f"not a Jupyter notebook: its '{key}' is {JSON_KINDS.get(type(cells), 'a JSON object')}, "
                f"not a list")
    message = str(failure).strip().splitlines()[0] if str(failure).strip() else ""
    return f"not a Jupyter notebook nbformat can read ({type(failure).__name__}: {message})"


def describe(err: BaseException) -> str:
    text = f"{type(err).__name__}: {err}".strip()
    return text if len(text) <= 400 else text[:400] + "..."
