"""Exercise items: the JSON-schema contract, semantic checks and answer validation.

Everything particular to a kind is in its folder (`kinds/<kind>/`); this module dispatches to the registry
and holds what is common to every item: the base schema (item.schema.json), built up with each kind's part,
the rubric and practice-key checks.
"""

from __future__ import annotations

import copy
import json
import math
from importlib.resources import files
from typing import Any

import jsonschema

from . import kinds
from .kinds.base import InvalidAnswer, ItemError, option_keys
from .kinds.text import TEXT_LIMIT

__all__ = ["TEXT_LIMIT", "InvalidAnswer", "ItemError", "check_key", "check_value", "option_keys", "schema",
           "validate_item"]

_built: tuple[int, dict[str, Any]] | None = None


def _kind_rule(name: str, then: dict[str, Any]) -> dict[str, Any]:
    return {"if": {"properties": {"kind": {"const": name}}}, "then": then}


def schema() -> dict[str, Any]:
    """The whole item schema: the shipped base contract, the registered kinds and each kind's part."""
    global _built
    if _built is None or _built[0] != kinds.version():
        base = json.loads(files("empathy_ce").joinpath("item.schema.json").read_text("utf-8"))
        every = kinds.all_kinds()
        base["properties"]["kind"] = {**base["properties"]["kind"], "enum": [k.name for k in every]}
        added: dict[str, set[str]] = {}  # field a kind adds -> the kinds that use it
        for kind in every:
            for name, definition in kind.schema.get("properties", {}).items():
                known = base["properties"].setdefault(name, copy.deepcopy(definition))
                if known != definition:
                    raise ItemError(f"item kind {kind.name}: schema property {name!r} differs from its other use")
                added.setdefault(name, set()).add(kind.name)
        for kind in every:
            # A field one kind adds is no field of the others.
            foreign = [{"not": {"required": [name]}} for name, users in added.items() if kind.name not in users]
            base["allOf"].append(_kind_rule(kind.name, {"allOf": [kind.schema.get("then", {}), *foreign]}))
        # A practice item of any kind scored by rule carries its key and a rationale, shown as feedback.
        manual = [k.name for k in every if k.manual]
        base["allOf"].append({
            "if": {"properties": {"mode": {"const": "practice"}, "kind": {"not": {"enum": manual}}}},
            "then": {"required": ["answer", "rationale"]},
        })
        _built = (kinds.version(), base)
    return _built[1]


def validate_item(spec: dict[str, Any]) -> dict[str, Any]:
    """Check an item definition against the schema and the rules a schema cannot express."""
    errors = sorted(jsonschema.Draft202012Validator(schema()).iter_errors(spec), key=str)
    where = spec.get("id", "<no id>") if isinstance(spec, dict) else "<not an object>"
    if errors:
        first = errors[0]
        path = "/".join(str(p) for p in first.absolute_path) or "(item)"
        raise ItemError(f"item {where}: {path}: {first.message}")
    kind = kinds.get(spec["kind"])
    problem = kind.check_item(spec)
    if problem:
        raise ItemError(f"item {where}: {problem}")
    rubric = spec.get("rubric")
    if rubric and spec.get("points") is not None:
        total = sum(r["points"] for r in rubric)
        if not math.isclose(total, spec["points"]):
            raise ItemError(f"item {where}: rubric points add to {total}, item is worth {spec['points']}")
    if spec["mode"] == "practice" and not kind.manual:
        try:
            check_key(spec, spec["answer"])
        except InvalidAnswer as err:
            raise ItemError(f"item {where}: practice answer: {err}") from None
    return spec


def check_key(spec: dict[str, Any], key: Any) -> Any:
    """Validate an answer key the same way as a learner's answer, and return it normalised."""
    return kinds.get(spec["kind"]).check_key(spec, key)


def check_value(spec: dict[str, Any], value: Any) -> Any:
    """Return the answer normalised for its item, None for unanswered, or raise InvalidAnswer."""
    if value is None:
        return None
    return kinds.get(spec["kind"]).check_value(spec, value)  # an unknown kind raises InvalidAnswer
