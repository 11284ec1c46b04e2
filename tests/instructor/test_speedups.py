"""empathy-ce grade's worker speed-ups (instructor/speedups.py) change how often nbgrader's work is done, not what.

A real SQLite gradebook made with nbgrader's own API; the Gradebook that nbgrader's preprocessors open by name is
the kept one inside ``reuse_gradebooks()``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from nbgrader.api import Gradebook, MissingEntry
from sqlalchemy import event
from support.gradebooks import opened, small_gradebook

from empathy_ce.instructor import speedups


@pytest.fixture
def db(tmp_path: Path) -> str:
    return small_gradebook(tmp_path)


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
        gb = opened()(db)
        seen = _selects(gb)
        for _ in range(3):
            with opened()(db) as again:  # a new preprocessor's Gradebook, as nbgrader opens one per notebook
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


def _two_notebook_assignment(url: str) -> None:
    """An assignment with every kind of cell nbgrader makes rows for: grade, solution and task cells."""
    with Gradebook(url) as gb:
        gb.add_assignment("m2-y")
        for notebook in ("posttest", "data"):
            gb.add_notebook(notebook, "m2-y")
        for name in ("q1", "q2", "q3"):
            gb.add_grade_cell(name, "posttest", "m2-y", max_score=1.0, cell_type="code")
        gb.add_grade_cell("written", "posttest", "m2-y", max_score=2.0, cell_type="markdown")
        gb.add_solution_cell("written", "posttest", "m2-y")
        gb.add_grade_cell("code-test", "data", "m2-y", max_score=1.0, cell_type="code")
        gb.add_solution_cell("code", "data", "m2-y")
        gb.add_task_cell("task", "data", "m2-y", max_score=1.0, cell_type="markdown")
        for student in ("ana", "ben"):
            gb.add_student(student)


def _rows(url: str, student: str) -> list[tuple]:
    """A submission's rows as nbgrader reads them, ids aside, in the order the database returns them."""
    with Gradebook(url) as gb:
        submission = gb.find_submission("m2-y", student)
        rows: list[tuple] = [("submission", submission.timestamp, submission.extension)]
        for notebook in submission.notebooks:
            rows.append(("notebook", notebook.name, notebook.flagged, notebook.late_submission_penalty))
            rows += [("grade", g.name, g.cell_type, g.auto_score, g.manual_score, g.extra_credit, g.needs_manual_grade,
                      g.max_score) for g in notebook.grades]
            rows += [("comment", c.name, c.auto_comment, c.manual_comment) for c in notebook.comments]
        return rows


def test_a_submissions_rows_are_nbgraders_with_the_cells_read_once(tmp_path: Path) -> None:
    ours, theirs = f"sqlite:///{tmp_path / 'ours.db'}", f"sqlite:///{tmp_path / 'theirs.db'}"
    for url in (ours, theirs):
        _two_notebook_assignment(url)
    with Gradebook(theirs) as gb:
        gb.add_submission("m2-y", "ana", timestamp="2026-05-04 09:30:00 UTC")
        gb.add_submission("m2-y", "ben")
    with speedups.reuse_gradebooks():
        gb = opened("nbgrader.converters.autograde")(ours)
        cells_read: list[str] = []
        event.listen(gb.engine, "before_cursor_execute", lambda conn, cursor, statement, *args: cells_read.append(
            statement) if statement.startswith("SELECT") and ("grade_cell" in statement or "solution_cell" in statement)
            else None)
        with gb:
            made = gb.update_or_create_submission("m2-y", "ana", timestamp="2026-05-04 09:30:00 UTC")
            assert (made.student.id, made.assignment.name) == ("ana", "m2-y")
        read_for_the_first = len(cells_read)
        with opened("nbgrader.preprocessors.saveautogrades")(ours) as again:  # a later step of the same worker
            again.update_or_create_submission("m2-y", "ben")
        assert read_for_the_first > 0 and len(cells_read) == read_for_the_first
    for student in ("ana", "ben"):
        expected = _rows(theirs, student)
        assert _rows(ours, student) == expected
        assert [r[0] for r in expected].count("grade") == 6 and [r[0] for r in expected].count("comment") == 3


def test_a_submission_is_refused_as_nbgrader_refuses_it(tmp_path: Path) -> None:
    from nbgrader.api import InvalidEntry

    url = f"sqlite:///{tmp_path / 'gradebook.db'}"
    _two_notebook_assignment(url)
    with speedups.reuse_gradebooks():
        gb = opened("nbgrader.converters.autograde")(url)
        with pytest.raises(MissingEntry):
            gb.add_submission("m2-y", "nobody")
        with pytest.raises(MissingEntry):
            gb.add_submission("m9-none", "ana")
        gb.add_submission("m2-y", "ana")
        with pytest.raises(InvalidEntry):  # a second submission of the same assignment by the same learner
            gb.add_submission("m2-y", "ana")
        gb.add_submission("m2-y", "ben")  # the session goes on after the rollback
    with Gradebook(url) as plain:
        assert {s.student.id for s in plain.find_assignment("m2-y").submissions} == {"ana", "ben"}


def test_a_release_notebook_is_read_once_with_its_cells_as_nbgrader_reads_them(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'gradebook.db'}"
    _two_notebook_assignment(url)
    with Gradebook(url) as gb:
        gb.update_or_create_notebook("data", "m2-y", kernelspec='{"name": "python3"}')
        gb.add_source_cell("code-test", "data", "m2-y", cell_type="code", locked=True, source="assert x", checksum="c")
        gb.add_submission("m2-y", "ana")

    def seen(notebook: Any) -> tuple:
        return (notebook.id, notebook.name, notebook.kernelspec, notebook.max_score,
                [(c.name, c.cell_type, c.locked, c.source, c.checksum) for c in notebook.source_cells],
                [(c.name, c.max_score, c.cell_type) for c in notebook.grade_cells],
                [c.name for c in notebook.solution_cells], [(c.name, c.max_score) for c in notebook.task_cells])

    with Gradebook(url) as plain:
        expected = seen(plain.find_notebook("data", "m2-y"))
    with speedups.reuse_gradebooks():
        gb = opened("nbgrader.preprocessors.overwritekernelspec")(url)
        selects: list[str] = []
        event.listen(gb.engine, "before_cursor_execute", lambda conn, cursor, statement, *args: selects.append(
            statement) if statement.startswith("SELECT") else None)
        with gb:
            assert seen(gb.find_notebook("data", "m2-y")) == expected
        read = len(selects)
        with opened("nbgrader.preprocessors.overwritecells")(url) as again:  # the next step, the next learner
            assert seen(again.find_notebook("data", "m2-y")) == expected
            assert len(selects) == read
            assert [s.student.id for s in again.find_notebook("data", "m2-y").submissions] == ["ana"]  # nbgrader's
            for _ in range(2):  # an unknown notebook is refused every time, as nbgrader refuses it
                with pytest.raises(MissingEntry):
                    again.find_notebook("nothing", "m2-y")
