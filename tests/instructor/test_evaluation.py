"""The course evaluation's summary (no names, hidden under 5 learners, broken files named and counted as missing)
and time on task (first to last answer, flagged under a quarter of the declared hours), on answer files as the
learners' submissions hold them; and the course's own evaluation and post-tests having what a certificate needs."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from nbgrader.coursedir import CourseDirectory
from support import ROOT
from support.instructor_course import make_course

from empathy_ce import cells
from empathy_ce import course as course_model
from empathy_ce.instructor import analysis, completion, evaluation, report, time_on_task
from empathy_ce.instructor.results import Learner, ModuleResult, Results

START = dt.datetime(2026, 5, 4, 9, 0, tzinfo=dt.UTC)


def rendered(template: str, macro: str, data: object) -> str:
    """A report section as the report page has it: its partial (templates/) rendered from the module's data."""
    return str(getattr(report._environment().get_template(template).module, macro)(data))


def write(path: Path, items: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"format": "empathy-ce/answers", "version": 1, "items": items}))


def stamped(value: object, first: dt.datetime, last: dt.datetime) -> dict:
    return {"value": value, "kind": "survey", "first": first.isoformat(), "saved": last.isoformat()}


def results(root: Path, ids: list[str]) -> Results:
    course = course_model.load(root)
    learners = [Learner(i, i.title(), "Learner", None, {m.id: ModuleResult(m.id, submitted=True, status=analysis.PASS)
                                                        for m in course.modules}, status=analysis.ELIGIBLE)
                for i in ids]
    return Results(course, CourseDirectory(root=str(root)), {}, learners)


def evaluate(root: Path, learner: str, rating: int, comment: str) -> None:
    course = course_model.load(root)
    items = {}
    for spec, _ in cells.notebook_items(completion.evaluation_notebook(course)):
        value = {"scale": rating, "choice": "no", "number": 300, "text": comment}[spec["response"]]
        items[spec["id"]] = stamped(value, START, START + dt.timedelta(minutes=5))
    write(root / "submitted" / learner / course.raw["evaluation"] / "answers.json", items)


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return make_course(tmp_path / "course")


def test_summaries_are_hidden_under_five_learners_and_never_name_anyone(root: Path):
    ids = ["zed-0417", "yara-2231", "xavi-8810", "wren-5532", "vik-7719"]
    for number, learner in enumerate(ids[:4]):
        evaluate(root, learner, 2 + number % 3, f"Comment from person {number}.")
    four = evaluation.summarise(results(root, ids))
    assert four.submitted == 4 and four.hidden
    page = rendered("evaluation.html.j2", "evaluation_section", evaluation.section(four))
    assert "Summaries are shown once at least 5" in page and "Comment from" not in page and "<table" not in page
    assert evaluation.rows(four)[1] == []

    evaluate(root, ids[4], 5, "Comment from person 4.")
    five = evaluation.summarise(results(root, ids))
    assert five.submitted == 5 and not five.hidden
    page = rendered("evaluation.html.j2", "evaluation_section", evaluation.section(five))
    _, rows = evaluation.rows(five)
    for learner in ids:  # no learner id, and no name, anywhere in the summary
        assert learner not in page and learner.title() not in page and learner not in json.dumps(rows)
    trust = next(q for q in five.questions if q.item_id.endswith(".trust-1"))
    assert sorted(trust.values) == [2, 2, 3, 4, 5] and trust.mean == pytest.approx(3.2)
    assert [c for _, _, c in trust.counts()] == [0, 2, 1, 1, 1]
    assert ["course-evaluation.objectives.trust-1", "trust-1", "scale", "2", "Slightly", 2, 5, "3.20"] in rows
    comments = [f"Comment from person {n}." for n in range(5)]
    listed = page[page.index("Any other comments"):]
    assert [listed.index(c) for c in comments] == sorted(listed.index(c) for c in comments)  # alphabetical
    assert page.count('<img src="data:image/png;base64,') == 2  # the scale chart and the minutes histogram
    assert "median 300" in page and "315 declared" in page  # 5.25 contact hours


def test_learner_text_is_escaped_by_the_template_and_no_report_module_builds_html_by_hand(root: Path):
    """Issue 12: the report's markup is in Jinja2 templates with autoescape; instructor modules return data only."""
    ids = [f"learner{n}" for n in range(5)]
    for learner in ids:
        evaluate(root, learner, 3, "<script>alert(1)</script> & <b>bold</b>")
    page = rendered("evaluation.html.j2", "evaluation_section", evaluation.section(evaluation.summarise(
        results(root, ids))))
    assert "<script>" not in page and "<b>" not in page
    texts = [q for q in evaluation.summarise(results(root, ids)).questions if q.response == "text"]
    assert page.count("&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;") == 5 * len(texts) > 0
    package = Path(evaluation.__file__).parent
    by_hand = [p.name for p in sorted(package.glob("*.py"))
               if "html.escape" in p.read_text() or "import html\n" in p.read_text()]
    assert by_hand == []


