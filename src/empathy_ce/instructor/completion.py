"""What a certificate needs beyond passing every post-test: the course evaluation and an attestation in every
counted post-test; and each learner's time on task.

- The course evaluation (course/course.yml `evaluation`, its own nbgrader assignment) counts as submitted when a
  collected submission holds a readable answer file with at least one answer. A broken file is named (learner,
  file, reason) and that learner's evaluation counts as missing; nothing else is affected.
- An attestation (the `attestation` item kind) counts when its box is ticked, a name is typed and minutes are
  stated, in the answers of a module's counted post-test (required for each module whose notebooks hold an
  attestation item; every post-test of this course does, which a test checks).
- A learner who passed every module but lacks either is *incomplete*, with the reasons in words
  (`Learner.reasons`), so the report, the LMS export and `empathy-ce certificates` all say why and no
  certificate is issued. The license fields of the attestations go to `certificates.issue`.
- Time on task per module: from the first to the last answer saved in the post-test's answer file (the answer
  file records when each item was first and last answered, nothing else), beside the minutes the learner
  attested; a span under a quarter of the module's declared contact hours is flagged as implausibly short.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import cells, items
from .. import course as course_model
from ..answers import FILENAME, AnswerFileError
from ..answers import read as read_answers
from ..kinds.attestation import complete
from . import analysis

if TYPE_CHECKING:
    from .certificates import Attestation
    from .results import Results

ATTESTATION_KIND = "attestation"
EVALUATION_MISSING = "course evaluation not submitted"
SHORT_SHARE = 0.25  # a module answered in under this share of its declared hours is flagged


def evaluation_id(course: course_model.Course) -> str | None:
    """The course evaluation's assignment id (course/course.yml `evaluation`), or None when the course has none."""
    value = course.raw.get("evaluation")
    return str(value) if value else None


def evaluation_notebook(course: course_model.Course) -> Path | None:
    ident = evaluation_id(course)
    if ident is None:
        return None
    found = sorted((course.root / "solutions" / ident).glob("*.ipynb"))
    return found[0] if found else None


def assignments(course: course_model.Course) -> list[str]:
    """Every nbgrader assignment of the course: the modules, then the evaluation."""
    ident = evaluation_id(course)
    return [m.id for m in course.modules] + ([ident] if ident else [])


def attestation_ids(course: course_model.Course, module: course_model.Module) -> dict[str, dict[str, Any]]:
    """Item id -> spec of every attestation item in the module's notebooks (each form of its post-test)."""
    found = {}
    folders = [module.id, *(form.assignment for form in module.retakes())]  # form A's assignment, then each retake's
    for path in sorted(p for folder in folders for p in (course.root / "solutions" / folder).glob("*.ipynb")):
        for spec, _ in cells.notebook_items(path):
            if spec.get("kind") == ATTESTATION_KIND:
                found[spec["id"]] = spec
    return found


@dataclass
class Evaluation:
    """One learner's collected evaluation: answers (item id -> stored record), or why it does not count."""

    learner: str
    records: dict[str, dict[str, Any]] = field(default_factory=dict)
    problem: str | None = None  # "course evaluation not submitted", or the unreadable file's message

    @property
    def submitted(self) -> bool:
        return self.problem is None


def _answer_file(results: Results, learner: str, assignment: str) -> Path | None:
    """The collected answer file of a learner's assignment (the submission as collected); None if not collected."""
    coursedir = results.coursedir
    folder = Path(coursedir.format_path(coursedir.submitted_directory, learner, assignment))
    return folder / FILENAME if folder.is_dir() else None


def evaluation(results: Results, learner: str) -> Evaluation:
    ident = evaluation_id(results.course)
    found = Evaluation(learner)
    path = _answer_file(results, learner, ident) if ident else None
    if path is None:
        found.problem = EVALUATION_MISSING
        return found
    try:
        data = read_answers(path)
    except AnswerFileError as err:
        found.problem = f"course evaluation counted as missing: {err}"
        return found
    records = {k: v for k, v in (data or {"items": {}})["items"].items() if v.get("value") is not None}
    if not records:
        found.problem = f"course evaluation submitted with no answers (learner '{learner}', file {path})"
        return found
    found.records = records
    return found


@dataclass
class ModuleTime:
    learner: str
    module: str
    declared_minutes: float
    first: dt.datetime | None = None
    last: dt.datetime | None = None
    attested_minutes: int | None = None

    @property
    def span_minutes(self) -> float | None:
        if self.first is None or self.last is None:
            return None
        return (self.last - self.first).total_seconds() / 60

    @property
    def short(self) -> bool:
        """Answered in under a quarter of the module's declared hours (first to last answer)."""
        span = self.span_minutes
        return span is not None and span < SHORT_SHARE * self.declared_minutes


