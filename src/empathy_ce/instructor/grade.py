"""Grading: nbgrader's own Autograde, in parallel, with a kernel only for notebooks that need one.

``CourseAutograde`` (``autograde.py``: bad submissions, interrupted runs) is nbgrader's ``Autograde``
converter (the class behind ``nbgrader autograde``) with the course's configuration (``grading/config.py``):
the same file copying, timestamps, sanitising preprocessors, kernel-free execution (``grading/execute.py``,
which ``nbgrader autograde`` and formgrader use too), ``FlagWrittenAnswers``, ``SaveAutoGrades``, late
penalties and output folders. What this module adds is the batch: each learner submission is one job in a
worker process, with nbgrader's per-run set-up done once per worker (its preprocessors too), two short gradebook
transactions per submission graded without a kernel (``speedups``) and the sanitised notebook handed to the
grading pass in memory (``CourseAutograde``); re-running skips what nbgrader would skip, ``--force`` regrades,
and manual grades stay (``SaveAutoGrades`` never writes them).

Given no assignments, ``empathy-ce grade`` grades the whole course (``every``): a folder of submitted/ that is
no assignment of the course, or one not yet released to the gradebook, is reported per learner.
"""

from __future__ import annotations

import contextlib
import dataclasses
import fnmatch
import glob
import logging
import multiprocessing.util
import os
import re
import shutil
import tempfile
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nbgrader.api import Gradebook, MissingEntry, Student
from nbgrader.converters import NbGraderException
from nbgrader.coursedir import CourseDirectory
from nbgrader.utils import temp_attrs
from sqlalchemy.exc import SAWarning
from traitlets.config import Config

from ..grading import engines, kernel_free
from ..grading.execute import KernelFreeExecute
from . import configuration, parallel, speedups
from .autograde import CourseAutograde, describe, in_progress_marker, notebook_problem

__all__ = ["CourseAutograde", "Outcome", "Summary", "Unit", "describe", "grade",
           "in_progress_marker", "notebook_problem"]


@dataclass(frozen=True)
class Unit:
    assignment: str
    student: str
    folder: str
    needs_kernel: bool = False
    notebooks: frozenset[str] | None = None  # the assignment's notebooks in the gradebook


