"""Every learner notebook with items starts with the one instruction a learner needs: choose Run All."""

from __future__ import annotations

import nbformat
import pytest
from support import ROOT

from empathy_ce import cells
from empathy_ce import course as course_model
from empathy_ce.grading.learner_view import MENU, RunAllFirst
from empathy_ce.notebook import RUN_ALL

COURSE = course_model.load(ROOT)
NOTEBOOKS = [(m, n) for m in COURSE.modules for n in m.notebooks()]


@pytest.mark.parametrize(("module", "name"), NOTEBOOKS, ids=[f"{m.id}/{n}" for m, n in NOTEBOOKS])
def test_released_notebooks_start_with_run_all(module: course_model.Module, name: str):
    path = COURSE.release(module, name)
    if not cells.notebook_items(path):
        pytest.skip("no items in this notebook")
    first = nbformat.read(path, as_version=4).cells[0]
    assert first.cell_type == "markdown" and first.source.replace("*", "").count(MENU) == 1, first.source[:300]


def test_the_instruction_is_added_once_where_an_author_left_it_out():
    source = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# Practice"),
                                             nbformat.v4.new_code_cell('ask({"id": "x.p1.q1"})')])
    told = "# Practice\n\nChoose **Run > Run All Cells**."
    said = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(told),
                                           nbformat.v4.new_code_cell('ask({"id": "x.p1.q1"})')])
    out, _ = RunAllFirst().preprocess(source, {})
    assert out.cells[0].source.startswith(f"**{RUN_ALL}**")
    out, _ = RunAllFirst().preprocess(said, {})
    assert out.cells[0].source == told


def test_a_notebook_without_items_is_left_as_it_is():
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# Coding"),
                                         nbformat.v4.new_code_cell("x = 1")])
    out, _ = RunAllFirst().preprocess(nb, {})
    assert out.cells[0].source == "# Coding"


def test_a_markdown_cell_nbgrader_tracks_keeps_its_source():
    """A locked Markdown cell carries a checksum: the instruction goes into the first untracked one."""
    tracked = nbformat.v4.new_markdown_cell("## Read this first")
    tracked.metadata["nbgrader"] = {"grade_id": "intro", "locked": True}
    nb = nbformat.v4.new_notebook(cells=[tracked, nbformat.v4.new_markdown_cell("# Practice"),
                                         nbformat.v4.new_code_cell('ask({"id": "x.p1.q1"})')])
    out, _ = RunAllFirst().preprocess(nb, {})
    assert out.cells[0].source == "## Read this first"
    assert out.cells[1].source.startswith(f"**{RUN_ALL}**") and out.cells[1].source.endswith("# Practice")
