"""Feedback after grading (nbgrader generate_feedback): under each post-test item, right or not and why, and for a
module not passed, what to review. Configured by empathy_ce.grading.config.configure()."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import nbformat
from nbconvert.exporters.exporter import ResourcesDict
from nbformat.notebooknode import NotebookNode
from nbgrader import utils
from nbgrader.api import Gradebook, MissingEntry
from nbgrader.preprocessors import NbGraderPreprocessor

from ..authoring import RATIONALE_PREFIX
from ..cells import item_spec

Result = tuple[NotebookNode, ResourcesDict]


def hidden_rationale(source: str) -> str | None:
    """A graded item's rationale, kept in its hidden tests (``# Rationale: ...`` lines) so that learners see it
    only in feedback, after grading; None when the item has none."""
    lines = [line.strip()[len(RATIONALE_PREFIX):].strip() for line in source.splitlines()
             if line.strip().startswith(RATIONALE_PREFIX)]
    return " ".join(lines) or None


class ItemFeedback(NbGraderPreprocessor):
    """Feedback (nbgrader generate_feedback): under each post-test item, whether it was right and why; for a
    module not passed, a "What to review" box with the objectives missed and where they are taught.

    Feedback is generated after grading, so an item's rationale (which can reveal its key) reaches the learner
    only then. An item without a rationale gets none: nothing is made up.
    """

    def preprocess(self, nb: NotebookNode, resources: ResourcesDict) -> Result:
        from nbgrader.coursedir import CourseDirectory

        from .. import course as course_model
        from ..instructor import review

        info = resources["nbgrader"]
        coursedir = CourseDirectory(config=self.config)
        try:
            course = course_model.load(Path(coursedir.root))
        except (OSError, KeyError, FileNotFoundError):
            return nb, resources
        module = next((m for m in course.modules if m.id == info["assignment"]), None)
        form = next((f for m in course.modules for f in m.forms if f.assignment == info["assignment"]), None)
        if module is None and form is not None:  # a retake form (its own assignment): feedback as for form A
            module = course.retake_assignments()[info["assignment"]][0]
        if module is None or form is None or info["notebook"] != form.posttest:
            return nb, resources
        earned: dict[str, float] = {}
        points: dict[str, float] = {}
        objectives: dict[str, str] = {}
        cells_out = []
        awaiting = 0  # written answers not graded by hand yet: no verdict on the module until they are
        with Gradebook(info["db_url"]) as gb:
            for cell in nb.cells:
                cells_out.append(cell)
                grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
                spec = item_spec(cell.source) if cell.cell_type == "code" else None
                if utils.is_task(cell) and cell.metadata["nbgrader"].get("points"):
                    spec = {"id": grade_id}  # a hand-graded task (a conversation's written turn): counts too
                elif spec is None or spec.get("mode") != "assessment" or not utils.is_grade(cell):
                    continue
                try:
                    grade = gb.find_grade(grade_id, info["notebook"], info["assignment"], info["student"])
                except MissingEntry:
                    continue
                top = float(grade.max_score or 0)
                got = None if grade.needs_manual_grade and grade.manual_score is None else float(grade.score or 0)
                earned[spec["id"]] = got or 0.0
                awaiting += got is None
                points[spec["id"]] = top
                if spec.get("objective"):
                    objectives[spec["id"]] = spec["objective"]
                cells_out.append(nbformat.v4.new_markdown_cell(
                    _verdict(got, top, spec.get("rationale") or hidden_rationale(cell.source))))
        nb.cells = cells_out
        total, top = sum(earned.values()), sum(points.values())
        passed = top > 0 and total / top + 1e-9 >= course.pass_mark
        missed = [] if passed or awaiting else review.what_to_review(course, module, earned, points, objectives)
        first = next((i for i, c in enumerate(nb.cells) if c.cell_type == "markdown"), -1) + 1
        summary = _summary(total, top, course.pass_mark, passed, missed, awaiting)
        nb.cells.insert(first, nbformat.v4.new_markdown_cell(summary))
        return nb, resources


def _points(top: float) -> str:
    return f"{top:g} point{'' if top == 1 else 's'}"


def _verdict(got: float | None, top: float, rationale: str | None) -> str:
    if got is None:
        verdict = "**Not graded yet:** your instructor grades this answer by hand."
    elif got + 1e-9 >= top:
        verdict = f"**Right** ({got:g} of {_points(top)})."
    elif got > 0:
        verdict = f"**Partly right** ({got:g} of {_points(top)})."
    else:
        verdict = f"**Not right** (0 of {_points(top)})."
    return verdict + (f"\n\n**Why:** {rationale}" if rationale else "")


REVIEW_BOX = ('<div class="ece-review" role="note" style="border: 2px solid #b2182b; border-radius: 6px; '
              'padding: 0.25rem 1rem; margin: 0.5rem 0 1rem; background: #fff8f5">')


def _summary(total: float, top: float, pass_mark: float, passed: bool, missed: list[Any], awaiting: int = 0) -> str:
    share = 100 * total / top if top else 0.0
    verdict = "passed" if passed else "not passed yet"
    if awaiting and not passed:
        verdict = (f"your instructor has yet to grade {awaiting} written answer{'s' if awaiting > 1 else ''}, so the "
                   "result is not final")
    lines = [f"**Your post-test: {total:g} of {top:g} points ({share:.0f}%); the pass mark is "
             f"{100 * pass_mark:.0f}%: {verdict}.** Each item below says whether your answer was right."]
    if missed:
        lines += ["", REVIEW_BOX, "", "### What to review", "",
                  "You earned less than the pass mark on these learning objectives:", ""]
        for m in missed:
            where = "; ".join([*m.sections, *m.practice])
            lines.append(f"- **{m.objective}**: {m.description.rstrip('.')} ({m.earned:g} of {_points(m.points)}). "
                         f"Review: {where}.")
        lines += ["", "</div>"]
    return "\n".join(lines)
