"""Attempts wired into the results, the report, lms.csv and certificates (issue 11, sections 2 and 4).

End to end through nbgrader's exchange with the course's retake plug-in, two attempts per post-test (PROVIDER).
Every learner passes m2 to m4 on form A; on m1-trust:

- ana passes form A at the first attempt;
- ben fails form A and passes form B (the retake);
- cat fails form A and form B;
- dev fails form A and form B, then submits form B again, all right: a third attempt, over the limit, graded but
  never counted, so never eligible;
- eve fails form A and has not retaken it yet: not passed yet (a retake is available).

The report, lms.csv and the certificates must match an independent computation from the answers each learner gave
(``expected``). Before this change the results counted form A only: ben showed as failed and got no certificate.
The helpers are copied from tests/instructor/test_attempts.py (test files never import each other).
"""

from __future__ import annotations

import csv
import datetime as dt
import random
import re
from pathlib import Path

import pytest
from nbgrader.api import Gradebook
from support.browser import CHROMIUM
from support.cli import learner_step, run
from support.formgrader import full_marks_on_written_answers
from support.instructor_course import COURSE_ID, PROVIDER, make_course, screenshot
from support.learners import answers_json, keyed_items

from empathy_ce import course as course_model
from empathy_ce import kinds
from empathy_ce.instructor import configuration
from empathy_ce.instructor.certificates import badge

pytestmark = pytest.mark.slow

LIMIT = 2  # PROVIDER["posttest_attempts"]: "Two attempts ..."
# learner -> the m1-trust attempts in order: (form name, all answers right?)
M1_PLAN = {"ana": [("A", True)], "ben": [("A", False), ("B", True)], "cat": [("A", False), ("B", False)],
           "dev": [("A", False), ("B", False), ("B", True)], "eve": [("A", False)]}


def items(course: course_model.Course, form: course_model.Form) -> list[tuple[dict, object]]:
    return keyed_items(course.form_source(form))


def answers(course: course_model.Course, form: course_model.Form, right: bool) -> dict[str, object]:
    found: dict[str, object] = {}
    for spec, key in items(course, form):
        if spec["kind"] == "attestation":  # not graded; a certificate needs it (issue 11, the completion part)
            found[spec["id"]] = {"attested": True, "name": "A Learner", "minutes": 80}
        elif kinds.get(spec["kind"]).manual:
            found[spec["id"]] = "A reflection."
        else:  # each kind's own sample answers (a conversation's key is not an answer)
            found[spec["id"]] = kinds.get(spec["kind"]).samples(spec, key, random.Random(0))[
                "right" if right else "wrong"][0]
    return found




