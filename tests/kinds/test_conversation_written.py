"""The graded conversation's written turn has its own hand-graded nbgrader cell (issue 13, written.py).

Proven with nbgrader's own preprocessors and gradebook: the cell is recorded as a task cell, every submission's
grade for it needs a manual grade, and a grader's score counts in the notebook's total.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbgrader.api import Gradebook
from nbgrader.preprocessors import SaveAutoGrades, SaveCells
from support import ROOT

from empathy_ce import cells
from empathy_ce.kinds.conversation.written import written_grade_id, written_points, written_turn_cell

POSTTEST = ROOT / "solutions" / "m3-cultivation" / "cultivation_posttest.ipynb"
GRADED_ID = "m3-cultivation.post.conversation"


def graded_spec() -> dict:
    return next(s for s, _ in cells.notebook_items(POSTTEST) if s["id"] == GRADED_ID)


def test_the_written_turn_cell_shows_the_rubric_and_no_example_reply():
    spec = graded_spec()
    cell = written_turn_cell(spec)
    assert cell is not None and cell.cell_type == "markdown"
    meta = cell.metadata["nbgrader"]
    assert meta == {"schema_version": 3, "grade_id": "m3-cultivation-post-conversation-written", "grade": False,
                    "solution": False, "locked": True, "task": True, "points": 2.0}
    assert written_grade_id(spec) == meta["grade_id"] and written_points(spec) == 2
    for row in spec["conversation"]["written_turn"]["rubric"]:
        assert " ".join(row["criterion"].split()) in cell.source
    assert "examples" not in spec["conversation"]["written_turn"]  # the key's examples stay in hidden tests
    assert "the help\" seemed to erase" not in cell.source


def test_no_cell_without_a_graded_written_turn():
    spec = graded_spec()
    assert written_turn_cell({**spec, "mode": "practice"}) is None
    bare = {**spec, "conversation": {k: v for k, v in spec["conversation"].items() if k != "written_turn"}}
    assert written_turn_cell(bare) is None


def test_nbgrader_lists_the_written_turn_for_manual_grading_and_counts_the_grader_score(tmp_path: Path):
    spec = graded_spec()
    nb = nbformat.v4.new_notebook()
    nb.cells = [written_turn_cell(spec)]
    db = f"sqlite:///{tmp_path / 'gradebook.db'}"
    with Gradebook(db) as gb:
        gb.add_assignment("m3-cultivation")
        gb.add_student("ada")
    resources = {"nbgrader": {"db_url": db, "assignment": "m3-cultivation", "notebook": "cultivation_posttest",
                              "student": "ada"}}
    SaveCells().preprocess(nb, resources)  # generate_assignment records the source cells
    with Gradebook(db) as gb:
        gb.add_submission("m3-cultivation", "ada")
    SaveAutoGrades().preprocess(nbformat.from_dict(nb), resources)  # autograde
    with Gradebook(db) as gb:
        grade = gb.find_grade(written_grade_id(spec), "cultivation_posttest", "m3-cultivation", "ada")
        assert grade.needs_manual_grade and grade.auto_score is None and grade.max_score == 2
        submission = gb.find_submission_notebook("cultivation_posttest", "m3-cultivation", "ada")
        assert submission.needs_manual_grade and submission.score == 0
        grade.manual_score = 1.5  # what a grader types in formgrader
        gb.db.commit()
        assert gb.find_submission_notebook("cultivation_posttest", "m3-cultivation", "ada").score == 1.5
