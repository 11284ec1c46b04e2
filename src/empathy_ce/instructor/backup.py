"""Back up nbgrader's gradebook to one portable file, and restore it, at any SQLAlchemy database URL.

A backup is a JSON document (gzip-compressed when the name ends in ``.gz``): format name and version, nbgrader's
version and schema revision, the creation time, the source URL without its password, and every row of every table
of nbgrader's schema in dependency order, read in one transaction. Values are made JSON-safe by column type
(datetimes as ISO strings, intervals as microseconds) and typed back from the same column types on restore. A
SHA-256 of the tables detects an edited file; gzip's own check detects a truncated or corrupted one.

Restore validates the whole file before it touches the target, creates the schema with nbgrader's own
``Gradebook``, then, in one transaction, writes a safety backup of any data it is about to replace (only with
``force``), deletes every row (children first) and inserts the backup's rows (parents first). Any error rolls the
transaction back, so the target is either fully restored or unchanged.
"""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import gzip
import hashlib
import json
import math
import os
import subprocess
import tempfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine, make_url

from .configuration import redact

FORMAT = "empathy-ce/gradebook-backup"
VERSION = 1
GZIP_MAGIC = b"\x1f\x8b"
# nbgrader writes a row here whenever it opens a gradebook, so these rows alone are not data worth a --force.
BOOKKEEPING = {"course"}


class BackupError(RuntimeError):
    """A backup file or request refused: invalid, tampered, or it would replace data without force."""


class GradebookError(RuntimeError):
    """The gradebook database could not be read or written; nothing was changed."""


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
    sequences: list[str] = field(default_factory=list)


@dataclass
class Backup:
    """A validated backup: its header and its rows, typed back to Python values, per table in dependency order."""

    path: Path
    header: dict[str, Any]
    rows: dict[str, list[dict[str, Any]]]

    @property
    def counts(self) -> dict[str, int]:
        """Rows per table."""
        return {name: len(rows) for name, rows in self.rows.items()}


def tables() -> list[sa.Table]:
    """nbgrader's gradebook tables, parents before children."""
    from nbgrader.api import Base

    return list(Base.metadata.sorted_tables)


def nbgrader_version() -> str:
    """The installed nbgrader's version."""
    import nbgrader

    return str(nbgrader.__version__)


# Values: JSON-safe by column type, and typed back (with checks) by the same column type.

def kind(column: sa.Column) -> str:
    """How a column's values are written in a backup."""
    t = column.type
    for cls, name in ((sa.Interval, "interval"), (sa.DateTime, "datetime"), (sa.Date, "date"), (sa.Time, "time"),
                      (sa.Boolean, "bool"), (sa.Enum, "enum"), (sa.Float, "float"), (sa.Numeric, "decimal"),
                      (sa.Integer, "int"), (sa.String, "str"), (sa.LargeBinary, "bytes"), (sa.JSON, "json")):
        if isinstance(t, cls):
            return name
    raise GradebookError(f"column {column.table.name}.{column.name} has a type ({t!r}) that backups cannot hold")


def encode(column: sa.Column, value: Any) -> Any:
    """A column value as JSON."""
    if value is None:
        return None
    how = kind(column)
    if how == "interval":
        return value // dt.timedelta(microseconds=1)
    if how in ("datetime", "date", "time"):
        return value.isoformat()
    if how == "float":
        value = float(value)
        return value if math.isfinite(value) else str(value)
    if how == "decimal":
        return str(value)
    if how == "bytes":
        return base64.b64encode(value).decode("ascii")
    if how == "enum" and not isinstance(value, str):
        return value.name
    return value


NON_FINITE = {"nan", "inf", "-inf"}


