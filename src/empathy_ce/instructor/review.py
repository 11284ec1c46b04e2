"""What a learner who did not pass a post-test should review: the objectives missed, and where they are taught.

An objective is *missed* when the learner earned less than the pass mark's share of its post-test points. Where to
review it comes only from the course's own files, never invented:

- the sections named for it in the module description (``course/modules/<id>.yml``, optional key ``review``:
  ``{objective id: [section heading, ...]}``), else the module page as a whole;
- the practice notebooks' items written for the same objective (how many, in which notebook).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from .. import cells
from .. import course as course_model
from .analysis import EPSILON


@dataclass
class Missed:
    objective: str
    description: str
    earned: float
    points: float
    sections: list[str] = field(default_factory=list)
    practice: list[str] = field(default_factory=list)  # "3 practice questions in trust_practice"


def missed(earned: Mapping[str, float], points: Mapping[str, float], objectives: Mapping[str, str],
           pass_mark: float) -> list[tuple[str, float, float]]:
    """(objective, earned, points) for each objective below the pass mark; items are keyed by item id.

    objectives: item id -> objective id. An item with no objective counts for none.
    """
    totals: dict[str, list[float]] = {}
    for item, objective in objectives.items():
        if item in points:
            total = totals.setdefault(objective, [0.0, 0.0])
            total[0] += earned.get(item, 0.0)
            total[1] += points[item]
    return [(o, e, p) for o, (e, p) in sorted(totals.items()) if p > 0 and e / p + EPSILON < pass_mark]


def _review_sections(course: course_model.Course, module: course_model.Module) -> dict[str, list[str]]:
    path = course.root / "course" / "modules" / f"{module.id}.yml"
    try:
        data = yaml.safe_load(path.read_text("utf-8")) or {}
    except (OSError, yaml.YAMLError):
        return {}
    review = data.get("review") or {}
    return {str(k): [str(s) for s in v] for k, v in review.items() if isinstance(v, list)}


def _practice_counts(course: course_model.Course, module: course_model.Module) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for name in module.practice:
        path = course.source(module, name)
        if not path.exists():
            path = course.release(module, name)
        if not path.exists():
            continue
        counts: dict[str, int] = {}
        for spec, _ in cells.notebook_items(path):
            if spec.get("objective"):
                counts[spec["objective"]] = counts.get(spec["objective"], 0) + 1
        for objective, n in counts.items():
            found.setdefault(objective, []).append(f"{n} practice question{'s' if n > 1 else ''} in {name}")
    return found


def what_to_review(course: course_model.Course, module: course_model.Module, earned: Mapping[str, float],
                   points: Mapping[str, float], objectives: Mapping[str, str]) -> list[Missed]:
    """The objectives a learner missed on this module's post-test, each with where to review it."""
    sections = _review_sections(course, module)
    practice = _practice_counts(course, module)
    found = []
    for objective, got, total in missed(earned, points, objectives, course.pass_mark):
        found.append(Missed(objective, module.objectives.get(objective, ""), got, total,
                            sections.get(objective) or [f"the module page \u201c{module.title}\u201d"],
                            practice.get(objective, [])))
    return found


def course_root(path: str | Path) -> Path:
    return course_model.find_root(Path(path))
