"""The course's front matter (issue 10, section 3) and its contact hours.

- The contact hours declared in course/modules/<id>.yml are within 10% of the hours computed from the actual
  text and exercises (src/empathy_ce/contact_hours.py), and the computation responds to the material.
- The home page, rendered by the real Quarto, shows every front-matter field; provider details that are still
  placeholders show as not set (and block certificates), set ones show their values.
- The content note ("If this material affects you") is on the rendered home page before the modules.
"""

from __future__ import annotations

import html
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
import yaml
from support.instructor_course import PROVIDER

from empathy_ce import contact_hours, front_matter
from empathy_ce import course as course_model
from empathy_ce.instructor import certificates
from empathy_ce.site import preview

ROOT = Path(__file__).resolve().parents[1]
COURSE = course_model.load(ROOT)
FIELDS = ("level", "prerequisites", "authors", "reviewers", "conflicts", "commercial-support", "contact-hours",
          "dates", "certificate", "refunds", "grievances", "accommodation", "contact", "technical", "privacy")


def copy_course(target: Path, *, with_site: bool = False) -> Path:
    target.mkdir(parents=True, exist_ok=True)
    names = ["nbgrader_config.py"] + (["_quarto.yml", "package.json", "package-lock.json"] if with_site else [])
    for name in names:
        shutil.copy(ROOT / name, target / name)
    folders = ["course", "solutions"] + (["site", "exercises", "src"] if with_site else [])
    for name in folders:
        shutil.copytree(ROOT / name, target / name, ignore=shutil.ignore_patterns("__pycache__", "answers*.json",
                                                                                   "_site", ".quarto"))
    return target


def set_provider(root: Path, provider: dict[str, str]) -> None:
    path = root / "course" / "course.yml"
    data = yaml.safe_load(path.read_text("utf-8"))
    data["provider"] = dict(provider)
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), "utf-8")


# ------------------------------------------------------------------------------------------ contact hours


def test_declared_contact_hours_are_within_ten_percent_of_the_computed_hours():
    times = contact_hours.compute(ROOT)
    computed, declared = contact_hours.total_hours(times), COURSE.contact_hours
    assert abs(declared - computed) <= 0.10 * computed, (
        f"declared {declared:.2f} h, computed {computed:.2f} h from the text and exercises:\n"
        + contact_hours.report(times))
    # Each module too: its certificate line and its post-test length (6-8 items per hour) rest on its own hours.
    declared_by_module = {m.id: m.contact_hours for m in COURSE.modules}
    for t in times:
        assert abs(declared_by_module[t.id] - t.computed_hours) <= 0.10 * t.computed_hours, (
            f"{t.id}: declared {declared_by_module[t.id]:g} h, computed {t.computed_hours:.2f} h")
    # Every module's page and notebooks were read, and every item was counted.
    for t in times:
        assert t.page_words > 1000 and t.notebook_words > 1000 and sum(t.items.values()) >= 8, t


def test_notebooks_state_the_time_the_script_computes():
    """A notebook's "Estimated time" is the script's figure for that notebook, to the nearest 5 minutes."""
    for module in COURSE.modules:
        parts = contact_hours.breakdown(module.id, ROOT)
        for name in module.notebooks():
            part = "practice" if name in module.practice else "data" if name == module.data else "posttest"
            minutes = parts[part] / (len(module.practice) if part == "practice" else 1)
            text = "\n".join(c.source for c in nbformat.read(COURSE.source(module, name), as_version=4).cells
                             if c.cell_type == "markdown")
            stated = re.search(r"\*\*Estimated time:\*\* about (\d+) minutes", text)
            assert stated, f"{module.id}/{name}: no estimated time"
            assert abs(int(stated[1]) - minutes) <= 5, f"{module.id}/{name}: states {stated[1]}, script {minutes:.0f}"


def test_contact_hours_follow_the_material(tmp_path: Path):
    root = copy_course(tmp_path / "course")
    module = COURSE.modules[0]
    before = {t.id: t for t in contact_hours.compute(root)}[module.id]
    page = root / "course" / f"{module.id}.qmd"
    text = page.read_text("utf-8")
    added = " ".join(["word"] * 2000)
    # Words in code, shortcodes and the reference list are not read by a learner: they do not count.
    page.write_text(text.replace("## References", f"```python\n{added}\n```\n\n{{{{< embed x.ipynb#{added[:40]} >}}}}"
                                 f"\n\n## References\n\n{added}\n"), "utf-8")
    assert {t.id: t for t in contact_hours.compute(root)}[module.id].page_words == before.page_words
    page.write_text(text.replace("## References", f"{added}\n\n## References"), "utf-8")
    after = {t.id: t for t in contact_hours.compute(root)}[module.id]
    assert after.page_words == before.page_words + 2000
    rate = contact_hours.Assumptions.from_course(course_model.load(root)).words_per_minute
    assert after.reading_minutes == pytest.approx(before.reading_minutes + 2000 / rate)


