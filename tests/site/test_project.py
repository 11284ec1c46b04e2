"""The course website's project, without Quarto (issues 4 and 14).

- Every page and notebook `_quarto.yml` lists exists, the modules are in the sidebar in teaching order, and the
  embedded notebooks (`site/notebooks/`, executed copies of the releases) are up to date and in site mode:
  every item is static HTML (readable with scripts off, printable, searchable), no Jupyter widget is left.
  Embed targets and cell labels are checked by tests/content/test_content.py, for every page rendered here.
- Every page's Python code runs in a fresh kernel; the post-test previews never show a key.
The post-render step: tests/site/test_postrender.py; the real render in Chromium: tests/site/test_quarto.py.
"""

from __future__ import annotations

import asyncio
import functools
import html
import re
import shutil
from pathlib import Path
from typing import Any

import nbformat
import pytest
import yaml
from nbclient import NotebookClient
from support import ROOT

from empathy_ce import cells
from empathy_ce import course as course_model
from empathy_ce.site import notebooks as site_notebooks
from empathy_ce.site import pages, preview, static_items

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
    """tests/content/test_content.py checks every embed target and cell label of course/*.qmd: all rendered pages."""
    from support import CONTENT_PAGES as CHECKED_PAGES

    assert set(PAGES) <= set(CHECKED_PAGES)


@pytest.mark.parametrize("executed", site_notebooks.embedded_copies(ROOT), ids=lambda p: p.stem)
def test_embedded_notebooks_are_up_to_date_and_publishable(executed: Path):
    """The widget state Quarto embeds is what the released notebook and the package make now."""
    reasons = site_notebooks.stale_reasons(executed, ROOT, content_only=True)
    assert not reasons, f"{executed.relative_to(ROOT)} is stale ({'; '.join(reasons)}): run `make site-notebooks`"
    release = site_notebooks.release_for(executed, ROOT)
    site_notebooks.check_publishable(release)  # no graded items on the website
    nb = nbformat.read(executed, as_version=4)
    assert not static_items.has_widgets(nb), "the website must not load the Jupyter widget manager"
    shown = static_items.shown_items(nb)
    for spec, _ in cells.notebook_items(release):
        assert spec.get("mode") == "practice"
        markup = shown[spec["id"]]
        assert markup.startswith('<fieldset class="ece-static') and 'class="ece-spec"' in markup


def test_editing_one_module_re_executes_only_that_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    for name in ("_quarto.yml", "course", "exercises", "site/notebooks"):
        source, dest = ROOT / name, tmp_path / name
        if source.is_dir():
            shutil.copytree(source, dest, ignore=shutil.ignore_patterns("answers*.json"))
        else:
            shutil.copy(source, dest)
    edited = tmp_path / "exercises" / "m1-trust" / "trust_practice.ipynb"
    nb = nbformat.read(edited, as_version=4)
    nb.cells.append(nbformat.v4.new_markdown_cell("A new closing note."))
    nbformat.write(nb, edited)
    recorded = nbformat.read(tmp_path / "site/notebooks/m1-trust/trust_practice.ipynb", as_version=4).metadata
    monkeypatch.setattr(site_notebooks, "library_versions", lambda: dict(recorded[site_notebooks.METADATA_KEY]))
    executed = []
    monkeypatch.setattr(site_notebooks, "execute", lambda release, copy: executed.append(copy))
    site_notebooks.refresh(tmp_path, log=lambda _: None)
    assert executed == [tmp_path / "site/notebooks/m1-trust/trust_practice.ipynb"]


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
    """Every rendered page's code, each page in its own fresh kernel, one after the other as Quarto runs them
    (kernels started side by side can pick the same TCP port: jupyter_client chooses ports before binding)."""

    async def run_all() -> list[str]:
        return [await _run_page(p) for p in PAGES]

    return dict(zip(PAGES, asyncio.run(run_all()), strict=True))


def page_outputs(page: Path) -> str:
    return all_page_outputs()[page]


@pytest.mark.slow  # real kernels
def test_every_page_python_code_runs_in_a_fresh_kernel():
    with_code = [p for p in PAGES if page_notebook(p).cells]
    assert with_code, "expected the home page and the post-test previews to be generated"
    for page in with_code:
        assert page_outputs(page).strip(), f"{page.name} printed nothing"


@pytest.mark.slow  # real kernels (the page's code)
def test_home_page_states_hours_objectives_assessment_certificates_and_scope():
    text = (ROOT / "course" / "index.qmd").read_text("utf-8") + page_outputs(ROOT / "course" / "index.qmd")
    assert f"{COURSE.contact_hours:g}" == "5.25" and "5.25 contact hours" in text
    assert "75%" in text and COURSE.raw["audience"] in text
    for module in COURSE.modules:
        assert module.title in text
        for key, objective in module.objectives.items():
            assert f"**{key}**: {objective}" in text
    for phrase in ("post-test", "certificate of completion", "every", "not clinical supervision"):
        assert phrase in text


def test_post_test_preview_markup_never_shows_a_key():
    """Which sample items the page shows, and its submit wording, are checked in test_content.py."""
    secret = {"id": "x.post.q1", "kind": "single", "mode": "assessment", "objective": "x-1", "points": 1,
              "prompt": "Pick one.", "answer": "KEY-b", "rationale": "RATIONALE-text", "example": "EXAMPLE-text",
              "options": [{"key": "a", "label": "A", "feedback": "FEEDBACK-a"}, {"key": "b", "label": "B"}]}
    shown = preview.item_markdown(1, secret)
    assert not re.search(r"KEY-|RATIONALE-|EXAMPLE-|FEEDBACK-", shown)
