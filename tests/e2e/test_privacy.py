"""Practice answers (reflections, self-checks) stay with the learner (issue 10, section 4).

Through real nbgrader: release to the exchange, fetch, a learner who had practice answers in an answer file of
an earlier version and writes a new reflection in a real kernel, submit, collect, autograde, feedback and the
report. Neither reflection may appear in any file of the exchange, submitted/, autograded/, feedback/, the
gradebook or the reports; the post-test answer, by contrast, is graded (so the search is not vacuous).
"""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from support import ROOT
from support.instructor_course import as_learner, make_course

from empathy_ce import cells, cli
from empathy_ce import course as course_model

pytestmark = pytest.mark.slow

COURSE = course_model.load(ROOT)
LEGACY = "OLD-PRIVATE my burnout self-check says I sleep four hours and dread Mondays"
FRESH = "NEW-PRIVATE my self-care plan: see my own therapist on Thursdays"
POSTTEXT = "POSTTEST-SHARED It sounds as if you feel unseen, and that it matters to you."


def practice_text_module() -> tuple[course_model.Module, str, str]:
    """The first module whose practice notebook has a written item: (module, notebook name, item id)."""
    for module in COURSE.modules:
        for name in module.practice:
            for spec, _ in cells.notebook_items(COURSE.source(module, name)):
                if spec["kind"] == "text":
                    return module, name, spec["id"]
    raise AssertionError("no practice notebook has a written item")


def run_and_answer(notebook: Path, answers: dict[str, str]) -> None:
    """Run the notebook in a real kernel in its folder and answer through the widgets, as the browser does (a
    practice answer is a message from the view), and save it with the widget state, as JupyterLab does when
    "Save Widget State Automatically" is on: the saved state must not carry the answer either."""
    nb = nbformat.read(notebook, as_version=4)
    driver = ("from empathy_ce.notebook import session as _s\n"
              f"for _id, _v in {json.dumps(answers)}.items():\n"
              "    _s().widgets[_id]._handle_custom_msg({'type': 'answer', 'value': _v}, [])\n")
    nb.cells.append(nbformat.v4.new_code_cell(driver))
    NotebookClient(nb, timeout=120, kernel_name="python3", store_widget_state=True,
                   resources={"metadata": {"path": str(notebook.parent)}}).execute()
    assert "widgets" in nb.metadata  # the state was saved
    nb.cells.pop()
    nbformat.write(nb, notebook)


def files_under(*folders: Path) -> list[Path]:
    return [p for folder in folders if folder.exists() for p in folder.rglob("*") if p.is_file()]


def test_practice_reflections_never_reach_the_instructor(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                         capsys: pytest.CaptureFixture[str]):
    private = tmp_path / "learner-data"
    monkeypatch.setenv("EMPATHY_CE_PRACTICE_DIR", str(private))
    module, practice, practice_id = practice_text_module()
    root = make_course(tmp_path / "course")
    exchange = root / "exchange"
    assert cli.main(["--root", str(root), "release", module.id, "--exchange"]) == 0

    home = tmp_path / "homes" / "dana"
    folder = as_learner("fetch", exchange, home, "dana", module.id)
    post = {spec["id"]: spec for spec, _ in cells.notebook_items(folder / f"{module.posttest}.ipynb")}
    post_text = next(i for i, s in post.items() if s["kind"] == "text")
    # An answer file from an earlier version: a practice reflection beside the post-test answer.
    (folder / "answers.json").write_text(json.dumps({"format": "empathy-ce/answers", "version": 1, "items": {
        practice_id: {"value": LEGACY, "kind": "text", "saved": "2026-01-01T09:00:00+00:00"},
        post_text: {"value": POSTTEXT, "kind": "text", "saved": "2026-01-01T09:05:00+00:00"}}}))
    run_and_answer(folder / f"{practice}.ipynb", {})  # first load: the old reflection moves out
    moved = [json.loads(p.read_text())["items"][practice_id]["value"] for p in private.rglob("answers.json")]
    assert moved == [LEGACY]
    run_and_answer(folder / f"{practice}.ipynb", {practice_id: FRESH})  # a new reflection, typed in the widget
    kept = [json.loads(p.read_text())["items"][practice_id]["value"] for p in private.rglob("answers.json")]
    assert kept == [FRESH]
    assert not private.is_relative_to(folder)
    as_learner("submit", exchange, home, "dana", module.id)

    for args in (["collect"], ["grade", "--no-progress"], ["feedback", "--exchange", "--no-progress"], ["report"]):
        assert cli.main(["--root", str(root), *args]) == 0, (args, capsys.readouterr())
    capsys.readouterr()

    instructor = files_under(exchange, root / "submitted", root / "autograded", root / "feedback", root / "reports",
                             root / "gradebook.db")
    assert any("feedback" in p.parts for p in instructor) and (root / "gradebook.db").exists()
    leaks = [p for p in instructor for text in (LEGACY, FRESH) if text.encode() in p.read_bytes()]
    assert not leaks, f"a practice reflection reached the instructor's side: {leaks}"
    # ... while the post-test's written answer was submitted and graded as before.
    submitted = root / "submitted" / "dana" / module.id / "answers.json"
    assert POSTTEXT in submitted.read_text()
    assert any(POSTTEXT.encode() in p.read_bytes() for p in files_under(root / "autograded", root / "feedback"))
