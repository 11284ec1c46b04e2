"""instructor/parallel.py: jobs in forked worker processes (progress lines: test_progress.py)."""

from __future__ import annotations

import gc
import os

import pytest

from empathy_ce.instructor import parallel


def _setup() -> None:
    return None


def _frozen(state: None, unit: int) -> tuple[int, int]:
    return os.getpid(), gc.get_freeze_count()


def _crashed(unit: int, message: str) -> tuple[int, int]:
    raise AssertionError(message)


@pytest.mark.skipif(parallel._context().get_start_method() != "fork", reason="workers are forked here only")
def test_workers_start_with_the_parents_objects_frozen() -> None:
    """What the parent made before the fork is in the collector's permanent generation: the workers' collections
    (and the parent's at exit) do not walk it."""
    try:
        results = parallel.run([1, 2, 3, 4], _frozen, setup=_setup, setup_args=(), crashed=_crashed, workers=2,
                               desc="test", progress=False)
        assert {pid for pid, _ in results} - {os.getpid()}  # run in other processes
        assert all(count > 1000 for _, count in results)  # the imported modules' objects, at least
    finally:
        gc.unfreeze()
