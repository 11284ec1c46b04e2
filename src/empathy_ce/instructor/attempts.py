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
                      pending=bool(sub.needs_manual_grade))
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


def load(root: Path, config: Config | None = None,
         exchange: Path | None = None) -> dict[str, dict[str, ModuleAttempts]]:
    """learner -> module -> attempts, for every learner in the gradebook. exchange: also count the submissions in
    its inbound folder (default: the configured exchange, when it exists)."""
    course = course_model.load(root)
    rule = policy(course)
    config = config or configuration.load(root)
    coursedir = configuration.coursedir(config)
    if exchange is None and config.Exchange.get("root"):
        exchange = Path(config.Exchange.root)
    submissions = inbound(exchange, coursedir.course_id) if exchange else {}
    found: dict[str, dict[str, ModuleAttempts]] = {}
    with Gradebook(coursedir.db_url, coursedir.course_id) as gb:
        for student in sorted(s.id for s in gb.students):
            found[student] = {m.id: module_attempts(gb, course, rule, m, student, submissions) for m in course.modules}
    return found


def retakes_in_use(root: Path, config: Config | None = None) -> list[str]:
    """Retake assignments released to or submitted by any learner (so that collect, grade and feedback without
    module names include them, and never report a collected retake as an unknown assignment)."""
    import glob

    from ..grading.retake_exchange import PERSONAL

    course = course_model.load(root)
    config = config or configuration.load(root)
    coursedir = configuration.coursedir(config)
    exchange = Path(config.Exchange.root) if config.Exchange.get("root") else None
    found = []
    for assignment in course.retake_assignments():
        places = [coursedir.format_path(step, "*", glob.escape(assignment))
                  for step in (coursedir.submitted_directory, coursedir.autograded_directory)]
        if exchange:
            places.append(str(exchange / glob.escape(coursedir.course_id) / PERSONAL / "*" / glob.escape(assignment)))
        if any(glob.glob(place) for place in places):
            found.append(assignment)
    return found


@dataclass
class RetakeResult:
    learner: str
    ok: bool
    message: str


def release_retake(root: Path, module_id: str, learners: list[str], config: Config | None = None,
                   exchange: Path | None = None) -> list[RetakeResult]:
    """Release the next unseen form of a module's post-test to each named learner who may retake it (failed every
    counted attempt so far, attempts left under the policy), through the exchange plug-in (personal copies only).
    A learner who may not retake is refused with the reason; nothing is released to anyone else."""
    from nbgrader.auth import Authenticator
    from nbgrader.utils import capture_log, temp_attrs

    from ..grading.retake_exchange import PersonalReleaseAssignment
    from .collect import last_error
    from .release import generate

    course = course_model.load(root)
    module = next((m for m in course.modules if m.id == module_id), None)
    if module is None:
        raise PolicyError(f"unknown module {module_id!r} (modules: {', '.join(m.id for m in course.modules)})")
    rule = policy(course)
    config = config or configuration.load(root)
    coursedir = configuration.coursedir(config)
    if exchange is None and config.Exchange.get("root"):
        exchange = Path(config.Exchange.root)
    submissions = inbound(exchange, coursedir.course_id) if exchange else {}
    results: list[RetakeResult] = []
    by_form: dict[str, list[str]] = {}
    with Gradebook(coursedir.db_url, coursedir.course_id) as gb:
        known = {s.id for s in gb.students}
        for learner in learners:
            if learner not in known:
                results.append(RetakeResult(learner, False, f"learner '{learner}' is not in the gradebook: no retake"))
                continue
            state = module_attempts(gb, course, rule, module, learner, submissions)
            if state.status != "retake available" or state.next_form is None:
                why = {"passed": "passed already", "pending": "the last attempt is not fully graded yet",
                       "not attempted": "has not taken form A yet (it is released to everyone)",
                       "failed": "has no attempt or unseen form left"}.get(state.status, state.status)
                results.append(RetakeResult(learner, False, f"learner '{learner}', {module.id}: no retake released: "
                                                            f"{why}"))
                continue
            by_form.setdefault(state.next_form.assignment, []).append(learner)
    for assignment, names in by_form.items():
        step = generate(config, assignment)
        if not step.ok:
            results += [RetakeResult(n, False, f"{assignment} could not be generated: {step.message}") for n in names]
            continue
        if config.Exchange.get("root"):
            Path(config.Exchange.root).mkdir(parents=True, exist_ok=True)
        with temp_attrs(coursedir, assignment_id=assignment):
            release = PersonalReleaseAssignment(coursedir=coursedir, authenticator=Authenticator(config=config),
                                                config=config)
            release.learners = names
            release.force = True
            outcome = capture_log(release)
        for name in names:
            results.append(RetakeResult(name, bool(outcome["success"]),
                                        f"{assignment} released to '{name}' only" if outcome["success"]
                                        else f"{assignment} not released: {last_error(outcome)}"))
    return results
