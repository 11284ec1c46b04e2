"""The course evaluation, summarised without naming anyone: for the report's evaluation section and
evaluation.csv.

Per question: how many learners answered; for scale questions (each learning objective, relevance, quality,
accessibility) the mean and the count at each point of the scale, with a stacked bar chart; for choice questions
(commercial bias) the count per option; the minutes the course took against its declared contact hours; the
comments, listed without learner ids, in alphabetical order (not in learner order). While fewer than
MIN_GROUP learners have submitted a readable evaluation, no summary is shown (a small group's answers could be
traced to a person). An evaluation answer file that cannot be read is named (learner and file: the instructor
must act on it) and counts as missing; everyone else's answers are summarised.

This module returns data only (``section``); templates/evaluation.html.j2 renders it into the report page.
"""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .. import cells, items
from . import completion
from .report_figures import Figure, _png

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


def scale_figure(summary: Summary) -> Figure | None:
    """Stacked horizontal bars: for each scale question, the share of learners at each point, with its mean."""
    from matplotlib.figure import Figure as Plot

    scaled = [q for q in summary.of("scale") if q.n]
    if not scaled:
        return None
    fig = Plot(figsize=(8, 0.32 * len(scaled) + 1.4))
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
    return Figure(_png(fig), alt, "Course evaluation: answers on each scale question (1 lowest, 5 highest).")


def minutes_figure(summary: Summary, minutes: list[int]) -> Figure | None:
    from matplotlib.figure import Figure as Plot
    from matplotlib.ticker import MaxNLocator

    if not minutes:
        return None
    fig = Plot(figsize=(5.5, 2.8))
    ax = fig.subplots()
    ax.hist(minutes, bins=min(10, max(3, len(set(minutes)))), color="#4c78a8", edgecolor="white")
    ax.axvline(summary.declared_minutes, color="#b2182b", linestyle="--", linewidth=1.5)
    ax.set_xlabel("minutes the course took (learners' own estimate)")
    ax.set_ylabel("learners")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    alt = (f"Histogram of the minutes {len(minutes)} learners say the course took, median "
           f"{statistics.median(minutes):.0f}, against the declared {summary.declared_minutes:.0f} minutes "
           "(dashed line).")
    return Figure(_png(fig), alt, f"Time the course took, as learners estimate it (dashed line: declared "
                  f"{summary.declared_minutes / 60:g} contact hours).")


@dataclass(frozen=True)
class ScaleRow:
    question: str  # the item id's last part (e.g. trust-1)
    answered: int
    mean: str  # two decimals, or empty
    distribution: str  # "1: 0, 2: 2, ..."


@dataclass(frozen=True)
class Minutes:
    median: float
    low: int
    high: int
    declared: float  # minutes
    figure: Figure | None


@dataclass(frozen=True)
class Section:
    """The report's evaluation section, as data for templates/evaluation.html.j2 (which escapes every text)."""

    submitted: int
    problems: list[str]
    hidden: bool
    min_group: int
    scale: list[ScaleRow] = field(default_factory=list)
    scale_figure: Figure | None = None
    choices: list[tuple[str, list[tuple[str, int]], int]] = field(default_factory=list)  # prompt, counts, answered
    minutes: Minutes | None = None
    comments: list[tuple[str, list[str]]] = field(default_factory=list)  # prompt, texts in alphabetical order


def section(summary: Summary) -> Section:
    """What the report shows of the evaluation: counts, means, figures and comments (none while hidden)."""
    if summary.hidden:
        return Section(summary.submitted, summary.problems, True, MIN_GROUP)
    scale = [ScaleRow(q.item_id.rsplit(".", 1)[-1], q.n, "" if q.mean is None else f"{q.mean:.2f}",
                      ", ".join(f"{p}: {c}" for p, _, c in q.counts())) for q in summary.of("scale")]
    choices = [(q.prompt, [(label, c) for _, label, c in q.counts()], q.n) for q in summary.of("choice")]
    values = [v for q in summary.of("number") for v in q.values]
    minutes = Minutes(statistics.median(values), min(values), max(values), summary.declared_minutes,
                      minutes_figure(summary, values)) if values else None
    comments = [(q.prompt, sorted(v.strip() for v in q.values)) for q in summary.of("text")]
    return Section(summary.submitted, summary.problems, False, MIN_GROUP, scale, scale_figure(summary), choices,
                   minutes, comments)
