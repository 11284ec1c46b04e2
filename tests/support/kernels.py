"""A notebook graded both ways: run by nbclient in a real python3 kernel (as nbgrader's autograde runs it), and by
the kernel-free grader (grading/kernel_free.py plans it, grading/evaluation.py fills in the outputs).

The kernel-free grader promises outputs identical to a kernel's; `graded_both_ways` holds it to that, cell by
cell, on the answers in a folder, for the item kinds' tests (the conversation, its written turn, a plug-in kind).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbclient import NotebookClient

from empathy_ce.grading import evaluation, kernel_free


def run_in_kernel(nb: nbformat.NotebookNode, folder: Path, monkeypatch: pytest.MonkeyPatch, *, autograde: bool,
                  timeout: int = 180, **client: Any) -> nbformat.NotebookNode:
    """`nb` run top to bottom in `folder` (in place; returned), in nbgrader's autograde mode if `autograde`.
    `client`: more of NotebookClient's options (store_widget_state, say)."""
    with monkeypatch.context() as patch:
        if autograde:
            patch.setenv("NBGRADER_EXECUTION", "autograde")
        NotebookClient(nb, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(folder)}},
                       **client).execute()
    return nb


def graded_both_ways(make: Callable[[], nbformat.NotebookNode], folder: Path, monkeypatch: pytest.MonkeyPatch,
                     **client: Any) -> nbformat.NotebookNode:
    """A fresh `make()` graded by a kernel and another by the kernel-free grader, on the answers in `folder`:
    the kernel-free grader must take the notebook and give every cell the kernel's outputs. Returns the
    kernel's notebook."""
    kernel = run_in_kernel(make(), folder, monkeypatch, autograde=True, **client)
    free = make()
    steps = kernel_free.plan(free, folder=folder)
    assert steps is not None, "the kernel-free grader refused the notebook"
    evaluation.evaluate(free, steps, folder)  # fills in the outputs in place
    for ours, theirs in zip(free.cells, kernel.cells, strict=True):
        assert ours.get("outputs") == theirs.get("outputs")
    return kernel