def test_a_broken_evaluation_file_is_named_and_counts_as_missing_the_rest_is_summarised(root: Path):
    ids = [f"learner{n}" for n in range(6)]
    for learner in ids[:5]:
        evaluate(root, learner, 4, "Fine.")
    broken = root / "submitted" / "learner5" / "course-evaluation" / "answers.json"
    broken.parent.mkdir(parents=True)
    broken.write_bytes(b'{"format": "empathy-ce/answers", "version": 1, "items": {"x": ')
    found = results(root, ids)
    checks = completion.apply(found)
    assert checks["learner5"].evaluation.problem.startswith(
        f"course evaluation counted as missing: learner 'learner5', file {broken}: not valid JSON")
    assert [any("evaluation" in r for r in lr.reasons) for lr in found.learners] == [False] * 5 + [True]
    summary = evaluation.summarise(found)
    assert summary.submitted == 5 and not summary.hidden and summary.problems == [checks["learner5"].evaluation.problem]
    assert broken.read_bytes().endswith(b'"x": ')  # left as it is


def test_time_on_task_is_first_to_last_answer_and_flags_under_a_quarter_of_the_hours(root: Path):
    course = course_model.load(root)
    m1 = course.modules[0]  # 1.0 contact hour: under 15 minutes is implausibly short
    assert m1.contact_hours == 1.0
    for learner, minutes in (("quick", 14), ("steady", 15)):
        items = {f"m1-trust.post.q{n}": stamped("a", START + dt.timedelta(minutes=n), START + dt.timedelta(
            minutes=minutes if n == 1 else n)) for n in range(1, 4)}
        items["m1-trust.post.attestation"] = stamped({"attested": True, "name": "A", "minutes": 50}, START, START)
        write(root / "submitted" / learner / m1.id / "answers.json", items)
    found = results(root, ["quick", "steady"])
    checks = completion.apply(found)
    quick, steady = checks["quick"].times[m1.id], checks["steady"].times[m1.id]
    assert (quick.span_minutes, quick.short, quick.attested_minutes) == (14, True, 50)
    assert (steady.span_minutes, steady.short) == (15, False)
    _, rows = time_on_task.rows(found)
    assert [r[0] for r in rows] == ["quick", "steady"] and rows[0][-1] == time_on_task.SHORT and rows[1][-1] == ""
    assert [t.learner for t in time_on_task.flagged(found)] == ["quick"]
    page = rendered("time_on_task.html.j2", "time_on_task_section", time_on_task.section(found))
    assert page.index("quick") < page.index("steady") and "1 post-test answered in under a quarter" in page


def test_the_course_evaluation_rates_every_objective_and_every_post_test_asks_for_an_attestation():
    course = course_model.load(ROOT)
    ident = course.raw["evaluation"]
    specs = [s for s, _ in cells.notebook_items(completion.evaluation_notebook(course))]
    rated = {s["objective"] for s in specs if s["response"] == "scale"}
    assert {o for m in course.modules for o in m.objectives} <= rated
    assert {s["response"] for s in specs} == {"scale", "choice", "number", "text"}
    assert all(s["points"] == 0 and s["id"].startswith(f"{ident}.") for s in specs)
    for spec, meta in cells.notebook_items(completion.evaluation_notebook(course)):
        assert not meta.get("grade") and meta.get("locked"), spec["id"]  # never graded
    assert ident not in {"trust", "checkpoints"} and (ROOT / "exercises" / ident).is_dir()
    forms = [form for module in course.modules for form in module.forms]
    assert len(forms) > len(course.modules)  # the retake forms (form B) are checked too
    for form in forms:
        found = [(s, m) for s, m in cells.notebook_items(course.form_source(form)) if s["kind"] == "attestation"]
        assert len(found) == 1 and not found[0][1].get("grade"), form.assignment
        released = [s for s, _ in cells.notebook_items(course.form_release(form)) if s["kind"] == "attestation"]
        assert released == [found[0][0]], form.assignment


def test_every_form_b_post_test_has_the_attestation_cells_the_helper_makes_before_its_closing_note():
    import nbformat

    from empathy_ce.kinds.attestation import notebook_cells

    course = course_model.load(ROOT)
    for module in course.modules:
        for form in module.retakes():
            nb = nbformat.read(course.form_source(form), as_version=4)
            intro, cell = notebook_cells(f"{module.id}.post{form.name.lower()}.attestation")
            assert [c.source for c in nb.cells[-3:-1]] == [intro.source, cell.source], form.assignment
            assert dict(nb.cells[-2].metadata) == dict(cell.metadata), form.assignment
            assert nb.cells[-1].source.startswith("## End of post-test"), form.assignment
