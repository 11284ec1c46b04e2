"""`empathy-ce`: the course's commands, on top of nbgrader's own."""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from . import course as course_model
from .grading.config import ConfigTypoError, check_file
from .grading.sandbox import bwrap_problem

T = TypeVar("T")


def _bin(name: str) -> str:
    """A console script from this environment, so the commands work without activating it."""
    here = Path(sys.executable).parent / name
    return str(here) if here.exists() else (shutil.which(name) or name)


def _use_this_environment() -> None:
    """nbgrader runs `alembic` (and start runs `jupyter`) from PATH: this environment's, activated or not."""
    os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"


def check_config(root: Path) -> None:
    try:
        check_file(root / "nbgrader_config.py")
    except ConfigTypoError as err:
        raise SystemExit(f"error: {err}") from None


def cmd_check(args: argparse.Namespace) -> int:
    root = course_model.find_root(args.root)
    check_config(root)
    course = course_model.load(root)
    from .instructor.item_ids import duplicates

    problems = duplicates(course)
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    if problems:
        return 1
    print(f"{root / 'nbgrader_config.py'}: OK; {len(course.modules)} modules, {course.contact_hours:g} contact hours")
    return 0


def cmd_release(args: argparse.Namespace) -> int:
    """Regenerate learner notebooks in exercises/ from solutions/ with nbgrader; --exchange also releases them."""
    from .instructor import release

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
    command = [_bin("jupyter"), "lab", f"--ServerApp.root_dir={root}", "--LabApp.custom_css=True",
               f"--ServerApp.tornado_settings=static_custom_path={custom}", *extra]
    os.execve(command[0], command, os.environ)
    return 0  # not reached


def _modules(root: Path, chosen: list[str], *, every_retake: bool = False, evaluation: bool = False) -> list[str]:
    """The assignments named, else the modules, the retake forms (every one, or those released to someone) and,
    with evaluation, the course evaluation (never graded)."""
    from .instructor.completion import evaluation_id
    from .instructor.retakes import retakes_in_use

    course = course_model.load(root)  # modules, then each post-test's retake forms (their own assignments)
    extra = [evaluation_id(course)] if evaluation and evaluation_id(course) else []
    known = [m.id for m in course.modules] + list(course.retake_assignments()) + extra
    unknown = [m for m in chosen if m not in known]
    if unknown:
        raise SystemExit(f"error: unknown module {', '.join(unknown)} (modules: {', '.join(known)})")
    retakes = list(course.retake_assignments()) if every_retake else retakes_in_use(root)
    return chosen or [m.id for m in course.modules] + retakes + extra


def _progress(args: argparse.Namespace) -> bool | None:
    return False if args.no_progress else None


def _setup_errors(step: Callable[[], T]) -> T:
    """Run an instructor step; a configuration problem becomes a one-line error, not a traceback."""
    from .instructor.configuration import SetupError

    try:
        return step()
    except SetupError as err:
        raise SystemExit(f"error: {err}") from None


def cmd_collect(args: argparse.Namespace) -> int:
    """Collect submissions from the exchange into submitted/ (nbgrader collect --update).

    A learner's newest submission is collected; one who submitted several times is named. Without module
    names, submissions in the exchange for assignments the course does not have are reported per learner.
    """
    from .instructor import collect, configuration

    root = course_model.find_root(args.root)
    modules = _modules(root, args.modules, evaluation=True)
    config = _setup_errors(lambda: configuration.load(root))
    results = _setup_errors(lambda: collect.collect(root, modules, config))
    failed = False
    for result in results:
        if result.ok:
            print(f"{result.module}: {len(result.collected)} new or updated submissions collected")
        else:
            failed = True
            print(f"FAILED {result.module}: {result.message}", file=sys.stderr)
        for choice in result.choices:
            if choice.learner in result.collected:
                which = "the newest" if choice.newest else "the last one before the due date"
                print(f"{result.module}: learner '{choice.learner}' submitted {choice.submissions} times; "
                      f"collected {which}, of {choice.chosen:%Y-%m-%d %H:%M:%S} UTC")
        for learner, message in result.failures:
            failed = True
            print(f"FAILED learner '{learner}', {result.module}: {message}", file=sys.stderr)
    for stray in [] if args.modules else collect.strays(root, modules, config):
        failed = True
        print(f"FAILED learner '{stray.learner}' submitted '{stray.assignment}', which is not an assignment of this "
              f"course: not collected ({', '.join(stray.entries)} in the exchange inbound)", file=sys.stderr)
    return 1 if failed else 0


