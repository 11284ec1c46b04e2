"""Acceptance: a learner works through the module notebook in real JupyterLab, in headless Debian Chromium.

Open the released notebook, Run All, answer by clicking and by keyboard only, restart the kernel and Run All
again: the answers come back from answers.json and the widgets show them.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support import ROOT, golden
from support import SHOTS as ALL_SHOTS
from support.lab import (
    Lab,
    focused,
    item,
    menu,
    new_page,
    open_notebook,
    practice_answers,
    press,
    read_answers,
    wait_kernel_idle,
    wait_view_released,
)

SCREENSHOT_COPY = Path("/tmp/lab-browser.png")
SENTENCE = "You feel let down, because the plan mattered to you."
EXPECTED = {
    "gold.post.single": "b",
    "gold.post.multiple": ["a", "c"],
    "gold.post.rating": 3,
    "gold.post.ordering": ["a", "b", "c", "d"],
    "gold.post.numeric": 0.0784,
    "gold.post.text": SENTENCE,
}

pytestmark = pytest.mark.browser


# ---------------------------------------------------------------------------------------------- the server


@pytest.fixture
def learner(course, tmp_path: Path) -> Path:
    """A learner's copy of the released golden notebook: what a learner opens."""
    course.add_source("gold", "gold", golden.notebook())
    course.nbgrader("generate_assignment", "gold", "--force")
    folder = tmp_path / "learner"
    shutil.copytree(course.root / "exercises" / "gold", folder)
    assert (folder / "gold.ipynb").exists()
    assert not (folder / "answers.json").exists()
    return folder


@pytest.fixture
def lab(learner: Path, tmp_path: Path) -> Iterator[str]:
    """A real JupyterLab server serving the learner folder; stopped (kernels included) afterwards."""
    server = Lab(learner, tmp_path)
    try:
        yield server.start()
    finally:
        server.stop()


# ---------------------------------------------------------------------------------------------- page helpers


def order_labels(page) -> list[str]:
    return item(page, "gold.post.ordering").locator(".ece-order-label").all_inner_texts()


def wait_rendered(page) -> None:
    """Seven fresh item widgets, a progress line counting seven items, an idle kernel, the view released."""
    page.wait_for_function(
        """() => document.querySelectorAll('.ece-item:not([data-stale])').length === 7
                 && document.querySelectorAll('.ece-item[data-stale]').length === 0""")
    page.wait_for_function(
        """() => /of 7 items answered/.test(document.querySelector('.ece-progress')?.textContent || '')""")
    wait_kernel_idle(page)
    wait_view_released(page)


def wait_answers(path: Path, expected: dict[str, Any], timeout: float = 30) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        values = read_answers(path)
        if values == expected:
            return values
        if time.monotonic() > deadline:
            pytest.fail(f"answers.json never held the expected answers.\nexpected {expected}\nfound    {values}")
        time.sleep(0.2)


# ---------------------------------------------------------------------------------------------- the test


