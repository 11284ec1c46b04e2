"""Grading: nbgrader's own Autograde, in parallel, with a kernel only for notebooks that need one.

``CourseAutograde`` is nbgrader's ``Autograde`` converter (the class behind ``nbgrader autograde``) with the
course's configuration (``grading/config.py``): the same file copying, timestamps, sanitising preprocessors,
kernel-free execution (``grading/execute.py``, which ``nbgrader autograde`` and formgrader use too),
``FlagWrittenAnswers``, ``SaveAutoGrades``, late penalties and output folders. What this module adds is the
batch: each learner submission is one job in a worker process, with nbgrader's per-run set-up done once per
worker (``speedups``); re-running skips what nbgrader would skip, ``--force`` regrades, and manual grades stay
(``SaveAutoGrades`` never writes them).

Bad submissions and interrupted runs:

- A notebook nbformat cannot read (not JSON, empty, not a notebook, an unknown nbformat version) fails that
  learner's submission with the reason in plain words (``notebook_problem``); the rest are graded.
- A newer submission replacing an earlier grading is first checked: readable, and through nbgrader's
  sanitising pass in memory (which only reads the gradebook). If it fails, the earlier grading stays as it
  was (autograded notebooks, grades, submission time): nbgrader would delete the autograded notebooks before
  finding out. A failure later on (in the grading pass) removes them as nbgrader does, and the report says so.
- A grading run killed midway leaves ``autograded/<learner>/<assignment>/`` holding ``timestamp.txt`` and
  nbgrader's sanitised (not yet graded) notebook, or a half-written one, which nbgrader's own re-run skips as
  done. Each submission is therefore marked in progress (``in_progress_marker``) from the moment nbgrader may
  write its destination until it has finished with it; a destination with that mark, or without a readable
  autograded notebook for every submitted notebook of the assignment, is graded again. The gradebook is
  updated in place, so nothing is counted twice.
- Given no assignments, ``empathy-ce grade`` grades the whole course (``every``): a folder of submitted/ that
  is no assignment of the course, or one not yet released to the gradebook, is reported per learner.
"""

from __future__ import annotations

import contextlib
import fnmatch
import glob
import json
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

import nbformat
from nbgrader.api import Gradebook, MissingEntry, Student
from nbgrader.converters import Autograde, NbGraderException
from nbgrader.coursedir import CourseDirectory
from nbgrader.utils import rmtree, temp_attrs
from sqlalchemy.exc import SAWarning
from traitlets.config import Config

from ..grading import kernel_free
from ..grading.execute import KernelFreeExecute
from . import configuration, parallel, speedups

WidgetExecute = KernelFreeExecute  # its earlier name


