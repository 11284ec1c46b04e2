"""Post-test attempts: every learner's attempts per module (form, score, date, counted or not), from the gradebook.

nbgrader has no attempts. Each form of a post-test is its own nbgrader assignment (form A is the module, form B
``<module>-retake``; course/modules/<id>.yml ``forms``), so the gradebook holds at most one graded submission per
form and learner: the newest collected one. The exchange keeps every submission in its ``inbound/`` folder, so when
the exchange is given, each submission found there is an attempt too, even one whose grade a later submission of
the same form replaced.

The policy (README, "Attempts and retakes"):

- the maximum number of attempts per post-test is ``provider.posttest_attempts`` in course/course.yml, a provider
  decision: while it is a placeholder no attempt is over the limit (and certificates are blocked anyway);
- ``attempts.counted`` in course/course.yml says which counted attempt decides the module: ``best`` (the best
  score) or ``latest`` (the last one);
- attempts are numbered by submission time; one over the limit is graded but not counted, with the reason;
- a learner who failed every counted attempt and may not take another (limit reached, or no unseen form left)
  gets the objectives missed on the deciding attempt and the sections to review (review.what_to_review).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path

from nbgrader.api import Gradebook, MissingEntry
from nbgrader.coursedir import CourseDirectory
from nbgrader.utils import parse_utc
from traitlets.config import Config

from .. import cells
from .. import course as course_model
from . import configuration, review
from .analysis import EPSILON

COUNTED = ("best", "latest")
NUMBER_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
                "ten": 10}
PLACEHOLDER = "before issuing certificates"
INBOUND = re.compile(r"^(?P<student>[^+]+)\+(?P<assignment>[^+]+)\+(?P<timestamp>[^+]+)(\+.*)?$")


class PolicyError(ValueError):
    """The attempt policy in course/course.yml cannot be read."""


@dataclass(frozen=True)
class Policy:
    max_attempts: int | None  # None: not set by the provider yet
    counted: str  # "best" or "latest"

    @property
    def note(self) -> str:
        return "" if self.max_attempts else ("the provider has not set the number of attempts per post-test "
                                             "(provider.posttest_attempts): no attempt is treated as over the limit")


def policy(course: course_model.Course) -> Policy:
    text = str(course.provider.get("posttest_attempts") or "").strip()
    limit = None
    if text and PLACEHOLDER not in text.lower():
        match = re.match(r"(\d+)\b", text) or re.match(rf"({'|'.join(NUMBER_WORDS)})\b", text.lower())
        if not match:
            raise PolicyError(f"course/course.yml: provider.posttest_attempts is {text!r}; it must start with the "
                              "number of attempts allowed per post-test (for example \"2\" or \"Two attempts\")")
        limit = int(match[1]) if match[1].isdigit() else NUMBER_WORDS[match[1]]
        if limit < 1:
            raise PolicyError("course/course.yml: provider.posttest_attempts must allow at least one attempt")
    counted = str((course.raw.get("attempts") or {}).get("counted", "best"))
    if counted not in COUNTED:
        raise PolicyError(f"course/course.yml: attempts.counted is {counted!r}; use one of {', '.join(COUNTED)}")
    return Policy(limit, counted)


@dataclass
class Attempt:
    module: str
    form: str  # "A", "B", ...
    assignment: str
    submitted: dt.datetime
    number: int = 0  # 1 = first attempt at this post-test, by submission time
    score: float | None = None  # None: no grade in the gradebook for this submission
    max_points: float = 0.0
    pending: bool = False  # a written answer still to be graded by hand
    passed: bool = False
    counted: bool = True
    reason: str = ""  # why it is not counted, or why it has no grade
    earned: dict[str, float] = field(default_factory=dict)  # item id -> points (for the review list)
    points: dict[str, float] = field(default_factory=dict)
    objectives: dict[str, str] = field(default_factory=dict)  # item id -> objective

    @property
    def percent(self) -> float | None:
        return None if self.score is None or not self.max_points else 100 * self.score / self.max_points


@dataclass
class ModuleAttempts:
    learner: str
    module: str
    attempts: list[Attempt]
    status: str  # passed, failed, retake available, pending, not attempted
    deciding: Attempt | None = None
    next_form: course_model.Form | None = None  # an unseen form the learner may take next
    review: list[review.Missed] = field(default_factory=list)  # for a learner who failed every attempt
    message: str = ""

    def summary(self) -> str:
        """One line for a report cell or lms.csv: each attempt, and which one counts."""
        shown = []
        for a in self.attempts:
            score = "not graded" if a.score is None else ("pending" if a.pending else f"{a.percent:.0f}%")
            shown.append(f"{a.number}. form {a.form} {a.submitted:%Y-%m-%d} {score}"
                         + ("" if a.counted else " (not counted: over the limit)"))
        return "; ".join(shown) + (f"; counts: attempt {self.deciding.number}" if self.deciding else "")


def columns(state: ModuleAttempts) -> dict[str, str]:
    """What the report's learner table and lms.csv show for one module: ``<module>_`` + each key."""
    deciding = state.deciding
    return {"attempts": str(len(state.attempts)),
            "attempt_counted": "" if deciding is None else f"{deciding.number} (form {deciding.form})",
            "attempt_status": state.status, "attempt_history": state.summary(), "attempt_notes": state.message,
            "review": "; ".join(f"{m.objective}: {', '.join(m.sections)}" for m in state.review)}


