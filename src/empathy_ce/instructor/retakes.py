"""Retakes: release a post-test's next unseen form only to the learners who may take it, and find the retake
assignments in use (released to someone or collected), so that collect, grade and feedback include them.

The attempt policy and each learner's attempts are in attempts.py; the exchange plug-in that keeps a retake form
out of the shared outbound folder is grading/retake_exchange.py (README, "Attempts and retakes").
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from traitlets.config import Config

from .. import course as course_model
from . import configuration
from .attempts import PolicyError, module_attempts, records


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
    read = records(root, course, config, exchange)
    config, coursedir = read.config, read.coursedir
    results: list[RetakeResult] = []
    by_form: dict[str, list[str]] = {}
    with read.gradebook() as gb:
        known = {s.id for s in gb.students}
        for learner in learners:
            if learner not in known:
                results.append(RetakeResult(learner, False, f"learner '{learner}' is not in the gradebook: no retake"))
                continue
            state = module_attempts(gb, course, read.rule, module, learner, read.submissions)
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