class CourseAutograde(Autograde):
    """nbgrader's Autograde as configured, recording what happened to each notebook.

    It also resumes interrupted work and keeps an earlier grading when a newer submission cannot be graded
    (see the module docstring).
    """

    expected_notebooks: frozenset[str] | None = None  # the assignment's notebooks in the gradebook, if known

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.failures: list[tuple[str, str]] = []
        self.skipped = False
        self.resumed = False  # an interrupted earlier grading was found and is graded again
        self.replacing = False  # an earlier grading is being replaced (newer submission or --force)
        self._markers: list[Path] = []

    def init_destination(self, assignment_id: str, student_id: str) -> bool:
        excluded = student_id in (self.coursedir.student_id_exclude or "").split(",")
        dest = Path(os.path.normpath(self._format_dest(assignment_id, student_id)))
        marker = in_progress_marker(dest)
        # A marker without its folder: the run was killed after marking, before nbgrader made the folder.
        if (dest.exists() or marker.exists()) and not excluded:
            newer = dest.exists() and self.newer(dest, assignment_id, student_id)
            if marker.exists() or not (newer or self.complete(dest, assignment_id)):
                self.log.warning("grading of learner %s's %s was interrupted; grading it again",
                                 student_id, assignment_id)
                self.resumed = True
                if dest.exists():
                    rmtree(str(dest))
            else:
                # A newer submission replaces the earlier grading: first make sure nbgrader can grade it, since it
                # removes the earlier autograded notebooks before it finds out. (The same submission regraded with
                # --force was graded before, so it can be.)
                graded = self.graded_names(assignment_id) if newer else frozenset()
                broken = [(path, problem) for path in self.notebooks if Path(path).stem in graded
                          and (problem := notebook_problem(path) or self.sanitising_problem(path))]
                if broken:
                    when = self.coursedir.get_existing_timestamp(str(dest))
                    kept = (f"not graded; the earlier submission{f' of {when:%Y-%m-%d %H:%M:%S} UTC' if when else ''}"
                            " stays graded, its grades and autograded notebooks kept")
                    self.failures.extend((path, f"{problem}; {kept}") for path, problem in broken)
                    self.log.error("%s's %s cannot be graded; the earlier grading is kept", student_id, assignment_id)
                    return False
                self.replacing = newer or self.force
        go = super().init_destination(assignment_id, student_id)
        self.skipped = not go
        if go:
            marker.parent.mkdir(parents=True, exist_ok=True)
            marker.touch()
            self._markers.append(marker)
        return go

    def graded_names(self, assignment_id: str) -> frozenset[str]:
        """The assignment's notebooks in the gradebook: nbgrader skips any other notebook a learner submits."""
        if self.expected_notebooks is None:
            with contextlib.suppress(MissingEntry), Gradebook(self.coursedir.db_url, self.coursedir.course_id) as gb:
                return frozenset(notebook.name for notebook in gb.find_assignment(assignment_id).notebooks)
            return frozenset()
        return self.expected_notebooks

    def complete(self, dest: Path, assignment_id: str) -> bool:
        """Every submitted notebook of the assignment has an autograded notebook that parses as one."""
        names = {Path(path).stem for path in self.notebooks} & self.graded_names(assignment_id)
        return all(_parses_as_notebook(dest / f"{name}.ipynb") for name in names)

    def sanitising_problem(self, notebook_filename: str) -> str | None:
        """Why nbgrader's sanitising pass fails on this notebook, tried in memory (it only reads the gradebook)."""
        logger = self.log if isinstance(self.log, logging.Logger) else getattr(self.log, "logger", None)
        disabled = logger.disabled if logger else False
        try:
            if logger:
                logger.disabled = True  # its warnings come again in the real pass
            self._sanitizing = True
            self._init_preprocessors()
            self.exporter.from_filename(notebook_filename, resources=self.init_single_notebook_resources(
                notebook_filename))
        except Exception as err:
            return describe(err)
        finally:
            if logger:
                logger.disabled = disabled
        return None

    def newer(self, dest: Path, assignment_id: str, student_id: str) -> bool:
        """Whether the submission is newer than the one graded in dest (nbgrader then grades it anew)."""
        new = self.coursedir.get_existing_timestamp(self._format_source(assignment_id, student_id))
        old = self.coursedir.get_existing_timestamp(str(dest))
        return new is not None and old is not None and new > old

    def convert_notebooks(self) -> None:
        try:
            super().convert_notebooks()
        finally:  # finished: graded, or failed and removed by nbgrader; only a killed run leaves a mark
            for marker in self._markers:
                with contextlib.suppress(OSError):
                    marker.unlink()
            self._markers.clear()

    def convert_single_notebook(self, notebook_filename: str) -> None:
        before = os.environ.get("NBGRADER_EXECUTION")
        try:
            super().convert_single_notebook(notebook_filename)
        except Exception as err:
            self.failures.append((notebook_filename, notebook_problem(notebook_filename) or describe(err)))
            raise
        finally:
            # nbgrader sets NBGRADER_EXECUTION=autograde with utils.setenv, which does not restore it when the
            # notebook raises: every later kernel of this process would then behave as at autograde.
            if before is None:
                os.environ.pop("NBGRADER_EXECUTION", None)
            else:
                os.environ["NBGRADER_EXECUTION"] = before


def in_progress_marker(dest: str | Path) -> Path:
    """The hidden file beside an autograded folder that says its grading has started and not yet finished."""
    dest = Path(dest)
    return dest.parent / f".{dest.name}.grading"


def _parses_as_notebook(path: Path) -> bool:
    try:
        content = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return False
    return isinstance(content, dict) and isinstance(content.get("cells"), list) and "nbformat" in content


JSON_KINDS = {list: "a JSON list", str: "a JSON string", int: "a number", float: "a number", bool: "true or false",
              type(None): "null"}