def inbound(exchange: Path, course_id: str) -> dict[tuple[str, str], list[dt.datetime]]:
    """(learner, assignment) -> submission times, from the exchange's inbound folder (nbgrader keeps every one)."""
    found: dict[tuple[str, str], list[dt.datetime]] = {}
    folder = exchange / course_id / "inbound"
    for entry in sorted(folder.iterdir()) if folder.is_dir() else []:
        match = INBOUND.match(entry.name)
        if not match:
            continue
        try:
            stamp = parse_utc(match["timestamp"])
        except (ValueError, OverflowError):
            continue  # collect reports these (instructor/collect.py)
        found.setdefault((match["student"], match["assignment"]), []).append(stamp.replace(tzinfo=None))
    return found


def _graded(gb: Gradebook, form: course_model.Form, learner: str, module: str) -> Attempt | None:
    try:
        sub = gb.find_submission_notebook(form.posttest, form.assignment, learner)
    except MissingEntry:
        return None
    sources = {c.name: c.source for c in sub.notebook.source_cells}
    attempt = Attempt(module, form.name, form.assignment, parse_utc(sub.assignment.timestamp).replace(tzinfo=None),
                      score=float(sub.score or 0.0), max_points=float(sub.max_score or 0.0),
                      # as results.load: a grade flagged for manual grading that has a manual score is final
                      # (nbgrader flags it again when it re-autogrades), so only a missing manual score is pending
                      pending=any(g.needs_manual_grade and g.manual_score is None for g in sub.grades))
    for grade in sub.grades:
        spec = cells.item_spec(sources.get(grade.cell.name, ""))
        if spec is None:
            continue
        attempt.points[spec["id"]] = float(grade.max_score or 0.0)
        attempt.earned[spec["id"]] = float(grade.score or 0.0)
        if spec.get("objective"):
            attempt.objectives[spec["id"]] = spec["objective"]
    return attempt


