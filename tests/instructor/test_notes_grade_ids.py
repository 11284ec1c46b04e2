"""The grade ids `empathy-ce grade`'s notes compare with the release to find deleted instructor cells (notes.py)."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
from nbformat.v3 import new_code_cell as v3_code_cell
from nbformat.v3 import new_notebook as v3_notebook
from nbformat.v3 import new_worksheet

from empathy_ce.instructor import notes


def test_a_notebook_read_as_json_gives_the_grade_ids_nbformat_gives(tmp_path: Path) -> None:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("intro"),
                nbformat.v4.new_code_cell("ask()", metadata={"nbgrader": {"grade_id": "q1", "grade": True}}),
                nbformat.v4.new_code_cell("x", metadata={"nbgrader": {"solution": True}})]
    path = tmp_path / "n.ipynb"
    nbformat.write(nb, path)
    expected = {c.metadata.get("nbgrader", {}).get("grade_id") for c in nbformat.read(path, as_version=4).cells}
    assert notes._grade_ids(path) == expected == {None, "q1"}
    # A learner's odd metadata is no grade id (nbgrader restores such a cell), not a crash.
    raw = json.loads(path.read_text())
    raw["cells"][2]["metadata"]["nbgrader"] = "tampered"
    path.write_text(json.dumps(raw))
    assert notes._grade_ids(path) == {None, "q1"}


def test_an_older_notebook_is_read_through_nbformat(tmp_path: Path) -> None:
    old = v3_notebook(worksheets=[new_worksheet(cells=[v3_code_cell(input="ask()", metadata={
        "nbgrader": {"grade_id": "q1"}})])])
    path = tmp_path / "old.ipynb"
    path.write_text(nbformat.writes(old, version=3))
    assert notes._grade_ids(path) == {"q1"}
