"""Acceptance for the course website (issue 4), runnable without Quarto.

- The project: every page and notebook `_quarto.yml` lists exists, the modules are in the sidebar in teaching
  order, and the embedded notebooks (`site/notebooks/`, executed copies of the releases) are up to date.
  Embed targets and cell labels are checked by tests/test_content.py, for every page rendered here.
- Every page's Python code runs in a fresh kernel; the post-test previews never show a key.
- The post-render step rewrites Quarto's CDN tags to local copies and refuses third-party requests.
- In headless Debian Chromium: the module pages' exercises, built from the same saved widget state Quarto
  embeds and with the same head Quarto writes (rewritten by the post-render step), answer clicks and keys with
  the right feedback in an aria-live region, request nothing from another host, and pass axe-core's
  WCAG 2.1 A/AA rules.
- Where `quarto` is on PATH, the whole site is rendered and the same checks run on the real pages.
"""

from __future__ import annotations

import asyncio
import functools
import html
import http.server
import json
import os
import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import nbformat
import pytest
import yaml
from conftest import ROOT
from nbclient import NotebookClient

from empathy_ce import cells
from empathy_ce import course as course_model
from empathy_ce.scoring import fraction
from empathy_ce.site import notebooks as site_notebooks
from empathy_ce.site import pages, postrender, preview

CONFIG = yaml.safe_load((ROOT / "_quarto.yml").read_text("utf-8"))
COURSE = course_model.load(ROOT)
PAGES = pages(ROOT)
MODULE_PAGES = [ROOT / "course" / f"{m.id}.qmd" for m in COURSE.modules]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
PYTHON_CELL = re.compile(r"^```\{python[^}]*\}[ \t]*\n(.*?)^```[ \t]*$", re.M | re.S)
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"


