"""The course evaluation and a post-test's attestation answered in real JupyterLab (headless Debian Chromium), and
the report's evaluation and time-on-task sections in the browser; screenshots for a person to look at
(SHOTS/completion/)."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from nbgrader.coursedir import CourseDirectory
from playwright.sync_api import expect
from support import ROOT
from support import SHOTS as ALL_SHOTS
from support.instructor_course import make_course
from support.lab import Lab, menu, new_page, wait_kernel_idle, wait_view_released

from empathy_ce import cells
from empathy_ce import course as course_model
from empathy_ce.instructor import analysis, completion, report
from empathy_ce.instructor.results import Learner, ModuleResult, Results

SHOTS = ALL_SHOTS / "completion"
START = dt.datetime(2026, 5, 4, 9, 0, tzinfo=dt.UTC)
pytestmark = [pytest.mark.browser]  # the shared `browser` fixture (conftest): fails under CI without Chromium


@pytest.fixture
def learner(tmp_path: Path) -> Path:
    """A learner's copies of the released evaluation and the first module's post-test."""
    folder = tmp_path / "learner"
    shutil.copytree(ROOT / "exercises" / "course-evaluation", folder / "course-evaluation")
    shutil.copytree(ROOT / "exercises" / "m1-trust", folder / "m1-trust")
    return folder


@pytest.fixture
def lab(learner: Path, tmp_path: Path) -> Iterator[str]:
    """JupyterLab on the learner's folder (quiet settings); stopped with its kernels afterwards."""
    server = Lab(learner, tmp_path)
    try:
        yield server.start()
    finally:
        server.stop()


def saved(path: Path, item_id: str, timeout: float = 30) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            return json.loads(path.read_text())["items"][item_id]["value"]
        except (FileNotFoundError, KeyError, ValueError):
            time.sleep(0.2)
    pytest.fail(f"{item_id} never saved in {path}")


def open_and_run(page, base: str, notebook: str, shown: str) -> None:
    """Open the notebook, Run All once its kernel is idle, and wait for the item `shown` (JupyterLab draws only
    the cells near the view) and for the view to be the learner's again."""
    page.goto(f"{base}/lab/tree/{notebook}?reset")  # ?reset: not the workspace, with the last notebook, of before
    page.wait_for_selector(".jp-NotebookPanel .jp-Cell", timeout=60_000)
    wait_kernel_idle(page)
    for attempt in range(3):  # a Run All sent while a new kernel is still starting can be lost: run it again
        menu(page, "Run", "Run All Cells")
        try:
            page.wait_for_selector(f".ece-item[data-item='{shown}']", timeout=30_000)
            break
        except Exception:
            if attempt == 2:
                raise
    wait_kernel_idle(page)
    wait_view_released(page)


def test_a_learner_answers_the_evaluation_and_attests_in_jupyterlab(lab: str, learner: Path, browser: Any):
    SHOTS.mkdir(parents=True, exist_ok=True)
    errors: list[str] = []
    # Each notebook in a fresh page and a fresh workspace (open_and_run): JupyterLab would otherwise reopen the first
    # notebook too, and can show a dialog about it over the menu bar.
    page = new_page(browser, 1280, 900, errors)
    try:
        open_and_run(page, lab, "course-evaluation/course_evaluation.ipynb", "course-evaluation.objectives.trust-1")
        first = page.locator(".ece-item[data-item='course-evaluation.objectives.trust-1']")
        assert "course evaluation · not scored" in first.inner_text().lower()
        first.locator("label", has_text="Mostly").click()
        assert saved(learner / "course-evaluation" / "answers.json", "course-evaluation.objectives.trust-1") == 4
        first.scroll_into_view_if_needed()
        page.screenshot(path=str(SHOTS / "evaluation-notebook.png"))
        minutes = page.locator(".ece-item[data-item='course-evaluation.course.minutes'] input")
        minutes.fill("320")
        minutes.press("Tab")
        assert saved(learner / "course-evaluation" / "answers.json", "course-evaluation.course.minutes") == 320
        bias = page.locator(".ece-item[data-item='course-evaluation.course.bias']")
        bias.locator("label", has_text="No").click()
        bias.scroll_into_view_if_needed()
        page.screenshot(path=str(SHOTS / "evaluation-notebook-course.png"))

        page.context.close()
        page = new_page(browser, 1280, 900, errors)
        open_and_run(page, lab, "m1-trust/trust_posttest.ipynb", "m1-trust.post.attestation")
        attest = page.locator(".ece-item[data-item='m1-trust.post.attestation']")
        attest.scroll_into_view_if_needed()
        box = attest.locator("input[type=checkbox]")
        box.click()
        expect(box).to_be_checked()
        attest.get_by_label("Your full name").fill("Sam Rivera")
        attest.get_by_label("Minutes you spent").fill("70")
        attest.get_by_label("License number").fill("LPC-40417")
        attest.get_by_label("Licensing jurisdiction").fill("Oregon")
        attest.get_by_label("Licensing jurisdiction").press("Tab")
        deadline = time.monotonic() + 30
        while True:
            value = saved(learner / "m1-trust" / "answers.json", "m1-trust.post.attestation")
            if value.get("license_jurisdiction") == "Oregon" or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert value == {"attested": True, "name": "Sam Rivera", "minutes": 70, "license_number": "LPC-40417",
                         "license_jurisdiction": "Oregon"}
        assert "attestation · not scored" in attest.inner_text().lower()
        page.screenshot(path=str(SHOTS / "posttest-attestation.png"))
    finally:
        page.context.close()
    assert not errors, errors
    record = json.loads((learner / "m1-trust" / "answers.json").read_text())["items"]["m1-trust.post.attestation"]
    assert record["first"] <= record["saved"]


