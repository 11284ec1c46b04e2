"""The site's post-render step, without Quarto (issue 14): light, self-contained pages.

- Quarto's require.js / jQuery / widget-manager tags and any widget state are removed from pages;
- pages with items (and only those) load the item stylesheet and the host, with the right relative path, and
  the host, item.js and item.css are copied into the site once;
- every page gets a skip link first in its body; third-party requests are found (links are not);
- the theme CSS keeps only rules the site can match and the icon font only the icons the site names;
- in Chromium, the host runs the items' own front end on the static markup (one item of each kind).
"""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from fontTools.ttLib import TTFont
from support import ROOT
from support.browser import Visit

from empathy_ce import cells
from empathy_ce import course as course_model
from empathy_ce.site import postrender, slim
from empathy_ce.site.static_items import item_markup

COURSE = course_model.load(ROOT)

QUARTO_HEAD = """\
<script src="https://cdn.jsdelivr.net/npm/requirejs@2.3.6/require.min.js" integrity="sha384-elided" \
crossorigin="anonymous"></script>
<script src="https://cdn.jsdelivr.net/npm/jquery@3.5.1/dist/jquery.min.js" integrity="sha384-elided" \
crossorigin="anonymous" data-relocate-top="true"></script>
<script type="application/javascript" data-relocate-top="true">define('jquery', [],function() {return window.jQuery;})\
</script>
<script src="https://cdn.jsdelivr.net/npm/@jupyter-widgets/html-manager@*/dist/embed-amd.js" \
crossorigin="anonymous"></script>
<script src="../site_libs/quarto-html/quarto.js" type="module"></script>"""
WIDGET_STATE = '<script type="application/vnd.jupyter.widget-state+json">{"state": {}}</script>'
ITEM = {"id": "m.p1.q1", "kind": "single", "mode": "practice", "objective": "m-1",
        "context": "A client says she is tired.", "prompt": "Which reply reflects feeling?",
        "options": [{"key": "a", "label": "You sound worn out.", "feedback": "Yes."},
                    {"key": "b", "label": "Have you tried sleeping more?", "feedback": "Advice."}],
        "answer": "a", "rationale": "A reflection names the feeling."}


def document(head: str, body: str = '<main id="quarto-document-content"><h1>T</h1></main>') -> str:
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>T</title>\n{head}\n</head>\n'
            f'<body class="nav-sidebar docked">\n{body}\n</body></html>\n')


def test_widget_runtime_and_state_are_removed_and_other_scripts_kept():
    page = document(QUARTO_HEAD, f'<main id="quarto-document-content">{item_markup(ITEM)}</main>{WIDGET_STATE}')
    assert len(postrender.third_party(page)) == 3
    out = postrender.rewrite(page, "../")
    assert postrender.third_party(out) == []
    for gone in ("require.min.js", "jquery", "embed-amd", "define(", "widget-state+json"):
        assert gone not in out, gone
    assert 'src="../site_libs/quarto-html/quarto.js"' in out
    assert 'class="ece-spec"' in out, "the item's own JSON stays"
    assert postrender.rewrite(out, "../") == out, "idempotent"


def test_only_pages_with_items_load_the_host_with_a_path_from_the_page():
    with_item = postrender.rewrite(document("", f"<main>{item_markup(ITEM)}</main>"), "../")
    assert '<script type="module" src="../site_libs/empathy-ce/host.js"></script>' in with_item
    assert '<link rel="stylesheet" href="../site_libs/empathy-ce/item.css">' in with_item
    assert with_item.index("host.js") < with_item.index("</head>")
    at_root = postrender.rewrite(document("", f"<main>{item_markup(ITEM)}</main>"), "")
    assert 'src="site_libs/empathy-ce/host.js"' in at_root
    assert "host.js" not in postrender.rewrite(document(""), "../")


def test_skip_link_comes_first_in_the_body():
    out = postrender.rewrite(document(""), "")
    body = out[out.index("<body"):]
    first = body[body.index(">") + 1:].lstrip()
    assert first.startswith('<a class="skip-link visually-hidden-focusable" href="#quarto-document-content">')
    plain_main = postrender.rewrite(document("", '<main class="content"><h1>T</h1></main>'), "")
    assert 'id="main-content"' in plain_main and 'href="#main-content"' in plain_main
    assert postrender.rewrite(document("", "<p>redirect</p>"), "") == document("", "<p>redirect</p>")


def test_third_party_requests_are_found_and_links_are_not():
    page = document(
        '<link href="https://fonts.googleapis.com/css2?family=Source+Sans+Pro" rel="stylesheet">'
        '<link rel="canonical" href="https://example.org/course/">'
        '<style>@import url("https://fonts.googleapis.com/x.css");</style>',
        '<main><a href="https://doi.org/10.1037/pst0000175">doi</a><img src="//cdn.example/x.png" alt="x">'
        '<img src="data:image/png;base64,AAAA" alt="y"></main>')
    assert postrender.third_party(page) == ["//cdn.example/x.png", "https://fonts.googleapis.com/css2?family=Source+Sans+Pro",
                                            "https://fonts.googleapis.com/x.css"]


def quarto_share() -> Path:
    """Quarto's share folder (`quarto --paths`), or a path that does not exist without Quarto."""
    quarto = shutil.which("quarto")
    if quarto is None:
        return Path("/nonexistent")
    lines = subprocess.run([quarto, "--paths"], capture_output=True, text=True, check=True).stdout.split()
    return Path(lines[1])


