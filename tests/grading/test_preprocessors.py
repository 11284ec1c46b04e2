"""Each nbgrader preprocessor of grading/preprocessors.py alone, on a tiny notebook and the resources nbgrader
would pass it (the shape of nbgrader/tests/preprocessors/): no nbgrader command, no kernel.

The gradebook a preprocessor reads is filled the way nbgrader fills it at release: ComputeChecksums and SaveCells
on the golden source notebook (one item of every kind).
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import nbformat
import pytest
from nbgrader.api import Gradebook
from nbgrader.preprocessors import ComputeChecksums, SaveCells
from support import golden
from support.course import Course, module_yml
from support.gold_course import COURSE_YML
from support.learners import answers_json
from traitlets.config import Config

from empathy_ce import authoring
from empathy_ce.grading import item_feedback
from empathy_ce.grading import preprocessors as pp

ASSIGNMENT = "gold"
TEXT = "gold.post.text"


def grade_ids(nb: nbformat.NotebookNode) -> list[str | None]:
    return [c.metadata.get("nbgrader", {}).get("grade_id") for c in nb.cells]


def cell(nb: nbformat.NotebookNode, grade_id: str) -> nbformat.NotebookNode:
    return next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)


@pytest.fixture(scope="module")
def released(tmp_path_factory: pytest.TempPathFactory) -> tuple[nbformat.NotebookNode, Path]:
    """The golden source notebook with nbgrader's checksums, and a gradebook holding its cells (made once: each test
    gets a copy of the file)."""
    nb, _ = ComputeChecksums().preprocess(golden.notebook(), {})
    db = tmp_path_factory.mktemp("gradebook") / "gradebook.db"
    with Gradebook(f"sqlite:///{db}") as gb:
        gb.add_assignment(ASSIGNMENT)
    info = {"db_url": f"sqlite:///{db}", "assignment": ASSIGNMENT, "notebook": "gold"}
    SaveCells().preprocess(submitted(nb), {"nbgrader": info})
    return nb, db


@pytest.fixture
def source(released) -> nbformat.NotebookNode:
    return released[0]


@pytest.fixture
def resources(tmp_path: Path, released) -> dict:
    """What nbgrader passes at autograde: the submission's folder and the gradebook holding the source cells."""
    shutil.copy(released[1], tmp_path / "gradebook.db")
    info = {"db_url": f"sqlite:///{tmp_path / 'gradebook.db'}", "assignment": ASSIGNMENT, "notebook": "gold",
            "student": "learner-a"}
    folder = tmp_path / "submitted" / "learner-a" / ASSIGNMENT
    folder.mkdir(parents=True)
    return {"metadata": {"path": str(folder)}, "nbgrader": info}


def submitted(source: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """A learner's copy: the source notebook as a fresh object (the preprocessors change it in place)."""
    return nbformat.from_dict(json.loads(json.dumps(source)))


# --------------------------------------------------------------------------------------------------- release


def test_refuse_answer_files_stops_a_release_that_would_ship_an_answer_file(tmp_path: Path):
    nb = golden.notebook()
    resources = {"metadata": {"path": str(tmp_path)}}
    assert pp.RefuseAnswerFiles().preprocess(nb, resources) == (nb, resources)
    (tmp_path / "answers.json").write_text(answers_json(golden.ALL_RIGHT))
    with pytest.raises(RuntimeError, match=r"answers\.json must not be in the source folder.*Delete it"):
        pp.RefuseAnswerFiles().preprocess(nb, resources)


def test_strip_widget_state_drops_saved_widget_state_and_keeps_other_metadata():
    nb = golden.notebook()
    nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {"m": {"answer": "b"}}}}
    nb.cells[1].metadata["widgets"] = {"answer": "b"}
    nb.cells[1].metadata["tags"] = ["kept"]
    out, _ = pp.StripWidgetState().preprocess(nb, {})
    assert "widgets" not in out.metadata and all("widgets" not in c.metadata for c in out.cells)
    assert out.cells[1].metadata["tags"] == ["kept"] and out.metadata["kernelspec"]["name"] == "python3"


