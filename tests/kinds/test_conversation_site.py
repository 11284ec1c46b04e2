"""A practice conversation on the static site, in headless Chromium: played to the end by keyboard and mouse, with
a step back, no request off the site, axe-core clean (issue 13)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import nbformat
import pytest
from support import ROOT
from support.browser import Visit, axe_violations

from empathy_ce import cells
from empathy_ce.site import postrender
from empathy_ce.site.static_items import item_markup

SHOTS = Path(os.environ.get("EMPATHY_CE_SHOTS") or "/work/shots/convkind")
PRACTICE = ROOT / "solutions" / "m3-cultivation" / "cultivation_practice.ipynb"
ITEM = "m3-cultivation.conv.lucia"

pytestmark = pytest.mark.browser


def practice_spec() -> dict[str, Any]:
    for spec, _ in cells.notebook_items(PRACTICE):
        if spec["id"] == ITEM:
            return spec
    raise AssertionError(f"{ITEM} is not in {PRACTICE}")


def page_with(tmp_path: Path, spec: dict[str, Any]) -> Path:
    out = tmp_path / "_site"
    (out / "course").mkdir(parents=True)
    (out / "course" / "m.html").write_text(
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>Conversation</title></head>\n'
        f'<body><main id="quarto-document-content"><h1>Conversation</h1>{item_markup(spec)}</main></body></html>\n')
    assert postrender.process(ROOT, out) == []
    return out


def test_a_practice_conversation_plays_to_the_end_on_the_static_page(tmp_path: Path, serve: Any, browser: Any):
    spec = practice_spec()
    nb = nbformat.read(PRACTICE, as_version=4)
    assert any(ITEM in c.source for c in nb.cells)
    visit = Visit(browser, f"{serve(page_with(tmp_path, spec))}/course/m.html")
    try:
        page = visit.page
        item = page.locator(f".ece-item[data-item='{ITEM}']")
        item.wait_for()
        assert "Content note" in item.inner_text()  # shown first
        assert item.locator(".ece-conv-reply").count() == 0
        item.get_by_role("button", name="Start the conversation").click()
        log = item.locator("[role=log]")
        assert log.get_attribute("aria-live") == "polite"
        assert page.evaluate("document.activeElement.classList.contains('ece-conv-client')")
        # The written turn: submitted and locked before the choices show.
        assert item.locator(".ece-conv-reply").count() == 0
        item.get_by_label("Before you see the choices").fill("You're scared you frightened him, and ashamed.")
        item.get_by_role("button", name="Submit and lock my reply").click()
        assert "Your own reply (locked)" in log.inner_text()
        assert "Compare it with replies" in log.inner_text()  # practice: the expert examples after writing
        assert item.locator("textarea").count() == 0
        # Keyboard only: focus is on the first reply; Tab to the second, Enter chooses it.
        assert page.evaluate("document.activeElement.classList.contains('ece-conv-reply')")
        page.keyboard.press("Tab")
        chosen = page.evaluate("document.activeElement.dataset.key")
        page.keyboard.press("Enter")
        assert "You (turn 1)" in log.inner_text()
        assert "Empathy rating:" in log.inner_text() and "Code:" in log.inner_text()  # feedback in words
        assert page.evaluate("document.activeElement.classList.contains('ece-conv-client')")  # the new line
        assert chosen
        # Go back one turn, then take the expert's replies by mouse to the end.
        item.get_by_role("button", name="Go back one turn").click()
        assert "You (turn 1)" not in log.inner_text()
        for key in ("b", "c", "b"):
            item.locator(f".ece-conv-reply[data-key='{key}']").click()
        text = item.inner_text()
        assert "The conversation has ended" in text
        assert "R:Q" in text and "%CR" in text and "training heuristic" in text
        # Each measure named in words (the labels come with path.js's summary, as with Python's).
        assert "R:Q (reflections per question)" in text and "%CR (share of reflections that are complex)" in text
        assert "The path an experienced clinician would likely take" in text
        assert "earned 100% of the best path's score" in text
        assert axe_violations(page) == []
        SHOTS.mkdir(parents=True, exist_ok=True)
        item.screenshot(path=str(SHOTS / "conversation-static-page.png"))
        page.set_viewport_size({"width": 320, "height": 800})  # 400% zoom of a 1280-pixel window
        overflow = item.evaluate("e => e.scrollWidth - e.clientWidth")
        assert overflow <= 1
        item.screenshot(path=str(SHOTS / "conversation-static-page-narrow.png"))
        assert not visit.off_site() and not visit.errors, (visit.off_site(), visit.errors)
    finally:
        visit.close()


def test_every_practice_conversation_runs_on_its_module_page():
    """Each practice conversation of the embedded notebooks is embedded on its module's page (course/<module>.qmd),
    so the published site offers it like the other practice items (a fixture page alone proved nothing)."""
    found = 0
    for path in sorted((ROOT / "site" / "notebooks").glob("*/*.ipynb")):
        page = (ROOT / "course" / f"{path.parent.name}.qmd").read_text()
        for cell in nbformat.read(path, as_version=4).cells:
            spec = cells.item_spec(cell.source) if cell.cell_type == "code" else None
            if spec and spec.get("kind") == "conversation" and spec.get("mode") == "practice":
                label = next(line.split(":", 1)[1].strip() for line in cell.source.splitlines()
                             if line.startswith("#| label:"))
                assert f"{path.parent.parent.name}/{path.parent.name}/{path.name}#{label} >}}}}" in page, label
                found += 1
    assert found == 4  # Walter (m1), Lucía (m3), Nadia and Kai (m4)
