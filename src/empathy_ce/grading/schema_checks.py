"""nbgrader's cell-metadata validation with its constant schema checked once, not once per cell.

nbgrader's ``CheckCellMetadata`` (in both autograde passes) calls ``jsonschema.validate`` for every cell, and
``jsonschema.validate`` first checks the schema itself against the JSON-schema meta-schema: the same constant
schema, every cell. ``cached_schema_checks()`` does what ``jsonschema.validate`` does (``check_schema``, then the
best-matching error raised) with the schema checked once per schema object. Same errors, same messages.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from contextlib import contextmanager
from types import SimpleNamespace
from typing import Any

COMMON = "nbgrader.nbgraderformat.common"


@contextmanager
def cached_schema_checks() -> Iterator[None]:
    """nbgrader's metadata validation with the schema itself checked once instead of once per cell."""
    import jsonschema
    from jsonschema.exceptions import best_match

    validators: dict[int, Any] = {}

    def validate(instance: Any, schema: dict[str, Any], cls: Any = None, *args: Any, **kwargs: Any) -> None:
        if cls is not None or args or kwargs:
            return jsonschema.validate(instance, schema, cls, *args, **kwargs)
        validator = validators.get(id(schema))
        if validator is None or validator.schema is not schema:
            kind = jsonschema.validators.validator_for(schema)
            kind.check_schema(schema)
            validator = validators[id(schema)] = kind(schema)
        error = best_match(validator.iter_errors(instance))
        if error is not None:
            raise error
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
