"""Time on task per learner and module, for the report (time_on_task.csv and a section of report.html).

The span is from the first to the last answer saved in the learner's collected post-test answer file (the file
records when each item was first and last answered: timestamps only), beside the minutes the learner attested.
A span under a quarter of the module's declared contact hours is flagged as implausibly short (see
completion.SHORT_SHARE); the flag asks the instructor to look, it changes no grade or certificate.

This module returns data only (``rows``, ``section``); templates/time_on_task.html.j2 renders the report section.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from . import completion

if TYPE_CHECKING:
    from .results import Results

SHORT = "implausibly short"


def _minutes(value: float | None) -> str:
    return "" if value is None else f"{value:.0f}"


def rows(results: Results) -> tuple[list[str], list[list[Any]]]:
    header = ["learner_id", "module", "first_answer", "last_answer", "answer_span_minutes", "attested_minutes",
              "declared_minutes", "flag"]
    checks = results.completion or completion.check(results)
    found = []
    for learner in results.learners:
        for module in results.course.modules:
            t = checks[learner.id].times[module.id]
            if t.first is None and t.attested_minutes is None:
                continue
            found.append([learner.id, module.id, t.first.isoformat() if t.first else "",
                          t.last.isoformat() if t.last else "", _minutes(t.span_minutes),
                          "" if t.attested_minutes is None else t.attested_minutes, _minutes(t.declared_minutes),
                          SHORT if t.short else ""])
    return header, found


def flagged(results: Results) -> list[completion.ModuleTime]:
    checks = results.completion or completion.check(results)
    return [t for c in checks.values() for t in c.times.values() if t.short]


def _when(text: str) -> str:
    return text[:16].replace("T", " ") + " UTC" if text else ""


@dataclass(frozen=True)
class Section:
    """The report's time-on-task section, as data for templates/time_on_task.html.j2 (which escapes every text):
    the flagged post-tests, and every learner's time on task, one click away."""

    header: list[str]  # time_on_task.csv's columns, for reading
    rows: list[list[str]]  # every learner and module, times as "YYYY-MM-DD HH:MM UTC"
    short: list[list[str]]  # the rows flagged implausibly short


def section(results: Results) -> Section:
    header, body = rows(results)
    shown = [[str(r[0]), str(r[1]), _when(str(r[2])), _when(str(r[3])), *(str(v) for v in r[4:])] for r in body]
    return Section([h.replace("_", " ") for h in header], shown, [r for r in shown if r[-1] == SHORT])
