"""A throwaway nbgrader course that uses the project's real nbgrader_config.py."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import nbformat

from support import BIN, ROOT


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
