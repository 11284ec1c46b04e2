"""Contact hours computed from the course itself, so that the hours a certificate states can be checked.

An accreditor asks how the contact hours were set. This module answers from the actual material:

- reading time: the words a learner reads (each module page, and the markdown cells and item text of the
  module's notebooks) divided by a reading rate;
- exercise time: for every item, practice and graded alike, an estimated number of minutes for its kind
  (choosing, ordering, computing, writing), on top of reading its text.

Both the reading rate and the minutes per item kind are the course's stated assumptions, kept in
course/course.yml under `contact_hours` (they are not taken from a published source), so that anyone can see
and change them. tests/test_front_matter.py checks that the hours declared per module in
course/modules/<id>.yml add up to within 10% of the computed total.

Run `python -m empathy_ce.contact_hours` for the table.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat

from . import cells
from . import course as course_model

# A word is a run of letters or digits (with inner apostrophes, hyphens, points or commas: "self-care", ".28").
WORD = re.compile(r"[^\W_](?:[\w'’.,-]*[^\W_])?")
# Quarto syntax a learner does not read: shortcodes ({{< embed >}}), fenced code, HTML comments, attributes.
SHORTCODE = re.compile(r"\{\{<.*?>\}\}", re.S)
FENCED = re.compile(r"^```.*?^```", re.S | re.M)
COMMENT = re.compile(r"<!--.*?-->", re.S)
ATTRIBUTES = re.compile(r"\{[#.][^}]*\}|\{tbl-[^}]*\}")
LINK_TARGET = re.compile(r"\]\([^)]*\)")
CITATION = re.compile(r"\[-?@[^\]]*\]|-?@[\w:-]+")
# Item fields a learner reads; per-option feedback is left out (a learner reads only the one they chose).
ITEM_TEXT = ("context", "prompt", "rationale", "example")


@dataclass(frozen=True)
class Assumptions:
    """The course's stated assumptions, from course/course.yml `contact_hours`."""

    words_per_minute: float
    minutes_per_item: dict[str, float]

    @classmethod
    def from_course(cls, course: course_model.Course) -> Assumptions:
        raw: dict[str, Any] = course.raw.get("contact_hours") or {}
        try:
            return cls(words_per_minute=float(raw["words_per_minute"]),
                       minutes_per_item={str(k): float(v) for k, v in raw["minutes_per_item"].items()})
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            raise ValueError("course/course.yml needs `contact_hours: {words_per_minute: ..., minutes_per_item: "
                             f"{{single: ..., ...}}}}` to compute contact hours ({error!r})") from error


@dataclass
class ModuleTime:
    id: str
    declared_hours: float
    page_words: int = 0
    notebook_words: int = 0
    items: dict[str, int] = field(default_factory=dict)
    reading_minutes: float = 0.0
    exercise_minutes: float = 0.0

    @property
    def words(self) -> int:
        return self.page_words + self.notebook_words

    @property
    def computed_hours(self) -> float:
        return (self.reading_minutes + self.exercise_minutes) / 60


def count_words(text: str) -> int:
    return len(WORD.findall(text))


def page_text(path: Path) -> str:
    """The prose of a module page as a learner reads it: no YAML header, code, shortcodes or reference list."""
    text = path.read_text("utf-8")
    if text.startswith("---"):
        text = text.split("---", 2)[2]
    text = re.split(r"^## References\s*$", text, maxsplit=1, flags=re.M)[0]
    for pattern in (FENCED, SHORTCODE, COMMENT, ATTRIBUTES, LINK_TARGET, CITATION):
        text = pattern.sub(" ", text)
    return text


def notebook_text(path: Path) -> tuple[str, dict[str, int]]:
    """The markdown cells and item text of a notebook, and how many items of each kind it has."""
    nb = nbformat.read(path, as_version=4)
    parts = [c.source for c in nb.cells if c.cell_type == "markdown"]
    kinds: dict[str, int] = {}
    for spec, _ in cells.notebook_items(path):
        kinds[spec["kind"]] = kinds.get(spec["kind"], 0) + 1
        parts += [str(spec[k]) for k in ITEM_TEXT if spec.get(k)]
        parts += [str(option["label"]) for option in spec.get("options", [])]
        parts += [str(label) for label in spec.get("scale", {}).get("labels", {}).values()]
        parts += [str(criterion) for criterion in spec.get("rubric", []) if isinstance(criterion, str)]
    return "\n".join(CITATION.sub(" ", p) for p in parts), kinds


