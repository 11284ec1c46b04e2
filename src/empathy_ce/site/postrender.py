"""Quarto post-render step: light pages with the items' own front end, and no third-party requests.

Quarto writes CDN `<script>` tags for require.js and jQuery into every page with HTML cell output (and the
Jupyter widget manager for widget views); the URLs are fixed in Quarto and no option removes them. The site
needs none of them: items are plain HTML in the page (`static_items.py`) that `site/host.js` enhances with the
item's anywidget module. So this step, run by Quarto after each render (`post-render:` in `_quarto.yml`):

1. removes those scripts (and any saved widget state) from every page;
2. copies the host and the item front end (`static/item.js`, `static/item.css`, one copy for the whole site)
   into `<output>/site_libs/empathy-ce/` and links them from every page that holds an item; each item kind's
   part (`kinds/<kind>.js`, which item.js imports) goes beside them, its styles into item.css (kinds/front.py);
3. adds a "Skip to main content" link as the first thing in every page body;
4. trims the theme stylesheet and icon font to what the pages use (`slim.py`), for light pages;
5. fails the build if any page or stylesheet still loads anything from another host.

Every step is idempotent, so it also suits incremental renders and `quarto preview`.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
from html.parser import HTMLParser
from importlib.resources import files
from pathlib import Path
from typing import ClassVar
from urllib.parse import urlsplit

from ..kinds import front

ASSETS = "site_libs/empathy-ce"
HOST = "host.js"
SKIP_LINK_CLASS = "skip-link"
MAIN_ID = "quarto-document-content"
ITEM_MARKER = "data-ece-item="

# Scripts Quarto adds for Jupyter widgets and HTML output, none of which the site uses.
UNUSED_SCRIPT_SRC = re.compile(
    r"(^|/)(require(\.min)?\.js|jquery(-[\d.]+)?(\.min)?\.js|embed-amd\.js)$")
SCRIPT = re.compile(r"<script\b(?P<attrs>[^>]*)>(?P<body>.*?)</script>\s*", re.I | re.S)
ATTRIBUTE = re.compile(r"""([^\s=/>]+)(?:\s*=\s*("[^"]*"|'[^']*'|[^\s>]+))?""")
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
BODY_TAG = re.compile(r"<body\b[^>]*>", re.I)
MAIN_TAG = re.compile(r"<main\b[^>]*>", re.I)
HEAD_END = re.compile(r"</head>", re.I)


class AssetError(Exception):
    """A file the site must serve is missing."""


def asset_sources(root: Path) -> dict[str, Path]:
    """File name in the site's asset folder -> where it comes from."""
    static = Path(str(files("empathy_ce").joinpath("static")))
    return {HOST: root / "site" / HOST, "item.js": static / "item.js", "item.css": static / "item.css"}


def copy_assets(root: Path, out_dir: Path) -> None:
    sources = asset_sources(root)
    missing = [str(s) for s in sources.values() if not s.is_file()]
    if missing:
        raise AssetError("missing " + ", ".join(missing))
    dest = out_dir / ASSETS
    dest.mkdir(parents=True, exist_ok=True)
    for name, source in sources.items():
        shutil.copyfile(source, dest / name)
    for name, text in front.site_files().items():  # each item kind's part of the front end, which item.js imports
        (dest / name).parent.mkdir(parents=True, exist_ok=True)
        (dest / name).write_text(text, "utf-8")


def is_remote(url: str) -> bool:
    url = url.strip()
    return url.startswith("//") or urlsplit(url).scheme in ("http", "https", "ftp", "ws", "wss")


def _attributes(text: str) -> dict[str, str]:
    return {name.lower(): (value[1:-1] if value and value[0] in "\"'" else value or "")
            for name, value in ATTRIBUTE.findall(text)}


def unused_script(attrs: dict[str, str], body: str) -> bool:
    """Quarto's require.js / jQuery / widget-manager tags, its inline `define('jquery')`, widget state."""
    src = attrs.get("src", "")
    if src and UNUSED_SCRIPT_SRC.search(urlsplit(src if "//" in src else "https:" + src).path):
        return True
    if attrs.get("type", "").lower() in (WIDGET_STATE, "application/vnd.jupyter.widget-view+json"):
        return True
    return not src and re.search(r"""define\(\s*['"]jquery['"]""", body) is not None


def strip_unused_scripts(html: str) -> str:
    return SCRIPT.sub(lambda m: "" if unused_script(_attributes(m.group("attrs")), m.group("body"))
                      else m.group(0), html)