def test_keep_item_cells_clears_coding_solutions_but_not_a_written_answer_item():
    coding = nbformat.v4.new_code_cell("### BEGIN SOLUTION\nanswer = 42\n### END SOLUTION")
    coding.metadata["nbgrader"] = {"schema_version": 3, "grade_id": "code-1", "grade": False, "solution": True,
                                   "locked": False, "task": False}
    written = next(authoring.item_cell(spec) for spec, _ in golden.ITEMS if spec["id"] == TEXT)
    nb = authoring.notebook("gold", [coding, written])
    before = written.source
    out, _ = pp.KeepItemCells(config=Config()).preprocess(nb, {})
    assert "answer = 42" not in out.cells[1].source and "YOUR CODE HERE" in out.cells[1].source
    assert out.cells[2].source == before  # the ask() call stays: the answer is typed into the widget


# -------------------------------------------------------------------------------------------------- autograde


def test_restore_cells_puts_deleted_items_and_setup_back_after_the_nearest_earlier_instructor_cell(source, resources):
    nb = submitted(source)
    expected = grade_ids(nb)
    nb.cells = [c for c in nb.cells if grade_ids(nbformat.v4.new_notebook(cells=[c]))[0]
                not in ("gold-setup", "gold-post-single", "gold-post-numeric")]
    # Stock OverwriteCells fails here (a KeyError after the locked setup cell) or never restores the setup cell.
    out, _ = pp.RestoreCells(config=Config({"OverwriteCells": {"add_missing_cells": True}})).preprocess(nb, resources)
    assert [g for g in grade_ids(out) if g] == [g for g in expected if g]  # (the heading has no id: not placed)
    assert cell(out, "gold-setup").source.endswith(cell(source, "gold-setup").source)
    restored = cell(out, "gold-post-single").metadata["nbgrader"]
    assert restored["grade"] and restored["points"] == 1
    assert cell(out, "gold-setup").metadata["nbgrader"]["grade"] is False


def test_restore_cells_leaves_a_complete_notebook_as_it_was(source, resources):
    nb = submitted(source)
    out, _ = pp.RestoreCells(config=Config({"OverwriteCells": {"add_missing_cells": True}})).preprocess(nb, resources)
    assert [c.source for c in out.cells] == [c.source for c in source.cells]


def test_restore_cells_reads_no_graded_cells_for_a_complete_notebook(source, resources):
    """nbgrader loads every graded, solution and task cell of the notebook to look for missing ones; with every
    release cell present there is nothing to look for (the common case: a second of a 300-submission batch)."""
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    loads: list[str] = []

    def seen(conn: object, cursor: object, statement: str, *args: object) -> None:
        loads.append(statement)

    step = pp.RestoreCells(config=Config({"OverwriteCells": {"add_missing_cells": True}}))
    event.listen(Engine, "before_cursor_execute", seen)
    try:
        step.preprocess(submitted(source), resources)
        complete = list(loads)
        loads.clear()
        nb = submitted(source)
        nb.cells = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") != "gold-post-single"]
        step.preprocess(nb, resources)
    finally:
        event.remove(Engine, "before_cursor_execute", seen)
    def every_cell(statements: list[str]) -> int:  # loads of all the notebook's graded, solution or task cells
        return sum("? = base_cell.notebook_id" in s for s in statements)

    assert every_cell(complete) == 0
    assert every_cell(loads) > 0  # a deleted item: they are read to restore it (tested above)