def module_time(course: course_model.Course, module: course_model.Module, assumptions: Assumptions) -> ModuleTime:
    result = ModuleTime(id=module.id, declared_hours=module.contact_hours)
    result.page_words = count_words(page_text(course.root / "course" / f"{module.id}.qmd"))
    for notebook in module.notebooks():
        text, kinds = notebook_text(course.source(module, notebook))
        result.notebook_words += count_words(text)
        for kind, n in kinds.items():
            result.items[kind] = result.items.get(kind, 0) + n
    unknown = set(result.items) - set(assumptions.minutes_per_item)
    if unknown:
        raise ValueError("course/course.yml contact_hours.minutes_per_item has no time for item kinds "
                         f"{sorted(unknown)} used in module {module.id}")
    result.reading_minutes = result.words / assumptions.words_per_minute
    result.exercise_minutes = sum(n * assumptions.minutes_per_item[k] for k, n in result.items.items())
    return result


def compute(root: Path | None = None) -> list[ModuleTime]:
    course = course_model.load(root)
    assumptions = Assumptions.from_course(course)
    return [module_time(course, module, assumptions) for module in course.modules]


def total_hours(times: list[ModuleTime]) -> float:
    return sum(t.computed_hours for t in times)


def report(times: list[ModuleTime]) -> str:
    lines = [f"{'module':<14}{'words':>8}{'items':>7}{'reading':>10}{'exercises':>11}{'computed':>10}{'declared':>10}"]
    for t in times:
        lines.append(f"{t.id:<14}{t.words:>8}{sum(t.items.values()):>7}{t.reading_minutes:>9.0f}m"
                     f"{t.exercise_minutes:>10.0f}m{t.computed_hours:>9.2f}h{t.declared_hours:>9.2f}h")
    declared = sum(t.declared_hours for t in times)
    lines.append(f"{'total':<14}{sum(t.words for t in times):>8}{sum(sum(t.items.values()) for t in times):>7}"
                 f"{sum(t.reading_minutes for t in times):>9.0f}m{sum(t.exercise_minutes for t in times):>10.0f}m"
                 f"{total_hours(times):>9.2f}h{declared:>9.2f}h")
    return "\n".join(lines)


def breakdown(module_id: str, root: Path | None = None) -> dict[str, float]:
    """Minutes for one module, split as a learner plans them: the page, the practice sets, the data notebook (if
    any) and the post-test. Each notebook's share is its text at the reading rate plus its items' minutes, so
    the parts add up to the module's computed time."""
    course = course_model.load(root)
    assumptions = Assumptions.from_course(course)
    module = next((m for m in course.modules if m.id == module_id), None)
    if module is None:
        raise ValueError(f"course/course.yml lists no module {module_id!r} (modules: "
                         f"{', '.join(m.id for m in course.modules)})")

    def notebook_minutes(name: str) -> float:
        text, kinds = notebook_text(course.source(module, name))
        return (count_words(text) / assumptions.words_per_minute
                + sum(n * assumptions.minutes_per_item.get(k, 0.0) for k, n in kinds.items()))

    page = count_words(page_text(course.root / "course" / f"{module.id}.qmd")) / assumptions.words_per_minute
    parts = {"page": page, "practice": sum(notebook_minutes(n) for n in module.practice)}
    if module.data:
        parts["data"] = notebook_minutes(module.data)
    parts["posttest"] = notebook_minutes(module.posttest)
    return parts


def contact_time_note(module_id: str, root: Path | None = None) -> str:
    """The "Estimated contact time" paragraph of a module page, from the declared hours and this script's
    estimate, so that the page can never state other numbers than the script (pages print it at render time)."""
    course = course_model.load(root)
    module = next(m for m in course.modules if m.id == module_id)
    parts = {k: round(v) for k, v in breakdown(module_id, root).items()}
    pieces = [f"about {parts['page']} minutes for reading the text of this page",
              f"{parts['practice']} minutes for the practice exercises"]
    if "data" in parts:
        pieces.append(f"{parts['data']} minutes for the data exercise notebook")
    pieces.append(f"{parts['posttest']} minutes for the graded post-test")
    hours = module.contact_hours
    return (f"This module carries **{hours:g} contact hour{'' if hours == 1 else 's'}**. The course's "
            f"contact-hour script (see *How the contact hours were set* on the home page) estimates "
            f"{', '.join(pieces[:-1])} and {pieces[-1]}: about {sum(parts.values())} minutes in all, counting the "
            f"time to read each exercise's text and to answer it.\n")


def main(argv: list[str]) -> None:
    print(report(compute(Path(argv[0]) if argv else None)))


if __name__ == "__main__":
    main(sys.argv[1:])
