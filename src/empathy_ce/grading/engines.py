"""One SQLAlchemy engine per gradebook database and process, for nbgrader's many short-lived Gradebooks.

nbgrader opens a new ``Gradebook`` about ten times per submission at autograde (the converter's set-up, and
its preprocessors), and each makes a new SQLAlchemy engine: a new dialect, and a new statement cache, so every
query is compiled again (about a third of ``nbgrader autograde``'s time for a widget-only post-test).
``share_engines()`` (called by ``config.configure``, so it reaches ``nbgrader autograde`` and formgrader's
button) makes ``create_engine`` in ``nbgrader.api`` return the engine already made in this process for the same
URL and options. What the Gradebook does is unchanged: each has its own session, and its ``close()`` still
disposes the engine's pool; for SQLite the shared engine keeps no connection between transactions at all
(``NullPool``: opening an SQLite file is cheap), so a Gradebook never gets a connection to a database file that
has since been replaced, even if an earlier one was not closed. Only the compiled statements are kept. An engine
is thread-safe (formgrader's handlers), and the process id is part of the key so a forked process never uses
its parent's engine.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy.pool import NullPool

_lock = threading.Lock()
_engines: dict[tuple[int, str, str], Any] = {}


def share_engines() -> None:
    """From now on, nbgrader's Gradebooks in this process share one engine per database URL (see above)."""
    import nbgrader.api as api

    if getattr(api.create_engine, "shared_by_empathy_ce", False):
        return
    original = api.create_engine

    def create_engine(url: Any, **kwargs: Any) -> Any:
        key = (os.getpid(), str(url), repr(sorted(kwargs.items())))
        with _lock:
            engine = _engines.get(key)
            if engine is None:
                if str(url).startswith("sqlite") and "poolclass" not in kwargs:
                    kwargs = {**kwargs, "poolclass": NullPool}
                engine = _engines[key] = original(url, **kwargs)
        return engine

    create_engine.shared_by_empathy_ce = True  # type: ignore[attr-defined]
    create_engine.original = original  # type: ignore[attr-defined]
    api.create_engine = create_engine


@contextmanager
def unshared() -> Iterator[None]:
    """nbgrader's own create_engine within this block: for empathy-ce grade's workers, whose kept gradebooks
    (instructor/speedups.py) already share one engine and keep its connection between transactions."""
    import nbgrader.api as api

    current = api.create_engine
    api.create_engine = getattr(current, "original", current)
    try:
        yield
    finally:
        api.create_engine = current
