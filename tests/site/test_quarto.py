"""The website as readers get it (issue 14): a real Quarto render, checked in headless Debian Chromium.

The whole site is rendered once per session by the real `quarto render` into a temporary copy of the project
(without Quarto the tests skip, and fail under CI), served over HTTP on 127.0.0.1, then:
- every page is present, the root redirects, nothing is requested from another host, axe-core finds no
  WCAG 2.0/2.1 A/AA or 2.2 AA violation, and each page's first-load weight is reported and under 1 MB, with
  the item front end loaded once per page;
- practice items answer clicks and keys with the right feedback (the verdict once), keyboard only too;
- with scripts off, every practice item's vignette, question and options are on its module page;
- search.json holds every practice item's text, and the site's search box finds a page by a vignette phrase;
- a printed module page (Chromium's PDF, then an image by pdftoppm) shows the items with their options and
  no feedback or navigation;
- at 200% zoom (640 CSS px) and on a 360 px phone viewport no page scrolls sideways.

Set SITE_SHOTS=/some/folder to keep the screenshots and the printed page image.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import nbformat
import pytest
import yaml
from support import ROOT
from support.browser import Visit, axe_violations, missing

from empathy_ce import cells
from empathy_ce import course as course_model
from empathy_ce.items import validate_item
from empathy_ce.scoring import fraction
from empathy_ce.site import notebooks as site_notebooks
from empathy_ce.site import pages
from empathy_ce.widget import front_end_spec

pytestmark = pytest.mark.browser

COURSE = course_model.load(ROOT)
PAGES = pages(ROOT)
MODULE_PAGES = [ROOT / "course" / f"{m.id}.qmd" for m in COURSE.modules]
NOT_COPIED = (".git", ".venv", "node_modules", "_site", ".quarto", ".pytest_cache", ".ruff_cache", "__pycache__",
              "*.egg-info", "answers*.json", "backups", "submitted", "autograded", "feedback", "exchange", "reports",
              "certificates", "gradebook.db", "*.quarto_ipynb")
PAGE_LIMIT = 1_000_000  # bytes, all assets counted, first load
# Lines Quarto prints that are not about the site (the kernel's notice about its local TCP transport).
HARMLESS_WARNING = re.compile(r"Kernel is running over TCP without encryption")


def relative_html(page: Path) -> str:
    return page.relative_to(ROOT).with_suffix(".html").as_posix()


def compact(text: str) -> str:
    """Text with all whitespace removed: markup and the browser's layout may place spaces differently."""
    return re.sub(r"\s+", "", text)