def test_mirror_submission_keeps_a_linked_answer_file_a_link_and_an_empty_folder_a_folder(tmp_path, resources):
    sub = Path(resources["metadata"]["path"])
    other = tmp_path / "submitted" / "learner-b" / ASSIGNMENT
    other.mkdir(parents=True)
    (other / "answers.json").write_text(answers_json(golden.ALL_RIGHT))
    (sub / "answers.json").symlink_to(other / "answers.json")
    (sub / "empty").mkdir()
    graded = tmp_path / "autograded" / "learner-a" / ASSIGNMENT
    graded.mkdir(parents=True)
    (graded / "answers.json").write_text((other / "answers.json").read_text())  # what nbgrader's shutil.copy does
    config = Config({"CourseDirectory": {"root": str(tmp_path)}})
    nb = golden.notebook()
    out, _ = pp.MirrorSubmission(config=config).preprocess(nb, resources)
    assert out is nb
    assert (graded / "answers.json").is_symlink()
    assert os.readlink(graded / "answers.json") == str(other / "answers.json")
    assert (graded / "empty").is_dir()
    assert (other / "answers.json").read_text() == answers_json(golden.ALL_RIGHT)  # the other learner's file is intact


def test_mirror_submission_does_nothing_when_grading_in_place(tmp_path, resources):
    sub = Path(resources["metadata"]["path"])
    (sub / "answers.json").symlink_to(tmp_path / "elsewhere.json")
    config = Config({"CourseDirectory": {"root": str(tmp_path), "autograded_directory": "submitted"}})
    pp.MirrorSubmission(config=config).preprocess(golden.notebook(), resources)
    assert (sub / "answers.json").is_symlink()


def test_remove_added_cells_drops_learner_code_cells_and_resets_edited_item_cells(source, resources, caplog):
    nb = submitted(source)
    nb.cells.insert(2, nbformat.v4.new_code_cell("import empathy_ce.notebook as n\nn.score = lambda *a: 3.0"))
    nb.cells.insert(3, nbformat.v4.new_markdown_cell("My notes stay."))
    cell(nb, "gold-post-single").source += '\nscore("gold.post.single", key="a")'
    out, _ = pp.RemoveAddedCells().preprocess(nb, resources)
    assert [c.source for c in out.cells if c.cell_type == "code"] == [
        c.source for c in source.cells if c.cell_type == "code"]
    assert "My notes stay." in [c.source for c in out.cells]
    assert "removed a code cell the learner added" in caplog.text and "'learner-a'" in caplog.text
    assert "item cell gold-post-single was edited" in caplog.text


def test_screen_learner_code_comments_out_unsafe_answer_cells_only(resources):
    answer = nbformat.v4.new_code_cell("import os\nos.system('true')")
    answer.metadata["nbgrader"] = {"schema_version": 3, "grade_id": "code-1", "grade": False, "solution": True,
                                   "locked": False, "task": False}
    safe = nbformat.v4.new_code_cell("import math\nresult = math.sqrt(0.0784)")
    safe.metadata["nbgrader"] = {**answer.metadata["nbgrader"], "grade_id": "code-2"}
    nb = authoring.notebook("gold", [answer, safe, *[authoring.item_cell(s, k) for s, k in golden.ITEMS]])
    items_before = [c.source for c in nb.cells[3:]]
    out, _ = pp.ScreenLearnerCode().preprocess(nb, resources)
    screened = out.cells[1].source
    assert screened.startswith("# Not run at grading:") and "# import os" in screened
    assert all(line.startswith("#") for line in screened.splitlines())
    assert out.cells[2].source == "import math\nresult = math.sqrt(0.0784)"
    assert [c.source for c in out.cells[3:]] == items_before


@pytest.mark.parametrize(("text", "flagged"), [("It sounds like the week wore you down.", True), ("   ", False),
                                                (None, False)])
def test_flag_written_answers_sends_a_written_answer_to_manual_grading(source, resources, text, flagged):
    folder = Path(resources["metadata"]["path"])
    values = {**golden.ALL_RIGHT, **({TEXT: text} if text is not None else {})}
    (folder / "answers.json").write_text(answers_json(values))
    nb = submitted(source)
    out, _ = pp.FlagWrittenAnswers().preprocess(nb, resources)
    assert ("checksum" not in cell(out, "gold-post-text").metadata["nbgrader"]) is flagged
    assert "checksum" in cell(out, "gold-post-single").metadata["nbgrader"]  # only the written item


