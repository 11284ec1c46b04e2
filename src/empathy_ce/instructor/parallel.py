"""Running one job per learner submission in worker processes, with progress (see ``progress``).

A job never raises: it returns its own result, failures included, so that one learner's broken file never
stops the batch. A worker that dies (out of memory, a crash in a kernel library) fails only the submissions
it was working on; the others are handed to fresh workers.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import sys
import threading
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

from tqdm import tqdm

from . import progress as progress_lines

T = TypeVar("T")
R = TypeVar("R")

tqdm.monitor_interval = 0  # no monitor thread: workers are forked from this process

def default_workers() -> int:
    return max(1, min(os.cpu_count() or 1, 4))


def _context() -> multiprocessing.context.BaseContext:
    # fork: workers start at once with nbgrader already imported (spawning re-imports it, ~5 s a worker).
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods and sys.platform != "darwin" else "spawn")


_worker: dict[str, Any] = {}


def _initialise(setup: Callable[..., Any], args: tuple[Any, ...]) -> None:
    _worker["state"] = setup(*args)


def _call(job: Callable[[Any, T], R], unit: T) -> R:
    return job(_worker["state"], unit)


def run(units: Sequence[T], job: Callable[[Any, T], R], *, setup: Callable[..., Any], setup_args: tuple[Any, ...],
        crashed: Callable[[T, str], R], workers: int, desc: str, progress: bool | None = None) -> list[R]:
    """job(state, unit) for every unit, state = setup(*setup_args) once per worker; results in unit order.

    crashed(unit, message) makes the result for a unit whose worker process died twice.
    """
    results: dict[int, R] = {}
    bar = progress_lines.start(len(units), desc, enabled=progress, file=sys.stderr)
    try:
        if workers <= 1 or len(units) <= 1:
            state = setup(*setup_args)
            # No worker processes are forked on this path, so a thread can keep the progress lines coming.
            stop = threading.Event()
            ticker = threading.Thread(target=_tick, args=(bar, stop), daemon=True)
            ticker.start()
            try:
                for i, unit in enumerate(units):
                    results[i] = job(state, unit)
                    bar.update()
            finally:
                stop.set()
                ticker.join()
                if hasattr(state, "__exit__"):
                    state.__exit__(None, None, None)
        else:
            _in_pool(units, job, setup, setup_args, crashed, workers, results, bar)
    finally:
        bar.close()
    return [results[i] for i in range(len(units))]


def _tick(bar: Any, stop: threading.Event) -> None:
    while not stop.wait(max(progress_lines.interval(), 0.5)):
        bar.tick()


def _in_pool(units: Sequence[T], job: Callable[[Any, T], R], setup: Callable[..., Any], setup_args: tuple[Any, ...],
             crashed: Callable[[T, str], R], workers: int, results: dict[int, R], bar: Any) -> None:
    # Python's documented advice for forking servers: what the parent has made so far (imported modules, above
    # all) goes to the collector's permanent generation, so that the workers' collections do not walk it again
    # and again (nor touch, and so copy, its pages). It comes back once the workers are done.
    gc.freeze()
    try:
        _run_pools(units, job, setup, setup_args, crashed, workers, results, bar)
    finally:
        gc.unfreeze()


def _run_pools(units: Sequence[T], job: Callable[[Any, T], R], setup: Callable[..., Any], setup_args: tuple[Any, ...],
               crashed: Callable[[T, str], R], workers: int, results: dict[int, R], bar: Any) -> None:
    pending = list(range(len(units)))
    broke: dict[int, int] = {}
    while pending:
        with ProcessPoolExecutor(max_workers=min(workers, len(pending)), mp_context=_context(),
                                 initializer=_initialise, initargs=(setup, setup_args)) as pool:
            futures: dict[Future[R], int] = {pool.submit(_call, job, units[i]): i for i in pending}
            pending = []
            waiting: Iterable[Future[R]] = set(futures)
            while waiting:
                # Wake at least every progress interval, so that a line shows while one long job runs.
                done, waiting = wait(waiting, timeout=max(progress_lines.interval(), 0.5),
                                     return_when=FIRST_COMPLETED)
                bar.tick()
                for future in done:
                    i = futures[future]
                    try:
                        results[i] = future.result()
                    except BrokenProcessPool:
                        broke[i] = broke.get(i, 0) + 1
                        if broke[i] >= 2:
                            results[i] = crashed(units[i], "the worker process grading it died twice")
                        else:
                            pending.append(i)
                            continue
                    except Exception as err:  # a job that raised despite its own handling
                        results[i] = crashed(units[i], f"{type(err).__name__}: {err}")
                    bar.update()