def decode(column: sa.Column, value: Any) -> Any:
    """A JSON value typed back for a column; ValueError says why it does not fit."""
    if value is None:
        if not column.nullable:
            raise ValueError("is empty, but the column requires a value")
        return None
    how = kind(column)
    if how in ("str", "enum"):
        if not isinstance(value, str):
            raise ValueError(f"is {type(value).__name__}, not text")
        length = getattr(column.type, "length", None)
        if length and len(value) > length:
            raise ValueError(f"is {len(value)} characters long, more than the column's {length}")
        if how == "enum" and value not in column.type.enums:  # type: ignore[attr-defined]
            raise ValueError(f"{value!r} is not one of {', '.join(column.type.enums)}")  # type: ignore[attr-defined]
        return value
    if how == "bool":
        if not isinstance(value, bool):
            raise ValueError(f"is {value!r}, not true or false")
        return value
    if how in ("int", "interval"):
        if not isinstance(value, int) or isinstance(value, bool):
            raise ValueError(f"is {value!r}, not a whole number")
        return dt.timedelta(microseconds=value) if how == "interval" else value
    if how == "float":
        if isinstance(value, str) and value in NON_FINITE:
            return float(value)
        if not isinstance(value, int | float) or isinstance(value, bool):
            raise ValueError(f"is {value!r}, not a number")
        return float(value)
    if how == "decimal":
        try:
            return decimal.Decimal(value if isinstance(value, str) else "x")
        except decimal.InvalidOperation:
            raise ValueError(f"is {value!r}, not a decimal number in text") from None
    if how in ("datetime", "date", "time"):
        parse = {"datetime": dt.datetime, "date": dt.date, "time": dt.time}[how].fromisoformat
        if not isinstance(value, str):
            raise ValueError(f"is {value!r}, not an ISO {how}")
        try:
            return parse(value)
        except ValueError:
            raise ValueError(f"is {value!r}, not an ISO {how}") from None
    if how == "bytes":
        try:
            return base64.b64decode(value if isinstance(value, str) else "?", validate=True)
        except ValueError:
            raise ValueError("is not base64 text") from None
    return value  # json


def digest(tables_json: list[dict[str, Any]]) -> str:
    """SHA-256 of the tables as canonical JSON."""
    text = json.dumps(tables_json, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False)
    return hashlib.sha256(text.encode("ascii")).hexdigest()


# Database access.