def test_flag_written_answers_reads_an_unreadable_file_as_no_answers(source, resources, caplog):
    (Path(resources["metadata"]["path"]) / "answers.json").write_text("{ not json")
    out, _ = pp.FlagWrittenAnswers().preprocess(submitted(source), resources)
    assert "checksum" in cell(out, "gold-post-text").metadata["nbgrader"]
    assert "answers.json" in caplog.text


# --------------------------------------------------------------------------------------------------- feedback


MODULE_YML = module_yml("gold", "Golden module",
                        "{gold-1: Pick options, gold-2: Rate and order, gold-3: Compute and write}")


def course_files(root: Path) -> None:
    """The course description ItemFeedback reads (a course is a folder with nbgrader_config.py and course.yml)."""
    Course(root).describe(COURSE_YML, "gold", MODULE_YML)


def feedback(tmp_path: Path, source: nbformat.NotebookNode, resources: dict, scores: dict[str, float | None]):
    """ItemFeedback on the learner's graded notebook, with these auto scores (None: awaits a manual grade)."""
    course_files(tmp_path)
    with Gradebook(resources["nbgrader"]["db_url"]) as gb:
        gb.add_student("learner-a")
        submission = gb.add_submission(ASSIGNMENT, "learner-a")
        for grade in submission.notebooks[0].grades:
            score = scores.get(grade.name, grade.max_score)
            grade.auto_score = score
            grade.needs_manual_grade = score is None
        gb.db.commit()
    config = Config({"CourseDirectory": {"root": str(tmp_path)}})
    return item_feedback.ItemFeedback(config=config).preprocess(submitted(source), resources)[0]


def test_item_feedback_says_right_or_not_under_each_item_and_passes_a_full_score(tmp_path, source, resources):
    out = feedback(tmp_path, source, resources, {"gold-post-text": 2.0})
    texts = [c.source for c in out.cells if c.cell_type == "markdown"]
    assert sum("**Right**" in t for t in texts) == 6
    summary = next(t for t in texts if t.startswith("**Your post-test"))
    assert "11 of 11 points (100%)" in summary and ": passed." in summary and "What to review" not in summary


def test_item_feedback_names_what_to_review_for_a_module_not_passed(tmp_path, source, resources):
    out = feedback(tmp_path, source, resources, {"gold-post-single": 0.0, "gold-post-multiple": 0.0,
                                                 "gold-post-numeric": 0.0, "gold-post-text": 0.0})
    texts = [c.source for c in out.cells if c.cell_type == "markdown"]
    summary = next(t for t in texts if t.startswith("**Your post-test"))
    assert "not passed yet" in summary and "### What to review" in summary and "gold-1" in summary
    assert sum("**Not right** (0 of" in t for t in texts) == 4


def test_item_feedback_gives_no_verdict_while_a_written_answer_awaits_its_grade(tmp_path, source, resources):
    out = feedback(tmp_path, source, resources, {"gold-post-single": 0.0, "gold-post-multiple": 0.0,
                                                 "gold-post-text": None})
    texts = [c.source for c in out.cells if c.cell_type == "markdown"]
    summary = next(t for t in texts if t.startswith("**Your post-test"))
    assert "yet to grade 1 written answer" in summary and "What to review" not in summary
    assert any("**Not graded yet:**" in t for t in texts)


def test_item_feedback_leaves_a_notebook_that_is_not_a_post_test_alone(tmp_path, source, resources):
    resources["nbgrader"]["notebook"] = "practice"
    course_files(tmp_path)
    nb = submitted(source)
    feedback = item_feedback.ItemFeedback(config=Config({"CourseDirectory": {"root": str(tmp_path)}}))
    out, _ = feedback.preprocess(nb, resources)
    assert [c.source for c in out.cells] == [c.source for c in source.cells]


def test_hidden_rationale_is_read_back_from_the_hidden_tests():
    spec, key = golden.ITEMS[0]
    source = authoring.item_source(spec, key, rationale="B names the feeling.\nIt also reflects meaning.")
    assert item_feedback.hidden_rationale(source) == "B names the feeling. It also reflects meaning."
    assert item_feedback.hidden_rationale(authoring.item_source(spec, key)) is None
