"""What happened to each learner's newest submission of a module, in words an instructor can act on.

nbgrader grades what it can and says little: a post-test whose graded cells were deleted is restored and graded
(warnings only at -v), an answer file that is missing or holds another module's answers scores 0 like a blank
test, and a newer submission that cannot be graded leaves the earlier grade in the gradebook. Each submission
therefore gets a state, worked out from the collected files and the gradebook (so the grade step, the report and
its CSVs all agree, and re-running any of them gives the same answer):

- graded: nothing to say;
- graded with notes: graded, but the instructor should look (cells restored; answers for unknown items
  ignored; answer file missing, "missing answers", or unreadable; answers for another module);
- not graded, and why (an unreadable notebook, an interrupted or not yet run grading): the module *needs
  attention* and the learner's certificates are held until the instructor resolves it; the earlier grade, if
  any, stays in the gradebook and is shown as coming from the earlier submission, now *superseded*.
"""

from __future__ import annotations

import datetime as dt
import glob
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat
from nbgrader.api import (
    Assignment,
    BaseCell,
    Comment,
    Gradebook,
    MissingEntry,
    Notebook,
    SubmittedAssignment,
    SubmittedNotebook,
)
from nbgrader.coursedir import CourseDirectory

from .. import cells
from .. import course as course_model
from ..answers import FILENAME, AnswerFileError
from ..answers import read as read_answers
from .autograde import in_progress_marker
from .notebook_files import notebook_problem

GRADED, WITH_NOTES, NOT_GRADED, SUPERSEDED = "graded", "graded with notes", "not graded", "superseded"
MISSING_ANSWERS = "missing answers"


@dataclass(frozen=True)
class Expected:
    """What the gradebook says a module's submission holds: instructor cells per notebook, and item ids."""

    cells: dict[str, dict[str, set[str]]]  # module -> notebook -> grade ids of graded and locked cells
    items: dict[str, set[str]]  # module -> item ids of all its notebooks
    posttest_items: dict[str, int]  # module -> number of items in its post-test

    def owner(self, item_id: str) -> str | None:
        return next((m for m, ids in self.items.items() if item_id in ids), None)


def expected(gb: Gradebook, course: course_model.Course) -> Expected:
    found_cells: dict[str, dict[str, set[str]]] = {}
    items: dict[str, set[str]] = {}
    posttest: dict[str, int] = {}
    for module in course.modules:
        found_cells[module.id], items[module.id], posttest[module.id] = {}, set(), 0
        try:
            notebooks = gb.find_assignment(module.id).notebooks
        except MissingEntry:
            continue
        for notebook in notebooks:
            graded = {cell.name for cell in notebook.grade_cells}
            found_cells[module.id][notebook.name] = {c.name for c in notebook.source_cells
                                                     if c.name in graded or c.locked}
            for cell in notebook.source_cells:
                spec = cells.item_spec(cell.source)
                if spec is not None:
                    items[module.id].add(spec["id"])
                    posttest[module.id] += notebook.name == module.posttest
    return Expected(found_cells, items, posttest)


@dataclass
class State:
    learner: str
    module: str
    state: str
    notes: list[str] = field(default_factory=list)
    submitted_at: dt.datetime | None = None  # the newest collected submission's time (nbgrader's timestamp)

    @property
    def needs_attention(self) -> bool:
        return self.state == NOT_GRADED

    def line(self) -> str:
        return f"{self.state}: {'; '.join(self.notes)}" if self.notes else self.state


def _stamp(when: dt.datetime | None) -> str:
    return f"{when:%Y-%m-%d %H:%M:%S} UTC" if when else "an unknown time"


