"""Copy every row of a schema's tables from one database to another, whatever the two engines are.

Knows nothing of the course or of nbgrader: the caller passes the tables (SQLAlchemy ``Table`` objects, parents
before children, as ``MetaData.sorted_tables`` gives them). Values pass through the tables' own column types, so a
date, an interval or a flag read from SQLite is written to PostgreSQL as the same value, with no codec of ours.
This is what moves a gradebook between SQLite and PostgreSQL, which neither database's own tools can do.

The source is read in one transaction (a snapshot on PostgreSQL); the target is written in one transaction: every
row of its tables deleted (children first), the source's rows inserted (parents first). An error rolls the target
back, so it is either a full copy or unchanged.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection


def read(conn: Connection, tables: Sequence[sa.Table]) -> dict[str, list[dict[str, Any]]]:
    """Every row of every table, in primary-key order."""
    return {t.name: [dict(row._mapping) for row in conn.execute(sa.select(t).order_by(*t.primary_key.columns))]
            for t in tables}


def replace(conn: Connection, tables: Sequence[sa.Table], rows: dict[str, list[dict[str, Any]]]) -> None:
    """Delete every row of the tables (children first), then insert rows (parents first), in conn's transaction."""
    if conn.dialect.name == "postgresql":  # nobody else writes (or reads half a copy) until the commit
        names = ", ".join(conn.dialect.identifier_preparer.format_table(t) for t in tables)
        conn.execute(sa.text(f"LOCK TABLE {names} IN ACCESS EXCLUSIVE MODE"))
    for table in reversed(tables):
        conn.execute(table.delete())
    for table in tables:
        if rows.get(table.name):
            conn.execute(table.insert(), rows[table.name])


def copy(source_url: str, target_url: str, tables: Sequence[sa.Table],
         before_write: Callable[[Connection], None] | None = None) -> dict[str, int]:
    """Make the target's tables hold exactly the source's rows; returns the rows copied per table.

    before_write(conn) runs inside the target's transaction before anything is deleted (a last check, say).
    """
    source = sa.create_engine(source_url)
    try:
        with source.connect() as conn:
            if source.dialect.name == "postgresql":
                conn = conn.execution_options(isolation_level="REPEATABLE READ")
            with conn.begin():
                rows = read(conn, tables)
    finally:
        source.dispose()
    target = sa.create_engine(target_url)
    try:
        with target.begin() as conn:
            if before_write:
                before_write(conn)
            replace(conn, tables, rows)
    finally:
        target.dispose()
    return {name: len(found) for name, found in rows.items()}
