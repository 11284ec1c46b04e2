"""Author and run the course: `check` (nbgrader_config.py and the course description), `release` (exercises/
from solutions/, optionally to the exchange) and `start` (JupyterLab with nbgrader ready)."""

from __future__ import annotations

import argparse
import os
import sys

from .. import course as course_model
from ..grading.sandbox import bwrap_problem
from .common import _bin, _modules, _setup_errors, check_config


def cmd_check(args: argparse.Namespace) -> int:
    root = course_model.find_root(args.root)
    check_config(root)
    course = course_model.load(root)
    from ..instructor.item_ids import duplicates

    problems = duplicates(course)
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    if problems:
        return 1
    print(f"{root / 'nbgrader_config.py'}: OK; {len(course.modules)} modules, {course.contact_hours:g} contact hours")
    return 0


def cmd_release(args: argparse.Namespace) -> int:
    """Regenerate learner notebooks in exercises/ from solutions/ with nbgrader; --exchange also releases them."""
    from ..instructor import release

    root = course_model.find_root(args.root)
    check_config(root)
    assignments = _modules(root, args.modules, every_retake=True, evaluation=True)
    steps = _setup_errors(lambda: release.release(root, assignments, exchange=args.exchange))
    for step in steps:
        if step.ok:
            done = "generated in exercises/" if step.step == "generate_assignment" else "released to the exchange"
            print(f"{step.module}: {done}")
        else:
            print(f"FAILED {step.module} ({step.step}): {step.message}", file=sys.stderr)
    failed = [s for s in steps if not s.ok]
    if failed:
        print(f"error: release failed for {', '.join(sorted({s.module for s in failed}))}", file=sys.stderr)
    return 1 if failed else 0


def cmd_start(args: argparse.Namespace) -> int:
    """JupyterLab on the course folder, with nbgrader's formgrader and assignment list."""
    root = course_model.find_root(args.root)
    check_config(root)
    (root / "exchange").mkdir(exist_ok=True)
    os.chdir(root)
    extra = args.lab_args[1:] if args.lab_args[:1] == ["--"] else args.lab_args
    direct = ([f"--port={args.port}"] if args.port is not None else []) + ([f"--ip={args.ip}"] if args.ip else [])
    extra = [*direct, *(["--no-browser"] if args.no_browser else []), *extra]
    problem = bwrap_problem("bwrap")
    if problem:
        print(f"note: autograde runs learner kernels only in a bubblewrap sandbox, which is not usable here "
              f"({problem}); install it (apt-get install bubblewrap) before autograding, or see the README's "
              "'Learner code at autograde'", file=sys.stderr)
    if os.geteuid() == 0 and "--allow-root" not in extra:  # containers and CI machines often run as root
        extra = [*extra, "--allow-root"]
    # JupyterLab's custom CSS, from this package (static/custom.css), hides the course's item and setup code.
    from importlib.resources import files

    custom = files("empathy_ce").joinpath("static")
    # No "Jupyter news?" prompt and no update check for learners (clinicians; the machine may be offline): the
    # server fetches nothing, and JupyterLab's defaults (lab_settings/overrides.json; this environment has no
    # settings folder of its own) do not ask. A learner's own settings, and options after `--`, still win.
    quiet = ["--LabApp.news_url=None", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
             f"--LabApp.app_settings_dir={files('empathy_ce').joinpath('lab_settings')}"]
    command = [_bin("jupyter"), "lab", f"--ServerApp.root_dir={root}", "--LabApp.custom_css=True",
               f"--ServerApp.tornado_settings=static_custom_path={custom}", *quiet, *extra]
    os.execve(command[0], command, os.environ)
    return 0  # not reached
