"""Progress for long instructor steps (grade, feedback) that shows wherever the output goes.

On a terminal: tqdm's bar. Anywhere else (a log file, CI, a notebook cell): a plain line
``Grading: 12 of 117 submissions, 0:01:40 elapsed, about 0:14:10 remaining`` at the start, then whenever work
finishes but at most every ``EMPATHY_CE_PROGRESS_SECONDS`` (default 10) seconds, and at the end. The caller's
wait loop calls ``tick()`` at least that often, so a line also appears while one long job is running
(an instructor can tell a slow run from a hung one).
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import time
from typing import Any, TextIO

from tqdm import tqdm

DEFAULT_SECONDS = 10.0


def interval() -> float:
    """Seconds between plain progress lines (EMPATHY_CE_PROGRESS_SECONDS, for tests and busy logs)."""
    try:
        return max(0.0, float(os.environ.get("EMPATHY_CE_PROGRESS_SECONDS", DEFAULT_SECONDS)))
    except ValueError:
        return DEFAULT_SECONDS


def _clock(seconds: float) -> str:
    return str(dt.timedelta(seconds=round(seconds)))


class PlainProgress:
    """n of m, elapsed and remaining, as plain lines at most every interval() seconds."""

    def __init__(self, total: int, desc: str, unit: str, file: TextIO) -> None:
        self.total, self.desc, self.unit, self.file = total, desc, unit, file
        self.n = 0
        self.started = time.monotonic()
        self.last: float | None = None
        self.every = interval()
        self._line()

    def _line(self) -> None:
        elapsed = time.monotonic() - self.started
        if self.n and self.n < self.total:
            remaining = f"about {_clock(elapsed / self.n * (self.total - self.n))} remaining"
        elif self.n >= self.total:
            remaining = "done"
        else:
            remaining = "remaining not known yet"
        print(f"{self.desc}: {self.n} of {self.total} {self.unit}s, {_clock(elapsed)} elapsed, {remaining}",
              file=self.file, flush=True)
        self.last = time.monotonic()

    def tick(self) -> None:
        """A line if interval() seconds have passed since the last one (called while waiting, too)."""
        if self.last is None or time.monotonic() - self.last >= self.every:
            self._line()

    def update(self, n: int = 1) -> None:
        self.n += n
        self.tick()

    def close(self) -> None:
        if self.n >= self.total:
            self._line()


class BarProgress:
    """tqdm's bar, with the same interface."""

    def __init__(self, total: int, desc: str, unit: str, file: TextIO) -> None:
        self.bar = tqdm(total=total, desc=desc, unit=unit, file=file, dynamic_ncols=True)

    def tick(self) -> None:
        self.bar.refresh()

    def update(self, n: int = 1) -> None:
        self.bar.update(n)

    def close(self) -> None:
        self.bar.close()


class NoProgress:
    def tick(self) -> None: ...

    def update(self, n: int = 1) -> None: ...

    def close(self) -> None: ...


def start(total: int, desc: str, *, unit: str = "submission", enabled: bool | None = None,
          file: TextIO | None = None) -> Any:
    """A bar on a terminal, plain lines elsewhere; nothing when enabled is False (--no-progress)."""
    file = file or sys.stderr
    if enabled is False:
        return NoProgress()
    isatty = getattr(file, "isatty", None)
    if isatty is not None and isatty():
        return BarProgress(total, desc, unit, file)
    return PlainProgress(total, desc, unit, file)
