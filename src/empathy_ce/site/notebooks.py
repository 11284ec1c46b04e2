"""Executed copies of the learner notebooks, for Quarto to embed.

Quarto's `{{< embed nb.ipynb#label >}}` shows the outputs stored in the notebook and never runs it, while the
learner notebooks in exercises/ are released without outputs (nbgrader's release). So the pages embed
`site/notebooks/<module>/<name>.ipynb`: the released notebook run top to bottom in an empty folder (no learner's
answers.json can leak in) by nbclient with `store_widget_state=True`, which saves every widget's state, the
practice item's spec and the front-end code included, in the notebook's metadata, where Quarto reads it.

A copy is re-executed only when it is stale: its cells differ from the released notebook's, an item's saved
widget state differs from what the package now makes of it (text, citations, front-end code), or the widget
libraries changed. So editing one module re-executes only that module's notebooks (the promise of Quarto's
`freeze: auto`), and a change elsewhere in the package re-executes nothing. Only notebooks without graded
items are executed: post-tests are never published as live widgets.

    python -m empathy_ce.site.notebooks           # refresh stale copies (Quarto's pre-render does the same)
    python -m empathy_ce.site.notebooks --check   # exit 1 if a copy is stale
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import sys
import tempfile
from collections.abc import Iterable
from importlib.metadata import version
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from .. import cells
from ..items import validate_item
from ..notebook import STATIC_COPY_ENV
from ..widget import ItemWidget, front_end_spec
from . import pages, project_root

EXECUTED_DIR = Path("site") / "notebooks"
RELEASE_DIR = Path("exercises")
METADATA_KEY = "empathy_ce_site"
EMBED = re.compile(r"\{\{<\s*embed\s+([^#\s>]+\.ipynb)(?:#([\w,-]+))?[^>]*>\}\}")
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


class SiteNotebookError(Exception):
    """A page embeds something that cannot be published."""


def embeds(page: Path) -> list[tuple[Path, list[str]]]:
    """(notebook path, cell labels) for every embed shortcode on a page, in page order."""
    found = []
    for target, labels in EMBED.findall(page.read_text("utf-8")):
        found.append(((page.parent / target).resolve(), labels.split(",") if labels else []))
    return found


def release_for(executed: Path, root: Path) -> Path:
    """The released learner notebook an executed copy is made from (same module folder and name)."""
    relative = executed.resolve().relative_to((root / EXECUTED_DIR).resolve())
    return root / RELEASE_DIR / relative


def executed_for(release: Path, root: Path) -> Path:
    return root / EXECUTED_DIR / release.resolve().relative_to((root / RELEASE_DIR).resolve())


def embedded_copies(root: Path, page_paths: Iterable[Path] | None = None) -> list[Path]:
    """Every executed copy that the given pages (default: all rendered pages) embed."""
    found: dict[Path, None] = {}
    for page in page_paths if page_paths is not None else pages(root):
        if page.suffix != ".qmd" or not page.exists():
            continue
        for notebook, _ in embeds(page):
            try:
                notebook.relative_to((root / EXECUTED_DIR).resolve())
            except ValueError:
                raise SiteNotebookError(
                    f"{page.name} embeds {notebook}: embed the executed copy under {EXECUTED_DIR}/ instead "
                    "(a released notebook has no outputs to embed)") from None
            found[notebook] = None
    return list(found)


def library_versions() -> dict[str, str]:
    """The widget libraries whose versions are written into the saved widget state."""
    return {"anywidget": version("anywidget"), "ipywidgets": version("ipywidgets")}


def _cells(nb: nbformat.NotebookNode) -> list[tuple[str, str]]:
    return [(c.cell_type, c.source) for c in nb.cells]


def widget_states(nb: nbformat.NotebookNode) -> dict[str, dict]:
    """Item id -> saved state of its widget, for every item cell of an executed notebook."""
    models = nb.metadata.get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    found = {}
    for cell in nb.cells:
        spec = cells.item_spec(cell.source) if cell.cell_type == "code" else None
        views = [o["data"][WIDGET_VIEW]["model_id"] for o in cell.get("outputs", [])
                 if WIDGET_VIEW in o.get("data", {})]
        if spec is not None and views and views[0] in models:
            found[spec["id"]] = models[views[0]]["state"]
    return found


def stale_reasons(executed: Path, root: Path, content_only: bool = False) -> list[str]:
    """Why an executed copy must be made again (empty when it is fresh).

    Fresh means: the same cells as the released notebook, and every item widget's saved state equal to what
    the package makes of the item now (its front-end spec, rendered text and citations included, and the
    front-end code). Unless content_only, the widget libraries must also be the installed versions.
    """
    release = release_for(executed, root)
    if not release.exists():
        return [f"{release.relative_to(root)} does not exist"]
    if not executed.exists():
        return ["not executed yet"]
    ran, source = nbformat.read(executed, as_version=4), nbformat.read(release, as_version=4)
    if _cells(ran) != _cells(source):
        return ["the released notebook changed"]
    reasons = []
    states = widget_states(ran)
    for spec, _ in cells.notebook_items(release):
        state = states.get(spec["id"])
        if state is None:
            reasons.append(f"{spec['id']} has no saved widget")
        elif state.get("spec") != front_end_spec(validate_item(spec)):
            reasons.append(f"{spec['id']} is shown differently now")
        elif (state.get("_esm"), state.get("_css")) != (ItemWidget._esm, ItemWidget._css):
            reasons.append("the widget front end changed")
            break
    if not content_only:
        then = ran.metadata.get(METADATA_KEY, {})
        reasons += [f"{name} is now {v}" for name, v in library_versions().items() if then.get(name) != v]
    return reasons


def check_publishable(release: Path) -> None:
    """Refuse notebooks with graded items: a post-test on the website would invite answers it cannot take."""
    graded = [spec["id"] for spec, meta in cells.notebook_items(release)
              if spec.get("mode") == "assessment" or meta.get("grade")]
    if graded:
        raise SiteNotebookError(f"{release.name} holds graded items ({', '.join(graded)}): post-tests are shown "
                                "as a preview (course/posttests.qmd), never embedded as widgets")


def execute(release: Path, executed: Path, timeout: int = 300) -> None:
    """Run a released notebook in an empty folder and save it, outputs and widget state included."""
    check_publishable(release)
    with tempfile.TemporaryDirectory(prefix="empathy-ce-site-") as tmp:
        work = Path(tmp) / release.name
        shutil.copy(release, work)
        nb = nbformat.read(work, as_version=4)
        client = NotebookClient(nb, timeout=timeout, kernel_name="python3", store_widget_state=True,
                                record_timing=False, resources={"metadata": {"path": tmp}})
        client.execute(env={**os.environ, STATIC_COPY_ENV: "0"})  # no JupyterLab-only static copies
    errors = [o for c in nb.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
    if errors:
        raise SiteNotebookError(f"{release.name} raised {errors[0].get('ename')}: {errors[0].get('evalue')}")
    if WIDGET_STATE not in nb.metadata.get("widgets", {}):
        raise SiteNotebookError(f"{release.name} saved no widget state")
    nb.metadata[METADATA_KEY] = library_versions()
    executed.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, executed)


def refresh(root: Path, page_paths: Iterable[Path] | None = None, force: bool = False,
            log=print) -> list[Path]:
    """Re-execute the stale executed copies that the pages embed; returns those re-executed."""
    done = []
    for executed in embedded_copies(root, page_paths):
        reasons = ["forced"] if force else stale_reasons(executed, root)
        if not reasons:
            continue
        release = release_for(executed, root)
        log(f"executing {release.relative_to(root)} -> {executed.relative_to(root)} ({'; '.join(reasons)})")
        execute(release, executed)
        done.append(executed)
    return done


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m empathy_ce.site.notebooks", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("pages", nargs="*", type=Path, help="only the notebooks these pages embed")
    parser.add_argument("--check", action="store_true", help="report stale copies and exit 1 if there are any")
    parser.add_argument("--force", action="store_true", help="re-execute even fresh copies")
    args = parser.parse_args(argv)
    root = project_root()
    selected = [p.resolve() for p in args.pages] or None
    try:
        if args.check:
            stale = {e: stale_reasons(e, root) for e in embedded_copies(root, selected)}
            stale = {e: r for e, r in stale.items() if r}
            for executed, reasons in stale.items():
                print(f"stale: {executed.relative_to(root)} ({'; '.join(reasons)})")
            return 1 if stale else 0
        done = refresh(root, selected, force=args.force)
    except SiteNotebookError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    print(f"{len(done)} notebook(s) executed; the others were up to date")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
