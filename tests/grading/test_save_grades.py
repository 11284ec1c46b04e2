"""OneCommitSaveAutoGrades: nbgrader's SaveAutoGrades with one gradebook commit per notebook, same rows.

Run on a real SQLite gradebook (nbgrader's own API) with three grade cells and a solution cell, against
nbgrader's SaveAutoGrades on an identical gradebook.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import nbformat
import pytest
from nbgrader.api import Gradebook
from nbgrader.preprocessors import SaveAutoGrades
from sqlalchemy import event
from sqlalchemy.engine import Engine
from traitlets.config import Config

from empathy_ce.grading import config as grading_config
from empathy_ce.grading.execute import KernelFreeCheckCellMetadata
from empathy_ce.grading.save_grades import OneCommitSaveAutoGrades

GRADES = ("right", "failed", "written")


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A gradebook with one learner's submission, made once (nbgrader runs alembic for a new database)."""
    path = tmp_path_factory.mktemp("template") / "gradebook.db"
    with Gradebook(f"sqlite:///{path}") as gb:
        gb.add_assignment("gold")
        gb.add_notebook("post", "gold")
        for name in GRADES:
            gb.add_grade_cell(name, "post", "gold", max_score=2, cell_type="markdown" if name == "written" else "code")
        gb.add_solution_cell("written", "post", "gold")
        gb.add_student("ann")
        gb.add_submission("gold", "ann")
    return path


def gradebook(template: Path, folder: Path) -> str:
    folder.mkdir(exist_ok=True)
    shutil.copy(template, folder / "gradebook.db")
    return f"sqlite:///{folder / 'gradebook.db'}"


def notebook() -> nbformat.NotebookNode:
    def meta(name: str, **kw: object) -> dict:
        return {"nbgrader": {"grade": True, "grade_id": name, "points": 2, "schema_version": 3, "locked": True,
                             "solution": False, **kw}}

    error = nbformat.v4.new_output("error", ename="AssertionError", evalue="", traceback=[])
    return nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("assert True", metadata=meta("right")),
        nbformat.v4.new_code_cell("assert False", metadata=meta("failed"), outputs=[error]),
        nbformat.v4.new_markdown_cell("My answer", metadata=meta("written", solution=True, locked=False))])


@contextmanager
def counted_commits() -> Iterator[list[int]]:
    commits: list[int] = []

    def count(connection: object) -> None:
        commits.append(1)

    event.listen(Engine, "commit", count)
    try:
        yield commits
    finally:
        event.remove(Engine, "commit", count)


def saved(url: str) -> list[tuple]:
    with Gradebook(url) as gb:
        notebook = gb.find_submission_notebook("post", "gold", "ann")
        return ([(g.name, g.auto_score, g.needs_manual_grade) for g in sorted(notebook.grades, key=lambda g: g.name)]
                + [(c.name, c.auto_comment) for c in notebook.comments])


def run(step: SaveAutoGrades, url: str) -> int:
    resources = {"nbgrader": {"notebook": "post", "assignment": "gold", "student": "ann", "db_url": url}}
    with counted_commits() as commits:
        step.preprocess(notebook(), resources)
    return len(commits)


def test_one_commit_per_notebook_and_the_same_grades_as_nbgrader(template: Path, tmp_path: Path):
    their_url, our_url = gradebook(template, tmp_path / "nbgrader"), gradebook(template, tmp_path / "ours")
    theirs, ours = run(SaveAutoGrades(), their_url), run(OneCommitSaveAutoGrades(), our_url)
    assert theirs - ours == len(GRADES)  # one commit per grade and comment (four) became one
    assert saved(our_url) == saved(their_url)
    assert [g[1:] for g in saved(our_url)[:3]] == [(0.0, False), (2.0, False), (None, True)]


def test_one_commit_false_commits_per_cell_as_nbgrader(template: Path, tmp_path: Path):
    step = OneCommitSaveAutoGrades(config=Config({"OneCommitSaveAutoGrades": {"one_commit": False}}))
    ours, theirs = run(step, gradebook(template, tmp_path / "a")), run(SaveAutoGrades(), gradebook(template, tmp_path))
    assert ours == theirs


