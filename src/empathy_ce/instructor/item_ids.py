"""Item ids are unique across the course: the same id in two places is refused before release.

Answers, grades and the report's objectives are keyed by item id. The same id in two modules (an item copied
from one post-test into another) is kept apart at grading only by the folder layout, and the report then lists
an objective under the wrong module; so ``empathy-ce check`` and ``release`` refuse it, naming both places.
"""

from __future__ import annotations

from dataclasses import dataclass

import nbformat

from .. import cells
from .. import course as course_model


@dataclass(frozen=True)
class Place:
    module: str
    notebook: str
    cell: str  # the nbgrader cell id (grade_id), or the cell's position when it has none

    def __str__(self) -> str:
        return f"module {self.module}, notebook {self.notebook}.ipynb, cell {self.cell}"


def places(course: course_model.Course) -> dict[str, list[Place]]:
    """Every item id in the course's source notebooks (solutions/), with every place it is defined."""
    found: dict[str, list[Place]] = {}
    for module in course.modules:
        notebooks = [(name, course.source(module, name)) for name in module.notebooks()]
        notebooks += [(form.posttest, course.form_source(form)) for form in module.retakes()]  # form B, C, ...
        for name, path in notebooks:
            if not path.exists():
                continue
            nb = nbformat.read(path, as_version=4)
            for index, cell in enumerate(nb.cells):
                spec = cells.item_spec(cell.source) if cell.cell_type == "code" else None
                if spec is None or not isinstance(spec.get("id"), str):
                    continue
                cell_id = cell.metadata.get("nbgrader", {}).get("grade_id") or f"#{index + 1}"
                found.setdefault(spec["id"], []).append(Place(module.id, name, cell_id))
    return found


def duplicates(course: course_model.Course) -> list[str]:
    """One plain message per item id defined more than once, naming every place; empty when all are unique."""
    return [f"item id '{item_id}' is defined more than once: " + "; and ".join(str(p) for p in where)
            + ". Item ids must be unique across the course; rename one of them."
            for item_id, where in sorted(places(course).items()) if len(where) > 1]
