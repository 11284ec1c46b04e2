"""The same nbgrader work with less overhead, for the instructor tools' worker processes.

Each helper changes how often nbgrader repeats a constant piece of set-up, never what it computes:

- nbgrader's converters and preprocessors open a new ``Gradebook`` (database engine, schema check, course
  lookup) about ten times per submission; ``reuse_gradebooks()`` lets those calls share one engine per
  database. Every ``close()`` still ends the session, so each step sees the database afresh as before.
- nbgrader commits about 30 times per submission; the kept gradebooks' sessions join ``transactions.py``'s
  one transaction per submission (two commits).
- nbgrader's autograde looks each item cell's release copy up in the gradebook twice per submission (about 30
  queries a notebook, most of a worker's database time), and each release notebook up four times (its kernel,
  its cells, twice); ``KeptGradebook`` reads each release cell and notebook once per worker and hands out a copy
  of its columns, a notebook's with its cells' (the release does not change while a batch is graded; a new
  ``empathy-ce grade`` run reads it afresh).
- nbgrader's ``add_submission`` builds a submission's rows (one per submitted notebook, grade and comment) as
  ORM objects from the assignment's cells, which it reads anew for each submission (every commit makes the
  session forget them): about a sixth of a worker's time. ``KeptGradebook.add_submission`` reads the
  assignment's cells once per worker and inserts the same rows with one statement per table.
- nbgrader's cell-metadata check calls ``jsonschema.validate``, which re-checks the constant metadata schema
  against the JSON-schema meta-schema for every cell; ``cached_schema_checks()`` checks it once (from
  ``grading/schema_checks.py``, which the configured metadata check also uses in every nbgrader command).

The speed-ups that are safe for every nbgrader command are configured instead (``grading/config.py``):
validation once per notebook (nbconvert's ``optimistic_validation``), sliced kernel polling and kernel-free
execution (``grading/execute.py``), grades saved in one commit per notebook (``grading/save_grades.py``), the
metadata schema checked once (``grading/schema_checks.py``) and one engine per database (``grading/engines.py``;
this module's kept gradebooks replace it in empathy-ce grade's workers).
``reuse_gradebooks()`` patches nbgrader's modules for the life of a worker process, which suits a batch but
not formgrader's long-running server (one engine shared across its requests).
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from types import SimpleNamespace
from typing import Any

from nbgrader import utils
from nbgrader.api import (
    Comment,
    Grade,
    Gradebook,
    InvalidEntry,
    MissingEntry,
    SubmittedAssignment,
    SubmittedNotebook,
    new_uuid,
)
from sqlalchemy import event, insert, inspect
from sqlalchemy.exc import IntegrityError, StatementError
from sqlalchemy.orm.exc import FlushError

from ..grading.schema_checks import cached_schema_checks as cached_schema_checks  # used by grade.py
from .transactions import JoinedSession

# Modules on nbgrader's autograde and feedback paths that open a Gradebook by name.
GRADEBOOK_USERS = (
    "nbgrader.converters.autograde",
    "nbgrader.preprocessors.overwritecells",
    "nbgrader.preprocessors.overwritekernelspec",
    "nbgrader.preprocessors.saveautogrades",
    "nbgrader.preprocessors.latesubmissions",
    "nbgrader.preprocessors.getgrades",
    "empathy_ce.grading.preprocessors",
)


log = logging.getLogger(__name__)
BUSY_SECONDS = 120  # how long a worker waits for another's SQLite write lock (the driver's default is 5 s)
# What add_submission's keyword arguments may set (nbgrader's own method takes anything else).
SUBMISSION_COLUMNS = frozenset(c.key for c in SubmittedAssignment.__table__.columns) - {"id", "assignment_id",
                                                                                        "student_id"}


class KeptGradebook(Gradebook):
    """An nbgrader Gradebook whose close() ends the session but keeps the engine for the next user."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", _busy_timeout)
            self.engine.dispose()  # the connections made so far have the driver's timeout
        self.db = JoinedSession(self.db)

    def close(self) -> None:
        self.db.remove()

    def find_source_cell(self, name: str, notebook: str, assignment: str) -> Any:
        return self._release(super().find_source_cell, (name, notebook, assignment), _row)

    def find_graded_cell(self, name: str, notebook: str, assignment: str) -> Any:
        return self._release(super().find_graded_cell, (name, notebook, assignment), _row)

    def find_notebook(self, name: str, assignment: str) -> Any:
        """A release notebook's columns and its cells'; anything else is asked of nbgrader's own object."""
        return self._release(super().find_notebook, (name, assignment),
                             lambda notebook: _ReleaseNotebook(self, notebook, assignment))

    def _release(self, find: Any, key: tuple[str, ...], copy: Any) -> Any:
        """copy(find(*key)), made once (nbgrader's callers only read release rows), or find's MissingEntry again."""
        cache = self.__dict__.setdefault("_release_rows", {})
        found = cache.get((find.__name__, *key))
        if found is None:
            try:
                found = copy(find(*key))
            except MissingEntry as missing:
                found = missing
            cache[(find.__name__, *key)] = found
        if isinstance(found, MissingEntry):
            raise MissingEntry(*found.args)
        return found

    def add_submission(self, assignment: str, student: str, **kwargs: Any) -> Any:
        """nbgrader's add_submission: the same rows, the assignment's cells read once (see the module docstring).

        As nbgrader's: an unknown assignment or learner raises MissingEntry, a refused write InvalidEntry after a
        rollback; ``kwargs`` are the submission's own columns (anything else goes to nbgrader's method).
        """
        if not set(kwargs) <= SUBMISSION_COLUMNS:
            return super().add_submission(assignment, student, **kwargs)
        if "timestamp" in kwargs:
            kwargs["timestamp"] = utils.parse_utc(kwargs["timestamp"])
        assignment_id, notebooks = self._layout(assignment)
        student_id = self.find_student(student).id
        submission_id = new_uuid()
        rows: dict[Any, list[dict[str, Any]]] = {SubmittedNotebook: [], Grade: [], Comment: []}
        for notebook_id, graded, commented in notebooks:  # in nbgrader's order of rows
            submitted_id = new_uuid()
            rows[SubmittedNotebook].append({"id": submitted_id, "notebook_id": notebook_id,
                                            "assignment_id": submission_id})
            rows[Grade] += [{"id": new_uuid(), "cell_id": cell, "notebook_id": submitted_id} for cell in graded]
            rows[Comment] += [{"id": new_uuid(), "cell_id": cell, "notebook_id": submitted_id} for cell in commented]
        try:
            self.db.execute(insert(SubmittedAssignment.__table__), [{
                "id": submission_id, "assignment_id": assignment_id, "student_id": student_id, **kwargs}])
            for table, values in rows.items():
                if values:
                    self.db.execute(insert(table.__table__), values)
            self.db.commit()
        except (IntegrityError, FlushError, StatementError) as err:
            log.exception("Rolling back session due to database error %s", err)
            self.db.rollback()
            raise InvalidEntry(*err.args) from err
        return self.db.get(SubmittedAssignment, submission_id)

    def _layout(self, assignment: str) -> tuple[str, list[tuple[str, list[str], list[str]]]]:
        """The assignment's id and, per notebook, its graded cells' and commented cells' ids, in nbgrader's order."""
        return self._release(super().find_assignment, (assignment,), lambda found: (found.id, [
            (notebook.id,
             [cell.id for cell in notebook.grade_cells] + [cell.id for cell in notebook.task_cells],
             [cell.id for cell in notebook.solution_cells] + [cell.id for cell in notebook.task_cells])
            for notebook in found.notebooks]))

    def dispose(self) -> None:
        super().close()


