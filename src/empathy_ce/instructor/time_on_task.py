"""Time on task per learner and module, for the report (time_on_task.csv and a section of report.html).

The span is from the first to the last answer saved in the learner's collected post-test answer file (the file
records when each item was first and last answered: timestamps only), beside the minutes the learner attested.
A span under a quarter of the module's declared contact hours is flagged as implausibly short (see
completion.SHORT_SHARE); the flag asks the instructor to look, it changes no grade or certificate.
"""

from __future__ import annotations

import html
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


def _table(caption: str, header: list[str], body: list[list[Any]]) -> str:
    head = "".join(f'<th scope="col">{html.escape(h.replace("_", " "))}</th>' for h in header)
    lines = []
    for r in body:
        cells = [f'<th scope="row">{html.escape(str(r[0]))}</th>', f"<td>{html.escape(str(r[1]))}</td>"]
        cells += [f'<td style="white-space: nowrap">{html.escape(_when(str(v)))}</td>' for v in r[2:4]]
        cells += [f'<td class="num">{html.escape(str(v))}</td>' for v in r[4:7]]
        cells.append(f'<td class="flag">{html.escape(r[7])}</td>' if r[7] else "<td></td>")
        lines.append("<tr>" + "".join(cells) + "</tr>")
    return (f'<div class="wide"><table><caption>{html.escape(caption)}</caption><thead><tr>{head}</tr></thead>'
            f"<tbody>{''.join(lines)}</tbody></table></div>")


def section_html(results: Results) -> str:
    """The flagged post-tests in a table, every learner's time on task one click away, as trusted HTML."""
    header, body = rows(results)
    if not body:
        return "<p>No post-test answers collected yet.</p>"
    short = [r for r in body if r[-1] == SHORT]
    parts = []
    if short:
        parts.append(f"<p>{len(short)} post-test{'' if len(short) == 1 else 's'} answered in under a quarter of the "
                     "module's declared hours (first to last saved answer):</p>")
        parts.append(_table("Implausibly short completions", header, short))
    else:
        parts.append("<p>No post-test was answered implausibly fast.</p>")
    parts.append(f"<details><summary>Time on task of every learner and module ({len(body)} rows; "
                 "time_on_task.csv)</summary>"
                 + _table("First to last saved answer of each post-test, and the minutes attested", header, body)
                 + "</details>")
    return "".join(parts)
