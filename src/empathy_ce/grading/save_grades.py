"""nbgrader's SaveAutoGrades with one gradebook commit per notebook instead of one per cell.

nbgrader's ``SaveAutoGrades`` commits after every grade and every comment: for a post-test about a dozen
commits, each a disk sync on SQLite (about 20 ms each here, most of what the step costs). ``OneCommitSaveAutoGrades``
(configured in its place by ``config.configure``, so ``nbgrader autograde``, formgrader's button and
``empathy-ce grade`` all use it) writes the same rows with the same values: within the step each commit only sends
the changes to the database (flush), and the step ends with one commit. Durability is unchanged: the grades are on
disk when the step ends, as before; a crash in the middle of the step loses at most that notebook's grades, which
nbgrader would also have left incomplete (the submission fails and is graded again). If a cell's write fails, what
the earlier cells wrote is still committed, as nbgrader's own per-cell commits would have kept it.
"""

from __future__ import annotations

from typing import Any

from nbconvert.exporters.exporter import ResourcesDict
from nbformat.notebooknode import NotebookNode
from nbgrader.preprocessors import SaveAutoGrades
from nbgrader.preprocessors import saveautogrades as nbgrader_step
from traitlets import Bool


class _FlushOnCommit:
    """A session whose commit() is a flush; everything else is the session's own."""

    def __init__(self, session: Any) -> None:
        self._session = session

    def commit(self) -> None:
        self._session.flush()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._session, name)


class OneCommitSaveAutoGrades(SaveAutoGrades):
    """nbgrader's SaveAutoGrades, committing once at the end of the notebook (see the module docstring)."""

    one_commit = Bool(True, help=(
        "Commit a notebook's grades and comments once, at the end of the step, instead of once per cell "
        "(the same rows and values). False commits per cell, as nbgrader's own SaveAutoGrades does.")
    ).tag(config=True)

    def preprocess(self, nb: NotebookNode, resources: ResourcesDict) -> tuple[NotebookNode, ResourcesDict]:
        if not self.one_commit:
            return super().preprocess(nb, resources)
        self.notebook_id = resources["nbgrader"]["notebook"]
        self.assignment_id = resources["nbgrader"]["assignment"]
        self.student_id = resources["nbgrader"]["student"]
        self.db_url = resources["nbgrader"]["db_url"]
        # Looked up in nbgrader's module at call time: empathy-ce grade's workers share one engine through it.
        self.gradebook = nbgrader_step.Gradebook(self.db_url)
        with self.gradebook:
            session = self.gradebook.db
            self.gradebook.db = _FlushOnCommit(session)
            try:
                nb, resources = super(SaveAutoGrades, self).preprocess(nb, resources)
            except BaseException:
                try:
                    session.commit()  # keep what the earlier cells wrote, as nbgrader's per-cell commits did
                except Exception:
                    session.rollback()
                raise
            finally:
                self.gradebook.db = session
            session.commit()
        return nb, resources
