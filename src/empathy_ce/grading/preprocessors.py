"""nbgrader preprocessors that make widget exercises safe to release and to autograde.

Each subclasses NbGraderPreprocessor (nbgrader silently disables preprocessors that do not) and is put
in place by empathy_ce.grading.config.configure().
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import nbformat
from nbconvert.exporters.exporter import ResourcesDict
from nbformat.notebooknode import NotebookNode
from nbgrader import utils
from nbgrader.api import Gradebook, MissingEntry
from nbgrader.preprocessors import ClearSolutions, NbGraderPreprocessor, OverwriteCells

from ..answers import FILENAME, AnswerFileError, AnswerStore
from ..authoring import RATIONALE_PREFIX
from ..cells import item_spec
from .screening import Unsafe, check

Result = tuple[NotebookNode, ResourcesDict]


def _folder(resources: ResourcesDict) -> Path:
    return Path(resources.get("metadata", {}).get("path") or ".")


class RefuseAnswerFiles(NbGraderPreprocessor):
    """Release: stop when the source folder holds an answer file.

    nbgrader would release it, and autograde would copy it over every learner's own answers.
    """

    def preprocess(self, nb: NotebookNode, resources: ResourcesDict) -> Result:
        folder = _folder(resources)
        stray = sorted(p.name for p in folder.glob("answers*.json"))
        if stray:
            raise RuntimeError(
                f"{folder / stray[0]} must not be in the source folder: it would be released to learners and "
                f"would overwrite their own {FILENAME} at autograde. Delete it and release again."
            )
        return nb, resources


class StripWidgetState(NbGraderPreprocessor):
    """Release: drop saved widget state, which carries the instructor's own answers."""

    def preprocess(self, nb: NotebookNode, resources: ResourcesDict) -> Result:
        nb.metadata.pop("widgets", None)
        for cell in nb.cells:
            cell.metadata.pop("widgets", None)
        return nb, resources


class KeepItemCells(ClearSolutions):
    """Release: nbgrader's ClearSolutions, except that a written-answer item cell keeps its ask() call.

    A written answer is typed into the widget, not into the cell, so the cell must stay as it is.
    """

    def preprocess_cell(self, cell: NotebookNode, resources: ResourcesDict, index: int) -> Result:
        if cell.cell_type == "code" and utils.is_solution(cell) and item_spec(cell.source) is not None:
            return cell, resources
        return super().preprocess_cell(cell, resources, index)


class RestoreCells(OverwriteCells):
    """Autograde (sanitise): nbgrader's OverwriteCells, restoring every deleted locked or grade cell.

    nbgrader re-adds a deleted grade cell after the previous grade or solution cell, and fails with a KeyError
    when that previous cell is a locked cell such as the setup cell (so deleting the first item lost the
    learner's whole grade); it never re-adds a deleted setup cell, so every item after it raised NameError.
    Here each missing cell goes back after the nearest earlier instructor cell still in the notebook.
    """

    def add_missing_grade_cells(self, nb: NotebookNode, resources: ResourcesDict) -> Result:
        source = self.gradebook.find_notebook(self.notebook_id, self.assignment_id)
        points = {cell.name: cell.max_score for cell in source.grade_cells}
        solutions = {cell.name for cell in source.solution_cells}
        order = [cell.name for cell in source.source_cells]
        for cell in source.source_cells:
            present = _positions(nb)
            if cell.name in present or not (cell.name in points or cell.locked):
                continue
            self.log.warning("Missing cell %s encountered, adding to notebook", cell.name)
            restored = self.missing_cell_transform(cell, points.get(cell.name, 0), is_solution=cell.name in solutions)
            if cell.name not in points:  # a locked cell that is not graded (the setup cell)
                restored["metadata"]["nbgrader"].update(grade=False)
                restored["metadata"]["nbgrader"].pop("points", None)
            earlier = [present[name] for name in order[: order.index(cell.name)] if name in present]
            nb.cells.insert(max(earlier) + 1 if earlier else 0, nbformat.from_dict(restored))
        return nb, resources


def _positions(nb: NotebookNode) -> dict[str, int]:
    return {cell.metadata.get("nbgrader", {}).get("grade_id"): i for i, cell in enumerate(nb.cells)}


