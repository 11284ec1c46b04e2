"""The gradebook report: an HTML page with figures, and CSV tables, from nbgrader's gradebook.

The page is rendered by a Jinja2 template (templates/report.html.j2) from plain data; the CSV tables are built
in report_csv and written by tables.write_csv; the figures are drawn in report_figures.

Written to a folder (default reports/): report.html, learners.csv, submissions.csv (each submission's state
and notes, see ``notes``), modules.csv, distribution.csv, items.csv,
distractors.csv, objectives.csv and the LMS export lms.csv. Everything is recomputed from the gradebook each
time, so the report is safe to re-run at any point of the course.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import kinds
from ..items import InvalidAnswer, check_value
from ..widget import markdown
from . import analysis, evaluation, lms, time_on_task
from .report_csv import ELIGIBILITY, fmt, module_rows, objective_rows
from .report_csv import tables as csv_tables
from .report_figures import distribution_figure, items_figure, objectives_figure
from .results import Results
from .tables import write_csv

NO_ANSWER, INVALID = "(no answer)", "(invalid answer)"


@dataclass
class Distractor:
    module: str
    item: str
    option: str
    label: str
    is_key: bool
    count: int
    learners: int


@dataclass
class Report:
    results: Results
    items: dict[str, dict[str, analysis.ItemStats]]  # module -> grade id -> stats
    mastery: dict[str, dict[str, analysis.Mastery]]  # module -> objective -> mastery
    distractors: list[Distractor]


def _scores(results: Results, module: str) -> dict[str, dict[str, float | None]]:
    return {lr.id: dict(lr.modules[module].grades) for lr in results.learners if lr.modules[module].submitted}


def build(results: Results) -> Report:
    items, mastery = {}, {}
    for module in results.course.modules:
        scores = _scores(results, module.id)
        tops = {i.grade_id: i.max_points for i in results.items[module.id]}
        items[module.id] = analysis.item_analysis(scores, tops)
        objectives = {i.grade_id: i.objective for i in results.items[module.id] if i.objective}
        mastery[module.id] = analysis.objective_mastery(scores, objectives, tops, results.course.pass_mark)
    return Report(results, items, mastery, distractors(results))


def distractors(results: Results) -> list[Distractor]:
    """How many learners chose each option of each choice item, from their answer files."""
    found = []
    for module in results.course.modules:
        choice = [i for i in results.items[module.id] if i.spec and kinds.get(i.kind).distractors]
        if not choice:
            continue
        counts = {i.grade_id: Counter() for i in choice}
        learners = [lr for lr in results.learners if lr.modules[module.id].submitted]
        for learner in learners:
            answers = results.answers(learner.id, module.id) or {}
            for item in choice:
                try:
                    value = check_value(item.spec, answers.get(item.item_id))
                except InvalidAnswer:
                    counts[item.grade_id][INVALID] += 1
                    continue
                if value is None:
                    counts[item.grade_id][NO_ANSWER] += 1
                else:
                    counts[item.grade_id].update(kinds.get(item.kind).chosen(item.spec, value))
        for item in choice:
            keys = kinds.get(item.kind).credited(item.spec, item.key)
            for choice_key, label in kinds.get(item.kind).choices(item.spec):
                found.append(Distractor(module.id, item.item_id, choice_key, label,
                                        choice_key in keys, counts[item.grade_id][choice_key], len(learners)))
            for extra in (NO_ANSWER, INVALID):
                found.append(Distractor(module.id, item.item_id, extra, "", False, counts[item.grade_id][extra],
                                        len(learners)))
    return found


# ------------------------------------------------------------------------------------------------------ HTML


@dataclass(frozen=True)
class Table:
    """A table for the template (templates/report.html.j2 renders and escapes it); columns in numeric align right.

    A cell is plain text or a number, Markup (trusted HTML: an option label rendered from its Markdown), or a
    list of flags (shown as flag badges).
    """

    caption: str
    header: list[str]
    rows: list[list[Any]]
    numeric: frozenset[int] = frozenset()


def _status_class(status: str) -> str:
    return {analysis.NEEDS_ATTENTION: "attention", analysis.ELIGIBLE: "eligible"}.get(status, "")


def _environment() -> Any:
    import jinja2

    environment = jinja2.Environment(loader=jinja2.PackageLoader("empathy_ce.instructor", "templates"),
                                     autoescape=True, trim_blocks=True, lstrip_blocks=True)
    environment.tests["flags"] = lambda value: isinstance(value, list)
    return environment


def _item_section(report: Report, module: Any) -> dict[str, Any]:
    """One module's item table, difficulty-discrimination figure and choices table."""
    from markupsafe import Markup

    results = report.results
    stats = report.items[module.id]
    rows = []
    for item in results.items[module.id]:
        s = stats[item.grade_id]
        rows.append([item.item_id, item.kind, item.objective or "", fmt(item.max_points, 1), s.n,
                     fmt(s.difficulty, 2), fmt(s.discrimination, 2), s.full_credit, list(s.flags)])
    table = Table(f"{module.id} post-test items", ["item", "kind", "objective", "points", "learners", "difficulty",
                                                   "discrimination", "full credit", "flags"], rows,
                  frozenset({3, 4, 5, 6, 7}))
    figure = items_figure(report, module.id) if any(s.difficulty is not None for s in stats.values()) else None
    options = [d for d in report.distractors if d.module == module.id]
    choices = None
    if options:
        choices = Table(f"{module.id}: choices made on choice items (from answer files)",
                        ["item", "option", "label", "learners", "% of learners"],
                        [[d.item, d.option + (" (key)" if d.is_key else ""),
                          Markup(markdown(d.label, inline=True)) if d.label else "", d.count,
                          fmt(100 * d.count / d.learners if d.learners else None, 1)] for d in options],
                        frozenset({3, 4}))
    return {"id": module.id, "title": module.title, "table": table, "figure": figure, "choices": choices}


