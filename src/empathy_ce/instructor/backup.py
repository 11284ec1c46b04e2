"""Back up nbgrader's gradebook with the database's own tools, and restore it.

- An SQLite gradebook is copied with SQLite's online backup API (``sqlite3.Connection.backup``): a consistent
  snapshot even while formgrader writes, and itself an SQLite gradebook that nbgrader opens. Restoring one into
  SQLite uses the same API, in one transaction on the target.
- A PostgreSQL gradebook is dumped with ``pg_dump`` (custom format, ``.dump``) and restored with ``pg_restore
  --single-transaction``.
- Moves between the two: an SQLite backup restores into PostgreSQL, and a PostgreSQL gradebook backed up to a
  file name ending in ``.sqlite`` (or ``.db``) gives an SQLite copy, the way back. The rows pass through nbgrader's
  own table definitions (``db_copy``, which knows nothing of the course).

A backup is checked whole before anything is touched (SQLite's integrity and foreign-key checks, nbgrader's
tables, columns and schema revision; ``pg_restore`` reading the whole dump), and refused with the reason. A
restore over a gradebook that holds data needs ``force`` and writes a safety backup of it first. A backup file is
written beside its final name, synced, then linked into place: never half a file, never over another file.
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
import subprocess
import time
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from . import db_copy
from .backup_check import BackupError, GradebookError, check, first_error, run_tool, schema_head, tables
from .configuration import redact

SQLITE_SUFFIXES = (".sqlite", ".db")
# nbgrader writes a row here whenever it opens a gradebook, so these rows alone are not data worth a --force.
BOOKKEEPING = {"course"}
LOCK_SECONDS = 5.0  # how long a backup or restore waits for a gradebook that another program is writing
DATABASE_ERRORS = (sqlite3.Error, sa.exc.SQLAlchemyError)  # what reading or writing a gradebook raises


@dataclass
class Written:
    """A backup file written, with the rows it holds per table."""

    path: Path
    counts: dict[str, int]


@dataclass
class Restored:
    """The rows restored per table, and the safety backup of what they replaced (if anything was there)."""

    counts: dict[str, int]
    safety: Written | None = None


def sqlite_file(db_url: str) -> Path | None:
    """The file of an SQLite URL (None for other databases and in-memory SQLite)."""
    url = make_url(db_url)
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    return Path(url.database)


def counts(db_url: str) -> dict[str, int]:
    """Rows per nbgrader table that exists in the database (none when it is not there yet)."""
    database = sqlite_file(db_url)
    if database is not None and not database.exists():
        return {}
    engine = sa.create_engine(db_url)
    try:
        with engine.connect() as conn:
            there = set(sa.inspect(conn).get_table_names())
            return {t.name: conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one()
                    for t in tables() if t.name in there}
    finally:
        engine.dispose()


def data(found: dict[str, int]) -> dict[str, int]:
    """The tables holding data (not only the course rows nbgrader writes when it opens a gradebook)."""
    return {name: n for name, n in found.items() if n and name not in BOOKKEEPING}


# ---------------------------------------------------------------------------------------------- PostgreSQL tools


def _pg(db_url: str) -> tuple[str, dict[str, str]]:
    """A libpq connection URI for pg_dump/pg_restore, and an environment carrying the password (not argv)."""
    url = make_url(db_url)
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    return url.set(drivername="postgresql", password=None).render_as_string(hide_password=False), env


def _pg_tool(tool: str, db_url: str, *args: str) -> str | None:
    """Run pg_dump or pg_restore on the PostgreSQL gradebook at db_url: None if it worked, else its first error."""
    uri, env = _pg(db_url)
    result = run_tool(tool, f"--dbname={uri}", *args, env=env)
    return first_error(result) if result.returncode else None


# ---------------------------------------------------------------------------------------------- writing backups


def fresh_name(folder: Path, stem: str, suffix: str) -> Path:
    """folder/stem-YYYYmmdd-HHMMSS<suffix>, with a counter if a file of that name exists."""
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    path = folder / f"{stem}-{stamp}{suffix}"
    number = 2
    while path.exists():
        path = folder / f"{stem}-{stamp}-{number}{suffix}"
        number += 1
    return path


def _publish(part: Path, path: Path) -> None:
    """Sync the finished part file and link it to its name (which fails rather than replace a file)."""
    with part.open("rb") as handle:
        os.fsync(handle.fileno())
    try:
        os.link(part, path)
    finally:
        part.unlink(missing_ok=True)
    folder = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)


def _write(db_url: str, path: Path) -> Written:
    """Back up the gradebook at db_url to the new file path, with the tool its engine and the file name call for."""
    path.parent.mkdir(parents=True, exist_ok=True)
    part = path.with_name(f".{path.name}.part")
    part.unlink(missing_ok=True)  # left by a backup that was killed
    os.close(os.open(part, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))  # learner data: readable by the owner only
    database = sqlite_file(db_url)
    try:
        if database is not None:
            sqlite_copy(database, part)
        elif path.suffix in SQLITE_SUFFIXES:
            db_copy.copy(db_url, f"sqlite:///{part}", tables(), before_write=_create_tables)
        else:
            error = _pg_tool("pg_dump", db_url, "--format=custom", f"--file={part}")
            if error is not None:
                raise GradebookError(f"pg_dump could not back up {redact(db_url)}: {error}")
        found = counts(f"sqlite:///{part}") if path.suffix in SQLITE_SUFFIXES or database else counts(db_url)
        _publish(part, path)
    except DATABASE_ERRORS as err:
        raise GradebookError(f"cannot read the gradebook at {redact(db_url)}: {_reason(err)}") from None
    except OSError as err:
        raise GradebookError(f"cannot write {path}: {_reason(err)}") from None
    finally:
        part.unlink(missing_ok=True)
    return Written(path, found)


def sqlite_copy(source: Path, target: Path) -> None:
    """Copy an SQLite database over another (or into a new file) with SQLite's online backup API.

    All pages are copied in one write transaction on the target (all or nothing). Python's backup() waits for
    as long as another connection holds a lock, so a busy database is given up after LOCK_SECONDS instead.
    """
    deadline = time.monotonic() + LOCK_SECONDS

    def waiting(status: int, _remaining: int, _total: int) -> None:
        if status in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED) and time.monotonic() > deadline:
            raise sqlite3.OperationalError("database is locked")

    with closing(sqlite3.connect(f"file:{source}?mode=ro", uri=True)) as db, closing(sqlite3.connect(target)) as copy:
        db.backup(copy, progress=waiting)
        copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, even from a WAL database


def _create_tables(conn: sa.engine.Connection) -> None:
    """nbgrader's tables and schema revision in a new SQLite copy (as nbgrader's Gradebook would make them)."""
    from nbgrader.api import Base

    Base.metadata.create_all(conn)
    conn.execute(sa.text("CREATE TABLE IF NOT EXISTS alembic_version (version_num VARCHAR(32) NOT NULL)"))
    conn.execute(sa.text("INSERT INTO alembic_version (version_num) VALUES (:v)"), {"v": schema_head()})


def backup(db_url: str, path: Path | None = None, *, folder: Path) -> Written:
    """Back up the gradebook at db_url to path (default: a new dated file in folder); see the module docstring."""
    if path is not None and (path.exists() or path.is_symlink()):
        raise BackupError(f"{path} already exists; choose another file name (backups are never overwritten)")
    database = sqlite_file(db_url)
    if database is not None and not database.is_file():
        raise GradebookError(f"there is no gradebook at {redact(db_url)} (no file {database})")
    if database is not None and path is not None and path.suffix == ".dump":
        raise BackupError(f"{path}: a .dump file is made by pg_dump from a PostgreSQL gradebook, and this one is "
                          "SQLite; name the file .sqlite")
    path = path or fresh_name(folder, "gradebook", ".sqlite" if database else ".dump")
    return _write(db_url, path)


def _reason(err: Exception) -> str:
    """A database or file error in words: SQLAlchemy's first line of the driver's error, the system's reason."""
    if isinstance(err, sa.exc.SQLAlchemyError):
        text = str(getattr(err, "orig", None) or err).strip().splitlines()
        return text[0] if text else type(err).__name__
    if isinstance(err, OSError):
        return err.strerror or str(err)
    return str(err)


