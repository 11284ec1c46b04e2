"""The exercise widgets: an anywidget whose front end renders any item kind, and the progress line."""

from __future__ import annotations

from typing import Any

import anywidget
import ipywidgets
import mistune
import traitlets

from . import kinds
from .citations import render as cite
from .items import TEXT_LIMIT
from .kinds.front import bundle, styles

_markdown = mistune.create_markdown(escape=True)
_TEXT_FIELDS = ("prompt", "context", "rationale", "example")


def markdown(text: str, inline: bool = False) -> str:
    """Markdown to HTML with raw HTML escaped and citation keys shown APA-style; inline drops the <p>."""
    html = str(_markdown(cite(text))).strip()
    if inline and html.startswith("<p>") and html.endswith("</p>") and html.count("<p>") == 1:
        html = html[3:-4]
    return html


def front_end_spec(spec: dict[str, Any]) -> dict[str, Any]:
    """The item as the front end shows it: the same data, with its text rendered to safe HTML."""
    view = dict(spec)
    for field in _TEXT_FIELDS:
        if field in view:
            view[field] = markdown(view[field])
    if "options" in view:
        view["options"] = [
            {**o, "label": markdown(o["label"], inline=True)}
            | ({"feedback": markdown(o["feedback"])} if "feedback" in o else {})
            for o in view["options"]
        ]
    if "scale" in view and "labels" in view["scale"]:
        labels = {k: markdown(v, inline=True) for k, v in view["scale"]["labels"].items()}
        view["scale"] = {**view["scale"], "labels": labels}
    if "rubric" in view:
        view["rubric"] = [{**r, "criterion": markdown(r["criterion"], inline=True)} for r in view["rubric"]]
    return kinds.get(view["kind"]).front_end_view(view, markdown)  # the kind's own text fields


class ItemWidget(anywidget.AnyWidget):
    """One exercise item; `answer` holds the learner's choice as stable option keys or a value."""

    spec = traitlets.Dict().tag(sync=True)
    answer = traitlets.Any(None, allow_none=True).tag(sync=True)
    status = traitlets.Unicode("").tag(sync=True)
    saves = traitlets.Int(0).tag(sync=True)
    number = traitlets.Int(0).tag(sync=True)  # the item's number in its notebook, for accessible names
    progress = traitlets.Unicode("").tag(sync=True)  # "Progress: n of m items answered", kept in view
    text_limit = traitlets.Int(TEXT_LIMIT).tag(sync=True)
    # Practice answers travel as messages, never as widget state that a saved notebook could carry (item.js).
    private = traitlets.Bool(False).tag(sync=True)

    def __init__(self, **kwargs: Any) -> None:
        # The front end and styles with every kind registered now (one registered after import included):
        # anywidget reads _esm and _css when the widget is made.
        self._esm = bundle()
        self._css = styles()
        super().__init__(**kwargs)

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        # No Python object text in saved notebooks (shown where a notebook is opened untrusted).
        bundle = super()._repr_mimebundle_(**kwargs)
        data = bundle[0] if isinstance(bundle, tuple) else bundle
        data["text/plain"] = ""
        return bundle

    def report(self, text: str) -> None:
        """Tell the learner what happened to their last change (always shown, even if repeated)."""
        self.status = text
        self.saves += 1


class ProgressLine(ipywidgets.HTML):
    """'n of m answered', announced politely to screen readers when it changes."""

    def show(self, answered: int, total: int) -> None:
        self.value = ('<p class="ece-progress" role="status" aria-live="polite">'
                      f"<strong>Progress:</strong> {progress_text(answered, total)}</p>")


def progress_text(answered: int, total: int) -> str:
    return f"{answered} of {total} {'item' if total == 1 else 'items'} answered"
