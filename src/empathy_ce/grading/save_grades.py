"""nbgrader's SaveAutoGrades with one gradebook read and one commit per notebook instead of two of each per cell.

nbgrader's ``SaveAutoGrades`` commits after every grade and every comment: for a post-test about a dozen
commits, each a disk sync on SQLite (about 20 ms each here, most of what the step costs). ``OneCommitSaveAutoGrades``
(configured in its place by ``config.configure``, so ``nbgrader autograde``, formgrader's button and
``empathy-ce grade`` all use it) writes the same rows with the same values: within the step nbgrader's commits do
nothing, and the step ends by sending all the changes at once (one flush, one statement per kind of change) and
committing them. Durability is unchanged: the grades are on disk when the step ends, as before; a crash in the
middle of the step loses at most that notebook's grades, which nbgrader would also have left incomplete (the
submission fails and is graded again). If the step fails at a cell, what the earlier cells set is still
committed, as nbgrader's own per-cell commits would have kept it.

nbgrader also looks each cell's grade and comment up with a query of six joined tables. Here the submitted
notebook's grade and comment rows are read once, by cell name (names are unique within a notebook), and a cell
whose row is not among them is looked up as nbgrader does (so a missing row fails with nbgrader's own error).
"""

from __future__ import annotations

from typing import Any

from nbconvert.exporters.exporter import ResourcesDict
from nbformat.notebooknode import NotebookNode
from nbgrader.api import BaseCell, Comment, Grade, MissingEntry
from nbgrader.preprocessors import SaveAutoGrades
from nbgrader.preprocessors import saveautogrades as nbgrader_step
from traitlets import Bool


class _CommitAtTheEnd:
    """A session whose commit() leaves the changes for the step's own commit; everything else is the session's."""

    def __init__(self, session: Any) -> None:
        self._session = session

    def commit(self) -> None:
        pass  # a query before the end still sees the changes (the session flushes before it queries)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._session, name)


class _NotebookRows:
    """The gradebook, with find_grade and find_comment answered from one submitted notebook's rows."""

    def __init__(self, gradebook: Any, notebook: str, assignment: str, student: str) -> None:
        self._gradebook = gradebook
        self._rows: dict[type, dict[str, Any]] = {Grade: {}, Comment: {}}
        try:
            submitted = gradebook.find_submission_notebook(notebook, assignment, student)
        except MissingEntry:
            return  # nbgrader's own lookups then fail as they would have
        for table in self._rows:
            query = gradebook.db.query(BaseCell.name, table).join(table, table.cell_id == BaseCell.id)
            self._rows[table] = dict(query.filter(table.notebook_id == submitted.id).all())

    def find_grade(self, name: str, *where: str) -> Any:
        return self._rows[Grade].get(name) or self._gradebook.find_grade(name, *where)

    def find_comment(self, name: str, *where: str) -> Any:
        return self._rows[Comment].get(name) or self._gradebook.find_comment(name, *where)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._gradebook, name)


class OneCommitSaveAutoGrades(SaveAutoGrades):
    """nbgrader's SaveAutoGrades, committing once at the end of the notebook (see the module docstring)."""

    one_commit = Bool(True, help=(
        "Read a notebook's grade and comment rows once and commit them once, at the end of the step, instead of "
        "a lookup and a commit per cell (the same rows and values). False runs nbgrader's own SaveAutoGrades.")
    ).tag(config=True)

    def preprocess(self, nb: NotebookNode, resources: ResourcesDict) -> tuple[NotebookNode, ResourcesDict]:
        if not self.one_commit:
            return super().preprocess(nb, resources)
        self.notebook_id = resources["nbgrader"]["notebook"]
        self.assignment_id = resources["nbgrader"]["assignment"]
        self.student_id = resources["nbgrader"]["student"]
        self.db_url = resources["nbgrader"]["db_url"]
        # Looked up in nbgrader's module at call time: empathy-ce grade's workers share one engine through it.
        gradebook = nbgrader_step.Gradebook(self.db_url)
        with gradebook:
            session = gradebook.db
            gradebook.db = _CommitAtTheEnd(session)
            try:
                self.gradebook = _NotebookRows(gradebook, self.notebook_id, self.assignment_id, self.student_id)
                nb, resources = super(SaveAutoGrades, self).preprocess(nb, resources)
            except BaseException:
                try:
                    session.commit()  # keep what the earlier cells wrote, as nbgrader's per-cell commits did
                except Exception:
                    session.rollback()
                raise
            finally:
                gradebook.db = session
                self.gradebook = gradebook
            session.commit()
        return nb, resources