def plain(fragment: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", fragment))


def page_items(page: Path) -> list[dict[str, Any]]:
    """The front-end view of every item a page embeds, in page order."""
    found = []
    for notebook, labels in site_notebooks.embeds(page):
        nb = nbformat.read(notebook, as_version=4)
        by_label = {}
        for cell in nb.cells:
            if cell.cell_type == "code":
                options = yaml.safe_load("\n".join(line[3:] for line in cell.source.splitlines()
                                                   if line.startswith("#| "))) or {}
                by_label[options.get("label")] = cell
        for label in labels:
            spec = cells.item_spec(by_label[label].source)
            if spec is not None:
                found.append(front_end_spec(validate_item(spec)))
    return found


def item_texts(view: dict[str, Any]) -> list[str]:
    """What a reader must see of an item: vignette, question, options (or scale points)."""
    texts = [plain(view[f]) for f in ("context", "prompt") if view.get(f)]
    texts += [plain(o["label"]) for o in view.get("options", [])]
    texts += [plain(v) for v in view.get("scale", {}).get("labels", {}).values()]
    return texts


def shot(path: Path) -> None:
    """Keep a screenshot or image where SITE_SHOTS asks (for people to look at)."""
    folder = os.environ.get("SITE_SHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, Path(folder) / path.name)


# ---------------------------------------------------------------------------------------------- the render


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """The real Quarto render of a copy of the project: (its _site folder, Quarto's output)."""
    quarto = shutil.which("quarto")
    if quarto is None:
        missing("quarto is not on PATH: install it with ../shared/tools/quarto/install-quarto (see README)")
    project = tmp_path_factory.mktemp("quarto") / "project"
    # The project as a fresh clone has it (pages may read any course file: solutions/, course.yml ...), without
    # environments, build output, learners' answers or instructor runtime folders.
    shutil.copytree(ROOT, project, ignore=shutil.ignore_patterns(*NOT_COPIED))
    env = {**os.environ, "QUARTO_PYTHON": sys.executable}
    result = subprocess.run([quarto, "render"], cwd=project, env=env, capture_output=True, text=True, timeout=1200)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-6000:]
    return project / "_site", output


@pytest.fixture(scope="module")
def site(rendered: tuple[Path, str], serve: Any) -> tuple[Path, str]:
    folder, _ = rendered
    return folder, serve(folder)


def test_render_warns_about_nothing(rendered: tuple[Path, str]):
    """No warning about missing assets (or anything else) from Quarto or the pre/post-render steps."""
    _, output = rendered
    warnings = [line for line in output.splitlines()
                if re.search(r"\bWARN(ING)?\b|not found|missing", line, re.I) and not HARMLESS_WARNING.search(line)]
    assert not warnings, "\n".join(warnings)


def test_every_page_is_present_and_the_root_redirects(rendered: tuple[Path, str]):
    folder, _ = rendered
    for page in PAGES:
        assert (folder / relative_html(page)).is_file(), relative_html(page)
    assert "course/index.html" in (folder / "index.html").read_text("utf-8")
    for page in MODULE_PAGES:
        text = (folder / relative_html(page)).read_text("utf-8")
        for gone in ("require.min.js", "jquery", "embed-amd", "widget-state+json", "widget-view+json"):
            assert gone not in text, f"{relative_html(page)} still has {gone}"
        assert text.count('data-ece-item="') == len(page_items(page))


# ---------------------------------------------------------------------------------------------- every page


def check_skip_link(page: Any) -> None:
    page.evaluate("document.activeElement && document.activeElement.blur()")
    page.keyboard.press("Tab")
    # .hash, not the href attribute: on index pages Quarto's script rewrites every link to an absolute URL.
    focused = page.evaluate("[document.activeElement.textContent, document.activeElement.hash]")
    assert focused[0].strip() == "Skip to main content", focused
    assert page.evaluate("(id) => document.getElementById(id).tagName", focused[1].lstrip("#")) == "MAIN"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.stem)
def test_page_is_accessible_light_and_local(page: Path, site: tuple[Path, str], browser: Any):
    """Skip link, no off-site request, axe clean, weight under the limit, item code loaded once."""
    _, base = site
    visit = Visit(browser, f"{base}/{relative_html(page)}")
    try:
        items = len(page_items(page)) if page in MODULE_PAGES else 0
        if items:
            visit.page.wait_for_function(f"document.querySelectorAll('.ece-item').length === {items}")
        visit.page.wait_for_load_state("networkidle")
        check_skip_link(visit.page)
        violations = axe_violations(visit.page)
        assert not violations, json.dumps(violations, indent=1)
        assert not visit.off_site(), visit.off_site()
        assert not visit.errors, visit.errors
        sizes = visit.transferred()
        total = sum(sizes.values())
        report = "\n".join(f"  {n:>8}  {u.split('/', 3)[-1]}" for u, n in sorted(sizes.items(), key=lambda x: -x[1]))
        print(f"\n{relative_html(page)}: {total} bytes on first load\n{report}")
        assert total <= PAGE_LIMIT, f"{relative_html(page)} weighs {total} bytes:\n{report}"
        item_code = [u for u in sizes if u.endswith("/item.js")]
        assert len(item_code) == (1 if items else 0), item_code
    finally:
        visit.close()


# ---------------------------------------------------------------------------------------------- the items