def link_assets(html: str, prefix: str) -> str:
    """Load the item stylesheet and the host (a module: deferred, run once) on pages with items."""
    if ITEM_MARKER not in html or f"{ASSETS}/{HOST}" in html:
        return html
    base = prefix + ASSETS
    tags = (f'<link rel="stylesheet" href="{base}/item.css">\n'
            f'<script type="module" src="{base}/{HOST}"></script>\n')
    end = HEAD_END.search(html)
    return html if end is None else html[: end.start()] + tags + html[end.start():]


def rewrite(html: str, prefix: str) -> str:
    """One page made light and self-contained (prefix: from the page to the site root, e.g. "../")."""
    return add_skip_link(link_assets(strip_unused_scripts(html), prefix))


def add_skip_link(html: str) -> str:
    """A "Skip to main content" link, first in the body, to the page's main landmark (WCAG 2.4.1)."""
    if f'class="{SKIP_LINK_CLASS}' in html:
        return html
    body = BODY_TAG.search(html)
    if body is None:
        return html
    if f'id="{MAIN_ID}"' in html:
        target = MAIN_ID
    else:
        main = MAIN_TAG.search(html)
        if main is None:
            return html
        found = re.search(r'\bid="([^"]+)"', main.group(0))
        if found:
            target = found.group(1)
        else:
            target = "main-content"
            html = html[: main.start()] + main.group(0)[:-1] + f' id="{target}">' + html[main.end():]
            body = BODY_TAG.search(html)
    link = f'\n<a class="{SKIP_LINK_CLASS} visually-hidden-focusable" href="#{target}">Skip to main content</a>'
    return html[: body.end()] + link + html[body.end():]


class _Resources(HTMLParser):
    """URLs a page would fetch by itself (scripts, stylesheets, images, frames, CSS url()s), not links."""

    FETCHED: ClassVar[dict[str, tuple[str, ...]]] = {
        "script": ("src",), "img": ("src", "srcset"), "iframe": ("src",), "source": ("src", "srcset"),
        "video": ("src", "poster"), "audio": ("src",), "embed": ("src",), "object": ("data",),
        "input": ("src",), "track": ("src",), "image": ("href", "xlink:href"), "use": ("href",)}
    NOT_FETCHED_LINKS: ClassVar[frozenset[str]] = frozenset(
        {"canonical", "alternate", "author", "license", "me", "next", "prev", "search"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.urls: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if tag == "link":
            rels = set(values.get("rel", "").lower().split())
            if not rels or rels - self.NOT_FETCHED_LINKS:
                self.urls.append(values.get("href", ""))
        for name in self.FETCHED.get(tag, ()):
            if name in values:
                self.urls.extend(part.strip().split(" ")[0] for part in values[name].split(","))
        if "style" in values:
            self.urls.extend(css_urls(values["style"]))
        self._in_style = tag == "style"

    def handle_endtag(self, tag: str) -> None:
        self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.urls.extend(css_urls(data))


def css_urls(css: str) -> list[str]:
    found = re.findall(r"""url\(\s*['"]?([^'")\s]+)""", css)
    found += re.findall(r"""@import\s+['"]([^'"]+)""", css)
    return found


def third_party(html: str) -> list[str]:
    parser = _Resources()
    parser.feed(html)
    return sorted({u for u in parser.urls if u and is_remote(u)})


def prefix_for(page: Path, out_dir: Path) -> str:
    relative = os.path.relpath(out_dir, page.parent)
    return "" if relative == "." else relative.replace(os.sep, "/") + "/"


def process(root: Path, out_dir: Path, slim_assets: bool = True) -> list[str]:
    """Rewrite, slim and check the whole output folder; returns the problems found (empty when clean)."""
    copy_assets(root, out_dir)
    problems = []
    pages = sorted(out_dir.rglob("*.html"))
    for page in pages:
        text = page.read_text("utf-8")
        new = rewrite(text, prefix_for(page, out_dir))
        if new != text:
            page.write_text(new, "utf-8")
        problems += [f"{page.relative_to(out_dir)}: {url}" for url in third_party(new)]
    if slim_assets:
        from .slim import slim_site

        slim_site(out_dir, pages)
    for sheet in sorted(out_dir.rglob("*.css")):
        remote = [u for u in css_urls(sheet.read_text("utf-8", errors="replace")) if is_remote(u)]
        problems += [f"{sheet.relative_to(out_dir)}: {url}" for url in remote]
    return problems


def main() -> int:
    from . import project_root

    root = project_root()
    out_dir = root / os.environ.get("QUARTO_PROJECT_OUTPUT_DIR", "_site")
    try:
        problems = process(root, out_dir)
    except AssetError as err:
        print(f"post-render: {err}", file=sys.stderr)
        return 1
    if problems:
        print("post-render: these would be requested from another host (learners' privacy, offline use):",
              *problems, sep="\n  ", file=sys.stderr)
        return 1
    print(f"post-render: items enhanced by {ASSETS}/{HOST}; no widget runtime; no third-party requests")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
