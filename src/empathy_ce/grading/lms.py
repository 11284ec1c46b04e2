"""The LMS export as an nbgrader export plug-in, after ``nbgrader/plugins/export.py``'s ``CsvExportPlugin``.

    nbgrader export --exporter empathy_ce.grading.lms.LmsExportPlugin [--to lms.csv] [--student ID ...]

writes the same ``lms.csv`` as ``empathy-ce report`` (one row per learner: email, module scores, pass, contact
hours, completion date), through the same writer (``instructor.lms.write``) from the same results
(``instructor.results.load``: nbgrader's scores, the course's pass rules and the grading notes).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from nbgrader.api import Gradebook
from nbgrader.coursedir import CourseDirectory
from nbgrader.plugins import ExportPlugin

DEFAULT = "lms.csv"


class LmsExportPlugin(ExportPlugin):
    """One row per learner for a learning-management system, as `empathy-ce report` writes lms.csv."""

    def export(self, gradebook: Gradebook) -> None:
        # The instructor side builds the results (the report's own code), so it is imported here, when used.
        from ..instructor import lms, results

        coursedir = getattr(self.parent, "coursedir", None) or CourseDirectory(config=self.config)
        root = Path(coursedir.root)
        found = results.load(root, self.config)
        if self.student:
            wanted = {str(s) for s in self.student}
            found = dataclasses.replace(found, learners=[x for x in found.learners if x.id in wanted])
        if self.assignment:
            self.log.warning("The LMS export has a column for every module; --assignment is ignored")
        dest = Path(self.to or DEFAULT)
        dest = dest if dest.is_absolute() else Path.cwd() / dest
        self.log.info("Exporting the LMS rows of %d learners to %s", len(found.learners), dest)
        lms.write(found, dest)
