"""A small nbgrader gradebook, the Gradebook an nbgrader module opens, and whether SQLite's write lock is free.

Shared by the tests of empathy-ce grade's worker speed-ups (instructor/speedups.py) and its transactions
(instructor/transactions.py).
"""

from __future__ import annotations

import importlib
import sqlite3
from pathlib import Path

from nbgrader.api import Gradebook


def small_gradebook(folder: Path) -> str:
    """A SQLite gradebook made with nbgrader's own API: one assignment, one item, one learner; its URL."""
    url = f"sqlite:///{folder / 'gradebook.db'}"
    with Gradebook(url) as gb:
        gb.add_assignment("m1-x")
        gb.add_notebook("posttest", "m1-x")
        gb.add_grade_cell("item-1", "posttest", "m1-x", max_score=2.0, cell_type="code")
        gb.add_source_cell("item-1", "posttest", "m1-x", cell_type="code", locked=True,
                           source="ask('item-1')", checksum="abc")
        gb.add_student("ana")
    return url


def opened(name: str = "nbgrader.preprocessors.overwritecells") -> type[Gradebook]:
    """The Gradebook nbgrader's module opens by name (the kept one inside speedups.reuse_gradebooks())."""
    return importlib.import_module(name).Gradebook


def other_writer_can_write(url: str) -> bool:
    """Whether another connection can write now (False: SQLite's write lock is held)."""
    other = sqlite3.connect(url.removeprefix("sqlite:///"), timeout=0)
    try:
        other.execute("UPDATE student SET first_name = 'x' WHERE id = 'nobody'")
        other.commit()
        return True
    except sqlite3.OperationalError as err:
        assert "locked" in str(err)
        return False
    finally:
        other.close()