def test_answers_survive_kernel_restart_in_jupyterlab(browser: Any, lab: str, learner: Path, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    answers_file = learner / "answers.json"
    screenshot = tmp_path / "lab-browser.png"
    console_errors: list[str] = []

    page = new_page(browser, 1280, 1000, console_errors)
    try:
        # Open the notebook; wait for its kernel, then Run All from the menu.
        open_notebook(page, lab, "gold")
        menu(page, "Run", "Run All Cells")
        wait_rendered(page)
        expect(page.locator(".ece-progress")).to_contain_text("0 of 7 items answered")

        # --- By clicking: single choice B; multiple A and C.
        single = item(page, "gold.post.single")
        single.locator("label", has_text="Option B").click()
        expect(single.locator("input[value='b']")).to_be_checked()
        multiple = item(page, "gold.post.multiple")
        multiple.locator("label", has_text="Option A").click()
        multiple.locator("label", has_text="Option C").click()
        expect(multiple.locator("input:checked")).to_have_count(2)

        # --- By keyboard only. Rating: reach the group once, then Space and arrow keys.
        rating = item(page, "gold.post.rating")
        rating.locator("input[type=radio]").first.focus()
        assert press(page, "Space")["value"] == "1"
        assert press(page, "ArrowDown")["value"] == "2"
        now = press(page, "ArrowRight")
        # The arrow keys must stay inside the radio group (not move JupyterLab's cell cursor).
        assert now["item"] == "gold.post.rating" and now["value"] == "3" and now["checked"], now
        assert now["outline"], f"no visible focus outline on the focused rating radio: {now}"
        expect(rating.locator("input:checked")).to_have_value("3")

        # Ordering: from c,a,d,b to a,b,c,d with the Move buttons, Tab and Enter/Space only.
        assert order_labels(page) == ["Option C", "Option A", "Option D", "Option B"]
        ordering = item(page, "gold.post.ordering")
        ordering.locator("button.ece-move:not([disabled])").first.focus()
        assert focused(page)["label"] == "Move down: Option C"
        assert press(page, "Tab")["label"] == "Move up: Option A"
        now = press(page, "Enter")
        assert order_labels(page) == ["Option A", "Option C", "Option D", "Option B"]
        assert now["label"] == "Move down: Option A", now  # its Move up is now disabled
        assert now["outline"], f"no visible focus outline on the focused Move button: {now}"
        for label in ("Move up: Option C", "Move down: Option C", "Move up: Option D", "Move down: Option D",
                      "Move up: Option B"):
            assert press(page, "Tab")["label"] == label
        assert press(page, "Space")["label"] == "Move up: Option B"  # focus follows the moved row
        assert order_labels(page) == ["Option A", "Option C", "Option B", "Option D"]
        assert press(page, "Enter")["label"] == "Move up: Option B"
        assert order_labels(page) == ["Option A", "Option B", "Option C", "Option D"]
        for label in ("Move down: Option B", "Move up: Option C", "Move down: Option C", "Move up: Option D"):
            assert press(page, "Tab")["label"] == label
        assert press(page, "Tab")["text"] == "Save this order"
        page.keyboard.press("Enter")

        # Numeric: type the number and press Enter.
        numeric = item(page, "gold.post.numeric")
        numeric.locator("input.ece-number").focus()
        page.keyboard.type("0.0784")
        page.keyboard.press("Enter")
        expect(numeric.locator("input.ece-number")).not_to_have_attribute("aria-invalid", "true")

        # Text: type a sentence, then Tab away so that the change event fires.
        text = item(page, "gold.post.text")
        text.locator("textarea").focus()
        page.keyboard.type(SENTENCE)
        now = press(page, "Tab")
        assert now["item"] == "gold.post.text" and now["tag"] == "BUTTON", now
        expect(text.locator(".ece-count")).to_have_text(
            f"{len(SENTENCE.split())} words · {len(SENTENCE)} of 20,000 characters")

        # --- The kernel saved every answer to answers.json beside the notebook.
        saved = wait_answers(answers_file, EXPECTED)
        assert saved["gold.post.numeric"] == pytest.approx(0.0784)
        raw = json.loads(answers_file.read_text("utf-8"))
        assert raw["format"] == "empathy-ce/answers" and raw["version"] == 1
        assert {k: v["kind"] for k, v in raw["items"].items()} == {
            "gold.post.single": "single", "gold.post.multiple": "multiple", "gold.post.rating": "rating",
            "gold.post.ordering": "ordering", "gold.post.numeric": "numeric", "gold.post.text": "text"}
        expect(page.locator(".ece-progress")).to_contain_text("6 of 7 items answered")
        # Every item shows the kernel's confirmation, also after several changes within one second.
        for item_id in EXPECTED:
            expect(item(page, item_id).locator(".ece-status")).to_contain_text("Saved at")

        # --- Restart the kernel and run everything again.
        page.evaluate("() => document.querySelectorAll('.ece-item, .ece-progress')"
                      ".forEach(e => e.dataset.stale = '1')")
        menu(page, "Kernel", "Restart Kernel and Run All Cells…")
        dialog = page.locator(".jp-Dialog")
        expect(dialog).to_contain_text("Restart Kernel?")
        dialog.locator("button.jp-mod-accept").click()
        expect(dialog).to_have_count(0)
        # A restart starts a kernel, as opening the notebook did: it gets the time the first start had (the page and
        # its kernel) until the new kernel's setup cell draws a fresh progress line; then the items get theirs.
        # (One 30 s wait for kernel start, imports and every cell timed out under the full suite's load.)
        page.wait_for_selector(".ece-progress:not([data-stale])", timeout=60_000)
        wait_rendered(page)

        # The restored answers are shown by the new widgets, found by their accessible roles and names
        # (which also checks that every control is labelled) ...
        single = item(page, "gold.post.single").get_by_role("group", name="Pick the best option.")
        expect(single.get_by_role("radio", name="Option B", exact=True)).to_be_checked()
        expect(single.locator("input:checked")).to_have_count(1)
        multiple = item(page, "gold.post.multiple").get_by_role("group", name="Select all that apply.")
        for label, checked in (("Option A", True), ("Option B", False), ("Option C", True), ("Option D", False)):
            expect(multiple.get_by_role("checkbox", name=label, exact=True)).to_be_checked(checked=checked)
        rating = item(page, "gold.post.rating").get_by_role("group", name="Rate the reply.")
        expect(rating.get_by_role("radio", name="3", exact=True)).to_be_checked()
        expect(rating.locator("input:checked")).to_have_count(1)
        ordering = item(page, "gold.post.ordering")
        steps = ordering.get_by_role("list", name="Put the steps in order.")
        expect(steps.get_by_role("listitem")).to_have_count(4)
        expect(ordering.locator(".ece-order-label")).to_have_text(["Option A", "Option B", "Option C", "Option D"])
        expect(ordering.get_by_role("button", name="Move up: Option A")).to_be_disabled()
        expect(ordering.get_by_role("button", name="Move down: Option D")).to_be_disabled()
        numeric = item(page, "gold.post.numeric")
        expect(numeric.get_by_role("textbox", name="Compute r squared for r = .28.")).to_have_value("0.0784")
        expect(item(page, "gold.post.text").get_by_role("textbox", name="Write a reflection.")).to_have_value(
            SENTENCE)
        # All items look alike: the item box's own styles are not overridden by a part's styles.
        looks = page.evaluate(
            """() => [...document.querySelectorAll('.ece-item')].map(e => {
                   const s = getComputedStyle(e);
                   return [e.dataset.item, s.fontSize, s.lineHeight, s.padding]; })""")
        assert len({tuple(look[1:]) for look in looks}) == 1, looks
        # ... the practice item is still unanswered, and the progress line counts six of seven.
        expect(item(page, "gold.practice.single").locator("input:checked")).to_have_count(0)
        expect(page.locator(".ece-progress")).to_have_count(1)
        expect(page.locator(".ece-progress")).to_contain_text("6 of 7 items answered")
        assert read_answers(answers_file) == EXPECTED  # re-running changed nothing on disk

        # Screenshot of the whole notebook: hide the side bar, make the window as tall as the notebook.
        page.locator(".jp-SideBar.jp-mod-left .lm-TabBar-tab.lm-mod-current").click()
        expect(page.locator("#jp-left-stack")).to_be_hidden()
        height = page.evaluate(
            """() => { const outer = document.querySelector('.jp-NotebookPanel .jp-WindowedPanel-outer');
                       const cells = outer.querySelectorAll('.jp-Cell');
                       outer.scrollTop = 0;
                       return cells[cells.length - 1].getBoundingClientRect().bottom; }""")
        page.set_viewport_size({"width": 1280, "height": min(int(height) + 60, 8000)})
        expect(item(page, "gold.practice.single")).to_be_in_viewport(ratio=1)
        page.screenshot(path=str(screenshot))
    finally:
        page.context.close()

    shutil.copy(screenshot, SCREENSHOT_COPY)
    print(f"screenshot: {screenshot} (copied to {SCREENSHOT_COPY})")
    assert not console_errors, f"uncaught errors in the page: {console_errors}"


# ------------------------------------------------------------------------ a real module notebook (issue 15)

SHOTS = ALL_SHOTS / "learner"
PASTE = ("I notice that I carry my clients' stories home with me. " * 1200)[:64_000]
SHORT = "A plan for next month: supervision every second week."


def course_module_with_practice_text() -> tuple[str, str, list[dict[str, Any]]]:
    """The first module whose practice notebook has a written item: (module, practice notebook, its items)."""
    from empathy_ce import cells
    from empathy_ce import course as course_model

    course = course_model.load(ROOT)
    for module in course.modules:
        for name in module.practice:
            specs = [spec for spec, _ in cells.notebook_items(course.root / "exercises" / module.id / f"{name}.ipynb")]
            if any(s["kind"] == "text" for s in specs):
                return module.id, name, specs
    raise AssertionError("no practice notebook with a written item")


@pytest.fixture
def module_lab(tmp_path: Path) -> Iterator[tuple[Lab, str, list[dict[str, Any]], Path]]:
    """A learner's copy of a real module folder of exercises/, served by JupyterLab; practice answers private."""
    module, notebook, specs = course_module_with_practice_text()
    folder = tmp_path / "home" / module
    shutil.copytree(ROOT / "exercises" / module, folder)
    private = tmp_path / "private"
    lab = Lab(folder, tmp_path, {"EMPATHY_CE_PRACTICE_DIR": str(private)})
    lab.start()
    try:
        yield lab, notebook, specs, private
    finally:
        lab.stop()


def scroller_top(page) -> float:
    return page.evaluate("() => document.querySelector('.jp-NotebookPanel .jp-WindowedPanel-outer').scrollTop")


def shoot(page, name: str, at: str | None = None) -> None:
    """A screenshot for the report; `at`: a selector to bring to the top of the view first (then back)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    before = scroller_top(page)
    if at:
        page.evaluate("""(sel) => { const outer = document.querySelector('.jp-NotebookPanel .jp-WindowedPanel-outer');
                                    const el = document.querySelector(sel);
                                    outer.scrollTop += el.getBoundingClientRect().top
                                                     - outer.getBoundingClientRect().top - 10; }""", at)
        page.wait_for_timeout(300)
    page.screenshot(path=str(SHOTS / name))
    if at:
        page.evaluate("(top) => { document.querySelector('.jp-NotebookPanel .jp-WindowedPanel-outer')"
                      ".scrollTop = top; }", before)


def test_a_learner_works_through_a_real_module_notebook(browser: Any, module_lab) -> None:
    """Issue 15, points 2-5, on a real module's practice notebook in JupyterLab and headless Chromium."""
    from playwright.sync_api import expect

    lab, notebook, specs, private = module_lab
    total = len(specs)
    text_spec = next(s for s in specs if s["kind"] == "text")
    text_number = specs.index(text_spec) + 1
    single_numbers = [i + 1 for i, s in enumerate(specs) if s["kind"] == "single"]
    errors: list[str] = []
    page = new_page(browser, 1366, 768, errors)
    try:
        open_notebook(page, lab.base, notebook)
        shoot(page, "1-first-open.png")
        shoot(page, "1b-first-open-items.png", at=".jp-CodeCell")

        # --- Run All from the top: the view stays where the learner is, every item renders.
        assert scroller_top(page) < 5
        menu(page, "Run", "Run All Cells")
        page.wait_for_function(f"() => document.querySelectorAll('.ece-item').length === {total}")
        wait_kernel_idle(page)
        wait_view_released(page)  # the view is the learner's again: it must still be where they had it
        assert scroller_top(page) < 50, "Run All moved the view away from where the learner was"
        shoot(page, "2-after-run-all.png")
        shoot(page, "2b-after-run-all-items.png", at=".jp-Cell:has(.ece-item)")

        # --- Point 4: no item code shows; answering does not select the cell; progress stays in view.
        shown_inputs = page.evaluate(
            """() => [...document.querySelectorAll('.jp-Cell')].filter(c => c.querySelector('.ece-item'))
                     .filter(c => { const w = c.querySelector('.jp-Cell-inputWrapper');
                                    return w && w.getBoundingClientRect().height > 0; }).length""")
        assert shown_inputs == 0, f"{shown_inputs} item cells still show their code input"
        first_single = specs[single_numbers[0] - 1]["id"]
        single = item(page, first_single)
        single.scroll_into_view_if_needed()
        active = ("() => [...document.querySelectorAll('.jp-NotebookPanel .jp-Cell')]"
                  ".findIndex(c => c.classList.contains('jp-mod-active'))")
        active_before = page.evaluate(active)
        single.locator(".ece-prompt").click()  # the question's text
        single.locator(".ece-choice label").first.click()  # an answer
        assert page.evaluate(active) == active_before, "clicking an answer selected the item's cell"
        expect(page.locator(".jp-Cell.jp-mod-active").locator(f".ece-item[data-item='{first_single}']")).to_have_count(0)
        pill = page.locator(".ece-progress-pill")
        expect(pill).to_be_in_viewport()
        expect(pill).to_have_text(f"Progress: 1 of {total} items answered")

        # --- Point 5: arrow keys browse without verdicts; Enter or the named Check button commits.
        number = single_numbers[1]
        keyboard = item(page, specs[number - 1]["id"])
        keyboard.scroll_into_view_if_needed()
        keyboard.locator("input[type=radio]").first.focus()
        page.keyboard.press("Space")
        for _ in range(3):
            page.keyboard.press("ArrowDown")
            expect(keyboard.locator(".ece-feedback")).to_be_empty()
        assert keyboard.locator(".ece-verdict").count() == 0
        page.keyboard.press("Enter")
        verdict = keyboard.locator(".ece-verdict")
        expect(verdict).to_have_count(1)
        feedback = keyboard.locator(".ece-feedback").inner_text()
        for word in ("Correct", "Not quite", "Partly correct"):
            assert feedback.count(word) <= 1, f"the verdict is stated twice: {feedback!r}"
        check = keyboard.get_by_role("button", name=f"Check answer to question {number}", exact=True)
        expect(check).to_have_count(1)
        keyboard.locator("input[type=radio]").nth(0).check()
        expect(keyboard.locator(".ece-feedback")).to_be_empty()  # a new choice waits for a new check
        check.click()
        expect(keyboard.locator(".ece-verdict")).to_have_count(1)

        # --- Point 3: the limit and a live count; 64,000 characters stay in the box, marked, not saved.
        written = item(page, text_spec["id"])
        written.scroll_into_view_if_needed()
        area = written.locator("textarea")
        count = written.locator(".ece-count")
        expect(count).to_contain_text("of 20,000 characters")
        area.fill(SHORT)
        written.get_by_role("button", name=f"Save and compare to question {text_number}").click()
        deadline = time.monotonic() + 30
        while practice_answers(private).get(text_spec["id"]) != SHORT:
            assert time.monotonic() < deadline, f"the short answer was not saved: {practice_answers(private)}"
            time.sleep(0.2)
        expect(count).to_contain_text(f"{len(SHORT)} of 20,000 characters")
        area.focus()
        page.keyboard.press("Control+a")
        page.keyboard.insert_text(PASTE)  # what a paste does: one input event with the whole text
        expect(area).to_have_attribute("aria-invalid", "true")
        expect(count).to_contain_text("Not saved")
        page.keyboard.press("Tab")  # leaving the box commits a normal answer
        page.wait_for_timeout(1500)
        assert len(area.input_value()) == 64_000, "the pasted text left the box"
        expect(count).to_contain_text("64,000 of 20,000 characters")
        assert practice_answers(private).get(text_spec["id"]) == SHORT, "the saved answer changed"
        assert not (lab.folder / "answers.json").exists() or text_spec["id"] not in read_answers(
            lab.folder / "answers.json")
        area.fill(SHORT + " More.")
        expect(area).not_to_have_attribute("aria-invalid", "true")

        # Practice answers come back after a kernel restart (from the private file, by message).
        page.evaluate("() => document.querySelectorAll('.ece-item').forEach(e => e.dataset.stale = '1')")
        menu(page, "Kernel", "Restart Kernel and Run All Cells…")
        page.locator(".jp-Dialog button.jp-mod-accept").click()
        page.wait_for_function(f"() => document.querySelectorAll('.ece-item:not([data-stale])').length === {total}")
        wait_kernel_idle(page)
        # (leaving the box for the menu saved the shortened text)
        expect(item(page, text_spec["id"]).locator("textarea")).to_have_value(SHORT + " More.")
        assert practice_answers(private)[text_spec["id"]] == SHORT + " More."
        expect(item(page, first_single).locator("input:checked")).to_have_count(1)
        expect(page.locator(".ece-progress-pill")).to_have_text(f"Progress: 3 of {total} items answered")

        # --- Point 2: save, close JupyterLab and the kernel, reopen: readable items, one instruction.
        saved_at = (lab.folder / f"{notebook}.ipynb").stat().st_mtime
        menu(page, "File", "Save Notebook")
        deadline = time.monotonic() + 30
        while (lab.folder / f"{notebook}.ipynb").stat().st_mtime == saved_at:
            assert time.monotonic() < deadline, "the notebook was not saved"
            time.sleep(0.2)
        page.context.close()
        lab.stop()
        lab.start()
        page = new_page(browser, 1366, 768, errors)
        open_notebook(page, lab.base, notebook)
        page.wait_for_timeout(4000)  # the widget manager gives up on missing models after about 2 s
        shoot(page, "3-reopened-without-kernel.png")
        shoot(page, "3b-reopened-without-kernel-items.png", at=".jp-Cell:has(.ece-static-output)")
        body = page.locator(".jp-NotebookPanel").inner_text()
        assert "Error displaying widget" not in body and "Loading widget" not in body
        assert "choose Run > Run All Cells" in body
        statics = page.locator(".ece-static-output fieldset.ece-static")
        expect(statics.first).to_be_visible()
        for spec in specs:  # each item's own text is there, found by its id (outside the viewport too)
            assert page.locator(f".ece-static[data-ece-item='{spec['id']}']").count() == 1, spec["id"]
        expect(page.locator(".jp-Cell-inputWrapper:visible", has_text="ask(")).to_have_count(0)
    finally:
        page.context.close()
    assert not errors, f"uncaught errors in the page: {errors}"
