"""Grading: nbgrader's own Autograde, in parallel, with a kernel only for notebooks that need one.

``CourseAutograde`` is nbgrader's ``Autograde`` converter (the class behind ``nbgrader autograde``) with the
course's configuration: the same file copying, timestamps, sanitising preprocessors, ``FlagWrittenAnswers``,
``SaveAutoGrades``, late penalties and output folders. One step changes: nbgrader's ``Execute`` becomes
``WidgetExecute``, which evaluates a notebook proven widget-only (see ``widget_only``) without a kernel and
hands every other notebook to nbgrader's ``Execute`` unchanged. Each learner submission is one job in a
worker process; re-running skips what nbgrader would skip, ``--force`` regrades, and manual grades stay
(``SaveAutoGrades`` never writes them).
"""

from __future__ import annotations

import contextlib
import glob
import logging
import multiprocessing.util
import os
import re
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from nbclient.util import run_sync
from nbconvert.exporters.exporter import ResourcesDict
from nbformat.notebooknode import NotebookNode
from nbgrader.api import Gradebook, MissingEntry, Student
from nbgrader.converters import Autograde, NbGraderException
from nbgrader.coursedir import CourseDirectory
from nbgrader.preprocessors import Execute
from nbgrader.utils import temp_attrs
from traitlets.config import Config

from . import configuration, parallel, speedups, widget_only


class WidgetExecute(Execute):
    """nbgrader's Execute, except that a notebook proven widget-only is evaluated without a kernel."""

    kernel_free = True  # set per worker
    kernel_slots: Any = None  # a semaphore limiting concurrent kernels across workers
    counts: ClassVar[dict[str, int]] = {"without kernel": 0, "with kernel": 0}

    def preprocess(self, nb: NotebookNode, resources: ResourcesDict, km: Any = None) -> tuple[NotebookNode, Any]:
        folder = Path(resources.get("metadata", {}).get("path") or ".")
        steps = widget_only.plan(nb, self.skip_cells_with_tag, folder) if self.kernel_free else None
        if steps is not None:
            try:
                widget_only.evaluate(nb, steps, folder)
            except Exception as err:  # something only a kernel can show (it raises there too): run one
                self.log.info("Kernel-free grading stopped (%s: %s); running a kernel", type(err).__name__, err)
            else:
                WidgetExecute.counts["without kernel"] += 1
                return nb, resources
        WidgetExecute.counts["with kernel"] += 1
        slots = self.kernel_slots or contextlib.nullcontext()
        with slots:
            return super().preprocess(nb, resources, km)

    async def async_start_new_kernel_client(self) -> Any:
        client = await super().async_start_new_kernel_client()
        speedups.poll_in_slices(client.shell_channel)  # see speedups: no two-minute stalls after widgets
        speedups.poll_in_slices(client.iopub_channel)
        return client

    # nbclient binds the synchronous name to its own coroutine; setup_kernel() calls this one.
    start_new_kernel_client = run_sync(async_start_new_kernel_client)


