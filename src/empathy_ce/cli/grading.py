"""Grade: `collect` submissions from the exchange, `grade` them (in parallel, kernel-free where possible) and
write `feedback`."""

from __future__ import annotations

import argparse
import contextlib
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from .. import course as course_model
from .common import _modules, _progress, _setup_errors

if TYPE_CHECKING:
    from ..instructor import grade


def cmd_collect(args: argparse.Namespace) -> int:
    """Collect submissions from the exchange into submitted/ (nbgrader collect --update).

    A learner's newest submission is collected; one who submitted several times is named. Without module
    names, submissions in the exchange for assignments the course does not have are reported per learner.
    """
    from ..instructor import collect, configuration

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
    from ..instructor import grade, notes

    root = course_model.find_root(args.root)
    summary = _setup_errors(lambda: grade.grade(
        root, _modules(root, args.modules, evaluation=True), args.student or None, force=args.force,
        workers=args.workers,
        kernels=args.kernels, kernel_free=not args.kernel_only, progress=_progress(args), every=not args.modules,
        notes=True))
    lines = format_summary(summary, root)
    print(lines[0])
    for line in lines[1:]:
        print(line, file=sys.stderr)
    # What an instructor must know about each submission (restored cells, missing or foreign answers, a newest
    # submission not graded), at default verbosity: worked out from the files, as the report does.
    # (Each worker looked at its submissions as it graded them; any it could not are looked at here.)
    looked = [o for o in summary.outcomes if o.status != "rejected"]
    unseen = [(o.student, o.assignment) for o in looked if not o.inspected]
    rest = _setup_errors(lambda: notes.inspect_all(root, unseen)) if unseen else {}
    states = {(o.student, o.assignment): o.state if o.inspected else rest.get((o.student, o.assignment))
              for o in looked}
    states = {pair: state for pair, state in states.items() if state is not None}
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
    from ..instructor import feedback

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


def format_summary(summary: grade.Summary, root: Path) -> list[str]:
    """Lines for the terminal: counts, speed, and one line per failed, rejected or resumed learner submission."""
    o = summary.outcomes
    rejected = summary.count("rejected")
    lines = [f"{len(o)} submissions: {summary.count('graded')} graded, {summary.count('skipped')} already graded "
             f"(use --force to regrade), {summary.count('failed')} failed"
             f"{f', {rejected} rejected' if rejected else ''}; "
             f"{sum(x.without_kernel for x in o)} notebooks graded without a kernel, "
             f"{sum(x.with_kernel for x in o)} with one; {summary.seconds:.1f} s"]
    for outcome in summary.outcomes:
        if outcome.resumed:
            lines.append(f"learner '{outcome.student}', {outcome.assignment}: an earlier grading run was interrupted "
                         f"while grading this submission; graded again ({outcome.status})")
    for outcome in summary.failures:
        for path, message in outcome.failures:
            shown = Path(path)
            with contextlib.suppress(ValueError):
                shown = shown.relative_to(root)
            if outcome.status == "rejected":
                lines.append(f"FAILED {message} ({shown})")
            else:
                lines.append(f"FAILED learner '{outcome.student}', {outcome.assignment}: {shown}: {message}")
    return lines
