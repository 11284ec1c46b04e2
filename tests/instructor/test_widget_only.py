"""Which cells the kernel-free grader accepts: exactly setup and item cells it can prove it evaluates alike."""

from __future__ import annotations

import nbformat
import pytest
from support import golden

from empathy_ce import authoring
from empathy_ce.grading import kernel_free as widget_only
from empathy_ce.grading.kernel_free import Item, Setup

SPEC, KEY = golden.ITEMS[0]
ITEM = authoring.item_source(SPEC, KEY)
TEXT_ITEM = authoring.item_source(golden.ITEMS[5][0])
SETUP = authoring.setup_cell("gold").source


def test_setup_and_item_cells_are_recognised():
    assert widget_only.classify(SETUP) == Setup(frozenset({"ask", "progress", "score"}), True)
    item = widget_only.classify(ITEM)
    assert isinstance(item, Item) and item.scored and item.key == KEY and item.spec["id"] == SPEC["id"]
    text = widget_only.classify(TEXT_ITEM)
    assert isinstance(text, Item) and not text.scored


@pytest.mark.parametrize("source", [
    ITEM + "\nimport os",                                          # anything else in the cell
    ITEM.replace("ask(", "ask(**{'x': 1}, ", 1),                  # not literal keywords
    ITEM.replace('score("gold.post.single"', 'score("gold.post.multiple"'),  # another item's score
    ITEM.replace('key="b"', 'key="z"'),                           # a key that does not validate
    ITEM.replace('key="b"', 'key=KEY'),                           # a key that is not a literal
    ITEM.replace('key="b"', '"b", key="b"'),                      # TypeError in the kernel
    "%time " + ITEM.splitlines()[1],                              # an IPython magic
    "!ls",
    SETUP + "\nprint('hi')",
    "from empathy_ce import ask as a",
    "from empathy_ce import session",
    "import empathy_ce",
    "progress()",                                                 # before the import
    TEXT_ITEM + '\nscore("gold.post.text", key="x")',             # a written item has no key
    ITEM.replace('kind="single"', 'kind="single",\n    points=-1', 1),  # compiles to a SyntaxError
    ITEM.replace("points=1", "points=-1", 1),                    # an invalid item definition
])
def test_anything_else_needs_a_kernel(source):
    assert widget_only.classify(source) is None


def test_a_trailing_semicolon_hides_the_result_as_in_ipython():
    item = widget_only.classify(ITEM.replace('key="b")', 'key="b");'))
    assert isinstance(item, Item) and item.quiet


def notebook(*sources: str) -> nbformat.NotebookNode:
    nb = authoring.notebook("gold", [])
    nb.cells = [nbformat.v4.new_markdown_cell("# x"), *(nbformat.v4.new_code_cell(s) for s in sources)]
    return nb


def test_a_notebook_plan_follows_what_the_kernel_would_define():
    assert [type(k) for _, k in widget_only.plan(notebook(SETUP, ITEM, "  ", TEXT_ITEM))] == [Setup, Item, Item]
    assert widget_only.plan(notebook(ITEM, SETUP)) is None  # NameError: ask is not defined yet
    assert widget_only.plan(notebook("from empathy_ce import ask", ITEM)) is None  # score is not imported
    assert widget_only.plan(notebook(SETUP, "x = 1")) is None
    skipped = notebook(SETUP, ITEM)
    skipped.cells[2].metadata["tags"] = ["skip-execution"]  # nbclient would not run it: leave it to nbgrader
    assert widget_only.plan(skipped) is None
    other_kernel = notebook(SETUP, ITEM)
    other_kernel.metadata["kernelspec"] = {"name": "ir", "language": "R", "display_name": "R"}
    assert widget_only.plan(other_kernel) is None


def test_anything_importable_beside_the_notebook_needs_a_kernel(tmp_path):
    nb = notebook(SETUP, ITEM)
    (tmp_path / "answers.json").write_text("{}")
    (tmp_path / "timestamp.txt").write_text("2026-01-01 00:00:00 UTC")
    assert widget_only.plan(nb, folder=tmp_path) is not None
    (tmp_path / "json.py").write_text("raise SystemExit")  # would shadow the standard library in a kernel
    assert widget_only.plan(nb, folder=tmp_path) is None
