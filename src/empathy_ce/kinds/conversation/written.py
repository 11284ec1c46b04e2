"""The hand-graded cell for a graded conversation's written turn (issue 13).

One nbgrader cell cannot be both autograded (the path of replies, scored from the hidden key) and hand-graded
(the learner's own reply), so the written turn gets a cell of its own: an nbgrader *task* cell (markdown, locked,
with points), which nbgrader always lists as needing a manual grade and whose score formgrader adds to the
notebook's total. It holds no code and takes no input: the learner's written reply is saved with the path
(answers.json) and shown, with the rubric, in the conversation cell's output at autograde (summary_html), just
above this cell. The cell shows the rubric to the grader; the examples (the key) never appear in it.

The post-test notebook carries the cell right after the conversation cell (solutions/; regenerate exercises/).
Totals that sum item specs' points add `written_points` (site/preview.py); the learner's feedback counts task
cells (grading/preprocessors.py, ItemFeedback), and the post-test header states the 2 extra points.
"""

from __future__ import annotations

from typing import Any

import nbformat
from nbformat.notebooknode import NotebookNode

from ...authoring import grade_id


def written_grade_id(spec: dict[str, Any]) -> str:
    """The written turn's own nbgrader cell id: the conversation's, with '-written'."""
    return f"{grade_id(spec['id'])}-written"


def written_points(spec: dict[str, Any]) -> float | int:
    """Points the grader awards for the written reply (0 when the conversation has no graded written turn)."""
    turn = spec.get("conversation", {}).get("written_turn") or {}
    return turn.get("points", 0) if spec.get("mode") == "assessment" else 0


def written_turn_cell(spec: dict[str, Any]) -> NotebookNode | None:
    """The markdown task cell graded by hand, or None when the item has no graded written turn."""
    turn = spec.get("conversation", {}).get("written_turn") or {}
    points = written_points(spec)
    if not points or not turn.get("rubric"):
        return None
    name = spec["conversation"]["client"]["name"]
    rubric = "\n".join(f"- {' '.join(r['criterion'].split())} ({r['points']:g} point{'' if r['points'] == 1 else 's'})"
                       for r in turn["rubric"])
    text = (f"**Your written reply to {name}** ({points:g} points, graded by hand). Your instructor reads the "
            f"reply you wrote at the conversation's written turn, above, and grades it with these criteria:\n\n"
            f"{rubric}")
    cell = nbformat.v4.new_markdown_cell(text)
    cell.metadata["nbgrader"] = {"schema_version": 3, "grade_id": written_grade_id(spec), "grade": False,
                                 "solution": False, "locked": True, "task": True, "points": points}
    return cell
