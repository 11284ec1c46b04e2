"""Post-test attempts and alternate forms (issue 11, part 2).

Unit tests build a real nbgrader gradebook with nbgrader's API (the real course's form A and form B cells), then
read it with ``empathy_ce.instructor.attempts``. The end-to-end test runs simulated learners through nbgrader's
exchange with the course's retake plug-in (``empathy_ce.grading.retake_exchange``):

- ana passes form A at the first attempt;
- ben fails form A, is released form B (only he sees it) and passes it;
- cat fails form A and form B: failed, with the objectives missed and the sections to review;
- dev fails A and B, then submits form B again: a third attempt, over the limit of two: graded, not counted,
  with a message; asking for another retake for him is refused.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import nbformat
import pytest
import yaml
from nbgrader.api import Gradebook
from support import ROOT
from support.browser import CHROMIUM
from support.cli import RETAKE_PLUGIN, learner_step, run
from support.course import Course
from support.instructor_course import COURSE_ID, PROVIDER, make_course, screenshot
from support.learners import answers_json

from empathy_ce import cells
from empathy_ce import course as course_model
from empathy_ce.instructor import attempts

COURSE = course_model.load(ROOT)
M1 = COURSE.modules[0]
FORM_A, FORM_B = M1.forms[0], M1.forms[1]
PLUGIN = RETAKE_PLUGIN


def items(form: course_model.Form) -> list[tuple[dict, object, dict]]:
    """(spec, key, nbgrader metadata) of every graded item of a form's source notebook (not the attestation)."""
    found = []
    for cell in nbformat.read(COURSE.form_source(form), as_version=4).cells:
        spec = cells.item_spec(cell.source) if cell.cell_type == "code" else None
        if spec and cell.metadata.get("nbgrader", {}).get("grade"):
            found.append((spec, cells.keys(cell.source).get(spec["id"]), dict(cell.metadata["nbgrader"]), cell.source))
    return found


def wrong(spec: dict, key: object) -> object:
    """An answer worth no points."""
    options = [o["key"] for o in spec.get("options", [])]
    if spec["kind"] == "single":
        return next(k for k in options if k != key)
    if spec["kind"] == "multiple":
        return [k for k in options if k not in key]
    if spec["kind"] == "rating":
        low, high = spec["scale"]["min"], spec["scale"]["max"]
        return low if key - low > high - key else high
    if spec["kind"] == "ordering":
        return list(reversed(key))
    return float(key) + 1000


def answers(form: course_model.Form, right: bool) -> dict[str, object]:
    return {spec["id"]: key if right else wrong(spec, key) for spec, key, _, _ in items(form)}


# --- every form B runs and scores in a real kernel ----------------------------------------------------------------

@pytest.mark.slow
def test_every_form_b_scores_in_nbgraders_own_kernel_autograde(tmp_path: Path):
    """`nbgrader autograde` (kernel, not the kernel-free grader) on every retake form: the expert earns every
    automatic point, a learner who answers nothing earns none, and no cell but a hidden test fails."""
    from support.learners import answers_json as write

    course = Course(tmp_path)
    retakes = [form for module in COURSE.modules for form in module.retakes()]
    for form in retakes:
        shutil.copytree(COURSE.form_source(form).parent, tmp_path / "solutions" / form.assignment)
        course.nbgrader("generate_assignment", form.assignment, "--force")
        for learner in ("expert", "blank"):
            folder = tmp_path / "submitted" / learner / form.assignment
            shutil.copytree(tmp_path / "exercises" / form.assignment, folder)
            if learner == "expert":
                (folder / "answers.json").write_text(write({spec["id"]: key if key is not None else "A reflection."
                                                            for spec, key, _, _ in items(form)}))
        course.nbgrader("autograde", form.assignment, "--force", "--ExecutePreprocessor.kernel_name=python3")
    with Gradebook(course.db_url) as gb:
        for form in retakes:
            expert, blank = (gb.find_submission(form.assignment, x) for x in ("expert", "blank"))
            manual = sum(g.max_score for nb in expert.notebooks for g in nb.grades if g.needs_manual_grade)
            assert expert.score == pytest.approx(expert.max_score - manual) and expert.max_score > 0, form
            assert blank.score == 0, form
    for notebook in sorted((tmp_path / "autograded").rglob("*.ipynb")):
        for cell in nbformat.read(notebook, as_version=4).cells:
            if [o for o in cell.get("outputs", []) if o.output_type == "error"]:
                assert "blank" in notebook.parts and cell.metadata["nbgrader"].get("grade"), (notebook, cell.source)


