"""One item as plain HTML: readable, printable and searchable with no script and no kernel.

The same markup serves two places (one item definition for JupyterLab, the grader and the site):
- a notebook reopened without a running kernel shows it instead of a widget error;
- the website shows it in the page, and the page's small host script enhances it in place with the item's own
  front-end module (static/item.js), reading the item from the embedded JSON.

Input is the front-end view of the item (`widget.front_end_spec`): its text fields are already safe HTML.
Assessment items carry no key (the schema refuses one), so nothing here can reveal an answer to a post-test;
a practice item's view holds its answer and feedback, as the widget's own state does.
"""

from __future__ import annotations

import html
import json
from typing import Any

HINTS = {
    "single": "Choose one answer.",
    "multiple": "Choose every answer that applies.",
    "rating": "Choose one point on the scale.",
    "ordering": "Put the statements in order, first to last.",
    "numeric": "Type a number.",
    "text": "Write a short answer in your own words.",
}


def _attr(text: str) -> str:
    return html.escape(text, quote=True)


def _field_name(view: dict[str, Any]) -> str:
    return "ece-" + view["id"].replace(".", "-")


def _controls(view: dict[str, Any]) -> list[str]:
    """Native, labelled inputs for the item's kind (disabled: they answer nothing until enhanced)."""
    kind, name = view["kind"], _field_name(view)
    if kind in ("single", "multiple"):
        kind_type = "radio" if kind == "single" else "checkbox"
        return ['<ul class="ece-static-options">'] + [
            f'<li><label><input type="{kind_type}" name="{name}" value="{_attr(o["key"])}" disabled> '
            f'{o["label"]}</label></li>' for o in view["options"]] + ["</ul>"]
    if kind == "ordering":
        return ['<ol class="ece-static-options">'] + [f"<li>{o['label']}</li>" for o in view["options"]] + ["</ol>"]
    if kind == "rating":
        scale = view["scale"]
        labels = scale.get("labels", {})
        points = []
        for point in range(scale["min"], scale["max"] + 1):
            label = labels.get(str(point))
            text = f"{point}" + (f": {label}" if label else "")
            points.append(f'<li><label><input type="radio" name="{name}" value="{point}" disabled> {text}</label></li>')
        return ['<ul class="ece-static-options ece-static-scale">', *points, "</ul>"]
    if kind == "numeric":
        unit = f" {html.escape(view['unit'])}" if view.get("unit") else ""
        field = f'<input type="text" inputmode="decimal" name="{name}" disabled>'
        return [f"<p><label>Your answer: {field}{unit}</label></p>"]
    return [f'<p><label>Your answer:<br><textarea name="{name}" rows="4" disabled></textarea></label></p>']


def static_html(view: dict[str, Any], number: int | None = None, note: str | None = None) -> str:
    """The item as a fieldset; `note` (plain text) is a line for the reader, e.g. how to make it answerable."""
    kind = view["kind"]
    if view["mode"] == "practice":
        title = "Practice question" + (f" {number}" if number else "")
    else:
        points = view.get("points", 0)
        title = ("Post-test question" + (f" {number}" if number else "")
                 + f" ({points:g} point{'' if points == 1 else 's'})")
    parts = [f'<fieldset class="ece-static ece-kind-{kind}" data-ece-item="{_attr(view["id"])}">',
             f"<legend>{title}</legend>"]
    if view.get("context"):
        parts.append(f'<blockquote class="ece-context">{view["context"]}</blockquote>')
    parts.append(f'<div class="ece-prompt">{view["prompt"]}</div>')
    parts.append(f'<p class="ece-hint"><em>{HINTS[kind]}</em></p>')
    parts += _controls(view)
    if note:
        parts.append(f'<p class="ece-static-note" role="note"><strong>{html.escape(note)}</strong></p>')
    # The item for the front end; "</" is escaped so no text in it can close the script element.
    data = json.dumps(view, ensure_ascii=False).replace("</", "<\\/")
    parts.append(f'<script type="application/json" class="ece-spec">{data}</script>')
    parts.append("</fieldset>")
    return "\n".join(parts)
