"""The course evaluation, summarised without naming anyone: for the report's evaluation section and
evaluation.csv.

Per question: how many learners answered; for scale questions (each learning objective, relevance, quality,
accessibility) the mean and the count at each point of the scale, with a stacked bar chart; for choice questions
(commercial bias) the count per option; the minutes the course took against its declared contact hours; the
comments, listed without learner ids, in alphabetical order (not in learner order). While fewer than
MIN_GROUP learners have submitted a readable evaluation, no summary is shown (a small group's answers could be
traced to a person). An evaluation answer file that cannot be read is named (learner and file: the instructor
must act on it) and counts as missing; everyone else's answers are summarised.
"""

from __future__ import annotations

import html
import statistics
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .. import cells, items
from . import completion
from .report_figures import _figure_html, _png

if TYPE_CHECKING:
    from .results import Results

MIN_GROUP = 5  # fewer evaluations than this: summaries hidden


@dataclass
class Question:
    item_id: str
    prompt: str
    response: str
    objective: str
    spec: dict[str, Any]
    values: list[Any] = field(default_factory=list)

    @property
    def n(self) -> int:
        return len(self.values)

    @property
    def mean(self) -> float | None:
        return statistics.fmean(self.values) if self.values and self.response in ("scale", "number") else None

    def counts(self) -> list[tuple[str, str, int]]:
        """(answer, label, count) for each scale point or option, in order."""
        tally = Counter(self.values)
        if self.response == "scale":
            labels = self.spec["scale"].get("labels", {})
            return [(str(p), labels.get(str(p), ""), tally[p])
                    for p in range(self.spec["scale"]["min"], self.spec["scale"]["max"] + 1)]
        if self.response == "choice":
            return [(o["key"], o["label"], tally[o["key"]]) for o in self.spec["options"]]
        return []


@dataclass
class Summary:
    submitted: int  # readable evaluations with at least one answer
    problems: list[str]  # unreadable evaluation files, for the instructor (these name learner and file)
    questions: list[Question]
    declared_minutes: float

    @property
    def hidden(self) -> bool:
        return self.submitted < MIN_GROUP

    def of(self, response: str) -> list[Question]:
        return [q for q in self.questions if q.response == response]


def questions(results: Results) -> list[Question]:
    path = completion.evaluation_notebook(results.course)
    if path is None:
        return []
    return [Question(spec["id"], spec["prompt"], spec["response"], spec["objective"], spec)
            for spec, _ in cells.notebook_items(path) if spec.get("kind") == "survey"]


def summarise(results: Results) -> Summary:
    checks = results.completion or completion.check(results)
    found = questions(results)
    problems, submitted = [], 0
    for learner in results.learners:
        evaluation = checks[learner.id].evaluation
        if not evaluation.submitted:
            if evaluation.problem and evaluation.problem != completion.EVALUATION_MISSING:
                problems.append(evaluation.problem)
            continue
        submitted += 1
        for question in found:
            try:
                value = items.check_value(question.spec, evaluation.records.get(question.item_id, {}).get("value"))
            except items.InvalidAnswer:
                continue  # one unusable answer is left out, the rest of the evaluation counts
            if value is not None:
                question.values.append(value)
    return Summary(submitted, problems, found, 60 * results.course.contact_hours)


def rows(summary: Summary) -> tuple[list[str], list[list[Any]]]:
    """evaluation.csv: one row per question and answer (counts only; comments are in the report, unattributed)."""
    header = ["item_id", "objective", "response", "answer", "label", "count", "answered", "mean"]
    if summary.hidden:
        return header, []
    found = []
    for q in summary.questions:
        mean = "" if q.mean is None else f"{q.mean:.2f}"
        if q.response in ("scale", "choice"):
            found += [[q.item_id, q.objective, q.response, answer, label, count, q.n, mean]
                      for answer, label, count in q.counts()]
        else:
            found.append([q.item_id, q.objective, q.response, "", "", "", q.n, mean])
    return header, found


