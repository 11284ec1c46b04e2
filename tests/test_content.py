"""Course content: citations, objectives and their items, item counts, quoted figures, embeds, notebooks run."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import bibtexparser
import nbformat
import pytest
from conftest import ROOT

from empathy_ce import cells, citations
from empathy_ce import course as course_model
from empathy_ce.items import validate_item
from empathy_ce.widget import ItemWidget, front_end_spec

COURSE = course_model.load(ROOT)
BIB = ROOT / "course" / "references.bib"
FACTS = Path(os.environ.get("EMPATHY_CE_FACTS", ROOT.parent / "shared" / "research" / "empathy-facts.md"))
PAGES = sorted((ROOT / "course").glob("*.qmd"))
NOTEBOOKS = [(m, n) for m in COURSE.modules for n in m.notebooks()]
EMBED = re.compile(r"\{\{<\s*embed\s+([^#\s]+)#([\w,-]+)\s*>\}\}")


def notebook_text(path: Path) -> str:
    """Markdown cells and item text of a notebook (what learners read)."""
    nb = nbformat.read(path, as_version=4)
    parts = [c.source for c in nb.cells if c.cell_type == "markdown"]
    for spec, _ in cells.notebook_items(path):
        parts += [str(v) for k, v in spec.items() if k in ("prompt", "context", "rationale", "example")]
        parts += [o["label"] + " " + o.get("feedback", "") for o in spec.get("options", [])]
        parts += list(spec.get("scale", {}).get("labels", {}).values())
    return "\n".join(parts)


def module_text(module: course_model.Module) -> str:
    page = (ROOT / "course" / f"{module.id}.qmd").read_text("utf-8")
    return page + "\n" + "\n".join(notebook_text(COURSE.source(module, n)) for n in module.notebooks())


def all_text() -> str:
    return "\n".join([*(p.read_text("utf-8") for p in PAGES), *(module_text(m) for m in COURSE.modules)])


def posttest_items(module: course_model.Module) -> list[dict]:
    return [spec for spec, _ in cells.notebook_items(COURSE.source(module, module.posttest))]


def test_every_citation_resolves_and_every_reference_is_cited():
    library = bibtexparser.parse_string(BIB.read_text("utf-8"))
    assert not library.failed_blocks, [b.error for b in library.failed_blocks]
    entries = {e.key for e in library.entries}
    used = citations.keys_in(all_text())
    assert used - entries == set(), "citation keys missing from course/references.bib"
    assert entries - used == set(), "references.bib entries that nothing cites"


def test_references_have_apa_essentials():
    for entry in bibtexparser.parse_string(BIB.read_text("utf-8")).entries:
        fields = entry.fields_dict
        assert "title" in fields and "year" in fields, entry.key
        assert "author" in fields or "editor" in fields, entry.key
        if "doi" in fields:
            assert re.fullmatch(r"10\.\d{4,9}/\S+", fields["doi"].value), entry.key


def test_packaged_citations_match_references_bib():
    assert citations.table() == citations.table_from_bib(BIB), "run: python -m empathy_ce.citations"


@pytest.mark.parametrize("module", COURSE.modules, ids=lambda m: m.id)
def test_every_objective_is_assessed_by_at_least_two_graded_items(module: course_model.Module):
    items = posttest_items(module)
    assert all(spec["mode"] == "assessment" for spec in items)
    for objective in module.objectives:
        assessed = [s["id"] for s in items if s["objective"] == objective]
        assert len(assessed) >= 2, f"{objective} is assessed by {assessed}"
    for module_nb in module.notebooks():
        for spec, _ in cells.notebook_items(COURSE.source(module, module_nb)):
            assert spec["objective"] in module.objectives, spec["id"]
            assert spec["id"].startswith(f"{module.id}."), spec["id"]


@pytest.mark.parametrize("module", COURSE.modules, ids=lambda m: m.id)
def test_post_test_length_fits_the_contact_time(module: course_model.Module):
    count = len(posttest_items(module))
    assert 6 * module.contact_hours <= count <= 8 * module.contact_hours, count


def test_pass_mark_and_unique_item_ids():
    assert COURSE.pass_mark >= 0.75
    ids = [spec["id"] for m, n in NOTEBOOKS for spec, _ in cells.notebook_items(COURSE.source(m, n))]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("module", COURSE.modules, ids=lambda m: m.id)
def test_practice_sets_teach(module: course_model.Module):
    specs = [spec for n in module.practice for spec, _ in cells.notebook_items(COURSE.source(module, n))]
    sets = {spec["id"].split(".")[1] for spec in specs}
    assert len(sets) >= 2, sets
    for spec in specs:
        validate_item(spec)
        assert spec["mode"] == "practice" and spec.get("rationale"), spec["id"]


@pytest.mark.parametrize("module", COURSE.modules, ids=lambda m: m.id)
def test_objectives_are_measurable_and_stated_on_page_and_notebook(module: course_model.Module):
    verbs = ("identify", "distinguish", "compare", "apply", "compute", "interpret", "evaluate", "rate",
             "explain", "describe", "classify", "recognise", "recognize", "write", "calculate")
    page = (ROOT / "course" / f"{module.id}.qmd").read_text("utf-8")
    first = nbformat.read(COURSE.source(module, module.posttest), as_version=4).cells[0].source
    for objective, text in module.objectives.items():
        assert text.split()[0].lower() in verbs, f"{objective}: {text}"
        assert objective in page, f"{objective} is not stated on {module.id}.qmd"
        assert objective in first or text[:40] in first, f"{objective} is not stated in the post-test"


def same_numbers(text: str) -> str:
    """Text with number style made uniform, so that the pages may follow APA 7 (r = .50, 95% CI [.42, .57],
    d = 0.58) while the facts sheet writes the same figures as r = 0.50 (95% CI 0.42, 0.57), d = .58, .28–.34."""
    text = re.sub(r"(?<![\d.])0\.(?=\d)", ".", text)  # leading zeros
    text = re.sub(r"(\.\d+)–(\.\d+)", r"\1, \2", text)  # .28–.34 -> .28, .34
    return re.sub(r"\[(\.\d+, \.\d+)\]", r"\1", text)  # [.42, .57] -> .42, .57


@pytest.mark.parametrize("module", COURSE.modules, ids=lambda m: m.id)
def test_quoted_figures_match_the_facts_sheet(module: course_model.Module):
    text = same_numbers(module_text(module))
    for figure in module.figures:
        assert same_numbers(figure) in text, f"declared figure {figure!r} is not in the {module.id} text"
    if not FACTS.exists():
        pytest.skip(f"facts sheet not found at {FACTS} (set EMPATHY_CE_FACTS); only the course side was checked")
    facts = same_numbers(FACTS.read_text("utf-8").replace("**", ""))
    for figure in module.figures:
        assert same_numbers(figure) in facts, f"{figure!r} quoted in {module.id} is not in the facts sheet"


def test_number_style_is_made_uniform_only():
    assert same_numbers("r = 0.50 (95% CI 0.42, 0.57)") == same_numbers("r = .50 (95% CI [.42, .57])")
    assert same_numbers("95% CI .28–.34") == same_numbers("95% CI [.28, .34]")
    assert same_numbers("d = .58") == same_numbers("d = 0.58") != same_numbers("d = 0.85")
    assert same_numbers("10.5 and 1978–2017") == "10.5 and 1978–2017"


def test_the_headline_figures_are_declared():
    declared = {f for m in COURSE.modules for f in m.figures}
    for figure in ("r = .28", "6,138 clients", "82 independent samples"):
        assert any(figure in d for d in declared), figure


def test_no_promotional_content():
    text = all_text().lower()
    for phrase in ("check out this", "reliable source", "book a session", "visit our", "sign up"):
        assert phrase not in text, phrase
    for url in re.findall(r"https?://[^\s)\]>\"']+", text):
        assert re.match(r"https?://(doi\.org|www\.proqol\.org|quarto\.org)", url), url


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_embed_targets_and_labels_exist(page: Path):
    for target, labels in EMBED.findall(page.read_text("utf-8")):
        notebook = (page.parent / target).resolve()
        assert notebook.exists(), f"{page.name}: {target}"
        sources = [c.source for c in nbformat.read(notebook, as_version=4).cells]
        for label in labels.split(","):
            assert any(re.search(rf"^#\|\s*label:\s*{re.escape(label)}\s*$", s, re.M) for s in sources), \
                f"{page.name}: no cell labelled {label} in {target}"


@pytest.mark.parametrize(("module", "name"), NOTEBOOKS, ids=lambda x: getattr(x, "id", x))
def test_every_item_builds_its_widget(module: course_model.Module, name: str):
    """Each item passes the schema and renders its front-end data (whole notebooks run in test_course_e2e)."""
    items = cells.notebook_items(COURSE.release(module, name))
    assert items or name == module.data
    for spec, _ in items:
        view = ItemWidget(spec=front_end_spec(validate_item(spec))).spec
        assert view["prompt"] and "[@" not in json.dumps(view), spec["id"]  # citations shown as (Author, year)
