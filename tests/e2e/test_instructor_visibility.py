"""What an instructor sees (issue 16), end to end through nbgrader's exchange on a two-module golden course.

Four learners fetch and submit with nbgrader's own exchange; the instructor collects, grades, reports and
issues certificates with `empathy-ce`:

- ada: a note-free submission of both modules (graded, eligible, certified);
- ben: deleted the post-test's graded cells and has no answer file ("missing answers", never "answered nothing");
- cai: copied a friend's answer file from the other module ("answers for another module");
- dee: passed both modules, then resubmitted an unreadable notebook: the module needs attention, the report says
  which submission the shown grade came from, and no certificate is issued from the stale pass.

Also: a duplicate item id is refused by `check` and `release`, naming both places; `grade` and `feedback` print
plain progress lines when their output is not a terminal.
"""

from __future__ import annotations

import csv
import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import nbformat
import pytest
from nbgrader.api import Gradebook
from nbgrader.utils import parse_utc
from support import golden
from support.cli import run
from support.course import Course
from support.instructor_course import PROVIDER, as_learner, report_fits_a_laptop, screenshot
from support.learners import answers_json

from empathy_ce import authoring, cli
from empathy_ce.instructor import release

pytestmark = [pytest.mark.slow]

COURSE_YML = """title: Golden course
delivery: home study
pass_mark: 0.75
provider: {provider}
modules: [gold, other]
"""
MODULE_YML = """id: {id}
title: Golden module {id}
contact_hours: 1.0
objectives: {{{id}-1: One, {id}-2: Two, {id}-3: Three}}
notebooks: {{practice: [], posttest: {id}}}
"""


def module_items(module: str) -> list[tuple[dict, object]]:
    """The golden items with ids and objectives of this module (the golden ones are module 'gold')."""
    items = []
    for spec, key in golden.ITEMS:
        spec = dict(spec, id=spec["id"].replace("gold.", f"{module}."), objective=spec["objective"].replace(
            "gold-", f"{module}-"))
        items.append((spec, key))
    return items


RATIONALE = "Option B names the feeling and its meaning; the others add advice the client did not ask for."


def module_notebook(module: str, items: list[tuple[dict, object]]) -> nbformat.NotebookNode:
    """The post-test; its single-choice item has a rationale (kept in the hidden tests), the others none."""
    cells = [authoring.markdown_cell(f"# {module}")] + [
        authoring.item_cell(spec, key, RATIONALE if spec["id"].endswith(".post.single") else None)
        for spec, key in items]
    return authoring.notebook(module, cells)


def answers(module: str, values: dict) -> dict:
    return {k.replace("gold.", f"{module}."): v for k, v in values.items()}


def make(root: Path, items: dict[str, list]) -> Path:
    root.mkdir(parents=True)
    course = Course(root)
    for module, found in items.items():
        course.add_source(module, module, module_notebook(module, found))
    (root / "course" / "modules").mkdir(parents=True)
    import json

    (root / "course" / "course.yml").write_text(COURSE_YML.format(provider=json.dumps(PROVIDER)))
    for module in items:
        (root / "course" / "modules" / f"{module}.yml").write_text(MODULE_YML.format(id=module))
    return root


