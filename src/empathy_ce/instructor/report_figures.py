"""The report's figures: score distributions, item difficulty against discrimination, mastery by objective.

Each figure is a PNG (``Figure``: data, alt text that states its numbers, caption) that the report's template
embeds in the page. Point labels in the item plot
are placed so that no two overlap (``place_labels``): items at the same point share one label, and a label that
would cover another is moved to the nearest free place, with a thin line back to its point.
"""

from __future__ import annotations

import base64
import io
import statistics
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from . import analysis

if TYPE_CHECKING:
    from .report import Report
    from .results import Results

BIN = 5.0  # percentage points per histogram bar (a multiple of 5 keeps a 75% pass mark on a bar edge)


def _png(fig: Any) -> str:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    return base64.b64encode(buffer.getvalue()).decode("ascii")


@dataclass(frozen=True)
class Figure:
    """A figure for the page: base64 PNG, alt text and caption (escaped by the template, not here)."""

    png: str
    alt: str
    caption: str


def distribution_figure(results: Results) -> Figure:
    from matplotlib.figure import Figure as Plot
    from matplotlib.ticker import MaxNLocator

    modules = results.course.modules
    mark = 100 * results.course.pass_mark
    fig = Plot(figsize=(3.2 * len(modules), 2.8))
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
    return Figure(_png(fig), alt, f"Post-test score distributions (dashed line: pass mark {mark:.0f}%).")


def items_figure(report: Report, module: str) -> Figure:
    from matplotlib.figure import Figure as Plot

    items = report.results.items[module]
    stats = report.items[module]
    points = [(i, stats[i.grade_id]) for i in items if stats[i.grade_id].difficulty is not None]
    fig = Plot(figsize=(5.5, 3.6))
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
    ax.set_xlim(-0.05, 1.05)
    ax.set_ylim(-1.05, 1.05)
    place_labels(ax, [(x, y, ", ".join(names)) for (x, y), names in labels.items()])  # same point: one label
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
    return Figure(_png(fig), alt, f"{module}: item difficulty against discrimination (red: flagged; "
                        "hollow squares: discrimination undefined).")


# Where a label may go, in points from its marker: beside it first, then ever further above and below.
_OFFSETS = [(dx, dy) for step in range(0, 12) for dy in ((3 + 10 * step), (-3 - 10 * step))
            for dx in (5, -5, 30, -30, 60, -60)]


def place_labels(ax: Any, labels: list[tuple[float, float, str]], fontsize: float = 8) -> list[Any]:
    """Annotate each (x, y, text) so that no two labels overlap and each stays inside the axes.

    Labels are placed one by one (left to right) at the first free offset from _OFFSETS, measured with the
    figure's own renderer; one moved away from its marker gets a thin leader line.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    fig = ax.figure
    if fig.canvas is None or not isinstance(fig.canvas, FigureCanvasAgg):
        FigureCanvasAgg(fig)
    renderer = fig.canvas.get_renderer()
    frame = ax.get_window_extent(renderer)
    placed: list[Any] = []
    boxes: list[Any] = []
    for x, y, text in sorted(labels):
        chosen = None
        for dx, dy in _OFFSETS:
            far = abs(dy) > 12 or abs(dx) > 5
            note = ax.annotate(text, (x, y), textcoords="offset points", xytext=(dx, dy), fontsize=fontsize,
                               ha="left" if dx > 0 else "right", va="bottom" if dy > 0 else "top",
                               arrowprops={"arrowstyle": "-", "color": "#888888", "linewidth": 0.6} if far else None)
            box = _text_box(note, renderer)
            inside = frame.x0 <= box.x0 and box.x1 <= frame.x1 and frame.y0 <= box.y0 and box.y1 <= frame.y1
            if inside and not any(box.overlaps(other) for other in boxes):
                chosen = note
                boxes.append(box)
                break
            note.remove()
        if chosen is None:  # nowhere free (very crowded): beside the marker, as before
            chosen = ax.annotate(text, (x, y), textcoords="offset points", xytext=(5, 3), fontsize=fontsize)
            boxes.append(_text_box(chosen, renderer))
        placed.append(chosen)
    return placed


def _text_box(note: Any, renderer: Any) -> Any:
    """The label's own box, a little padded (an Annotation's extent would include its leader line)."""
    from matplotlib.text import Text

    note.update_positions(renderer)
    return Text.get_window_extent(note, renderer).expanded(1.05, 1.15)


def objectives_figure(report: Report) -> Figure:
    from matplotlib.figure import Figure as Plot

    rows = [(objective, m) for module in report.results.course.modules
            for objective, m in sorted(report.mastery[module.id].items()) if m.mean_percent is not None]
    mark = 100 * report.results.course.pass_mark
    fig = Plot(figsize=(7, 0.35 * max(len(rows), 3) + 1))
    ax = fig.subplots()
    ax.barh([o for o, _ in rows][::-1], [m.mean_percent for _, m in rows][::-1], color="#4c78a8")
    ax.axvline(mark, color="#b2182b", linestyle="--", linewidth=1.5)
    ax.set_xlim(0, 100)
    ax.set_xlabel("mean share of the objective's post-test points (%)")
    alt = ("Horizontal bar chart of the mean post-test score per learning objective, with a dashed line at the "
           f"{mark:.0f}% pass mark: " + "; ".join(
               f"{o} {m.mean_percent:.0f}% ({m.mastered} of {m.learners} learners at or above the pass mark)"
               for o, m in rows) + ".") if rows else "No objective has graded results yet."
    return Figure(_png(fig), alt, "Mastery by learning objective (dashed line: pass mark).")


