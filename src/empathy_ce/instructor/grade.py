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
import logging
import multiprocessing.util
import os
import shutil
import tempfile
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nbgrader.api import Gradebook
from nbgrader.converters import NbGraderException
from nbgrader.coursedir import CourseDirectory
from nbgrader.utils import temp_attrs
from sqlalchemy.exc import SAWarning
from traitlets.config import Config

from ..grading import engines
from ..grading.execute import KernelFreeExecute
from . import configuration, parallel, speedups, transactions
from .autograde import CourseAutograde, in_progress_marker
from .grade_plan import prepare, strays, submissions
from .notebook_files import describe, notebook_problem
from .outcomes import Outcome, Unit

__all__ = ["CourseAutograde", "Outcome", "Summary", "Unit", "describe", "grade",
           "in_progress_marker", "notebook_problem"]


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
    notes: tuple[dict[str, Any], Any] | None = None  # (modules by id, notes.Expected) for grade(notes=True)

    def __exit__(self, *exc: Any) -> None:
        self.stack.close()


def worker_setup(config: Config, force: bool, kernel_free: bool, kernel_slots: Any,
                 notes_for: tuple[dict[str, Any], Any] | None = None) -> Worker:
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
    return Worker(config=config, coursedir=CourseDirectory(config=config), force=force, stack=stack, notes=notes_for)


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
        transaction = contextlib.nullcontext() if unit.needs_kernel else transactions.one_transaction()
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
    if worker.notes is not None:
        _inspect(worker.coursedir, worker.notes, unit, outcome)
    outcome.seconds = time.perf_counter() - started
    return outcome


def _inspect(coursedir: CourseDirectory, notes_for: tuple[dict[str, Any], Any], unit: Unit, outcome: Outcome) -> None:
    """The submission's notes (notes.inspect) as the graded files leave them, worked out in the worker."""
    from . import notes

    modules, expect = notes_for
    if unit.assignment not in modules:
        return
    try:
        outcome.state = notes.inspect(coursedir, expect, modules[unit.assignment], unit.student)
    except Exception:  # left to the caller's own look, which reports it
        return
    outcome.inspected = True


def _first_error(lines: list[str]) -> str | None:
    useful = [line for line in lines if not line.startswith(("There was an error processing", "Please see"))]
    return useful[0].strip().splitlines()[-1] if useful else None


def _crashed(unit: Unit, message: str) -> Outcome:
    return Outcome(unit.assignment, unit.student, "failed", failures=[(unit.folder, message)])


def grade(root: Path, assignments: list[str], students: list[str] | None = None, *, force: bool = False,
          workers: int | None = None, kernels: int | None = None, kernel_free: bool = True,
          progress: bool | None = None, config: Config | None = None, every: bool = False,
          notes: bool = False) -> Summary:
    """Autograde every collected submission of the assignments; a failure is recorded per learner.

    ``every``: the assignments are the whole course; folders of submitted/ for anything else, and submissions
    of assignments not yet in the gradebook, are rejected per learner instead of stopping the batch.
    ``notes``: each outcome also carries its submission's notes (``notes.inspect``), worked out by its worker.
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
    notes_for = _notes_setup(root, coursedir) if notes else None
    outcomes = parallel.run(units, grade_unit, setup=worker_setup,
                            setup_args=(config, force, kernel_free, slots, notes_for),
                            crashed=_crashed, workers=workers, desc="Grading", progress=progress)
    return Summary(outcomes + rejected, time.perf_counter() - started)


def _notes_setup(root: Path, coursedir: CourseDirectory) -> tuple[dict[str, Any], Any]:
    from .. import course as course_model
    from . import notes

    course = course_model.load(root)
    with Gradebook(coursedir.db_url, coursedir.course_id) as gb:
        return {m.id: m for m in course.modules}, notes.expected(gb, course)
