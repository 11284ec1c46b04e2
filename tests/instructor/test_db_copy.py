"""db_copy: every row of a schema copied between databases through the tables' own column types, all or nothing.

Two SQLite files stand in for any two SQLAlchemy databases (the PostgreSQL moves are proved end to end in the
gradebook backup tests); the schema has a parent and a child table and the value types nbgrader stores.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import sqlalchemy as sa

from empathy_ce.instructor import db_copy

METADATA = sa.MetaData()
PARENT = sa.Table("parent", METADATA, sa.Column("id", sa.String(32), primary_key=True),
                  sa.Column("due", sa.DateTime), sa.Column("extension", sa.Interval), sa.Column("flag", sa.Boolean))
CHILD = sa.Table("child", METADATA, sa.Column("id", sa.String(32), primary_key=True),
                 sa.Column("parent_id", sa.String(32), sa.ForeignKey("parent.id"), nullable=False),
                 sa.Column("score", sa.Float), sa.Column("text", sa.Text))
ROWS = {"parent": [{"id": "p1", "due": dt.datetime(2026, 3, 1, 23, 59, 59, 250000),
                    "extension": dt.timedelta(days=2, microseconds=7), "flag": True},
                   {"id": "p2", "due": None, "extension": None, "flag": False}],
        "child": [{"id": "c1", "parent_id": "p1", "score": 1.5, "text": "Zoë — ✓"},
                  {"id": "c2", "parent_id": "p2", "score": None, "text": None}]}


def database(path: Path, rows: dict[str, list[dict]]) -> str:
    url = f"sqlite:///{path}"
    engine = sa.create_engine(url)
    METADATA.create_all(engine)
    with engine.begin() as conn:
        for table in METADATA.sorted_tables:
            if rows.get(table.name):
                conn.execute(table.insert(), rows[table.name])
    engine.dispose()
    return url


def contents(url: str) -> dict[str, list[dict]]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return db_copy.read(conn, METADATA.sorted_tables)
    finally:
        engine.dispose()


def test_the_target_holds_exactly_the_source_rows_with_their_types(tmp_path: Path):
    source = database(tmp_path / "source.db", ROWS)
    target = database(tmp_path / "target.db", {"parent": [{"id": "old", "flag": True}],
                                               "child": [{"id": "gone", "parent_id": "old"}]})
    assert db_copy.copy(source, target, METADATA.sorted_tables) == {"parent": 2, "child": 2}
    assert contents(target) == ROWS  # the old rows are gone; dates, intervals, flags and text come back as such


def test_a_failure_halfway_leaves_the_target_as_it_was(tmp_path: Path):
    source = database(tmp_path / "source.db", ROWS)
    before = {"parent": [{"id": "old", "due": None, "extension": None, "flag": True}], "child": []}
    target = database(tmp_path / "target.db", before)
    engine = sa.create_engine(target)
    with engine.begin() as conn:  # the disk fills up when the children are inserted, after the parents
        conn.execute(sa.text("CREATE TRIGGER full BEFORE INSERT ON child BEGIN SELECT RAISE(ABORT, 'disk is full'); "
                             "END"))
    engine.dispose()
    with pytest.raises(sa.exc.IntegrityError, match="disk is full"):
        db_copy.copy(source, target, METADATA.sorted_tables)
    assert contents(target) == before