def cmd_grade(args: argparse.Namespace) -> int:
    """Autograde collected submissions in parallel; widget-only notebooks need no kernel.

    Without module names the whole course is graded: a submitted/ folder for anything else is reported per
    learner, and the rest graded.
    """
    from .instructor import grade, notes

    root = course_model.find_root(args.root)
    summary = _setup_errors(lambda: grade.grade(
        root, _modules(root, args.modules, evaluation=True), args.student or None, force=args.force,
        workers=args.workers,
        kernels=args.kernels, kernel_free=not args.kernel_only, progress=_progress(args), every=not args.modules))
    lines = grade.format_summary(summary, root)
    print(lines[0])
    for line in lines[1:]:
        print(line, file=sys.stderr)
    # What an instructor must know about each submission (restored cells, missing or foreign answers, a newest
    # submission not graded), at default verbosity: worked out from the files, as the report does.
    states = _setup_errors(lambda: notes.inspect_all(
        root, [(o.student, o.assignment) for o in summary.outcomes if o.status != "rejected"]))
    _setup_errors(lambda: notes.annotate_gradebook(root, states))  # formgrader shows them as a cell comment
    note_lines, counts = notes.summary_lines(states)
    for line in note_lines:
        print(line, file=sys.stderr)
    print(counts)
    if args.verbose:
        for outcome in summary.outcomes:
            for warning in outcome.warnings:
                print(f"learner '{outcome.student}', {outcome.assignment}: {warning}", file=sys.stderr)
    return 1 if summary.failures else 0


def cmd_feedback(args: argparse.Namespace) -> int:
    """HTML feedback for graded submissions (nbgrader generate_feedback); --exchange also releases it."""
    from .instructor import feedback

    root = course_model.find_root(args.root)
    modules = _modules(root, args.modules)
    outcomes = _setup_errors(lambda: feedback.generate(root, modules, args.student or None, force=args.force,
                                                       workers=args.workers, progress=_progress(args)))
    made = sum(o.ok and not o.skipped for o in outcomes)
    kept = sum(o.ok and o.skipped for o in outcomes)
    failed = [o for o in outcomes if not o.ok]
    print(f"{len(outcomes)} graded submissions: feedback written for {made}, up to date for {kept} "
          f"(use --force to rewrite), failed for {len(failed)}")
    for o in failed:
        print(f"FAILED learner '{o.student}', {o.assignment}: {o.message}", file=sys.stderr)
    if args.exchange:
        for module, ok, message in _setup_errors(lambda: feedback.release(root, modules)):
            print(f"{module}: feedback released to the exchange" if ok else f"FAILED {module}: {message}",
                  file=sys.stdout if ok else sys.stderr)
            failed += [] if ok else [module]
    return 1 if failed else 0


def cmd_report(args: argparse.Namespace) -> int:
    """The gradebook report (HTML with figures, CSV tables) and the LMS export."""
    from .instructor import report, results

    root = course_model.find_root(args.root)
    found = _setup_errors(lambda: results.load(root))
    built = report.build(found)
    out = args.out or root / "reports"
    written = report.write(built, out)
    print(report.summary_line(built))
    for path in written:
        print(f"wrote {path}")
    return 0