@dataclass
class Outcome:
    assignment: str
    student: str
    status: str  # graded, skipped, failed, or rejected (no assignment of the course, or not yet released)
    without_kernel: int = 0
    with_kernel: int = 0
    failures: list[tuple[str, str]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0
    resumed: bool = False  # an earlier run was interrupted while grading this submission


@dataclass
class Summary:
    outcomes: list[Outcome]
    seconds: float

    def count(self, status: str) -> int:
        return sum(o.status == status for o in self.outcomes)

    @property
    def failures(self) -> list[Outcome]:
        """Submissions not graded as asked: failed, or rejected as no assignment of the course."""
        return [o for o in self.outcomes if o.status in ("failed", "rejected")]


class _ListHandler(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


@dataclass
class Worker:
    config: Config
    coursedir: CourseDirectory
    force: bool
    stack: contextlib.ExitStack
    preprocessors: dict[bool, list[Any]] = field(default_factory=dict)  # CourseAutograde.kept_preprocessors

    def __exit__(self, *exc: Any) -> None:
        self.stack.close()


def worker_setup(config: Config, force: bool, kernel_free: bool, kernel_slots: Any) -> Worker:
    # nbgrader's add_submission trips this SQLAlchemy 2 warning in `nbgrader autograde` too; it changes nothing.
    warnings.filterwarnings("ignore", message=r".*not in session, add operation along", category=SAWarning)
    stack = contextlib.ExitStack()
    stack.enter_context(engines.unshared())  # kept gradebooks instead (faster here: one connection kept)
    stack.enter_context(speedups.reuse_gradebooks())
    stack.enter_context(speedups.cached_schema_checks())
    KernelFreeExecute.kernel_slots = kernel_slots
    config = Config(config)
    if not kernel_free:
        config.KernelFreeExecute.kernel_free = False
    private_kernel_sockets(config)
    return Worker(config=config, coursedir=CourseDirectory(config=config), force=force, stack=stack)


def private_kernel_sockets(config: Config) -> None:
    """Kernels in this worker talk to nbgrader over Unix sockets in a folder of its own.

    With TCP, two graders starting kernels at the same moment can be handed the same free port, and the loser
    waits out nbclient's start-up timeouts (two minutes). Socket files named by path cannot collide.
    """
    if os.name != "posix" or "transport" in config.get("KernelManager", {}):
        return
    folder = tempfile.mkdtemp(prefix="empathy-ce-kernels-")
    # Worker processes end without atexit; multiprocessing's finaliser removes the folder.
    multiprocessing.util.Finalize(None, shutil.rmtree, args=(folder,), kwargs={"ignore_errors": True},
                                  exitpriority=10)
    config.KernelManager.transport = "ipc"
    config.KernelManager.ip = os.path.join(folder, "kernel")


def grade_unit(worker: Worker, unit: Unit) -> Outcome:
    """Autograde one learner's submission of one assignment; never raises."""
    started = time.perf_counter()
    KernelFreeExecute.counts = {"without kernel": 0, "with kernel": 0}
    outcome = Outcome(unit.assignment, unit.student, "graded")
    handler = _ListHandler()
    with temp_attrs(worker.coursedir, assignment_id=unit.assignment, student_id=unit.student, notebook_id="*"):
        converter = CourseAutograde(coursedir=worker.coursedir, config=worker.config)
        converter.force = worker.force
        converter.expected_notebooks = unit.notebooks
        converter.kept_preprocessors = worker.preprocessors
        converter.log.addHandler(handler)
        # Its commits made two (speedups), unless a kernel runs (nbgrader's own commits then).
        transaction = contextlib.nullcontext() if unit.needs_kernel else speedups.one_transaction()
        try:
            with transaction:
                converter.start()
            if converter.failures:  # refused before nbgrader started: the earlier grading is kept
                outcome.status, outcome.failures = "failed", converter.failures
            elif converter.skipped:
                outcome.status = "skipped"
        except NbGraderException as err:
            outcome.status = "failed"
            outcome.failures = converter.failures or [(unit.folder, _first_error(handler.lines) or describe(err))]
        except Exception as err:  # nbgrader lets a few errors (database, schema) out of its own loop
            outcome.status = "failed"
            outcome.failures = converter.failures or [(unit.folder, describe(err))]
        finally:
            converter.log.removeHandler(handler)
        if outcome.status == "failed" and converter.replacing:
            outcome.failures = [(path, f"{message}; as nbgrader does, the earlier autograded notebooks were removed "
                                       "(the gradebook keeps the grades it had)") for path, message in outcome.failures]
        outcome.resumed = converter.resumed
    outcome.without_kernel = KernelFreeExecute.counts["without kernel"]
    outcome.with_kernel = KernelFreeExecute.counts["with kernel"]
    outcome.warnings = handler.lines
    outcome.seconds = time.perf_counter() - started
    return outcome


def _first_error(lines: list[str]) -> str | None:
    useful = [line for line in lines if not line.startswith(("There was an error processing", "Please see"))]
    return useful[0].strip().splitlines()[-1] if useful else None


def _crashed(unit: Unit, message: str) -> Outcome:
    return Outcome(unit.assignment, unit.student, "failed", failures=[(unit.folder, message)])


def submissions(coursedir: CourseDirectory, assignments: list[str], students: list[str] | None = None) -> list[Unit]:
    """Every collected submission (nbgrader's submitted folder) of the given assignments, as nbgrader finds them."""
    units = []
    for assignment in assignments:
        pattern = re.compile(coursedir.format_path(coursedir.submitted_directory, "(?P<student>[^/]+)",
                                                   re.escape(assignment), escape=True) + "$")
        found = glob.glob(coursedir.format_path(coursedir.submitted_directory, "*", glob.escape(assignment)))
        for folder in sorted(found):
            match = pattern.match(folder)
            if match and os.path.isdir(folder) and (not students or match["student"] in students):
                units.append(Unit(assignment, match["student"], folder))
    return units


def strays(coursedir: CourseDirectory, assignments: list[str], students: list[str] | None = None) -> list[Outcome]:
    """Folders of submitted/ named for no assignment of the course, one rejected outcome per learner and folder."""
    pattern = re.compile(coursedir.format_path(coursedir.submitted_directory, "(?P<student>[^/]+)",
                                               "(?P<assignment>[^/]+)", escape=True) + "$")
    found = []
    for folder in sorted(glob.glob(coursedir.format_path(coursedir.submitted_directory, "*", "*"))):
        match = pattern.match(folder)
        if not match or not os.path.isdir(folder) or match["assignment"] in assignments:
            continue
        if any(fnmatch.fnmatch(match["assignment"], ignored) for ignored in coursedir.ignore):
            continue
        if not students or match["student"] in students:
            found.append(Outcome(match["assignment"], match["student"], "rejected", failures=[
                (folder, f"learner '{match['student']}' submitted '{match['assignment']}', which is not an "
                         "assignment of this course: not graded")]))
    return found


def kernel_notebooks(gb: Gradebook, assignment: str) -> set[str]:
    """Notebooks of an assignment whose instructor cells are not all setup and item cells."""
    found = set()
    for notebook in gb.find_assignment(assignment).notebooks:
        code = [cell.source for cell in notebook.source_cells if cell.cell_type == "code" and cell.source.strip()]
        if any(kernel_free.classify(source) is None for source in code):
            found.add(notebook.name)
    return found


def prepare(coursedir: CourseDirectory, units: list[Unit], assignments: list[str], *,
            every: bool = False) -> tuple[list[Unit], list[Outcome]]:
    """Check the assignments exist, add missing students in one transaction, and put kernel work first.

    An assignment missing from the gradebook stops everything (a SetupError), unless ``every`` (the whole course
    was asked for): then each submission of it is rejected on its own and the rest are graded.
    Creating the students (and nbgrader's "default_course" row, which its preprocessors' Gradebook(url) adds on
    first use) here, before any worker starts, keeps parallel workers from racing to insert the same row.
    """
    Gradebook(coursedir.db_url).close()
    with Gradebook(coursedir.db_url, coursedir.course_id) as gb:
        missing = []
        needing: dict[str, set[str]] = {}
        notebooks: dict[str, frozenset[str]] = {}
        for assignment in assignments:
            try:
                needing[assignment] = kernel_notebooks(gb, assignment)
                notebooks[assignment] = frozenset(n.name for n in gb.find_assignment(assignment).notebooks)
            except MissingEntry:
                missing.append(assignment)
        if missing and not every:
            raise configuration.SetupError(
                f"not in the gradebook: {', '.join(missing)}; release them first (empathy-ce release)")
        rejected = [Outcome(u.assignment, u.student, "rejected", failures=[
            (u.folder, f"learner '{u.student}' submitted '{u.assignment}', which is not in the gradebook yet: "
                       f"not graded; release it first (empathy-ce release {u.assignment})")])
            for u in units if u.assignment in missing]
        units = [u for u in units if u.assignment not in missing]
        known = {s.id for s in gb.db.query(Student.id)}
        new = sorted({u.student for u in units} - known)
        if new:
            gb.db.add_all([Student(id=student) for student in new])
            gb.db.commit()
    ordered = [Unit(u.assignment, u.student, u.folder,
                    any((Path(u.folder) / f"{name}.ipynb").exists() for name in needing[u.assignment]),
                    notebooks[u.assignment])
               for u in units]
    return sorted(ordered, key=lambda u: not u.needs_kernel), rejected  # stable: long jobs first, then in order


def grade(root: Path, assignments: list[str], students: list[str] | None = None, *, force: bool = False,
          workers: int | None = None, kernels: int | None = None, kernel_free: bool = True,
          progress: bool | None = None, config: Config | None = None, every: bool = False) -> Summary:
    """Autograde every collected submission of the assignments; a failure is recorded per learner.

    ``every``: the assignments are the whole course; folders of submitted/ for anything else, and submissions
    of assignments not yet in the gradebook, are rejected per learner instead of stopping the batch.
    """
    started = time.perf_counter()
    config = config or configuration.load(root)
    coursedir = CourseDirectory(config=config)
    units, rejected = prepare(coursedir, submissions(coursedir, assignments, students), assignments, every=every)
    if not kernel_free:  # every notebook runs in a kernel (and so outside one long gradebook transaction)
        units = [dataclasses.replace(u, needs_kernel=True) for u in units]
    if every:
        rejected += strays(coursedir, assignments, students)
    workers = workers or parallel.default_workers()
    kernels = kernels or min(workers, 2)
    slots = parallel._context().BoundedSemaphore(kernels) if workers > 1 else None
    outcomes = parallel.run(units, grade_unit, setup=worker_setup, setup_args=(config, force, kernel_free, slots),
                            crashed=_crashed, workers=workers, desc="Grading", progress=progress)
    return Summary(outcomes + rejected, time.perf_counter() - started)