def test_module_pages_state_the_contact_time_the_script_computes():
    """Each page's "Estimated contact time" is printed by the script at render time, never typed by hand."""
    computed = {t.id: t for t in contact_hours.compute(ROOT)}
    for module in COURSE.modules:
        text = (ROOT / "course" / f"{module.id}.qmd").read_text("utf-8")
        start = text.index("## Estimated contact time")
        section = text[start:text.index("\n## ", start + 1)]
        assert f'contact_time_note("{module.id}")' in section and "output: asis" in section, module.id
        assert not re.search(r"\b\d+ minutes\b", section), f"{module.id}: hand-written minutes in {section!r}"
        parts = contact_hours.breakdown(module.id, ROOT)
        whole = computed[module.id]
        assert sum(parts.values()) == pytest.approx(whole.reading_minutes + whole.exercise_minutes)
        assert ("data" in parts) == bool(module.data)
        note = contact_hours.contact_time_note(module.id, ROOT)
        assert f"**{module.contact_hours:g} contact hour" in note
        assert f"{round(parts['posttest'])} minutes for the graded post-test" in note
        assert f"about {sum(round(v) for v in parts.values())} minutes in all" in note
    with pytest.raises(ValueError, match="lists no module 'nonesuch'"):
        contact_hours.breakdown("nonesuch", ROOT)


def test_contact_hours_need_stated_assumptions_for_every_item_kind(tmp_path: Path):
    root = copy_course(tmp_path / "course")
    path = root / "course" / "course.yml"
    data = yaml.safe_load(path.read_text("utf-8"))
    del data["contact_hours"]["minutes_per_item"]["single"]
    path.write_text(yaml.safe_dump(data, sort_keys=False), "utf-8")
    with pytest.raises(ValueError, match=r"no time for item kinds \['single'\]"):
        contact_hours.compute(root)
    del data["contact_hours"]
    path.write_text(yaml.safe_dump(data, sort_keys=False), "utf-8")
    with pytest.raises(ValueError, match="words_per_minute"):
        contact_hours.compute(root)


# ------------------------------------------------------------------------------ placeholders and markdown


def test_provider_details_are_placeholders_that_block_certificates():
    missing = certificates.placeholders(COURSE.provider)
    for name in ("authors", "reviewers", "conflicts_of_interest", "commercial_support", "original_release",
                 "last_review", "next_review", "record_retention", "refund_policy", "grievance_policy",
                 "accommodation", "posttest_attempts"):
        assert f"provider.{name}" in missing, name
    markdown = front_matter.front_matter(ROOT)
    assert markdown.count(front_matter.NOT_SET) >= len(certificates.PROVIDER_FIELDS) - 3


def test_set_provider_details_are_shown_and_nothing_is_marked_unset(tmp_path: Path):
    root = copy_course(tmp_path / "course")
    set_provider(root, PROVIDER)
    markdown = front_matter.front_matter(root)
    assert front_matter.NOT_SET not in markdown
    for name in ("authors", "reviewers", "record_retention", "refund_policy", "accommodation", "next_review"):
        assert PROVIDER[name] in markdown, name


def test_home_page_and_instructor_guide_name_every_certificate_field():
    """What certificates.py prints (course title, name, date, hours, delivery format, approval statement and
    number) is what the home page promises and what the instructor guide tells the provider."""
    guide = re.sub(r"\s+", " ", (ROOT / "course" / "instructor.qmd").read_text("utf-8"))
    home = re.sub(r"\s+", " ", front_matter.front_matter(ROOT))
    for text in (guide, home):
        certificate = text[text.index("certificate of completion"):][:600]
        for must in ("course title", "name", "date", "contact hours", "delivery format",
                     "approval statement and number"):
            assert must in certificate, (must, certificate)
    assert "commercial support" in guide