def _columns(row: Any) -> dict[str, Any]:
    return {c.key: getattr(row, c.key) for c in inspect(row).mapper.column_attrs}


def _row(row: Any) -> SimpleNamespace:
    return SimpleNamespace(**_columns(row))


class _ReleaseNotebook(SimpleNamespace):
    """A release notebook as read once: its columns, and its cells' columns in the gradebook's order."""

    CELLS = ("source_cells", "grade_cells", "solution_cells", "task_cells")

    def __init__(self, gradebook: KeptGradebook, notebook: Any, assignment: str) -> None:
        super().__init__(**_columns(notebook), **{
            kind: [_row(cell) for cell in getattr(notebook, kind)] for kind in self.CELLS})
        self._key = (gradebook, notebook.name, assignment)

    def __getattr__(self, name: str) -> Any:  # anything else (submissions, say): nbgrader's object, read now
        if name.startswith("_"):
            raise AttributeError(name)
        gradebook, notebook, assignment = self._key
        return getattr(Gradebook.find_notebook(gradebook, notebook, assignment), name)


def _busy_timeout(connection: Any, record: Any) -> None:
    connection.execute(f"PRAGMA busy_timeout = {BUSY_SECONDS * 1000}")


@contextmanager
def _patched(names: tuple[str, ...], attribute: str, value: Any) -> Iterator[None]:
    modules = [importlib.import_module(name) for name in names]
    saved = [getattr(module, attribute) for module in modules]
    for module in modules:
        setattr(module, attribute, value)
    try:
        yield
    finally:
        for module, original in zip(modules, saved, strict=True):
            setattr(module, attribute, original)


@contextmanager
def reuse_gradebooks() -> Iterator[None]:
    """Within this block, nbgrader's own Gradebook(...) calls share one engine per database and course."""
    kept: dict[tuple[str, str], KeptGradebook] = {}

    def shared(db_url: str, course_id: str = "default_course", authenticator: Any = None) -> Gradebook:
        key = (db_url, course_id)
        if key not in kept:
            kept[key] = KeptGradebook(db_url, course_id, authenticator)
            # One session per database, whatever the course (nbgrader's steps name it differently): within
            # one_transaction() every step must see the others' uncommitted writes.
            first = next(g for (url, _), g in kept.items() if url == db_url)
            if first is not kept[key]:
                kept[key].dispose()
                kept[key].engine, kept[key].db = first.engine, first.db
        gradebook = kept[key]
        gradebook.authenticator = authenticator
        return gradebook

    try:
        with _patched(GRADEBOOK_USERS, "Gradebook", shared):
            yield
    finally:
        for gradebook in {id(g.engine): g for g in kept.values()}.values():
            with suppress(Exception):  # at interpreter exit the pool may already be gone
                gradebook.dispose()
