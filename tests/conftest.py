"""Shared fixtures: an isolated Jupyter environment and throwaway nbgrader courses."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
# Screenshots the browser tests take for a person to look at: EMPATHY_CE_SHOTS names the folder (a temporary one
# otherwise, so a test run never writes outside the temporary area).
SHOTS = Path(os.environ.get("EMPATHY_CE_SHOTS") or Path(os.environ.get("TMPDIR", "/tmp")) / "empathy-ce-shots")
sys.path.insert(0, str(Path(__file__).parent))


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


@pytest.fixture(autouse=True)
def no_leaked_autograde_flag() -> Iterator[None]:
    """Each test starts outside autograde. nbgrader's utils.setenv leaves NBGRADER_EXECUTION set when an in-process
    autograde or validate raises (some tests reproduce such failures with stock nbgrader on purpose); the kernels
    of a later test in the same worker would then show no widgets. The project's own grader restores it
    (instructor/grade.py, CourseAutograde)."""
    os.environ.pop("NBGRADER_EXECUTION", None)
    yield


class Course:
    """A temporary nbgrader course using the project's real nbgrader_config.py."""

    def __init__(self, root: Path) -> None:
        self.root = root
        shutil.copy(ROOT / "nbgrader_config.py", root / "nbgrader_config.py")

    def add_source(self, assignment: str, name: str, nb: nbformat.NotebookNode) -> Path:
        path = self.root / "solutions" / assignment / f"{name}.ipynb"
        path.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, path)
        return path

    def nbgrader(self, *args: str, check: bool = True, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
        """Run a real nbgrader command in the course folder."""
        result = subprocess.run([str(BIN / "nbgrader"), *args], cwd=cwd or self.root, text=True,
                                capture_output=True, timeout=900)
        if check and result.returncode != 0:
            raise AssertionError(f"nbgrader {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
        return result

    @property
    def db_url(self) -> str:
        return f"sqlite:///{self.root / 'gradebook.db'}"


@pytest.fixture
def course(tmp_path: Path) -> Course:
    root = tmp_path / "course"
    root.mkdir()
    return Course(root)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Print how many bad inputs and attacks the hardening tests tried (see tests/hardening.py)."""
    from hardening import totals

    tests, bad, attacks = totals(terminalreporter.stats.get("passed", []))
    if tests:
        terminalreporter.write_line(f"hardening: {bad} bad inputs and {attacks} attacks tried by {tests} passing "
                                    "tests against the real pipeline; nothing lost, no score raised")
