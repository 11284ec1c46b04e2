"""Feedback: nbgrader's HTML feedback for every graded submission, in parallel, and its release.

Each autograded submission is one job running nbgrader's ``GenerateFeedback`` converter (grades and comments
from the gradebook, manual grades included) in a worker; a learner whose feedback fails is reported and the
rest are still generated. Feedback that exists and is newer than the graded submission is kept unless
``--force``, as nbgrader does. With ``--exchange``, ``nbgrader release_feedback`` then puts it in the exchange.
"""

from __future__ import annotations

import contextlib
import glob
import os
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nbgrader.converters import GenerateFeedback
from nbgrader.coursedir import CourseDirectory
from nbgrader.utils import capture_log, temp_attrs
from traitlets.config import Config

from . import configuration, parallel, speedups
from .autograde import in_progress_marker
from .collect import last_error


@dataclass(frozen=True)
class Unit:
    assignment: str
    student: str
    folder: str


@dataclass
class Outcome:
    assignment: str
    student: str
    ok: bool
    skipped: bool = False
    message: str = ""
    seconds: float = 0.0


@dataclass
class Worker:
    config: Config
    coursedir: CourseDirectory
    force: bool
    stack: contextlib.ExitStack = field(default_factory=contextlib.ExitStack)

    def __exit__(self, *exc: Any) -> None:
        self.stack.close()


class CourseFeedback(GenerateFeedback):
    """nbgrader's GenerateFeedback, noting whether the submission was skipped as up to date."""

    skipped = False

    def init_destination(self, assignment_id: str, student_id: str) -> bool:
        go = super().init_destination(assignment_id, student_id)
        self.skipped = not go
        return go


def worker_setup(config: Config, force: bool) -> Worker:
    worker = Worker(config, CourseDirectory(config=config), force)
    worker.stack.enter_context(speedups.reuse_gradebooks())
    return worker


def feedback_unit(worker: Worker, unit: Unit) -> Outcome:
    started = time.perf_counter()
    if in_progress_marker(unit.folder).exists():  # a grading run died while grading it: half graded
        return Outcome(unit.assignment, unit.student, False, message=(
            f"{unit.folder}: its grading was interrupted and has not finished; run `empathy-ce grade` first"))
    with temp_attrs(worker.coursedir, assignment_id=unit.assignment, student_id=unit.student, notebook_id="*"):
        converter = CourseFeedback(coursedir=worker.coursedir, config=worker.config)
        converter.force = worker.force
        result = capture_log(converter)
    return Outcome(unit.assignment, unit.student, bool(result["success"]), converter.skipped,
                   "" if result["success"] else last_error(result), time.perf_counter() - started)


def _crashed(unit: Unit, message: str) -> Outcome:
    return Outcome(unit.assignment, unit.student, False, message=message)


def graded(coursedir: CourseDirectory, assignments: list[str], students: list[str] | None) -> list[Unit]:
    units = []
    for assignment in assignments:
        pattern = re.compile(coursedir.format_path(coursedir.autograded_directory, "(?P<student>[^/]+)",
                                                   re.escape(assignment), escape=True) + "$")
        for folder in sorted(glob.glob(coursedir.format_path(coursedir.autograded_directory, "*",
                                                             glob.escape(assignment)))):
            match = pattern.match(folder)
            if match and os.path.isdir(folder) and (not students or match["student"] in students):
                units.append(Unit(assignment, match["student"], folder))
    return units


def generate(root: Path, assignments: list[str], students: list[str] | None = None, *, force: bool = False,
             workers: int | None = None, progress: bool | None = None) -> list[Outcome]:
    config = configuration.load(root)
    units = graded(CourseDirectory(config=config), assignments, students)
    return parallel.run(units, feedback_unit, setup=worker_setup, setup_args=(config, force), crashed=_crashed,
                        workers=workers or parallel.default_workers(), desc="Feedback", progress=progress)


def release(root: Path, assignments: list[str]) -> list[tuple[str, bool, str]]:
    """nbgrader release_feedback for each assignment: (assignment, ok, message)."""
    from nbgrader.auth import Authenticator
    from nbgrader.exchange import ExchangeFactory

    config = configuration.load(root)
    coursedir = configuration.coursedir(config)
    done = []
    for assignment in assignments:
        with temp_attrs(coursedir, assignment_id=assignment, student_id="*"):
            app = ExchangeFactory(config=config).ReleaseFeedback(
                coursedir=coursedir, authenticator=Authenticator(config=config), config=config)
            result = capture_log(app)
        done.append((assignment, bool(result["success"]), "" if result["success"] else last_error(result)))
    return done
