"""The LMS export: one row per learner with email, module scores, pass, contact hours, completion and attempts.

``pass`` is yes for a learner who passed every module's post-test (certificate eligible), pending while
written answers await manual grading, and no otherwise. Contact hours are the course's total for a learner
who passed, else 0: the course is credited as a whole, as on the certificate.

``completion_status`` is one of (COMPLETION): ``completed`` (every module passed), ``pending grading``,
``held`` (a submission needs the instructor's attention), ``not passed yet`` (a failed post-test with a retake
still available), ``not passed`` (a post-test failed with no attempt or unseen form left), ``in progress``
(modules not handed in); any other learner status is written as it is. ``certificate_id`` is the learner's
valid certificate in the register (certificates/), empty when none. Each module adds the attempts columns
(``attempts.columns``): attempts, which counted, status, history, notes and sections to review.
"""

from __future__ import annotations

from pathlib import Path

from . import analysis, attempts
from .certificates import issued_ids
from .results import Learner, Results
from .tables import write_csv

PASS_VALUES = {analysis.ELIGIBLE: "yes", analysis.PENDING: "pending"}
COMPLETION = {analysis.ELIGIBLE: "completed", analysis.PENDING: "pending grading", analysis.NEEDS_ATTENTION: "held",
              analysis.NOT_ELIGIBLE: "not passed", analysis.INCOMPLETE: "in progress"}
NOT_PASSED_YET = "not passed yet"
ATTEMPT_KEYS = tuple(attempts.columns(attempts.ModuleAttempts("", "", [], "not attempted")))


def completion_status(learner: Learner) -> str:
    status = COMPLETION.get(learner.status, learner.status)
    if learner.status == analysis.NOT_ELIGIBLE and all(
            m.status != analysis.FAIL or m.retake_available for m in learner.modules.values()):
        return NOT_PASSED_YET  # every failed module may still be retaken
    return status


def rows(results: Results) -> tuple[list[str], list[list[str]]]:
    modules = [m.id for m in results.course.modules]
    header = ["learner_id", "email", *(f"{m}_score_percent" for m in modules), "pass", "contact_hours",
              "completion_date", "completion_status", "certificate_id",
              *(f"{m}_{key}" for m in modules for key in ATTEMPT_KEYS)]
    certificates = issued_ids(results.course.root / "certificates")
    found = []
    for learner in results.learners:
        scores = []
        for m in modules:
            percent = learner.modules[m].percent
            scores.append("" if percent is None else f"{percent:.1f}")
        passed = PASS_VALUES.get(learner.status, "no")
        hours = results.course.contact_hours if learner.status == analysis.ELIGIBLE else 0
        date = learner.completion_date
        tried = []
        for m in modules:
            state = learner.modules[m].attempts
            values = attempts.columns(state) if state else {}
            tried += [values.get(key, "") for key in ATTEMPT_KEYS]
        found.append([learner.id, learner.email or "", *scores, passed, f"{hours:g}", date.isoformat() if date else "",
                      completion_status(learner), certificates.get(learner.id, ""), *tried])
    return header, found


def write(results: Results, path: Path) -> Path:
    return write_csv(path, *rows(results))