def module_attempts(gb: Gradebook, course: course_model.Course, rule: Policy, module: course_model.Module,
                    learner: str, submissions: dict[tuple[str, str], list[dt.datetime]] | None = None,
                    ) -> ModuleAttempts:
    attempts: list[Attempt] = []
    for form in module.forms:
        graded = _graded(gb, form, learner, module.id)
        times = sorted((submissions or {}).get((learner, form.assignment), []))
        if graded and graded.submitted not in times:
            times.append(graded.submitted)
        for stamp in sorted(times):
            if graded and stamp == graded.submitted:
                attempts.append(graded)
            elif graded and stamp < graded.submitted:
                attempts.append(Attempt(module.id, form.name, form.assignment, stamp, reason=(
                    f"not graded: a later submission of form {form.name} replaced it (nbgrader keeps one grade per "
                    "form)")))
            else:
                attempts.append(Attempt(module.id, form.name, form.assignment, stamp,
                                        reason="submitted; not collected or graded yet"))
    attempts.sort(key=lambda a: a.submitted)
    for number, attempt in enumerate(attempts, 1):
        attempt.number = number
        if rule.max_attempts and number > rule.max_attempts:
            attempt.counted = False
            attempt.reason = (f"over the limit: attempt {number}, and the course allows {rule.max_attempts} per "
                              f"post-test; graded but not counted")
        if attempt.score is not None and not attempt.pending and attempt.max_points:
            attempt.passed = attempt.score / attempt.max_points + EPSILON >= course.pass_mark
    return _decide(course, rule, module, learner, attempts)


def _decide(course: course_model.Course, rule: Policy, module: course_model.Module, learner: str,
            attempts: list[Attempt]) -> ModuleAttempts:
    seen = {a.assignment for a in attempts}
    unseen = next((f for f in module.forms if f.assignment not in seen), None)
    result = ModuleAttempts(learner, module.id, attempts, "not attempted")
    counted = [a for a in attempts if a.counted and a.score is not None]
    over = [a for a in attempts if not a.counted]
    if over:
        result.message = " ".join(f"Attempt {a.number} (form {a.form}) is {a.reason}." for a in over)
    if not counted:
        result.status = "not attempted" if not attempts else "pending"
        return result
    if rule.counted == "latest":
        result.deciding = counted[-1]
    else:  # the best score; of equal scores, the earliest
        result.deciding = max(counted, key=lambda a: (a.passed, a.score / a.max_points if a.max_points else 0.0,
                                                      -a.number))
    if result.deciding.pending:
        result.status = "pending"
    elif result.deciding.passed:
        result.status = "passed"
    else:
        left = rule.max_attempts is None or sum(a.counted for a in attempts) < rule.max_attempts
        if left and unseen is not None:
            result.status, result.next_form = "retake available", unseen
        else:
            result.status = "failed"
            why = "every attempt allowed was used" if not left else "every form of this post-test has been taken"
            result.message = (result.message + " " if result.message else "") + (
                f"Not passed: {why}. Review the objectives listed before contacting the provider.")
            result.review = review.what_to_review(course, module, result.deciding.earned, result.deciding.points,
                                                  result.deciding.objectives)
    return result


@dataclass
class Records:
    """Where a course's attempts are read from: its policy, nbgrader's configuration and course directory (the
    gradebook), and the submissions in the exchange's inbound folder."""

    rule: Policy
    config: Config
    coursedir: CourseDirectory
    submissions: dict[tuple[str, str], list[dt.datetime]]

    def gradebook(self) -> Gradebook:
        return Gradebook(self.coursedir.db_url, self.coursedir.course_id)


def records(root: Path, course: course_model.Course, config: Config | None = None,
            exchange: Path | None = None) -> Records:
    """The records of the course at root; exchange: where to count submissions (default: the configured exchange,
    when it is set; none without one). Raises PolicyError if the attempt policy cannot be read."""
    rule = policy(course)
    config = config or configuration.load(root)
    coursedir = configuration.coursedir(config)
    if exchange is None and config.Exchange.get("root"):
        exchange = Path(config.Exchange.root)
    return Records(rule, config, coursedir, inbound(exchange, coursedir.course_id) if exchange else {})


def load(root: Path, config: Config | None = None,
         exchange: Path | None = None) -> dict[str, dict[str, ModuleAttempts]]:
    """learner -> module -> attempts, for every learner in the gradebook. exchange: also count the submissions in
    its inbound folder (default: the configured exchange, when it exists)."""
    course = course_model.load(root)
    read = records(root, course, config, exchange)
    found: dict[str, dict[str, ModuleAttempts]] = {}
    with read.gradebook() as gb:
        for student in sorted(s.id for s in gb.students):
            found[student] = {m.id: module_attempts(gb, course, read.rule, m, student, read.submissions)
                              for m in course.modules}
    return found
