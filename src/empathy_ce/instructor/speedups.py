"""The same nbgrader work with less overhead, for the instructor tools' worker processes.

Each helper changes how often nbgrader repeats a constant piece of set-up, never what it computes:

- nbgrader's converters and preprocessors open a new ``Gradebook`` (database engine, schema check, course
  lookup) about ten times per submission; ``reuse_gradebooks()`` lets those calls share one engine per
  database. Every ``close()`` still ends the session, so each step sees the database afresh as before.
- nbgrader's cell-metadata check calls ``jsonschema.validate``, which re-checks the constant metadata schema
  against the JSON-schema meta-schema for every cell; ``cached_schema_checks()`` checks it once.
- nbconvert validates the whole notebook after every preprocessor; ``OPTIMISTIC`` asks it to validate once,
  after the last one (its ``optimistic_validation`` option). A notebook that is invalid still fails before
  any grade is written: nbgrader's sanitising pass, which writes nothing, ends with that validation.
- After a cell with an ipywidgets ``interact`` (the outcomes data notebook has two), nbclient's Output-widget
  shim sends on the kernel's shell socket while another task waits on it, and the waiter can miss the reply
  until its timeout: a two-minute stall in nbgrader's own autograde too (nbclient issue #312).
  ``poll_in_slices()`` makes those waits re-check the socket every second; the total timeout is unchanged.
"""

from __future__ import annotations

import importlib
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from queue import Empty
from types import SimpleNamespace
from typing import Any

from nbgrader.api import Gradebook
from traitlets.config import Config

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

OPTIMISTIC = Config({"Exporter": {"optimistic_validation": True}})


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


SLICE = 1.0  # seconds between re-checks of a kernel channel


def poll_in_slices(channel: Any) -> None:
    """Make an async kernel channel's get_msg(timeout) wait in one-second slices (same overall timeout)."""
    original = channel.get_msg

    async def get_msg(timeout: float | None = None) -> dict[str, Any]:
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            remaining = SLICE if deadline is None else max(0.0, deadline - time.monotonic())
            try:
                return await original(timeout=min(SLICE, remaining))
            except Empty:
                if deadline is not None and time.monotonic() >= deadline:
                    raise

    channel.get_msg = get_msg
