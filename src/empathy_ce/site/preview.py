"""Markdown for the website's generated parts: the course summary and the post-test previews.

Both are printed by code cells (`output: asis`) in course/index.qmd and course/posttests.qmd, so the site always
shows what course/course.yml, course/modules/<id>.yml and the released post-tests say. The previews read only
the released learner notebooks (exercises/), which carry no keys: an assessment item's spec has no answer,
rationale or feedback (the item schema refuses them), and this module prints only the fields a learner sees.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .. import cells, kinds
from .. import course as course_model
from ..front_matter import NOT_SET, provider_field
from ..kinds.conversation.written import written_points

SHOWN_FIELDS = ("id", "kind", "mode", "objective", "points", "context", "prompt", "options", "scale", "unit",
                "rubric")


def _hours(value: float) -> str:
    return f"{value:g}"  # 1.25 and 5.25 in full (".1f" printed them as 1.2 and 5.2)


def _points(value: float) -> str:
    return f"{value:g} point" + ("" if value == 1 else "s")


def _quote(text: str) -> str:
    return "\n".join(f"> {line}" if line.strip() else ">" for line in text.strip().splitlines())


def at_a_glance(root: Path | None = None) -> str:
    """Audience, format, contact hours, pass mark and provider, from course/course.yml."""
    course = course_model.load(root)
    raw = course.raw
    provider = course.provider
    # Placeholder text never reaches the page as if it were a detail: it reads "not yet set" (front_matter.py).
    statement, number = (provider_field(provider, name) for name in ("approval_statement", "approval_number"))
    approval = NOT_SET if NOT_SET in (statement, number) else f"{statement} {number}"
    lines = [
        f"- **Audience:** {raw['audience']}",
        f"- **Format:** {course.delivery}, {len(course.modules)} modules, read on this website, with practice "
        "exercises in the page and a graded post-test per module in JupyterLab",
        f"- **Contact hours:** {_hours(course.contact_hours)} in total",
        f"- **Pass mark:** {course.pass_mark:.0%} of the points on each module's post-test",
        f"- **Provider:** {provider_field(provider, 'name')}",
        f"- **Approval:** {approval}",
    ]
    return "\n".join(lines) + "\n"


def modules_and_objectives(root: Path | None = None) -> str:
    """One section per module, in teaching order: contact hours, learning objectives, link to the page."""
    course = course_model.load(root)
    parts = []
    for number, module in enumerate(course.modules, start=1):
        parts.append(f"### Module {number}: [{module.title}]({module.id}.qmd)\n")
        parts.append(f"**{_hours(module.contact_hours)} contact hour"
                     f"{'' if module.contact_hours == 1 else 's'}.** After this module you will be able to:\n")
        parts += [f"- **{key}**: {text}" for key, text in module.objectives.items()]
        parts.append("")
    parts.append(f"**Total: {_hours(course.contact_hours)} contact hours** across {len(course.modules)} modules.\n")
    return "\n".join(parts)


def item_markdown(number: int, spec: dict[str, Any]) -> str:
    """One assessment item as a learner would read it, with no answer controls and no key."""
    kind = kinds.get(spec["kind"])
    shown = (*SHOWN_FIELDS, *kind.schema.get("properties", {}))  # and the fields a kind adds to the contract
    spec = {k: v for k, v in spec.items() if k in shown}
    out = [f"### Item {number} ({_points(spec.get('points', 0))}) {{.unnumbered .unlisted}}", ""]
    if spec.get("context"):
        out += [_quote(spec["context"]), ""]
    out += [spec["prompt"].strip(), "", f"*{kind.preview_hint or kind.hint}*", ""]
    out += kind.preview_lines(spec)  # options, scale points, unit or rubric: what this kind shows
    return "\n".join(out)


def sample_items(items: list[dict[str, Any]], count: int) -> list[dict[str, Any]]:
    """A few items to show in advance: the first, then the first of each other kind, up to count."""
    chosen: list[dict[str, Any]] = []
    for spec in items:
        if len(chosen) < count and all(spec["kind"] != c["kind"] for c in chosen):
            chosen.append(spec)
    return chosen


def posttest_preview(module_id: str, root: Path | None = None, samples: int | None = None) -> str:
    """How to take and submit a module's post-test in JupyterLab, with its items read-only: every item, or only
    `samples` of them (the site shows a few, so that graded items are not all known in advance)."""
    course = course_model.load(root)
    module = next(m for m in course.modules if m.id == module_id)
    number = course.modules.index(module) + 1
    release = course.release(module, module.posttest)
    found = cells.notebook_items(release)
    items = [spec for spec, meta in found if spec.get("mode") == "assessment" and meta.get("grade")]
    attests = any(spec["kind"] == "attestation" for spec, _ in found)  # not graded, required for a certificate
    # A conversation's written turn is hand-graded in a cell of its own, with its own points.
    total = sum(spec.get("points", 0) + written_points(spec) for spec in items)
    notebook = release.relative_to(course.root).as_posix()
    shown = sample_items(items, samples) if samples else items
    parts = [
        f"## Module {number}: {module.title} {{#posttest-{module.id}}}",
        "",
        "::: {.callout-important}",
        "## Preview only: take and submit this post-test in JupyterLab",
        f"This website cannot take your answers. Open `{notebook}` in JupyterLab, choose *Run > Run All Cells*, "
        "and answer each item by clicking or typing; your answers are saved as you go. When you have finished, "
        "save the notebook, choose *Nbgrader > Assignment List* from the menu and click *Submit* next to this "
        "module. "
        f"The post-test has {len(items)} items worth {_points(total)}; the pass mark is "
        f"{course.pass_mark:.0%} ({course.pass_mark * total:g} of {_points(total)})."
        + (" Before you submit, complete the attestation at the end (not scored; a certificate needs it): tick "
           "the box, type your name and the minutes you spent." if attests else ""),
        ":::",
        "",
        f"Study the [module page]({module.id}.qmd) and its practice exercises first."
        + (f" Sample items ({len(shown)} of {len(items)}):" if samples else ""),
        "",
    ]
    parts += [item_markdown(i, spec) for i, spec in enumerate(shown, start=1)]
    return "\n".join(parts) + "\n"


def evaluation_preview(root: Path | None = None) -> str:
    """The course evaluation (course/course.yml `evaluation`): where it is, that it is not scored, and required."""
    course = course_model.load(root)
    ident = course.raw.get("evaluation")
    if not ident:
        return ""
    notebooks = sorted((course.root / "exercises" / ident).glob("*.ipynb"))
    where = f"`{notebooks[0].relative_to(course.root).as_posix()}`" if notebooks else f"`exercises/{ident}/`"
    return "\n".join([
        f"## Course evaluation {{#{ident}}}", "",
        f"After your last post-test, open {where} in JupyterLab, choose *Run > Run All Cells* and answer: how well "
        "each learning objective was met, the course's relevance to your practice, the quality and clarity of the "
        "materials, any commercial bias you noticed, accessibility, how long the course took you, and your "
        f"comments. It is not scored. Submit it like a module (*Nbgrader > Assignment List*, *Submit* next to "
        f"`{ident}`): **a certificate is issued only after it is submitted.** Your instructor sees only summaries "
        "of everyone's answers, without names, and only once at least 5 learners have answered.", ""])


def all_posttest_previews(root: Path | None = None, samples: int | None = None) -> str:
    course = course_model.load(root)
    return "\n".join([*(posttest_preview(m.id, root, samples) for m in course.modules), evaluation_preview(root)])
