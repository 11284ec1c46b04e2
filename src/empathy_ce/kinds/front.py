"""The widget's front end: the shared module (static/item.js) with every registered kind's part bundled in.

A kind's `front.js` is a plain ES module that the website imports as it is (`site_libs/empathy-ce/kinds/`),
and that is inlined here for JupyterLab, where anywidget loads one module from a string and relative imports
cannot resolve. So that one file serves both, it follows two rules, checked here:
- no `import` (everything shared arrives in `render(ctx)`'s context from item.js);
- exports only as `export function name`, `export const name` (or let/class): no default, no `export {...}`.
It exports `check(spec, value)`, `fraction(spec, value, key)` and `render(ctx)`, and `manual = true` if graded
by hand; the rules mirror the kind's Python (a test runs both on the kind's samples).
"""

from __future__ import annotations

import json
import re
from importlib.resources import files

from . import all_kinds, version
from .base import Kind

MARKER = "const BUNDLED = {}; // kinds bundled here (kinds/front.py)"
REQUIRED = ("check", "fraction", "render")
_EXPORT = re.compile(r"^export (?:async )?(?:function\*?|const|let|class) +([A-Za-z_$][\w$]*)", re.M)
_FORBIDDEN = re.compile(r"^\s*(import\b|export (default|\{|\*))", re.M)

_cache: tuple[int, str] | None = None


class FrontEndError(ValueError):
    """A kind's front.js breaks the rules above."""


def core() -> str:
    return files("empathy_ce").joinpath("static", "item.js").read_text("utf-8")


def exports(kind: Kind) -> list[str]:
    """The names a kind's front.js exports, after checking the rules."""
    bad = _FORBIDDEN.search(kind.front_end)
    if bad:
        raise FrontEndError(f"item kind {kind.name}: front.js may not use {bad.group(1)!r} (see kinds/front.py)")
    names = _EXPORT.findall(kind.front_end)
    missing = [n for n in REQUIRED if n not in names]
    if missing:
        raise FrontEndError(f"item kind {kind.name}: front.js does not export {', '.join(missing)}")
    return names


def inlined(kind: Kind) -> str:
    """The kind's module as an expression: its code in a function scope, returning its exports."""
    names = exports(kind)
    body = _EXPORT.sub(lambda m: m.group(0)[len("export "):], kind.front_end)
    return f"(() => {{\n{body}\nreturn {{ {', '.join(names)} }};\n}})()"


def bundle() -> str:
    """item.js with every registered kind inlined (what ItemWidget sends to JupyterLab)."""
    global _cache
    if _cache is None or _cache[0] != version():
        source = core()
        if source.count(MARKER) != 1:
            raise FrontEndError(f"static/item.js must hold the line {MARKER!r} once")
        parts = ",\n".join(f"{json.dumps(k.name)}: {inlined(k)}" for k in all_kinds())
        _cache = (version(), source.replace(MARKER, f"const BUNDLED = {{\n{parts}\n}};"))
    return _cache[1]


def styles() -> str:
    """item.css, then each kind's own styles (front.css), for the widget and the site alike."""
    shared = files("empathy_ce").joinpath("static", "item.css").read_text("utf-8")
    return "".join([shared, *(f"\n/* item kind {k.name} */\n{k.style}" for k in all_kinds() if k.style)])


def site_files() -> dict[str, str]:
    """File name under the site's asset folder -> content: each kind's part, as the page's item.js imports it,
    and item.css with the kinds' own styles."""
    for kind in all_kinds():
        exports(kind)
    return {"item.css": styles(), **{f"kinds/{kind.name}.js": kind.front_end for kind in all_kinds()}}
