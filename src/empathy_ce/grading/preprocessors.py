"""nbgrader preprocessors that make widget exercises safe to release and to autograde.

Each subclasses NbGraderPreprocessor (nbgrader silently disables preprocessors that do not) and is put
in place by empathy_ce.grading.config.configure().
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from nbconvert.exporters.exporter import ResourcesDict
from nbformat.notebooknode import NotebookNode
from nbgrader import utils
from nbgrader.api import Gradebook, MissingEntry
from nbgrader.preprocessors import ClearSolutions, NbGraderPreprocessor

from ..answers import FILENAME, AnswerFileError, AnswerStore
from ..cells import item_spec

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


class RemoveAddedCells(NbGraderPreprocessor):
    """Autograde (sanitise): run only the cells the instructor wrote.

    Runs after nbgrader's OverwriteCells, which strips ids unknown to the gradebook. A code cell with no
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


class FlagWrittenAnswers(NbGraderPreprocessor):
    """Autograde: send written answers to manual grading.

    nbgrader gives 0 to a solution cell whose source is unchanged, but a written answer lives in the
    answer file, not in the cell. When the file holds text for the item, the cell is marked as answered.
    """

    def preprocess(self, nb: NotebookNode, resources: ResourcesDict) -> Result:
        try:
            self._answers = AnswerStore(_folder(resources)).values()
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
