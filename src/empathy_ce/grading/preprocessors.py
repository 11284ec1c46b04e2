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

    _complete = False  # every release cell was found in the notebook (set by add_missing_grade_cells, run first)

    def add_missing_grade_cells(self, nb: NotebookNode, resources: ResourcesDict) -> Result:
        source = self.gradebook.find_notebook(self.notebook_id, self.assignment_id)
        # Every release cell still in the notebook (nearly every submission): nothing to restore, here or among
        # the task cells (each is a release cell too), and the graded cells need not be loaded.
        self._complete = set(_positions(nb)) >= {cell.name for cell in source.source_cells}
        if self._complete:
            return nb, resources
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

    def add_missing_task_cells(self, nb: NotebookNode, resources: ResourcesDict) -> Result:
        if self._complete:
            return nb, resources
        return super().add_missing_task_cells(nb, resources)


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
        if cell.source != source and item_spec(source) is not None:  # (parsing only a changed cell)
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
