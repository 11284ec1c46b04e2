"""Learners' post-test results, read from nbgrader's gradebook (and their answer files, for distractors).

Only post-test notebooks count: a module's score is its post-test notebook's points (manual grades where
given, nbgrader's rule), so the outcomes data notebook's optional coding points never decide a pass. A grade
that needs manual grading and has no manual score yet is *awaiting* grading.

Attempts (``attempts``): a module's score, date and pass come from the deciding attempt, whose form may be a
retake (``<module>-retake``); an attempt over the limit never counts. A failed attempt with a retake still
available stays ``fail`` (not passed yet) and says so in ``attempts.status``. ``grades`` stay form A's, the form
the item analysis describes.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat
from nbgrader.api import (
    Assignment,
    Gradebook,
    GradeCell,
    MissingEntry,
    Notebook,
    Student,
    SubmittedAssignment,
    SubmittedNotebook,
)
from nbgrader.api import Grade as GradeRow
from nbgrader.coursedir import CourseDirectory
from traitlets.config import Config

from .. import cells
from .. import course as course_model
from ..answers import FILENAME, AnswerFileError
from ..answers import read as read_answers
from . import analysis, configuration, notes
from . import attempts as attempts_model


@dataclass(frozen=True)
class Item:
    """A graded cell of a post-test, with its item definition and key from the gradebook's source cell."""

    module: str
    grade_id: str
    max_points: float
    spec: dict[str, Any] | None = None
    key: Any = None

    @property
    def item_id(self) -> str:
        return self.spec["id"] if self.spec else self.grade_id

    @property
    def kind(self) -> str:
        return self.spec["kind"] if self.spec else "code"

    @property
    def objective(self) -> str | None:
        return self.spec.get("objective") if self.spec else None


@dataclass
class ModuleResult:
    module: str
    submitted: bool = False
    score: float = 0.0
    max_points: float = 0.0
    awaiting: int = 0  # written answers (or other grades) still to be graded by hand
    penalty: float = 0.0  # nbgrader's late-submission penalty
    timestamp: dt.datetime | None = None
    grades: dict[str, float | None] = field(default_factory=dict)  # grade id -> points, None while awaiting
    status: str = analysis.MISSING
    state: notes.State | None = None  # what happened to the newest collected submission (see notes)
    attempts: attempts_model.ModuleAttempts | None = None  # every attempt, and which one decides
    form: str = ""  # the deciding attempt's form ("A", "B", ...), "" when none

    @property
    def retake_available(self) -> bool:
        return self.attempts is not None and self.attempts.status == "retake available"

    @property
    def grade_from(self) -> str:
        """Which submission the shown grade came from, when that is not the newest one."""
        return notes.superseded(self.state, self.timestamp if self.submitted else None)

    @property
    def percent(self) -> float | None:
        return 100 * self.score / self.max_points if self.submitted and self.max_points else None


@dataclass
class Learner:
    id: str
    first_name: str | None
    last_name: str | None
    email: str | None
    modules: dict[str, ModuleResult]
    status: str = analysis.INCOMPLETE
    reasons: list[str] = field(default_factory=list)  # what a certificate still lacks, in words (completion.py)

    @property
    def name(self) -> str:
        full = " ".join(part.strip() for part in (self.first_name, self.last_name) if part and part.strip())
        return full or self.id

    @property
    def completion_date(self) -> dt.date | None:
        """When the last post-test was submitted, for a learner who passed every module."""
        if self.status != analysis.ELIGIBLE:
            return None
        stamps = [m.timestamp for m in self.modules.values() if m.timestamp]
        return max(stamps).date() if stamps else None


@dataclass
class Results:
    course: course_model.Course
    coursedir: CourseDirectory
    items: dict[str, list[Item]]
    learners: list[Learner]
    completion: dict[str, Any] = field(default_factory=dict)  # learner -> completion.Check

    def answers(self, learner: str, module: str) -> dict[str, Any] | None:
        """A learner's saved answers for a module as graded (autograded copy, else the submission); None if none."""
        for step in (self.coursedir.autograded_directory, self.coursedir.submitted_directory):
            path = Path(self.coursedir.format_path(step, learner, module)) / FILENAME
            if path.exists() or path.is_symlink():
                try:
                    data = read_answers(path)
                except AnswerFileError:
                    return None  # the grading notes say why (notes.py); a link to another learner's file counts nothing
                return None if data is None else {k: v["value"] for k, v in data["items"].items()}
        return None


def _order(course: course_model.Course, module: course_model.Module) -> list[str]:
    """Grade ids in the order of the post-test's source notebook (for tables that follow the test)."""
    path = course.source(module, module.posttest)
    if not path.exists():
        return []
    nb = nbformat.read(path, as_version=4)
    return [c.metadata.get("nbgrader", {}).get("grade_id") for c in nb.cells if c.metadata.get("nbgrader")]


