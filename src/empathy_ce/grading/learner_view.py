"""Release: every learner notebook starts with the one instruction a learner needs (choose Run All).

A released notebook opens with no outputs and, later, reopens with no kernel: in both cases the items are not
forms yet, and the first thing the learner reads must say how to make them so (issue 15, point 2). The line is
added to the first Markdown cell (not a new cell, which autograde would treat as one the learner added).
"""

from __future__ import annotations

from nbconvert.exporters.exporter import ResourcesDict
from nbformat.notebooknode import NotebookNode
from nbgrader.preprocessors import NbGraderPreprocessor

from ..notebook import RUN_ALL

INSTRUCTION = f"**{RUN_ALL}** The questions below then become forms, and your answers are saved as you go."
MENU = "Run > Run All Cells"  # the words that matter, however an author formats them


class RunAllFirst(NbGraderPreprocessor):
    """Release: put the Run All instruction at the top of the first Markdown cell (once)."""

    def preprocess(self, nb: NotebookNode, resources: ResourcesDict) -> tuple[NotebookNode, ResourcesDict]:
        if not any("ask(" in cell.source for cell in nb.cells if cell.cell_type == "code"):
            return nb, resources  # no items (e.g. a coding notebook): nothing to run for
        first = next((cell for cell in nb.cells if cell.cell_type == "markdown" and "nbgrader" not in cell.metadata),
                     None)  # a cell nbgrader tracks keeps its checksum
        if first is not None and MENU not in first.source.replace("*", ""):  # authors may have said it already
            first.source = f"{INSTRUCTION}\n\n{first.source}"
        return nb, resources