def plain(fragment: str) -> str:
    """Text of an HTML fragment, whitespace collapsed (to compare with what the browser shows)."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def squash(text: str) -> str:
    return " ".join(text.split())


def cell_options(source: str) -> dict[str, Any]:
    lines = [line[3:] for line in source.splitlines() if line.startswith("#| ")]
    return yaml.safe_load("\n".join(lines)) or {}


# ---------------------------------------------------------------------------------------------- the project


def test_every_page_and_notebook_listed_in_quarto_yml_exists():
    assert CONFIG["project"]["type"] == "website"
    for page in PAGES:
        assert page.exists(), page
    for script in (CONFIG["project"]["pre-render"], CONFIG["project"]["post-render"]):
        assert (ROOT / script).exists(), script
    for name in ("bibliography", "csl"):
        assert (ROOT / CONFIG[name]).exists(), CONFIG[name]
    copies = site_notebooks.embedded_copies(ROOT)
    assert copies, "the module pages embed no notebook"
    for executed in copies:
        assert executed.exists(), executed
        assert site_notebooks.release_for(executed, ROOT).exists(), executed


def test_site_structure_home_modules_in_order_and_no_notebook_pages():
    render = CONFIG["project"]["render"]
    assert render[0] == "course/index.qmd"
    assert all(p.endswith(".qmd") for p in render), "notebooks are embedded, never rendered as pages"
    for page in ("course/references.qmd", "course/instructor.qmd", "course/posttests.qmd"):
        assert page in render
    sidebar = CONFIG["website"]["sidebar"]
    assert sidebar["search"] is True
    hrefs = []

    def walk(items: list) -> None:
        for entry in items:
            if isinstance(entry, str):
                hrefs.append(entry)
            elif "contents" in entry:
                walk(entry["contents"])
            else:
                hrefs.append(entry["href"])

    walk(sidebar["contents"])
    assert set(hrefs) == set(render), "every page in the sidebar, and only pages that are rendered"
    assert hrefs[0] == "course/index.qmd"
    modules = [h for h in hrefs if Path(h).stem in {m.id for m in COURSE.modules}]
    assert modules == [f"course/{m.id}.qmd" for m in COURSE.modules], "the modules in teaching order"
    home = (ROOT / "course" / "index.qmd").read_text("utf-8")
    assert "/index.html" in home, "the home page also answers at the site root"
    html_format = CONFIG["format"]["html"]
    assert html_format["notebook-links"] is False
    assert CONFIG["execute"]["freeze"] == "auto"
    theme = (ROOT / "site" / "theme.scss").read_text("utf-8")
    assert "$web-font-path: false;" in theme, "Bootswatch themes import Google Fonts unless this is set"


def test_references_use_a_local_apa_7_style():
    csl = (ROOT / CONFIG["csl"]).read_text("utf-8")
    assert "<title>APA Style 7th edition</title>" in csl
    assert "nocite" in (ROOT / "course" / "references.qmd").read_text("utf-8")


def test_embed_targets_and_labels_are_covered_by_test_content():
    """tests/test_content.py checks every embed target and cell label of course/*.qmd: all rendered pages."""
    from test_content import PAGES as CHECKED_PAGES

    assert set(PAGES) <= set(CHECKED_PAGES)


@pytest.mark.parametrize("executed", site_notebooks.embedded_copies(ROOT), ids=lambda p: p.stem)
def test_embedded_notebooks_are_up_to_date_and_publishable(executed: Path):
    """The widget state Quarto embeds is what the released notebook and the package make now."""
    reasons = site_notebooks.stale_reasons(executed, ROOT, content_only=True)
    assert not reasons, f"{executed.relative_to(ROOT)} is stale ({'; '.join(reasons)}): run `make site-notebooks`"
    release = site_notebooks.release_for(executed, ROOT)
    site_notebooks.check_publishable(release)  # no graded items on the website
    states = site_notebooks.widget_states(nbformat.read(executed, as_version=4))
    for spec, _ in cells.notebook_items(release):
        assert states[spec["id"]]["spec"]["mode"] == "practice"


def test_editing_one_module_re_executes_only_that_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    for name in ("_quarto.yml", "course", "exercises", "site/notebooks"):
        source, dest = ROOT / name, tmp_path / name
        if source.is_dir():
            shutil.copytree(source, dest, ignore=shutil.ignore_patterns("answers*.json"))
        else:
            shutil.copy(source, dest)
    edited = tmp_path / "exercises" / "trust" / "trust_practice.ipynb"
    nb = nbformat.read(edited, as_version=4)
    nb.cells.append(nbformat.v4.new_markdown_cell("A new closing note."))
    nbformat.write(nb, edited)
    recorded = nbformat.read(tmp_path / "site/notebooks/trust/trust_practice.ipynb", as_version=4).metadata
    monkeypatch.setattr(site_notebooks, "library_versions", lambda: dict(recorded[site_notebooks.METADATA_KEY]))
    executed = []
    monkeypatch.setattr(site_notebooks, "execute", lambda release, copy: executed.append(copy))
    site_notebooks.refresh(tmp_path, log=lambda _: None)
    assert executed == [tmp_path / "site/notebooks/trust/trust_practice.ipynb"]


def test_post_tests_are_never_embedded():
    for module in COURSE.modules:
        with pytest.raises(site_notebooks.SiteNotebookError, match="graded items"):
            site_notebooks.check_publishable(COURSE.release(module, module.posttest))


def test_every_embedded_figure_has_alt_text():
    for page in PAGES:
        for notebook, labels in site_notebooks.embeds(page):
            nb = nbformat.read(notebook, as_version=4)
            for cell in nb.cells:
                options = cell_options(cell.source) if cell.cell_type == "code" else {}
                if options.get("label") not in labels:
                    continue
                images = [o for o in cell.outputs if any(k.startswith("image/") for k in o.get("data", {}))]
                if images:
                    assert str(options.get("fig-alt", "")).strip(), f"{page.name}: {options['label']} needs fig-alt"


def test_pages_use_no_math():
    """Math would need a local MathJax (from npm) wired into the post-render step: there is none yet."""
    for page in PAGES:
        text = re.sub(r"```.*?```", "", page.read_text("utf-8"), flags=re.S)
        assert not re.search(r"\$\$|(?<![\\\w])\$[^\s$][^$\n]*\$|\\\(|\\\[", text), f"{page.name} uses TeX math"


# ---------------------------------------------------------------------------------------------- page code


def page_notebook(page: Path) -> nbformat.NotebookNode:
    sources = PYTHON_CELL.findall(page.read_text("utf-8"))
    return nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources],
                                    metadata={"kernelspec": {"name": "python3", "language": "python",
                                                             "display_name": "Python 3"}})


async def _run_page(page: Path) -> str:
    """Run a page's Python cells in a fresh kernel, from the page's folder as Quarto does; their text output."""
    nb = page_notebook(page)
    if nb.cells:
        await NotebookClient(nb, timeout=120, kernel_name="python3",
                             resources={"metadata": {"path": str(page.parent)}}).async_execute()
    errors = [o for c in nb.cells for o in c.outputs if o.output_type == "error"]
    assert not errors, f"{page.name}: {errors[0].get('ename')}: {errors[0].get('evalue')}"
    return "".join(o.get("text", "") for c in nb.cells for o in c.outputs if o.output_type == "stream")


@functools.cache
def all_page_outputs() -> dict[Path, str]:
    """Every rendered page's code, each page in its own fresh kernel (the kernels run side by side)."""

    async def run_all() -> list[str]:
        return await asyncio.gather(*(_run_page(p) for p in PAGES))

    return dict(zip(PAGES, asyncio.run(run_all()), strict=True))


def page_outputs(page: Path) -> str:
    return all_page_outputs()[page]


def test_every_page_python_code_runs_in_a_fresh_kernel():
    with_code = [p for p in PAGES if page_notebook(p).cells]
    assert with_code, "expected the home page and the post-test previews to be generated"
    for page in with_code:
        assert page_outputs(page).strip(), f"{page.name} printed nothing"


def test_home_page_states_hours_objectives_assessment_certificates_and_scope():
    text = (ROOT / "course" / "index.qmd").read_text("utf-8") + page_outputs(ROOT / "course" / "index.qmd")
    assert f"{COURSE.contact_hours:.1f}" == "4.5" and "4.5 contact hours" in text
    assert "75%" in text and COURSE.raw["audience"] in text
    for module in COURSE.modules:
        assert module.title in text
        for key, objective in module.objectives.items():
            assert f"**{key}**: {objective}" in text
    for phrase in ("post-test", "certificate of completion", "every", "not clinical supervision"):
        assert phrase in text


def hidden_keys() -> dict[str, Any]:
    keys: dict[str, Any] = {}
    for path in sorted((ROOT / "solutions").rglob("*_posttest.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            if cell.cell_type == "code":
                keys.update(cells.keys(cell.source))
    return keys


def test_post_test_previews_show_every_item_and_never_a_key():
    text = page_outputs(ROOT / "course" / "posttests.qmd")
    for module in COURSE.modules:
        notebook = f"exercises/{module.id}/{module.posttest}.ipynb"
        assert f"Open `{notebook}` in JupyterLab" in text and "*Assignments* tab" in text
        for spec, _ in cells.notebook_items(COURSE.release(module, module.posttest)):
            assert spec["prompt"].strip() in text, spec["id"]
    for item_id, key in hidden_keys().items():
        if isinstance(key, list):
            assert json.dumps(key) not in text and ", ".join(key) not in text, item_id
    secret = {"id": "x.post.q1", "kind": "single", "mode": "assessment", "objective": "x-1", "points": 1,
              "prompt": "Pick one.", "answer": "KEY-b", "rationale": "RATIONALE-text", "example": "EXAMPLE-text",
              "options": [{"key": "a", "label": "A", "feedback": "FEEDBACK-a"}, {"key": "b", "label": "B"}]}
    shown = preview.item_markdown(1, secret)
    assert not re.search(r"KEY-|RATIONALE-|EXAMPLE-|FEEDBACK-", shown)


# ---------------------------------------------------------------------------------------------- post-render

# The head Quarto 1.9 writes into a page with widget output (see shared notes; integrity hashes elided), and
# the older form (cdnjs, unpkg) of earlier releases: both must come out local.
QUARTO_HEAD = """\
<script src="https://cdn.jsdelivr.net/npm/requirejs@2.3.6/require.min.js" integrity="sha384-elided" \
crossorigin="anonymous"></script>
<script src="https://cdn.jsdelivr.net/npm/jquery@3.5.1/dist/jquery.min.js" integrity="sha384-elided" \
crossorigin="anonymous" data-relocate-top="true"></script>
<script type="application/javascript" data-relocate-top="true">define('jquery', [],function() {return window.jQuery;})\
</script>
<script src="https://cdn.jsdelivr.net/npm/@jupyter-widgets/html-manager@*/dist/embed-amd.js" \
crossorigin="anonymous"></script>"""
OLDER_HEAD = """\
<script src="https://cdnjs.cloudflare.com/ajax/libs/require.js/2.3.6/require.min.js" integrity="sha512-x" \
crossorigin="anonymous"></script>
<script src="https://cdnjs.cloudflare.com/ajax/libs/jquery/3.5.1/jquery.min.js" integrity="sha512-y" \
crossorigin="anonymous" data-relocate-top="true"></script>
<script src="https://unpkg.com/@jupyter-widgets/html-manager@*/dist/embed-amd.js" crossorigin="anonymous"></script>"""


