"""The course description: course/course.yml and one course/modules/<id>.yml per module."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml


@dataclass(frozen=True)
class Form:
    """One parallel form of a module's post-test. Form A is the module's own assignment (folder = module id);
    later forms (``forms:`` in course/modules/<id>.yml) are nbgrader assignments of their own, released only to
    learners who retake the post-test (README, "Attempts and retakes")."""

    name: str  # "A", "B", ...
    assignment: str  # nbgrader assignment id (folder of solutions/ and exercises/)
    posttest: str  # notebook name, without .ipynb


@dataclass(frozen=True)
class Module:
    id: str
    title: str
    contact_hours: float
    objectives: dict[str, str]
    practice: list[str]
    posttest: str
    data: str | None = None
    figures: list[str] = field(default_factory=list)
    forms: list[Form] = field(default_factory=list)  # form A first; empty only for modules built by hand

    def notebooks(self) -> list[str]:
        """The notebooks of the module's own assignment (form A's post-test; retake forms are not counted here,
        so contact hours and page previews never count a retake form twice)."""
        return [*self.practice, self.posttest, *([self.data] if self.data else [])]

    def retakes(self) -> list[Form]:
        """The forms after A, each its own nbgrader assignment."""
        return [form for form in self.forms if form.assignment != self.id]


@dataclass(frozen=True)
class Course:
    root: Path
    title: str
    pass_mark: float
    delivery: str
    provider: dict[str, str]
    modules: list[Module]
    raw: dict[str, Any]

    def source(self, module: Module, notebook: str) -> Path:
        return self.root / "solutions" / module.id / f"{notebook}.ipynb"

    def release(self, module: Module, notebook: str) -> Path:
        return self.root / "exercises" / module.id / f"{notebook}.ipynb"

    def form_source(self, form: Form) -> Path:
        return self.root / "solutions" / form.assignment / f"{form.posttest}.ipynb"

    def form_release(self, form: Form) -> Path:
        return self.root / "exercises" / form.assignment / f"{form.posttest}.ipynb"

    def retake_assignments(self) -> dict[str, tuple[Module, Form]]:
        """Retake assignment id -> (module, form)."""
        return {form.assignment: (module, form) for module in self.modules for form in module.retakes()}

    @property
    def contact_hours(self) -> float:
        return sum(m.contact_hours for m in self.modules)


class NoCourse(FileNotFoundError):
    """No course folder where one was looked for (the command line says so in one line)."""


def find_root(start: Path | None = None) -> Path:
    """The course root: the nearest folder at or above start holding nbgrader_config.py and course/."""
    start = (start or Path.cwd()).resolve()
    for folder in [start, *start.parents]:
        if (folder / "nbgrader_config.py").exists() and (folder / "course" / "course.yml").exists():
            return folder
    raise NoCourse(f"no course (nbgrader_config.py and course/course.yml) at or above {start}; run the command in "
                   "the course folder or give it with --root")


# libyaml's parser when PyYAML has it (its wheels do): the same safe loading, about ten times faster, and the
# course files are read by every instructor command.
_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _yaml(path: Path) -> Any:
    return yaml.load(path.read_text("utf-8"), Loader=_SafeLoader)


def load(root: Path | None = None) -> Course:
    root = find_root(root)
    raw = _yaml(root / "course" / "course.yml")
    modules = []
    for module_id in raw["modules"]:
        data = _yaml(root / "course" / "modules" / f"{module_id}.yml")
        notebooks = data["notebooks"]
        forms = [Form("A", module_id, notebooks["posttest"])]
        forms += [Form(str(name), spec["assignment"], spec["posttest"])
                  for name, spec in (data.get("forms") or {}).items()]
        modules.append(Module(id=data["id"], title=data["title"], contact_hours=float(data["contact_hours"]),
                              objectives=dict(data["objectives"]), practice=list(notebooks["practice"]),
                              posttest=notebooks["posttest"], data=notebooks.get("data"),
                              figures=list(data.get("figures", [])), forms=forms))
    return Course(root=root, title=raw["title"], pass_mark=float(raw["pass_mark"]), delivery=raw["delivery"],
                  provider=dict(raw["provider"]), modules=modules, raw=raw)
