"""One submission a grade run grades (``Unit``) and what became of it (``Outcome``): shared by the run's planning
(grade_plan.py), its workers and the command line's summary (grade.py)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Unit:
    assignment: str
    student: str
    folder: str
    needs_kernel: bool = False
    notebooks: frozenset[str] | None = None  # the assignment's notebooks in the gradebook


@dataclass
class Outcome:
    assignment: str
    student: str
    status: str  # graded, skipped, failed, or rejected (no assignment of the course, or not yet released)
    without_kernel: int = 0
    with_kernel: int = 0
    failures: list[tuple[str, str]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0
    resumed: bool = False  # an earlier run was interrupted while grading this submission
    inspected: bool = False  # grade(notes=True) looked at the submission's files once graded: state is notes'
    state: Any = None  # notes.State, or None when nothing was collected
