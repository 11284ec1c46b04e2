"""`empathy-ce`: the course's commands, on top of nbgrader's own.

The parser and main are here; each command lives in the module of its workflow step: course.py (check, release,
start), grading.py (collect, grade, feedback), records.py (report, certificates, retake, attempts, gradebook);
what they share is in common.py.
"""

from __future__ import annotations

import argparse
import gc
import sys
from pathlib import Path
from typing import NoReturn

from . import startup  # noqa: F401  (first: see startup.py)
from .common import _use_this_environment
from .course import cmd_check, cmd_release, cmd_start
from .grading import cmd_collect, cmd_feedback, cmd_grade
from .records import cmd_attempts, cmd_certificates, cmd_gradebook, cmd_report, cmd_retake

__all__ = ["main", "run"]

DESCRIPTION = "`empathy-ce`: the course's commands, on top of nbgrader's own."


def main(argv: list[str] | None = None) -> int:
    _use_this_environment()
    parser = argparse.ArgumentParser(prog="empathy-ce", description=DESCRIPTION)
    parser.add_argument("--root", type=Path, default=None, help="course folder (default: found from here)")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("check", help="check nbgrader_config.py strictly and load the course description")
    release = sub.add_parser("release", help="regenerate exercises/ from solutions/ with nbgrader")
    release.add_argument("modules", nargs="*")
    release.add_argument("--exchange", action="store_true",
                         help="also release to nbgrader's exchange for learners to fetch (release_assignment)")
    start = sub.add_parser("start", help="start JupyterLab on the course with nbgrader ready")
    # JupyterLab's everyday options work directly; any other JupyterLab option goes after `--`.
    start.add_argument("--port", type=int, help="port to serve JupyterLab on (default 8888 or the next free one)")
    start.add_argument("--ip", help="address to listen on (default localhost)")
    start.add_argument("--no-browser", action="store_true", help="do not open a web browser")
    start.add_argument("lab_args", nargs=argparse.REMAINDER,
                       help="other jupyter lab options, after --, e.g. -- --ServerApp.token=secret")

    collect = sub.add_parser("collect", help="collect submissions from the exchange (nbgrader collect --update)")
    collect.add_argument("modules", nargs="*", help="modules to collect (default: all)")

    grade = sub.add_parser("grade", help="autograde collected submissions in parallel (nbgrader's Autograde)")
    grade.add_argument("modules", nargs="*", help="modules to grade (default: all)")
    grade.add_argument("--student", action="append", help="only this learner (repeatable)")
    grade.add_argument("--force", action="store_true", help="regrade submissions already graded")
    grade.add_argument("--workers", type=int, default=None, help="worker processes (default: CPUs, at most 4)")
    grade.add_argument("--kernels", type=int, default=None, help="kernels at once (default: 2 or fewer)")
    grade.add_argument("--kernel-only", action="store_true", help="run every notebook in a kernel")
    grade.add_argument("--no-progress", action="store_true", help="no progress bar")
    grade.add_argument("-v", "--verbose", action="store_true", help="also print nbgrader's warnings per learner")

    feedback = sub.add_parser("feedback", help="HTML feedback for graded submissions (nbgrader generate_feedback)")
    feedback.add_argument("modules", nargs="*", help="modules (default: all)")
    feedback.add_argument("--student", action="append", help="only this learner (repeatable)")
    feedback.add_argument("--force", action="store_true", help="rewrite feedback that is up to date")
    feedback.add_argument("--workers", type=int, default=None, help="worker processes")
    feedback.add_argument("--exchange", action="store_true", help="also release it (nbgrader release_feedback)")
    feedback.add_argument("--no-progress", action="store_true", help="no progress bar")

    report = sub.add_parser("report", help="gradebook report: HTML with figures, CSV tables, LMS export")
    report.add_argument("--out", type=Path, default=None, help="folder (default: reports/)")

    retake = sub.add_parser("retake", help="release a post-test's next form (B) to learners who may retake it")
    retake.add_argument("module", help="module id, e.g. m1-trust")
    retake.add_argument("learners", nargs="+", help="learner ids")
    sub.add_parser("attempts", help="every learner's post-test attempts and which one counts")

    certs = sub.add_parser("certificates", help="certificates (PDF, signed badge, site verification data) for "
                           "learners who passed every module")
    certs.add_argument("--out", type=Path, default=None, help="folder (default: certificates/)")
    certs.add_argument("--draft", action="store_true",
                       help="allowed with placeholder provider details; every page is watermarked DRAFT")
    certs.add_argument("--new-key", action="store_true",
                       help="create the provider's badge-signing key (once; never replaces one)")
    certs.add_argument("--revoke", metavar="ID", help="revoke an issued certificate (with --reason)")
    certs.add_argument("--reason", help="why the certificate is revoked (kept in the register, not published)")

    gradebook = sub.add_parser("gradebook", help="back up or restore nbgrader's gradebook (SQLite or PostgreSQL)")
    gradebook_sub = gradebook.add_subparsers(dest="action", required=True)
    gradebook_backup = gradebook_sub.add_parser(
        "backup", help="back up the gradebook with the database's own tools (SQLite's backup API, pg_dump)")
    gradebook_backup.add_argument("file", nargs="?", type=Path, default=None,
                                  help="backup file (default: backups/gradebook-YYYYmmdd-HHMMSS.sqlite, or .dump "
                                       "from PostgreSQL; a PostgreSQL gradebook backed up to NAME.sqlite can be "
                                       "restored into SQLite)")
    gradebook_restore = gradebook_sub.add_parser("restore", help="replace the gradebook with a backup")
    gradebook_restore.add_argument("file", type=Path, help="a file written by `empathy-ce gradebook backup`")
    gradebook_restore.add_argument("--force", action="store_true",
                                   help="replace a gradebook that holds data (a safety backup of it is written first)")
    args = parser.parse_args(argv)
    commands = {"check": cmd_check, "release": cmd_release, "start": cmd_start, "collect": cmd_collect,
                "grade": cmd_grade, "feedback": cmd_feedback, "report": cmd_report, "certificates": cmd_certificates,
                "gradebook": cmd_gradebook, "retake": cmd_retake, "attempts": cmd_attempts}
    from ..course import NoCourse  # (here: nothing may load before startup, which an import sorter would break)

    try:
        return commands[args.command](args)
    except NoCourse as err:
        raise SystemExit(f"error: {err}") from None


def run() -> NoReturn:
    """The `empathy-ce` command: main(), then an exit without Python's last sweep of the whole heap.

    As it exits, Python walks every object once more looking for reference cycles (about a quarter of a second
    once nbgrader is loaded), only to free memory the process is about to hand back. gc.freeze() moves the objects
    out of its way; output is flushed and exit handlers run as usual.
    """
    code = main()
    gc.freeze()
    sys.exit(code)
