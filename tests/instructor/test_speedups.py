"""empathy-ce grade's worker speed-ups (instructor/speedups.py) change how often nbgrader's work is done, not what.

A real SQLite gradebook made with nbgrader's own API; the Gradebook that nbgrader's preprocessors open by name is
the kept one inside ``reuse_gradebooks()``.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from nbgrader.api import Gradebook, MissingEntry
from sqlalchemy import event

from empathy_ce.instructor import speedups


@pytest.fixture
def db(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'gradebook.db'}"
    with Gradebook(url) as gb:
        gb.add_assignment("m1-x")
        gb.add_notebook("posttest", "m1-x")
        gb.add_grade_cell("item-1", "posttest", "m1-x", max_score=2.0, cell_type="code")
        gb.add_source_cell("item-1", "posttest", "m1-x", cell_type="code", locked=True,
                           source="ask('item-1')", checksum="abc")
        gb.add_student("ana")
    return url


def _opened(name: str = "nbgrader.preprocessors.overwritecells") -> type[Gradebook]:
    import importlib

    return importlib.import_module(name).Gradebook  # what nbgrader's OverwriteCells opens


def _selects(gradebook: Gradebook) -> list[str]:
    seen: list[str] = []
    event.listen(gradebook.engine, "before_cursor_execute",
                 lambda conn, cursor, statement, *args: seen.append(statement) if "source_cell" in statement
                 or "grade_cell" in statement else None)
    return seen


def test_release_cells_are_read_once_per_worker_with_nbgraders_values(db: str) -> None:
    with Gradebook(db) as plain:
        expected_source = plain.find_source_cell("item-1", "posttest", "m1-x").to_dict()
        expected_points = plain.find_graded_cell("item-1", "posttest", "m1-x").max_score
    with speedups.reuse_gradebooks():
        gb = _opened()(db)
        seen = _selects(gb)
        for _ in range(3):
            with _opened()(db) as again:  # a new preprocessor's Gradebook, as nbgrader opens one per notebook
                source = again.find_source_cell("item-1", "posttest", "m1-x")
                points = again.find_graded_cell("item-1", "posttest", "m1-x").max_score
        assert {k: getattr(source, k) for k in ("name", "cell_type", "locked", "source", "checksum")} == {
            k: expected_source[k] for k in ("name", "cell_type", "locked", "source", "checksum")}
        assert points == expected_points == 2.0
        assert len(seen) == 2, seen  # one query for the source cell, one for the graded cell, however many calls
        for _ in range(2):  # an unknown cell is refused every time, as nbgrader refuses it
            with pytest.raises(MissingEntry, match="item-9"):
                gb.find_source_cell("item-9", "posttest", "m1-x")
    with Gradebook(db) as plain, pytest.raises(MissingEntry, match="item-9"):
        plain.find_source_cell("item-9", "posttest", "m1-x")


def _other_writer_can_write(db: str) -> bool:
    other = sqlite3.connect(db.removeprefix("sqlite:///"), timeout=0)
    try:
        other.execute("UPDATE student SET first_name = 'x' WHERE id = 'nobody'")
        other.commit()
        return True
    except sqlite3.OperationalError as err:
        assert "locked" in str(err)
        return False
    finally:
        other.close()


def test_commit_so_far_lets_other_workers_write_while_the_submission_goes_on(db: str) -> None:
    with speedups.reuse_gradebooks(), speedups.one_transaction():
        with _opened("nbgrader.converters.autograde")(db) as gb:
            gb.update_or_create_submission("m1-x", "ana")  # what nbgrader's set-up writes first
        assert not _other_writer_can_write(db)  # held for the rest of the block, without the call below
        speedups.commit_so_far()
        assert _other_writer_can_write(db)
        with _opened("nbgrader.preprocessors.saveautogrades")(db) as gb:
            gb.find_grade("item-1", "posttest", "m1-x", "ana").auto_score = 1.5
    with Gradebook(db) as plain:  # both parts were committed
        assert plain.find_grade("item-1", "posttest", "m1-x", "ana").auto_score == 1.5


def test_commit_so_far_does_nothing_outside_one_transaction(db: str) -> None:
    speedups.commit_so_far()  # formgrader and stock nbgrader commit as they go: nothing to do, nothing raised
    assert _other_writer_can_write(db)


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
            lock_free_while_writing.append(_other_writer_can_write(db))
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
