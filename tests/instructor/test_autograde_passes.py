"""empathy-ce grade hands nbgrader's sanitised notebook to its grading pass in memory (instructor/autograde.py).

The grading pass must see what nbgrader's would after writing the sanitised notebook and reading it back; the
end-to-end proof (every grade and autograded notebook the same as stock `nbgrader autograde`) is test_grade.py.
"""

from __future__ import annotations

import copy
import json
import os

import nbformat
import pytest
from nbconvert.exporters import Exporter, NotebookExporter
from nbconvert.preprocessors import ClearOutputPreprocessor, Preprocessor
from nbgrader.converters import Autograde
from traitlets.config import Config

from empathy_ce.instructor import autograde


def sample() -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": "python3", "display_name": "Python 3"}})
    nb.metadata["orig_nbformat"] = 3  # transient keys nbformat drops when writing
    nb.metadata["signature"] = "sha256:abc"
    code = nbformat.v4.new_code_cell("ask(\n    id='x',\n)\n", metadata={"trusted": True, "nbgrader": {"grade": True}})
    code.outputs = [nbformat.v4.new_output("stream", text=["two\n", "lines\n"]),
                    nbformat.v4.new_output("display_data", data={"text/plain": ["a\n", "b"], "text/html": "<p>x</p>"})]
    code.metadata["nbgrader"]["extra"] = {"plain": {"value": 1}}  # a plain dict, as a preprocessor may add
    text = nbformat.v4.new_markdown_cell(["# Title\n", "body"])
    nb.cells = [text, code]
    return nb


def test_the_notebook_is_handed_over_as_nbformat_reads_it_back() -> None:
    nb = sample()
    read_back = nbformat.reads(nbformat.writes(copy.deepcopy(nb), version=4), as_version=4)
    handed = autograde._as_read_back(nb)
    assert json.dumps(handed, sort_keys=True) == json.dumps(read_back, sort_keys=True)
    assert handed == read_back
    assert handed.cells[1].metadata.nbgrader.extra.plain.value == 1  # attribute access, as after a read
    assert "signature" not in handed.metadata and "trusted" not in handed.cells[1].metadata


def test_both_passes_in_one_only_with_nbconverts_notebook_exporter(monkeypatch: pytest.MonkeyPatch) -> None:
    """A differently configured exporter (its own from_notebook_node) gets nbgrader's own two passes."""

    class Custom(NotebookExporter):
        def from_notebook_node(self, nb, resources=None, **kw):  # type: ignore[no-untyped-def]
            return super().from_notebook_node(nb, resources, **kw)

    class OwnPreprocessing(NotebookExporter):
        def _preprocess(self, nb, resources):  # type: ignore[no-untyped-def]
            return super()._preprocess(nb, resources)

    calls: list[str] = []
    monkeypatch.setattr(autograde.CourseAutograde, "_both_passes", lambda self, name: calls.append("in memory"))
    monkeypatch.setattr(Autograde, "convert_single_notebook", lambda self, name: calls.append("nbgrader's"))
    for exporter in (NotebookExporter, Custom, OwnPreprocessing):
        config = Config()
        config.Autograde.exporter_class = exporter
        converter = autograde.CourseAutograde(config=config)
        converter.exporter = converter.exporter_class(parent=converter)  # as nbgrader's start() makes it
        converter.convert_single_notebook("n.ipynb")
    assert calls == ["in memory", "nbgrader's", "nbgrader's"]


class Tagger(Preprocessor):
    """Changes the notebook and the resources, as nbgrader's preprocessors do."""

    def preprocess(self, nb, resources):  # type: ignore[no-untyped-def]
        nb.metadata["tagged"] = len(nb.cells)
        resources.setdefault("seen", []).append(resources["metadata"]["name"])
        return super().preprocess(nb, resources)

    def preprocess_cell(self, cell, resources, index):  # type: ignore[no-untyped-def]
        cell.metadata["index"] = index
        return cell, resources


@pytest.mark.parametrize("optimistic", [True, False])
def test_a_pass_gives_what_nbconvert_gives_with_fewer_copies(optimistic: bool,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    exporter = NotebookExporter(config=Config({"Exporter": {"optimistic_validation": optimistic}}))
    for step in (ClearOutputPreprocessor(enabled=True), Tagger(enabled=True)):
        exporter.register_preprocessor(step)
    copies: list[int] = []
    deepcopy = nbformat.NotebookNode.__deepcopy__

    def counted(self: nbformat.NotebookNode, memo: dict) -> nbformat.NotebookNode:
        if "cells" in self:
            copies.append(1)
        return deepcopy(self, memo)

    base = autograde._as_read_back(sample())  # (new cell ids each time sample() is called)
    base.metadata["language"] = "Python"
    monkeypatch.setattr(nbformat.NotebookNode, "__deepcopy__", counted)
    results = {}
    for name, run in (("nbconvert", lambda nb, res: Exporter.from_notebook_node(exporter, nb, resources=res)),
                      ("ours", lambda nb, res: autograde._preprocessed(exporter, nb, res))):
        nb, given = copy.deepcopy(base), {"metadata": {"name": "post", "path": "/tmp/x"}}
        copies.clear()
        out, resources = run(nb, given)
        results[name] = (json.dumps(out, sort_keys=True), json.dumps(resources, sort_keys=True, default=str),
                         exporter._nb_metadata[os.path.join("/tmp/x", "post")] == out.metadata, len(copies))
    assert results["ours"][:3] == results["nbconvert"][:3]
    assert results["ours"][2] is True
    assert '"index": 1' in results["ours"][0] and '"seen": ["post"]' in results["ours"][1]  # the steps ran
    assert results["nbconvert"][3] - results["ours"][3] == 2  # nbconvert's two protective copies


def test_a_worker_makes_each_passs_preprocessors_once() -> None:
    """With a worker's kept_preprocessors, the second submission's passes use the first one's instances."""
    from empathy_ce.grading import config as course_config

    config = Config()
    course_config.configure(config, ".")

    def passes(kept: dict | None) -> tuple[list, list]:
        converter = autograde.CourseAutograde(config=config)
        converter.kept_preprocessors = kept
        converter.exporter = NotebookExporter(parent=converter)
        made = []
        for sanitizing in (True, False):
            converter._sanitizing = sanitizing
            converter._init_preprocessors()
            made.append(list(converter.exporter._preprocessors))
        return made[0], made[1]

    kept: dict = {}
    first, second = passes(kept), passes(kept)
    assert [id(p) for p in first[0] + first[1]] == [id(p) for p in second[0] + second[1]]
    assert autograde._commit_saved_grades in first[1] and autograde._commit_saved_grades not in first[0]
    assert [type(p) for p in passes(None)[0]] == [type(p) for p in first[0]]
    assert not {id(p) for p in passes(None)[0]} & {id(p) for p in first[0]}  # nbgrader's way: new ones each time
