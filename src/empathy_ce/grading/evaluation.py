"""The outputs an autograde kernel gives a widget-only notebook, computed without one.

For a notebook that ``kernel_free.plan`` proved widget-only, a kernel would only do what ``empathy_ce.notebook``
does at autograde (``NBGRADER_EXECUTION=autograde``): for each item cell, ``ask()`` reads the saved answer,
prints a notice for an unreadable file (once) or an invalid answer, and displays ``answer_summary()``;
``score()`` reads the answer again (the same notice again for an invalid one), displays ``result_html()`` and
returns the points as the cell's result. This module does the same with pure functions: each answer file is
read once (``answers.read``, the one safe reader, which refuses links), answers are checked and scored by the
items' own rules, and the outputs are made with IPython's display formatter and semicolon rule, as a fresh
kernel makes them. No kernel-side ``Session`` is built. nbgrader's ``determine_grade`` then reads the grades
from the outputs exactly as after a kernel run; the tests compare both on tampered, invalid and written answers.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import nbformat
from nbformat.notebooknode import NotebookNode

from ..answers import FILENAME, AnswerFileError, learner_hint, practice_folder, read
from ..items import InvalidAnswer, check_value
from ..notebook import answer_summary, mismatch_message, result_html
from ..scoring import grade_item
from .kernel_free import Item, Setup


@functools.cache
def _formatter() -> Any:
    """IPython's display formatter with its default configuration, as in a fresh kernel."""
    from IPython.core.formatters import DisplayFormatter

    return DisplayFormatter()


# The only MIME types IPython's default formatters give an HTML object (what ask() and score() display) or a number
# (score()'s result): asking for just these skips the other formatters' look-ups, with the same result
# (tests/grading/test_execute.py compares it with the full format).
MIME_TYPES = frozenset({"text/plain", "text/html"})


def _output(**fields: Any) -> NotebookNode:
    # As nbclient records a kernel message (nbformat validates the whole notebook when it is written).
    return nbformat.from_dict(fields)


class SavedAnswers:
    """A folder's saved answers as the kernel's Session sees them at autograde, each file read once.

    The post-test answers are ``answers.json`` in the folder; practice answers live in the learner's private
    practice folder (``answers.practice_folder``), as in the kernel.
    """

    def __init__(self, folder: Path, notify: Any) -> None:
        self.path = folder.resolve() / FILENAME  # as AnswerStore names it (its messages show this path)
        self.practice_path = practice_folder(folder).resolve() / FILENAME
        self.notify = notify
        self.warned = False  # the kernel says once per session that the file cannot be read
        self.read: dict[Path, dict[str, Any] | AnswerFileError] = {}
        self.shown: list[str] = []  # item ids in the order ask() showed them

    def _values(self, path: Path) -> dict[str, Any]:
        if path not in self.read:
            try:
                content = read(path)
                self.read[path] = {} if content is None else {k: r["value"] for k, r in content["items"].items()}
            except AnswerFileError as err:
                self.read[path] = err
        found = self.read[path]
        if isinstance(found, AnswerFileError):
            raise found
        return found

    def value(self, spec: dict[str, Any]) -> Any:
        """The saved answer, checked, or None with the kernel's notice (Session.stored_value at autograde)."""
        try:
            raw = self._values(self.practice_path if spec["mode"] == "practice" else self.path).get(spec["id"])
        except AnswerFileError as err:
            if not self.warned:
                self.warned = True
                self.notify(f"Saved answers could not be read: {err}. Items count as unanswered.")
            return None
        try:
            return check_value(spec, raw)
        except InvalidAnswer as err:
            whose = learner_hint(self.path)
            if whose:
                self.notify(f"The saved answer to {spec['id']} in {whose}file {self.path} is ignored: {err}.")
            else:
                number = self.shown.index(spec["id"]) + 1
                self.notify(mismatch_message(spec, number))
            return None

    def show(self, spec: dict[str, Any]) -> None:
        if spec["id"] not in self.shown:
            self.shown.append(spec["id"])


class Evaluation:
    """The outputs of a planned notebook's item cells, in the order a kernel produces them."""

    def __init__(self, folder: Path) -> None:
        self.formatter = _formatter()
        self.outputs: list[NotebookNode] = []
        self.answers = SavedAnswers(folder, self._print)

    def _print(self, message: str) -> None:
        self.outputs.append(_output(output_type="stream", name="stdout", text=message + "\n"))

    def _display(self, obj: Any) -> None:
        data, metadata = self.formatter.format(obj, include=MIME_TYPES)
        self.outputs.append(_output(output_type="display_data", data=data, metadata=metadata))

    def run(self, item: Item, execution_count: int) -> list[NotebookNode]:
        """The outputs of one item cell: what ask() and score() print and display, then the result."""
        from IPython.display import HTML

        self.outputs = []
        self.answers.show(item.spec)
        value = self.answers.value(item.spec)
        self._display(HTML(answer_summary(item.spec, value)))
        if item.scored:
            # score() reads the answer again in a kernel (a notice shows twice there too): the same outputs here
            earned = grade_item(item.spec, self.answers.value(item.spec), item.key)
            self._display(HTML(result_html(item.spec, item.key, earned)))
            if not item.quiet:
                data, metadata = self.formatter.format(earned, include=MIME_TYPES)
                self.outputs.append(_output(output_type="execute_result", data=data, metadata=metadata,
                                            execution_count=execution_count))
        return self.outputs


def evaluate(nb: NotebookNode, steps: list[tuple[int, Setup | Item]], folder: Path
             ) -> dict[str, Any] | AnswerFileError | None:
    """Fill in a planned notebook's outputs and execution counts as an autograde kernel run would.

    Everything is computed before the notebook is touched: if a call raises (an answer that even the kernel's
    code would choke on), the exception leaves the notebook as it was, for a kernel to run. Returns what the
    post-test answer file held ({item id: value}, or the error reading it; None if no item read it), for the
    later steps that need it (``FlagWrittenAnswers``), so that the file is read once.
    """
    from ipykernel.ipkernel import IPythonKernel

    evaluation = Evaluation(folder)
    results = [(index, count, [] if isinstance(kind, Setup) else evaluation.run(kind, count))
               for count, (index, kind) in enumerate(steps, start=1)]
    for index, count, outputs in results:
        nb.cells[index].execution_count = count
        nb.cells[index].outputs = outputs
    nb.metadata["language_info"] = dict(IPythonKernel.language_info)
    return evaluation.answers.read.get(evaluation.answers.path)
