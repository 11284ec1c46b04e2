"""The nbgrader traps, each reproduced with stock settings and shown handled with the project's config."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbgrader.api import Gradebook
from nbgrader.preprocessors import NbGraderPreprocessor
from support import ROOT, golden, learners
from support.course import Course
from traitlets.config.loader import PyFileConfigLoader

from empathy_ce.grading.config import OURS

pytestmark = pytest.mark.slow

STOCK_CONFIG = """c = get_config()
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "exercises"
"""


def submit_directly(course: Course, learner: str, values: dict | None) -> Path:
    """Place a submission the way `nbgrader collect` leaves it (quicker than the exchange)."""
    folder = course.root / "submitted" / learner / "gold"
    shutil.copytree(course.root / "exercises" / "gold", folder)
    if values is not None:
        (folder / "answers.json").write_text(learners.answers_json(values))
    return folder


def scores(course: Course, learner: str) -> dict[str, float]:
    with Gradebook(course.db_url) as gb:
        return {g.name: g.auto_score for g in gb.find_submission_notebook("gold", "gold", learner).grades}


@pytest.fixture
def released(course: Course) -> Course:
    course.add_source("gold", "gold", golden.notebook())
    course.nbgrader("generate_assignment", "gold", "--force")
    return course


def test_stock_nbgrader_lets_a_stray_answer_file_overwrite_learners(course: Course):
    (course.root / "nbgrader_config.py").write_text(STOCK_CONFIG)
    course.add_source("gold", "gold", golden.notebook())
    (course.root / "solutions" / "gold" / "answers.json").write_text(learners.answers_json(golden.ALL_WRONG))
    course.nbgrader("generate_assignment", "gold", "--force")
    assert (course.root / "exercises" / "gold" / "answers.json").exists()  # released to every learner
    submit_directly(course, "ana", golden.ALL_RIGHT)
    course.nbgrader("autograde", "gold")
    assert scores(course, "ana")["gold-post-single"] == 0  # the learner's right answers were replaced


def test_a_stray_answer_file_stops_the_release_with_a_clear_message(course: Course):
    course.add_source("gold", "gold", golden.notebook())
    stray = course.root / "solutions" / "gold" / "answers.json"
    stray.write_text(learners.answers_json(golden.ALL_RIGHT))
    result = course.nbgrader("generate_assignment", "gold", "--force", check=False)
    assert result.returncode != 0
    assert f"{stray} must not be in the source folder" in result.stdout + result.stderr
    assert not (course.root / "exercises" / "gold" / "answers.json").exists()


def test_autograde_never_replaces_a_learners_answer_file(released: Course):
    # Even if a stray file appears in the source after release, autograde keeps the learner's own.
    (released.root / "solutions" / "gold" / "answers.json").write_text(learners.answers_json(golden.ALL_WRONG))
    submit_directly(released, "ben", golden.ALL_RIGHT)
    released.nbgrader("autograde", "gold")
    assert scores(released, "ben")["gold-post-single"] == 1
    kept = json.loads((released.root / "autograded" / "ben" / "gold" / "answers.json").read_text())
    assert kept["items"]["gold.post.single"]["value"] == "b"


def test_ignoring_the_answer_file_is_refused(course: Course):
    config = course.root / "nbgrader_config.py"
    config.write_text(config.read_text().replace(
        "configure(c, here)", 'c.CourseDirectory.ignore = [".ipynb_checkpoints", "answers*.json"]\nconfigure(c, here)'))
    result = course.nbgrader("list", check=False)
    assert result.returncode != 0
    assert "answers.json" in result.stderr and "learners' answers" in result.stderr


def test_saved_widget_state_never_reaches_the_release(course: Course):
    source = course.add_source("gold", "gold", golden.notebook())
    learners.answer(source, golden.ALL_RIGHT)  # the instructor tries the items in the source notebook
    assert not (source.parent / "answers.json").exists()  # not saved in the source folder
    saved = nbformat.read(source, as_version=4)
    assert '"answer": "b"' in json.dumps(saved.metadata["widgets"])  # the key sits in the widget state
    course.nbgrader("generate_assignment", "gold", "--force")
    text = (course.root / "exercises" / "gold" / "gold.ipynb").read_text()
    assert "widget-state" not in text and "application/vnd.jupyter.widget" not in text
    assert "score(" not in text and "HIDDEN TESTS" not in text


def test_an_edited_item_cell_is_restored_before_grading(released: Course):
    folder = submit_directly(released, "cam", {"gold.post.text": "I hear how tired you are."})
    notebook = folder / "gold.ipynb"
    nb = nbformat.read(notebook, as_version=4)
    text_cell = next(c for c in nb.cells if "gold.post.text" in c.source)
    text_cell.source += "\nscore = lambda *args, **kwargs: 3.0"  # a written-answer cell is editable
    nbformat.write(nb, notebook)
    released.nbgrader("autograde", "gold")
    assert scores(released, "cam")["gold-post-single"] == 0
    graded = nbformat.read(released.root / "autograded" / "cam" / "gold" / "gold.ipynb", as_version=4)
    assert not any("lambda" in c.source for c in graded.cells)


def test_run_all_on_an_unanswered_release_shows_every_item(released: Course, tmp_path: Path):
    learner = tmp_path / "learner"
    shutil.copytree(released.root / "exercises" / "gold", learner)
    nb = nbformat.read(learner / "gold.ipynb", as_version=4)
    NotebookClient(nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(learner)}}).execute()
    views = [o for c in nb.cells for o in c.get("outputs", [])
             if "application/vnd.jupyter.widget-view+json" in o.get("data", {})]
    assert len(views) == 1 + len(golden.ITEMS)  # the progress line and every item
    assert not any(o.output_type == "error" for c in nb.cells for o in c.get("outputs", []))
    assert not (learner / "answers.json").exists()


def test_a_misspelt_option_fails_loudly(released: Course):
    config = released.root / "nbgrader_config.py"
    config.write_text(config.read_text() + '\nc.CourseDirectory.source_directroy = "elsewhere"\n')
    result = released.nbgrader("generate_assignment", "gold", "--force", check=False)
    assert result.returncode != 0
    assert "c.CourseDirectory.source_directroy is not an option (did you mean source_directory?)" in result.stderr


def test_stock_nbgrader_only_logs_a_misspelt_option(course: Course):
    (course.root / "nbgrader_config.py").write_text(STOCK_CONFIG + 'c.CourseDirectory.source_directroy = "x"\n')
    course.add_source("gold", "gold", golden.notebook())
    result = course.nbgrader("generate_assignment", "gold", "--force", check=False)
    assert result.returncode == 0  # the trap: nbgrader carries on with defaults


def test_project_preprocessors_are_enabled_nbgrader_preprocessors():
    config = PyFileConfigLoader("nbgrader_config.py", path=str(ROOT)).load_config()
    pipelines = [*config.GenerateAssignment.preprocessors, *config.Autograde.sanitize_preprocessors,
                 *config.Autograde.autograde_preprocessors, *config.GenerateFeedback.preprocessors]
    for cls in OURS:
        assert issubclass(cls, NbGraderPreprocessor) and cls().enabled, cls
        assert cls in pipelines, cls
