"""The widget's front end: the shared module (static/item.js) with every registered kind's part bundled in.

A kind's `front.js` is an ES module. JupyterLab gets it inlined here (anywidget loads one module from a string,
where relative imports cannot resolve); the website gets it as `site_libs/empathy-ce/kinds/<kind>.js`, which
the page's item.js imports. So that one file serves both, it follows these rules, checked here:
- exports only as `export function name`, `export const name` (or let/class): no default, no `export {...}`;
- imports only by name, at the start of a line, from a module file in its folder or elsewhere in the package:
  `import { checkPath, fraction as pathFraction } from "../../conversation/path.js";` (the path relative to
  front.js, so that node and editors resolve it as they would any module). Such a module (a shared rule, such as
  the conversation's path.js, written once and tested on its own) follows the export rule above and imports
  nothing itself. Both the bundle and the site's file carry it inlined, in a scope of its own, bound to the
  names imported: nothing is copied by hand, and the served file imports nothing and needs no other file.
It exports `check(spec, value)`, `fraction(spec, value, key)` and `render(ctx)`, and `manual = true` if graded
by hand; the rules mirror the kind's Python (a test runs both on the kind's samples).
"""

from __future__ import annotations

import json
import re
from importlib.resources import files
from pathlib import Path

from . import all_kinds, version
from .base import Kind

MARKER = "const BUNDLED = {}; // kinds bundled here (kinds/front.py)"
REQUIRED = ("check", "fraction", "render")
_EXPORT = re.compile(r"^export (?:async )?(?:function\*?|const|let|class) +([A-Za-z_$][\w$]*)", re.M)
_IMPORT = re.compile(r"""^import *\{(?P<names>[\w$,\s]*)\} *from *(?P<q>["'])(?P<file>\.\.?/[^"'\s]+\.js)(?P=q) *;?""",
                     re.M)
_FORBIDDEN = re.compile(r"^\s*(import\b|export (default|\{|\*))", re.M)
_NAME = re.compile(r"^([A-Za-z_$][\w$]*)(?: +as +([A-Za-z_$][\w$]*))?$")
PACKAGE = Path(str(files("empathy_ce")))

_cache: tuple[int, str] | None = None


class FrontEndError(ValueError):
    """A kind's front.js (or a module it imports) breaks the rules above."""


def core() -> str:
    return files("empathy_ce").joinpath("static", "item.js").read_text("utf-8")


def _exports(source: str, where: str, *, imports: bool) -> list[str]:
    """The names a module exports, after checking that it exports only by name and imports only as allowed
    (`imports`: by name from a relative .js file, as a kind's front.js may; otherwise not at all)."""
    bad = _FORBIDDEN.search(_IMPORT.sub("", source) if imports else source)
    if bad:
        if bad.group(1) != "import":
            rule = "export by name only"
        else:
            rule = "import only { names } from a relative .js file" if imports else "it imports nothing"
        raise FrontEndError(f"{where} may not use {bad.group(1)!r} ({rule}; see kinds/front.py)")
    return _EXPORT.findall(source)


def _strip_exports(source: str) -> str:
    return _EXPORT.sub(lambda m: m.group(0)[len("export "):], source)


def _scope(body: str, names: list[str]) -> str:
    """A module's code as an expression: run in a function scope of its own, returning its exports."""
    return f"(() => {{\n{body}\nreturn {{ {', '.join(names)} }};\n}})()"


def _imported(kind: Kind, match: re.Match[str]) -> str:
    """One import statement of a kind's front.js as `const { names } = (the module, inlined);`."""
    folder = Path(kind.folder).resolve()
    target = (folder / match["file"]).resolve()
    where = f"item kind {kind.name}: {match['file']} (imported by front.js)"
    if not (target.is_relative_to(folder) or target.is_relative_to(PACKAGE.resolve())):
        raise FrontEndError(f"{where} is outside the kind's folder and the empathy_ce package")
    if not target.is_file():
        raise FrontEndError(f"{where} does not exist ({target})")
    source = target.read_text("utf-8")
    offered = _exports(source, where, imports=False)
    bound = []
    for item in filter(None, (n.strip() for n in match["names"].split(","))):
        name = _NAME.match(item)
        if name is None:
            raise FrontEndError(f"{where}: {item!r} is not a name (write {{ name }} or {{ name as other }})")
        if name[1] not in offered:
            raise FrontEndError(f"{where} does not export {name[1]}")
        bound.append(f"{name[1]}: {name[2]}" if name[2] else name[1])
    return f"const {{ {', '.join(bound)} }} = {_scope(_strip_exports(source), offered)};"


def exports(kind: Kind) -> list[str]:
    """The names a kind's front.js exports, after checking the rules."""
    names = _exports(kind.front_end, f"item kind {kind.name}: front.js", imports=True)
    missing = [n for n in REQUIRED if n not in names]
    if missing:
        raise FrontEndError(f"item kind {kind.name}: front.js does not export {', '.join(missing)}")
    return names


def _resolved(kind: Kind, source: str) -> str:
    return _IMPORT.sub(lambda m: _imported(kind, m), source)


def module(kind: Kind) -> str:
    """The kind's front.js as a module that imports nothing, what it imports inlined (the site's file)."""
    exports(kind)
    return _resolved(kind, kind.front_end)


def inlined(kind: Kind) -> str:
    """The kind's module as an expression: its code in a function scope, returning its exports (the bundle's)."""
    return _scope(_resolved(kind, _strip_exports(kind.front_end)), exports(kind))


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
    """File name under the site's asset folder -> content: each kind's part, as the page's item.js imports it
    (self-contained: what it imports is inlined), and item.css with the kinds' own styles."""
    return {"item.css": styles(), **{f"kinds/{kind.name}.js": module(kind) for kind in all_kinds()}}