def scale_figure(summary: Summary) -> str:
    """Stacked horizontal bars: for each scale question, the share of learners at each point, with its mean."""
    from matplotlib.figure import Figure

    scaled = [q for q in summary.of("scale") if q.n]
    if not scaled:
        return ""
    fig = Figure(figsize=(8, 0.32 * len(scaled) + 1.4))
    ax = fig.subplots()
    names = [q.item_id.rsplit(".", 1)[-1] for q in scaled][::-1]
    points = [p for p, _, _ in scaled[0].counts()]
    colours = ["#b2182b", "#ef8a62", "#d9d9d9", "#67a9cf", "#2166ac"]
    left = [0.0] * len(scaled)
    for i, point in enumerate(points):
        shares = [100 * dict((p, c) for p, _, c in q.counts()).get(point, 0) / q.n for q in scaled][::-1]
        ax.barh(names, shares, left=left, color=colours[i % len(colours)], label=point)
        left = [a + b for a, b in zip(left, shares, strict=True)]
    for y, q in enumerate(scaled[::-1]):
        ax.text(101, y, f"mean {q.mean:.1f}", va="center", fontsize=8)
    ax.set_xlim(0, 115)
    ax.set_xlabel("share of learners at each point of the scale (%)")
    ax.legend(title="scale point", ncols=len(points), loc="lower center", bbox_to_anchor=(0.45, 1.0), fontsize=8,
              frameon=False)
    alt = ("Stacked bar chart, one bar per evaluation question on a scale, showing the share of learners at each "
           "point: " + "; ".join(f"{q.item_id.rsplit('.', 1)[-1]} mean {q.mean:.1f} of {q.n} learners ("
                                 + ", ".join(f"{p}: {c}" for p, _, c in q.counts()) + ")" for q in scaled) + ".")
    return _figure_html(_png(fig), alt, "Course evaluation: answers on each scale question (1 lowest, 5 highest).")


def minutes_figure(summary: Summary, minutes: list[int]) -> str:
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    if not minutes:
        return ""
    fig = Figure(figsize=(5.5, 2.8))
    ax = fig.subplots()
    ax.hist(minutes, bins=min(10, max(3, len(set(minutes)))), color="#4c78a8", edgecolor="white")
    ax.axvline(summary.declared_minutes, color="#b2182b", linestyle="--", linewidth=1.5)
    ax.set_xlabel("minutes the course took (learners' own estimate)")
    ax.set_ylabel("learners")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    alt = (f"Histogram of the minutes {len(minutes)} learners say the course took, median "
           f"{statistics.median(minutes):.0f}, against the declared {summary.declared_minutes:.0f} minutes "
           "(dashed line).")
    return _figure_html(_png(fig), alt, f"Time the course took, as learners estimate it (dashed line: declared "
                        f"{summary.declared_minutes / 60:g} contact hours).")


def section_html(summary: Summary) -> str:
    """The report's evaluation section body (trusted HTML; every text from the course or a learner escaped)."""
    parts = [f"<p>{summary.submitted} learners submitted a readable course evaluation.</p>"]
    if summary.problems:
        parts.append("<p><strong>Evaluation files that could not be read</strong> (each counts as not submitted; "
                     "ask the learner to submit again):</p><ul>"
                     + "".join(f"<li>{html.escape(p)}</li>" for p in summary.problems) + "</ul>")
    if summary.hidden:
        parts.append(f"<p>Summaries are shown once at least {MIN_GROUP} learners have submitted the evaluation, so "
                     "that no answer can be traced to a person.</p>")
        return "".join(parts)
    table = ["<table><caption>Scale questions (1 lowest, 5 highest)</caption><thead><tr><th scope=\"col\">question"
             "</th><th scope=\"col\">answered</th><th scope=\"col\">mean</th><th scope=\"col\">distribution</th>"
             "</tr></thead><tbody>"]
    for q in summary.of("scale"):
        counts = ", ".join(f"{p}: {c}" for p, _, c in q.counts())
        mean = "" if q.mean is None else f"{q.mean:.2f}"
        table.append(f'<tr><th scope="row">{html.escape(q.item_id.rsplit(".", 1)[-1])}</th><td class="num">{q.n}'
                     f'</td><td class="num">{mean}</td><td>{counts}</td></tr>')
    table.append("</tbody></table>")
    parts += ["".join(table), scale_figure(summary)]
    for q in summary.of("choice"):
        counts = "; ".join(f"{html.escape(label)}: {c}" for _, label, c in q.counts())
        parts.append(f"<p><strong>{html.escape(q.prompt)}</strong> {counts} (of {q.n}).</p>")
    minutes = [v for q in summary.of("number") for v in q.values]
    if minutes:
        parts.append(f"<p>Minutes the course took, as learners estimate it: median {statistics.median(minutes):.0f}, "
                     f"range {min(minutes)} to {max(minutes)}, against {summary.declared_minutes:.0f} declared "
                     f"({summary.declared_minutes / 60:g} contact hours).</p>")
        parts.append(minutes_figure(summary, minutes))
    for q in summary.of("text"):
        texts = sorted(v.strip() for v in q.values)
        listed = "".join(f'<li style="white-space: pre-wrap">{html.escape(t)}</li>' for t in texts)
        parts.append(f"<h3>{html.escape(q.prompt)}</h3>" + (f"<ul>{listed}</ul>" if texts else "<p>None.</p>"))
    return "".join(parts)
