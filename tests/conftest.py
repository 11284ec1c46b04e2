"""Shared fixtures: an isolated Jupyter environment, throwaway nbgrader courses and the one headless Chromium.

Helpers live in the ``support`` package (tests/support/); no test file imports another. ROOT, BIN, SHOTS and
Course are re-exported here for older imports (``from conftest import ROOT``); new code imports ``support``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

# tests/ is on sys.path (pyproject: pythonpath), so `support` imports from anywhere under tests/.
from support import BIN, ROOT, SHOTS
from support.browser import browser_fixture, serve_fixture  # noqa: F401 (the fixtures `browser` and `serve`)
from support.course import Course

__all__ = ["BIN", "ROOT", "SHOTS", "Course"]


@pytest.fixture(scope="session", autouse=True)
def jupyter_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """Keep Jupyter and IPython state out of the home folder for the whole run."""
    home = tmp_path_factory.mktemp("jupyter-home")
    env = {
        "JUPYTER_CONFIG_DIR": str(home / "config"),
        "JUPYTER_DATA_DIR": str(home / "data"),
        "IPYTHONDIR": str(home / "ipython"),
        "JUPYTER_PLATFORM_DIRS": "1",
        "PYDEVD_DISABLE_FILE_VALIDATION": "1",
    }
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    os.environ["PATH"] = f"{BIN}{os.pathsep}{os.environ['PATH']}"
    yield env
    for key, value in old.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@pytest.fixture(scope="session", autouse=True)
def alembic_heads_once() -> Iterator[None]:
    """nbgrader runs `alembic heads` (a new Python process: one to several seconds on a busy machine) for every new
    gradebook it creates. The answer is a constant of the installed nbgrader, so each test process asks once; the
    gradebooks are created exactly as before. nbgrader commands run as subprocesses are not affected."""
    import functools

    from nbgrader import api

    original = api.get_alembic_version
    api.get_alembic_version = functools.cache(original)
    yield
    api.get_alembic_version = original


@pytest.fixture(autouse=True)
def no_leaked_autograde_flag() -> Iterator[None]:
    """Each test starts outside autograde. nbgrader's utils.setenv leaves NBGRADER_EXECUTION set when an in-process
    autograde or validate raises (some tests reproduce such failures with stock nbgrader on purpose); the kernels
    of a later test in the same worker would then show no widgets. The project's own grader restores it
    (instructor/grade.py, CourseAutograde)."""
    os.environ.pop("NBGRADER_EXECUTION", None)
    yield


@pytest.fixture
def course(tmp_path: Path) -> Course:
    root = tmp_path / "course"
    root.mkdir()
    return Course(root)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Print how many bad inputs and attacks the hardening tests tried (see tests/support/hardening.py)."""
    from support.hardening import totals

    tests, bad, attacks = totals(terminalreporter.stats.get("passed", []))
    if tests:
        terminalreporter.write_line(f"hardening: {bad} bad inputs and {attacks} attacks tried by {tests} passing "
                                    "tests against the real pipeline; nothing lost, no score raised")
