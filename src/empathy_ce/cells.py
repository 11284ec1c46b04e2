"""Reading item definitions and keys out of notebook cells without running them."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nbformat

ITEM_FUNCTION = "ask"
SCORE_FUNCTION = "score"


def _calls(source: str, name: str) -> Iterator[ast.Call]:
    lines = [line for line in source.splitlines() if not line.lstrip().startswith(("%", "!"))]
    try:
        tree = ast.parse("\n".join(lines))
    except SyntaxError:
        return
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", None)) == name:
            yield node


def item_spec(source: str) -> dict[str, Any] | None:
    """The literal keyword arguments of the ask() call in a cell, or None."""
    for call in _calls(source, ITEM_FUNCTION):
        return {kw.arg: ast.literal_eval(kw.value) for kw in call.keywords if kw.arg}
    return None


def keys(source: str) -> dict[str, Any]:
    """Item id -> key for every score(id, key) call in a cell."""
    found = {}
    for call in _calls(source, SCORE_FUNCTION):
        args = [ast.literal_eval(a) for a in call.args]
        kwargs = {kw.arg: ast.literal_eval(kw.value) for kw in call.keywords if kw.arg}
        item_id = args[0] if args else kwargs["item_id"]
        found[item_id] = args[1] if len(args) > 1 else kwargs["key"]
    return found


def notebook_items(path: str | Path) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """(item spec, cell nbgrader metadata) for every item cell in a notebook, in order."""
    nb = nbformat.read(path, as_version=4)
    found = []
    for cell in nb.cells:
        if cell.cell_type == "code":
            spec = item_spec(cell.source)
            if spec is not None:
                found.append((spec, dict(cell.metadata.get("nbgrader", {}))))
    return found
