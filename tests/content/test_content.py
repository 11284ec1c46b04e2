"""Course content: citations, objectives and their items, item counts, quoted figures, embeds, notebooks run."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import bibtexparser
import nbformat
import pytest
import yaml
from support import CONTENT_PAGES, ROOT

from empathy_ce import cells, citations
from empathy_ce import course as course_model
from empathy_ce.items import validate_item
from empathy_ce.widget import ItemWidget, front_end_spec

COURSE = course_model.load(ROOT)
BIB = ROOT / "course" / "references.bib"
FACTS = Path(os.environ.get("EMPATHY_CE_FACTS", ROOT.parent / "shared" / "research" / "empathy-facts.md"))
PAGES = CONTENT_PAGES  # (tests/support: the site tests check that these are all pages)
FORMS = [(m, f) for m in COURSE.modules for f in m.forms]  # every parallel post-test form (A, B, ...)
# Every notebook a learner can receive: the module's own, and each retake form (its own nbgrader assignment).
NOTEBOOKS = [(m, n) for m in COURSE.modules for n in [*m.notebooks(), *(f.posttest for f in m.retakes())]]


def source(module: course_model.Module, name: str) -> Path:
    form = next((f for f in module.retakes() if f.posttest == name), None)
    return COURSE.form_source(form) if form else COURSE.source(module, name)


def release(module: course_model.Module, name: str) -> Path:
    form = next((f for f in module.retakes() if f.posttest == name), None)
    return COURSE.form_release(form) if form else COURSE.release(module, name)


def form_id(value: object) -> str:
    return getattr(value, "id", None) or f"form-{getattr(value, 'name', value)}"
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
    names = [*module.notebooks(), *(f.posttest for f in module.retakes())]
    return page + "\n" + "\n".join(notebook_text(source(module, n)) for n in names)


def all_text() -> str:
    return "\n".join([*(p.read_text("utf-8") for p in PAGES), *(module_text(m) for m in COURSE.modules)])


def posttest_items(module: course_model.Module, form: course_model.Form | None = None) -> list[dict]:
    """The graded items of a post-test form (not the attestation, which is in a cell nbgrader does not grade)."""
    path = COURSE.form_source(form) if form else COURSE.source(module, module.posttest)
    return [spec for spec, meta in cells.notebook_items(path) if meta.get("grade")]


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


def test_every_module_has_at_least_two_parallel_forms_with_different_items():
    """Issue 11: a retake uses a form the learner has not seen; forms differ in items, not only in option order."""
    for module in COURSE.modules:
        assert len(module.forms) >= 2 and module.forms[0].assignment == module.id, module.id
        # An item is its vignette, question and options (rating items share the scale's instruction).
        prompts = [{(s.get("context", ""), s["prompt"], json.dumps(sorted(o["label"] for o in s.get("options", []))))
                    for s in posttest_items(module, f)} for f in module.forms]
        for i, first in enumerate(prompts):
            for second in prompts[i + 1:]:
                assert not first & second, f"{module.id}: forms share items {first & second}"
        for form in module.retakes():
            assert form.assignment not in ("trust", "checkpoints"), "a Jupyter Server route breaks the file browser"
            assert COURSE.form_source(form).exists(), form


def test_a_retake_form_adds_no_contact_time_and_takes_about_as_long_as_form_a():
    """A retaker takes form B instead of form A, so the declared hours count one post-test per module: the
    contact-hour script reads the module's own notebooks (Module.notebooks(), form A), never a retake form."""
    from empathy_ce import contact_hours

    assumptions = contact_hours.Assumptions.from_course(COURSE)

    def minutes(path: Path) -> float:
        text, kinds = contact_hours.notebook_text(path)
        return (contact_hours.count_words(text) / assumptions.words_per_minute
                + sum(n * assumptions.minutes_per_item.get(k, 0.0) for k, n in kinds.items()))

    for module in COURSE.modules:
        form_a = minutes(COURSE.source(module, module.posttest))
        assert contact_hours.breakdown(module.id, ROOT)["posttest"] == pytest.approx(form_a)
        for form in module.retakes():
            assert form.posttest not in module.notebooks()
            form_b = minutes(COURSE.form_source(form))
            assert abs(form_b - form_a) <= 0.3 * form_a, f"{form}: {form_b:.0f} min, form A {form_a:.0f} min"
            first = nbformat.read(COURSE.form_source(form), as_version=4).cells[0].source
            stated = re.search(r"\*\*Estimated time:\*\* about (\d+) minutes", first)
            assert stated and abs(int(stated[1]) - form_b) <= 5, f"{form}: states {stated}, script {form_b:.0f}"