def load(root: Path, config: Config | None = None, exchange: Path | None = None) -> Results:
    """Every learner in the gradebook with their post-test results, and every post-test item.

    exchange: where to find every submission (attempts.load; default the configured exchange)."""
    course = course_model.load(root)
    config = config or configuration.load(root)
    coursedir = CourseDirectory(config=config)
    items: dict[str, list[Item]] = {}
    with Gradebook(coursedir.db_url, coursedir.course_id) as gb:
        for module in course.modules:
            items[module.id] = _items(gb, course, module)
        rows = _grade_rows(gb, [(m.id, m.posttest) for m in course.modules])
        students = [(s.id, s.first_name, s.last_name, s.email) for s in gb.db.query(Student).order_by(Student.id)]
        expect = notes.expected(gb, course)
    learners = {sid: Learner(sid, first, last, email, {m.id: ModuleResult(m.id) for m in course.modules})
                for sid, first, last, email in students}
    modules = {m.id: m for m in course.modules}
    handed_in: dict[tuple[str, str], bool] = {}
    for row in rows:
        student, module, timestamp, penalty, grade_id, score, manual, needs = row
        if (student, module) not in handed_in:
            handed_in[student, module] = _handed_in(coursedir, student, modules[module])
        if not handed_in[student, module]:
            continue  # nbgrader zeroes a notebook missing from a submission; it was not submitted
        result = learners[student].modules[module]
        result.submitted = True
        result.timestamp = timestamp
        waiting = bool(needs) and manual is None
        points = None if waiting else float(score)
        result.grades[grade_id] = points
        result.awaiting += waiting
        result.score += points or 0.0
        result.penalty = float(penalty or 0.0)
    for learner in learners.values():
        for module in course.modules:
            result = learner.modules[module.id]
            result.max_points = sum(item.max_points for item in items[module.id])
            if result.submitted:
                result.score = max(0.0, round(result.score - result.penalty, 6))
            result.state = notes.inspect(coursedir, expect, module, learner.id)
            result.status = analysis.module_status(result.submitted, result.score, result.max_points,
                                                   result.awaiting, course.pass_mark,
                                                   needs_attention=bool(result.state and result.state.needs_attention))
    found = attempts_model.load(root, config, exchange)
    for learner in learners.values():
        for module in course.modules:
            _decide(learner.modules[module.id], found.get(learner.id, {}).get(module.id), module)
        learner.status = analysis.learner_status([learner.modules[m.id].status for m in course.modules])
    found = Results(course, coursedir, items, sorted(learners.values(), key=lambda x: x.id))
    from . import completion  # the evaluation and attestations a certificate also needs

    completion.apply(found)
    return found


STATUS = {"passed": analysis.PASS, "failed": analysis.FAIL, "retake available": analysis.FAIL,
          "pending": analysis.PENDING}


def _decide(result: ModuleResult, state: attempts_model.ModuleAttempts | None, module: course_model.Module) -> None:
    """Score, date and status from the deciding attempt (form A's result as read above is kept when A decides)."""
    result.attempts = state
    if state is None or not state.attempts or result.status == analysis.NEEDS_ATTENTION:
        return  # a newest form A submission that cannot be graded holds the module whatever else was taken
    deciding = state.deciding
    if deciding is None:  # nothing counted and graded: an attempt over the limit never passes a module
        if result.status == analysis.PASS:
            result.status = analysis.PENDING if state.status == "pending" and all(
                a.counted for a in state.attempts) else analysis.FAIL
        return
    result.form = deciding.form
    if deciding.assignment == module.id:
        if result.status == analysis.PASS and state.status != "passed":
            result.status = STATUS.get(state.status, analysis.FAIL)
        return
    result.submitted = True
    result.score, result.max_points = float(deciding.score or 0.0), deciding.max_points
    result.timestamp = deciding.submitted
    result.awaiting = int(deciding.pending)
    result.status = STATUS.get(state.status, analysis.FAIL)


def _handed_in(coursedir: CourseDirectory, student: str, module: course_model.Module) -> bool:
    """False when the learner's collected submission is here and lacks the post-test notebook."""
    folder = Path(coursedir.format_path(coursedir.submitted_directory, student, module.id))
    return not folder.is_dir() or (folder / f"{module.posttest}.ipynb").exists()


def _items(gb: Gradebook, course: course_model.Course, module: course_model.Module) -> list[Item]:
    try:
        notebook = gb.find_notebook(module.posttest, module.id)
    except MissingEntry:
        return []
    sources = {cell.name: cell.source for cell in notebook.source_cells}
    order = _order(course, module)
    found = []
    for cell in notebook.grade_cells:
        source = sources.get(cell.name, "")
        spec = cells.item_spec(source)
        key = cells.keys(source).get(spec["id"]) if spec else None
        found.append(Item(module.id, cell.name, float(cell.max_score), spec, key))
    return sorted(found, key=lambda i: (order.index(i.grade_id) if i.grade_id in order else len(order), i.grade_id))


def _grade_rows(gb: Gradebook, posttests: list[tuple[str, str]]) -> list[tuple[Any, ...]]:
    """One row per grade of every submitted post-test, in one query per post-test.

    The points are nbgrader's own ``Grade.score`` (manual score if given, else automatic, plus extra credit),
    computed by the gradebook as formgrader shows it, never re-derived here.
    """
    rows = []
    for module, notebook in posttests:
        query = (gb.db.query(Student.id, Assignment.name, SubmittedAssignment.timestamp,
                             SubmittedNotebook.late_submission_penalty, GradeCell.name, GradeRow.score,
                             GradeRow.manual_score, GradeRow.needs_manual_grade)
                 .select_from(GradeRow)
                 .join(GradeCell, GradeCell.id == GradeRow.cell_id)
                 .join(SubmittedNotebook, SubmittedNotebook.id == GradeRow.notebook_id)
                 .join(Notebook, Notebook.id == SubmittedNotebook.notebook_id)
                 .join(SubmittedAssignment, SubmittedAssignment.id == SubmittedNotebook.assignment_id)
                 .join(Assignment, Assignment.id == SubmittedAssignment.assignment_id)
                 .join(Student, Student.id == SubmittedAssignment.student_id)
                 .filter(Assignment.name == module, Notebook.name == notebook))
        rows.extend(tuple(row) for row in query)
    return rows


def dump(results: Results) -> str:
    """The results as JSON (for debugging and other tools)."""
    return json.dumps([{"id": lr.id, "status": lr.status, "modules": {
        m: {"status": r.status, "score": r.score, "max": r.max_points, "awaiting": r.awaiting}
        for m, r in lr.modules.items()}} for lr in results.learners], indent=2)
