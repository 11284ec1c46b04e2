"""What every `empathy-ce` command shares: this environment's console scripts, the strict nbgrader_config.py
check, the assignments a command works on, and configuration problems as one-line errors."""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from .. import course as course_model
from ..grading.config import ConfigTypoError, check_file

T = TypeVar("T")


def _bin(name: str) -> str:
    """A console script from this environment, so the commands work without activating it."""
    here = Path(sys.executable).parent / name
    return str(here) if here.exists() else (shutil.which(name) or name)


def _use_this_environment() -> None:
    """nbgrader runs `alembic` (and start runs `jupyter`) from PATH: this environment's, activated or not."""
    os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"


def check_config(root: Path) -> None:
    try:
        check_file(root / "nbgrader_config.py")
    except ConfigTypoError as err:
        raise SystemExit(f"error: {err}") from None


def _modules(root: Path, chosen: list[str], *, every_retake: bool = False, evaluation: bool = False) -> list[str]:
    """The assignments named, else the modules, the retake forms (every one, or those released to someone) and,
    with evaluation, the course evaluation (never graded)."""
    from ..instructor.completion import evaluation_id
    from ..instructor.retakes import retakes_in_use

    course = course_model.load(root)  # modules, then each post-test's retake forms (their own assignments)
    extra = [evaluation_id(course)] if evaluation and evaluation_id(course) else []
    known = [m.id for m in course.modules] + list(course.retake_assignments()) + extra
    unknown = [m for m in chosen if m not in known]
    if unknown:
        raise SystemExit(f"error: unknown module {', '.join(unknown)} (modules: {', '.join(known)})")
    retakes = list(course.retake_assignments()) if every_retake else retakes_in_use(root)
    return chosen or [m.id for m in course.modules] + retakes + extra


def _progress(args: argparse.Namespace) -> bool | None:
    return False if args.no_progress else None


def _setup_errors(step: Callable[[], T]) -> T:
    """Run an instructor step; a configuration problem becomes a one-line error, not a traceback."""
    from ..instructor.configuration import SetupError

    try:
        return step()
    except SetupError as err:
        raise SystemExit(f"error: {err}") from None
