"""Exercise items: the JSON-schema contract, semantic checks and answer validation."""

from __future__ import annotations

import json
import math
from functools import cache
from importlib.resources import files
from typing import Any

import jsonschema

KINDS = ("single", "multiple", "rating", "ordering", "numeric", "text")
TEXT_LIMIT = 20_000


class ItemError(ValueError):
    """An item definition breaks the contract."""


class InvalidAnswer(ValueError):
    """A stored or submitted answer does not fit its item."""


@cache
def schema() -> dict[str, Any]:
    """The item JSON schema shipped with the package."""
    return json.loads(files("empathy_ce").joinpath("item.schema.json").read_text("utf-8"))


def option_keys(spec: dict[str, Any]) -> list[str]:
    return [option["key"] for option in spec.get("options", [])]


def validate_item(spec: dict[str, Any]) -> dict[str, Any]:
    """Check an item definition against the schema and the rules a schema cannot express."""
    errors = sorted(jsonschema.Draft202012Validator(schema()).iter_errors(spec), key=str)
    where = spec.get("id", "<no id>") if isinstance(spec, dict) else "<not an object>"
    if errors:
        first = errors[0]
        path = "/".join(str(p) for p in first.absolute_path) or "(item)"
        raise ItemError(f"item {where}: {path}: {first.message}")
    keys = option_keys(spec)
    if len(set(keys)) != len(keys):
        raise ItemError(f"item {where}: option keys must be unique, got {keys}")
    scale = spec.get("scale")
    if scale and scale["min"] >= scale["max"]:
        raise ItemError(f"item {where}: scale min must be below max")
    rubric = spec.get("rubric")
    if rubric and spec.get("points") is not None:
        total = sum(r["points"] for r in rubric)
        if not math.isclose(total, spec["points"]):
            raise ItemError(f"item {where}: rubric points add to {total}, item is worth {spec['points']}")
    if spec["mode"] == "practice" and spec["kind"] != "text":
        try:
            check_key(spec, spec["answer"])
        except InvalidAnswer as err:
            raise ItemError(f"item {where}: practice answer: {err}") from None
    return spec


def check_key(spec: dict[str, Any], key: Any) -> Any:
    """Validate an answer key the same way as a learner's answer, and return it normalised."""
    value = check_value(spec, key)
    if value is None:
        raise InvalidAnswer("a key cannot be empty")
    return value


def check_value(spec: dict[str, Any], value: Any) -> Any:
    """Return the answer normalised for its item, None for unanswered, or raise InvalidAnswer."""
    if value is None:
        return None
    kind = spec["kind"]
    keys = option_keys(spec)
    if kind == "single":
        if not isinstance(value, str) or value not in keys:
            raise InvalidAnswer(f"{value!r} is not one of the options {keys}")
        return value
    if kind in ("multiple", "ordering"):
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise InvalidAnswer(f"expected a list of option keys, got {value!r}")
        if len(set(value)) != len(value):
            raise InvalidAnswer(f"option keys repeat in {value!r}")
        unknown = [v for v in value if v not in keys]
        if unknown:
            raise InvalidAnswer(f"unknown option keys {unknown}")
        if kind == "ordering" and sorted(value) != sorted(keys):
            raise InvalidAnswer(f"an order must list every option once, got {value!r}")
        if kind == "multiple" and not value:
            return None
        return value
    if kind == "rating":
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
                or value != int(value):
            raise InvalidAnswer(f"a rating must be a whole number, got {value!r}")
        scale = spec["scale"]
        if not scale["min"] <= value <= scale["max"]:
            raise InvalidAnswer(f"rating {value} is outside {scale['min']}..{scale['max']}")
        return int(value)
    if kind == "numeric":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise InvalidAnswer(f"expected a number, got {value!r}")
        if not math.isfinite(value):
            raise InvalidAnswer(f"{value!r} is not a finite number")
        return float(value)
    if kind == "text":
        if not isinstance(value, str):
            raise InvalidAnswer(f"expected text, got {type(value).__name__}")
        if len(value) > TEXT_LIMIT:
            raise InvalidAnswer(f"text is {len(value)} characters, the limit is {TEXT_LIMIT}")
        return value if value.strip() else None
    raise InvalidAnswer(f"unknown item kind {kind!r}")