def engine(db_url: str, *, write: bool = False) -> Engine:
    """An engine whose transactions are real ones on SQLite too (pysqlite only begins them before writes)."""
    eng = sa.create_engine(db_url, future=True)
    if eng.dialect.name == "sqlite":
        begin = "BEGIN IMMEDIATE" if write else "BEGIN"

        @sa.event.listens_for(eng, "connect")
        def _no_implicit_transactions(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.isolation_level = None

        @sa.event.listens_for(eng, "begin")
        def _begin(connection: Connection) -> None:
            connection.exec_driver_sql(begin)

    return eng


@contextmanager
def connected(db_url: str, *, write: bool = False) -> Iterator[Connection]:
    """A connection in one transaction (a snapshot on PostgreSQL); committed on success, rolled back on error."""
    eng = engine(db_url, write=write)
    try:
        with eng.connect() as conn:
            if eng.dialect.name == "postgresql" and not write:
                conn = conn.execution_options(isolation_level="REPEATABLE READ")
            with conn.begin():
                yield conn
    finally:
        eng.dispose()


def sqlite_file(db_url: str) -> Path | None:
    """The file of a SQLite URL (None for other databases and in-memory SQLite)."""
    url = make_url(db_url)
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    return Path(url.database)


def present(conn: Connection) -> set[str]:
    """nbgrader's tables that exist in this database."""
    names = set(sa.inspect(conn).get_table_names())
    return {t.name for t in tables() if t.name in names}


def revision(conn: Connection) -> str | None:
    """The schema revision nbgrader recorded in this database, if any."""
    if "alembic_version" not in sa.inspect(conn).get_table_names():
        return None
    return conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()


def read_rows(conn: Connection, table: sa.Table) -> list[dict[str, Any]]:
    """Every row of a table, in primary-key order."""
    return [dict(row._mapping) for row in conn.execute(sa.select(table).order_by(*table.primary_key.columns))]


def read_all(conn: Connection) -> dict[str, list[dict[str, Any]]]:
    """Every row of every nbgrader table, parents first."""
    missing = [t.name for t in tables() if t.name not in present(conn)]
    if missing:
        raise GradebookError(f"it is not an nbgrader gradebook: no table {', '.join(missing)}")
    return {t.name: read_rows(conn, t) for t in tables()}


def counts(conn: Connection) -> dict[str, int]:
    """Rows per nbgrader table that exists."""
    there = present(conn)
    return {t.name: conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one()
            for t in tables() if t.name in there}


def data(found: dict[str, int]) -> dict[str, int]:
    """The tables holding data (not only the course rows nbgrader writes when it opens a gradebook)."""
    return {name: n for name, n in found.items() if n and name not in BOOKKEEPING}


def reset_sequences(conn: Connection, in_tables: list[sa.Table]) -> list[str]:
    """On PostgreSQL, move the sequence behind each integer autoincrement key past the restored ids."""
    if conn.dialect.name != "postgresql":
        return []
    quote = conn.dialect.identifier_preparer
    reset = []
    for table in in_tables:
        keys = list(table.primary_key.columns)
        for column in keys:
            if not isinstance(column.type, sa.Integer) or column.foreign_keys:
                continue
            if column.autoincrement is not True and not (column.autoincrement == "auto" and len(keys) == 1):
                continue
            name = quote.format_table(table)
            sequence = conn.execute(sa.text("SELECT pg_get_serial_sequence(:t, :c)"),
                                    {"t": name, "c": column.name}).scalar()
            if sequence:
                top = conn.execute(sa.select(sa.func.max(column))).scalar()
                conn.execute(sa.text("SELECT setval(:s, :v, :called)"),
                             {"s": sequence, "v": top if top is not None else 1, "called": top is not None})
                reset.append(sequence)
    return reset


# Files.

def to_json(path: Path, rows: dict[str, list[dict[str, Any]]], *, source: str, revision: str | None) -> bytes:
    """The backup document for these rows, compressed if the file name ends in .gz."""
    body = []
    for table in tables():
        columns = list(table.columns)
        body.append({"name": table.name, "columns": [c.name for c in columns],
                     "rows": [[encode(c, row[c.name]) for c in columns] for row in rows[table.name]]})
    document = {
        "format": FORMAT, "version": VERSION,
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "nbgrader_version": nbgrader_version(), "schema_revision": revision, "source": redact(source),
        "row_counts": {name: len(r) for name, r in rows.items()},
        "tables": body, "sha256": digest(body),
    }
    text = json.dumps(document, ensure_ascii=False, allow_nan=False, indent=1).encode("utf-8")
    return gzip.compress(text, mtime=0) if path.name.endswith(".gz") else text


def write_atomic(path: Path, content: bytes) -> None:
    """Write a file whole or not at all: a temporary file in the same folder, fsync, then rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(content)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    folder = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)


def fresh_name(folder: Path, stem: str) -> Path:
    """folder/stem-YYYYmmdd-HHMMSS.json.gz, with a counter if a file of that name exists."""
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    path = folder / f"{stem}-{stamp}.json.gz"
    number = 2
    while path.exists():
        path = folder / f"{stem}-{stamp}-{number}.json.gz"
        number += 1
    return path


def save(conn: Connection, path: Path, source: str) -> Written:
    """Write every row visible in this connection's transaction to a backup file."""
    rows = read_all(conn)
    write_atomic(path, to_json(path, rows, source=source, revision=revision(conn)))
    return Written(path, {name: len(r) for name, r in rows.items()})


def backup(db_url: str, path: Path | None = None, *, folder: Path) -> Written:
    """Back up the gradebook at db_url to path (default: a new dated file in folder) in one read transaction."""
    if path is not None and path.exists():
        raise BackupError(f"{path} already exists; choose another file name (backups are never overwritten)")
    path = path or fresh_name(folder, "gradebook")
    database = sqlite_file(db_url)
    if database is not None and not database.is_file():
        raise GradebookError(f"there is no gradebook at {redact(db_url)} (no file {database})")
    try:
        with connected(db_url) as conn:
            return save(conn, path, db_url)
    except OSError as err:
        raise GradebookError(f"cannot write {path}: {err.strerror or err}") from None
    except sa.exc.SQLAlchemyError as err:
        raise GradebookError(f"cannot read the gradebook at {redact(db_url)}: {_reason(err)}") from None
    except GradebookError as err:
        raise GradebookError(f"cannot back up {redact(db_url)}: {err}") from None


def _reason(err: sa.exc.SQLAlchemyError) -> str:
    text = str(getattr(err, "orig", None) or err).strip().splitlines()
    return text[0] if text else type(err).__name__


def load(path: Path) -> Backup:
    """Read and check a backup file completely; BackupError names the file and what is wrong with it."""
    def refuse(reason: str) -> BackupError:
        return BackupError(f"{path} is not a usable gradebook backup: {reason}; nothing was changed")

    try:
        raw = path.read_bytes()
    except OSError as err:
        raise BackupError(f"cannot read {path}: {err.strerror or err}") from None
    if raw.startswith(GZIP_MAGIC):
        try:
            raw = gzip.decompress(raw)
        except (EOFError, OSError, zlib.error) as err:
            raise refuse(f"the compressed data is incomplete or corrupted ({err}); the file may be truncated") \
                from None
    try:
        document = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise refuse("it is not text (neither JSON nor gzip-compressed JSON)") from None
    except json.JSONDecodeError as err:
        raise refuse(f"it is not valid JSON ({err.msg} at line {err.lineno}); the file may be truncated") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        found = document.get("format") if isinstance(document, dict) else None
        raise refuse(f"its format is {found!r}, not {FORMAT!r}")
    if type(document.get("version")) is not int or document["version"] != VERSION:
        raise refuse(f"it is format version {document.get('version')!r}; this empathy-ce reads version {VERSION}")
    body = document.get("tables")
    if not isinstance(body, list) or not all(isinstance(t, dict) for t in body):
        raise refuse("it has no list of tables")
    known = {t.name: t for t in tables()}
    seen: dict[str, dict[str, Any]] = {}
    for entry in body:
        name = entry.get("name")
        if name not in known:
            raise refuse(f"it holds a table {name!r} that nbgrader {nbgrader_version()}'s gradebook does not have")
        if name in seen:
            raise refuse(f"it lists table {name!r} twice")
        seen[name] = entry
        columns = entry.get("columns")
        if not isinstance(columns, list) or not all(isinstance(c, str) for c in columns):
            raise refuse(f"table {name!r} has no list of columns")
        unknown = [c for c in columns if c not in known[name].columns]
        if unknown:
            raise refuse(f"table {name!r} has a column {unknown[0]!r} that nbgrader's gradebook does not have")
        missing = [c.name for c in known[name].columns if c.name not in columns]
        if missing or len(set(columns)) != len(columns):
            raise refuse(f"table {name!r} lacks column {missing[0]!r}" if missing
                         else f"table {name!r} lists a column twice")
        rows = entry.get("rows")
        if not isinstance(rows, list) or not all(isinstance(r, list) and len(r) == len(columns) for r in rows):
            raise refuse(f"the rows of table {name!r} are not lists of {len(columns)} values")
    absent = [name for name in known if name not in seen]
    if absent:
        raise refuse(f"table {absent[0]!r} is missing")
    if document.get("sha256") != digest(body):
        raise refuse("its contents do not match the SHA-256 recorded in it (the file was edited or corrupted)")
    declared = document.get("row_counts")
    if declared != {name: len(entry["rows"]) for name, entry in seen.items()}:
        raise refuse("its row counts do not match its rows")
    typed: dict[str, list[dict[str, Any]]] = {}
    for table in tables():
        entry = seen[table.name]
        typed[table.name] = []
        for number, values in enumerate(entry["rows"], 1):
            row = {}
            for name, value in zip(entry["columns"], values, strict=True):
                try:
                    row[name] = decode(table.columns[name], value)
                except ValueError as err:
                    raise refuse(f"table {table.name!r}, row {number}, column {name!r} {err}") from None
            typed[table.name].append(row)
    problem = integrity(typed)
    if problem:
        raise refuse(problem)
    header = {k: v for k, v in document.items() if k not in ("tables", "sha256")}
    return Backup(path, header, typed)


def integrity(rows: dict[str, list[dict[str, Any]]]) -> str | None:
    """What breaks the schema's keys in these rows: a repeated primary key or a reference to a missing row."""
    keys: dict[str, set[tuple[Any, ...]]] = {}
    for table in tables():
        primary = [c.name for c in table.primary_key.columns]
        found = keys[table.name] = set()
        for row in rows[table.name]:
            key = tuple(row[c] for c in primary)
            if key in found:
                return f"table {table.name!r} holds the key {key} twice"
            found.add(key)
    for table in tables():
        for constraint in table.foreign_key_constraints:
            target = constraint.referred_table
            local = [c.name for c in constraint.columns]
            remote = [e.column.name for e in constraint.elements]
            if remote != [c.name for c in target.primary_key.columns]:
                continue
            for number, row in enumerate(rows[table.name], 1):
                key = tuple(row[c] for c in local)
                if None not in key and key not in keys[target.name]:
                    return (f"table {table.name!r}, row {number} refers to {target.name} {key}, "
                            "which is not in the backup")
    return None


def restore(path: Path, db_url: str, *, folder: Path, force: bool = False, course_id: str = "default_course",
            announce: Callable[[Written], None] | None = None) -> Restored:
    """Replace the gradebook at db_url with a backup's rows, in one transaction; see the module docstring."""
    found = load(path)
    where = redact(db_url)
    revision_there = None
    try:
        database = sqlite_file(db_url)
        if database is None or database.exists():
            with connected(db_url) as conn:
                held = data(counts(conn))
                revision_there = revision(conn)
            if held and not force:
                raise BackupError(refusal(where, held, folder))
        wanted = found.header.get("schema_revision")
        if revision_there and wanted and revision_there != wanted:
            raise BackupError(f"the backup {path} has nbgrader schema revision {wanted}, but the gradebook at {where} "
                              f"has {revision_there}; bring both to the same nbgrader version (nbgrader db upgrade) "
                              "first; nothing was changed")
        create_schema(db_url, course_id)
        with connected(db_url, write=True) as conn:
            if conn.dialect.name == "postgresql":
                names = ", ".join(conn.dialect.identifier_preparer.format_table(t) for t in tables())
                conn.execute(sa.text(f"LOCK TABLE {names} IN ACCESS EXCLUSIVE MODE"))
            held = data(counts(conn))
            if held and not force:
                raise BackupError(refusal(where, held, folder))
            safety = None
            if held:
                safety = save(conn, fresh_name(folder, "gradebook-before-restore"), db_url)
                if announce:
                    announce(safety)
            for table in reversed(tables()):
                conn.execute(table.delete())
            for table in tables():
                if found.rows[table.name]:
                    conn.execute(table.insert(), found.rows[table.name])
            sequences = reset_sequences(conn, tables())
    except (sa.exc.SQLAlchemyError, OSError) as err:
        reason = _reason(err) if isinstance(err, sa.exc.SQLAlchemyError) else str(err.strerror or err)
        raise GradebookError(f"restoring {path} into {where} failed, and the gradebook was left as it was: "
                             f"{reason}") from None
    return Restored(found.counts, safety, sequences)


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
