"""The registry of item kinds: one folder per kind (see base.py), listed here one line each.

Adding a kind to the course: add its folder next to these and one line to BUILT_IN. A kind kept elsewhere (a
separate package, a test fixture) joins with `register(folder)` in the process that needs it, or through the
`empathy_ce.kinds` entry-point group (value: the kind's importable module), which every process reads.
Everything else (the schema, validation, scoring, the widget's front end, the static pages, the preview,
the report's choice counts, the samples the tests and benchmark use) asks this registry, so adding a kind
touches only its folder and this list.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import sys
from importlib.metadata import entry_points
from pathlib import Path
from types import ModuleType

from .base import QUALITIES, InvalidAnswer, ItemError, Kind

__all__ = ["QUALITIES", "InvalidAnswer", "ItemError", "Kind", "all_kinds", "get", "names", "register", "unregister",
           "version"]

BUILT_IN = (
    "single",
    "multiple",
    "rating",
    "ordering",
    "numeric",
    "text",
    "survey",
    "attestation",
    "conversation",
)
ENTRY_POINTS = "empathy_ce.kinds"

_kinds: dict[str, Kind] = {}
_version = 0  # bumped on every registration, so that what is built from the kinds is rebuilt


def _from_module(module: ModuleType) -> Kind:
    folder = Path(module.__file__ or "").parent
    kind = getattr(module, "KIND", None)
    if not isinstance(kind, Kind):
        raise TypeError(f"item kind folder {folder}: __init__.py must define KIND, an empathy_ce.kinds.Kind")
    if kind.name != folder.name:
        raise ValueError(f"item kind folder {folder}: KIND.name is {kind.name!r}, the folder's name is not")
    for file in ("schema.json", "front.js"):
        if not (folder / file).is_file():
            raise FileNotFoundError(f"item kind {kind.name!r}: {folder / file} is missing")
    kind.folder = folder  # front.js may import modules relative to it (kinds/front.py)
    kind.schema = json.loads((folder / "schema.json").read_text("utf-8"))
    kind.front_end = (folder / "front.js").read_text("utf-8")
    style = folder / "front.css"  # optional: the kind's own styles, after item.css's
    kind.style = style.read_text("utf-8") if style.is_file() else ""
    return kind


def _add(kind: Kind) -> Kind:
    global _version
    _kinds[kind.name] = kind
    _version += 1
    return kind


def _load_built_in() -> None:
    if _kinds:
        return
    for name in BUILT_IN:
        _add(_from_module(importlib.import_module(f"{__name__}.{name}")))
    for entry in entry_points(group=ENTRY_POINTS):
        _add(_from_module(importlib.import_module(entry.value)))


def register(folder: str | Path) -> Kind:
    """Add (or replace) the kind kept in `folder` (its name is the folder's name) for this process."""
    _load_built_in()
    folder = Path(folder).resolve()
    module_name = f"empathy_ce_kind_{folder.name.replace('-', '_')}"
    spec = importlib.util.spec_from_file_location(module_name, folder / "__init__.py",
                                                  submodule_search_locations=[str(folder)])
    if spec is None or spec.loader is None:
        raise FileNotFoundError(f"item kind folder {folder}: no __init__.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    return _add(_from_module(module))


def get(name: str) -> Kind:
    """The kind called `name`; InvalidAnswer if there is none (a stored answer names the item's kind)."""
    _load_built_in()
    try:
        return _kinds[name]
    except (KeyError, TypeError):
        raise InvalidAnswer(f"unknown item kind {name!r}") from None


def names() -> tuple[str, ...]:
    _load_built_in()
    return tuple(_kinds)


def all_kinds() -> list[Kind]:
    _load_built_in()
    return list(_kinds.values())


def version() -> int:
    """Changes whenever the set of kinds changes (for caches of the schema and the front-end bundle)."""
    _load_built_in()
    return _version


def unregister(name: str) -> None:
    """Forget a kind added with register() (tests that add one clean up after themselves)."""
    global _version
    if name in BUILT_IN:
        raise ValueError(f"item kind {name!r} is built in")
    if _kinds.pop(name, None) is not None:
        _version += 1