def test_the_report_sections_in_the_browser(tmp_path: Path, browser: Any):
    """Six learners, five evaluations: the summary shows, with no learner id; one quick post-test is flagged."""
    root = make_course(tmp_path / "course")
    course = course_model.load(root)
    ids = [f"learner-{n:02d}" for n in range(6)]
    specs = cells.notebook_items(completion.evaluation_notebook(course))
    for n, learner in enumerate(ids[:5]):
        items = {s["id"]: {"value": {"scale": 2 + (n + i) % 4, "choice": "yes" if n == 4 else "no",
                                     "number": 240 + 30 * n, "text": f"Comment {n} on {s['id'].rsplit('.', 1)[-1]}."
                                     }[s["response"]], "kind": "survey"} for i, (s, _) in enumerate(specs)}
        path = root / "submitted" / learner / course.raw["evaluation"] / "answers.json"
        path.parent.mkdir(parents=True)
        path.write_text(json.dumps({"format": "empathy-ce/answers", "version": 1, "items": items}))
        for module in course.modules:
            span = 10 if (n, module.id) == (0, "m1-trust") else 40
            folder = root / "submitted" / learner / module.id
            folder.mkdir(parents=True)
            answers = {f"{module.id}.post.q1": {"value": "a", "kind": "single", "first": START.isoformat(),
                                                "saved": (START + dt.timedelta(minutes=span)).isoformat()},
                       f"{module.id}.post.attestation": {"value": {"attested": True, "name": "X", "minutes": 60},
                                                         "kind": "attestation", "saved": START.isoformat()}}
            (folder / "answers.json").write_text(json.dumps({"format": "empathy-ce/answers", "version": 1,
                                                             "items": answers}))
    learners = [Learner(i, None, None, None, {m.id: ModuleResult(m.id, submitted=True, score=9, max_points=10,
                                                                 status=analysis.PASS, timestamp=START)
                                              for m in course.modules}, status=analysis.ELIGIBLE) for i in ids]
    found = Results(course, CourseDirectory(root=str(root)), {m.id: [] for m in course.modules}, learners)
    completion.apply(found)
    written = report.write(report.build(found), root / "reports")
    page_path = root / "reports" / "report.html"
    assert page_path in written and (root / "reports" / "evaluation.csv") in written
    html = page_path.read_text()
    section = html[html.index('<section id="evaluation">'):html.index('<section id="items">')]
    assert "5 learners submitted a readable course evaluation." in section
    assert not any(i in section for i in ids)
    needs = html[html.index('id="certificate-needs"'):]
    assert "learner-05: m1-trust: no attestation in the post-test" in needs
    assert "course evaluation not submitted" in needs
    SHOTS.mkdir(parents=True, exist_ok=True)
    page = new_page(browser, 1366, 900, [])
    try:
        page.goto(page_path.as_uri())
        assert page.evaluate("document.documentElement.scrollWidth") <= 1366
        page.locator("#evaluation").screenshot(path=str(SHOTS / "report-evaluation.png"))
        page.locator("#time-on-task").screenshot(path=str(SHOTS / "report-time-on-task.png"))
        flagged = page.locator("#time-on-task tbody tr").first.inner_text()
        assert "learner-00" in flagged and "m1-trust" in flagged and "implausibly short" in flagged
    finally:
        page.context.close()
