"""`empathy-ce`: the course's commands, on top of nbgrader's own."""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

from . import course as course_model
from .grading.config import ConfigTypoError, check_file


def _bin(name: str) -> str:
    """A console script from this environment, so the commands work without activating it."""
    here = Path(sys.executable).parent / name
    return str(here) if here.exists() else (shutil.which(name) or name)


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    return env


def check_config(root: Path) -> None:
    try:
        check_file(root / "nbgrader_config.py")
    except ConfigTypoError as err:
        raise SystemExit(f"error: {err}") from None


def cmd_check(args: argparse.Namespace) -> int:
    root = course_model.find_root(args.root)
    check_config(root)
    course = course_model.load(root)
    print(f"{root / 'nbgrader_config.py'}: OK; {len(course.modules)} modules, {course.contact_hours:g} contact hours")
    return 0


def cmd_release(args: argparse.Namespace) -> int:
    """Regenerate learner notebooks in exercises/ from solutions/ with nbgrader."""
    root = course_model.find_root(args.root)
    check_config(root)
    modules = args.modules or [m.id for m in course_model.load(root).modules]
    failed = []
    for module in modules:
        result = subprocess.run([_bin("nbgrader"), "generate_assignment", module, "--force"], cwd=root, env=_env())
        if result.returncode:
            failed.append(module)
    if failed:
        print(f"error: release failed for {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


def cmd_start(args: argparse.Namespace) -> int:
    """JupyterLab on the course folder, with nbgrader's formgrader and assignment list."""
    root = course_model.find_root(args.root)
    check_config(root)
    (root / "exchange").mkdir(exist_ok=True)
    os.chdir(root)
    extra = args.lab_args[1:] if args.lab_args[:1] == ["--"] else args.lab_args
    if os.geteuid() == 0 and "--allow-root" not in extra:  # containers and CI machines often run as root
        extra = [*extra, "--allow-root"]
    command = [_bin("jupyter"), "lab", f"--ServerApp.root_dir={root}", *extra]
    os.execve(command[0], command, _env())
    return 0  # not reached


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="empathy-ce", description=__doc__)
    parser.add_argument("--root", type=Path, default=None, help="course folder (default: found from here)")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("check", help="check nbgrader_config.py strictly and load the course description")
    release = sub.add_parser("release", help="regenerate exercises/ from solutions/ with nbgrader")
    release.add_argument("modules", nargs="*")
    start = sub.add_parser("start", help="start JupyterLab on the course with nbgrader ready")
    start.add_argument("lab_args", nargs=argparse.REMAINDER, help="passed on to jupyter lab")
    args = parser.parse_args(argv)
    return {"check": cmd_check, "release": cmd_release, "start": cmd_start}[args.command](args)


if __name__ == "__main__":
    raise SystemExit(main())