LEADING_VERDICT = re.compile(
    r"^(correct|not quite|incorrect|partly correct|partially correct)\s*[.:!,;\u2014-]\s*", re.I)


def option_note(feedback: str) -> str:
    """An option's feedback as the item shows it: without a leading verdict of its own (said once, above)."""
    return compact(LEADING_VERDICT.sub("", plain(feedback).strip())).lower()


def verdict_for(spec: dict[str, Any], value: Any) -> str:
    share = fraction(spec, value, spec["answer"])
    return "Correct." if share == 1 else "Not quite." if share == 0 else "Partly correct."


def expect_feedback(page: Any, spec: dict[str, Any], value: Any) -> None:
    """The verdict (once), the chosen option's feedback and the rationale, in the item's live region."""
    region = page.locator(f".ece-item[data-item='{spec['id']}'] .ece-feedback")
    assert region.get_attribute("role") == "status" and region.get_attribute("aria-live") == "polite"
    word = verdict_for(spec, value)
    region.locator(".ece-verdict").wait_for()
    page.wait_for_function("([el, word]) => el.textContent.includes(word)", arg=[region.element_handle(), word])
    shown = compact(region.inner_text())
    assert shown.count(compact(word)) == 1, f"verdict not stated once: {region.inner_text()}"
    if spec["kind"] == "single":
        option = next(o for o in spec["options"] if o["key"] == value)
        assert option_note(option.get("feedback", "")) in shown.lower()
    assert compact(plain(spec["rationale"])) in shown


def check(page: Any, spec: dict[str, Any]) -> None:
    """Ask for feedback on a chosen option: the item's Check button where it has one (else it answers at once)."""
    button = page.locator(f".ece-item[data-item='{spec['id']}'] .ece-button")
    if button.count():
        button.first.click()


