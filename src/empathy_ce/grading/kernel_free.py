"""Which notebooks can be graded without a kernel: the proof that a kernel would do nothing but item calls.

At autograde, after nbgrader's sanitising preprocessors, a notebook's code cells are the instructor's own
cells, restored from the gradebook. When every one of them is

- a *setup cell*: ``from empathy_ce import ask, progress, score`` and ``progress()`` calls, or
- an *item cell*: one ``ask(...)`` call whose arguments are literals and, for a graded item, one
  ``score("<same id>", key=<literal>)`` call after it,

the kernel does nothing but what ``empathy_ce.notebook`` does for those calls at autograde: read the
learner's ``answers.json`` beside the notebook, print a notice for an unreadable file or an invalid answer,
display ``answer_summary()`` and ``result_html()``, and return the points as the cell's result.
``evaluation`` produces those outputs without a kernel; ``execute.KernelFreeExecute`` (nbgrader's Execute,
configured in ``config.py``) uses both.

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


def plan(nb: NotebookNode, skip_tag: str = "skip-execution", folder: Path | None = None,
         kernel_name: str = "") -> list[tuple[int, Setup | Item]] | None:
    """(cell index, what it is) for each code cell a kernel would run, or None when a kernel is needed.

    skip_tag is nbclient's skip_cells_with_tag: a cell carrying it is not run by nbgrader, so its grade cell
    keeps no output. Such a notebook is left to nbgrader's own execution rather than imitated. folder is where
    the kernel would run: anything importable there could shadow a module the cells import. kernel_name is
    nbclient's kernel_name option, which, when set, replaces the notebook's own kernel.
    """
    if not kernel_is_this_python(kernel_name or nb.metadata.get("kernelspec", {}).get("name", "")):
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