class MirrorSubmission(NbGraderPreprocessor):
    """Autograde (sanitise): the grader's copy of a submission keeps links as links and folders as folders.

    nbgrader copies a submission's files with shutil.copy, which follows links (an answers.json linked to another
    learner's file would be graded as this learner's answers) and skips empty folders (an answers.json that is a
    folder would look like no answers at all). The copy is put back as it was, and the answer-file reader then
    refuses it, naming learner, file and reason.
    """

    def preprocess(self, nb: NotebookNode, resources: ResourcesDict) -> Result:
        from nbgrader.coursedir import CourseDirectory

        info = resources["nbgrader"]
        submitted = _folder(resources)
        coursedir = CourseDirectory(config=self.config)
        graded = Path(coursedir.format_path(coursedir.autograded_directory, info["student"], info["assignment"]))
        if submitted.resolve() == graded.resolve():
            return nb, resources
        for path in sorted(submitted.rglob("*")):
            copy = graded / path.relative_to(submitted)
            if path.is_symlink() and not copy.is_symlink():
                self.log.warning("Learner '%s', %s: %s is a link (to %s), not the learner's own file; it is not "
                                 "followed at grading", info["student"], info["notebook"], path, os.readlink(path))
                if copy.is_dir():
                    shutil.rmtree(copy)
                elif copy.exists():
                    copy.unlink()
                copy.parent.mkdir(parents=True, exist_ok=True)
                copy.symlink_to(os.readlink(path))
            elif path.is_dir() and not path.is_symlink() and not copy.exists():
                copy.mkdir(parents=True)
        return nb, resources


class RemoveAddedCells(NbGraderPreprocessor):
    """Autograde (sanitise): run only the cells the instructor wrote.

    Runs after RestoreCells (nbgrader's OverwriteCells), which strips ids unknown to the gradebook. A code cell with no
    id was added by the learner and is removed; an item cell is reset to the instructor's source.
    """

    def preprocess(self, nb: NotebookNode, resources: ResourcesDict) -> Result:
        info = resources["nbgrader"]
        kept = []
        with Gradebook(info["db_url"]) as gb:
            for cell in nb.cells:
                grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
                if cell.cell_type != "code":
                    kept.append(cell)
                elif grade_id is None:
                    self.log.warning("Learner '%s', %s: removed a code cell the learner added:\n%s",
                                     info["student"], info["notebook"], cell.source[:200])
                else:
                    self._reset_item_cell(gb, cell, grade_id, info)
                    kept.append(cell)
        nb.cells = kept
        return nb, resources

    def _reset_item_cell(self, gb: Gradebook, cell: NotebookNode, grade_id: str, info: dict[str, Any]) -> None:
        try:
            source = gb.find_source_cell(grade_id, info["notebook"], info["assignment"]).source
        except MissingEntry:
            return
        if item_spec(source) is not None and cell.source != source:
            self.log.warning("Learner '%s', %s: item cell %s was edited; restored the original.",
                             info["student"], info["notebook"], grade_id)
            cell.source = source


class ScreenLearnerCode(NbGraderPreprocessor):
    """Autograde (sanitise): run a learner's answer cell only if it keeps to the safe part of Python.

    See ``screening``: code that could rewrite the hidden tests or fool them from inside the kernel is not
    run; the cell keeps the learner's code as comments, with the reason, so the instructor sees both.
    """

    def preprocess(self, nb: NotebookNode, resources: ResourcesDict) -> Result:
        info = resources["nbgrader"]
        for cell in nb.cells:
            if cell.cell_type != "code" or not utils.is_solution(cell) or item_spec(cell.source) is not None:
                continue
            try:
                check(cell.source)
            except Unsafe as err:
                grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
                self.log.warning("Learner '%s', %s: answer cell %s was not run: %s", info["student"],
                                 info["notebook"], grade_id, err)
                quoted = "\n".join(f"# {line}" for line in cell.source.splitlines())
                cell.source = (f"# Not run at grading: {err}.\n# Answer cells may use arithmetic, lists, loops, "
                               f"functions and the math and statistics modules.\n# The code as submitted:\n{quoted}")
        return nb, resources


class FlagWrittenAnswers(NbGraderPreprocessor):
    """Autograde: send written answers to manual grading.

    nbgrader gives 0 to a solution cell whose source is unchanged, but a written answer lives in the
    answer file, not in the cell. When the file holds text for the item, the cell is marked as answered.
    """

    def preprocess(self, nb: NotebookNode, resources: ResourcesDict) -> Result:
        # Graded without a kernel, the answer file was read once already (grading/evaluation.py): the same values.
        read = resources.get("empathy_ce", {}).get("answers")
        try:
            if isinstance(read, AnswerFileError):
                raise read
            self._answers = read if read is not None else AnswerStore(_folder(resources)).values()
        except AnswerFileError as err:
            self.log.warning("%s", err)
            self._answers = {}
        return super().preprocess(nb, resources)

    def preprocess_cell(self, cell: NotebookNode, resources: ResourcesDict, index: int) -> Result:
        if cell.cell_type == "code" and utils.is_solution(cell) and utils.is_grade(cell):
            spec = item_spec(cell.source) or {}
            text = self._answers.get(spec.get("id"))
            if spec.get("kind") == "text" and isinstance(text, str) and text.strip():
                cell.metadata.nbgrader.pop("checksum", None)
        return cell, resources


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
