"""End to end with real nbgrader and real kernels: release, five learners, exchange, autograde, gradebook."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest
from nbgrader.api import Gradebook
from support import golden, learners
from support.course import Course
from support.hardening import tried

pytestmark = pytest.mark.slow

COURSE_ID = "therapeutic-empathy"
TEXT = "gold.post.text"
CHEAT = """# A learner's own cell: make every score call report full marks.
score = lambda item_id, key: 3.0
import empathy_ce.notebook as _n
_n.score = score
"""
TAMPERED = {"format": "empathy-ce/answers", "version": 1, "items": {
    "gold.post.single": {"value": "e"},
    "gold.post.multiple": {"value": ["a", "a", "c"]},
    "gold.post.rating": {"value": 99},
    "gold.post.ordering": {"value": ["a", "b"]},
    "gold.post.numeric": {"value": "0.0784"},
    "gold.post.text": {"value": 12345},
}}


def exchange_args(course: Course) -> list[str]:
    return [f"--Exchange.root={course.root / 'exchange'}", f"--course={COURSE_ID}"]


def learner_home(tmp_path: Path, course: Course, learner: str) -> Path:
    home = tmp_path / "home" / learner
    home.mkdir(parents=True)
    course.nbgrader("fetch_assignment", "gold", *exchange_args(course), cwd=home)
    return home


def grades(course: Course, learner: str) -> dict[str, tuple[float | None, bool]]:
    with Gradebook(course.db_url) as gb:
        notebook = gb.find_submission_notebook("gold", "gold", learner)
        return {g.name: (g.auto_score, g.needs_manual_grade) for g in notebook.grades}


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> Course:
    tmp_path = tmp_path_factory.mktemp("e2e")
    (tmp_path / "course").mkdir()
    course = Course(tmp_path / "course")
    course.add_source("gold", "gold", golden.notebook())
    course.nbgrader("generate_assignment", "gold", "--force")
    course.nbgrader("release_assignment", "gold", "--force")
    plans = {
        "all-right": ({**golden.ALL_RIGHT, TEXT: "It sounds like the week wore you down."}, []),
        "all-wrong": ({**golden.ALL_WRONG, TEXT: "Just try harder."}, []),
        "partial": (golden.PARTIAL, []),
        "nothing": ({}, []),
        "tamperer": (golden.ALL_WRONG, [CHEAT]),
    }
    for learner, (answers, extra) in plans.items():
        home = learner_home(tmp_path, course, learner)
        notebook = home / "gold" / "gold.ipynb"
        learners.answer(notebook, answers)
        if extra:  # the learner's own code goes before the graded cells, and the answer file is edited by hand
            nb = nbformat.read(notebook, as_version=4)
            nb.cells[2:2] = [nbformat.v4.new_code_cell(src) for src in extra]
            nbformat.write(nb, notebook)
            (home / "gold" / "answers.json").write_text(json.dumps(TAMPERED))
        if learner == "nothing":
            assert not (home / "gold" / "answers.json").exists()
        course.nbgrader("submit", "gold", f"--student={learner}", *exchange_args(course), cwd=home)
        if learner == "all-wrong":  # answers changed after submission, in the learner's own folder
            learners.answer(notebook, golden.ALL_RIGHT)
    course.nbgrader("collect", "gold")
    # ... and in the exchange's copy of the submission, after it was collected: a re-collect keeps what was collected.
    for inbound in (course.root / "exchange").glob(f"{COURSE_ID}/inbound/all-wrong+gold+*"):
        (inbound / "answers.json").write_text(learners.answers_json(golden.ALL_RIGHT))
    course.nbgrader("collect", "gold", "--update")
    result = course.nbgrader("autograde", "gold", check=False)
    course.log = result.stdout + result.stderr
    assert result.returncode == 0, course.log
    return course


def expected(answers: dict) -> dict[str, float]:
    from empathy_ce.scoring import points

    return {golden_id.replace(".", "-"): points(spec, answers.get(golden_id), key)
            for golden_id, (spec, key) in golden.GRADED.items()}


def test_scores_follow_the_key_and_partial_credit_rules(graded: Course):
    for learner, answers in [("all-right", golden.ALL_RIGHT), ("all-wrong", golden.ALL_WRONG),
                             ("partial", golden.PARTIAL), ("nothing", {})]:
        got = grades(graded, learner)
        for cell, score in expected(answers).items():
            assert got[cell] == (score, False), (learner, cell)
    assert expected(golden.ALL_RIGHT)["gold-post-ordering"] == 3.0
    assert expected(golden.PARTIAL)["gold-post-ordering"] == 2.5


def test_written_answers_go_to_manual_grading_and_blanks_score_zero(graded: Course):
    assert grades(graded, "all-right")["gold-post-text"] == (None, True)
    assert grades(graded, "all-wrong")["gold-post-text"] == (None, True)
    assert grades(graded, "partial")["gold-post-text"] == (0, False)
    autograded = graded.root / "autograded" / "all-right" / "gold" / "gold.ipynb"
    shown = json.dumps(nbformat.read(autograded, as_version=4).cells[7].outputs)
    assert "It sounds like the week wore you down." in shown and "Rubric for the grader" in shown


def test_the_tamperer_gains_nothing_and_is_named(graded: Course, request: pytest.FixtureRequest):
    got = grades(graded, "tamperer")
    assert {cell: score for cell, (score, _) in got.items()} == {
        "gold-post-single": 0, "gold-post-multiple": 0, "gold-post-rating": 0, "gold-post-ordering": 0,
        "gold-post-numeric": 0, "gold-post-text": 0}
    autograded = nbformat.read(graded.root / "autograded" / "tamperer" / "gold" / "gold.ipynb", as_version=4)
    assert not any("lambda item_id" in c.source for c in autograded.cells)
    assert "Learner 'tamperer'" in graded.log and "removed a code cell" in graded.log
    outputs = json.dumps([c.get("outputs", []) for c in autograded.cells])
    assert "is ignored" in outputs and "tamperer" in outputs  # the message names the learner's file
    tried(request, bad_inputs=len(TAMPERED["items"]), attacks=1)


def test_answers_changed_after_submission_change_nothing(graded: Course, request: pytest.FixtureRequest):
    changed = list((graded.root / "exchange").glob(f"{COURSE_ID}/inbound/all-wrong+gold+*/answers.json"))
    assert changed and all("gold.post.single" in p.read_text() for p in changed)
    got = grades(graded, "all-wrong")
    assert {cell: got[cell][0] for cell in expected(golden.ALL_WRONG)} == expected(golden.ALL_WRONG)
    assert expected(golden.ALL_WRONG) != expected(golden.ALL_RIGHT)
    tried(request, attacks=2)  # in the learner's folder, and in the exchange after collection


def test_every_learner_is_graded_and_the_answer_file_survives(graded: Course):
    with Gradebook(graded.db_url) as gb:
        assert sorted(s.student.id for s in gb.find_assignment("gold").submissions) == [
            "all-right", "all-wrong", "nothing", "partial", "tamperer"]
    kept = json.loads((graded.root / "autograded" / "partial" / "gold" / "answers.json").read_text())
    assert kept["items"]["gold.post.single"]["value"] == "b"


def test_regrading_keeps_manual_grades(graded: Course):
    with Gradebook(graded.db_url) as gb:
        grade = gb.find_grade("gold-post-text", "gold", "gold", "all-right")
        grade.manual_score = 1.5
        gb.db.commit()
    graded.nbgrader("autograde", "gold", "--force")
    with Gradebook(graded.db_url) as gb:
        grade = gb.find_grade("gold-post-text", "gold", "gold", "all-right")
        assert grade.manual_score == 1.5 and grade.score == 1.5
