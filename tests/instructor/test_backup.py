"""`empathy-ce gradebook backup` and `restore`, proved by round trips through real nbgrader gradebooks.

The gradebook is nbgrader's own: the golden notebook released with `nbgrader generate_assignment`, three learners'
submissions autograded by `nbgrader autograde`, then the instructor's work through nbgrader's Gradebook API (as
formgrader does it): a manual score, a manual comment, names, a due date, an extension, a late penalty and a flag.
Every table is compared row by row with an independent reader; nbgrader's own `nbgrader db student list` and
Gradebook API read the restored gradebooks. PostgreSQL tests are skipped without a server (failed under CI=true).
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
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
from empathy_ce.instructor import backup, release

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


def document(path: Path) -> dict[str, Any]:
    return json.loads(gzip.decompress(path.read_bytes()))


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
    assert path.parent == source / "backups" and path.name.startswith("gradebook-") and path.suffixes[-2:] == \
        [".json", ".gz"]
    assert f"({sum(map(len, before.values()))} rows from {sqlite_url(source)})" in out
    for name, rows in before.items():
        assert f"  {name:<22} {len(rows):>8} rows" in out
    header = document(path)
    assert (header["format"], header["version"], header["nbgrader_version"]) == (backup.FORMAT, 1, "0.9.6")
    assert header["source"] == sqlite_url(source) and header["created"].endswith("Z")
    assert [t["name"] for t in header["tables"]] == [t.name for t in Base.metadata.sorted_tables]
    assert not list((source / "backups").glob(".*"))  # no temporary file left behind
    assert snapshot(sqlite_url(source)) == before  # a backup changes nothing

    target = copy_course(graded, tmp_path / "target", gradebook=False)  # a course with no gradebook yet
    with monkeypatch.context() as env:  # nbgrader stamps a new gradebook with `alembic`, found without PATH too
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

    named = tmp_path / "named.json"  # an uncompressed backup at a chosen path restores the same
    code, out, err = run(capsys, source, "backup", str(named))
    assert code == 0 and written(out, "wrote ") == named, err
    assert json.loads(named.read_text("utf-8"))["format"] == backup.FORMAT
    code, out, err = run(capsys, fresh, "restore", "--force", str(named))
    assert code == 0 and snapshot(sqlite_url(fresh)) == before, err


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

        code, out, err = run(capsys, moved, "backup")
        assert code == 0, err
        from_postgres = written(out, "wrote ")
        source_url = document(from_postgres)["source"]
        assert source_url.startswith("postgresql+psycopg://empathy_ce:***@") and ":empathy_ce@" not in source_url

        monkeypatch.setenv("EMPATHY_CE_DB_URL", second)  # PostgreSQL to PostgreSQL
        code, out, err = run(capsys, moved, "restore", str(from_postgres))
        assert code == 0, err
        assert snapshot(second) == on_postgres
        with Gradebook(second, course_id="therapeutic-empathy") as gb:
            assert gb.find_grade(TEXT, "gold", "gold", "cy").score == 0.5
            assert gb.find_student("dee").last_name == "Ó Súilleabháin"

        back = copy_course(graded, tmp_path / "back", gradebook=False)  # and back to SQLite
        monkeypatch.delenv("EMPATHY_CE_DB_URL")
        code, out, err = run(capsys, back, "restore", str(from_postgres))
        assert code == 0, err
        assert snapshot(sqlite_url(back)) == on_postgres
        assert "dee (" in student_list(back)


def test_postgresql_sequences_move_past_restored_ids():
    with postgres_database() as url:
        metadata = sa.MetaData()
        table = sa.Table("numbered", metadata, sa.Column("id", sa.Integer, primary_key=True),
                         sa.Column("label", sa.String(20)))
        engine = sa.create_engine(url)
        try:
            metadata.create_all(engine)
            with engine.begin() as conn:
                conn.execute(table.insert(), [{"id": n, "label": f"row {n}"} for n in (1, 2, 7)])
                assert backup.reset_sequences(conn, [table]) == ["public.numbered_id_seq"]
                assert conn.execute(table.insert().values(label="next").returning(table.c.id)).scalar() == 8
                assert backup.reset_sequences(conn, [t for t in Base.metadata.sorted_tables]) == []  # string ids
        finally:
            engine.dispose()


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

    with closing(sqlite3.connect(target / "gradebook.db")) as db:  # the disk fills up halfway through
        db.execute("CREATE TRIGGER full BEFORE INSERT ON grade BEGIN SELECT RAISE(ABORT, 'disk is full'); END")
    code, out, err = run(capsys, target, "restore", "--force", str(path))
    assert code == 1 and err == f"error: restoring {path} into {sqlite_url(target)} failed, and the gradebook was " \
        "left as it was: disk is full\n"
    assert snapshot(sqlite_url(target)) == current  # rolled back: no row deleted, none inserted
    assert written(out, "safety backup of the gradebook being replaced: ").exists()
    with closing(sqlite3.connect(target / "gradebook.db")) as db:
        db.execute("DROP TRIGGER full")

    code, out, err = run(capsys, target, "restore", "--force", str(path))
    assert code == 0, err
    safety = written(out, "safety backup of the gradebook being replaced: ")
    assert out.index("safety backup") < out.index("restored ")
    assert safety.parent == target / "backups" and safety.name.startswith("gradebook-before-restore-")
    assert snapshot(sqlite_url(target)) == original

    code, out, err = run(capsys, target, "restore", "--force", str(safety))  # the safety backup restores
    assert code == 0, err
    assert snapshot(sqlite_url(target)) == current
    assert len(list((target / "backups").glob("gradebook-before-restore-*.json.gz"))) == 3  # none overwritten

    code, _, err = run(capsys, source, "backup", str(path))  # a backup never overwrites a file
    assert code == 2 and err == f"error: {path} already exists; choose another file name (backups are never " \
        "overwritten)\n"
    gone = copy_course(graded, tmp_path / "nothing", gradebook=False)
    code, _, err = run(capsys, gone, "backup")
    assert code == 1 and err.startswith(f"error: there is no gradebook at {sqlite_url(gone)}")
    assert not (gone / "gradebook.db").exists() and not (gone / "backups").exists()
    tried(request, bad_inputs=3)


def edited(path: Path, to: Path, change: Any) -> Path:
    """A copy of a backup with its JSON document changed by change(document)."""
    data = document(path)
    change(data)
    to.write_bytes(gzip.compress(json.dumps(data).encode()))
    return to


def rename_table(data: dict[str, Any]) -> None:
    next(t for t in data["tables"] if t["name"] == "grade")["name"] = "grades"


def rename_column(data: dict[str, Any]) -> None:
    grade = next(t for t in data["tables"] if t["name"] == "grade")
    grade["columns"][grade["columns"].index("manual_score")] = "manual_scor"


def raise_score(data: dict[str, Any]) -> None:
    grade = next(t for t in data["tables"] if t["name"] == "grade")
    column = grade["columns"].index("manual_score")
    for row in grade["rows"]:
        row[column] = 99.0 if row[column] is not None else None


def raise_score_and_checksum(data: dict[str, Any]) -> None:
    grade = next(t for t in data["tables"] if t["name"] == "grade")
    grade["rows"][0][grade["columns"].index("needs_manual_grade")] = "no"
    data["sha256"] = backup.digest(data["tables"])


def dangling(data: dict[str, Any]) -> None:
    grade = next(t for t in data["tables"] if t["name"] == "grade")
    grade["rows"][0][grade["columns"].index("notebook_id")] = "0" * 32
    data["sha256"] = backup.digest(data["tables"])


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
    plain = gzip.decompress(content)
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "truncated.json.gz").write_bytes(content[: len(content) // 2])
    (bad / "truncated.json").write_bytes(plain[: len(plain) * 2 // 3])
    (bad / "notes.txt").write_text("Gradebook backed up on Monday, see the shared drive.\n")
    (bad / "gradebook.db").write_bytes((source / "gradebook.db").read_bytes())  # the database, not a backup
    (bad / "empty.json.gz").write_bytes(b"")
    (bad / "other.json").write_text(json.dumps({"format": "empathy-ce/answers", "version": 1, "items": {}}))
    cases = {
        bad / "truncated.json.gz": "the compressed data is incomplete or corrupted",
        bad / "truncated.json": "it is not valid JSON",
        bad / "notes.txt": "it is not valid JSON",
        bad / "gradebook.db": "it is not text",
        bad / "empty.json.gz": "it is not valid JSON",
        bad / "other.json": "its format is 'empathy-ce/answers'",
        edited(good, bad / "table.json.gz", rename_table): "a table 'grades' that nbgrader 0.9.6's gradebook",
        edited(good, bad / "column.json.gz", rename_column): "table 'grade' has a column 'manual_scor' that",
        edited(good, bad / "score.json.gz", raise_score): "do not match the SHA-256 recorded in it",
        edited(good, bad / "typed.json.gz", raise_score_and_checksum):
            "table 'grade', row 1, column 'needs_manual_grade' is 'no', not true or false",
        edited(good, bad / "dangling.json.gz", dangling): "refers to submitted_notebook ('" + "0" * 32,
        bad / "missing.json.gz": "cannot read",
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

    code, out, err = run(capsys, target, "restore", "--force", str(good))  # the good file still restores
    assert code == 0, err
    assert snapshot(sqlite_url(target)) == snapshot(sqlite_url(source))
    tried(request, bad_inputs=len(cases))