@pytest.mark.parametrize(("module", "form"), FORMS, ids=form_id)
def test_every_objective_is_assessed_by_at_least_two_graded_items(module: course_model.Module,
                                                                  form: course_model.Form):
    items = posttest_items(module, form)
    assert all(spec["mode"] == "assessment" for spec in items)
    for objective in module.objectives:
        assessed = [s["id"] for s in items if s["objective"] == objective]
        assert len(assessed) >= 2, f"{objective} is assessed by {assessed}"
    for module_nb in module.notebooks():
        for spec, meta in cells.notebook_items(source(module, module_nb)):
            assert spec["objective"] in module.objectives or (not meta.get("grade") and spec["mode"] == "assessment"
                                                              and spec["points"] == 0), spec["id"]
            assert spec["id"].startswith(f"{module.id}."), spec["id"]


@pytest.mark.parametrize(("module", "form"), FORMS, ids=form_id)
def test_every_objective_part_is_assessed_by_a_graded_item(module: course_model.Module, form: course_model.Form):
    """course/modules/<id>.yml splits each objective into parts; each part names the post-test items (of every form)
    that assess it, and every form assesses every part."""
    parts = yaml.safe_load((ROOT / "course" / "modules" / f"{module.id}.yml").read_text("utf-8"))["parts"]
    graded = {s["id"]: s for s in posttest_items(module, form) if s["mode"] == "assessment"}
    every_form = {s["id"] for f in module.forms for s in posttest_items(module, f)}
    assert set(parts) == set(module.objectives), "every objective, and only objectives, are split into parts"
    for objective, listed in parts.items():
        assert listed, f"{objective} has no parts"
        for part in listed:
            assert part["part"].strip() and part["items"], f"{objective}: {part}"
            strays = set(part["items"]) - every_form
            assert not strays, f"{objective}: {strays} are no post-test items"
            mine = [item_id for item_id in part["items"] if item_id in graded]
            assert mine, f"form {form.name}: {objective} part {part['part']!r} is assessed by none of its items"
            for item_id in mine:
                assert graded[item_id]["objective"] == objective, f"{item_id} is linked to another objective"
        covered = {item_id for part in listed for item_id in part["items"]}
        linked = {i for i, s in graded.items() if s["objective"] == objective}
        assert linked <= covered, f"{objective}: items {linked - covered} assess no listed part"


@pytest.mark.parametrize(("module", "form"), FORMS, ids=form_id)
def test_post_test_length_fits_the_contact_time(module: course_model.Module, form: course_model.Form):
    count = len(posttest_items(module, form))
    assert 6 * module.contact_hours <= count <= 8 * module.contact_hours, count


def test_pass_mark_and_unique_item_ids():
    assert COURSE.pass_mark >= 0.75
    ids = [spec["id"] for m, n in NOTEBOOKS for spec, _ in cells.notebook_items(source(m, n))]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("module", COURSE.modules, ids=lambda m: m.id)
def test_practice_sets_teach(module: course_model.Module):
    specs = [spec for n in module.practice for spec, _ in cells.notebook_items(COURSE.source(module, n))]
    sets = {spec["id"].split(".")[1] for spec in specs}
    assert len(sets) >= 2, sets
    for spec in specs:
        validate_item(spec)
        assert spec["mode"] == "practice" and spec.get("rationale"), spec["id"]


