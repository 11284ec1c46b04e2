"""share_engines(): nbgrader's Gradebooks share one SQLAlchemy engine per database, and see the database afresh.

configure() turns it on for every nbgrader command; nbgrader's own Gradebook makes a new engine each time.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from nbgrader import api
from nbgrader.api import Gradebook
from traitlets.config import Config

from empathy_ce.grading import config as grading_config
from empathy_ce.grading import engines


@pytest.fixture
def shared(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(api, "create_engine", api.create_engine)  # undone after the test
    monkeypatch.setattr(engines, "_engines", {})
    grading_config.configure(Config(), Path("."))  # as nbgrader_config.py does


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "gradebook.db"
    with Gradebook(f"sqlite:///{path}") as gb:  # nbgrader runs alembic for a new database: once
        gb.add_student("ann")
    return path


def copy(template: Path, folder: Path) -> str:
    folder.mkdir(exist_ok=True)
    shutil.copy(template, folder / "gradebook.db")
    return f"sqlite:///{folder / 'gradebook.db'}"


def test_one_engine_per_database(shared: None, template: Path, tmp_path: Path):
    first, other = copy(template, tmp_path / "a"), copy(template, tmp_path / "b")
    with Gradebook(first) as one, Gradebook(first, "course") as two, Gradebook(other) as three:
        assert one.engine is two.engine and one.engine is not three.engine
        assert one.db is not two.db  # each Gradebook keeps its own session
        assert [s.id for s in two.students] == ["ann"]


def test_without_configure_nbgrader_makes_an_engine_each_time(template: Path, tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("EMPATHY_CE_SHARED_ENGINES", "0")
    # nbgrader's own create_engine, even if another test in this process has already configured nbgrader
    monkeypatch.setattr(api, "create_engine", getattr(api.create_engine, "original", api.create_engine))
    grading_config.configure(Config(), Path("."))
    url = copy(template, tmp_path)
    with Gradebook(url) as one, Gradebook(url) as two:
        assert one.engine is not two.engine


def test_a_replaced_database_file_is_seen(shared: None, template: Path, tmp_path: Path):
    url = copy(template, tmp_path)
    with Gradebook(url) as gb:
        gb.add_student("bea")
    left_open = Gradebook(url)  # never closed: its connection must not be handed to the next Gradebook
    assert len(left_open.students) == 2
    left_open.db.commit()
    os.replace(tmp_path / "gradebook.db", tmp_path / "old.db")
    shutil.copy(template, tmp_path / "gradebook.db")  # e.g. restored from a backup
    with Gradebook(url) as gb:
        assert [s.id for s in gb.students] == ["ann"]
    left_open.db.remove()


def test_a_forked_process_makes_its_own_engine(shared: None, template: Path, tmp_path: Path):
    url = copy(template, tmp_path)
    with Gradebook(url) as gb:
        parent = id(gb.engine)
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: a new engine, not the parent's pool
        try:
            with Gradebook(url) as gb:
                os.write(write, b"new" if id(gb.engine) != parent and len(engines._engines) == 2 else b"old")
        finally:
            os._exit(0)
    os.waitpid(pid, 0)
    assert os.read(read, 3) == b"new"