def inspect(coursedir: CourseDirectory, expect: Expected, module: course_model.Module, learner: str
            ) -> State | None:
    """The state of a learner's collected submission of a module; None when nothing was collected."""
    submitted = Path(coursedir.format_path(coursedir.submitted_directory, learner, module.id))
    if not submitted.is_dir():
        return None
    graded = Path(coursedir.format_path(coursedir.autograded_directory, learner, module.id))
    new = coursedir.get_existing_timestamp(str(submitted))
    old = coursedir.get_existing_timestamp(str(graded)) if graded.is_dir() else None
    state = State(learner, module.id, GRADED, submitted_at=new)
    notebooks = expect.cells.get(module.id, {})
    if not graded.is_dir() or in_progress_marker(graded).exists() or (new and old and new > old):
        state.state = NOT_GRADED
        problems = [f"{name}.ipynb: {problem}" for name in sorted(notebooks)
                    if (submitted / f"{name}.ipynb").exists()
                    and (problem := notebook_problem(submitted / f"{name}.ipynb"))]
        if problems:
            state.notes += problems
        elif in_progress_marker(graded).exists():
            state.notes.append("its grading was interrupted; run `empathy-ce grade` again")
        else:
            state.notes.append("no graded copy of this submission: grade it with `empathy-ce grade` (which says why "
                               "if grading fails)")
        return state
    state.notes += _restored(submitted, notebooks)
    if expect.items.get(module.id):
        state.notes += _answer_notes(submitted / FILENAME, expect, module)
    if state.notes:
        state.state = WITH_NOTES
    return state


def _restored(submitted: Path, notebooks: dict[str, set[str]]) -> list[str]:
    """Instructor cells the learner deleted (nbgrader's sanitising step put them back before grading)."""
    notes = []
    for name, wanted in sorted(notebooks.items()):
        path = submitted / f"{name}.ipynb"
        if not path.exists():
            continue
        try:
            present = _grade_ids(path)
        except Exception:  # graded anyway, so nbgrader could read it; nothing to compare here
            continue
        missing = sorted(wanted - present)
        if missing:
            notes.append(f"cells restored: {len(missing)} instructor cell{'s' if len(missing) > 1 else ''} "
                         f"deleted from {name}.ipynb ({', '.join(missing)}) were restored before grading")
    return notes


def _grade_ids(path: Path) -> set[Any]:
    """The nbgrader grade ids of a notebook's cells. A version 4 notebook is read as plain JSON: this runs for every
    submission after grading, and nbformat's validation and copying (the most of reading it) add nothing here."""
    content = json.loads(path.read_bytes())
    if isinstance(content, dict) and content.get("nbformat") == 4 and isinstance(content.get("cells"), list):
        ids = set()
        for cell in content["cells"]:
            meta = cell.get("metadata") if isinstance(cell, dict) else None
            nbgrader = meta.get("nbgrader") if isinstance(meta, dict) else None
            ids.add(nbgrader.get("grade_id") if isinstance(nbgrader, dict) else None)
        return ids
    return {c.metadata.get("nbgrader", {}).get("grade_id") for c in nbformat.read(path, as_version=4).cells}


def _answer_notes(path: Path, expect: Expected, module: course_model.Module) -> list[str]:
    try:
        data = read_answers(path)
        values = None if data is None else data["items"]
    except AnswerFileError as err:
        return [f"answer file unreadable ({err}); every item was scored as unanswered"]
    if values is None:
        if not expect.posttest_items.get(module.id):
            return []
        return [f"{MISSING_ANSWERS}: the submission has no {FILENAME}, so every post-test item was scored 0 "
                "(the learner's answers are not in the submission; this is not the same as answering nothing)"]
    own = expect.items.get(module.id, set())
    others: dict[str, int] = {}
    unknown = []
    for item_id in values:
        if item_id in own:
            continue
        owner = expect.owner(item_id)
        if owner:
            others[owner] = others.get(owner, 0) + 1
        else:
            unknown.append(item_id)
    notes = []
    for owner, count in sorted(others.items()):
        mine = sum(item_id in own for item_id in values)
        notes.append(f"answers for another module: {FILENAME} holds {count} answer{'s' if count > 1 else ''} to "
                     f"module {owner}'s items (ignored), and {mine} to this module's")
    if unknown:
        shown = ", ".join(sorted(unknown)[:5]) + (f" and {len(unknown) - 5} more" if len(unknown) > 5 else "")
        notes.append(f"answers for unknown items ignored: {shown}")
    return notes


