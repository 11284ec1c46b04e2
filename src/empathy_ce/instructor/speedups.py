"""The same nbgrader work with less overhead, for the instructor tools' worker processes.

Each helper changes how often nbgrader repeats a constant piece of set-up, never what it computes:

- nbgrader's converters and preprocessors open a new ``Gradebook`` (database engine, schema check, course
  lookup) about ten times per submission; ``reuse_gradebooks()`` lets those calls share one engine per
  database. Every ``close()`` still ends the session, so each step sees the database afresh as before.
- nbgrader's cell-metadata check calls ``jsonschema.validate``, which re-checks the constant metadata schema
  against the JSON-schema meta-schema for every cell; ``cached_schema_checks()`` checks it once.

The speed-ups that are safe for every nbgrader command are configured instead (``grading/config.py``):
validation once per notebook (nbconvert's ``optimistic_validation``), sliced kernel polling and kernel-free
execution (``grading/execute.py``). These two patch nbgrader's modules for the life of a worker process, which
suits a batch but not formgrader's long-running server (one engine shared across its requests).
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from types import SimpleNamespace
from typing import Any

from nbgrader.api import Gradebook

# Modules on nbgrader's autograde and feedback paths that open a Gradebook by name.
GRADEBOOK_USERS = (
    "nbgrader.converters.autograde",
    "nbgrader.preprocessors.overwritecells",
    "nbgrader.preprocessors.overwritekernelspec",
    "nbgrader.preprocessors.saveautogrades",
    "nbgrader.preprocessors.latesubmissions",
    "nbgrader.preprocessors.getgrades",
    "empathy_ce.grading.preprocessors",
)


class KeptGradebook(Gradebook):
    """An nbgrader Gradebook whose close() ends the session but keeps the engine for the next user."""

    def close(self) -> None:
        self.db.remove()

    def dispose(self) -> None:
        super().close()


@contextmanager
def _patched(names: tuple[str, ...], attribute: str, value: Any) -> Iterator[None]:
    modules = [importlib.import_module(name) for name in names]
    saved = [getattr(module, attribute) for module in modules]
    for module in modules:
        setattr(module, attribute, value)
    try:
        yield
    finally:
        for module, original in zip(modules, saved, strict=True):
            setattr(module, attribute, original)


@contextmanager
def reuse_gradebooks() -> Iterator[None]:
    """Within this block, nbgrader's own Gradebook(...) calls share one engine per database and course."""
    kept: dict[tuple[str, str], KeptGradebook] = {}

    def shared(db_url: str, course_id: str = "default_course", authenticator: Any = None) -> Gradebook:
        key = (db_url, course_id)
        if key not in kept:
            kept[key] = KeptGradebook(db_url, course_id, authenticator)
        gradebook = kept[key]
        gradebook.authenticator = authenticator
        return gradebook

    try:
        with _patched(GRADEBOOK_USERS, "Gradebook", shared):
            yield
    finally:
        for gradebook in kept.values():
            with suppress(Exception):  # at interpreter exit the pool may already be gone
                gradebook.dispose()


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

    # nbgrader.nbgraderformat.common uses nothing of the module but validate().
    with _patched(("nbgrader.nbgraderformat.common",), "jsonschema", SimpleNamespace(validate=validate)):
        yield
