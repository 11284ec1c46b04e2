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

from . import kinds


def _attr(text: str) -> str:
    return html.escape(text, quote=True)


def _field_name(view: dict[str, Any]) -> str:
    return "ece-" + view["id"].replace(".", "-")


def static_html(view: dict[str, Any], number: int | None = None, note: str | None = None) -> str:
    """The item as a fieldset; `note` (plain text) is a line for the reader, e.g. how to make it answerable."""
    kind = kinds.get(view["kind"])
    if view["mode"] == "practice":
        title = "Practice question" + (f" {number}" if number else "")
    else:
        points = view.get("points", 0)
        title = ("Post-test question" + (f" {number}" if number else "")
                 + f" ({points:g} point{'' if points == 1 else 's'})")
    parts = [f'<fieldset class="ece-static ece-kind-{kind.name}" data-ece-item="{_attr(view["id"])}">',
             f"<legend>{title}</legend>"]
    if view.get("context"):
        parts.append(f'<blockquote class="ece-context">{view["context"]}</blockquote>')
    parts.append(f'<div class="ece-prompt">{view["prompt"]}</div>')
    parts.append(f'<p class="ece-hint"><em>{kind.hint}</em></p>')
    parts += kind.controls_html(view, _field_name(view))  # native, labelled, disabled inputs
    if note:
        parts.append(f'<p class="ece-static-note" role="note"><strong>{html.escape(note)}</strong></p>')
    # The item for the front end; "</" is escaped so no text in it can close the script element.
    data = json.dumps(view, ensure_ascii=False).replace("</", "<\\/")
    parts.append(f'<script type="application/json" class="ece-spec">{data}</script>')
    parts.append("</fieldset>")
    return "\n".join(parts)