@pytest.mark.parametrize(("module", "form"), FORMS, ids=form_id)
def test_objectives_are_measurable_and_stated_on_page_and_notebook(module: course_model.Module,
                                                                   form: course_model.Form):
    verbs = ("identify", "distinguish", "compare", "apply", "compute", "interpret", "evaluate", "rate",
             "explain", "describe", "classify", "recognise", "recognize", "write", "calculate")
    page = (ROOT / "course" / f"{module.id}.qmd").read_text("utf-8")
    first = nbformat.read(COURSE.form_source(form), as_version=4).cells[0].source
    for objective, text in module.objectives.items():
        assert text.split()[0].lower() in verbs, f"{objective}: {text}"
        assert objective in page, f"{objective} is not stated on {module.id}.qmd"
        assert objective in first or text[:40] in first, f"{objective} is not stated in the post-test"


def same_numbers(text: str) -> str:
    """Text with number style made uniform, so that the pages may follow APA 7 (r = .50, 95% CI [.42, .57],
    d = 0.58) while the facts sheet writes the same figures as r = 0.50 (95% CI 0.42, 0.57), d = .58, .28 to .34
    (with an en dash)."""
    text = re.sub(r"(?<![\d.])0\.(?=\d)", ".", text)  # leading zeros
    text = re.sub(r"(\.\d+)\u2013(\.\d+)", r"\1, \2", text)  # .28 (en dash) .34 -> .28, .34
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
    items = cells.notebook_items(release(module, name))
    assert items or name == module.data
    for spec, _ in items:
        view = ItemWidget(spec=front_end_spec(validate_item(spec))).spec
        assert view["prompt"] and "[@" not in json.dumps(view), spec["id"]  # citations shown as (Author, year)


@pytest.mark.parametrize(("module", "name"), NOTEBOOKS, ids=lambda x: getattr(x, "id", x))
def test_notebooks_say_how_to_answer_and_submit(module: course_model.Module, name: str):
    """First cell: how to make the items appear; post-tests: the real submit menu (there is no Assignments tab)."""
    nb = nbformat.read(source(module, name), as_version=4)
    first = nb.cells[0]
    assert first.cell_type == "markdown" and "Run > Run All Cells" in first.source, name
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert "Assignments tab" not in text.replace("**", ""), name
    if name in [f.posttest for f in module.forms]:
        assert "Nbgrader > Assignment List" in first.source, name


SENSITIVE = re.compile(r"\b(died|death|grief|bereave\w*|miscarriage|pregnancy loss|trauma\w*|violence|burnout|"
                       r"earthquake|self-care plan|intensive care|newborn)\b", re.I)


@pytest.mark.parametrize(("module", "name"), NOTEBOOKS, ids=lambda x: getattr(x, "id", x))
def test_content_note_where_vignettes_touch_hard_topics(module: course_model.Module, name: str):
    """Vignettes about loss, trauma, violence or burnout get a note with where to find support (facts 6b)."""
    nb = nbformat.read(source(module, name), as_version=4)
    contexts = " ".join(spec.get("context", "") + " " + spec.get("prompt", "")
                        for spec, _ in cells.notebook_items(source(module, name)))
    if not SENSITIVE.search(contexts):
        return
    first = nb.cells[0].source
    for needed in ("If this material affects you", "supervisor", "employee assistance program", "988",
                   "findahelpline.com"):
        assert needed in first, f"{name}: content note lacks {needed!r}"
    for i, cell in enumerate(nb.cells):
        spec = cells.item_spec(cell.source) if cell.cell_type == "code" else None
        if spec and spec["kind"] == "text" and spec["mode"] == "practice" and "your own" in spec["prompt"]:
            before = nb.cells[i - 1].source
            assert "988" in before and "findahelpline.com" in before, f"{spec['id']}: no note before a self-check"


def posttest_page_output() -> str:
    """What course/posttests.qmd prints: its Python chunks run as Quarto would run them, in order."""
    import contextlib
    import io
    page = (ROOT / "course" / "posttests.qmd").read_text("utf-8")
    out = io.StringIO()
    scope: dict = {}
    with contextlib.redirect_stdout(out), contextlib.chdir(ROOT / "course"):
        for chunk in re.findall(r"```\{python\}\n(.*?)```", page, re.S):
            exec(compile(chunk, "posttests.qmd", "exec"), scope)
    return out.getvalue()


