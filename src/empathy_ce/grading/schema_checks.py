"""nbgrader's cell-metadata validation with its constant schema checked once per process, not once per cell.

nbgrader's ``CheckCellMetadata`` (in both autograde passes) calls ``jsonschema.validate`` for every cell, and
``jsonschema.validate`` first checks the schema itself against the JSON-schema meta-schema: the same constant
schema, every cell. nbgrader also reads the schema file afresh for each notebook, so each pass has a new but equal
schema. ``cached_schema_checks()`` does what ``jsonschema.validate`` does (``check_schema``, then the
best-matching error raised) with each distinct schema checked once per process. Same errors, same messages.

It also remembers which metadata passed: an item cell's nbgrader metadata is the same in every learner's copy
of a notebook, so a batch checks each distinct one once (changed metadata is new, and checked).
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from types import SimpleNamespace
from typing import Any

COMMON = "nbgrader.nbgraderformat.common"
KEPT = 8  # distinct schemas kept (nbgrader has one per metadata version)
KEPT_VALID = 4096  # distinct valid instances remembered per schema

_checked: list[tuple[Any, set[str]]] = []  # (validator, valid instances as JSON) of checked schemas, newest first


def _validator(schema: dict[str, Any]) -> tuple[Any, set[str]]:
    import jsonschema

    for validator, valid in _checked:
        if validator.schema is schema or validator.schema == schema:
            return validator, valid
    kind = jsonschema.validators.validator_for(schema)
    kind.check_schema(schema)
    _checked.insert(0, (kind(schema), set()))
    del _checked[KEPT:]
    return _checked[0]


def _as_key(instance: Any) -> str | None:
    try:
        return json.dumps(instance, sort_keys=True, allow_nan=False)
    except (TypeError, ValueError):  # not plain JSON: always checked
        return None


@contextmanager
def cached_schema_checks() -> Iterator[None]:
    """nbgrader's metadata validation with the schema itself checked once instead of once per cell."""
    import jsonschema
    from jsonschema.exceptions import best_match

    def validate(instance: Any, schema: dict[str, Any], cls: Any = None, *args: Any, **kwargs: Any) -> None:
        if cls is not None or args or kwargs:
            return jsonschema.validate(instance, schema, cls, *args, **kwargs)
        validator, valid = _validator(schema)
        key = _as_key(instance)
        if key is not None and key in valid:
            return None
        error = best_match(validator.iter_errors(instance))
        if error is not None:
            raise error
        if key is not None and len(valid) < KEPT_VALID:
            valid.add(key)
        return None

    # nbgrader.nbgraderformat.common uses nothing of the module but validate(). Another thread that sees the
    # replacement meanwhile (formgrader) gets the same results.
    module = importlib.import_module(COMMON)
    saved = module.jsonschema
    module.jsonschema = SimpleNamespace(validate=validate)
    try:
        yield
    finally:
        module.jsonschema = saved
