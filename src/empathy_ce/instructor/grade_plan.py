"""What an `empathy-ce grade` run grades: the collected submissions of the assignments, checked and put in order.

``submissions`` finds them as nbgrader does (its submitted folder); ``strays`` reports folders for anything that
is no assignment of the course; ``prepare`` checks the assignments are in the gradebook, adds new learners in one
transaction before any worker starts, and puts the submissions that need a kernel first (the long jobs).
"""

from __future__ import annotations

import fnmatch
import glob
import os
import re
from pathlib import Path

from nbgrader.api import Gradebook, MissingEntry, Student
from nbgrader.coursedir import CourseDirectory

from ..grading import kernel_free
from . import configuration
from .outcomes import Outcome, Unit


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
