"""Quarto post-render step: serve the widget runtime from the site itself and refuse third-party requests.

Quarto writes a CDN `<script>` for require.js and jQuery into every page with HTML output, and one for
`@jupyter-widgets/html-manager@*` into every page with a widget; the URLs are fixed in Quarto and no option
changes them. This step, run by Quarto after each render (`post-render:` in `_quarto.yml`):

1. copies the runtime into `<output>/vendor/`: require.js, jQuery and the HTML manager's whole `dist/` folder
   (it loads its fonts relative to itself) from `node_modules/` (`npm ci`, pinned in package-lock.json), and
   anywidget's AMD bundle from the installed `anywidget` wheel;
2. rewrites those tags in every page to the local copies (with `../` for pages in subfolders and a fresh
   integrity hash), and tells require.js where `anywidget` lives, before the widget manager would fall back
   to a CDN (its fallback base is pointed at the site too, so a missing module fails locally);
3. adds a "Skip to main content" link as the first thing in every page body;
4. fails the build if any page or stylesheet still loads anything from another host.

The rewrite is idempotent, so it also suits incremental renders and `quarto preview`.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import shutil
import sys
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import ClassVar
from urllib.parse import urlsplit

VENDOR = "vendor"
NO_CDN = f"{VENDOR}/no-cdn/"
SKIP_LINK_CLASS = "skip-link"
MAIN_ID = "quarto-document-content"


@dataclass(frozen=True)
class Library:
    name: str
    pattern: re.Pattern[str]  # matches the CDN URL Quarto writes
    target: str  # path of the local copy inside the output folder


LIBRARIES = (
    Library("require.js", re.compile(r"(^|/)require(\.min)?\.js$"), f"{VENDOR}/requirejs/require.js"),
    Library("jQuery", re.compile(r"(^|/)jquery(-[\d.]+)?(\.min)?\.js$"), f"{VENDOR}/jquery/jquery.min.js"),
    Library("widget HTML manager", re.compile(r"@jupyter-widgets/html-manager(@[^/]*)?/dist/embed-amd\.js$"),
            f"{VENDOR}/html-manager/dist/embed-amd.js"),
)
ANYWIDGET = f"{VENDOR}/anywidget/index.js"
SCRIPT_TAG = re.compile(r"<script\b(?P<attrs>[^>]*)>\s*</script>", re.I)
ATTRIBUTE = re.compile(r"""([^\s=/>]+)(?:\s*=\s*("[^"]*"|'[^']*'|[^\s>]+))?""")
BODY_TAG = re.compile(r"<body\b[^>]*>", re.I)
MAIN_TAG = re.compile(r"<main\b[^>]*>", re.I)


class VendorError(Exception):
    """A file the site must serve locally is missing from node_modules or the Python environment."""


def vendor_sources(root: Path) -> dict[str, Path]:
    """Local copy in the output folder -> where it comes from (a file, or a folder copied whole)."""
    modules = root / "node_modules"
    import anywidget  # the wheel's AMD bundle is byte-identical to npm's anywidget/dist/index.js

    return {
        f"{VENDOR}/requirejs/require.js": modules / "requirejs" / "require.js",
        f"{VENDOR}/jquery/jquery.min.js": modules / "jquery" / "dist" / "jquery.min.js",
        f"{VENDOR}/jquery/LICENSE.txt": modules / "jquery" / "LICENSE.txt",
        f"{VENDOR}/html-manager/dist": modules / "@jupyter-widgets" / "html-manager" / "dist",
        ANYWIDGET: Path(anywidget.__file__).parent / "nbextension" / "index.js",
    }


def copy_vendor(root: Path, out_dir: Path) -> dict[str, str]:
    """Copy the runtime into the site; returns the integrity hash of each copied script."""
    sources = vendor_sources(root)
    missing = [str(s) for s in sources.values() if not s.exists()]
    if missing:
        raise VendorError("missing " + ", ".join(missing) + ": run `npm ci` in the project folder "
                          "(`make site` does) and install the package (`make setup`)")
    for target, source in sources.items():
        dest = out_dir / target
        if source.is_dir():
            shutil.copytree(source, dest, dirs_exist_ok=True, ignore=shutil.ignore_patterns("*.map"))
        else:
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, dest)
    return {lib.target: integrity((out_dir / lib.target).read_bytes()) for lib in LIBRARIES}


def integrity(data: bytes) -> str:
    return "sha384-" + base64.b64encode(hashlib.sha384(data).digest()).decode()


def is_remote(url: str) -> bool:
    url = url.strip()
    return url.startswith("//") or urlsplit(url).scheme in ("http", "https", "ftp", "ws", "wss")


def _attributes(text: str) -> list[tuple[str, str | None]]:
    return [(name, value[1:-1] if value and value[0] in "\"'" else value or None)
            for name, value in ATTRIBUTE.findall(text)]


def _tag(attrs: list[tuple[str, str | None]]) -> str:
    parts = [name if value is None else f'{name}="{value}"' for name, value in attrs]
    return f"<script {' '.join(parts)}></script>"


def rewrite(html: str, prefix: str, hashes: dict[str, str] | None = None) -> str:
    """Point Quarto's CDN script tags at the local copies (prefix: from the page to the site root)."""
    hashes = hashes or {}

    def replace(match: re.Match[str]) -> str:
        attrs = _attributes(match.group("attrs"))
        src = dict(attrs).get("src")
        if not src or not is_remote(src):
            return match.group(0)
        path = urlsplit(src if "//" in src else "https:" + src).path
        library = next((lib for lib in LIBRARIES if lib.pattern.search(path)), None)
        if library is None:
            return match.group(0)
        kept = [(n, v) for n, v in attrs if n.lower() not in ("src", "integrity", "crossorigin",
                                                              "data-jupyter-widgets-cdn")]
        new = [("src", prefix + library.target), *kept]
        if library.target in hashes:
            new.append(("integrity", hashes[library.target]))
        if library is not LIBRARIES[2]:
            return _tag(new)
        # The widget manager first asks require.js for `anywidget`, then falls back to a CDN base it reads
        # from any script's data-jupyter-widgets-cdn: give require.js the local path, and the base too.
        new.append(("data-jupyter-widgets-cdn", prefix + NO_CDN))
        anywidget = prefix + ANYWIDGET.removesuffix(".js")
        config = (f'<script>window.requirejs && window.requirejs.config({{paths: {{anywidget: "{anywidget}"}}}});'
                  "</script>")
        return config + "\n" + _tag(new)

    html = SCRIPT_TAG.sub(replace, html)
    return add_skip_link(html)


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


def process(root: Path, out_dir: Path) -> list[str]:
    """Vendor, rewrite and check the whole output folder; returns the problems found (empty when clean)."""
    hashes = copy_vendor(root, out_dir)
    problems = []
    for page in sorted(out_dir.rglob("*.html")):
        if (out_dir / VENDOR) in page.parents:
            continue
        text = page.read_text("utf-8")
        new = rewrite(text, prefix_for(page, out_dir), hashes)
        if new != text:
            page.write_text(new, "utf-8")
        problems += [f"{page.relative_to(out_dir)}: {url}" for url in third_party(new)]
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
    except VendorError as err:
        print(f"post-render: {err}", file=sys.stderr)
        return 1
    if problems:
        print("post-render: these would be requested from another host (learners' privacy, offline use):",
              *problems, sep="\n  ", file=sys.stderr)
        return 1
    print(f"post-render: widget runtime served from {out_dir.name}/{VENDOR}/; no third-party requests")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
