"""Simulated learners: run a released notebook in a real kernel and answer through the real widgets."""

from __future__ import annotations

import json
import random
import re
from pathlib import Path
from typing import Any

import nbformat
from nbclient import NotebookClient

from empathy_ce import cells, kinds


def answers_json(values: dict[str, Any]) -> str:
    """An answer file holding these values, as the course writes it."""
    return json.dumps({"format": "empathy-ce/answers", "version": 1,
                       "items": {k: {"value": v} for k, v in values.items()}})


def coding_solutions(source: Path) -> dict[str, str]:
    """grade id -> the instructor's solution source, for every coding answer cell of a source notebook."""
    found = {}
    for cell in nbformat.read(source, as_version=4).cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type == "code" and meta.get("solution") and cells.item_spec(cell.source) is None:
            found[meta["grade_id"]] = re.sub(r"### (BEGIN|END) SOLUTION\n?", "", cell.source)
    return found


def keyed_items(notebook: Path) -> list[tuple[dict[str, Any], Any]]:
    """(spec, key) of every item in a source notebook, in order; the key from the item's hidden tests (None for
    an item without one)."""
    found = []
    for cell in nbformat.read(notebook, as_version=4).cells:
        spec = cells.item_spec(cell.source) if cell.cell_type == "code" else None
        if spec:
            found.append((spec, cells.keys(cell.source).get(spec["id"])))
    return found


def write_code_answers(notebook: Path, answers: dict[str, str]) -> None:
    """A learner types these sources (grade id -> code) into the notebook's answer cells."""
    nb = nbformat.read(notebook, as_version=4)
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in answers:
            cell.source = answers[grade_id]
    nbformat.write(nb, notebook)


DRIVER = """
from empathy_ce.notebook import session as _session
for _id, _value in {answers}.items():
    # The same call the comm handler makes when the browser sends a change.
    _session().widgets[_id].set_state({{"answer": _value}})
"""


def answer(notebook: Path, answers: dict[str, Any], extra_cells: list[str] = ()) -> nbformat.NotebookNode:
    """Run the notebook top to bottom in its folder, answer via the widgets, save it as a learner would."""
    nb = nbformat.read(notebook, as_version=4)
    for source in extra_cells:
        nb.cells.append(nbformat.v4.new_code_cell(source))
    driver = nbformat.v4.new_code_cell(DRIVER.format(answers=json.dumps(answers)))
    nb.cells.append(driver)
    NotebookClient(nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(notebook.parent)}},
                   store_widget_state=True).execute()
    nb.cells.remove(driver)
    nbformat.write(nb, notebook)
    return nb


def random_answer(spec: dict[str, Any], rng: random.Random) -> Any:
    """A random valid answer to any item, as a guessing learner would give (the kind's own generator)."""
    if spec["kind"] == "text":
        return "A first attempt at a reflection."
    return kinds.get(spec["kind"]).guess(spec, rng)
