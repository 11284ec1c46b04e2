"""Whether a file is a usable gradebook backup, checked whole before a restore touches anything.

An SQLite backup: SQLite's own integrity check, nbgrader's tables with all their columns, nbgrader's schema
revision, and SQLite's foreign-key check (no row refers to a missing one). A PostgreSQL dump: ``pg_restore`` reads
it whole (a truncated or damaged dump fails here, not halfway through a restore) and lists nbgrader's tables.
Anything else is refused with the reason, in words an instructor can act on.
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from contextlib import closing
from pathlib import Path

import sqlalchemy as sa

SQLITE_MAGIC = b"SQLite format 3\x00"
DUMP_MAGIC = b"PGDMP"  # pg_dump's custom format


class BackupError(RuntimeError):
    """A backup file or request refused: invalid, damaged, or it would replace data without force."""


class GradebookError(RuntimeError):
    """The gradebook database could not be read or written; nothing was changed."""


def tables() -> list[sa.Table]:
    """nbgrader's gradebook tables, parents before children."""
    from nbgrader.api import Base

    return list(Base.metadata.sorted_tables)


def nbgrader_version() -> str:
    import nbgrader

    return str(nbgrader.__version__)


def schema_head() -> str:
    """The schema revision the installed nbgrader writes (the head of its alembic migrations)."""
    from alembic.script import ScriptDirectory
    from nbgrader.dbutil import ALEMBIC_DIR

    return str(ScriptDirectory(ALEMBIC_DIR).get_current_head())


def run_tool(tool: str, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run a PostgreSQL client tool (pg_dump, pg_restore), or say how to install it."""
    if shutil.which(tool) is None:
        raise GradebookError(f"{tool} is not installed; it comes with the PostgreSQL client tools "
                             "(Debian: apt-get install postgresql-client)")
    return subprocess.run([tool, *args], capture_output=True, text=True, env=env, check=False)


def first_error(result: subprocess.CompletedProcess[str]) -> str:
    lines = [line.strip() for line in result.stderr.splitlines() if line.strip()]
    return next((line for line in lines if "error" in line.lower()), lines[0] if lines else "no message")


def check(path: Path) -> str:
    """'sqlite' or 'dump' for a usable backup; BackupError naming the file and what is wrong with it otherwise."""
    try:
        with path.open("rb") as handle:
            head = handle.read(len(SQLITE_MAGIC))
    except OSError as err:
        raise BackupError(f"cannot read {path}: {err.strerror or err}") from None
    if head.startswith(SQLITE_MAGIC):
        problem = _sqlite_problem(path)
        kind = "sqlite"
    elif head.startswith(DUMP_MAGIC):
        problem = _dump_problem(path)
        kind = "dump"
    else:
        problem = ("it is neither an SQLite gradebook backup nor a PostgreSQL dump (pg_dump's custom format)"
                   + (": the file is empty" if not head else ""))
    if problem:
        raise BackupError(f"{path} is not a usable gradebook backup: {problem}; nothing was changed")
    return kind


def _sqlite_problem(path: Path) -> str | None:
    try:
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
            damage = [row[0] for row in db.execute("PRAGMA integrity_check")]
            if damage != ["ok"]:
                return f"the SQLite file is damaged ({damage[0]}); it may be truncated"
            names = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            for table in tables():
                if table.name not in names:
                    return f"it is an SQLite database but not an nbgrader gradebook: it has no table '{table.name}'"
                columns = {row[1] for row in db.execute(f'PRAGMA table_info("{table.name}")')}
                missing = [c.name for c in table.columns if c.name not in columns]
                if missing:
                    return (f"table '{table.name}' lacks column '{missing[0]}' that nbgrader {nbgrader_version()}'s "
                            "gradebook has")
            found = (db.execute("SELECT version_num FROM alembic_version").fetchone()
                     if "alembic_version" in names else None)
            head = schema_head()
            if found is None or found[0] != head:
                which = f"is {found[0]!r}" if found else "is not recorded"
                return (f"its gradebook schema revision {which}, and nbgrader {nbgrader_version()} uses {head!r}: "
                        "restore it with the nbgrader version that wrote it, then run nbgrader db upgrade")
            dangling = db.execute("PRAGMA foreign_key_check").fetchone()
            if dangling:
                table, rowid, parent, _ = dangling
                return f"table '{table}', row {rowid} refers to a {parent} row that is not in the backup"
    except sqlite3.DatabaseError as err:
        return f"the SQLite file is damaged ({err}); it may be truncated"
    return None


def _dump_problem(path: Path) -> str | None:
    whole = run_tool("pg_restore", "--file=/dev/null", str(path))
    if whole.returncode:
        return f"the PostgreSQL dump is damaged ({first_error(whole)}); it may be truncated"
    listing = run_tool("pg_restore", "--list", str(path))
    present = {parts[-2] for line in listing.stdout.splitlines()
               if not line.startswith(";") and " TABLE " in line and " TABLE DATA " not in line
               and len(parts := line.split()) >= 2}
    missing = [t.name for t in tables() if t.name not in present]
    if missing:
        return f"it is a PostgreSQL dump but not of an nbgrader gradebook: it has no table '{missing[0]}'"
    return None
