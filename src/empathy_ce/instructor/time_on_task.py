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


def section_html(results: Results) -> str:
    """A table of every learner's time on task (the flagged first), as trusted HTML."""
    header, body = rows(results)
    if not body:
        return "<p>No post-test answers collected yet.</p>"
    body.sort(key=lambda r: (r[-1] != SHORT, r[0], r[1]))
    short = sum(r[-1] == SHORT for r in body)
    head = "".join(f'<th scope="col">{html.escape(h.replace("_", " "))}</th>' for h in header)
    lines = []
    for r in body:
        cells = [f'<th scope="row">{html.escape(str(r[0]))}</th>']
        cells += [f"<td>{html.escape(str(v))}</td>" for v in r[1:4]]
        cells += [f'<td class="num">{html.escape(str(v))}</td>' for v in r[4:7]]
        cells.append(f'<td class="flag">{html.escape(r[7])}</td>' if r[7] else "<td></td>")
        lines.append("<tr>" + "".join(cells) + "</tr>")
    note = (f"<p>{short} post-tests answered in under a quarter of the module's declared hours (flagged first).</p>"
            if short else "<p>No post-test was answered implausibly fast.</p>")
    return (note + '<div class="wide"><table><caption>Time on task: first to last saved answer of each post-test, '
            f"and the minutes attested (time_on_task.csv)</caption><thead><tr>{head}</tr></thead><tbody>"
            + "".join(lines) + "</tbody></table></div>")
