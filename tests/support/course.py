"""A throwaway nbgrader course that uses the project's real nbgrader_config.py."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import nbformat

from support import BIN, ROOT

NO_PROVIDER = '{name: "", approval_statement: "", approval_number: ""}'  # provider facts unset, as in a new course


def course_yml(title: str, module: str, provider: str = NO_PROVIDER) -> str:
    """course/course.yml of a one-module home-study course."""
    return f"title: {title}\ndelivery: home study\npass_mark: 0.75\nprovider: {provider}\nmodules: [{module}]\n"


def module_yml(module: str, title: str, objectives: str) -> str:
    """course/modules/<module>.yml of a module of one hour whose post-test is the notebook named like it;
    `objectives` in YAML's flow style, `{id: text, ...}`."""
    return (f"id: {module}\ntitle: {title}\ncontact_hours: 1.0\nobjectives: {objectives}\n"
            f"notebooks: {{practice: [], posttest: {module}}}\n")


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

    def describe(self, course_yml: str, module: str, module_yml: str) -> None:
        """The course description (course.yml and the module's file), so that the course's own plug-ins
        (ItemFeedback, the results) know the module: texts from course_yml() and module_yml()."""
        (self.root / "course" / "modules").mkdir(parents=True, exist_ok=True)
        (self.root / "course" / "course.yml").write_text(course_yml)
        (self.root / "course" / "modules" / f"{module}.yml").write_text(module_yml)

    @property
    def db_url(self) -> str:
        return f"sqlite:///{self.root / 'gradebook.db'}"