def document(head: str, body: str = "<main id=\"quarto-document-content\"><h1>T</h1></main>") -> str:
    return f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>T</title>\n{head}\n</head>\n' \
           f'<body class="nav-sidebar docked">\n{body}\n</body></html>\n'


@pytest.mark.parametrize("head", [QUARTO_HEAD, OLDER_HEAD], ids=["quarto-1.9", "older"])
def test_post_render_points_cdn_tags_at_local_copies(head: str):
    page = document(head)
    assert len(postrender.third_party(page)) == 3
    hashes = {lib.target: "sha384-LOCAL" for lib in postrender.LIBRARIES}
    out = postrender.rewrite(page, "../", hashes)
    assert postrender.third_party(out) == []
    assert 'src="../vendor/requirejs/require.js"' in out and 'src="../vendor/jquery/jquery.min.js"' in out
    assert 'src="../vendor/html-manager/dist/embed-amd.js"' in out
    assert out.count('integrity="sha384-LOCAL"') == 3 and "crossorigin" not in out
    assert 'data-relocate-top="true"' in out, "Quarto's own attributes are kept"
    config = out.index('paths: {anywidget: "../vendor/anywidget/index"}')
    assert config < out.index("embed-amd.js"), "require.js must know where anywidget is before the manager asks"
    assert 'data-jupyter-widgets-cdn="../vendor/no-cdn/"' in out
    assert postrender.rewrite(out, "../", hashes) == out, "idempotent"


