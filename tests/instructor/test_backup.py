"""`empathy-ce gradebook backup` and `restore` (SQLite's backup API, pg_dump/pg_restore, and moves between the two),
proved by round trips through real nbgrader gradebooks.

The gradebook is nbgrader's own: the golden notebook released with `nbgrader generate_assignment`, three learners'
submissions autograded by `nbgrader autograde`, then the instructor's work through nbgrader's Gradebook API (as
formgrader does it): a manual score, a manual comment, names, a due date, an extension, a late penalty and a flag.
Every table is compared row by row with an independent reader; nbgrader's own `nbgrader db student list` and
Gradebook API read the restored gradebooks. PostgreSQL tests are skipped without a server (failed under CI=true).
"""

from __future__ import annotations

import datetime as dt
import gzip
import shutil
import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from nbgrader.api import Base, Gradebook
from support import golden
from support.course import Course
from support.hardening import tried
from support.instructor_course import make_course, postgres_database
from support.learners import answers_json

from empathy_ce import cli
from empathy_ce.instructor import release

pytestmark = [pytest.mark.slow, pytest.mark.hardening]

TEXT = "gold-post-text"  # nbgrader's grade id of the written-answer item
STAMP = "2026-03-02 10:00:00.000000 UTC"
REFLECTION = "It sounds as if the week wore you down."
COMMENT = "Good reflection: you named the feeling.\nNext time, also reflect the meaning. — Dr. Ngô"
LEARNERS = {"ada": {**golden.ALL_RIGHT, "gold.post.text": REFLECTION},
            "bo": {**golden.PARTIAL, "gold.post.text": REFLECTION}, "cy": golden.ALL_WRONG}
NAMES = {"ada": ("Ada", "Okafor", "ada@example.org"), "bo": ("Bo", "Lindqvist", None),
         "cy": ("Zoë", "Łukasiewicz", None)}