def test_commercial_support_is_the_providers_to_attest():
    assert "commercial_support" not in COURSE.raw, "commercial support is a provider detail (provider.*)"
    assert "commercial_support" in certificates.PROVIDER_FIELDS
    suggested = COURSE.provider["commercial_support"]
    assert "provider.commercial_support" in certificates.placeholders(COURSE.provider) and '"None."' in suggested


def test_home_page_summary_never_shows_placeholder_text_as_provider_details(tmp_path: Path):
    summary = preview.at_a_glance(ROOT)
    provider_lines = [line for line in summary.splitlines() if line.startswith(("- **Provider:**", "- **Approval:**"))]
    assert len(provider_lines) == 2
    for line in provider_lines:
        assert front_matter.NOT_SET in line and "before issuing" not in line, line
    root = copy_course(tmp_path / "course")
    set_provider(root, PROVIDER)
    summary = preview.at_a_glance(root)
    assert f"- **Provider:** {PROVIDER['name']}" in summary
    assert f"- **Approval:** {PROVIDER['approval_statement']} {PROVIDER['approval_number']}" in summary
    assert front_matter.NOT_SET not in summary


# ------------------------------------------------------------------------------------- the real home page


def quarto() -> str:
    found = shutil.which("quarto")
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("Quarto is not installed: the home page's front matter cannot be checked")
        pytest.skip("quarto is not on PATH (install Quarto to render the home page)")
    return found


def render_home(project: Path) -> str:
    if (ROOT / "node_modules").exists():
        (project / "node_modules").symlink_to(ROOT / "node_modules")
    env = {**os.environ, "QUARTO_PYTHON": sys.executable}
    result = subprocess.run([quarto(), "render", "course/index.qmd"], cwd=project, env=env, capture_output=True,
                            text=True, timeout=900)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    return (project / "_site" / "course" / "index.html").read_text("utf-8")


def field_text(page: str, name: str) -> str:
    match = re.search(rf'<div id="fm-{name}"[^>]*>(.*?)</div>', page, flags=re.S)
    assert match, f"front-matter field fm-{name} is not on the rendered home page"
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", match.group(1)))).strip()


@pytest.fixture(scope="module")
def rendered_home(tmp_path_factory: pytest.TempPathFactory) -> str:
    quarto()
    return render_home(copy_course(tmp_path_factory.mktemp("home") / "project", with_site=True))


@pytest.mark.slow  # renders pages
def test_rendered_home_page_shows_the_front_matter(rendered_home: str):
    page = rendered_home
    for name in FIELDS:
        assert field_text(page, name), name
    assert COURSE.raw["level"] in field_text(page, "level")
    assert "graduate degree" in field_text(page, "prerequisites")
    hours = field_text(page, "contact-hours")
    computed = contact_hours.total_hours(contact_hours.compute(ROOT))
    assert f"{COURSE.contact_hours:g} contact hours" in hours and f"{computed:.1f} hours" in hours
    assert "200 words a minute" in hours
    # Only the provider can attest that there is no commercial support: the course does not say "None" for them.
    for name in ("authors", "reviewers", "conflicts", "commercial-support", "dates", "refunds", "grievances",
                 "accommodation"):
        assert "Not yet set by the course provider" in field_text(page, name), name
    privacy = field_text(page, "privacy")
    assert "post-test answers" in privacy and "practice answers" in privacy and "never submitted" in privacy
    assert "Who sees it" in privacy
    assert "How long records are kept" in field_text(page, "certificate")


@pytest.mark.slow  # renders pages
def test_rendered_home_page_has_the_content_note_before_the_modules(rendered_home: str):
    page = rendered_home
    note, modules = page.index('id="content-note"'), page.index('id="modules-and-learning-objectives"')
    assert note < modules, "the content note must come before the modules"
    text = re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page[note:modules])))
    for must in ("If this material affects you", "supervisor", "therapist of your own", "employee assistance program",
                 "call or text 988", "findahelpline.com"):
        assert must in text, must


@pytest.mark.slow  # renders pages
def test_rendered_home_page_shows_provider_details_once_set(tmp_path: Path):
    quarto()
    project = copy_course(tmp_path / "project", with_site=True)
    set_provider(project, PROVIDER)
    page = render_home(project)
    assert "Not yet set by the course provider" not in page
    assert PROVIDER["authors"] in field_text(page, "authors")
    assert PROVIDER["next_review"] in field_text(page, "dates")
    assert PROVIDER["record_retention"] in field_text(page, "privacy")
    assert PROVIDER["commercial_support"] in field_text(page, "commercial-support")
