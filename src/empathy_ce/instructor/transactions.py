"""One gradebook transaction per submission in empathy-ce grade's workers, committed twice, instead of about 30.

nbgrader commits after each grade, comment and step, each a disk sync for SQLite. Inside ``one_transaction()``
the commits of the sessions that join it (``JoinedSession``: the kept gradebooks of ``speedups.py``) only send
the changes to the database (flush); ``commit_so_far()`` commits once nbgrader has set the submission up and once
its grades are saved, and the block ends with a last commit (after a failure too, keeping what nbgrader had
written, as its own commits would). Used for submissions graded without a kernel: the write lock is held only
while the gradebook is written, a few milliseconds, and other workers wait for it (``speedups.BUSY_SECONDS``).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, ClassVar

log = logging.getLogger(__name__)


class _Transaction:
    active = False
    sessions: ClassVar[dict[int, Any]] = {}
    rolled_back = False


class JoinedSession:
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