def render(report: Report, generated: dt.datetime) -> str:
    """report.html: learners needing attention first, then learners, modules, objectives and items."""
    results = report.results
    course = results.course
    status = Counter(lr.status for lr in results.learners)
    attention = [{"learner": lr, "module": m.id, "result": lr.modules[m.id]} for lr in results.learners
                 for m in course.modules if lr.modules[m.id].state and lr.modules[m.id].state.notes]
    attention.sort(key=lambda row: (not row["result"].state.needs_attention, row["learner"].id, row["module"]))
    modules = Table("Post-test results by module", *module_rows(results), frozenset({2, 3, 4, 5, 6, 7, 8, 9}))
    objectives = Table("Mastery by objective (learners at or above the pass mark on the objective's items)",
                       *objective_rows(report), frozenset({3, 4, 5, 6, 7, 8}))
    order = (analysis.NEEDS_ATTENTION, analysis.ELIGIBLE, analysis.PENDING, analysis.INCOMPLETE, analysis.NOT_ELIGIBLE)
    return _environment().get_template("report.html.j2").render(
        course=course, generated=generated, attention=attention, learners=results.learners, modules=course.modules,
        status_counts=[(name, status.get(name, 0)) for name in order],
        status_class=_status_class, eligibility=lambda st: ELIGIBILITY.get(st, "no"),
        tables={"modules": modules, "objectives": objectives},
        figures={"distribution": distribution_figure(results), "objectives": objectives_figure(report)},
        item_sections=[_item_section(report, module) for module in course.modules],
        held=[lr for lr in results.learners if lr.reasons and all(
            r.status == analysis.PASS for r in lr.modules.values())],
        evaluation=evaluation.section(evaluation.summarise(results)), time_on_task=time_on_task.section(results))


def write(report: Report, folder: Path, generated: dt.datetime | None = None) -> list[Path]:
    """Write the HTML report and the CSV tables; returns the files written."""
    folder.mkdir(parents=True, exist_ok=True)
    generated = generated or dt.datetime.now(dt.UTC)
    written = [write_csv(folder / name, header, rows) for name, (header, rows) in csv_tables(report).items()]
    written.append(write_csv(folder / "evaluation.csv", *evaluation.rows(evaluation.summarise(report.results))))
    written.append(write_csv(folder / "time_on_task.csv", *time_on_task.rows(report.results)))
    written.append(lms.write(report.results, folder / "lms.csv"))
    (folder / "report.html").write_text(render(report, generated), encoding="utf-8")
    written.append(folder / "report.html")
    return written


def summary_line(report: Report) -> str:
    status = Counter(lr.status for lr in report.results.learners)
    flagged = sum(bool(s.flags) for module in report.items.values() for s in module.values())
    return (f"{len(report.results.learners)} learners: {status[analysis.ELIGIBLE]} eligible for a certificate, "
            f"{status[analysis.PENDING]} pending manual grading, {status[analysis.INCOMPLETE]} incomplete, "
            f"{status[analysis.NOT_ELIGIBLE]} not eligible"
            + (f", {status[analysis.NEEDS_ATTENTION]} needing attention (certificates held)"
               if status[analysis.NEEDS_ATTENTION] else "") + f"; {flagged} items flagged")
