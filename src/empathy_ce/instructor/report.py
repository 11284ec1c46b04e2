"""The gradebook report: an HTML page with figures, and CSV tables, from nbgrader's gradebook.

Written to a folder (default reports/): report.html, learners.csv, modules.csv, distribution.csv, items.csv,
distractors.csv, objectives.csv and the LMS export lms.csv. Everything is recomputed from the gradebook each
time, so the report is safe to re-run at any point of the course.
"""

from __future__ import annotations

import base64
import csv
import datetime as dt
import html
import io
import statistics
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..items import InvalidAnswer, check_value
from ..widget import markdown
from . import analysis, lms
from .results import Results

CHOICE_KINDS = ("single", "multiple")
BIN = 5.0  # percentage points per histogram bar (a multiple of 5 keeps a 75% pass mark on a bar edge)
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
        choice = [i for i in results.items[module.id] if i.spec and i.kind in CHOICE_KINDS]
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
                    counts[item.grade_id].update([value] if isinstance(value, str) else value)
        for item in choice:
            keys = set(item.key if isinstance(item.key, list) else [item.key])
            for option in item.spec["options"]:
                found.append(Distractor(module.id, item.item_id, option["key"], option["label"],
                                        option["key"] in keys, counts[item.grade_id][option["key"]], len(learners)))
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
               "certificate_eligible", "completion_date"]
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
                lr.completion_date.isoformat() if lr.completion_date else ""]
        rows.append(row)
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


# --------------------------------------------------------------------------------------------------- Figures


def _png(fig: Any) -> str:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _figure_html(png: str, alt: str, caption: str) -> str:
    return (f'<figure><img src="data:image/png;base64,{png}" alt="{html.escape(alt)}">'
            f"<figcaption>{html.escape(caption)}</figcaption></figure>")


def distribution_figure(results: Results) -> str:
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    modules = results.course.modules
    mark = 100 * results.course.pass_mark
    fig = Figure(figsize=(3.2 * len(modules), 2.8))
    axes = fig.subplots(1, len(modules), sharey=True, squeeze=False)[0]
    described = []
    for ax, module in zip(axes, modules, strict=True):
        res = [lr.modules[module.id] for lr in results.learners]
        final = [r.percent for r in res if r.status in (analysis.PASS, analysis.FAIL) and r.percent is not None]
        bins = analysis.distribution(final, width=BIN)
        ax.bar([lo for lo, _, _ in bins], [c for _, _, c in bins], width=BIN, align="edge", color="#4c78a8",
               edgecolor="white")
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.axvline(mark, color="#b2182b", linestyle="--", linewidth=1.5)
        ax.set_title(module.id)
        ax.set_xlim(0, 100)
        ax.set_xlabel("post-test score (%)")
        pending = sum(r.status == analysis.PENDING for r in res)
        passed = sum(r.status == analysis.PASS for r in res)
        median = f"median {statistics.median(final):.0f}%" if final else "no final scores"
        described.append(f"{module.id}: {len(final)} learners with final scores, {median}, {passed} at or above "
                         f"the pass mark" + (f", {pending} pending manual grading" if pending else ""))
    axes[0].set_ylabel("learners")
    alt = (f"Histograms of post-test scores in {BIN:g}-point bins, one per module, with a dashed line at the "
           f"{mark:.0f}% pass mark. " + "; ".join(described) + ".")
    return _figure_html(_png(fig), alt, f"Post-test score distributions (dashed line: pass mark {mark:.0f}%).")


def items_figure(report: Report, module: str) -> str:
    from matplotlib.figure import Figure

    items = report.results.items[module]
    stats = report.items[module]
    points = [(i, stats[i.grade_id]) for i in items if stats[i.grade_id].difficulty is not None]
    fig = Figure(figsize=(5.5, 3.6))
    ax = fig.subplots()
    ax.axhline(0, color="#888888", linewidth=0.8)
    labels: dict[tuple[float, float], list[str]] = {}
    for item, s in points:
        y = s.discrimination if s.discrimination is not None else 0.0
        colour = "#b2182b" if s.flags else "#4c78a8"
        if s.discrimination is None:  # undefined (no variation): a hollow square on the zero line
            ax.scatter([s.difficulty], [y], facecolors="none", edgecolors=colour, marker="s")
        else:
            ax.scatter([s.difficulty], [y], color=colour, marker="D" if s.flags else "o")
        labels.setdefault((round(s.difficulty, 2), round(y, 2)), []).append(item.item_id.rsplit(".", 1)[-1])
    for (x, y), names in labels.items():  # items at the same point share one label
        right = x > 0.8
        ax.annotate(", ".join(names), (x, y), textcoords="offset points", xytext=(-4 if right else 4, 3),
                    fontsize=8, ha="right" if right else "left")
    ax.set_xlim(-0.05, 1.05)
    ax.set_ylim(-1.05, 1.05)
    ax.set_xlabel("difficulty (mean share of points earned)")
    ax.set_ylabel("discrimination (point-biserial)")
    flagged = [f"{i.item_id} ({', '.join(s.flags)})" for i, s in points if s.flags]
    described = "; ".join(f"{i.item_id} difficulty {s.difficulty:.2f}, discrimination "
                          + (f"{s.discrimination:.2f}" if s.discrimination is not None else "undefined")
                          for i, s in points)
    alt = (f"Scatter plot of the {len(points)} {module} post-test items: difficulty on the horizontal axis, "
           f"discrimination on the vertical axis, flagged items in red, items whose discrimination is undefined "
           f"(everyone scored alike) as hollow squares on the zero line. {described}. "
           + (f"Flagged: {'; '.join(flagged)}." if flagged else "No item is flagged."))
    return _figure_html(_png(fig), alt, f"{module}: item difficulty against discrimination (red: flagged; "
                        "hollow squares: discrimination undefined).")


def objectives_figure(report: Report) -> str:
    from matplotlib.figure import Figure

    rows = [(objective, m) for module in report.results.course.modules
            for objective, m in sorted(report.mastery[module.id].items()) if m.mean_percent is not None]
    mark = 100 * report.results.course.pass_mark
    fig = Figure(figsize=(7, 0.35 * max(len(rows), 3) + 1))
    ax = fig.subplots()
    ax.barh([o for o, _ in rows][::-1], [m.mean_percent for _, m in rows][::-1], color="#4c78a8")
    ax.axvline(mark, color="#b2182b", linestyle="--", linewidth=1.5)
    ax.set_xlim(0, 100)
    ax.set_xlabel("mean share of the objective's post-test points (%)")
    alt = ("Horizontal bar chart of the mean post-test score per learning objective, with a dashed line at the "
           f"{mark:.0f}% pass mark: " + "; ".join(
               f"{o} {m.mean_percent:.0f}% ({m.mastered} of {m.learners} learners at or above the pass mark)"
               for o, m in rows) + ".") if rows else "No objective has graded results yet."
    return _figure_html(_png(fig), alt, "Mastery by learning objective (dashed line: pass mark).")


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
        item_sections=sections)


def write(report: Report, folder: Path, generated: dt.datetime | None = None) -> list[Path]:
    """Write the HTML report and the CSV tables; returns the files written."""
    folder.mkdir(parents=True, exist_ok=True)
    generated = generated or dt.datetime.now(dt.UTC)
    written = []
    for name, (header, rows) in {"learners.csv": learner_rows(report.results),
                                 "modules.csv": module_rows(report.results),
                                 "distribution.csv": distribution_rows(report.results),
                                 "items.csv": item_rows(report), "distractors.csv": distractor_rows(report),
                                 "objectives.csv": objective_rows(report)}.items():
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