# --- unit tests: a real gradebook built with nbgrader's API ------------------------------------------------------

def set_policy(root: Path, limit: str, counted: str | None = None) -> None:
    path = root / "course" / "course.yml"
    data = yaml.safe_load(path.read_text("utf-8"))
    data["provider"]["posttest_attempts"] = limit
    if counted:
        data.setdefault("attempts", {})["counted"] = counted
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), "utf-8")


def gradebook(root: Path, taken: dict[str, list[tuple[course_model.Form, float, int]]]) -> None:
    """learner -> [(form, share of each item's points earned, day of submission)], recorded with nbgrader's API."""
    from empathy_ce.instructor import configuration

    coursedir = configuration.coursedir(configuration.load(root))
    with Gradebook(coursedir.db_url, coursedir.course_id) as gb:
        for form in M1.forms:
            gb.update_or_create_assignment(form.assignment)
            gb.update_or_create_notebook(form.posttest, form.assignment)
            for _spec, _, meta, source in items(form):
                gb.update_or_create_grade_cell(meta["grade_id"], form.posttest, form.assignment,
                                               max_score=meta["points"], cell_type="code")
                gb.update_or_create_source_cell(meta["grade_id"], form.posttest, form.assignment,
                                                source=source, cell_type="code", locked=True)
        for learner, rows in taken.items():
            gb.update_or_create_student(learner)
            for form, share, day in rows:
                gb.add_submission(form.assignment, learner, timestamp=dt.datetime(2026, 3, day, 10, 0))
                for _spec, _, meta, _ in items(form):
                    grade = gb.find_grade(meta["grade_id"], form.posttest, form.assignment, learner)
                    grade.auto_score = share * meta["points"]
                    grade.needs_manual_grade = False
        gb.db.commit()


@pytest.fixture
def unit_course(tmp_path: Path) -> Path:
    return make_course(tmp_path / "course", provider=PROVIDER)


def test_policy_is_read_from_course_yml_and_a_placeholder_sets_no_limit(unit_course: Path):
    assert attempts.policy(course_model.load(unit_course)) == attempts.Policy(2, "best")  # "Two attempts per ..."
    assert attempts.policy(COURSE).max_attempts is None  # the committed course: the provider has not decided
    assert "provider.posttest_attempts" in attempts.policy(COURSE).note
    set_policy(unit_course, "3", "latest")
    assert attempts.policy(course_model.load(unit_course)) == attempts.Policy(3, "latest")
    set_policy(unit_course, "as many as needed")
    with pytest.raises(attempts.PolicyError, match=r"provider\.posttest_attempts.*number of attempts"):
        attempts.policy(course_model.load(unit_course))
    set_policy(unit_course, "2", "average")
    with pytest.raises(attempts.PolicyError, match=r"attempts\.counted is 'average'"):
        attempts.policy(course_model.load(unit_course))


def test_attempts_from_a_real_gradebook(unit_course: Path):
    gradebook(unit_course, {"ana": [(FORM_A, 1.0, 2)], "ben": [(FORM_A, 0.0, 2), (FORM_B, 1.0, 9)],
                            "cat": [(FORM_A, 0.5, 2), (FORM_B, 0.0, 9)], "eve": [(FORM_A, 0.0, 2)]})
    found = attempts.load(unit_course, exchange=unit_course / "no-exchange")
    ana, ben, cat, eve = (found[x]["m1-trust"] for x in ("ana", "ben", "cat", "eve"))
    assert (ana.status, [a.form for a in ana.attempts], ana.deciding.number) == ("passed", ["A"], 1)
    assert (ben.status, [a.form for a in ben.attempts], ben.deciding.form) == ("passed", ["A", "B"], "B")
    assert [a.percent for a in ben.attempts] == [0.0, 100.0] and all(a.counted for a in ben.attempts)
    assert ben.attempts[1].submitted == dt.datetime(2026, 3, 9, 10, 0)
    assert (eve.status, eve.next_form) == ("retake available", FORM_B) and not eve.review
    assert cat.status == "failed" and cat.deciding.form == "A"  # best of 50% and 0%
    assert {m.objective for m in cat.review} == set(M1.objectives)  # 50% of each objective is under the pass mark
    sections = yaml.safe_load((ROOT / "course" / "modules" / "m1-trust.yml").read_text("utf-8"))["review"]
    assert all(m.sections == sections[m.objective] for m in cat.review)
    assert "every attempt allowed was used" in cat.message
    assert found["ana"]["m2-outcomes"].status == "not attempted"


