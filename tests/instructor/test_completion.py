"""Issue 11 parts 1 and 3 end to end: the course evaluation and the post-test attestations, through nbgrader's
exchange with simulated learners, up to the report and `empathy-ce certificates`.

Every learner passes every post-test (answer files written directly, as the workflow test does; the widgets have
their own tests). Then:

- ada attests in every post-test and submits the evaluation: a certificate, with her license number on it;
- bo attests everywhere but never submits the evaluation: no certificate, "course evaluation not submitted";
- cy submits the evaluation but leaves the attestation out of one post-test: no certificate, the report says which;
- di attests everywhere and submits an evaluation whose answer file is broken: the message names her and the
  file, her evaluation counts as missing (no certificate), and the others' evaluations still count.

Who is eligible is also computed independently here, from the files the learners submitted.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path

import pytest
from nbgrader.api import Gradebook
from pypdf import PdfReader
from support.cli import run
from support.formgrader import full_marks_on_written_answers
from support.instructor_course import PROVIDER, as_learner, make_course
from support.learners import keyed_items

from empathy_ce import cells
from empathy_ce import course as course_model
from empathy_ce.instructor import completion

pytestmark = pytest.mark.slow

REFLECTION = "It sounds as if you are worn out, and afraid that nobody notices how hard you are trying."
START = dt.datetime(2026, 5, 4, 9, 0, tzinfo=dt.UTC)
LICENSE = {"license_number": "LPC-40417", "license_jurisdiction": "Oregon"}


def record(value: object, kind: str, first: dt.datetime, last: dt.datetime) -> dict:
    return {"value": value, "kind": kind, "first": first.isoformat(timespec="seconds"),
            "saved": last.isoformat(timespec="seconds")}


def posttest(course: course_model.Course, module: course_model.Module) -> list[tuple[dict, object]]:
    return keyed_items(course.source(module, module.posttest))


def module_answers(course: course_model.Course, module: course_model.Module, learner: str, attest: bool) -> dict:
    """Every graded item right; the attestation as the learner gives it; answered over 40 minutes."""
    items = {}
    first, last = START, START + dt.timedelta(minutes=40)
    for spec, key in posttest(course, module):
        if spec["kind"] == "attestation":
            if attest:
                value = {"attested": True, "name": learner.title(), "minutes": 75, **LICENSE}
                items[spec["id"]] = record(value, "attestation", last, last)
            continue
        items[spec["id"]] = record(REFLECTION if spec["kind"] == "text" else key, spec["kind"], first, last)
    return {"format": "empathy-ce/answers", "version": 1, "items": items}


def evaluation_answers(course: course_model.Course, rating: int) -> dict:
    items = {}
    for spec, _ in cells.notebook_items(completion.evaluation_notebook(course)):
        value = {"scale": rating, "choice": "no", "number": 320, "text": f"Comment rated {rating}."}[spec["response"]]
        items[spec["id"]] = record(value, "survey", START, START + dt.timedelta(minutes=8))
    return {"format": "empathy-ce/answers", "version": 1, "items": items}


def submit(root: Path, learner: str, assignment: str, answers: str) -> None:
    home = root.parent / "homes" / learner
    folder = as_learner("fetch", root / "exchange", home, learner, assignment)
    for data in folder.glob("*_data.ipynb"):
        data.unlink()  # the optional coding notebook: not part of these learners' work
    (folder / "answers.json").write_text(answers)
    as_learner("submit", root / "exchange", home, learner, assignment)



def read_csv(path: Path) -> dict[str, dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return {row["learner_id"]: row for row in csv.DictReader(handle)}


def independent_eligibility(root: Path, course: course_model.Course) -> dict[str, list[str]]:
    """From the collected files alone: what each learner lacks (every post-test is passed in this test)."""
    ident = course.raw["evaluation"]
    lacking: dict[str, list[str]] = {}
    for learner_dir in sorted((root / "submitted").iterdir()):
        learner = learner_dir.name
        lacking[learner] = []
        for module in course.modules:
            data = json.loads((learner_dir / module.id / "answers.json").read_text())
            value = data["items"].get(f"{module.id}.post.attestation", {}).get("value")
            if not (value and value["attested"] and value["name"] and value["minutes"]):
                lacking[learner].append(module.id)
        try:
            json.loads((learner_dir / ident / "answers.json").read_text())
        except (FileNotFoundError, ValueError):
            lacking[learner].append(ident)
    return lacking


def test_certificates_need_the_evaluation_and_every_attestation(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                               monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("EMPATHY_CE_DB_URL", raising=False)
    monkeypatch.delenv("EMPATHY_CE_SIGNING_KEY", raising=False)
    root = make_course(tmp_path / "course", provider=PROVIDER)
    course = course_model.load(root)
    ident = course.raw["evaluation"]
    code, out, err = run(capsys, root, "release", "--exchange")
    assert code == 0, err
    assert f"{ident}: released to the exchange" in out and out.count("released to the exchange") == 5

    plan = {"ada": (True, True), "bo": (True, False), "cy": (True, True), "di": (True, "broken")}
    for learner, (attest, evaluate) in plan.items():
        for number, module in enumerate(course.modules):
            skip = learner == "cy" and number == 1  # cy leaves the m2 attestation out
            submit(root, learner, module.id, json.dumps(module_answers(course, module, learner, attest and not skip)))
        if evaluate is True:
            submit(root, learner, ident, json.dumps(evaluation_answers(course, 4)))
        elif evaluate == "broken":
            submit(root, learner, ident, '{"format": "empathy-ce/answers", "version": 1, "items": {')

    code, out, err = run(capsys, root, "collect")
    assert code == 0, err
    assert f"{ident}: 3 new or updated submissions collected" in out
    code, out, err = run(capsys, root, "grade", "--no-progress")
    assert code == 0, err
    assert "19 submissions: 19 graded" in out  # 4 learners x 4 modules, 3 evaluations: accepted, never graded
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
        evaluation = gb.find_submission(ident, "ada")
        assert evaluation.max_score == 0 and evaluation.score == 0  # no grade cells: nothing to grade
        # the written answers, graded by hand as in formgrader
        assert sum(full_marks_on_written_answers(gb, module.id, plan) for module in course.modules)
        gb.db.commit()

    code, out, err = run(capsys, root, "report")
    assert code == 0, err
    assert "4 learners: 1 eligible for a certificate" in out  # the evaluation is not counted as a module
    learners = read_csv(root / "reports" / "learners.csv")
    assert {k: (v["status"], v["certificate_eligible"]) for k, v in learners.items()} == {
        "ada": ("eligible", "yes"), "bo": ("incomplete", "no"), "cy": ("incomplete", "no"), "di": ("incomplete", "no")}
    assert all(v["modules_passed"] == "4" and v["modules"] == "4" for v in learners.values())
    assert learners["bo"]["certificate_needs"] == "course evaluation not submitted"
    assert learners["cy"]["certificate_needs"] == "m2-outcomes: no attestation in the post-test"
    broken = root / "submitted" / "di" / ident / "answers.json"
    assert learners["di"]["certificate_needs"].startswith("course evaluation counted as missing: learner 'di', ")
    needs = learners["di"]["certificate_needs"]
    assert str(broken) in needs and "not valid JSON" in needs
    assert broken.read_text().endswith('"items": {')  # nothing submitted is changed
    lms = read_csv(root / "reports" / "lms.csv")
    assert {k: v["pass"] for k, v in lms.items()} == {"ada": "yes", "bo": "no", "cy": "no", "di": "no"}

    # The independent computation agrees: certificates exactly for those who lack nothing.
    lacking = independent_eligibility(root, course)
    assert {k for k, v in lacking.items() if not v} == {k for k, v in learners.items() if v["status"] == "eligible"}

    page = (root / "reports" / "report.html").read_text()
    section = page[page.index('<section id="evaluation">'):page.index('<section id="items">')]
    assert "2 learners submitted a readable course evaluation." in section  # ada and cy; di's file is named
    assert "Summaries are shown once at least 5 learners" in section and "Comment rated" not in section
    assert "learner &#39;di&#39;" in section and str(broken) in section  # escaped by Jinja2 (markupsafe)
    assert "bo: course evaluation not submitted" in page and "cy: m2-outcomes: no attestation" in page
    times = page[page.index('<section id="time-on-task">'):page.index('<section id="evaluation">')]
    assert "No post-test was answered implausibly fast." in times
    spans = list(csv.DictReader((root / "reports" / "time_on_task.csv").open()))
    assert len(spans) == 16 and all(r["answer_span_minutes"] == "40" for r in spans)
    assert {r["attested_minutes"] for r in spans if r["learner_id"] == "ada"} == {"75"}

    assert run(capsys, root, "certificates", "--new-key")[0] == 0
    code, out, err = run(capsys, root, "certificates")
    assert code == 0, err
    assert sorted(p.name for p in (root / "certificates").glob("*.pdf")) == ["ada.pdf"]
    assert "no certificate for learner 'bo' (incomplete): course evaluation not submitted" in err
    assert "no certificate for learner 'cy' (incomplete): m2-outcomes: no attestation in the post-test" in err
    assert "no certificate for learner 'di' (incomplete): course evaluation counted as missing" in err
    text = " ".join(PdfReader(root / "certificates" / "ada.pdf").pages[0].extract_text().split())
    assert LICENSE["license_number"] in text and LICENSE["license_jurisdiction"] in text