def cmd_certificates(args: argparse.Namespace) -> int:
    """Certificates (PDF and signed Open Badges 3.0 credential) for learners who passed every module; the site's
    verification data; revocation; the signing key (refused while provider details are placeholders)."""
    from .instructor import certificates, results

    root = course_model.find_root(args.root)
    out = args.out or root / ("certificates/drafts" if args.draft else "certificates")
    if args.new_key:
        path = certificates.key_path(root, course_model.load(root).provider)
        try:
            certificates.new_key(path)
        except certificates.SigningKeyError as err:
            print(f"error: {err}", file=sys.stderr)
            return 2
        print(f"wrote the provider's signing key to {path} (readable by you only; keep it out of git and back it up)")
        return 0
    if args.revoke:
        try:
            entry, published = certificates.revoke(root, out, args.revoke, args.reason or "")
        except certificates.RegisterError as err:
            print(f"error: {err}", file=sys.stderr)
            return 2
        print(f"revoked certificate {entry.id} (learner '{entry.learner_id}') on {entry.revoked}: {entry.reason}")
        for path in published:
            print(f"wrote {path}")
        return 0
    found = _setup_errors(lambda: results.load(root))
    from .instructor import analysis, completion

    try:
        done = certificates.issue(found, out, draft=args.draft, attestations=completion.attestations(found))
    except (certificates.CertificateError, certificates.RegisterError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    for learner in found.learners:  # why each learner without a certificate has none
        if learner.status != analysis.ELIGIBLE:
            print(f"no certificate for learner '{learner.id}' ({learner.status}): {completion.why_not(learner)}",
                  file=sys.stderr)
    kind = "draft certificates (watermarked DRAFT, not verifiable)" if args.draft else \
        "certificates with signed badges"
    print(f"{len(done.issued)} {kind} written to {out} (index.csv lists them)")
    for path in done.removed:
        print(f"removed {path}: that learner is no longer eligible")
    for entry in done.revoked:
        print(f"revoked certificate {entry.id} (learner '{entry.learner_id}'): {entry.reason}")
    for entry in done.held:
        print(f"held learner '{entry.learner_id}': certificate {entry.id} was revoked on {entry.revoked} "
              f"({entry.reason}); no new certificate issued", file=sys.stderr)
    for path in done.published:
        print(f"wrote {path} (publish the site to update the verification page)")
    for learner in done.undated:
        print(f"FAILED learner '{learner.id}': eligible, but nbgrader has no submission time for a completion date "
              "(no timestamp.txt in the submission); no certificate written", file=sys.stderr)
    return 1 if done.undated else 0


def cmd_retake(args: argparse.Namespace) -> int:
    """Release a post-test's next unseen form to learners who failed it and have attempts left (only to them)."""
    from .instructor import attempts, retakes

    root = course_model.find_root(args.root)
    check_config(root)
    try:
        results = retakes.release_retake(root, args.module, args.learners)
    except attempts.PolicyError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    for result in results:
        stream = sys.stdout if result.ok else sys.stderr
        print(result.message if result.ok else f"REFUSED {result.message}", file=stream)
    return 0 if all(r.ok for r in results) else 1


def cmd_attempts(args: argparse.Namespace) -> int:
    """Each learner's post-test attempts (form, score, date, counted or not), and the review list after a fail."""
    from .instructor import attempts

    root = course_model.find_root(args.root)
    try:
        found = attempts.load(root)
    except attempts.PolicyError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    for learner, modules in found.items():
        for module, state in modules.items():
            if not state.attempts:
                continue
            print(f"{learner} {module}: {state.status}: {state.summary()}")
            if state.message:
                print(f"  {state.message}")
            for missed in state.review:
                print(f"  review {missed.objective}: {'; '.join(missed.sections + missed.practice)}")
    return 0


def cmd_gradebook(args: argparse.Namespace) -> int:
    """Back up nbgrader's gradebook (at its configured database URL) to one file, or restore it from one."""
    from .instructor import backup, configuration

    root = course_model.find_root(args.root)
    config = _setup_errors(lambda: configuration.load(root))
    coursedir = configuration.coursedir(config)
    folder = root / "backups"

    def show(counts: dict[str, int]) -> None:
        for name, count in counts.items():
            print(f"  {name:<22} {count:>8} rows")

    def announce(safety: backup.Written) -> None:
        print(f"safety backup of the gradebook being replaced: {safety.path}")
        show(safety.counts)

    try:
        if args.action == "backup":
            written = backup.backup(coursedir.db_url, args.file, folder=folder)
            print(f"wrote {written.path} ({sum(written.counts.values())} rows from "
                  f"{configuration.redact(coursedir.db_url)})")
            show(written.counts)
        else:
            restored = backup.restore(args.file, coursedir.db_url, folder=folder, force=args.force,
                                      course_id=coursedir.course_id, announce=announce)
            print(f"restored {args.file} into {configuration.redact(coursedir.db_url)} "
                  f"({sum(restored.counts.values())} rows)")
            show(restored.counts)
    except backup.BackupError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except backup.GradebookError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    _use_this_environment()
    parser = argparse.ArgumentParser(prog="empathy-ce", description=__doc__)
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
    return commands[args.command](args)


if __name__ == "__main__":
    raise SystemExit(main())
