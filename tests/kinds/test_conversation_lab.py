"""Conversations in real JupyterLab, in headless Debian Chromium (issue 13): the module's practice notebook, one
conversation played by mouse (with a step back), one by keyboard only; restart the kernel, Run All: both are
restored where the learner left them (from the private practice answers.json)."""

from __future__ import annotations

import os
import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support import ROOT
from support.lab import Lab, menu, new_page, open_notebook, practice_answers, wait_kernel_idle, wait_view_released

from empathy_ce import cells

SHOTS = Path(os.environ.get("EMPATHY_CE_SHOTS") or "/work/shots/convkind")
MODULE, NOTEBOOK = "m4-boundaries", "boundaries_practice"
MOUSE, KEYBOARD = "m4-boundaries.conv.nadia", "m4-boundaries.conv.kai"

pytestmark = [pytest.mark.browser]  # the shared `browser` fixture (conftest): fails under CI without Chromium


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[tuple[str, Path, int]]:
    """JupyterLab on a learner's copy of the module's released folder; practice answers kept privately."""
    folder = tmp_path / "home" / MODULE
    shutil.copytree(ROOT / "exercises" / MODULE, folder)
    total = len(cells.notebook_items(folder / f"{NOTEBOOK}.ipynb"))
    private = tmp_path / "private"
    server = Lab(folder, tmp_path, {"EMPATHY_CE_PRACTICE_DIR": str(private)})
    try:
        yield server.start(), private, total
    finally:
        server.stop()


def wait_for(check: Any, what: str, timeout: float = 30) -> Any:
    deadline = time.monotonic() + timeout
    while not (found := check()):
        if time.monotonic() > deadline:
            pytest.fail(f"never happened: {what}")
        time.sleep(0.2)
    return found


def active(page: Any) -> dict[str, Any]:
    return page.evaluate("""() => { const e = document.activeElement;
        return {cls: e.className, key: e.dataset.key || null, node: e.dataset.node || null,
                item: e.closest('.ece-item')?.dataset.item || null}; }""")


def test_conversations_by_mouse_and_keyboard_survive_a_kernel_restart(browser: Any,
                                                                     lab: tuple[str, Path, int]) -> None:
    from playwright.sync_api import expect

    base, private, total = lab
    errors: list[str] = []
    page = new_page(browser, 1366, 900, errors)
    try:
        open_notebook(page, base, NOTEBOOK)
        menu(page, "Run", "Run All Cells")
        page.wait_for_function(f"() => document.querySelectorAll('.ece-item').length === {total}")
        wait_kernel_idle(page)
        wait_view_released(page)  # else the view, held after the run, jumps back under Playwright's click
        # Released means released: a script's scroll now stays (every widget's copy of item.js shares one guard).
        page.evaluate("() => { document.querySelector('.jp-NotebookPanel .jp-WindowedPanel-outer').scrollTop = 600; }")
        page.wait_for_timeout(300)
        top = page.evaluate("() => document.querySelector('.jp-NotebookPanel .jp-WindowedPanel-outer').scrollTop")
        assert top > 300, f"the view was moved back (to {top}) after the hold had ended"

        # --- By mouse, with a step back.
        nadia = page.locator(f".ece-item[data-item='{MOUSE}']")
        nadia.scroll_into_view_if_needed()
        nadia.get_by_role("button", name=re.compile("^Start the conversation")).click()
        nadia.locator(".ece-conv-reply").first.click()
        first = nadia.locator(".ece-conv-you").first.inner_text()
        assert "Empathy rating:" in first  # practice feedback, in words
        wait_for(lambda: practice_answers(private).get(MOUSE), "the first reply is saved")
        nadia.get_by_role("button", name=re.compile("^Go back one turn")).click()
        expect(nadia.locator(".ece-conv-you")).to_have_count(0)
        wait_for(lambda: MOUSE not in practice_answers(private) or not practice_answers(private)[MOUSE],
                 "going back is saved")
        nadia.locator(".ece-conv-reply").nth(1).click()
        nadia.locator(".ece-conv-reply").first.click()
        mouse_path = wait_for(lambda: (practice_answers(private).get(MOUSE) or {}).get("path")
                              if len((practice_answers(private).get(MOUSE) or {}).get("path", [])) == 2 else None,
                              "two replies saved")
        shown_mouse = nadia.locator(".ece-conv-log").inner_text()

        # --- By keyboard only: Enter starts, focus goes to the client's line, Tab reaches the replies.
        kai = page.locator(f".ece-item[data-item='{KEYBOARD}']")
        kai.scroll_into_view_if_needed()
        kai.get_by_role("button", name=re.compile("^Start the conversation")).focus()
        page.keyboard.press("Enter")
        assert active(page)["node"] and active(page)["item"] == KEYBOARD  # the client's line has focus
        for turn in (1, 2):
            page.keyboard.press("Tab")
            page.keyboard.press("Tab")  # the second reply
            chosen = active(page)
            assert chosen["key"] and chosen["item"] == KEYBOARD, chosen
            page.keyboard.press("Enter")
            assert active(page)["node"], f"turn {turn}: focus did not move to the client's new line"
        keyboard_path = wait_for(lambda: (practice_answers(private).get(KEYBOARD) or {}).get("path")
                                 if len((practice_answers(private).get(KEYBOARD) or {}).get("path", [])) == 2
                                 else None, "the keyboard replies are saved")
        shown_keyboard = kai.locator(".ece-conv-log").inner_text()
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / "conversation-lab-keyboard.png"))

        # --- Restart the kernel, Run All: both conversations replay to where they were.
        page.evaluate("() => document.querySelectorAll('.ece-item').forEach(e => e.dataset.stale = '1')")
        menu(page, "Kernel", "Restart Kernel and Run All Cells…")
        page.locator(".jp-Dialog button.jp-mod-accept").click()
        page.wait_for_function(
            f"() => document.querySelectorAll('.ece-item:not([data-stale])').length === {total}")
        wait_kernel_idle(page)
        nadia = page.locator(f".ece-item[data-item='{MOUSE}']:not([data-stale])")
        kai = page.locator(f".ece-item[data-item='{KEYBOARD}']:not([data-stale])")
        expect(nadia.locator(".ece-conv-you")).to_have_count(2)
        expect(kai.locator(".ece-conv-you")).to_have_count(2)
        assert nadia.locator(".ece-conv-log").inner_text() == shown_mouse
        assert kai.locator(".ece-conv-log").inner_text() == shown_keyboard
        assert practice_answers(private)[MOUSE]["path"] == mouse_path
        assert practice_answers(private)[KEYBOARD]["path"] == keyboard_path
        wait_view_released(page)
        for _ in range(3):  # the notebook renders cells near the view only: scroll, let it lay out, again
            page.evaluate("""(sel) => { const el = document.querySelector(sel);
                                        const outer = el.closest('.jp-WindowedPanel-outer');
                                        outer.scrollTop += el.getBoundingClientRect().top
                                                         - outer.getBoundingClientRect().top - 10; }""",
                          f".ece-item[data-item='{KEYBOARD}']:not([data-stale]) .ece-conv-log")
            page.wait_for_timeout(400)
        page.screenshot(path=str(SHOTS / "conversation-lab-restored.png"))
        assert not errors, errors
    finally:
        page.context.close()
