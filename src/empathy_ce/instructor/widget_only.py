"""Grading a widget-only notebook without a kernel, with the outputs and grades a kernel run gives.

At autograde, after nbgrader's sanitising preprocessors, a notebook's code cells are the instructor's own
cells, restored from the gradebook. When every one of them is

- a *setup cell*: ``from empathy_ce import ask, progress, score`` and ``progress()`` calls, or
- an *item cell*: one ``ask(...)`` call whose arguments are literals and, for a graded item, one
  ``score("<same id>", key=<literal>)`` call after it,

the kernel does nothing but what ``empathy_ce.notebook`` does for those calls at autograde: read the
learner's ``answers.json`` beside the notebook, print a notice for an unreadable file or an invalid answer,
display ``answer_summary()`` and ``result_html()``, and return the points as the cell's result. This module
makes those same calls (``Session.register`` and ``Session.score``, with the same folder), in the same order,
and turns them into notebook outputs with IPython's own display formatter and semicolon rule. nbgrader's
``determine_grade`` then reads the grade from the outputs exactly as after a kernel run.

The proof holds only for cells IPython runs unchanged (no magics, no skip-execution tag), for the kernel being
this Python with IPython's default configuration, for a folder with nothing importable in it (a planted
``json.py`` could shadow a module in a kernel), and for item definitions and keys that validate; in every
other case ``plan()`` returns None and the notebook goes to a real kernel.
"""

from __future__ import annotations

import ast
import functools
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat
from nbformat.notebooknode import NotebookNode

from .. import cells
from ..items import InvalidAnswer, ItemError, check_key, validate_item

PACKAGE = "empathy_ce"
EXPORTED = frozenset({"ask", "progress", "score"})


@dataclass(frozen=True)
class Setup:
    """A setup cell: the names it imports from empathy_ce."""

    imports: frozenset[str]
    calls_progress: bool


@dataclass(frozen=True)
class Item:
    """An item cell: its validated definition and, for a graded item, its key."""

    spec: dict[str, Any]
    key: Any
    scored: bool
    quiet: bool  # the cell ends in ';', so IPython shows no result


def _literal(node: ast.AST) -> bool:
    try:
        ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return False
    return True


def _called(stmt: ast.stmt, name: str) -> ast.Call | None:
    if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call):
        func = stmt.value.func
        if isinstance(func, ast.Name) and func.id == name:
            return stmt.value
    return None


def _unchanged_by_ipython(source: str) -> bool:
    """True when IPython's input transformers leave the cell as plain Python (no magics, no help syntax)."""
    from IPython.core.inputtransformer2 import TransformerManager

    text = source if source.endswith("\n") else source + "\n"
    try:
        return TransformerManager().transform_cell(source) == text
    except Exception:  # a cell IPython cannot even tokenise goes to a kernel
        return False


@functools.lru_cache(maxsize=4096)
def classify(source: str) -> Setup | Item | None:
    """What a code cell is, or None when only a kernel can say what it does."""
    if not _unchanged_by_ipython(source):
        return None
    try:
        tree = ast.parse(source)
        compile(tree, "<cell>", "exec", dont_inherit=True)  # the compiler, not the parser, rejects some errors
    except (SyntaxError, ValueError):
        return None
    body = tree.body
    if not body:
        return None
    setup = _setup(body)
    if setup is not None:
        return setup
    return _item(source, body)


def _setup(body: list[ast.stmt]) -> Setup | None:
    imports: set[str] = set()
    progress = False
    for stmt in body:
        if isinstance(stmt, ast.ImportFrom) and stmt.module == PACKAGE and stmt.level == 0:
            names = {alias.name for alias in stmt.names}
            if any(alias.asname for alias in stmt.names) or not names <= EXPORTED:
                return None
            imports |= names
        elif (call := _called(stmt, "progress")) is not None and not call.args and not call.keywords:
            if "progress" not in imports:
                return None
            progress = True
        else:
            return None
    return Setup(frozenset(imports), progress) if imports else None


def _item(source: str, body: list[ast.stmt]) -> Item | None:
    from IPython.core.displayhook import DisplayHook

    ask = _called(body[0], "ask")
    if ask is None or ask.args or any(kw.arg is None or not _literal(kw.value) for kw in ask.keywords):
        return None
    spec = cells.item_spec(source)
    if spec is None:
        return None
    try:
        spec = validate_item(spec)
    except (ItemError, KeyError, TypeError):
        return None
    key, scored = None, False
    if len(body) == 2:
        call = _called(body[1], "score")
        if call is None or not all(_literal(a) for a in [*call.args, *(kw.value for kw in call.keywords)]):
            return None
        named = ["item_id", "key"][: len(call.args)] + [kw.arg for kw in call.keywords]
        if len(call.args) > 2 or sorted(named) != ["item_id", "key"]:
            return None  # the kernel would raise TypeError
        found = cells.keys(source)
        if list(found) != [spec["id"]] or spec["kind"] == "text" or "points" not in spec:
            return None
        key, scored = found[spec["id"]], True
        try:
            check_key(spec, key)
        except (InvalidAnswer, KeyError, TypeError):
            return None
    elif len(body) != 1:
        return None
    return Item(spec=spec, key=key, scored=scored, quiet=DisplayHook.semicolon_at_end_of_expression(source))


