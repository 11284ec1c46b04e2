"""The LMS export: one row per learner with email, module scores, pass and contact hours.

``pass`` is yes for a learner who passed every module's post-test (certificate eligible), pending while
written answers await manual grading, and no otherwise. Contact hours are the course's total for a learner
who passed, else 0: the course is credited as a whole, as on the certificate.
"""

from __future__ import annotations

from pathlib import Path

from . import analysis
from .results import Results
from .tables import write_csv

PASS_VALUES = {analysis.ELIGIBLE: "yes", analysis.PENDING: "pending"}


def rows(results: Results) -> tuple[list[str], list[list[str]]]:
    modules = [m.id for m in results.course.modules]
    header = ["learner_id", "email", *(f"{m}_score_percent" for m in modules), "pass", "contact_hours",
              "completion_date"]
    found = []
    for learner in results.learners:
        scores = []
        for m in modules:
            percent = learner.modules[m].percent
            scores.append("" if percent is None else f"{percent:.1f}")
        passed = PASS_VALUES.get(learner.status, "no")
        hours = results.course.contact_hours if learner.status == analysis.ELIGIBLE else 0
        date = learner.completion_date
        found.append([learner.id, learner.email or "", *scores, passed, f"{hours:g}", date.isoformat() if date else ""])
    return header, found


def write(results: Results, path: Path) -> Path:
    return write_csv(path, *rows(results))