def test_css_purge_keeps_what_the_site_can_match():
    css = (":root{--x:1}body{margin:0}.used{color:red}.unused{color:blue}.used .unused,.used > p{x:1}"
           ".a:not(.nowhere){y:1}@media (max-width:10px){.unused{z:1}.used{z:2}}@media print{.unused{q:1}}"
           "#known{k:1}#gone{k:2}@font-face{font-family:f;src:url(f.woff)}")
    out = slim.purge_css(css, {"used", "a", "known", "p"})
    for kept in (":root", "body", ".used{", ".used > p", ".a:not(.nowhere)", "@media (max-width:10px){.used{z:2}}",
                 "#known", "@font-face"):
        assert kept in out, kept
    for gone in (".unused", "@media print", "#gone"):
        assert gone not in out, gone
    assert slim.purge_css(out, {"used", "a", "known", "p"}) == out


def test_post_render_processes_a_site_folder(tmp_path: Path):
    """Assets copied, pages rewritten, the Bootstrap Icons font subset to the icons the site names."""
    out = tmp_path / "_site"
    (out / "course").mkdir(parents=True)
    (out / "index.html").write_text(document(QUARTO_HEAD))
    (out / "course" / "m.html").write_text(document(QUARTO_HEAD, f'<main>{item_markup(ITEM)}'
                                                    '<i class="bi bi-search"></i></main>'))
    icons = quarto_share() / "formats/html/bootstrap/dist/bootstrap-icons.woff"
    assets = out / "site_libs" / "bootstrap"
    assets.mkdir(parents=True)
    (assets / "bootstrap.min.css").write_text(".bi-search{a:1}.nothing-uses-this{b:2}")
    has_font = icons.exists()
    assert has_font or shutil.which("quarto") is None, f"Quarto's icon font is not at {icons}"
    if has_font:
        (assets / "bootstrap-icons.woff").write_bytes(icons.read_bytes())
        (assets / "bootstrap-icons.css").write_text(
            '.bi-search::before { content: "\\f52a"; }\n.bi-alarm::before { content: "\\f102"; }\n')
    assert postrender.process(ROOT, out) == []
    for name in ("host.js", "item.js", "item.css"):
        assert (out / postrender.ASSETS / name).is_file(), name
    assert (out / postrender.ASSETS / "item.js").read_text() == (ROOT / "src/empathy_ce/static/item.js").read_text()
    assert "host.js" in (out / "course" / "m.html").read_text() and "require" not in (out / "index.html").read_text()
    assert (assets / "bootstrap.min.css").read_text().strip() == ".bi-search{a:1}"
    if has_font:
        assert ".bi-search" in (assets / "bootstrap-icons.css").read_text()
        assert ".bi-alarm" not in (assets / "bootstrap-icons.css").read_text()
        font = TTFont(io.BytesIO((assets / "bootstrap-icons.woff").read_bytes()))
        assert set(font.getBestCmap()) == {0xF52A}
    (assets / "theme.css").write_text('@import url("https://fonts.googleapis.com/css?family=X");')
    assert postrender.process(ROOT, out) == ["site_libs/bootstrap/theme.css: https://fonts.googleapis.com/css?family=X"]


@pytest.mark.browser
def test_host_runs_the_item_front_end_on_static_items(tmp_path: Path, serve: Any, browser: Any):
    """Without Quarto: items of every kind in a page, put through post-render, come alive in Chromium, with the
    item code loaded once and the static markup replaced in place (same order)."""
    specs = [spec for module in COURSE.modules for notebook in module.practice
             for spec, _ in cells.notebook_items(COURSE.release(module, notebook))]
    kinds = {}
    for spec in specs:
        kinds.setdefault(spec["kind"], spec)
    chosen = list(kinds.values())
    out = tmp_path / "_site"
    (out / "course").mkdir(parents=True)
    body = "\n".join(item_markup(spec) for spec in chosen)
    (out / "course" / "m.html").write_text(document(QUARTO_HEAD.split("\n<script src=\"../site_libs")[0],
                                                    f'<main id="quarto-document-content">{body}</main>'))
    assert postrender.process(ROOT, out) == []
    visit = Visit(browser, f"{serve(out)}/course/m.html")
    try:
        page = visit.page
        page.wait_for_function(f"document.querySelectorAll('.ece-item').length === {len(chosen)}")
        assert page.locator("fieldset.ece-static").count() == 0
        order = page.evaluate("[...document.querySelectorAll('.ece-item')].map(e => e.dataset.item)")
        assert order == [spec["id"] for spec in chosen]
        single = kinds["single"]
        item = page.locator(f".ece-item[data-item='{single['id']}']")
        item.locator(".ece-choice label").first.click()
        if item.locator(".ece-button").count():
            item.locator(".ece-button").first.click()
        item.locator(".ece-verdict").wait_for()
        item_code = [u for u in visit.requests if u.endswith("/item.js")]
        assert item_code == [f"{serve_base(visit)}/site_libs/empathy-ce/item.js"], "item code loaded once"
        assert not visit.off_site() and not visit.errors, (visit.off_site(), visit.errors)
    finally:
        visit.close()


def serve_base(visit: Visit) -> str:
    return visit.page.url.split("/course/")[0]