class CourseAutograde(Autograde):
    """nbgrader's Autograde with WidgetExecute in place of Execute, recording what happened to each notebook."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.autograde_preprocessors = [WidgetExecute if p is Execute else p for p in self.autograde_preprocessors]
        self.failures: list[tuple[str, str]] = []
        self.skipped = False

    def init_destination(self, assignment_id: str, student_id: str) -> bool:
        go = super().init_destination(assignment_id, student_id)
        self.skipped = not go
        return go

    def convert_single_notebook(self, notebook_filename: str) -> None:
        try:
            super().convert_single_notebook(notebook_filename)
        except Exception as err:
            self.failures.append((notebook_filename, describe(err)))
            raise


def describe(err: BaseException) -> str:
    text = f"{type(err).__name__}: {err}".strip()
    return text if len(text) <= 400 else text[:400] + "..."


@dataclass(frozen=True)
class Unit:
    assignment: str
    student: str
    folder: str
    needs_kernel: bool = False


@dataclass
class Outcome:
    assignment: str
    student: str
    status: str  # graded, skipped or failed
    without_kernel: int = 0
    with_kernel: int = 0
    failures: list[tuple[str, str]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0


@dataclass
class Summary:
    outcomes: list[Outcome]
    seconds: float

    def count(self, status: str) -> int:
        return sum(o.status == status for o in self.outcomes)

    @property
    def failures(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.status == "failed"]


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

    def __exit__(self, *exc: Any) -> None:
        self.stack.close()


def worker_setup(config: Config, force: bool, kernel_free: bool, kernel_slots: Any) -> Worker:
    stack = contextlib.ExitStack()
    stack.enter_context(speedups.reuse_gradebooks())
    stack.enter_context(speedups.cached_schema_checks())
    WidgetExecute.kernel_free = kernel_free
    WidgetExecute.kernel_slots = kernel_slots
    config = Config(config)
    config.merge(speedups.OPTIMISTIC)
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
    WidgetExecute.counts = {"without kernel": 0, "with kernel": 0}
    outcome = Outcome(unit.assignment, unit.student, "graded")
    handler = _ListHandler()
    with temp_attrs(worker.coursedir, assignment_id=unit.assignment, student_id=unit.student, notebook_id="*"):
        converter = CourseAutograde(coursedir=worker.coursedir, config=worker.config)
        converter.force = worker.force
        converter.log.addHandler(handler)
        try:
            converter.start()
            if converter.skipped:
                outcome.status = "skipped"
        except NbGraderException as err:
            outcome.status = "failed"
            outcome.failures = converter.failures or [(unit.folder, _first_error(handler.lines) or describe(err))]
        except Exception as err:  # nbgrader lets a few errors (database, schema) out of its own loop
            outcome.status = "failed"
            outcome.failures = converter.failures or [(unit.folder, describe(err))]
        finally:
            converter.log.removeHandler(handler)
    outcome.without_kernel = WidgetExecute.counts["without kernel"]
    outcome.with_kernel = WidgetExecute.counts["with kernel"]
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


def kernel_notebooks(gb: Gradebook, assignment: str) -> set[str]:
    """Notebooks of an assignment whose instructor cells are not all setup and item cells."""
    found = set()
    for notebook in gb.find_assignment(assignment).notebooks:
        code = [cell.source for cell in notebook.source_cells if cell.cell_type == "code" and cell.source.strip()]
        if any(widget_only.classify(source) is None for source in code):
            found.add(notebook.name)
    return found


def prepare(coursedir: CourseDirectory, units: list[Unit], assignments: list[str]) -> list[Unit]:
    """Check the assignments exist, add missing students in one transaction, and put kernel work first.

    Creating the students (and nbgrader's "default_course" row, which its preprocessors' Gradebook(url) adds on
    first use) here, before any worker starts, keeps parallel workers from racing to insert the same row.
    """
    Gradebook(coursedir.db_url).close()
    with Gradebook(coursedir.db_url, coursedir.course_id) as gb:
        missing = []
        needing: dict[str, set[str]] = {}
        for assignment in assignments:
            try:
                needing[assignment] = kernel_notebooks(gb, assignment)
            except MissingEntry:
                missing.append(assignment)
        if missing:
            raise configuration.SetupError(
                f"not in the gradebook: {', '.join(missing)}; release them first (empathy-ce release)")
        known = {s.id for s in gb.db.query(Student.id)}
        new = sorted({u.student for u in units} - known)
        if new:
            gb.db.add_all([Student(id=student) for student in new])
            gb.db.commit()
    ordered = [Unit(u.assignment, u.student, u.folder,
                    any((Path(u.folder) / f"{name}.ipynb").exists() for name in needing[u.assignment]))
               for u in units]
    return sorted(ordered, key=lambda u: not u.needs_kernel)  # stable: long jobs first, then the rest in order


def grade(root: Path, assignments: list[str], students: list[str] | None = None, *, force: bool = False,
          workers: int | None = None, kernels: int | None = None, kernel_free: bool = True,
          progress: bool | None = None, config: Config | None = None) -> Summary:
    """Autograde every collected submission of the assignments; a failure is recorded per learner."""
    started = time.perf_counter()
    config = config or configuration.load(root)
    coursedir = CourseDirectory(config=config)
    units = prepare(coursedir, submissions(coursedir, assignments, students), assignments)
    workers = workers or parallel.default_workers()
    kernels = kernels or min(workers, 2)
    slots = parallel._context().BoundedSemaphore(kernels) if workers > 1 else None
    outcomes = parallel.run(units, grade_unit, setup=worker_setup, setup_args=(config, force, kernel_free, slots),
                            crashed=_crashed, workers=workers, desc="Grading", progress=progress)
    return Summary(outcomes, time.perf_counter() - started)


def format_summary(summary: Summary, root: Path) -> list[str]:
    """Lines for the terminal: counts, speed, and one line per failed learner submission."""
    o = summary.outcomes
    lines = [f"{len(o)} submissions: {summary.count('graded')} graded, {summary.count('skipped')} already graded "
             f"(use --force to regrade), {summary.count('failed')} failed; "
             f"{sum(x.without_kernel for x in o)} notebooks graded without a kernel, "
             f"{sum(x.with_kernel for x in o)} with one; {summary.seconds:.1f} s"]
    for outcome in summary.failures:
        for path, message in outcome.failures:
            shown = Path(path)
            with contextlib.suppress(ValueError):
                shown = shown.relative_to(root)
            lines.append(f"FAILED learner '{outcome.student}', {outcome.assignment}: {shown}: {message}")
    return lines