def read_csv(path: Path) -> dict[str, dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return {row["learner_id"]: row for row in csv.DictReader(handle)}


def expected(plan: list[tuple[str, bool]]) -> dict[str, object]:
    """What the m1-trust columns must say, computed from the plan alone (not by the code under test): only the first
    LIMIT attempts count; the best counted score decides (the earliest of equal scores)."""
    counted = plan[:LIMIT]
    best = max(range(len(counted)), key=lambda i: (counted[i][1], -i))
    passed = counted[best][1]
    forms_left = {"A", "B"} - {form for form, _ in plan}
    if passed:
        status = "passed"
    elif len(plan) < LIMIT and forms_left:
        status = "retake available"
    else:
        status = "failed"
    return {"attempts": len(plan), "counted": f"{best + 1} (form {counted[best][0]})", "status": status,
            "percent": 100.0 if passed else 0.0, "over": len(plan) > LIMIT, "passed": passed}


def test_results_report_lms_and_certificates_follow_the_deciding_attempt(tmp_path: Path,
                                                                         capsys: pytest.CaptureFixture[str],
                                                                         monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv(badge.ENV, raising=False)
    root = make_course(tmp_path / "course", provider=PROVIDER)
    course = course_model.load(root)
    m1 = course.modules[0]
    forms = {f.name: f for f in m1.forms}
    exchange, homes = root / "exchange", tmp_path / "homes"
    code, out, err = run(capsys, root, "release", "--exchange")
    assert code == 0, err

    def take(learner: str, form: course_model.Form, right: bool) -> None:
        folder = homes / learner / COURSE_ID / form.assignment
        if not folder.exists():
            learner_step("fetch", exchange, homes / learner, learner, form.assignment)
        (folder / "answers.json").write_text(answers_json(answers(course, form, right)))
        learner_step("submit", exchange, homes / learner, learner, form.assignment)

    def collect_and_grade(*assignments: str) -> None:
        code, out, err = run(capsys, root, "collect", *assignments)
        assert code == 0, err
        code, out, err = run(capsys, root, "grade", *assignments, "--no-progress")
        assert code == 0, out + err

    for learner, plan in M1_PLAN.items():
        take(learner, forms[plan[0][0]], plan[0][1])
        for module in course.modules[1:]:
            take(learner, module.forms[0], True)
        if course.raw.get("evaluation"):  # required for a certificate once the course has one (completion part)
            evaluation = course.raw["evaluation"]
            learner_step("fetch", exchange, homes / learner, learner, evaluation)
            (homes / learner / COURSE_ID / evaluation / "answers.json").write_text(
                answers_json({f"{evaluation}.course.comments": "Clear and useful."}))
            learner_step("submit", exchange, homes / learner, learner, evaluation)
    collect_and_grade()
    db_url = configuration.coursedir(configuration.load(root)).db_url
    with Gradebook(db_url) as gb:  # formgrader's work: full marks on every written answer, and names
        for learner in M1_PLAN:
            gb.update_or_create_student(learner, first_name=learner.title(), last_name="Learner",
                                        email=f"{learner}@example.org")
            for module in course.modules:
                full_marks_on_written_answers(gb, module.id, [learner])
        gb.db.commit()

    retaking = [x for x, plan in M1_PLAN.items() if len(plan) > 1]
    code, out, err = run(capsys, root, "retake", m1.id, *retaking)
    assert code == 0, err
    for learner in retaking:
        take(learner, forms[M1_PLAN[learner][1][0]], M1_PLAN[learner][1][1])
    collect_and_grade(forms["B"].assignment)
    for learner in retaking:
        for form, right in M1_PLAN[learner][2:]:  # beyond the limit: dev still has his copy of form B
            take(learner, forms[form], right)
    collect_and_grade(forms["B"].assignment)

    code, out, err = run(capsys, root, "certificates", "--new-key")
    assert code == 0, err
    code, out, err = run(capsys, root, "certificates")
    assert code == 0, out + err
    code, out, err = run(capsys, root, "report")
    assert code == 0, out + err

    # The independent computation.
    want = {learner: expected(plan) for learner, plan in M1_PLAN.items()}
    eligible = sorted(x for x, w in want.items() if w["passed"])
    assert eligible == ["ana", "ben"]  # the plan itself: dev's passing third attempt never counts

    # Certificates: exactly for those eligible.
    folder = root / "certificates"
    assert sorted(p.stem for p in folder.glob("*.pdf")) == eligible
    with (folder / "index.csv").open(newline="", encoding="utf-8") as handle:
        index = {row["learner_id"]: row for row in csv.DictReader(handle)}
    assert sorted(index) == eligible
    today = dt.datetime.now(dt.UTC).date().isoformat()

    # lms.csv: one row per learner, completion status, certificate id, attempts.
    lms = read_csv(root / "reports" / "lms.csv")
    assert sorted(lms) == sorted(M1_PLAN)
    completion = {"passed": "completed", "failed": "not passed", "retake available": "not passed yet"}
    for learner, w in want.items():
        row = lms[learner]
        assert row["m1-trust_score_percent"] == f"{w['percent']:.1f}", learner
        assert all(row[f"{m.id}_score_percent"] == "100.0" for m in course.modules[1:]), learner
        assert row["pass"] == ("yes" if w["passed"] else "no"), learner
        assert row["contact_hours"] == (f"{course.contact_hours:g}" if w["passed"] else "0"), learner
        assert row["completion_date"] == (today if w["passed"] else ""), learner
        assert row["completion_status"] == completion[w["status"]], learner
        assert row["certificate_id"] == (index[learner]["certificate_id"] if w["passed"] else ""), learner
        assert row["m1-trust_attempts"] == str(w["attempts"]), learner
        assert row["m1-trust_attempt_counted"] == w["counted"], learner
        assert row["m1-trust_attempt_status"] == w["status"], learner
        assert ("over the limit" in row["m1-trust_attempt_notes"]) == w["over"], learner
        assert bool(row["m1-trust_review"]) == (w["status"] == "failed"), learner
        assert row["m2-outcomes_attempts"] == "1" and row["m2-outcomes_attempt_status"] == "passed", learner
    assert re.fullmatch(r"[A-Z2-7]{4}(-[A-Z2-7]{4}){3}", lms["ben"]["certificate_id"])

    # learners.csv (the report's table): the module's score and status come from the deciding attempt.
    learners = read_csv(root / "reports" / "learners.csv")
    for learner, w in want.items():
        assert learners[learner]["m1-trust_percent"] == f"{w['percent']:.1f}", learner
        assert learners[learner]["m1-trust_status"] == ("pass" if w["passed"] else "fail"), learner
        assert learners[learner]["status"] == ("eligible" if w["passed"] else "not eligible"), learner
        assert learners[learner]["m1-trust_form"] == w["counted"][-2], learner
        assert learners[learner]["m1-trust_attempts"] == str(w["attempts"]), learner
        assert learners[learner]["m1-trust_attempt_status"] == w["status"], learner

    # report.html: each attempt (form, score, date, counted or why not), and what to review after failing all.
    page = (root / "reports" / "report.html").read_text("utf-8")
    details = {lr: page[page.index(f'<tr><th scope="row">{lr}</th><td>{lr.title()} Learner</td>\n<td class="status'):]
               for lr in M1_PLAN}
    for learner, text in details.items():
        text = text[:text.index("</details>")]
        table = text[text.index("m1-trust attempts:"):]
        table = table[:table.index("</ol>")]
        shown = re.findall(r"<li>attempt (\d), form (\w): ([^;]*); submitted ([^;]*); counted: ([^<]*)</li>", table)
        plan = M1_PLAN[learner]
        assert [(int(n), f) for n, f, *_ in shown] == [(i + 1, form) for i, (form, _) in enumerate(plan)], learner
        for number, ((_n, form, score, when, counted), (_, right)) in enumerate(zip(shown, plan, strict=True), 1):
            replaced = any(later == form for later, _ in plan[number:])  # nbgrader keeps one grade per form
            assert score == ("not graded" if replaced else "100%" if right else "0%"), (learner, number, score)
            assert when.startswith(today), (learner, when)
            assert counted.startswith("yes" if number <= LIMIT else "no (over the limit"), (learner, counted)
        assert f"{want[learner]['status']}; attempt {want[learner]['counted']} counts" in table, learner
        assert ("Objectives missed and sections to review" in text) == (want[learner]["status"] == "failed"), learner
        if want[learner]["status"] == "failed":
            for objective in m1.objectives:
                assert f"<li>{objective} (" in text, (learner, objective)
        if want[learner]["status"] == "retake available":
            assert "(retake available: not passed yet)" in text.split("<td><details>")[0], learner
    assert "(form B)" in details["ben"].split("<td><details>")[0]

    if CHROMIUM.exists():  # for a person to look at: the learners table with every learner's details open
        opened = root / "reports" / "report-details-open.html"
        opened.write_text(page.replace("<td><details>", "<td><details open>"), "utf-8")
        screenshot(opened, "report-attempts-details", width=1600, height=2400)