@pytest.fixture(autouse=True)
def own_exchange_and_gradebook(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv("EMPATHY_CE_EXCHANGE", raising=False)
    monkeypatch.delenv("EMPATHY_CE_DB_URL", raising=False)
    yield



def submits(root: Path, learner: str, module: str, values: dict | None, *, notebook_text: str | None = None,
            delete_graded: bool = False) -> str:
    """The learner fetches (once), answers (values None: no answer file) and submits through nbgrader's exchange."""
    home = root.parent / "homes" / learner
    folder = home / "therapeutic-empathy" / module
    if not folder.exists():
        as_learner("fetch", root / "exchange", home, learner, module)
    if values is None:
        (folder / "answers.json").unlink(missing_ok=True)
    else:
        (folder / "answers.json").write_text(answers_json(values))
    notebook = folder / f"{module}.ipynb"
    if delete_graded:
        nb = nbformat.read(notebook, as_version=4)
        nb.cells = [c for c in nb.cells if not c.metadata.get("nbgrader", {}).get("grade")]
        nbformat.write(nb, notebook)
    if notebook_text is not None:
        notebook.write_text(notebook_text)
    inbound = root / "exchange" / "therapeutic-empathy" / "inbound"
    before = set(os.listdir(inbound)) if inbound.exists() else set()
    time.sleep(0.01)
    as_learner("submit", root / "exchange", home, learner, module)
    (new,) = set(os.listdir(inbound)) - before
    return new


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_a_duplicate_item_id_is_refused_by_check_and_release(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    copied = module_items("gold")[0]  # gold.post.single, copied into the other module's post-test
    root = make(tmp_path / "course", {"gold": module_items("gold"), "other": [*module_items("other"), copied]})
    code, out, err = run(capsys, root, "check")
    expected = ("item id 'gold.post.single' is defined more than once: module gold, notebook gold.ipynb, cell "
                "gold-post-single; and module other, notebook other.ipynb, cell gold-post-single. Item ids must be "
                "unique across the course; rename one of them.")
    assert code == 1 and out == ""
    assert err.splitlines() == [f"error: {expected}"]
    with pytest.raises(SystemExit) as stopped:
        cli.main(["--root", str(root), "release", "--exchange"])
    assert str(stopped.value) == f"error: nothing released: {expected}"
    assert not (root / "exercises").exists() and not (root / "exchange").exists()

    # The same course without the copy is accepted by both.
    shutil.rmtree(root)
    root = make(tmp_path / "course", {"gold": module_items("gold"), "other": module_items("other")})
    code, out, _ = run(capsys, root, "check")
    assert code == 0 and "OK; 2 modules" in out
    assert run(capsys, root, "release")[0] == 0


@pytest.fixture(scope="module")
def released_course(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = make(tmp_path_factory.mktemp("visibility") / "course",
                {"gold": module_items("gold"), "other": module_items("other")})
    assert all(step.ok for step in release.release(root, ["gold", "other"], exchange=True))
    return root


def test_every_submission_has_a_state_an_instructor_can_read(
        released_course: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "course"
    shutil.copytree(released_course, root, symlinks=True)
    right = {m: answers(m, golden.ALL_RIGHT) for m in ("gold", "other")}
    for learner in ("ada", "ben", "cai", "dee"):
        submits(root, learner, "other", right["other"])
    submits(root, "ada", "gold", right["gold"])
    submits(root, "ben", "gold", None, delete_graded=True)
    submits(root, "cai", "gold", right["other"])  # a friend's answer file from the other module
    first = submits(root, "dee", "gold", right["gold"])
    assert run(capsys, root, "collect")[0] == 0
    monkeypatch.setenv("EMPATHY_CE_PROGRESS_SECONDS", "0")
    code, out, err = run(capsys, root, "grade", "--workers", "2")
    assert code == 0, err
    assert "submission states: 6 graded, 2 graded with notes, 0 not graded" in out.splitlines()
    notes = [line for line in err.splitlines() if line.startswith("NOTE")]
    assert notes == [
        "NOTE learner 'ben', gold: graded with notes: cells restored: 6 instructor cells deleted from gold.ipynb "
        "(gold-post-multiple, gold-post-numeric, gold-post-ordering, gold-post-rating, gold-post-single, "
        "gold-post-text) were restored before grading; missing answers: the submission has no answers.json, so "
        "every post-test item was scored 0 (the learner's answers are not in the submission; this is not the same "
        "as answering nothing)",
        "NOTE learner 'cai', gold: graded with notes: answers for another module: answers.json holds 5 answers to "
        "module other's items (ignored), and 0 to this module's",
    ]
    # Formgrader shows the notes as the comment on the post-test's answer cell (nbgrader keeps its own words).
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
        comment = gb.find_comment("gold-post-text", "gold", "gold", "ben").comment
        assert comment.startswith("No response.\n\n[empathy-ce] graded with notes: cells restored")
        assert "missing answers" in comment
        assert gb.find_comment("gold-post-text", "gold", "gold", "ada").comment == "No response."
    progress = [line for line in err.splitlines() if line.startswith("Grading: ")]
    assert progress[0].startswith("Grading: 0 of 8 submissions, 0:00:00 elapsed")
    assert progress[-1].startswith("Grading: 8 of 8 submissions, ") and progress[-1].endswith("done")

    # dee's newer submission cannot be read; the earlier pass stays in the gradebook but no longer counts.
    submits(root, "dee", "gold", right["gold"], notebook_text='{"cells": [')
    assert run(capsys, root, "collect")[0] == 0
    code, out, err = run(capsys, root, "grade", "gold")
    assert code == 1
    assert "submission states: 2 graded, 1 graded with notes, 1 not graded" not in out  # ben and cai still noted
    assert "submission states: 1 graded, 2 graded with notes, 1 not graded" in out.splitlines()
    dee = [line for line in err.splitlines() if line.startswith("NOTE learner 'dee'")]
    assert dee == ["NOTE learner 'dee', gold: not graded: gold.ipynb: NotJSONError: not valid JSON (line 1, column "
                   "12: Expecting value); the module needs attention and the learner's certificates are held"]

    code, out, _ = run(capsys, root, "report")
    assert code == 0
    rows = {row["learner_id"]: row for row in read_csv(root / "reports" / "learners.csv")}
    earlier = parse_utc(first.split("+")[2])
    assert {k: (r["status"], r["certificate_eligible"]) for k, r in rows.items()} == {
        "ada": ("eligible", "yes"), "ben": ("not eligible", "no"), "cai": ("not eligible", "no"),
        "dee": ("needs attention", "held")}
    assert rows["ada"]["gold_state"] == "graded" and rows["ada"]["gold_notes"] == ""
    assert rows["ben"]["gold_state"] == "graded with notes" and "missing answers" in rows["ben"]["gold_notes"]
    assert rows["ben"]["gold_percent"] == "0.0"
    assert rows["cai"]["gold_state"] == "graded with notes"
    assert rows["cai"]["gold_notes"].startswith("answers for another module")
    assert rows["dee"]["gold_status"] == "needs attention" and rows["dee"]["gold_state"] == "not graded"
    # The earlier grade is still there, and said to be earlier.
    assert rows["dee"]["gold_percent"] == rows["ada"]["gold_percent"] == "81.8"
    assert rows["dee"]["gold_grade_from"].startswith(
        f"the grade shown is from the submission of {earlier:%Y-%m-%d %H:%M:%S} UTC, superseded by the submission of")
    states = {(r["learner_id"], r["module"]): r for r in read_csv(root / "reports" / "submissions.csv")}
    assert len(states) == 8
    assert {k: (r["state"], r["module_status"]) for k, r in states.items() if k[1] == "gold"} == {
        ("ada", "gold"): ("graded", "pass"), ("ben", "gold"): ("graded with notes", "fail"),
        ("cai", "gold"): ("graded with notes", "fail"), ("dee", "gold"): ("not graded", "needs attention")}
    assert states["dee", "gold"]["notes"] == ("gold.ipynb: NotJSONError: not valid JSON (line 1, column 12: "
                                              "Expecting value)")
    assert states["dee", "gold"]["grade_from"] == rows["dee"]["gold_grade_from"]
    page = (root / "reports" / "report.html").read_text()
    attention = page[page.index('id="attention"'):page.index('id="learners"')]
    for learner in ("ben", "cai", "dee"):
        assert f"<th scope=\"row\">{learner}</th>" in attention
    assert "ada" not in attention
    assert "NotJSONError" in attention and "missing answers" in attention and "answers for another module" in attention

    report_fits_a_laptop(root / "reports" / "report.html", "report", learner="dee",
                         expected=("needs attention", "held"))

    assert run(capsys, root, "certificates", "--new-key")[0] == 0  # issue 11: badges are signed
    code, out, _ = run(capsys, root, "certificates")
    assert code == 0
    assert sorted(p.name for p in (root / "certificates").glob("*.pdf")) == ["ada.pdf"] or \
        [p.stem for p in (root / "certificates").glob("*.pdf")] == ["ada"]

    # Feedback with output to a file: plain progress lines too.
    code, out, err = run(capsys, root, "feedback")
    assert code == 0, err
    lines = [line for line in err.splitlines() if line.startswith("Feedback: ")]
    assert lines[0].startswith("Feedback: 0 of ") and lines[-1].endswith("done")
    feedback_shows_right_or_not_why_and_what_to_review(root)


def text_of(page: Path) -> str:
    import re

    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page.read_text())).replace(" .", ".").replace(" :", ":")


def feedback_shows_right_or_not_why_and_what_to_review(root: Path) -> None:
    """Issue 10: after grading, each post-test item says whether it was right and, where the item has one, why;
    a module not passed lists the objectives missed and where to review them. Before feedback, no rationale."""
    released = (root / "exercises" / "gold" / "gold.ipynb").read_text()
    assert RATIONALE not in released and "Rationale" not in released
    for learner in ("ada", "ben"):
        assert RATIONALE not in (root / "submitted" / learner / "gold" / "gold.ipynb").read_text()
    ada = text_of(root / "feedback" / "ada" / "gold" / "gold.html")
    assert "Your post-test: 9 of 11 points (82%); the pass mark is 75%: passed." in ada
    assert "Right (1 of 1 point). Why: " + RATIONALE in ada
    assert "Right (2 of 2 points)." in ada and "Right (3 of 3 points)." in ada
    assert ada.count("Why:") == 1  # the other items have no rationale, and none is made up
    assert "Not right (0 of 2 points)." in ada  # the unanswered written item
    assert "What to review" not in ada
    ben = text_of(root / "feedback" / "ben" / "gold" / "gold.html")
    assert "Your post-test: 0 of 11 points (0%); the pass mark is 75%: not passed yet." in ben
    assert "Not right (0 of 1 point). Why: " + RATIONALE in ben
    review = ben[ben.index("What to review"):]
    for objective in ("gold-1", "gold-2", "gold-3"):
        assert f"{objective}: " in review
    assert "gold-1: One (0 of 3 points). Review: the module page \u201cGolden module gold\u201d." in review
    screenshot(root / "feedback" / "ben" / "gold" / "gold.html", "feedback-not-passed", full_page=True)

