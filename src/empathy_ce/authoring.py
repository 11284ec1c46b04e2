"""Build nbgrader source notebooks from item definitions, with the right cell metadata.

Instructors can also write these cells by hand in JupyterLab with nbgrader's Create Assignment toolbar;
this module produces the same thing reproducibly.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import nbformat
from nbformat.notebooknode import NotebookNode

from . import kinds
from .items import check_key, validate_item

RATIONALE_PREFIX = "# Rationale:"  # read back by grading.item_feedback.hidden_rationale for feedback

ORDER = ("id", "kind", "mode", "objective", "points", "tolerance", "unit", "context", "prompt", "scale",
         "options", "rubric", "answer", "rationale", "example")


def grade_id(item_id: str) -> str:
    """nbgrader cell id (letters, digits, dashes) and Quarto label for an item."""
    return item_id.replace(".", "-")


def _literal(value: Any, indent: int) -> str:
    pad = " " * indent
    if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        inner = "".join(f"{pad}    {_literal(v, indent + 4)},\n" for v in value)
        return f"[\n{inner}{pad}]"
    return _python(value)


def _python(value: Any) -> str:
    """A Python literal written as JSON is (the same text for JSON without true, false or null, which Python
    spells True, False, None: a conversation's script has them)."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(k, ensure_ascii=False)}: {_python(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_python(v) for v in value) + "]"
    if value is None or isinstance(value, bool):
        return repr(value)
    return json.dumps(value, ensure_ascii=False)


def item_source(spec: dict[str, Any], key: Any = None, rationale: str | None = None) -> str:
    """Cell source: a Quarto label, the ask() call and, for assessments, the key in hidden tests.

    A graded item's rationale goes in its hidden tests too (``# Rationale:`` lines): it can give the key away, so
    learners see it only in their feedback, after grading.
    """
    spec = validate_item(dict(spec))
    # Fields a kind adds to the contract (kinds/<kind>/schema.json) follow the shared ones, in their own order.
    fields = sorted(spec, key=lambda k: ORDER.index(k) if k in ORDER else len(ORDER))
    args = "".join(f"    {k}={_literal(spec[k], 4)},\n" for k in fields)
    source = f"#| label: {grade_id(spec['id'])}\nask(\n{args})"
    if spec["mode"] == "assessment" and not kinds.get(spec["kind"]).manual:
        key = check_key(spec, key)
        call = f"score({json.dumps(spec['id'])}, key={_python(key)})"
        why = "".join(f"\n{RATIONALE_PREFIX} {line.strip()}" for line in (rationale or "").splitlines() if line.strip())
        source += f"\n### BEGIN HIDDEN TESTS{why}\n{call}\n### END HIDDEN TESTS"
    elif key is not None or rationale:
        raise ValueError(f"item {spec['id']}: only graded assessment items take a hidden key")
    return source


def _nbgrader(cell_id: str, *, grade: bool = False, solution: bool = False, locked: bool = True,
              points: float | None = None) -> dict[str, Any]:
    meta: dict[str, Any] = {"schema_version": 3, "grade_id": cell_id, "grade": grade, "solution": solution,
                            "locked": locked, "task": False}
    if grade:
        meta["points"] = points
    return meta


def item_cell(spec: dict[str, Any], key: Any = None, rationale: str | None = None) -> NotebookNode:
    """A collapsed code cell for one item: read-only, graded when it is an assessment item."""
    cell = nbformat.v4.new_code_cell(item_source(spec, key, rationale))
    graded = spec["mode"] == "assessment"
    written = kinds.get(spec["kind"]).manual  # graded by hand: the learner's cell, with points
    cell.metadata["nbgrader"] = _nbgrader(
        grade_id(spec["id"]), grade=graded, solution=graded and written, locked=not (graded and written),
        points=spec.get("points") if graded else None)
    cell.metadata["jupyter"] = {"source_hidden": True}
    cell.metadata["tags"] = ["exercise"]
    return cell


def setup_cell(name: str) -> NotebookNode:
    """The first code cell: import the exercise functions and show the progress line."""
    source = f"#| label: {name}-setup\nfrom empathy_ce import ask, progress, score\n\nprogress()"
    cell = nbformat.v4.new_code_cell(source)
    cell.metadata["nbgrader"] = _nbgrader(f"{name}-setup")
    cell.metadata["jupyter"] = {"source_hidden": True}
    return cell


def markdown_cell(text: str) -> NotebookNode:
    return nbformat.v4.new_markdown_cell(text.strip())


def notebook(name: str, cells: Iterable[NotebookNode]) -> NotebookNode:
    """A Python 3 notebook whose first code cell sets up the exercises."""
    nb = nbformat.v4.new_notebook()
    cells = list(cells)
    first_code = next((i for i, c in enumerate(cells) if c.cell_type == "code"), len(cells))
    nb.cells = [*cells[:first_code], setup_cell(name), *cells[first_code:]]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    return nb
