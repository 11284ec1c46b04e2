"""The report's CSV tables, one function per file: its header and rows (written by tables.write_csv).

learners.csv (one row per learner, every module, with the deciding attempt's form and the attempts),
submissions.csv (each newest submission's state and notes),
modules.csv, distribution.csv (the histograms' data), items.csv, distractors.csv and objectives.csv.
"""

from __future__ import annotations

import statistics
from collections import Counter
from typing import TYPE_CHECKING, Any

from . import analysis
from .report_figures import BIN

if TYPE_CHECKING:
    from .report import Report
    from .results import Results

# certificate_eligible: "held" while a module needs attention (its newest submission is not graded)
ELIGIBILITY = {analysis.ELIGIBLE: "yes", analysis.PENDING: "pending", analysis.NEEDS_ATTENTION: "held"}


def fmt(value: float | None, digits: int = 3) -> str:
    return "" if value is None else f"{value:.{digits}f}"


def learner_rows(results: Results) -> tuple[list[str], list[list[Any]]]:
    modules = [m.id for m in results.course.modules]
    header = ["learner_id", "name", "email"]
    for m in modules:
        header += [f"{m}_score", f"{m}_max", f"{m}_percent", f"{m}_status", f"{m}_state", f"{m}_notes",
                   f"{m}_grade_from", f"{m}_form", f"{m}_attempts", f"{m}_attempt_status"]
    header += ["modules_submitted", "completed", "modules_passed", "modules", "awaiting_manual_grades", "status",
               "certificate_eligible", "completion_date", "certificate_needs"]
    rows = []
    for lr in results.learners:
        row: list[Any] = [lr.id, lr.name, lr.email or ""]
        for m in modules:
            r = lr.modules[m]
            row += [fmt(r.score, 2) if r.submitted else "", fmt(r.max_points, 2),
                    fmt(r.percent, 1), r.status, r.state.state if r.state else "",
                    "; ".join(r.state.notes) if r.state else "", r.grade_from, r.form,
                    len(r.attempts.attempts) if r.attempts else 0, r.attempts.status if r.attempts else ""]
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
                     fmt(sum(i.max_points for i in results.items[module.id]), 2),
                     sum(r.submitted for r in res), count[analysis.PASS], count[analysis.FAIL],
                     count[analysis.PENDING], fmt(analysis.mean(final), 1),
                     fmt(statistics.median(final) if final else None, 1)])
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
                         fmt(item.max_points, 2), s.n, fmt(s.difficulty), fmt(s.discrimination), s.full_credit,
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
            rows.append([module.id, objective, module.objectives.get(objective, ""), m.items, fmt(m.points, 2),
                         m.learners, fmt(m.mean_percent, 1), m.mastered, fmt(m.mastered_share)])
    return header, rows


def tables(report: Report) -> dict[str, tuple[list[str], list[list[Any]]]]:
    """File name -> (header, rows) of every CSV table of the report (lms.csv is the LMS export's own)."""
    results = report.results
    return {"learners.csv": learner_rows(results), "submissions.csv": submission_rows(results),
            "modules.csv": module_rows(results), "distribution.csv": distribution_rows(results),
            "items.csv": item_rows(report), "distractors.csv": distractor_rows(report),
            "objectives.csv": objective_rows(report)}
