"""Site mode for the embedded notebooks: every item cell shows its item as plain HTML, not a widget view.

The website embeds executed notebooks (`notebooks.py`). A Jupyter widget view there would be an empty script
tag until a 3.5 MB widget manager ran: nothing to read with scripts off, to print or to index for search. So
after execution each item cell's outputs are replaced by the item's static markup (`item_html.static_html`:
a fieldset with the vignette, the prompt and labelled native inputs, plus the front-end view as JSON), and the
saved widget state is dropped. On the page, `site/host.js` runs the item's own anywidget front end
(`static/item.js`) on that markup, so scoring and feedback are the ones learners get in JupyterLab.

The JupyterLab path (`notebook.py`, `ask()`) is not involved: the switch happens here, on the saved notebook.
"""

from __future__ import annotations

from typing import Any

import nbformat

from .. import cells
from ..item_html import static_html
from ..items import validate_item
from ..widget import front_end_spec

HTML = "text/html"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_METADATA = "widgets"
# Shown only while the page script has not replaced the item (scripts off); print hides it.
NO_SCRIPT_NOTE = "To check your answer here, turn on JavaScript in your browser."


def item_markup(spec: dict[str, Any]) -> str:
    """The static HTML the site shows for one item (as written into the executed notebook)."""
    return static_html(front_end_spec(validate_item(spec)), note=NO_SCRIPT_NOTE)


def item_output(spec: dict[str, Any]) -> nbformat.NotebookNode:
    return nbformat.v4.new_output("display_data", data={HTML: item_markup(spec)})


def to_site_mode(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Replace item widgets by their static HTML and drop every other widget view and the widget state.

    Other widget views (the progress line) are removed rather than kept: they would make Quarto load the
    widget manager, and they mean nothing without a kernel.
    """
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        spec = cells.item_spec(cell.source)
        if spec is not None:
            cell.outputs = [item_output(spec)]
        else:
            cell.outputs = [o for o in cell.get("outputs", []) if WIDGET_VIEW not in o.get("data", {})]
    nb.metadata.pop(WIDGET_METADATA, None)
    return nb


def shown_items(nb: nbformat.NotebookNode) -> dict[str, str]:
    """Item id -> the static HTML an executed notebook shows for it (item cells with one HTML output)."""
    found = {}
    for cell in nb.cells:
        spec = cells.item_spec(cell.source) if cell.cell_type == "code" else None
        outputs = cell.get("outputs", []) if spec is not None else []
        if len(outputs) == 1 and HTML in outputs[0].get("data", {}):
            data = outputs[0]["data"][HTML]
            found[spec["id"]] = "".join(data) if isinstance(data, list) else data
    return found


def has_widgets(nb: nbformat.NotebookNode) -> bool:
    """True if anything in the notebook would make Quarto load the Jupyter widget manager."""
    views = any(WIDGET_VIEW in o.get("data", {}) for c in nb.cells for o in c.get("outputs", []))
    return views or WIDGET_METADATA in nb.metadata