def _stamp(text: Any) -> dt.datetime | None:
    try:
        stamp = dt.datetime.fromisoformat(str(text))
    except ValueError:
        return None
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=dt.UTC)


@dataclass
class Check:
    """One learner's completion beyond the post-tests."""

    evaluation: Evaluation
    attestations: dict[str, dict[str, Any] | None]  # module -> the checked attestation value (None: none)
    times: dict[str, ModuleTime]
    reasons: list[str] = field(default_factory=list)


def check(results: Results) -> dict[str, Check]:
    """Per learner: the evaluation, the attestations, time on task and what a certificate still lacks."""
    course = results.course
    specs = {m.id: attestation_ids(course, m) for m in course.modules}
    found = {}
    for learner in results.learners:
        attested: dict[str, dict[str, Any] | None] = {}
        times = {}
        reasons = []
        for module in course.modules:
            result = learner.modules[module.id]
            time = ModuleTime(learner.id, module.id, 60 * module.contact_hours)
            times[module.id] = time
            # The attestation and times of the attempt that decides the module (form B's assignment after a retake).
            deciding = result.attempts.deciding if result.attempts else None
            records = _records(results, learner.id, deciding.assignment if deciding else module.id)
            value = None
            for item_id, spec in specs[module.id].items():
                try:
                    checked = items.check_value(spec, (records.get(item_id) or {}).get("value"))
                except items.InvalidAnswer:
                    checked = None
                if checked is not None and (value is None or (complete(value) and not complete(checked))):
                    value = checked
            attested[module.id] = value
            if value is not None:
                time.attested_minutes = value.get("minutes")
            stamps = [(_stamp(r.get("first") or r.get("saved")), _stamp(r.get("saved"))) for r in records.values()]
            firsts = [a for a, _ in stamps if a]
            lasts = [b for _, b in stamps if b]
            time.first, time.last = (min(firsts) if firsts else None), (max(lasts) if lasts else None)
            if result.status != analysis.PASS:
                continue
            lacking = complete(value)
            if not specs[module.id]:
                continue  # a course whose post-tests ask for no attestation (tests/completion checks this one's do)
            if value is None:
                reasons.append(f"{module.id}: no attestation in the post-test")
            elif lacking:
                reasons.append(f"{module.id}: attestation incomplete ({'; '.join(lacking)})")
        evaluation_found = evaluation(results, learner.id) if evaluation_id(course) else Evaluation(learner.id)
        if not evaluation_found.submitted:
            reasons.append(evaluation_found.problem or EVALUATION_MISSING)
        found[learner.id] = Check(evaluation_found, attested, times, reasons)
    return found


def _records(results: Results, learner: str, module: str) -> dict[str, dict[str, Any]]:
    """The stored records (value, kind, first, saved) of a learner's collected post-test answers; {} if none."""
    path = _answer_file(results, learner, module)
    if path is None:
        return {}
    try:
        data = read_answers(path)
    except AnswerFileError:
        return {}  # the grading notes name the file (notes.py); nothing here counts
    return dict(data["items"]) if data else {}


def apply(results: Results) -> dict[str, Check]:
    """Hold back learners who passed every post-test but lack the evaluation or an attestation (incomplete)."""
    checks = check(results)
    for learner in results.learners:
        found = checks[learner.id]
        learner.reasons = list(found.reasons)
        if learner.status == analysis.ELIGIBLE and found.reasons:
            learner.status = analysis.INCOMPLETE
    results.completion = checks
    return checks


def attestations(results: Results) -> dict[str, Attestation]:
    """Learner id -> the license number and jurisdiction they attested (the last module that gives them)."""
    from .certificates import Attestation

    found: dict[str, Attestation] = {}
    for learner_id, checked in (getattr(results, "completion", None) or check(results)).items():
        record = Attestation()
        for module_id in (m.id for m in results.course.modules):
            value = checked.attestations.get(module_id) or {}
            if value.get("license_number"):
                record["license_number"] = value["license_number"]
                record["license_jurisdiction"] = value.get("license_jurisdiction") or ""
        if record:
            found[learner_id] = record
    return found


def why_not(learner: Any) -> str:
    """Why a learner has no certificate, in words: modules not passed, then what else is lacking."""
    modules = [f"{m}: {r.status}" for m, r in learner.modules.items() if r.status != analysis.PASS]
    return "; ".join([*modules, *learner.reasons]) or learner.status