def test_post_render_adds_a_skip_link_first_in_the_body():
    out = postrender.rewrite(document(""), "")
    body = out[out.index("<body"):]
    first = re.search(r"<(a|div|header|nav|main)\b[^>]*>", body[body.index(">") + 1:])
    assert first.group(0) == '<a class="skip-link visually-hidden-focusable" href="#quarto-document-content">'
    plain_main = postrender.rewrite(document("", "<main class=\"content\"><h1>T</h1></main>"), "")
    assert 'id="main-content"' in plain_main and 'href="#main-content"' in plain_main
    assert postrender.rewrite(document("", "<p>redirect</p>"), "") == document("", "<p>redirect</p>")


def test_third_party_requests_are_found_and_links_are_not():
    page = document(
        '<link href="https://fonts.googleapis.com/css2?family=Source+Sans+Pro" rel="stylesheet">'
        '<link rel="canonical" href="https://example.org/course/">'
        '<style>@import url("https://fonts.googleapis.com/x.css");</style>',
        '<main><a href="https://doi.org/10.1037/pst0000175">doi</a><img src="//cdn.example/x.png" alt="x">'
        '<img src="data:image/png;base64,AAAA" alt="y"><script type="application/vnd.jupyter.widget-state+json">'
        '{"html": "<img src=\\"https://example.org/in-json.png\\">"}</script></main>')
    assert postrender.third_party(page) == ["//cdn.example/x.png", "https://fonts.googleapis.com/css2?family=Source+Sans+Pro",
                                            "https://fonts.googleapis.com/x.css"]


def test_post_render_processes_a_site_folder(tmp_path: Path):
    if not (ROOT / "node_modules" / "requirejs").exists():
        pytest.skip("node_modules is missing: run `npm ci` (make setup does when npm is installed)")
    out = tmp_path / "_site"
    (out / "course").mkdir(parents=True)
    (out / "index.html").write_text(document(QUARTO_HEAD))
    (out / "course" / "trust.html").write_text(document(QUARTO_HEAD))
    (out / "site_libs").mkdir()
    (out / "site_libs" / "theme.css").write_text("body { font-family: system-ui; }")
    assert postrender.process(ROOT, out) == []
    assert 'src="../vendor/requirejs/require.js"' in (out / "course" / "trust.html").read_text()
    assert 'src="vendor/requirejs/require.js"' in (out / "index.html").read_text()
    for target in (*(lib.target for lib in postrender.LIBRARIES), postrender.ANYWIDGET):
        assert (out / target).is_file(), target
    (out / "site_libs" / "theme.css").write_text('@import url("https://fonts.googleapis.com/css?family=X");')
    assert postrender.process(ROOT, out) == ["site_libs/theme.css: https://fonts.googleapis.com/css?family=X"]