def notebook_problem(path: str | Path) -> str | None:
    """Why nbformat (and so nbgrader) cannot read this file as a notebook, in plain words; None if it can."""
    try:
        data = Path(path).read_bytes()
    except OSError as err:
        return f"cannot be read ({err.strerror or err})"
    try:
        text = data.decode("utf-8")
        nbformat.reads(text, as_version=4)
        return None
    except UnicodeDecodeError as err:
        return (f"not a Jupyter notebook: not UTF-8 text (byte 0x{data[err.start]:02x} at position {err.start}); "
                "it may be another kind of file renamed to .ipynb")
    except Exception as err:  # nbformat raises many kinds of error for files that are no notebook
        failure = err
    if not text.strip():
        blank = "is empty" if not data else "holds only white space"
        return f"NotJSONError: the file {blank}, so not a notebook"
    try:
        content = json.loads(text)
    except json.JSONDecodeError as err:
        return f"NotJSONError: not valid JSON (line {err.lineno}, column {err.colno}: {err.msg})"
    if not isinstance(content, dict):
        return f"not a Jupyter notebook: the file holds {JSON_KINDS.get(type(content), 'JSON')}, not a notebook"
    version = content.get("nbformat")
    readable = f"nbformat {nbformat.__version__} reads versions 1 to {nbformat.current_nbformat}"
    if version is None:
        return "not a Jupyter notebook: JSON without the 'nbformat' version that every notebook has"
    if not isinstance(version, int) or isinstance(version, bool) or version not in nbformat.versions:
        return f"a notebook of nbformat version {version!r}, which nbgrader cannot read ({readable})"
    cells = content.get("cells") if version >= 4 else content.get("worksheets")
    key = "cells" if version >= 4 else "worksheets"
    if cells is None:
        return f"not a Jupyter notebook: an nbformat {version} notebook must have '{key}', and this one has none"
    if not isinstance(cells, list):
        return (f"not a Jupyter notebook: its '{key}' is {JSON_KINDS.get(type(cells), 'a JSON object')}, "
                f"not a list")
    message = str(failure).strip().splitlines()[0] if str(failure).strip() else ""
    return f"not a Jupyter notebook nbformat can read ({type(failure).__name__}: {message})"


def describe(err: BaseException) -> str:
    text = f"{type(err).__name__}: {err}".strip()
    return text if len(text) <= 400 else text[:400] + "..."


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

    def __exit__(self, *exc: Any) -> None:
        self.stack.close()


def worker_setup(config: Config, force: bool, kernel_free: bool, kernel_slots: Any) -> Worker:
    # nbgrader's add_submission trips this SQLAlchemy 2 warning in `nbgrader autograde` too; it changes nothing.
    warnings.filterwarnings("ignore", message=r".*not in session, add operation along", category=SAWarning)
    stack = contextlib.ExitStack()
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
        converter.log.addHandler(handler)
        # One gradebook transaction per submission, unless a kernel runs (its lock would hold other workers up).
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
    if every:
        rejected += strays(coursedir, assignments, students)
    workers = workers or parallel.default_workers()
    kernels = kernels or min(workers, 2)
    slots = parallel._context().BoundedSemaphore(kernels) if workers > 1 else None
    outcomes = parallel.run(units, grade_unit, setup=worker_setup, setup_args=(config, force, kernel_free, slots),
                            crashed=_crashed, workers=workers, desc="Grading", progress=progress)
    return Summary(outcomes + rejected, time.perf_counter() - started)


def format_summary(summary: Summary, root: Path) -> list[str]:
    """Lines for the terminal: counts, speed, and one line per failed, rejected or resumed learner submission."""
    o = summary.outcomes
    rejected = summary.count("rejected")
    lines = [f"{len(o)} submissions: {summary.count('graded')} graded, {summary.count('skipped')} already graded "
             f"(use --force to regrade), {summary.count('failed')} failed"
             f"{f', {rejected} rejected' if rejected else ''}; "
             f"{sum(x.without_kernel for x in o)} notebooks graded without a kernel, "
             f"{sum(x.with_kernel for x in o)} with one; {summary.seconds:.1f} s"]
    for outcome in summary.outcomes:
        if outcome.resumed:
            lines.append(f"learner '{outcome.student}', {outcome.assignment}: an earlier grading run was interrupted "
                         f"while grading this submission; graded again ({outcome.status})")
    for outcome in summary.failures:
        for path, message in outcome.failures:
            shown = Path(path)
            with contextlib.suppress(ValueError):
                shown = shown.relative_to(root)
            if outcome.status == "rejected":
                lines.append(f"FAILED {message} ({shown})")
            else:
                lines.append(f"FAILED learner '{outcome.student}', {outcome.assignment}: {shown}: {message}")
    return lines
