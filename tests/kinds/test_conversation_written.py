"""The graded conversation's written turn has its own hand-graded nbgrader cell (issue 13, written.py).

Proven with nbgrader's own preprocessors and gradebook: the cell is recorded as a task cell, every submission's
grade for it needs a manual grade, and a grader's score counts in the notebook's total.
"""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest
import yaml
from nbgrader.api import Gradebook
from nbgrader.preprocessors import SaveAutoGrades, SaveCells
from support import ROOT
from support.course import Course, course_yml, module_yml
from support.kernels import graded_both_ways
from support.learners import answers_json

from empathy_ce import authoring, cells
from empathy_ce.conversation.split import key_strings
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
                    "solution": False, "locked": True, "task": True, "points": 2}
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


# ------------------------------------------------------------------------------------------------ end to end
WRITTEN = "Being introduced as the help seemed to wipe out the engineer you are."
LEARNERS = {"writer": {"path": ["c", "b", "b"], "written": WRITTEN}, "silent": {"path": ["c", "b", "b"]}}


def graded_notebook() -> nbformat.NotebookNode:
    """The post-test's conversation cell and its written-turn cell, as the post-test has them."""
    spec = graded_spec()
    source = next(c.source for c in nbformat.read(POSTTEST, as_version=4).cells
                  if c.cell_type == "code" and (cells.item_spec(c.source) or {}).get("id") == GRADED_ID)
    return authoring.notebook("conv", [nbformat.v4.new_code_cell(source, metadata=_code_meta(source)),
                                       written_turn_cell(spec)])  # after the setup cell notebook() adds


def _code_meta(source: str) -> dict:
    nb = nbformat.read(POSTTEST, as_version=4)
    cell = next(c for c in nb.cells if c.cell_type == "code" and c.source == source)
    return json.loads(json.dumps(cell.metadata))


@pytest.fixture(scope="module")
def autograded(tmp_path_factory: pytest.TempPathFactory) -> Course:
    tmp_path = tmp_path_factory.mktemp("written")
    (tmp_path / "course").mkdir()
    course = Course(tmp_path / "course")
    # A course description, so that nbgrader's feedback runs the course's ItemFeedback on the post-test.
    course.describe(course_yml("Written-turn course", "conv"), "conv",
                    module_yml("conv", "Conversation module", "{cultivation-3: Rate and validate}"))
    course.add_source("conv", "conv", graded_notebook())
    course.nbgrader("generate_assignment", "conv", "--force")
    course.nbgrader("release_assignment", "conv", "--force")
    exchange = [f"--Exchange.root={course.root / 'exchange'}", "--course=therapeutic-empathy"]
    for learner, value in LEARNERS.items():
        home = tmp_path / "home" / learner
        home.mkdir(parents=True)
        course.nbgrader("fetch_assignment", "conv", *exchange, cwd=home)
        (home / "conv" / "answers.json").write_text(answers_json({GRADED_ID: value}))
        course.nbgrader("submit", "conv", f"--student={learner}", *exchange, cwd=home)
    course.nbgrader("collect", "conv")
    result = course.nbgrader("autograde", "conv", check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    return course


@pytest.mark.slow
def test_the_release_shows_the_rubric_and_no_key(autograded: Course):
    released = (autograded.root / "exercises" / "conv" / "conv.ipynb").read_text("utf-8")
    nb = nbformat.reads(released, as_version=4)
    task = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("task"))
    assert "Reflects the hurt of being introduced that way" in task.source
    assert "BEGIN HIDDEN TESTS" not in released and "written_examples" not in released
    script = yaml.safe_load((ROOT / "course" / "conversations" / f"{GRADED_ID}.yml").read_text("utf-8"))
    leaked = [s for s in key_strings(script) if s in released or json.dumps(s, ensure_ascii=False)[1:-1] in released]
    assert not leaked, leaked[:1]


@pytest.mark.slow
def test_the_written_turn_needs_a_manual_grade_and_the_grader_score_counts(autograded: Course):
    written_id = "m3-cultivation-post-conversation-written"
    with Gradebook(autograded.db_url) as gb:
        for learner in LEARNERS:
            grade = gb.find_grade(written_id, "conv", "conv", learner)
            assert grade.needs_manual_grade and grade.auto_score is None and grade.max_score == 2
            path = gb.find_grade("m3-cultivation-post-conversation", "conv", "conv", learner)
            assert path.auto_score == 3 and not path.needs_manual_grade
        assert gb.find_submission_notebook("conv", "conv", "writer").needs_manual_grade
        grade = gb.find_grade(written_id, "conv", "conv", "writer")
        grade.manual_score = 1.5  # what the grader types in formgrader
        gb.db.commit()
        notebook = gb.find_submission_notebook("conv", "conv", "writer")
        assert (notebook.score, notebook.max_score) == (4.5, 5)
    shown = nbformat.read(autograded.root / "autograded" / "writer" / "conv" / "conv.ipynb", as_version=4)
    outputs = json.dumps([c.get("outputs", []) for c in shown.cells])
    assert WRITTEN in outputs and "Rubric for the grader" in outputs  # the grader reads the reply above the task
    assert any(c.metadata.get("nbgrader", {}).get("grade_id") == written_id for c in shown.cells)
    # The learner's feedback counts the grader's score in the post-test total; without one, no verdict yet.
    autograded.nbgrader("generate_feedback", "conv", "--force")
    writer = (autograded.root / "feedback" / "writer" / "conv" / "conv.html").read_text("utf-8")
    assert "4.5 of 5 points (90%)" in writer and "passed." in writer
    silent = (autograded.root / "feedback" / "silent" / "conv" / "conv.html").read_text("utf-8")
    assert "3 of 5 points" in silent and "yet to grade 1 written answer" in silent


@pytest.mark.slow
@pytest.mark.parametrize("learner", list(LEARNERS))
def test_kernel_and_kernel_free_grader_give_identical_outputs(learner: str, tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch):
    (tmp_path / "answers.json").write_text(answers_json({GRADED_ID: LEARNERS[learner]}))
    kernel = graded_both_ways(graded_notebook, tmp_path, monkeypatch)
    assert (WRITTEN in json.dumps(kernel.cells[1].outputs)) == (learner == "writer")