def sqlite_url(root: Path) -> str:
    return f"sqlite:///{root / 'gradebook.db'}"


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A course folder whose SQLite gradebook nbgrader filled: autograded and manually graded submissions."""
    with pytest.MonkeyPatch.context() as env:
        env.delenv("EMPATHY_CE_DB_URL", raising=False)
        root = make_course(tmp_path_factory.mktemp("backup") / "course")
        course = Course(root)
        course.add_source("gold", "gold", golden.notebook())
        assert all(step.ok for step in release.release(root, ["gold"]))
        released = root / "exercises" / "gold" / "gold.ipynb"
        for learner, values in LEARNERS.items():
            folder = root / "submitted" / learner / "gold"
            folder.mkdir(parents=True)
            (folder / "timestamp.txt").write_text(STAMP)
            (folder / "answers.json").write_text(answers_json(values))
            shutil.copy(released, folder / "gold.ipynb")
        course.nbgrader("autograde", "gold")
    with Gradebook(sqlite_url(root), course_id="therapeutic-empathy") as gb:  # formgrader's work
        for learner, (first, last, email) in NAMES.items():
            gb.update_or_create_student(learner, first_name=first, last_name=last, email=email)
        gb.update_or_create_assignment("gold", duedate=dt.datetime(2026, 3, 1, 23, 59, 59, 250000))
        for learner in ("ada", "bo"):
            grade = gb.find_grade(TEXT, "gold", "gold", learner)
            grade.manual_score = 1.5 if learner == "bo" else grade.max_score
            grade.needs_manual_grade = False
        gb.find_comment(TEXT, "gold", "gold", "ada").manual_comment = COMMENT
        gb.find_submission("gold", "bo").extension = dt.timedelta(days=2, hours=3, microseconds=7)
        notebook = gb.find_submission_notebook("gold", "gold", "bo")
        notebook.late_submission_penalty = 0.25
        notebook.flagged = True
        gb.db.commit()
    return root


def snapshot(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every nbgrader table, read independently of the code under test, sorted by primary key."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            found = {}
            for table in Base.metadata.sorted_tables:
                key = [c.name for c in table.primary_key.columns]
                rows = [row._mapping for row in conn.execute(sa.select(table))]
                found[table.name] = [tuple(r[c.name] for c in table.columns)
                                     for r in sorted(rows, key=lambda r: tuple(str(r[k]) for k in key))]
            return found
    finally:
        engine.dispose()


def copy_course(graded: Path, to: Path, *, gradebook: bool = True) -> Path:
    """A copy of the graded course folder, with or without its gradebook."""
    shutil.copytree(graded, to, ignore=None if gradebook else shutil.ignore_patterns("gradebook.db", "backups"))
    return to


def run(capsys: pytest.CaptureFixture[str], root: Path, *args: str) -> tuple[int, str, str]:
    code = cli.main(["--root", str(root), "gradebook", *args])
    out, err = capsys.readouterr()
    return code, out, err


def backed_up(graded: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[Path, dict, Path]:
    """A copy of the graded course, backed up: (the copy, its gradebook's rows, the backup file)."""
    source = copy_course(graded, tmp_path / "source")
    original = snapshot(sqlite_url(source))
    code, out, err = run(capsys, source, "backup")
    assert code == 0, err
    return source, original, written(out, "wrote ")


def written(out: str, prefix: str) -> Path:
    """The file a command's output names after prefix."""
    line = next(line for line in out.splitlines() if line.startswith(prefix))
    return Path(line[len(prefix):].split(" (")[0])


def assert_rich(rows: dict[str, list[tuple[Any, ...]]]) -> None:
    """The gradebook holds what the round trips must carry: every kind of value nbgrader stores."""
    tables = {t.name: [c.name for c in t.columns] for t in Base.metadata.sorted_tables}

    def column(table: str, name: str) -> list[Any]:
        return [r[tables[table].index(name)] for r in rows[table]]

    assert len(rows["student"]) == 3 and len(rows["submitted_assignment"]) == 3 and len(rows["grade"]) >= 18
    assert {"Zoë", "Ada"} <= set(column("student", "first_name"))
    assert 3.0 in column("grade", "auto_score") and 1.5 in column("grade", "manual_score")
    assert COMMENT in column("comment", "manual_comment") and any(column("comment", "auto_comment"))
    assert dt.datetime(2026, 3, 1, 23, 59, 59, 250000) in column("assignment", "duedate")
    assert dt.timedelta(days=2, hours=3, microseconds=7) in column("submitted_assignment", "extension")
    assert dt.datetime(2026, 3, 2, 10) in column("submitted_assignment", "timestamp")
    assert 0.25 in column("submitted_notebook", "late_submission_penalty")
    assert True in column("submitted_notebook", "flagged") and True in column("source_cell", "locked")
    assert "markdown" in column("grade_cells", "cell_type") or "code" in column("grade_cells", "cell_type")
    assert all(rows[t] for t in tables if t not in ("task_cells",))


def student_list(root: Path) -> str:
    return Course(root).nbgrader("db", "student", "list").stdout


def test_round_trip_on_sqlite(graded: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                              monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("EMPATHY_CE_DB_URL", raising=False)
    source = copy_course(graded, tmp_path / "source")
    before = snapshot(sqlite_url(source))
    assert_rich(before)

    code, out, err = run(capsys, source, "backup")
    assert code == 0, err
    path = written(out, "wrote ")
    assert path.parent == source / "backups" and path.name.startswith("gradebook-") and path.suffix == ".sqlite"
    assert f"({sum(map(len, before.values()))} rows from {sqlite_url(source)})" in out
    for name, rows in before.items():
        assert f"  {name:<22} {len(rows):>8} rows" in out
    assert snapshot(f"sqlite:///{path}") == before  # SQLite's own copy: a gradebook in its own right
    assert path.stat().st_mode & 0o777 == 0o600  # learner data: readable by the instructor only
    assert not list((source / "backups").glob(".*"))  # no part file left behind
    assert snapshot(sqlite_url(source)) == before  # a backup changes nothing

    target = copy_course(graded, tmp_path / "target", gradebook=False)  # a course with no gradebook yet
    with monkeypatch.context() as env:
        env.setenv("PATH", "/usr/bin:/bin")
        code, out, err = run(capsys, target, "restore", str(path))
    assert code == 0, err
    assert f"restored {path} into {sqlite_url(target)}" in out and "safety backup" not in out
    assert snapshot(sqlite_url(target)) == before  # every row of every table

    assert all(f"{learner} (" in student_list(target) for learner in LEARNERS)  # nbgrader's own CLI sees them
    with Gradebook(sqlite_url(target), course_id="therapeutic-empathy") as gb:  # and formgrader's API
        assert gb.find_grade(TEXT, "gold", "gold", "bo").score == 1.5
        assert gb.find_comment(TEXT, "gold", "gold", "ada").comment == COMMENT
        assert gb.find_student("cy").first_name == "Zoë"
        assert gb.find_submission("gold", "ada").score == gb.find_assignment("gold").max_score

    fresh = copy_course(graded, tmp_path / "fresh", gradebook=False)  # an empty gradebook made by nbgrader
    Gradebook(sqlite_url(fresh), course_id="therapeutic-empathy").close()
    code, out, err = run(capsys, fresh, "restore", str(path))
    assert code == 0, err
    assert snapshot(sqlite_url(fresh)) == before

    named = tmp_path / "named.db"  # a backup at a chosen path restores the same
    code, out, err = run(capsys, source, "backup", str(named))
    assert code == 0 and written(out, "wrote ") == named, err
    code, out, err = run(capsys, fresh, "restore", "--force", str(named))
    assert code == 0 and snapshot(sqlite_url(fresh)) == before, err


def pg_execute(url: str, statement: str) -> None:
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text(statement))
    finally:
        engine.dispose()


def test_round_trip_on_postgresql_and_across(graded: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                             monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("EMPATHY_CE_DB_URL", raising=False)
    _, original, from_sqlite = backed_up(graded, tmp_path, capsys)

    with postgres_database() as first, postgres_database() as second:
        moved = copy_course(graded, tmp_path / "moved", gradebook=False)
        monkeypatch.setenv("EMPATHY_CE_DB_URL", first)  # the course moves its gradebook to PostgreSQL
        code, out, err = run(capsys, moved, "restore", str(from_sqlite))
        assert code == 0, err
        assert snapshot(first) == original
        assert not (moved / "gradebook.db").exists()
        assert all(f"{learner} (" in student_list(moved) for learner in LEARNERS)

        with Gradebook(first, course_id="therapeutic-empathy") as gb:  # grading carries on there
            gb.find_grade(TEXT, "gold", "gold", "cy").manual_score = 0.5
            gb.find_comment(TEXT, "gold", "gold", "cy").manual_comment = "Sehr gut — ✓"
            gb.update_or_create_student("dee", first_name="Dee", last_name="Ó Súilleabháin")
            gb.db.commit()
        on_postgres = snapshot(first)
        assert on_postgres != original

        # A move that fails halfway (the disk fills up) leaves PostgreSQL as it was, after a safety dump.
        pg_execute(first, "CREATE FUNCTION full_disk() RETURNS trigger LANGUAGE plpgsql AS "
                          "$$ BEGIN RAISE EXCEPTION 'disk is full'; END $$")
        pg_execute(first, "CREATE TRIGGER full_disk BEFORE INSERT ON grade FOR EACH ROW EXECUTE FUNCTION full_disk()")
        code, out, err = run(capsys, moved, "restore", "--force", str(from_sqlite))
        assert code == 1 and err.startswith(f"error: restoring {from_sqlite} into postgresql+psycopg://empathy_ce:***@")
        assert err.endswith("failed, and the gradebook was left as it was: disk is full\n"), err
        assert snapshot(first) == on_postgres
        safety = written(out, "safety backup of the gradebook being replaced: ")
        assert safety.suffix == ".dump" and safety.read_bytes().startswith(b"PGDMP")
        pg_execute(first, "DROP TRIGGER full_disk ON grade")

        code, out, err = run(capsys, moved, "backup")
        assert code == 0, err
        from_postgres = written(out, "wrote ")
        assert from_postgres.suffix == ".dump" and from_postgres.read_bytes().startswith(b"PGDMP")  # pg_dump's
        assert from_postgres.stat().st_mode & 0o777 == 0o600
        assert "rows from postgresql+psycopg://empathy_ce:***@" in out and ":empathy_ce@" not in out

        monkeypatch.setenv("EMPATHY_CE_DB_URL", second)  # PostgreSQL to PostgreSQL, with pg_restore
        code, out, err = run(capsys, moved, "restore", str(from_postgres))
        assert code == 0, err
        assert snapshot(second) == on_postgres
        with Gradebook(second, course_id="therapeutic-empathy") as gb:
            assert gb.find_grade(TEXT, "gold", "gold", "cy").score == 0.5
            assert gb.find_student("dee").last_name == "Ó Súilleabháin"

        back = copy_course(graded, tmp_path / "back", gradebook=False)  # and back to SQLite
        monkeypatch.delenv("EMPATHY_CE_DB_URL")
        code, out, err = run(capsys, back, "restore", str(from_postgres))  # a dump restores only into PostgreSQL
        assert code == 2 and "is a PostgreSQL dump (pg_dump), which restores only into a PostgreSQL gradebook" in err
        assert "empathy-ce gradebook backup NAME.sqlite" in err and not (back / "gradebook.db").exists()
        monkeypatch.setenv("EMPATHY_CE_DB_URL", second)
        code, out, err = run(capsys, moved, "backup", str(tmp_path / "way-back.sqlite"))
        assert code == 0, err
        monkeypatch.delenv("EMPATHY_CE_DB_URL")
        code, out, err = run(capsys, back, "restore", str(tmp_path / "way-back.sqlite"))
        assert code == 0, err
        assert snapshot(sqlite_url(back)) == on_postgres
        assert "dee (" in student_list(back)


def test_restore_over_data_needs_force_and_a_safety_backup_first(graded: Path, tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str],
                                                                 monkeypatch: pytest.MonkeyPatch,
                                                                 request: pytest.FixtureRequest):
    monkeypatch.delenv("EMPATHY_CE_DB_URL", raising=False)
    source, original, path = backed_up(graded, tmp_path, capsys)

    target = copy_course(graded, tmp_path / "target")  # a gradebook where grading went on
    with Gradebook(sqlite_url(target), course_id="therapeutic-empathy") as gb:
        gb.find_grade(TEXT, "gold", "gold", "cy").manual_score = 2.0
        gb.update_or_create_student("eve", first_name="Eve")
        gb.db.commit()
    current = snapshot(sqlite_url(target))
    stored = (target / "gradebook.db").read_bytes()

    code, out, err = run(capsys, target, "restore", str(path))
    assert code == 2 and out == ""
    assert err.startswith(f"error: the gradebook at {sqlite_url(target)} already holds data (rows: ")
    assert "4 student" in err and "3 submitted_assignment" in err and "nothing was changed" in err
    assert "--force" in err and str(target / "backups") in err
    assert (target / "gradebook.db").read_bytes() == stored and not (target / "backups").exists()

    with closing(sqlite3.connect(target / "gradebook.db")) as db:  # formgrader is saving a grade right now
        db.execute("BEGIN IMMEDIATE")
        code, out, err = run(capsys, target, "restore", "--force", str(path))
        db.rollback()
    assert code == 1 and err == f"error: restoring {path} into {sqlite_url(target)} failed, and the gradebook was " \
        "left as it was: database is locked\n"
    assert snapshot(sqlite_url(target)) == current
    assert written(out, "safety backup of the gradebook being replaced: ").exists()

    code, out, err = run(capsys, target, "restore", "--force", str(path))
    assert code == 0, err
    safety = written(out, "safety backup of the gradebook being replaced: ")
    assert out.index("safety backup") < out.index("restored ")
    assert safety.parent == target / "backups" and safety.name.startswith("gradebook-before-restore-")
    assert snapshot(sqlite_url(target)) == original

    code, out, err = run(capsys, target, "restore", "--force", str(safety))  # the safety backup restores
    assert code == 0, err
    assert snapshot(sqlite_url(target)) == current
    assert len(list((target / "backups").glob("gradebook-before-restore-*.sqlite"))) == 3  # none overwritten

    code, _, err = run(capsys, source, "backup", str(path))  # a backup never overwrites a file
    assert code == 2 and err == f"error: {path} already exists; choose another file name (backups are never " \
        "overwritten)\n"
    gone = copy_course(graded, tmp_path / "nothing", gradebook=False)
    code, _, err = run(capsys, gone, "backup")
    assert code == 1 and err.startswith(f"error: there is no gradebook at {sqlite_url(gone)}")
    assert not (gone / "gradebook.db").exists() and not (gone / "backups").exists()
    tried(request, bad_inputs=3)


def edited(path: Path, to: Path, *statements: str) -> Path:
    """A copy of an SQLite backup changed by SQL statements (foreign keys not enforced, as in a hand edit)."""
    shutil.copy(path, to)
    with closing(sqlite3.connect(to)) as db:
        for statement in statements:
            db.execute(statement)
        db.commit()
    return to


def test_bad_backup_files_are_refused_and_change_nothing(graded: Path, tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str],
                                                         monkeypatch: pytest.MonkeyPatch,
                                                         request: pytest.FixtureRequest):
    monkeypatch.delenv("EMPATHY_CE_DB_URL", raising=False)
    source = copy_course(graded, tmp_path / "source")
    code, out, err = run(capsys, source, "backup")
    assert code == 0, err
    good = written(out, "wrote ")
    content = good.read_bytes()
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "truncated.sqlite").write_bytes(content[: len(content) // 2])
    damaged = bytearray(content)
    damaged[4096 * 3: 4096 * 3 + 512] = b"\x5a" * 512  # a page overwritten in the middle
    (bad / "damaged.sqlite").write_bytes(bytes(damaged))
    (bad / "notes.txt").write_text("Gradebook backed up on Monday, see the shared drive.\n")
    (bad / "empty.sqlite").write_bytes(b"")
    (bad / "answers.json").write_text(answers_json(golden.ALL_RIGHT))
    (bad / "dump-start.dump").write_bytes(b"PGDMP" + b"\x00" * 64)
    (bad / "earlier-format.json.gz").write_bytes(gzip.compress(b'{"format": "empathy-ce/gradebook-backup"}'))
    (bad / "folder.sqlite").mkdir()
    with closing(sqlite3.connect(bad / "other.sqlite")) as db:
        db.execute("CREATE TABLE recipes (name TEXT)")
    cases = {
        bad / "truncated.sqlite": "the SQLite file is damaged",
        bad / "damaged.sqlite": "the SQLite file is damaged",
        bad / "notes.txt": "it is neither an SQLite gradebook backup nor a PostgreSQL dump",
        bad / "empty.sqlite": "the file is empty",
        bad / "answers.json": "it is neither an SQLite gradebook backup nor a PostgreSQL dump",
        bad / "dump-start.dump": "the PostgreSQL dump is damaged",
        bad / "other.sqlite": "it is an SQLite database but not an nbgrader gradebook: it has no table",
        edited(good, bad / "column.sqlite", "ALTER TABLE grade RENAME COLUMN manual_score TO manual_scor"):
            "table 'grade' lacks column 'manual_score' that nbgrader 0.9.6's gradebook has",
        edited(good, bad / "revision.sqlite", "UPDATE alembic_version SET version_num = 'abc123'"):
            "its gradebook schema revision is 'abc123', and nbgrader 0.9.6 uses",
        edited(good, bad / "dangling.sqlite", f"UPDATE grade SET notebook_id = '{'0' * 32}' WHERE rowid = 1"):
            "table 'grade', row 1 refers to a submitted_notebook row that is not in the backup",
        bad / "earlier-format.json.gz": "it is neither an SQLite gradebook backup nor a PostgreSQL dump",
        bad / "folder.sqlite": "cannot read",
        bad / "missing.sqlite": "cannot read",
    }

    target = copy_course(graded, tmp_path / "target")
    with Gradebook(sqlite_url(target), course_id="therapeutic-empathy") as gb:
        gb.update_or_create_student("eve", first_name="Eve")
        gb.db.commit()
    current = snapshot(sqlite_url(target))
    stored = (target / "gradebook.db").read_bytes()
    for path, reason in cases.items():
        code, out, err = run(capsys, target, "restore", "--force", str(path))
        assert code == 2 and out == "", (path, out, err)
        assert err.startswith("error: ") and str(path) in err and reason in err, (path, err)
        assert (target / "gradebook.db").read_bytes() == stored and not (target / "backups").exists(), path
    assert snapshot(sqlite_url(target)) == current
    assert good.read_bytes() == content  # checking a backup never writes to it

    code, out, err = run(capsys, target, "restore", "--force", str(good))  # the good file still restores
    assert code == 0, err
    assert snapshot(sqlite_url(target)) == snapshot(sqlite_url(source))
    tried(request, bad_inputs=len(cases))