def test_a_failing_cell_keeps_what_the_earlier_cells_wrote(template: Path, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch):
    url = gradebook(template, tmp_path)
    calls = []
    original = OneCommitSaveAutoGrades._add_comment

    def fail(self: OneCommitSaveAutoGrades, cell: object, resources: object) -> None:
        calls.append(1)
        raise RuntimeError("disk full")

    monkeypatch.setattr(OneCommitSaveAutoGrades, "_add_comment", fail)
    with pytest.raises(RuntimeError, match="disk full"):
        run(OneCommitSaveAutoGrades(), url)
    monkeypatch.setattr(OneCommitSaveAutoGrades, "_add_comment", original)
    assert calls and [g[1] for g in saved(url)[:3] if g[0] in ("failed", "right")] == [0.0, 2.0]


def test_configured_in_every_nbgrader_command(tmp_path: Path):
    c = Config()
    grading_config.configure(c, tmp_path)
    assert OneCommitSaveAutoGrades in c.Autograde.autograde_preprocessors
    assert SaveAutoGrades not in c.Autograde.autograde_preprocessors
    assert KernelFreeCheckCellMetadata in c.Autograde.sanitize_preprocessors  # schema checked once there too


@contextmanager
def counted_selects() -> Iterator[list[str]]:
    statements: list[str] = []

    def seen(conn: object, cursor: object, statement: str, *args: object) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append(statement)

    event.listen(Engine, "before_cursor_execute", seen)
    try:
        yield statements
    finally:
        event.remove(Engine, "before_cursor_execute", seen)


def test_the_notebooks_grade_rows_are_read_at_once_not_per_cell(template: Path, tmp_path: Path):
    resources = {"nbgrader": {"notebook": "post", "assignment": "gold", "student": "ann"}}
    counts = {}
    for name, step in (("nbgrader", SaveAutoGrades()), ("ours", OneCommitSaveAutoGrades())):
        url = gradebook(template, tmp_path / name)
        with counted_selects() as selects:
            step.preprocess(notebook(), {"nbgrader": {**resources["nbgrader"], "db_url": url}})
        # a query that loads grade or comment rows (as ORM objects)
        counts[name] = sum("grade.id AS grade_id" in s or "comment.id AS comment_id" in s for s in selects)
    assert counts["nbgrader"] >= 4  # a lookup per grade (three) and per comment (one)
    assert counts["ours"] == 2  # the notebook's grades, and its comments


def test_a_cell_without_a_grade_row_fails_as_in_nbgrader(template: Path, tmp_path: Path):
    from nbgrader.api import MissingEntry

    extra = notebook()
    extra.cells.append(nbformat.v4.new_code_cell("assert True", metadata={"nbgrader": {
        "grade": True, "grade_id": "not-released", "points": 1, "schema_version": 3, "locked": True,
        "solution": False}}))
    for name, step in (("nbgrader", SaveAutoGrades()), ("ours", OneCommitSaveAutoGrades())):
        url = gradebook(template, tmp_path / name)
        resources = {"nbgrader": {"notebook": "post", "assignment": "gold", "student": "ann", "db_url": url}}
        with pytest.raises(MissingEntry):
            step.preprocess(extra, resources)


def test_the_notebooks_changes_are_sent_at_once_not_per_cell(template: Path, tmp_path: Path):
    """One UPDATE statement per kind of change (SQLAlchemy sends rows alike together), not one per grade."""
    counts = {}
    for name, step in (("nbgrader", SaveAutoGrades()), ("ours", OneCommitSaveAutoGrades())):
        url = gradebook(template, tmp_path / name)
        updates: list[str] = []

        def seen(conn: object, cursor: object, statement: str, *args: object, updates: list[str] = updates) -> None:
            if statement.lstrip().upper().startswith("UPDATE"):
                updates.append(statement)

        event.listen(Engine, "before_cursor_execute", seen)
        try:
            step.preprocess(notebook(), {"nbgrader": {"notebook": "post", "assignment": "gold", "student": "ann",
                                                      "db_url": url}})
        finally:
            event.remove(Engine, "before_cursor_execute", seen)
        counts[name] = updates
    assert len(counts["nbgrader"]) >= 2, counts  # one per grade that changed
    assert len(counts["ours"]) == 1, counts