# ---------------------------------------------------------------------------------------------- static pages


def embedded_cells(page: Path) -> list[tuple[nbformat.NotebookNode, nbformat.NotebookNode]]:
    """(notebook, cell) for every cell a page embeds, in page order, from the executed copies Quarto reads."""
    found = []
    for notebook, labels in site_notebooks.embeds(page):
        nb = nbformat.read(notebook, as_version=4)
        by_label = {cell_options(c.source).get("label"): c for c in nb.cells if c.cell_type == "code"}
        found += [(nb, by_label[label]) for label in labels]
    return found


def output_html(cell: nbformat.NotebookNode) -> str:
    """A cell's outputs as Quarto writes them: widget views as view scripts, figures with their alt text."""
    options = cell_options(cell.source)
    parts = []
    for output in cell.outputs:
        data = output.get("data", {})
        if WIDGET_VIEW in data:
            parts.append(f'<div class="cell-output cell-output-display">\n<script type="{WIDGET_VIEW}">\n'
                         f"{json.dumps(data[WIDGET_VIEW])}\n</script>\n</div>")
        elif "image/png" in data:
            alt = html.escape(str(options.get("fig-alt", "")), quote=True)
            caption = html.escape(str(options.get("fig-cap", "")))
            parts.append(f'<div class="cell-output cell-output-display"><figure class="figure">'
                         f'<p><img src="data:image/png;base64,{data["image/png"].strip()}" alt="{alt}"></p>'
                         f"<figcaption>{caption}</figcaption></figure></div>")
    return f'<div class="quarto-embed-nb-cell"><div class="cell">{"".join(parts)}</div></div>'


def static_page(page: Path) -> tuple[str, int]:
    """The page's exercises as Quarto would publish them, before post-render; and its number of items."""
    front = yaml.safe_load(page.read_text("utf-8").split("---")[1])
    embedded = embedded_cells(page)
    state: dict[str, Any] = {"version_major": 2, "version_minor": 0, "state": {}}
    for nb in {id(nb): nb for nb, _ in embedded}.values():
        state["state"].update(nb.metadata["widgets"][WIDGET_STATE]["state"])
    items = sum(1 for _, cell in embedded if cells.item_spec(cell.source))
    body = (f'<main id="quarto-document-content" class="content">\n<header><h1 class="title">'
            f'{html.escape(front["title"])}</h1></header>\n' + "\n".join(output_html(c) for _, c in embedded)
            + f'\n</main>\n<script type="{WIDGET_STATE}">\n{json.dumps(state)}\n</script>')
    return document(QUARTO_HEAD, body), items


