"""The golden course: one module of the golden notebook, released with nbgrader, and what its gradebook holds.

Shared by the grading comparison (`empathy-ce grade` against `nbgrader autograde`) and the answer-file hardening
suite, which submit learners to it.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbgrader.api import Gradebook

from support import golden
from support.course import Course, course_yml, module_yml

STAMP = "2026-03-02 10:00:00.000000 UTC"  # every submission's timestamp.txt
COURSE_YML = course_yml("Golden course", "gold")
MODULE_YML = module_yml("gold", "Golden module", "{gold-1: One, gold-2: Two, gold-3: Three}")

def gold_course(root: Path, course_yml: str = COURSE_YML) -> Course:
    """A one-module course of the golden notebook, released with nbgrader; course_yml: another course.yml (the
    provider's facts set, say)."""
    from empathy_ce.instructor import release

    root.mkdir()
    course = Course(root)
    course.add_source("gold", "gold", golden.notebook())
    course.describe(course_yml, "gold", MODULE_YML)
    assert all(step.ok for step in release.release(course.root, ["gold"]))
    return course


def cell_index(nb: nbformat.NotebookNode, grade_id: str) -> int:
    return next(i for i, c in enumerate(nb.cells) if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)


def gradebook(root: Path) -> dict:
    """(learner, cell, "grade") -> (auto, manual, needs manual grade, score); (learner, cell, "comment") ->
    (auto, manual) for every submission of the gold assignment."""
    found = {}
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
        for submission in gb.find_assignment("gold").submissions:
            for notebook in submission.notebooks:
                for g in notebook.grades:
                    found[submission.student.id, g.name, "grade"] = (g.auto_score, g.manual_score,
                                                                      g.needs_manual_grade, g.score)
                for c in notebook.comments:
                    found[submission.student.id, c.name, "comment"] = (c.auto_comment, c.manual_comment)
    return found