# ---------------------------------------------------------------------------------------------- restoring


def restore(path: Path, db_url: str, *, folder: Path, force: bool = False, course_id: str = "default_course",
            announce: Callable[[Written], None] | None = None) -> Restored:
    """Replace the gradebook at db_url with a backup; see the module docstring."""
    kind = check(path)
    where = redact(db_url)
    database = sqlite_file(db_url)
    if kind == "dump" and database is not None:
        raise BackupError(f"{path} is a PostgreSQL dump (pg_dump), which restores only into a PostgreSQL gradebook, "
                          f"and the gradebook at {where} is SQLite. To move a gradebook from PostgreSQL to SQLite, "
                          "back it up to a file name ending in .sqlite (empathy-ce gradebook backup NAME.sqlite) and "
                          "restore that; nothing was changed")
    try:
        held = data(counts(db_url))
    except sa.exc.SQLAlchemyError as err:
        raise GradebookError(f"cannot read the gradebook at {where}: {_reason(err)}") from None
    if held and not force:
        raise BackupError(refusal(where, held, folder))
    safety = None
    if held:
        safety = _write(db_url, fresh_name(folder, "gradebook-before-restore", ".sqlite" if database else ".dump"))
        if announce:
            announce(safety)
    failed = f"restoring {path} into {where} failed, and the gradebook was left as it was"
    try:
        if kind == "sqlite" and database is not None:
            database.parent.mkdir(parents=True, exist_ok=True)
            sqlite_copy(path, database)
        elif kind == "sqlite":
            create_schema(db_url, course_id)
            db_copy.copy(f"sqlite:///{path}", db_url, tables())
        else:
            error = _pg_tool("pg_restore", db_url, "--clean", "--if-exists", "--no-owner", "--no-privileges",
                             "--single-transaction", "--exit-on-error", str(path))
            if error is not None:
                raise GradebookError(f"{failed}: {error}")
        return Restored(counts(db_url), safety)
    except (*DATABASE_ERRORS, OSError) as err:
        raise GradebookError(f"{failed}: {_reason(err)}") from None


def create_schema(db_url: str, course_id: str) -> None:
    """nbgrader's Gradebook creates its schema (if missing) and stamps its revision with the `alembic` command."""
    from nbgrader.api import Gradebook

    try:
        Gradebook(db_url, course_id=course_id).close()
    except (OSError, subprocess.CalledProcessError) as err:
        raise GradebookError(f"nbgrader could not create its gradebook schema at {redact(db_url)}: {err}") from None


def refusal(where: str, held: dict[str, int], folder: Path) -> str:
    """Why a restore over existing data needs --force, and what happens with it."""
    listed = ", ".join(f"{n} {name}" for name, n in held.items())
    return (f"the gradebook at {where} already holds data (rows: {listed}); nothing was changed. To replace it, "
            f"run the restore again with --force: a safety backup of the current gradebook is written to {folder} "
            "first")
