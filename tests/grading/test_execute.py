"""KernelFreeExecute and KernelFreeCheckCellMetadata on a tiny notebook (after nbgrader's test_limitoutput).

The kernel-free outputs are compared with a real kernel's (nbgrader's Execute, NBGRADER_EXECUTION=autograde)
on right, invalid, unreadable and linked answer files.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import nbformat
import pytest
from nbgrader.nbgraderformat import ValidationError
from nbgrader.preprocessors import Execute
from support import golden
from support.learners import answers_json

from empathy_ce import answers, authoring
from empathy_ce.grading.execute import KernelFreeCheckCellMetadata, KernelFreeExecute
from empathy_ce.grading.preprocessors import FlagWrittenAnswers

SPEC, KEY = golden.ITEMS[0]  # a single-choice item
TEXT_SPEC = golden.ITEMS[5][0]  # a written answer
ANSWERS = {  # answers.json content: what a kernel and the kernel-free path must both make of it
    "right": answers_json({SPEC["id"]: KEY, TEXT_SPEC["id"]: "It sounds like a hard week."}),
    "invalid": answers_json({SPEC["id"]: "zz", TEXT_SPEC["id"]: 12345}),
    "garbled": "{ not json",
    "none": None,
}


def tiny_notebook() -> nbformat.NotebookNode:
    nb = authoring.notebook("gold", [])
    nb.cells = [nbformat.v4.new_markdown_cell("# Post-test"),
                nbformat.v4.new_code_cell(authoring.setup_cell("gold").source),
                nbformat.v4.new_code_cell(authoring.item_source(SPEC, KEY)),
                nbformat.v4.new_code_cell(authoring.item_source(TEXT_SPEC))]
    return nb


def learner_folder(base: Path, answers: str | None) -> Path:
    folder = base / "submitted" / "ann" / "gold"
    folder.mkdir(parents=True)
    if answers is not None:
        (folder / "answers.json").write_text(answers)
    return folder


class NoKernel:
    def __getattr__(self, name: str) -> object:
        raise AssertionError("a kernel was used")


def shown(nb: nbformat.NotebookNode) -> list[tuple]:
    return [(c.get("execution_count"), c.get("outputs")) for c in nb.cells if c.cell_type == "code"]


@pytest.mark.parametrize("case", sorted(ANSWERS))
def test_kernel_free_outputs_are_a_kernels(case, tmp_path, monkeypatch):
    folder = learner_folder(tmp_path, ANSWERS[case])
    nb, resources = tiny_notebook(), {"metadata": {"path": str(folder)}}
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    kernel_nb, _ = Execute().preprocess(copy.deepcopy(nb), {"metadata": {"path": str(folder)}})
    free_nb, resources = KernelFreeExecute().preprocess(nb, resources, km=NoKernel())
    assert resources["empathy_ce"]["kernel_free"] is True
    assert shown(free_nb) == shown(kernel_nb)
    assert free_nb.metadata["language_info"] == kernel_nb.metadata["language_info"]
    text = json.dumps(shown(free_nb))
    if case == "right":
        result = [o for o in free_nb.cells[2].outputs if o.output_type == "execute_result"]
        assert result[0].data["text/plain"] == repr(float(SPEC["points"]))
    if case == "garbled":
        assert text.count("Saved answers could not be read") == 1 and "learner 'ann'" in text
    if case == "invalid":  # ask() and score() each say so, as in a kernel
        assert text.count(f"The saved answer to {SPEC['id']} in learner 'ann', file") == 2


def test_a_linked_answer_file_is_refused_as_in_a_kernel(tmp_path, monkeypatch):
    other = learner_folder(tmp_path / "b", ANSWERS["right"])
    folder = learner_folder(tmp_path, None)
    (folder / "answers.json").symlink_to(other / "answers.json")
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    kernel_nb, _ = Execute().preprocess(tiny_notebook(), {"metadata": {"path": str(folder)}})
    free_nb, _ = KernelFreeExecute().preprocess(tiny_notebook(), {"metadata": {"path": str(folder)}}, NoKernel())
    assert shown(free_nb) == shown(kernel_nb)
    assert "a link to another file" in json.dumps(shown(free_nb))


@pytest.mark.parametrize("case", ["right", "garbled", "none"])
def test_each_answer_file_is_read_once_per_submission(case, tmp_path, monkeypatch):
    # The kernel-free evaluation and FlagWrittenAnswers (the next step that needs the answers) share one read.
    folder = learner_folder(tmp_path, ANSWERS[case])
    reads = []
    real = answers.read_limited
    monkeypatch.setattr(answers, "read_limited", lambda path: reads.append(path) or real(path))
    resources = {"metadata": {"path": str(folder)}}
    nb, resources = KernelFreeExecute().preprocess(tiny_notebook(), resources, NoKernel())
    text_cell = nb.cells[3]
    text_cell.metadata["nbgrader"] = {"grade": True, "solution": True, "grade_id": "t", "points": 1,
                                      "checksum": "x", "schema_version": 3}
    FlagWrittenAnswers().preprocess(nb, resources)
    assert reads == [folder.resolve() / "answers.json"]
    assert ("checksum" not in text_cell.metadata["nbgrader"]) == (case == "right")  # a written answer: flagged


def test_turned_off_every_notebook_runs_in_a_kernel(tmp_path, monkeypatch):
    folder = learner_folder(tmp_path, ANSWERS["right"])
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    nb, resources = KernelFreeExecute(kernel_free=False).preprocess(tiny_notebook(),
                                                                     {"metadata": {"path": str(folder)}})
    assert "empathy_ce" not in resources
    assert all("execution" in c.metadata for c in nb.cells if c.cell_type == "code")  # nbclient's kernel timing


def test_a_cell_it_cannot_prove_goes_to_a_kernel(tmp_path, monkeypatch):
    folder = learner_folder(tmp_path, ANSWERS["right"])
    nb = tiny_notebook()
    nb.cells.append(nbformat.v4.new_code_cell("print('mine')"))
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    nb, resources = KernelFreeExecute().preprocess(nb, {"metadata": {"path": str(folder)}})
    assert "empathy_ce" not in resources and nb.cells[-1].outputs[0]["text"] == "mine\n"


def corrupted() -> nbformat.NotebookNode:
    nb = tiny_notebook()
    nb.cells[2].metadata["nbgrader"] = {"grade": True, "schema_version": 3}  # no grade_id, no points
    return nb


def test_the_metadata_check_runs_unless_graded_without_a_kernel():
    with pytest.raises(ValidationError):
        KernelFreeCheckCellMetadata().preprocess(corrupted(), {})
    nb, _ = KernelFreeCheckCellMetadata().preprocess(corrupted(), {"empathy_ce": {"kernel_free": True}})
    assert nb.cells[2].metadata["nbgrader"]["grade"] is True


@pytest.mark.parametrize("shown", ["html", 0.5, 3.0, 0])
def test_the_formats_asked_for_are_all_ipython_gives_what_items_display(shown):
    """Kernel-free evaluation asks IPython's formatter for text/plain and text/html only: the same as asking for all."""
    from IPython.display import HTML

    from empathy_ce.grading import evaluation

    obj = HTML("<p>Your answer: <b>B</b></p>") if shown == "html" else shown
    formatter = evaluation._formatter()
    assert formatter.format(obj, include=evaluation.MIME_TYPES) == formatter.format(obj)
