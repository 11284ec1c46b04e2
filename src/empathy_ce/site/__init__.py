"""The course website: a Quarto project (`_quarto.yml`) whose practice exercises work with no server.

Quarto embeds notebook cells as they are stored, so the pages embed executed copies of the learner notebooks
(`site/notebooks/`, made by `notebooks.py`) in site mode (`static_items.py`): each item is plain HTML, which the
page's host script (`site/host.js`) enhances with the item's own anywidget front end. `postrender.py` removes the
widget runtime Quarto would load, links the host, adds skip links and checks that the site makes no third-party
request; `slim.py` trims the theme CSS and icon font. `preview.py` writes the home page's course summary and the
post-test previews.
"""

from __future__ import annotations

from pathlib import Path

import yaml

QUARTO_FILE = "_quarto.yml"


def project_root(start: Path | None = None) -> Path:
    """The folder holding _quarto.yml, at or above start (default: the working folder)."""
    start = (start or Path.cwd()).resolve()
    for folder in [start, *start.parents]:
        if (folder / QUARTO_FILE).exists():
            return folder
    raise FileNotFoundError(f"no {QUARTO_FILE} at or above {start}")


def config(root: Path) -> dict:
    return yaml.safe_load((root / QUARTO_FILE).read_text("utf-8"))


def pages(root: Path) -> list[Path]:
    """The pages Quarto renders, in the order of the project's `render:` list."""
    return [root / p for p in config(root)["project"]["render"]]
