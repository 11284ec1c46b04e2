"""One gradebook transaction per submission, committed twice (instructor/transactions.py), with the kept
gradebooks of empathy-ce grade's workers joining it (instructor/speedups.py).

A real SQLite gradebook made with nbgrader's own API; another connection probes SQLite's write lock.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from nbgrader.api import Gradebook
from support.gradebooks import opened, other_writer_can_write, small_gradebook

from empathy_ce.instructor import speedups, transactions


@pytest.fixture
def db(tmp_path: Path) -> str:
    return small_gradebook(tmp_path)


def test_commit_so_far_lets_other_workers_write_while_the_submission_goes_on(db: str) -> None:
    with speedups.reuse_gradebooks(), transactions.one_transaction():
        with opened("nbgrader.converters.autograde")(db) as gb:
            gb.update_or_create_submission("m1-x", "ana")  # what nbgrader's set-up writes first
        assert not other_writer_can_write(db)  # held for the rest of the block, without the call below
        transactions.commit_so_far()
        assert other_writer_can_write(db)
        with opened("nbgrader.preprocessors.saveautogrades")(db) as gb:
            gb.find_grade("item-1", "posttest", "m1-x", "ana").auto_score = 1.5
    with Gradebook(db) as plain:  # both parts were committed
        assert plain.find_grade("item-1", "posttest", "m1-x", "ana").auto_score == 1.5


def test_commit_so_far_does_nothing_outside_one_transaction(db: str) -> None:
    transactions.commit_so_far()  # formgrader and stock nbgrader commit as they go: nothing to do, nothing raised
    assert other_writer_can_write(db)


@pytest.mark.slow
def test_a_submissions_grades_are_committed_before_its_notebook_is_written(tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """In empathy-ce grade's workers, SQLite's write lock is free while a graded notebook is serialised and written
    (instructor/autograde.py ends the transaction after the grading pass's steps); the grades are all there."""
    import nbformat
    from support import golden
    from support.gold_course import STAMP, gold_course
    from support.learners import answers_json

    from empathy_ce.instructor import autograde, grade

    course = gold_course(tmp_path / "course")
    folder = course.root / "submitted" / "ana" / "gold"
    folder.mkdir(parents=True)
    (folder / "timestamp.txt").write_text(STAMP)
    (folder / "answers.json").write_text(answers_json(golden.ALL_RIGHT))
    nbformat.write(nbformat.read(course.root / "exercises" / "gold" / "gold.ipynb", as_version=4),
                   folder / "gold.ipynb")
    db = f"sqlite:///{course.root / 'gradebook.db'}"
    lock_free_while_writing: list[bool] = []
    write = autograde.CourseAutograde.write_single_notebook

    def probing(self: autograde.CourseAutograde, output: str, resources: dict) -> None:
        if not self._sanitizing:  # the graded notebook (the sanitised one is written first)
            lock_free_while_writing.append(other_writer_can_write(db))
        write(self, output, resources)

    monkeypatch.setattr(autograde.CourseAutograde, "write_single_notebook", probing)
    summary = grade.grade(course.root, ["gold"], workers=1, progress=False)
    assert [o.status for o in summary.outcomes] == ["graded"]
    assert lock_free_while_writing == [True]
    with Gradebook(db) as gb:
        grades = gb.find_submission_notebook("gold", "gold", "ana").grades
        earned = {g.name: g.auto_score for g in grades}
    assert earned == {"gold-post-single": 1.0, "gold-post-multiple": 2.0, "gold-post-rating": 2.0,
                      "gold-post-ordering": 3.0, "gold-post-numeric": 1.0, "gold-post-text": 0.0}  # (no text given)
