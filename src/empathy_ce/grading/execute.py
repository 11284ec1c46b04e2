"""Kernel-free execution at autograde: nbgrader's Execute, except for notebooks proven widget-only.

``KernelFreeExecute`` takes the place of nbgrader's ``Execute`` in ``Autograde.autograde_preprocessors``
(``config.configure``), so ``nbgrader autograde``, formgrader's Autograde button and ``empathy-ce grade`` all
take the same path. A notebook that ``kernel_free.plan`` proves widget-only gets the outputs a kernel would
give it from ``evaluation`` (no kernel is started); any other notebook, or one whose evaluation raises, goes to
nbgrader's Execute unchanged. ``c.KernelFreeExecute.kernel_free = False`` runs every notebook in a kernel.

After a kernel-free evaluation, nbgrader's ``CheckCellMetadata`` at the end of the autograde pass provably does
nothing: it checks the cells' nbgrader metadata, which the sanitising pass has just checked on the same notebook
(read back from the file it wrote); in between, the evaluation changes outputs only, and ``FlagWrittenAnswers``
at most drops the optional ``checksum`` key (nbgrader's schema v3 requires only schema_version, grade, locked
and solution, and never looks at checksums when validating). ``KernelFreeCheckCellMetadata``
skips it for such a notebook (``resources["empathy_ce"]["kernel_free"]``). (``LimitOutput`` stays: a notice
can quote a learner's multi-line answer, so it is not provably idle, and it costs next to nothing.)
"""

from __future__ import annotations

import contextlib
import time
from pathlib import Path
from queue import Empty
from typing import Any, ClassVar

from nbclient.util import run_sync
from nbconvert.exporters.exporter import ResourcesDict
from nbformat.notebooknode import NotebookNode
from nbgrader.preprocessors import CheckCellMetadata, Execute
from traitlets import Bool

from . import evaluation, kernel_free
from .schema_checks import cached_schema_checks

KEY = "empathy_ce"


def graded_without_kernel(resources: ResourcesDict) -> bool:
    return bool(resources.get(KEY, {}).get("kernel_free"))


class KernelFreeExecute(Execute):
    """nbgrader's Execute, except that a notebook proven widget-only is evaluated without a kernel."""

    kernel_free = Bool(True, help=(
        "Grade notebooks whose code cells are only the course's setup and item cells without starting a "
        "kernel, with the same outputs and grades a kernel gives (see empathy_ce.grading.kernel_free). "
        "False runs every notebook in a kernel, as nbgrader's own Execute does.")).tag(config=True)
    sliced_polling = Bool(True, help=(
        "Wait for kernel messages in one-second slices (same overall timeout): nbclient can otherwise miss a "
        "reply after an ipywidgets interact cell and stall until its timeout (nbclient issue #312).")
    ).tag(config=True)

    # Set by empathy-ce grade's worker processes: a semaphore limiting kernels across workers, and counts.
    kernel_slots: ClassVar[Any] = None
    counts: ClassVar[dict[str, int]] = {"without kernel": 0, "with kernel": 0}

    def preprocess(self, nb: NotebookNode, resources: ResourcesDict, km: Any = None) -> tuple[NotebookNode, Any]:
        folder = Path(resources.get("metadata", {}).get("path") or ".")
        steps = (kernel_free.plan(nb, self.skip_cells_with_tag, folder, self.kernel_name or "")
                 if self.kernel_free else None)
        if steps is not None:
            try:
                answers = evaluation.evaluate(nb, steps, folder)
            except Exception as err:  # something only a kernel can show (it raises there too): run one
                self.log.info("Kernel-free grading stopped (%s: %s); running a kernel", type(err).__name__, err)
            else:
                KernelFreeExecute.counts["without kernel"] += 1
                resources.setdefault(KEY, {}).update(kernel_free=True, answers=answers)
                name = resources.get("metadata", {}).get("name", "notebook")
                self.log.info("Graded %s in %s without a kernel (widget-only)", name, folder)
                return nb, resources
        KernelFreeExecute.counts["with kernel"] += 1
        with self.kernel_slots or contextlib.nullcontext():
            return super().preprocess(nb, resources, km)

    async def async_start_new_kernel_client(self) -> Any:
        client = await super().async_start_new_kernel_client()
        if self.sliced_polling:
            poll_in_slices(client.shell_channel)
            poll_in_slices(client.iopub_channel)
        return client

    # nbclient binds the synchronous name to its own coroutine; setup_kernel() calls this one.
    start_new_kernel_client = run_sync(async_start_new_kernel_client)


class KernelFreeCheckCellMetadata(CheckCellMetadata):
    """nbgrader's CheckCellMetadata, skipped in the autograde pass of a notebook graded without a kernel.

    The sanitising pass ends with the same check on the same cells' metadata, which the evaluation leaves alone.
    Configured in both passes; where it runs, the constant schema is checked once (``schema_checks``).
    """

    def preprocess(self, nb: NotebookNode, resources: ResourcesDict) -> tuple[NotebookNode, ResourcesDict]:
        if graded_without_kernel(resources):
            return nb, resources
        with cached_schema_checks():
            return super().preprocess(nb, resources)


SLICE = 1.0  # seconds between re-checks of a kernel channel


def poll_in_slices(channel: Any) -> None:
    """Make an async kernel channel's get_msg(timeout) wait in one-second slices (same overall timeout).

    After a cell with an ipywidgets ``interact`` (the outcomes data notebook has two), nbclient's Output-widget
    shim sends on the kernel's shell socket while another task waits on it, and the waiter can miss the reply
    until its timeout: a two-minute stall in nbgrader's own autograde too (nbclient issue #312).
    """
    original = channel.get_msg

    async def get_msg(timeout: float | None = None) -> dict[str, Any]:
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            remaining = SLICE if deadline is None else max(0.0, deadline - time.monotonic())
            try:
                return await original(timeout=min(SLICE, remaining))
            except Empty:
                if deadline is not None and time.monotonic() >= deadline:
                    raise

    channel.get_msg = get_msg