@pytest.fixture(scope="module")
def static_site(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, int]]:
    """The module pages' exercises in a site folder, put through the real post-render step."""
    if not AXE.exists():
        pytest.skip("node_modules is missing: run `npm ci` (make setup does when npm is installed)")
    out = tmp_path_factory.mktemp("static-site")
    (out / "course").mkdir()
    counts = {}
    for page in MODULE_PAGES:
        text, counts[page.stem] = static_page(page)
        (out / "course" / f"{page.stem}.html").write_text(text, "utf-8")
    assert postrender.process(ROOT, out) == []
    return out, counts


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def serve() -> Iterator[Any]:
    """serve(folder) -> base URL of an HTTP server on 127.0.0.1 for that folder; all stopped afterwards."""
    servers = []

    def start(folder: Path) -> str:
        handler = functools.partial(QuietHandler, directory=str(folder))
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip("Debian chromium is not installed at /usr/bin/chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


class Visit:
    """One page in a fresh browser context, with every request logged and anything off 127.0.0.1 refused."""

    def __init__(self, browser: Any, url: str) -> None:
        self.requests: list[str] = []
        self.errors: list[str] = []
        self.context = browser.new_context(viewport={"width": 1200, "height": 900})
        self.context.route("**/*", self._route)
        self.page = self.context.new_page()
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.goto(url)

    def _route(self, route: Any) -> None:
        if urlsplit(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            route.abort()

    def off_site(self) -> list[str]:
        def local(url: str) -> bool:
            parts = urlsplit(url)
            if parts.scheme in ("data", "about"):
                return True
            if parts.scheme == "blob":
                return urlsplit(parts.path).hostname == "127.0.0.1"
            return parts.hostname == "127.0.0.1"

        return [u for u in self.requests if not local(u)]

    def close(self) -> None:
        self.context.close()


def wait_items(page: Any, count: int) -> None:
    page.wait_for_function(f"document.querySelectorAll('.ece-item').length === {count}", timeout=30_000)


def item(page: Any, item_id: str) -> Any:
    return page.locator(f".ece-item[data-item='{item_id}']")


def axe_violations(page: Any) -> list[dict]:
    page.add_script_tag(content=AXE.read_text("utf-8"))
    result = page.evaluate("(tags) => axe.run(document, {runOnly: {type: 'tag', values: tags}, "
                           "resultTypes: ['violations']})", WCAG_TAGS)
    return [{"id": v["id"], "impact": v["impact"], "help": v["help"],
             "nodes": [n["target"] for n in v["nodes"][:5]]} for v in result["violations"]]


def feedback_region(page: Any, item_id: str) -> Any:
    region = item(page, item_id).locator(".ece-feedback")
    assert region.get_attribute("role") == "status" and region.get_attribute("aria-live") == "polite"
    return region


def spec_on_page(page: Any, item_id: str) -> dict:
    """The item's spec from the widget state embedded in the page (what the front end computes from)."""
    return page.evaluate(
        """(id) => Object.values(JSON.parse(document.querySelector(
               'script[type="application/vnd.jupyter.widget-state+json"]').textContent).state)
             .map(m => m.state.spec).find(s => s && s.id === id)""", item_id)


def expect_single_feedback(page: Any, spec: dict, key: str) -> None:
    """The verdict word, the chosen option's feedback and the rationale, in the item's live region."""
    region = feedback_region(page, spec["id"])
    word = {1.0: "Correct.", 0.0: "Not quite."}.get(fraction(spec, key, spec["answer"]), "Partly correct.")
    option = next(o for o in spec["options"] if o["key"] == key)
    region.locator(".ece-verdict").wait_for()
    shown = squash(region.inner_text())
    assert word in region.locator(".ece-verdict").inner_text(), shown
    assert plain(option.get("feedback", "")) in shown
    assert plain(spec["rationale"]) in shown


def check_exercises(visit: Visit, items: int, screenshot: Path | None = None) -> None:
    """Every item renders; answering one with a click shows its feedback; no request leaves 127.0.0.1; axe."""
    page = visit.page
    wait_items(page, items)
    first = page.locator(".ece-item[data-mode='practice'].ece-kind-single").first
    spec = spec_on_page(page, first.get_attribute("data-item"))
    first.locator("label").nth(1).click()
    first.locator("button.ece-button").click()  # practice feedback comes on Check answer (issue 15.5)
    expect_single_feedback(page, spec, spec["options"][1]["key"])
    if screenshot:
        page.screenshot(path=str(screenshot), full_page=False)
    violations = axe_violations(page)
    assert not violations, json.dumps(violations, indent=1)
    assert not visit.off_site(), f"requests off 127.0.0.1: {visit.off_site()}"
    assert not visit.errors, visit.errors


def check_trust_interactions(visit: Visit) -> None:
    """Click the right and a wrong answer; answer another single and a multiple item with the keyboard only."""
    page = visit.page
    spec = spec_on_page(page, "trust.p1.q1")
    right = next(i for i, o in enumerate(spec["options"]) if o["key"] == spec["answer"])
    wrong = next(i for i, o in enumerate(spec["options"]) if o["key"] != spec["answer"])
    labels = item(page, "trust.p1.q1").locator(".ece-choice label")
    check = item(page, "trust.p1.q1").locator("button.ece-button")
    labels.nth(right).click()
    check.click()
    expect_single_feedback(page, spec, spec["answer"])
    labels.nth(wrong).click()
    check.click()
    expect_single_feedback(page, spec, spec["options"][wrong]["key"])

    spec = spec_on_page(page, "trust.p1.q3")
    radios = item(page, "trust.p1.q3").locator("input[type=radio]")
    radios.first.focus()
    page.keyboard.press("Space")
    page.keyboard.press("Enter")  # Enter commits; arrow keys only browse (issue 15.5)
    expect_single_feedback(page, spec, spec["options"][0]["key"])
    page.keyboard.press("ArrowDown")
    assert radios.nth(1).is_checked()
    assert feedback_region(page, "trust.p1.q3").inner_text().strip() == ""
    page.keyboard.press("Enter")
    expect_single_feedback(page, spec, spec["options"][1]["key"])

    spec = spec_on_page(page, "trust.p1.q2")
    boxes = item(page, "trust.p1.q2").locator("input[type=checkbox]")
    boxes.first.focus()
    chosen = []
    for i, option in enumerate(spec["options"]):
        if option["key"] in spec["answer"]:
            page.keyboard.press("Space")
            chosen.append(option["key"])
        if i < len(spec["options"]) - 1:
            page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Check answer"
    page.keyboard.press("Enter")
    region = feedback_region(page, "trust.p1.q2")
    region.locator(".ece-verdict").wait_for()
    assert "Correct." in region.locator(".ece-verdict").inner_text()
    assert fraction(spec, chosen, spec["answer"]) == 1.0
    assert plain(spec["rationale"]) in squash(region.inner_text())


def check_skip_link(visit: Visit) -> None:
    page = visit.page
    page.evaluate("document.activeElement && document.activeElement.blur()")
    page.keyboard.press("Tab")
    focused = page.evaluate("[document.activeElement.textContent, document.activeElement.getAttribute('href')]")
    assert focused[0].strip() == "Skip to main content", focused
    target = focused[1].lstrip("#")
    assert page.evaluate("(id) => document.getElementById(id).tagName", target) == "MAIN"


@pytest.mark.browser
@pytest.mark.parametrize("module", [m.id for m in COURSE.modules])
def test_static_exercises_work_offline_and_accessibly(module: str, static_site, serve, browser):
    folder, counts = static_site
    visit = Visit(browser, f"{serve(folder)}/course/{module}.html")
    try:
        if module == "trust":
            wait_items(visit.page, counts[module])
            check_skip_link(visit)
            check_trust_interactions(visit)
        check_exercises(visit, counts[module], screenshot=Path(f"/tmp/site-static-{module}.png"))
    finally:
        visit.close()


# ---------------------------------------------------------------------------------------------- real Quarto


@pytest.mark.browser
@pytest.mark.skipif(shutil.which("quarto") is None,
                    reason="quarto is not on PATH: the real-site render test did not run (install Quarto, then "
                    "`make site` builds the site; the static-page tests above cover the exercises meanwhile)")
def test_quarto_renders_the_whole_site_and_it_passes_the_same_checks(tmp_path: Path, serve, browser):
    quarto = shutil.which("quarto")
    project = tmp_path / "project"
    project.mkdir()
    for name in ("_quarto.yml", "package.json", "package-lock.json", "nbgrader_config.py"):
        shutil.copy(ROOT / name, project / name)
    for name in ("course", "site", "exercises", "src"):
        shutil.copytree(ROOT / name, project / name, ignore=shutil.ignore_patterns("__pycache__", "answers*.json"))
    (project / "node_modules").symlink_to(ROOT / "node_modules")
    env = {**os.environ, "QUARTO_PYTHON": sys.executable}
    result = subprocess.run([quarto, "render"], cwd=project, env=env, capture_output=True, text=True, timeout=1200)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    site = project / "_site"
    base = serve(site)
    root_redirect = (site / "index.html").read_text("utf-8")
    assert "course/index.html" in root_redirect
    for page in PAGES:
        relative = page.relative_to(ROOT).with_suffix(".html").as_posix()
        visit = Visit(browser, f"{base}/{relative}")
        try:
            check_skip_link(visit)
            if page in MODULE_PAGES:
                items = sum(1 for _, cell in embedded_cells(page) if cells.item_spec(cell.source))
                if page.stem == "trust":
                    wait_items(visit.page, items)
                    check_trust_interactions(visit)
                check_exercises(visit, items, screenshot=Path(f"/tmp/site-quarto-{page.stem}.png"))
            else:
                visit.page.wait_for_load_state("load")
                visit.page.screenshot(path=f"/tmp/site-quarto-{page.stem}.png")
                violations = axe_violations(visit.page)
                assert not violations, f"{relative}: {json.dumps(violations, indent=1)}"
                assert not visit.off_site(), f"{relative}: requests off 127.0.0.1: {visit.off_site()}"
        finally:
            visit.close()