def test_posttest_page_shows_a_few_samples_and_how_to_submit():
    text = posttest_page_output()
    keys = {k: v for m in COURSE.modules for path in [COURSE.source(m, m.posttest)]
            for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code"
            for k, v in cells.keys(c.source).items()}
    for module in COURSE.modules:
        items = posttest_items(module)
        shown = [s["id"] for s in items if s["prompt"].strip() in text]
        assert 1 <= len(shown) <= 3 < len(items), f"{module.id}: shows {shown}"
        assert f"exercises/{module.id}/{module.posttest}.ipynb" in text
        for form in module.retakes():  # the public site never shows a retake form's items before the attempt
            assert not [s["id"] for s in posttest_items(module, form) if s["prompt"].strip() in text], form
            assert form.assignment not in text and form.posttest not in text, form
    assert "Nbgrader > Assignment List" in text and "Assignments* tab" not in text
    # The samples include distressing vignettes: the page carries the same short content note (facts 6b).
    page = (ROOT / "course" / "posttests.qmd").read_text("utf-8")
    for needed in ("If this material affects you", "supervisor", "employee assistance program", "988",
                   "findahelpline.com"):
        assert needed in page, f"posttests.qmd: content note lacks {needed!r}"
    for item_id, key in keys.items():
        if isinstance(key, list):
            assert json.dumps(key) not in text, item_id


@pytest.mark.parametrize(("module", "form"), FORMS, ids=form_id)
def test_post_test_introduction_states_the_real_item_count_and_points(module: course_model.Module,
                                                                     form: course_model.Form):
    first = nbformat.read(COURSE.form_source(form), as_version=4).cells[0].source.replace("\n", " ")
    stated = re.search(r"(\d+) items worth (\d+(?:\.\d+)?) points?( each)?", first)
    items = posttest_items(module, form)
    assert stated, f"{module.id}: the introduction does not say how many items and points"
    assert int(stated[1]) == len(items), stated[0]
    total = sum(s["points"] for s in items)
    assert float(stated[2]) * (len(items) if stated[3] else 1) == total, stated[0]


@pytest.mark.parametrize(("module", "form"), FORMS, ids=form_id)
def test_every_graded_post_test_item_has_a_rationale_kept_out_of_the_release(module: course_model.Module,
                                                                            form: course_model.Form):
    """Feedback after grading shows why (issue 10); the reason can give the key away, so it lives in hidden tests."""
    for cell in nbformat.read(COURSE.form_source(form), as_version=4).cells:
        spec = cells.item_spec(cell.source) if cell.cell_type == "code" else None
        if spec and spec["kind"] != "text" and cell.metadata.get("nbgrader", {}).get("grade"):  # not the attestation
            hidden = cell.source.split("### BEGIN HIDDEN TESTS", 1)[-1]
            why = " ".join(line[12:] for line in hidden.splitlines() if line.startswith("# Rationale:"))
            assert len(why.split()) >= 15, f"{spec['id']}: rationale too short or missing"
    released = COURSE.form_release(form).read_text("utf-8")
    assert "# Rationale:" not in released and "BEGIN HIDDEN TESTS" not in released


@pytest.mark.parametrize("module", COURSE.modules, ids=lambda m: m.id)
def test_review_sections_name_real_headings_for_every_objective(module: course_model.Module):
    """Feedback for a missed objective names where it is taught (the module file's `review` key)."""
    review = yaml.safe_load((ROOT / "course" / "modules" / f"{module.id}.yml").read_text("utf-8"))["review"]
    page = (ROOT / "course" / f"{module.id}.qmd").read_text("utf-8")
    headings = {re.sub(r"[*_`]", "", h).strip() for h in re.findall(r"^#{2,4}\s+(.+?)\s*(?:\{[^}]*\})?$", page, re.M)}
    assert set(review) == set(module.objectives)
    for objective, sections in review.items():
        assert sections, objective
        for section in sections:
            assert re.sub(r"[*_`]", "", section) in headings, f"{objective}: no heading {section!r} on {module.id}.qmd"