def plan(nb: NotebookNode, skip_tag: str = "skip-execution", folder: Path | None = None
         ) -> list[tuple[int, Setup | Item]] | None:
    """(cell index, what it is) for each code cell a kernel would run, or None when a kernel is needed.

    skip_tag is nbclient's skip_cells_with_tag: a cell carrying it is not run by nbgrader, so its grade cell
    keeps no output. Such a notebook is left to nbgrader's own execution rather than imitated. folder is where
    the kernel would run: anything importable there could shadow a module the cells import.
    """
    if not kernel_is_this_python(nb.metadata.get("kernelspec", {}).get("name", "")):
        return None
    if folder is not None and importable(folder):
        return None
    steps: list[tuple[int, Setup | Item]] = []
    defined: set[str] = set()
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code" or not cell.source.strip():
            continue  # nbclient skips blank code cells
        if skip_tag and skip_tag in cell.metadata.get("tags", []):
            return None
        kind = classify(cell.source)
        if kind is None:
            return None
        if isinstance(kind, Setup):
            defined |= kind.imports
        elif "ask" not in defined or (kind.scored and "score" not in defined):
            return None  # the kernel would raise NameError here
        steps.append((index, kind))
    return steps


IMPORTABLE = (".py", ".pyc", ".pyo", ".pyd", ".so", ".pth")


def importable(folder: Path) -> list[Path]:
    """Files or folders beside the notebook that Python could import from the kernel's working folder."""
    try:
        entries = list(folder.iterdir())
    except OSError:
        return [folder]
    return [p for p in entries if p.is_dir() or p.suffix.lower() in IMPORTABLE]


@functools.cache
def kernel_is_this_python(kernel_name: str) -> bool:
    """True when the notebook's kernel is this interpreter running IPython with its default configuration."""
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        spec = KernelSpecManager().get_kernel_spec(kernel_name)
    except NoSuchKernel:
        return False
    argv = list(spec.argv)
    if spec.language.lower() != "python" or not argv:
        return False
    python = {"python", f"python{sys.version_info[0]}", f"python{sys.version_info[0]}.{sys.version_info[1]}"}
    if argv[0] not in python and os.path.abspath(argv[0]) != os.path.abspath(sys.executable):
        return False
    if not any(arg in ("ipykernel_launcher", "ipykernel") for arg in argv):
        return False
    return not ipython_customised()


def ipython_customised() -> list[Path]:
    """Config or startup files that could change what a cell does or shows in an IPython kernel."""
    from IPython.paths import get_ipython_dir
    from jupyter_core.paths import jupyter_config_path

    profile = Path(get_ipython_dir()) / "profile_default"
    found = [p for p in (profile / "startup").glob("*") if p.suffix in (".py", ".ipy")]
    for folder in [profile, *map(Path, jupyter_config_path())]:
        for name in ("ipython_config", "ipython_kernel_config"):
            found += [p for p in folder.glob(f"{name}.*") if p.suffix in (".py", ".json")]
    return found


@functools.cache
def _formatter() -> Any:
    """IPython's display formatter with its default configuration, as in a fresh kernel."""
    from IPython.core.formatters import DisplayFormatter

    return DisplayFormatter()


def _output(**fields: Any) -> NotebookNode:
    # As nbclient records a kernel message (nbformat validates the whole notebook when it is written).
    return nbformat.from_dict(fields)


class Evaluation:
    """Runs a planned notebook's calls through empathy_ce.notebook and records the outputs a kernel would."""

    def __init__(self, folder: Path) -> None:
        from ..notebook import Session

        self.formatter = _formatter()
        self.outputs: list[NotebookNode] = []
        self.session = Session(folder, notify=self._print)

    def _print(self, message: str) -> None:
        self.outputs.append(_output(output_type="stream", name="stdout", text=message + "\n"))

    def _display(self, obj: Any) -> None:
        data, metadata = self.formatter.format(obj)
        self.outputs.append(_output(output_type="display_data", data=data, metadata=metadata))

    def run(self, item: Item, execution_count: int) -> list[NotebookNode]:
        """The outputs of one item cell: what ask() and score() print and display, then the result."""
        from IPython.display import HTML

        from ..notebook import answer_summary, result_html

        self.outputs = []
        value = self.session.register(item.spec)
        self._display(HTML(answer_summary(item.spec, value)))
        if item.scored:
            earned = self.session.score(item.spec["id"], item.key)
            self._display(HTML(result_html(item.spec, item.key, earned)))
            if not item.quiet:
                data, metadata = self.formatter.format(earned)
                self.outputs.append(_output(output_type="execute_result", data=data, metadata=metadata,
                                            execution_count=execution_count))
        return self.outputs


def evaluate(nb: NotebookNode, steps: list[tuple[int, Setup | Item]], folder: Path) -> NotebookNode:
    """Fill in a planned notebook's outputs and execution counts as an autograde kernel run would.

    Everything is computed before the notebook is touched: if a call raises (an answer file that even the
    kernel's code would choke on), the exception leaves the notebook as it was, for a kernel to run.
    """
    from ipykernel.ipkernel import IPythonKernel

    evaluation = Evaluation(folder)
    results = [(index, count, [] if isinstance(kind, Setup) else evaluation.run(kind, count))
               for count, (index, kind) in enumerate(steps, start=1)]
    for index, count, outputs in results:
        nb.cells[index].execution_count = count
        nb.cells[index].outputs = outputs
    nb.metadata["language_info"] = dict(IPythonKernel.language_info)
    return nb
