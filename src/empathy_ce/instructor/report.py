"""The gradebook report: an HTML page with figures, and CSV tables, from nbgrader's gradebook.

Written to a folder (default reports/): report.html, learners.csv, submissions.csv (each submission's state
and notes, see ``notes``), modules.csv, distribution.csv, items.csv,
distractors.csv, objectives.csv and the LMS export lms.csv. Everything is recomputed from the gradebook each
time, so the report is safe to re-run at any point of the course.
"""

from __future__ import annotations

import csv
import datetime as dt
import html
import statistics
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import kinds
from ..items import InvalidAnswer, check_value
from ..widget import markdown
from . import analysis, evaluation, lms, time_on_task
from .report_figures import BIN, distribution_figure, items_figure, objectives_figure
from .results import Results

NO_ANSWER, INVALID = "(no answer)", "(invalid answer)"
# certificate_eligible: "held" while a module needs attention (its newest submission is not graded)
ELIGIBILITY = {analysis.ELIGIBLE: "yes", analysis.PENDING: "pending", analysis.NEEDS_ATTENTION: "held"}


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


# ----------------------------------------------------------------------------------------------------- CSV


def _fmt(value: float | None, digits: int = 3) -> str:
    return "" if value is None else f"{value:.{digits}f}"


def write_csv(path: Path, header: list[str], rows: list[list[Any]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)


def learner_rows(results: Results) -> tuple[list[str], list[list[Any]]]:
    modules = [m.id for m in results.course.modules]
    header = ["learner_id", "name", "email"]
    for m in modules:
        header += [f"{m}_score", f"{m}_max", f"{m}_percent", f"{m}_status", f"{m}_state", f"{m}_notes",
                   f"{m}_grade_from"]
    header += ["modules_submitted", "completed", "modules_passed", "modules", "awaiting_manual_grades", "status",
               "certificate_eligible", "completion_date", "certificate_needs"]
    rows = []
    for lr in results.learners:
        row: list[Any] = [lr.id, lr.name, lr.email or ""]
        for m in modules:
            r = lr.modules[m]
            row += [_fmt(r.score, 2) if r.submitted else "", _fmt(r.max_points, 2),
                    _fmt(r.percent, 1), r.status, r.state.state if r.state else "",
                    "; ".join(r.state.notes) if r.state else "", r.grade_from]
        passed = sum(lr.modules[m].status == analysis.PASS for m in modules)
        submitted = sum(lr.modules[m].submitted for m in modules)
        row += [submitted, "yes" if submitted == len(modules) else "no", passed, len(modules),
                sum(lr.modules[m].awaiting for m in modules), lr.status,
                ELIGIBILITY.get(lr.status, "no"),
                lr.completion_date.isoformat() if lr.completion_date else "", "; ".join(lr.reasons)]
        rows.append(row)
    return header, rows


def submission_rows(results: Results) -> tuple[list[str], list[list[Any]]]:
    """One row per collected submission (the newest of each learner and module): its state and notes."""
    header = ["learner_id", "module", "state", "notes", "submitted_at", "module_status", "grade_from"]
    rows = []
    for lr in results.learners:
        for module in results.course.modules:
            r = lr.modules[module.id]
            if r.state is None:
                continue
            when = f"{r.state.submitted_at:%Y-%m-%d %H:%M:%S} UTC" if r.state.submitted_at else ""
            rows.append([lr.id, module.id, r.state.state, "; ".join(r.state.notes), when, r.status, r.grade_from])
    return header, rows


def module_rows(results: Results) -> tuple[list[str], list[list[Any]]]:
    header = ["module", "title", "contact_hours", "posttest_points", "submitted", "passed", "failed", "pending",
              "mean_percent", "median_percent"]
    rows = []
    for module in results.course.modules:
        res = [lr.modules[module.id] for lr in results.learners]
        final = [r.percent for r in res if r.status in (analysis.PASS, analysis.FAIL) and r.percent is not None]
        count = Counter(r.status for r in res)
        rows.append([module.id, module.title, module.contact_hours,
                     _fmt(sum(i.max_points for i in results.items[module.id]), 2),
                     sum(r.submitted for r in res), count[analysis.PASS], count[analysis.FAIL],
                     count[analysis.PENDING], _fmt(analysis.mean(final), 1),
                     _fmt(statistics.median(final) if final else None, 1)])
    return header, rows


def distribution_rows(results: Results) -> tuple[list[str], list[list[Any]]]:
    """Learners with a final post-test score, per module and 5-point band (the histograms' data)."""
    header = ["module", "percent_from", "percent_to", "learners"]
    rows = []
    for module in results.course.modules:
        final = [lr.modules[module.id].percent for lr in results.learners
                 if lr.modules[module.id].status in (analysis.PASS, analysis.FAIL)]
        rows += [[module.id, f"{lo:g}", f"{hi:g}", count]
                 for lo, hi, count in analysis.distribution([p for p in final if p is not None], width=BIN)]
    return header, rows


def item_rows(report: Report) -> tuple[list[str], list[list[Any]]]:
    header = ["module", "item_id", "grade_id", "kind", "objective", "max_points", "learners", "difficulty",
              "discrimination", "full_credit", "flags"]
    rows = []
    for module in report.results.course.modules:
        for item in report.results.items[module.id]:
            s = report.items[module.id][item.grade_id]
            rows.append([module.id, item.item_id, item.grade_id, item.kind, item.objective or "",
                         _fmt(item.max_points, 2), s.n, _fmt(s.difficulty), _fmt(s.discrimination), s.full_credit,
                         "; ".join(s.flags)])
    return header, rows


def distractor_rows(report: Report) -> tuple[list[str], list[list[Any]]]:
    header = ["module", "item_id", "option", "label", "is_key", "count", "learners"]
    return header, [[d.module, d.item, d.option, d.label, "yes" if d.is_key else "no", d.count, d.learners]
                    for d in report.distractors]


def objective_rows(report: Report) -> tuple[list[str], list[list[Any]]]:
    header = ["module", "objective", "description", "items", "points", "learners", "mean_percent",
              "mastered", "mastered_share"]
    rows = []
    for module in report.results.course.modules:
        for objective, m in sorted(report.mastery[module.id].items()):
            rows.append([module.id, objective, module.objectives.get(objective, ""), m.items, _fmt(m.points, 2),
                         m.learners, _fmt(m.mean_percent, 1), m.mastered, _fmt(m.mastered_share)])
    return header, rows


# ------------------------------------------------------------------------------------------------------ HTML



def _table(caption: str, header: list[str], rows: list[list[Any]], numeric: set[int] = frozenset()) -> str:
    head = "".join(f'<th scope="col">{html.escape(h)}</th>' for h in header)
    body = []
    for row in rows:
        cells = []
        for i, value in enumerate(row):
            text = value if isinstance(value, _Raw) else html.escape(str(value))
            if i == 0:
                cells.append(f'<th scope="row">{text}</th>')
            else:
                cells.append(f'<td class="num">{text}</td>' if i in numeric else f"<td>{text}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return (f"<table><caption>{html.escape(caption)}</caption><thead><tr>{head}</tr></thead>"
            f"<tbody>{''.join(body)}</tbody></table>")


class _Raw(str):
    """Trusted HTML for a table cell."""


def _status_class(status: str) -> str:
    return {analysis.NEEDS_ATTENTION: "attention", analysis.ELIGIBLE: "eligible"}.get(status, "")


def _environment() -> Any:
    import jinja2

    return jinja2.Environment(loader=jinja2.PackageLoader("empathy_ce.instructor", "templates"),
                              autoescape=True, trim_blocks=True, lstrip_blocks=True)


def render(report: Report, generated: dt.datetime) -> str:
    """report.html: learners needing attention first, then learners, modules, objectives and items."""
    from markupsafe import Markup

    results = report.results
    course = results.course
    status = Counter(lr.status for lr in results.learners)
    attention = [{"learner": lr, "module": m.id, "result": lr.modules[m.id]} for lr in results.learners
                 for m in course.modules if lr.modules[m.id].state and lr.modules[m.id].state.notes]
    attention.sort(key=lambda row: (not row["result"].state.needs_attention, row["learner"].id, row["module"]))
    header, rows = module_rows(results)
    modules_table = _table("Post-test results by module", header, rows, {2, 3, 4, 5, 6, 7, 8, 9})
    header, rows = objective_rows(report)
    objectives_table = _table("Mastery by objective (learners at or above the pass mark on the objective's items)",
                              header, rows, {3, 4, 5, 6, 7, 8})
    sections = []
    for module in course.modules:
        stats = report.items[module.id]
        rows = []
        for item in results.items[module.id]:
            s = stats[item.grade_id]
            flags = _Raw("".join(f'<span class="flag">{html.escape(f)}</span> ' for f in s.flags))
            rows.append([item.item_id, item.kind, item.objective or "", _fmt(item.max_points, 1), s.n,
                         _fmt(s.difficulty, 2), _fmt(s.discrimination, 2), s.full_credit, flags])
        table = _table(f"{module.id} post-test items", ["item", "kind", "objective", "points", "learners",
                                                         "difficulty", "discrimination", "full credit", "flags"],
                       rows, {3, 4, 5, 6, 7})
        figure = items_figure(report, module.id) if any(s.difficulty is not None for s in stats.values()) else ""
        options = [d for d in report.distractors if d.module == module.id]
        choices = ""
        if options:
            rows = [[d.item, d.option + (" (key)" if d.is_key else ""), _Raw(markdown(d.label, inline=True))
                     if d.label else "", d.count, _fmt(100 * d.count / d.learners if d.learners else None, 1)]
                    for d in options]
            choices = _table(f"{module.id}: choices made on choice items (from answer files)",
                             ["item", "option", "label", "learners", "% of learners"], rows, {3, 4})
        sections.append({"id": module.id, "title": module.title, "table": Markup(table), "figure": Markup(figure),
                         "choices": Markup(choices)})
    order = (analysis.NEEDS_ATTENTION, analysis.ELIGIBLE, analysis.PENDING, analysis.INCOMPLETE, analysis.NOT_ELIGIBLE)
    return _environment().get_template("report.html.j2").render(
        course=course, generated=generated, attention=attention, learners=results.learners, modules=course.modules,
        status_counts=[(name, status.get(name, 0)) for name in order],
        status_class=_status_class, eligibility=lambda st: ELIGIBILITY.get(st, "no"),
        tables={"modules": Markup(modules_table), "objectives": Markup(objectives_table)},
        figures={"distribution": Markup(distribution_figure(results)), "objectives": Markup(objectives_figure(report))},
        item_sections=sections,
        held=[lr for lr in results.learners if lr.reasons and all(
            r.status == analysis.PASS for r in lr.modules.values())],
        evaluation=Markup(evaluation.section_html(evaluation.summarise(results))),
        time_on_task=Markup(time_on_task.section_html(results)))


def write(report: Report, folder: Path, generated: dt.datetime | None = None) -> list[Path]:
    """Write the HTML report and the CSV tables; returns the files written."""
    folder.mkdir(parents=True, exist_ok=True)
    generated = generated or dt.datetime.now(dt.UTC)
    written = []
    for name, (header, rows) in {"learners.csv": learner_rows(report.results),
                                 "submissions.csv": submission_rows(report.results),
                                 "modules.csv": module_rows(report.results),
                                 "distribution.csv": distribution_rows(report.results),
                                 "items.csv": item_rows(report), "distractors.csv": distractor_rows(report),
                                 "objectives.csv": objective_rows(report),
                                 "evaluation.csv": evaluation.rows(evaluation.summarise(report.results)),
                                 "time_on_task.csv": time_on_task.rows(report.results)}.items():
        write_csv(folder / name, header, rows)
        written.append(folder / name)
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
