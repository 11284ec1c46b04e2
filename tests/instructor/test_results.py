"""The report's results: one learner's answer file linked to another's counts nothing (issue 12), and the scores
are nbgrader's own Grade.score (manual grades and extra credit as formgrader shows them), through real nbgrader.

A one-module golden course is released with `empathy-ce release`; ada answers every item right, cy every item
wrong, and eve's answers.json is a link to ada's submitted file. `nbgrader autograde` grades all three. The report
must count ada's choices once: before commit 111314a the report's reader followed the link, so the choice counts
(distractors.csv, the page's choice tables) held ada's choices twice and eve's "no answer" not at all.
"""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest
from nbgrader.api import Gradebook
from support import golden
from support.course import course_yml
from support.gold_course import STAMP, gold_course
from support.hardening import tried
from support.instructor_course import PROVIDER
from support.learners import answers_json

from empathy_ce import cli
from empathy_ce.instructor import report, results

pytestmark = [pytest.mark.slow, pytest.mark.hardening]

COURSE_ID = "therapeutic-empathy"


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The course after autograde, with the text item graded by hand and one manual score and extra credit."""
    with pytest.MonkeyPatch.context() as env:
        env.delenv("EMPATHY_CE_DB_URL", raising=False)
        env.delenv("EMPATHY_CE_EXCHANGE", raising=False)
        root = tmp_path_factory.mktemp("results") / "course"
        course = gold_course(root, course_yml("Golden course", "gold", json.dumps(PROVIDER)))
        released = root / "exercises" / "gold" / "gold.ipynb"
        for learner, values in {"ada": golden.ALL_RIGHT, "cy": golden.ALL_WRONG, "eve": None}.items():
            folder = root / "submitted" / learner / "gold"
            folder.mkdir(parents=True)
            (folder / "timestamp.txt").write_text(STAMP)
            shutil.copy(released, folder / "gold.ipynb")
            if values is None:  # eve's answer file is a link to ada's
                (folder / "answers.json").symlink_to(root / "submitted" / "ada" / "gold" / "answers.json")
            else:
                (folder / "answers.json").write_text(answers_json(values))
        course.nbgrader("autograde", "gold")
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}", course_id=COURSE_ID) as gb:  # formgrader's work
        for learner in ("ada", "cy", "eve"):
            grade = gb.find_grade("gold-post-text", "gold", "gold", learner)
            grade.manual_score = 2.0 if learner == "ada" else 0.0
            grade.needs_manual_grade = False
        gb.find_grade("gold-post-numeric", "gold", "gold", "cy").manual_score = 0.5  # overrides the auto score
        gb.find_grade("gold-post-ordering", "gold", "gold", "cy").extra_credit = 1.0
        gb.db.commit()
    return root


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_a_linked_answer_file_counts_none_of_the_other_learners_choices(graded: Path, request: pytest.FixtureRequest,
                                                                         monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("EMPATHY_CE_DB_URL", raising=False)
    assert (graded / "autograded" / "eve" / "gold" / "answers.json").is_symlink()  # as submitted, still a link
    found = results.load(graded)
    assert found.answers("eve", "gold") is None
    built = report.build(found)

    counts = {(d.item, d.option): (d.count, d.learners) for d in built.distractors}
    assert counts["gold.post.single", "b"] == (1, 3)  # the key: ada only, not ada twice
    assert counts["gold.post.single", "a"] == (1, 3)  # cy
    assert counts["gold.post.single", report.NO_ANSWER] == (1, 3)  # eve: her file is a link, so no answer
    assert counts["gold.post.multiple", "a"] == counts["gold.post.multiple", "c"] == (1, 3)
    assert counts["gold.post.multiple", report.NO_ANSWER] == (1, 3)

    single = built.items["gold"]["gold-post-single"]  # item analysis: eve earned nothing from ada's answers
    assert (single.n, single.full_credit) == (3, 1)

    eve = next(lr for lr in found.learners if lr.id == "eve").modules["gold"]
    assert eve.score == 0.0 and eve.state is not None and eve.state.state == "graded with notes"
    assert any("answer file unreadable" in note and "a link to another file" in note and "learner 'eve'" in note
               for note in eve.state.notes), eve.state.notes

    report.write(built, graded / "reports")  # the files an instructor opens say the same
    rows = {(r["item_id"], r["option"]): r for r in read_csv(graded / "reports" / "distractors.csv")}
    assert rows["gold.post.single", "b"]["count"] == "1" and rows["gold.post.single", report.NO_ANSWER]["count"] == "1"
    notes = {r["learner_id"]: r["notes"] for r in read_csv(graded / "reports" / "submissions.csv")}
    assert "a link to another file" in notes["eve"] and notes["ada"] == ""
    tried(request, attacks=1)


def test_module_scores_are_nbgraders_grade_scores(graded: Path, capsys: pytest.CaptureFixture[str],
                                                  monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("EMPATHY_CE_DB_URL", raising=False)
    with Gradebook(f"sqlite:///{graded / 'gradebook.db'}", course_id=COURSE_ID) as gb:
        expected = {learner: gb.find_submission("gold", learner).score for learner in ("ada", "cy", "eve")}
        cy_numeric = gb.find_grade("gold-post-numeric", "gold", "gold", "cy")
        assert (cy_numeric.auto_score, cy_numeric.score) == (0.0, 0.5)  # nbgrader: the manual score wins
    assert expected == {"ada": 11.0, "cy": 1.5, "eve": 0.0}  # cy: manual 0.5 plus 1 point of extra credit

    assert cli.main(["--root", str(graded), "report"]) == 0
    capsys.readouterr()
    rows = {r["learner_id"]: r for r in read_csv(graded / "reports" / "learners.csv")}
    assert {k: r["gold_score"] for k, r in rows.items()} == {k: f"{v:.2f}" for k, v in expected.items()}
    grades = next(lr for lr in results.load(graded).learners if lr.id == "cy").modules["gold"].grades
    assert (grades["gold-post-numeric"], grades["gold-post-ordering"]) == (0.5, 1.0)