def singles(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [s for s in items if s["kind"] == "single" and s["mode"] == "practice"]


@pytest.mark.parametrize("page", MODULE_PAGES, ids=lambda p: p.stem)
def test_practice_items_answer_clicks_with_the_right_feedback(page: Path, site: tuple[Path, str], browser: Any):
    _, base = site
    items = page_items(page)
    visit = Visit(browser, f"{base}/{relative_html(page)}")
    try:
        visit.page.wait_for_function(f"document.querySelectorAll('.ece-item').length === {len(items)}")
        spec = singles(items)[0]
        labels = visit.page.locator(f".ece-item[data-item='{spec['id']}'] .ece-choice label")
        right = next(i for i, o in enumerate(spec["options"]) if o["key"] == spec["answer"])
        wrong = next(i for i, o in enumerate(spec["options"]) if o["key"] != spec["answer"])
        labels.nth(right).click()
        check(visit.page, spec)
        expect_feedback(visit.page, spec, spec["answer"])
        shown = visit.page.locator(f".ece-item[data-item='{spec['id']}']").inner_text()
        for internal in (spec["id"], spec["objective"]):
            assert internal not in shown, f"learner-facing text shows the internal id {internal}"
        labels.nth(wrong).click()
        check(visit.page, spec)
        expect_feedback(visit.page, spec, spec["options"][wrong]["key"])
        if os.environ.get("SITE_SHOTS"):
            path = Path(os.environ["SITE_SHOTS"]) / f"module-{page.stem}-scripts-on.png"
            visit.page.locator(f".ece-item[data-item='{spec['id']}']").scroll_into_view_if_needed()
            visit.page.screenshot(path=str(path))
        assert not visit.errors, visit.errors
    finally:
        visit.close()


def test_keyboard_only_walk_through_of_a_module_page(site: tuple[Path, str], browser: Any):
    """Answer a single-choice item with Space and arrows, a multiple-choice item with Space, Tab and Enter."""
    _, base = site
    page = MODULE_PAGES[0]
    items = page_items(page)
    visit = Visit(browser, f"{base}/{relative_html(page)}")
    try:
        p = visit.page
        p.wait_for_function(f"document.querySelectorAll('.ece-item').length === {len(items)}")
        check_skip_link(p)
        spec = singles(items)[1]
        radios = p.locator(f".ece-item[data-item='{spec['id']}'] input[type=radio]")
        radios.first.focus()
        p.keyboard.press("Space")
        p.keyboard.press("Enter")  # checks the answer where the item waits for a check; harmless otherwise
        expect_feedback(p, spec, spec["options"][0]["key"])
        p.keyboard.press("ArrowDown")
        assert radios.nth(1).is_checked()
        p.keyboard.press("Enter")
        expect_feedback(p, spec, spec["options"][1]["key"])

        spec = next(s for s in items if s["kind"] == "multiple")
        boxes = p.locator(f".ece-item[data-item='{spec['id']}'] input[type=checkbox]")
        boxes.first.focus()
        chosen = []
        for i, option in enumerate(spec["options"]):
            if option["key"] in spec["answer"]:
                p.keyboard.press("Space")
                chosen.append(option["key"])
            if i < len(spec["options"]) - 1:
                p.keyboard.press("Tab")
        p.keyboard.press("Tab")
        assert p.evaluate("document.activeElement.textContent").startswith("Check answer")
        p.keyboard.press("Enter")
        expect_feedback(p, spec, chosen)
        assert verdict_for(spec, chosen) == "Correct."
    finally:
        visit.close()


# ---------------------------------------------------------------------------------------------- no scripts


@pytest.mark.parametrize("page", MODULE_PAGES, ids=lambda p: p.stem)
def test_with_scripts_off_every_item_is_readable(page: Path, site: tuple[Path, str], browser: Any):
    _, base = site
    visit = Visit(browser, f"{base}/{relative_html(page)}", java_script_enabled=False)
    try:
        main = visit.page.locator("main")
        shown = compact(main.inner_text())
        items = page_items(page)
        assert visit.page.locator("fieldset.ece-static").count() == len(items)
        for view in items:
            for text in item_texts(view):
                assert compact(text) in shown, f"{view['id']}: {text!r} is not visible with scripts off"
        assert visit.page.locator("fieldset.ece-static .ece-static-note").count() == len(items), "say why it is inert"
        for view in items:
            if view["kind"] in ("single", "multiple"):
                fieldset = visit.page.locator(f"fieldset.ece-static[data-ece-item='{view['id']}']")
                assert fieldset.locator("input").count() == len(view["options"])
                assert fieldset.locator("label").count() == len(view["options"])
        if os.environ.get("SITE_SHOTS"):
            first = visit.page.locator("fieldset.ece-static").first
            first.scroll_into_view_if_needed()
            visit.page.screenshot(path=str(Path(os.environ["SITE_SHOTS"]) / f"module-{page.stem}-scripts-off.png"))
    finally:
        visit.close()


# ---------------------------------------------------------------------------------------------- search


def test_search_index_holds_every_practice_item(rendered: tuple[Path, str]):
    folder, _ = rendered
    entries = json.loads((folder / "search.json").read_text("utf-8"))
    for page in MODULE_PAGES:
        indexed = compact(" ".join(e["text"] + " " + e.get("title", "") for e in entries
                                   if e["href"].split("#")[0] == relative_html(page)))
        for view in page_items(page):
            for text in item_texts(view):
                assert compact(text) in indexed, f"search.json lacks {view['id']}: {text!r}"


def test_searching_a_vignette_phrase_finds_its_page(site: tuple[Path, str], browser: Any):
    _, base = site
    page = MODULE_PAGES[-1]
    view = next(v for v in page_items(page) if v.get("context"))
    phrase = " ".join(plain(view["context"]).split()[:6])
    visit = Visit(browser, f"{base}/course/index.html")
    try:
        p = visit.page
        p.locator("#quarto-search").click()
        box = p.locator("input.aa-Input")
        box.fill(phrase)
        hit = p.locator(f".aa-Item a[href*='{page.stem}.html'], a.search-result-link[href*='{page.stem}.html']")
        hit.first.wait_for(timeout=15_000)
        assert hit.count() >= 1
    finally:
        visit.close()


# ---------------------------------------------------------------------------------------------- print


def test_a_printed_module_page_shows_items_with_options(site: tuple[Path, str], browser: Any, tmp_path: Path):
    if shutil.which("pdftoppm") is None or shutil.which("pdftotext") is None:
        missing("poppler-utils (pdftoppm, pdftotext) is not installed")
    _, base = site
    page = MODULE_PAGES[0]
    items = page_items(page)
    visit = Visit(browser, f"{base}/{relative_html(page)}")
    try:
        visit.page.wait_for_function(f"document.querySelectorAll('.ece-item').length === {len(items)}")
        spec = singles(items)[0]
        # A learner who answered before printing: the feedback must not be printed.
        visit.page.locator(f".ece-item[data-item='{spec['id']}'] .ece-choice label").first.click()
        check(visit.page, spec)
        visit.page.locator(f".ece-item[data-item='{spec['id']}'] .ece-verdict").wait_for()
        pdf = tmp_path / f"print-{page.stem}.pdf"
        visit.page.emulate_media(media="print")
        visit.page.pdf(path=str(pdf), format="Letter", print_background=False)
    finally:
        visit.close()
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    printed = compact(text)
    for view in items:
        for option in view.get("options", []):
            assert compact(plain(option["label"])) in printed, f"{view['id']}: option {option['key']} not printed"
    assert compact(plain(spec["rationale"])) not in printed, "practice feedback was printed"
    assert "Checkanswer" not in printed and "Skiptomaincontent" not in printed
    # The page that holds the first item, as an image (look at it: SITE_SHOTS keeps it).
    pages_text = text.split("\f")
    first = compact(plain(spec["prompt"]))[:40]
    number = next(i for i, t in enumerate(pages_text, 1) if first in compact(t))
    subprocess.run(["pdftoppm", "-png", "-r", "70", "-f", str(number), "-l", str(number), "-singlefile", str(pdf),
                    str(tmp_path / f"print-{page.stem}")], check=True)
    image = tmp_path / f"print-{page.stem}.png"
    assert image.stat().st_size > 10_000
    shot(image)


# ---------------------------------------------------------------------------------------------- reflow


@pytest.mark.parametrize("viewport", [{"width": 640, "height": 450}, {"width": 360, "height": 740}],
                         ids=["zoom-200", "phone-360"])
def test_no_horizontal_scrolling_at_200_percent_zoom_or_on_a_phone(viewport: dict, site: tuple[Path, str],
                                                                   browser: Any):
    """200% zoom of a 1280 px window is a 640 CSS px viewport (WCAG 1.4.10); 360 px is a small phone."""
    _, base = site
    for page in PAGES:
        visit = Visit(browser, f"{base}/{relative_html(page)}", viewport=viewport)
        try:
            items = len(page_items(page)) if page in MODULE_PAGES else 0
            if items:
                visit.page.wait_for_function(f"document.querySelectorAll('.ece-item').length === {items}")
            wide = visit.page.evaluate(
                """() => { const w = document.documentElement.clientWidth;
                           return [document.documentElement.scrollWidth, w,
                                   [...document.querySelectorAll('main *')]
                                     .filter(e => e.getBoundingClientRect().right > w + 1)
                                     .slice(0, 5).map(e => e.tagName + '.' + e.className)]; }""")
            assert wide[0] <= wide[1], f"{relative_html(page)} at {viewport['width']} px: {wide}"
            if viewport["width"] == 360 and page == MODULE_PAGES[0] and os.environ.get("SITE_SHOTS"):
                visit.page.locator(".ece-item").first.scroll_into_view_if_needed()
                visit.page.screenshot(path=str(Path(os.environ["SITE_SHOTS"]) / f"module-{page.stem}-360px.png"))
        finally:
            visit.close()
