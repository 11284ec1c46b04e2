"""The same nbgrader work with less overhead, for the instructor tools' worker processes.

Each helper changes how often nbgrader repeats a constant piece of set-up, never what it computes:

- nbgrader's converters and preprocessors open a new ``Gradebook`` (database engine, schema check, course
  lookup) about ten times per submission; ``reuse_gradebooks()`` lets those calls share one engine per
  database. Every ``close()`` still ends the session, so each step sees the database afresh as before.
- nbgrader commits about 30 times per submission (each grade, comment and step), each a disk sync for SQLite;
  ``one_transaction()`` makes a submission's commits two: within it they only send the changes to the database
  (flush), ``commit_so_far()`` commits once nbgrader has set the submission up and once its grades are saved,
  and the block ends with a last commit (after a failure too, keeping what nbgrader had written, as its own
  commits would). Used for submissions graded without a kernel: the write lock is held only while the gradebook
  is written, a few milliseconds, and other workers wait for it (SQLite's busy timeout is ``BUSY_SECONDS``).
- nbgrader's autograde looks each item cell's release copy up in the gradebook twice per submission (about 30
  queries a notebook, most of a worker's database time); ``KeptGradebook`` reads each release cell once per
  worker and hands out a copy of its columns (the release does not change while a batch is graded; a new
  ``empathy-ce grade`` run reads it afresh).
- nbgrader's cell-metadata check calls ``jsonschema.validate``, which re-checks the constant metadata schema
  against the JSON-schema meta-schema for every cell; ``cached_schema_checks()`` checks it once (from
  ``grading/schema_checks.py``, which the configured metadata check also uses in every nbgrader command).

The speed-ups that are safe for every nbgrader command are configured instead (``grading/config.py``):
validation once per notebook (nbconvert's ``optimistic_validation``), sliced kernel polling and kernel-free
execution (``grading/execute.py``), grades saved in one commit per notebook (``grading/save_grades.py``), the
metadata schema checked once (``grading/schema_checks.py``) and one engine per database (``grading/engines.py``;
this module's kept gradebooks replace it in empathy-ce grade's workers).
This module's first two helpers patch nbgrader's modules for the life of a worker process, which
suits a batch but not formgrader's long-running server (one engine shared across its requests).
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from types import SimpleNamespace
from typing import Any, ClassVar

from nbgrader.api import Gradebook, MissingEntry
from sqlalchemy import event, inspect

from ..grading.schema_checks import cached_schema_checks as cached_schema_checks  # used by grade.py

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


BUSY_SECONDS = 120  # how long a worker waits for another's SQLite write lock (the driver's default is 5 s)
log = logging.getLogger(__name__)


class _Transaction:
    active = False
    sessions: ClassVar[dict[int, Any]] = {}
    rolled_back = False


class _Session:
    """nbgrader's scoped session; inside one_transaction(), commit() is a flush and remove() waits for the end."""

    def __init__(self, scoped: Any) -> None:
        self._scoped = scoped

    def _joined(self) -> bool:
        if _Transaction.active:
            _Transaction.sessions[id(self._scoped)] = self._scoped
        return _Transaction.active

    def commit(self) -> None:
        return self._scoped.flush() if self._joined() else self._scoped.commit()

    def rollback(self) -> None:
        if _Transaction.active:  # nbgrader rolls back a failed insert; in one transaction that undoes more
            _Transaction.rolled_back = True
        self._scoped.rollback()

    def remove(self) -> None:
        if not self._joined():
            self._scoped.remove()

    def __getattr__(self, name: str) -> Any:
        self._joined()
        return getattr(self._scoped, name)


class KeptGradebook(Gradebook):
    """An nbgrader Gradebook whose close() ends the session but keeps the engine for the next user."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", _busy_timeout)
            self.engine.dispose()  # the connections made so far have the driver's timeout
        self.db = _Session(self.db)

    def close(self) -> None:
        self.db.remove()

    def find_source_cell(self, name: str, notebook: str, assignment: str) -> Any:
        return self._release_cell(super().find_source_cell, name, notebook, assignment)

    def find_graded_cell(self, name: str, notebook: str, assignment: str) -> Any:
        return self._release_cell(super().find_graded_cell, name, notebook, assignment)

    def _release_cell(self, find: Any, *key: str) -> Any:
        """A release cell's columns, read once (nbgrader's callers only read them), or its MissingEntry again."""
        cache = self.__dict__.setdefault("_release_cells", {})
        found = cache.get((find.__name__, *key))
        if found is None:
            try:
                cell = find(*key)
                found = SimpleNamespace(**{c.key: getattr(cell, c.key) for c in inspect(cell).mapper.column_attrs})
            except MissingEntry as missing:
                found = missing
            cache[(find.__name__, *key)] = found
        if isinstance(found, MissingEntry):
            raise MissingEntry(*found.args)
        return found

    def dispose(self) -> None:
        super().close()


def _busy_timeout(connection: Any, record: Any) -> None:
    connection.execute(f"PRAGMA busy_timeout = {BUSY_SECONDS * 1000}")


@contextmanager
def one_transaction() -> Iterator[None]:
    """The kept gradebooks' commits inside this block only flush; they are committed by commit_so_far() and at
    the block's end (see the module docstring)."""
    _Transaction.active, _Transaction.sessions, _Transaction.rolled_back = True, {}, False
    failed = False
    try:
        yield
    except BaseException:
        failed = True
        raise
    finally:
        _Transaction.active = False
        for scoped in _Transaction.sessions.values():
            try:
                scoped.commit()
            except Exception:
                scoped.rollback()
                if not failed:  # else the block's own error is the one to report
                    raise
            finally:
                scoped.remove()
        if _Transaction.rolled_back:
            log.warning("a gradebook write was refused and rolled back while grading this submission; "
                        "grade it again with --force")


def commit_so_far() -> None:
    """Inside one_transaction(), commit what the block has written so far and go on in a new transaction.

    Called twice per submission (``autograde.CourseAutograde``): once nbgrader has set it up (its rows are
    written first), and once its grades are saved, before the notebook is written. SQLite's write lock is then
    held only while the gradebook is written to, not for the whole grading: other workers need not wait it out
    (with one commit at the end, two workers graded no faster than one).
    """
    if not _Transaction.active:
        return
    for scoped in _Transaction.sessions.values():
        scoped.commit()


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