def inspect_all(root: Path, pairs: Iterable[tuple[str, str]] | None = None) -> dict[tuple[str, str], State]:
    """(learner, module) -> state for the given pairs, or for every collected submission of the course."""
    from . import configuration

    course = course_model.load(root)
    coursedir = CourseDirectory(config=configuration.load(root))
    with Gradebook(coursedir.db_url, coursedir.course_id) as gb:
        expect = expected(gb, course)
    modules = {m.id: m for m in course.modules}
    if pairs is None:
        pairs = [(Path(folder).parent.name, module.id) for module in course.modules for folder in sorted(
            glob.glob(coursedir.format_path(coursedir.submitted_directory, "*", glob.escape(module.id))))]
    found = {}
    for learner, module in pairs:
        if module in modules:
            state = inspect(coursedir, expect, modules[module], learner)
            if state:
                found[learner, module] = state
    return found


def superseded(state: State | None, graded_at: dt.datetime | None) -> str:
    """Which submission a shown grade came from, when the newest one is not graded."""
    if state is None or not state.needs_attention:
        return ""
    if graded_at is None:
        return "no earlier submission was graded"
    return (f"the grade shown is from the submission of {_stamp(graded_at)}, {SUPERSEDED} by the submission of "
            f"{_stamp(state.submitted_at)}, which is not graded")


def summary_lines(states: dict[tuple[str, str], State]) -> tuple[list[str], str]:
    """One NOTE line per learner submission with a note, and the counts line."""
    lines = [f"NOTE learner '{s.learner}', {s.module}: {s.line()}"
             + ("; the module needs attention and the learner's certificates are held" if s.needs_attention else "")
             for s in sorted(states.values(), key=lambda s: (s.learner, s.module)) if s.notes]
    counts = {name: sum(s.state == name for s in states.values()) for name in (GRADED, WITH_NOTES, NOT_GRADED)}
    return lines, "submission states: " + ", ".join(f"{n} {name}" for name, n in counts.items())


NOTE_MARK = "[empathy-ce] "


def annotate_gradebook(root: Path, states: dict[tuple[str, str], State]) -> int:
    """Put each submission's notes where formgrader shows them: the comment of its first answer cell.

    nbgrader has no comment on a whole submission, only on solution (answer) cells, so a module whose notebooks
    have none (a post-test of choice items only) cannot carry the note in formgrader; the grade step's output
    and the report still do. The note replaces an earlier note and keeps nbgrader's own comment ("No
    response."); a submission without notes loses an earlier note. Returns the number of comments changed.
    """
    from . import configuration

    course = course_model.load(root)
    posttests = {m.id: m.posttest for m in course.modules}
    coursedir = CourseDirectory(config=configuration.load(root))
    changed = 0
    with Gradebook(coursedir.db_url, coursedir.course_id) as gb:
        # Every comment of these modules' submissions in one query (per submission, the ORM took about ten).
        first: dict[tuple[str, str], tuple[tuple[bool, str, str], Comment]] = {}
        rows = (gb.db.query(Comment, SubmittedAssignment.student_id, Assignment.name, Notebook.name, BaseCell.name)
                .join(SubmittedNotebook, Comment.notebook_id == SubmittedNotebook.id)
                .join(SubmittedAssignment, SubmittedNotebook.assignment_id == SubmittedAssignment.id)
                .join(Assignment, SubmittedAssignment.assignment_id == Assignment.id)
                .join(Notebook, SubmittedNotebook.notebook_id == Notebook.id)
                .join(BaseCell, Comment.cell_id == BaseCell.id)
                .filter(Assignment.name.in_({module for _, module in states})))
        for comment, learner, module, notebook, cell in rows:
            if (learner, module) in states:
                order = (notebook != posttests.get(module), notebook, cell)
                if (learner, module) not in first or order < first[learner, module][0]:
                    first[learner, module] = (order, comment)
        for key, (_, comment) in sorted(first.items()):
            state = states[key]
            base = (comment.auto_comment or "").split(NOTE_MARK)[0].rstrip()
            note = f"{NOTE_MARK}{state.line()}" if state.notes else ""
            text = "\n\n".join(part for part in (base, note) if part) or None
            if text != comment.auto_comment:
                comment.auto_comment = text
                changed += 1
        gb.db.commit()
    return changed
