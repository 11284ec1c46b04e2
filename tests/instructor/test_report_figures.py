"""Readable labels in the report's item plot: no two point labels overlap, and all stay inside the plot."""

from __future__ import annotations

import itertools
import random

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.text import Text

from empathy_ce.instructor.report_figures import place_labels


def text_box(note, renderer):
    """The label's text, not its leader line."""
    note.update_positions(renderer)
    return Text.get_window_extent(note, renderer)


def overlaps(notes: list) -> list[tuple[str, str]]:
    renderer = notes[0].figure.canvas.get_renderer()
    boxes = [(n.get_text(), text_box(n, renderer)) for n in notes]
    return [(a, b) for (a, x), (b, y) in itertools.combinations(boxes, 2) if x.overlaps(y)]


def test_crowded_item_labels_do_not_overlap_and_stay_in_the_plot():
    rng = random.Random(7)
    # 14 post-test items bunched where real items bunch: easy, with modest discrimination.
    labels = [(round(rng.uniform(0.78, 0.9), 2), round(rng.uniform(0.2, 0.35), 2), f"q{i}") for i in range(1, 15)]
    fig = Figure(figsize=(5.5, 3.6))
    FigureCanvasAgg(fig)
    ax = fig.subplots()
    ax.set_xlim(-0.05, 1.05)
    ax.set_ylim(-1.05, 1.05)
    notes = place_labels(ax, labels)
    assert sorted(n.get_text() for n in notes) == sorted(text for _, _, text in labels)
    assert overlaps(notes) == []
    renderer = fig.canvas.get_renderer()
    frame = ax.get_window_extent(renderer)
    for note in notes:
        box = text_box(note, renderer)
        assert frame.x0 <= box.x0 and box.x1 <= frame.x1 and frame.y0 <= box.y0 and box.y1 <= frame.y1

    # The same points labelled as before (every label beside its own marker) overlap: the test can fail.
    old = Figure(figsize=(5.5, 3.6))
    FigureCanvasAgg(old)
    axes = old.subplots()
    axes.set_xlim(-0.05, 1.05)
    axes.set_ylim(-1.05, 1.05)
    beside = [axes.annotate(t, (x, y), textcoords="offset points", xytext=(4, 3), fontsize=8) for x, y, t in labels]
    assert overlaps(beside)