def test_latest_rule_and_a_retake_beyond_a_limit_of_one(unit_course: Path):
    set_policy(unit_course, "1", "latest")
    gradebook(unit_course, {"ben": [(FORM_A, 0.0, 2), (FORM_B, 1.0, 9)], "cat": [(FORM_A, 1.0, 2), (FORM_B, 0.0, 9)]})
    found = attempts.load(unit_course, exchange=unit_course / "no-exchange")
    ben, cat = found["ben"]["m1-trust"], found["cat"]["m1-trust"]
    assert [a.counted for a in ben.attempts] == [True, False]
    assert ben.attempts[1].score == ben.attempts[1].max_points  # graded ...
    assert ben.status == "failed" and ben.deciding.form == "A"  # ... but not counted
    assert "Attempt 2 (form B) is over the limit: attempt 2, and the course allows 1 per post-test" in ben.message
    assert "over the limit" in ben.summary()
    assert cat.status == "passed" and cat.deciding.form == "A"  # the over-limit fail does not count either
    set_policy(unit_course, "2", "latest")
    assert attempts.load(unit_course, exchange=unit_course / "x")["cat"]["m1-trust"].status == "failed"


# --- end to end through nbgrader's exchange with the retake plug-in ---------------------------------------------



@pytest.mark.slow
def test_attempts_end_to_end_through_the_exchange(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    root = make_course(tmp_path / "course", provider=PROVIDER)  # two attempts per post-test
    exchange, homes = root / "exchange", tmp_path / "homes"
    code, out, err = run(capsys, root, "release", "m1-trust", "--exchange")
    assert code == 0 and "m1-trust: released to the exchange" in out, err

    def take(learner: str, form: course_model.Form, right: bool) -> None:
        folder = homes / learner / COURSE_ID / form.assignment
        if not folder.exists():
            learner_step("fetch", exchange, homes / learner, learner, form.assignment)
        (folder / "answers.json").write_text(answers_json(answers(form, right)))
        learner_step("submit", exchange, homes / learner, learner, form.assignment)

    def collect_and_grade(assignment: str) -> None:
        code, out, err = run(capsys, root, "collect", assignment)
        assert code == 0, err
        code, out, err = run(capsys, root, "grade", assignment, "--no-progress")
        assert code == 0, out + err

    for learner, right in (("ana", True), ("ben", False), ("cat", False), ("dev", False)):
        take(learner, FORM_A, right)
    collect_and_grade("m1-trust")

    # Nobody sees form B before the instructor releases it, and a retake is refused for a learner who passed.
    listed = learner_step("list", exchange, homes / "ben", "ben", "")
    assert {a["assignment_id"] for a in listed} == {"m1-trust"}
    code, out, err = run(capsys, root, "retake", "m1-trust", "ana", "ben", "cat", "dev", "zed")
    assert code == 1
    assert "REFUSED learner 'ana', m1-trust: no retake released: passed already" in err
    assert "REFUSED learner 'zed' is not in the gradebook" in err
    for learner in ("ben", "cat", "dev"):
        assert f"m1-trust-retake released to '{learner}' only" in out
    assert {a["assignment_id"] for a in learner_step("list", exchange, homes / "ben", "ben", "")} == \
        {"m1-trust", "m1-trust-retake"}
    assert {a["assignment_id"] for a in learner_step("list", exchange, homes / "ana", "ana", "")} == {"m1-trust"}
    assert not (exchange / COURSE_ID / "outbound" / "m1-trust-retake").exists()
    with pytest.raises(Exception, match="m1-trust-retake"):  # ana cannot fetch what was not released to her
        learner_step("fetch", exchange, homes / "ana", "ana", "m1-trust-retake")
    code, out, err = run(capsys, root, "release", "m1-trust-retake", "--exchange")  # never to everyone
    assert "m1-trust-retake: released to the exchange" not in out
    assert not (exchange / COURSE_ID / "outbound" / "m1-trust-retake").exists()
    # nbgrader's own release_assignment, through the configured plug-in, refuses to release it to everyone.
    from empathy_ce.instructor import configuration
    from empathy_ce.instructor import release as release_step

    step = release_step.to_exchange(configuration.load(root), "m1-trust-retake")
    assert not step.ok and "released only to the learners who retake the post-test" in step.message, step
    assert not (exchange / COURSE_ID / "outbound" / "m1-trust-retake").exists()
    # A learner who copies form B from elsewhere (the public repository's exercises/) cannot submit it.
    copied = homes / "ana" / COURSE_ID / "m1-trust-retake"
    shutil.copytree(root / "exercises" / "m1-trust-retake", copied)
    with pytest.raises(Exception, match="Assignment not found"):
        learner_step("submit", exchange, homes / "ana", "ana", "m1-trust-retake")
    shutil.rmtree(copied)

    take("ben", FORM_B, True)
    take("cat", FORM_B, False)
    take("dev", FORM_B, False)
    collect_and_grade("m1-trust-retake")
    code, out, err = run(capsys, root, "retake", "m1-trust", "cat")  # a third attempt is beyond the limit
    assert code == 1
    assert "REFUSED learner 'cat', m1-trust: no retake released: has no attempt or unseen form left" in err
    take("dev", FORM_B, False)  # dev still has his copy of form B and submits it again: attempt 3
    collect_and_grade("m1-trust-retake")

    # Without module names, collect and grade include the retake forms in use (never reported as unknown).
    code, out, err = run(capsys, root, "collect")
    assert code == 0 and "m1-trust-retake: 0 new or updated submissions collected" in out, out + err
    code, out, err = run(capsys, root, "grade", "--no-progress")
    assert code == 0 and "not an assignment of this course" not in out + err, out + err

    found = attempts.load(root)
    # An independent computation of what the gradebook must say, from the answers each learner gave.
    expected = {"ana": ("passed", [("A", 100.0, True)]),
                "ben": ("passed", [("A", 0.0, True), ("B", 100.0, True)]),
                "cat": ("failed", [("A", 0.0, True), ("B", 0.0, True)]),
                "dev": ("failed", [("A", 0.0, True), ("B", None, True), ("B", 0.0, False)])}
    for learner, (status, rows) in expected.items():
        state = found[learner]["m1-trust"]
        assert state.status == status, (learner, state)
        assert [(a.form, a.percent, a.counted) for a in state.attempts] == rows, learner
        assert all(a.submitted.date() == dt.datetime.now(dt.UTC).date() for a in state.attempts)
    dev = found["dev"]["m1-trust"]
    assert "not graded: a later submission of form B replaced it" in dev.attempts[1].reason
    assert "Attempt 3 (form B) is over the limit: attempt 3, and the course allows 2" in dev.message
    for learner in ("cat", "dev"):
        assert {m.objective for m in found[learner]["m1-trust"].review} == set(M1.objectives)
    assert not found["ben"]["m1-trust"].review and found["ben"]["m1-trust"].deciding.form == "B"
    ben = attempts.columns(found["ben"]["m1-trust"])  # what the report and lms.csv show
    assert (ben["attempts"], ben["attempt_counted"], ben["attempt_status"]) == ("2", "2 (form B)", "passed")
    assert attempts.columns(found["dev"]["m1-trust"])["review"].startswith("trust-1: 1. What do we mean by empathy?")

    # Feedback on form B works as on form A: each item's verdict and rationale, and what to review.
    code, out, err = run(capsys, root, "feedback", "m1-trust-retake", "--no-progress")
    assert code == 0, out + err
    page = (root / "feedback" / "cat" / "m1-trust-retake" / f"{FORM_B.posttest}.html").read_text("utf-8")
    assert "What to review" in page and "Why:" in page
    if CHROMIUM.exists():  # for a person to look at; the test itself needs no browser
        screenshot(root / "feedback" / "cat" / "m1-trust-retake" / f"{FORM_B.posttest}.html", "retake-form-b-feedback",
                   full_page=True)

    code, out, err = run(capsys, root, "attempts")
    assert code == 0, err
    assert "dev m1-trust: failed: 1. form A" in out and "(not counted: over the limit)" in out
    assert "review trust-1: 1. What do we mean by empathy?" in out


def test_an_item_id_shared_between_forms_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    """Answers and grades are keyed by item id: form B reusing a form A id would mix the two forms' answers."""
    root = make_course(tmp_path / "course")
    path = root / "solutions" / FORM_B.assignment / f"{FORM_B.posttest}.ipynb"
    path.write_text(path.read_text("utf-8").replace("m1-trust.postb.q1", "m1-trust.post.q1"), "utf-8")
    code, _, err = run(capsys, root, "check")
    assert code == 1
    assert ("item id 'm1-trust.post.q1' is defined more than once: module m1-trust, notebook trust_posttest.ipynb, "
            "cell m1-trust-post-q1; and module m1-trust, notebook trust_posttest_b.ipynb") in err


@pytest.mark.slow
def test_jupyterlabs_assignment_list_shows_a_retake_only_to_its_learner(tmp_path: Path,
                                                                         capsys: pytest.CaptureFixture[str]):
    """The learner's Assignment List in JupyterLab (nbgrader's own server extension, reading the learner's
    nbgrader_config.py) lists form B only once it is released to that learner's account, and fetches it."""
    from nbgrader.server_extensions.assignment_list.handlers import AssignmentList
    from nbgrader.utils import get_username

    root = make_course(tmp_path / "course", provider=PROVIDER)
    me, home = get_username(), tmp_path / "home"
    home.mkdir()
    (home / "nbgrader_config.py").write_text(  # what a learner's server reads (JupyterHub: their config)
        f"c = get_config()\nc.CourseDirectory.course_id = {COURSE_ID!r}\nc.Exchange.root = {str(root / 'exchange')!r}\n"
        f"c.Exchange.assignment_dir = {str(home)!r}\nc.Exchange.path_includes_course = True\n"
        + "".join(f"c.ExchangeFactory.{name} = {PLUGIN + cls!r}\n" for name, cls in (
            ("fetch_assignment", "PersonalFetchAssignment"), ("submit", "PersonalSubmit"), ("list", "PersonalList"))))
    assert run(capsys, root, "release", "m1-trust", "--exchange")[0] == 0
    learners = {me: False, "someone-else": False}
    for learner in learners:
        take_dir = tmp_path / "homes" / learner
        learner_step("fetch", root / "exchange", take_dir, learner, "m1-trust")
        (take_dir / COURSE_ID / "m1-trust" / "answers.json").write_text(answers_json(answers(FORM_A, False)))
        learner_step("submit", root / "exchange", take_dir, learner, "m1-trust")
    assert run(capsys, root, "collect", "m1-trust")[0] == 0
    assert run(capsys, root, "grade", "m1-trust", "--no-progress")[0] == 0

    lab = AssignmentList()
    lab.root_dir = str(home)

    def listed() -> set[str]:
        reply = lab.list_released_assignments(course_id=COURSE_ID)
        assert reply["success"], reply
        return {a["assignment_id"] for a in reply["value"]}

    assert listed() == {"m1-trust"}
    assert run(capsys, root, "retake", "m1-trust", "someone-else")[0] == 0
    assert listed() == {"m1-trust"}  # released to another learner: not in this learner's list
    assert run(capsys, root, "retake", "m1-trust", me)[0] == 0
    assert listed() == {"m1-trust", "m1-trust-retake"}
    assert lab.fetch_assignment(COURSE_ID, "m1-trust-retake")["success"]
    assert (home / COURSE_ID / "m1-trust-retake" / f"{FORM_B.posttest}.ipynb").exists()
